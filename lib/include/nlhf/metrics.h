#pragma once
// Closed-form metrics of a policy (docs/mathematics.md, metrics), O(n^2) each (one P pi), in double, in log
// space. A policy is given by its normalized logits l = log(pi). Evaluating metrics is never
// counted as oracle calls.
#include <Eigen/Core>
#include <cmath>
#include <limits>
#include <string_view>
#include <vector>

#include "nlhf/errors.h"
#include "nlhf/game.h"

namespace nlhf {

enum class Metric { kGapBeta, kExploitability, kGap0, kBrWinrate, kKlToStar, kKlFromStar, kSpan,
                    kFpResidual, kKlToNe };

struct MetricInfo {
  Metric id;
  std::string_view name;  // the CSV column
  std::string_view doc;   // one line: formula and convention
  bool needs_star;        // needs the certified equilibrium pi*_beta (at beta = 0: the selected NE)
  bool needs_ne = false;  // needs the selected Nash equilibrium of the beta = 0 game (nash_set.h)
};
const std::vector<MetricInfo>& MetricTable();  // in CSV column order

// A policy together with its payoff vector g = P pi, computed once and shared by all metrics.
struct PolicyPoint {
  Eigen::VectorXd log_pi;
  Eigen::VectorXd pi;
  Eigen::VectorXd g;
};
PolicyPoint Evaluate(const Game& game, const Eigen::VectorXd& log_pi);
// The same into `out`, reusing its buffers (no allocation once they have the right size).
void Evaluate(const Game& game, const Eigen::VectorXd& log_pi, PolicyPoint& out);

// log BR_beta(pi) = log mu + g/beta - log Z: the regularized best response to a policy with
// payoff vector g. beta > 0.
Eigen::VectorXd BestResponseLogits(const Game& game, double beta, const Eigen::VectorXd& g);

// gap_beta = 2 [beta LSE_mu(g/beta) + beta KL(pi||mu) - 1/2] = 2 beta KL(pi || BR_beta(pi)):
// the regularized duality gap of J_beta (EGPO's "dual gap"); >= 0, 0 iff pi = pi*_beta. Computed
// in the KL form, non-negative by construction and precise near 0. beta = 0 gives gap_0.
double GapBeta(const Game& game, double beta, const PolicyPoint& p);
// GapBeta's by-products at one policy point, kept to bound gap_beta at later points
// (GapBetaLowerBound): the payoff g and the regularized best response b = BR_beta(pi), as log b
// and b.
struct GapBetaAnchor {
  Eigen::VectorXd g, log_br, br;
};
// GapBeta, bit for bit, also filling `anchor` (no allocation once its vectors have size n). beta > 0.
double GapBeta(const Game& game, double beta, const PolicyPoint& p, GapBetaAnchor& anchor);

// A lower bound on gap_beta at point p from the anchor of an earlier point, in O(n) with no exp.
// The maximum over pi' in gap_beta / 2 = max_pi' [<pi', g> - beta KL(pi'||mu)] - <pi, g> + beta KL(pi||mu)
// is at least its value at the anchor's best response b, which gives
//   gap_beta(p) / (2 beta) >= sum_y pi_y (log pi_y - log b_y) + sum_y (pi_y - b_y) (g0_y - g_y) / beta
// (g0 the anchor's payoff; equality when p is the anchor's point). The bound loses
// beta KL(b || BR_beta(pi)), second order in the change of the payoff since the anchor.
// `error` bounds the rounding of `value` and of GapBeta(p), and sum pi's departure from 1 (the
// rounding of the logits' normalization, which grows with their size before it): a computed
// GapBeta(p) is never below value - error. Non-finite inputs give a non-finite value; a sum pi off
// by more than 1e-3 (never, for normalized logits), an infinite error.
struct GapBetaBound {
  double value;
  double error;
};
GapBetaBound GapBetaLowerBound(double beta, const PolicyPoint& p, const GapBetaAnchor& anchor);

// GapBetaLowerBound as one pass over pi and log pi that reads no payoff, for a stored P (the
// tolerance check's first test below 32 actions: half the loads, and no wait for P pi). Its two
// payoff sums are moved to the anchor: <b, g> = <pi, P^T b>, and <pi, g> = <pi, P pi> =
// t^2 / 2 + pi^T S pi with t = sum pi (1 only to the rounding of the logits' normalization, which
// grows with their size before it) and S = (P + P^T - 1)/2, |pi^T S pi| <= t^2 asymmetry / 2
// (Asymmetry, game.h). So
//   gap_beta(p) >= 2 beta sum_y pi_y (log pi_y + w_y) - t^2 + offset,
//   w = (g0 + P^T b) / beta - log b,   offset = -2 <b, g0>,
// GapBetaLowerBound's value up to rounding and the asymmetry. `error` is twice the largest error
// GapBetaLowerBound can have with this anchor, plus the difference of the two forms and the
// rounding of this one (GapBetaLinearLowerBound adds the terms for sum pi at each point): its
// value - error is at most GapBetaLowerBound's value - error, so a tolerance that this bound
// proves unmet, that one proves unmet too (alone, it changes none of the iterations at which the
// tolerance check computes gap_beta; anchored at pi*, it does). Infinite when the anchor is not finite.
struct GapBetaLinearBound {
  Eigen::VectorXd w;
  double offset = 0.0;
  double error = 0.0;
};
// The bound from an anchor that GapBeta filled at beta > 0, for the stored P and its Asymmetry (no
// allocation once out.w has size n).
void LinearizeGapBetaBound(const Eigen::MatrixXd& P, double asymmetry, double beta, const GapBetaAnchor& anchor,
                           GapBetaLinearBound& out);
// The gap_beta bounds' allowance for t = sum pi missing 1 (GapBetaLowerBound): 2 |t - 1| (beta + 1)
// with 1% to spare, or infinite (no bound) where t is off by more than 1e-3.
inline double SumPiAllowance(double t, double beta) {
  const double off = std::abs(t - 1.0);
  return off <= 1e-3 ? 2.02 * off * (beta + 1.0) : std::numeric_limits<double>::infinity();
}
// The bound at p (reads p.pi and p.log_pi only): its value, and bound.error with the terms for sum pi
// added (as GapBetaLowerBound's). Non-finite inputs give a non-finite value; a sum pi off by more
// than 1e-3, an infinite error. Inline: the tolerance check tries it at every iteration, where a
// call costs a tenth of it (below 32 actions the sums are over pairs of actions in two lanes).
inline GapBetaBound GapBetaLinearLowerBound(double beta, const PolicyPoint& p, const GapBetaLinearBound& bound) {
  const Eigen::Index n = p.pi.size();
  NLHF_CHECK(p.log_pi.size() == n && bound.w.size() == n, "gap_beta linear bound of points of different sizes");
  double s = 0.0, t = 0.0;  // sum pi (log pi + w), sum pi
  if (n < 32) {
    using Pair = Eigen::Map<const Eigen::Array2d>;
    const double *pi = p.pi.data(), *l = p.log_pi.data(), *w = bound.w.data();
    Eigen::Array2d acc = Eigen::Array2d::Zero(), mass = Eigen::Array2d::Zero();
    Eigen::Index y = 0;
    for (; y + 1 < n; y += 2) {
      const Pair pi_y(pi + y);
      acc += pi_y * (Pair(l + y) + Pair(w + y));
      mass += pi_y;
    }
    if (y < n) {
      acc[0] += pi[y] * (l[y] + w[y]);
      mass[0] += pi[y];
    }
    s = acc[0] + acc[1];
    t = mass[0] + mass[1];
  } else {
    s = (p.pi.array() * (p.log_pi.array() + bound.w.array())).sum();
    t = p.pi.sum();
  }
  return {2.0 * beta * s - t * t + bound.offset, bound.error + 2.0 * SumPiAllowance(t, beta)};
}

// gap_beta / 2: Nash-MP's "exploitability gap".
double Exploitability(const Game& game, double beta, const PolicyPoint& p);
// gap_0 = 2 max_y g_y - 1: the unregularized duality gap (0 at a Nash equilibrium).
double Gap0(const PolicyPoint& p);
// br_winrate = max_y g_y: the win rate of the best pure response (1/2 at the NE).
double BrWinrate(const PolicyPoint& p);
// KL(pi*_beta || pi): the Lyapunov function of the rate proofs. Also KL(pi_NE || pi) (kl_to_ne, and
// kl_to_star at beta = 0), where pi_NE may have zeros: KlFromLogits sums those terms as pi_y, which
// the other terms' sum balances exactly (logspace.h), so the result is the KL.
double KlToStar(const PolicyPoint& p, const Eigen::VectorXd& log_pi_star);
// KL(pi || pi*_beta).
double KlFromStar(const PolicyPoint& p, const Eigen::VectorXd& log_pi_star);
// max(l - l*) - min(l - l*): span semi-norm of the log-probability error; bounds both KLs.
double SpanToStar(const PolicyPoint& p, const Eigen::VectorXd& log_pi_star);
// span(l - log mu - g/beta): the fixed-point residual, needs no pi*. beta > 0.
double FpResidual(const Game& game, double beta, const PolicyPoint& p);

// Whether the metric reads the payoff g = P pi (and pi) of a PolicyPoint: all but kl_to_star,
// kl_from_star and span, which need only the logits.
bool NeedsPayoff(Metric metric);

// Whether the metric is defined at `beta`. At beta = 0, pi* is the selected Nash equilibrium, which
// may put no mass on some actions: kl_from_star = KL(pi || pi*) and span are then infinite for every
// interior pi, so they are not defined there; neither is fp_residual (it divides by beta).
bool MetricDefinedAt(Metric metric, double beta);

// Whether a metric is logged when log.metrics is not given: every one defined at beta, but kl_to_ne
// only at beta = 0 (elsewhere it costs the beta = 0 LPs per game, so it is asked for by name).
bool DefaultMetric(Metric metric, double beta);

// One metric by id; log_pi_star (log_pi_ne) may be empty for metrics that do not need it.
double ComputeMetric(Metric metric, const Game& game, double beta, const PolicyPoint& p,
                     const Eigen::VectorXd& log_pi_star, const Eigen::VectorXd& log_pi_ne = Eigen::VectorXd());

}  // namespace nlhf
