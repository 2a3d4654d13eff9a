#pragma once
// The run driver's stop.tolerance rule (run.h): does the current iterate meet every tolerance?
// Checked at every iteration, so it must cost next to nothing beside a solver step. The point's
// P pi is the solver's next one (Solver::EvaluateCurrent: evaluated in the solver's own storage,
// for its next step); what is left is the metrics, and gap_beta's log-sum-exp (one exp per action)
// costs about half an omd step at n = 10.
// So gap_beta and exploitability are first bounded from below in O(n), with no exp, from the best
// response at the last point where this check computed them (GapBetaLowerBound, metrics.h; values
// adopted from a record do not move it): when the bound, less its rounding error, is above a
// tolerance, that tolerance is provably unmet and no metric is computed. Below 32 actions on a stored
// P the same bound in one sum over pi and log pi is tried first (GapBetaLinearBound: half the reads,
// no wait for P pi); it proves a tolerance unmet only where GapBetaLowerBound would, so alone it
// does not change the iterations at which the metrics are computed. Where pi* is given, a second
// one-sum bound is anchored once per run at pi* (an exact gap_beta there and one product with P^T;
// for an exact game it is 2 beta KL(pi || pi*), docs/mathematics.md section 2). A bound anchored
// at the last exact point falls short by 2 beta KL(b || BR(pi)), which grows as BR(pi) moves away
// from b = BR(pi_anchor), so near pi* that anchor must be renewed every few tens of iterations
// whatever the tolerance; the shortfall from b = BR(pi*) = pi* shrinks with the gap itself, so
// that bound decides every iteration until the gap nears the tolerance (omd at n = 10 to 1e-12:
// 13 exact evaluations, all in the last 130 iterations, instead of 51). It is tried first while it
// decides (inline in ProvedUnmet: at most iterations it is all the check does). The exact
// metrics are computed otherwise. Where some tolerance is on a metric the bounds do not cover
// (say kl_to_star), they are also computed at every kExactEvery-th iteration, so that a NaN of
// that metric is found at most kExactEvery iterations after it appears, and the stall rule
// (stall_rule.h), which samples the same iterations, finds its values there; where every tolerance
// is on gap_beta or exploitability a bound that proves them unmet is finite, so nothing is hidden,
// and the stall rule keeps the iterates it samples instead. Each bound is a lower bound whatever
// its anchor, so a run stops at the same iteration as one that computes every tolerance metric at
// every iteration (tests/unit/tolerance_check_test.cc), with or without pi*, and with a pi* that
// is wrong.
#include <Eigen/Core>
#include <cmath>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include "nlhf/game.h"
#include "nlhf/metrics.h"
#include "nlhf/run.h"
#include "stall_rule.h"

namespace nlhf {

class ToleranceCheck {
 public:
  // Where the bounds do not cover every tolerance: an exact evaluation at every multiple of this
  // (the stall rule's samples).
  static constexpr std::int64_t kExactEvery = StallRule::kEvery;

  // `tolerances`: the metrics to check and their values, each computable here (pi* or pi_NE
  // given when the metric needs it). The game and the vectors must outlive the check.
  ToleranceCheck(const Game& game, double beta, const Eigen::VectorXd& log_pi_star, const Eigen::VectorXd& log_pi_ne,
                 std::vector<std::pair<Metric, double>> tolerances);

  bool active() const { return !tolerances_.empty(); }
  const std::vector<std::pair<Metric, double>>& tolerances() const { return tolerances_; }
  Metric watched() const { return tolerances_.front().first; }  // the stall rule's metric
  const MetricMask& mask() const { return mask_; }
  bool needs_payoff() const { return payoff_; }

  // Whether iterate `it`, evaluated into `p` (pi and g when needs_payoff(), else only log_pi),
  // provably misses some tolerance, so that its exact metrics need not be computed. Never for a
  // point whose bound is not finite (the one-sum bound reads only pi and log pi: on a stored P, a
  // finite pi has a finite P pi). A metric co-listed with gap_beta that the bound does not
  // cover (say kl_to_star with a broken pi*) is computed at the exact checks only, so a NaN of
  // its own is found at the next one, at most kExactEvery iterations later (the next multiple).
  // Not const: it remembers which of the one-sum bounds decided last, to try that one first (the
  // answer does not depend on the order: every bound is tried before it says no). The usual case,
  // pi*'s bound deciding again, is inline: it is all the check does at most iterations.
  bool ProvedUnmet(std::int64_t it, const PolicyPoint& p) {
    if (star_first_ && !Scheduled(it) && Unmet(GapBetaLinearLowerBound(beta_, p, star_)))
      return true;
    return ProvedUnmetOtherwise(it, p);
  }
  // Computes the exact tolerance metrics of iterate `it` at `p` (values()), keeping gap_beta's best
  // response for later bounds.
  void Exact(std::int64_t it, const PolicyPoint& p);
  // The exact values of iterate `it`, computed by the caller (a logged iteration).
  void Adopt(std::int64_t it, const MetricValues& values);

  // The last exact values (NaN outside mask()) and their iteration (-1: none yet).
  const MetricValues& values() const { return values_; }
  std::int64_t exact_iteration() const { return exact_it_; }
  // Whether values() meet every tolerance.
  bool Met() const;
  // The exact value of the first tolerance metric at `p`, changing nothing (for a progress line).
  double Peek(const PolicyPoint& p) const;

 private:
  // Whether iteration `it` gets an exact evaluation whatever the bounds say (kExactEvery).
  bool Scheduled(std::int64_t it) const { return !covered_ && it % kExactEvery == 0; }
  // A computed gap_beta at p is at least a bound's value - error: is that above a tolerance?
  bool Unmet(const GapBetaBound& bound) const {
    const double gap = bound.value - bound.error;
    return std::isfinite(gap) && gap > unmet_above_;
  }
  // ProvedUnmet past its inline first test (star_first_ is then false, or that test failed).
  bool ProvedUnmetOtherwise(std::int64_t it, const PolicyPoint& p);

  const Game& game_;
  double beta_;
  const Eigen::VectorXd& log_pi_star_;
  const Eigen::VectorXd& log_pi_ne_;
  std::vector<std::pair<Metric, double>> tolerances_;
  MetricMask mask_;
  bool payoff_ = false;
  bool bounded_ = false;  // a tolerance on gap_beta or exploitability at beta > 0
  bool covered_ = true;   // every tolerance is one (no kExactEvery schedule)
  // A gap_beta above this misses a tolerance: the least of the gap_beta tolerances and twice the
  // exploitability ones (exploitability = gap_beta / 2; both scalings by 2 are exact).
  double unmet_above_ = std::numeric_limits<double>::infinity();
  GapBetaAnchor anchor_;
  bool anchored_ = false;
  // The first test below 32 actions on a stored P (GapBetaLinearBound): P's asymmetry (NaN: not
  // used), the bound at the anchor, and whether it is tried (its error at most the tolerance, so
  // that it decides all but the iterations within a factor 2 above it).
  double asymmetry_ = std::numeric_limits<double>::quiet_NaN();
  GapBetaLinearBound linear_;
  bool linear_tried_ = false;
  // The one-sum bound anchored at pi* (given, finite, and the one-sum bound in use), whether it is
  // tried (as linear_tried_), and whether it decided the last time it was tried (then it goes first).
  GapBetaLinearBound star_;
  bool star_tried_ = false;
  bool star_first_ = false;
  MetricValues values_;
  std::int64_t exact_it_ = -1;
};

}  // namespace nlhf
