#pragma once
// Internal: what every builtin solver shares: the bound game, the iterate and its buffers, step
// resolution (defaults that depend on beta, `auto` from rho, range checks against beta) and the
// moving-reference outer loop of the regularized solvers.
#include <fmt/format.h>

#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "nlhf/errors.h"
#include "nlhf/logspace.h"
#include "nlhf/metrics.h"
#include "nlhf/oracle.h"
#include "nlhf/solver.h"

namespace nlhf::solvers {

// A solver's registry entry (`SolverEntry <Name>Entry()` in each file of this folder, declared and
// listed in registries.cc): name, doc, parameter table, factory and SolverTraits.
using SolverEntry = Registry<SolverFactory, SolverTraits>::Entry;

// A step's valid range beyond "finite and > 0", for `auto` and default steps, which must always
// give a step the method accepts: `valid` tests a step, `largest` is the top of the range (or the
// largest step worth taking), the value a step above the range is clamped to; `rule` describes
// the range in messages ("eta*beta <= 1").
struct StepRange {
  std::function<bool(double)> valid;
  double largest = 0.0;
  std::string rule;
};

class SolverBase : public Solver {
 public:
  SolverBase(std::string name, ParamMap params, std::string key)
      : name_(std::move(name)), params_(std::move(params)), key_(std::move(key)) {}
  SolverBase(const SolverBase&) = delete;  // l_, pi_ and g_ refer to its own own_
  SolverBase& operator=(const SolverBase&) = delete;

  const Eigen::VectorXd& current() const override { return l_; }
  ParamMap EffectiveParams() const override { return effective_; }
  std::vector<std::string> Notes() const override { return notes_; }
  // From estimates_per_step_: that many oracle calls (exact) or B queries each (sampled, pairs).
  std::optional<StepInfo> CostPerStep() const override;
  // Kept for the next step's pi_k and P pi_k (EvaluateIterate, EstimateIterate with the exact
  // oracle); a sampled oracle samples, so it has no use for an offer.
  void OfferPayoff(const Eigen::VectorXd& pi, const Eigen::VectorXd& g) override;
  // Evaluated into pi_ and g_ (own_) when the next step takes it (TakesOffers), nothing copied;
  // else aside, in the offer's storage, changing nothing the step reads.
  const PolicyPoint* EvaluateCurrent() override;
  // Steps that start with EvaluateIterate or EstimateIterate (before anything changes l_, pi_ or
  // g_) take offers, with the exact oracle; solvers whose step starts elsewhere (nash_md,
  // nash_md_pg, nash_mp_pg) say false. (SolverOffer tests check this of every registered solver.)
  bool TakesOffers() const override { return !sampled(); }

 protected:
  // Binds the game and the initial iterate, sizes pi_ and g_.
  void BindGame(const SolverContext& c);
  // The step parameter `name`: the given number (checked by the caller), `default_value` when
  // absent, or auto_fn(rho) for `auto` (an InputError when the solver has no auto rule). `auto`
  // never fails at run time: without rho (pi* not certified) it takes the default step, and a
  // value outside `range` (non-finite, <= 0, or above it: rho ~ 0 on a game with a Condorcet
  // winner, rounding at eta*beta = 1) is clamped into it; either is recorded in Notes(). A
  // default outside `range` (extreme beta) is clamped too. `X*limit` is X times StabilityLimit()
  // at this game; unlike `auto` it has no fallback: an InputError when rho is unknown, the limit is
  // infinite or the step falls outside `range`. Recorded in the effective parameters as a number.
  double ResolveStep(const std::string& name, double default_value,
                     const std::function<double(double)>& auto_fn = nullptr, const StepRange* range = nullptr);
  // `multiple` times this game's stability limit (see ResolveStep).
  double StepFromLimit(const std::string& name, double multiple, const StepRange* range) const;
  // Throws InputError "<key>.<param>: <value> <problem>, expected <allowed>".
  [[noreturn]] void RejectParam(const std::string& param, double value, const std::string& problem,
                                const std::string& allowed) const;
  // Copies the non-step parameters into the effective parameters, in table order.
  void KeepParam(const std::string& name);

  // gap_beta of the subgame with reference logits `ref` (normalized) and strength `strength` at
  // the current iterate, from pi_ and g_ (call EvaluateIterate first):
  // 2 strength KL(pi || BR), BR ∝ exp(ref + g / strength). `br` is a buffer of size n.
  double SubgameGap(const Eigen::VectorXd& ref, double strength, Eigen::VectorXd& br) const;

  // pi_ = exp(l_), g_ = P pi_: one oracle call (taken from the run driver's offer when it made one
  // for this iterate: TakeOffer).
  void EvaluateIterate() {
    if (!TakeOffer()) ComputeIterate();
  }
  // pi_ = exp(l_), g_ = the oracle's estimate of P pi_ (exact: EvaluateIterate); adds its cost.
  void EstimateIterate(StepInfo& info) {
    if (!sampled() && TakeOffer()) {
      ++info.oracle_calls;  // the exact oracle's cost: the method needs this product
      return;
    }
    ExpProbabilities(l_.array(), pi_.array());  // (as ComputeIterate: the same bits whichever path)
    EstimateAgainst(pi_, pi_, info);
  }
  // g_ = the oracle's estimate of g(opp) = P opp (exact: P opp, 1 oracle call); `self` is the
  // policy the `iterate` sampler draws y from (the policy the step updates). Adds its cost.
  // Neither argument may be g_.
  void EstimateAgainst(const Eigen::VectorXd& self, const Eigen::VectorXd& opp, StepInfo& info) {
    const OracleCost cost = oracle_.Estimate(self, opp, g_);
    info.oracle_calls += cost.oracle_calls;
    info.queries += cost.queries;
  }
  bool sampled() const { return !oracle_.config().exact(); }
  // The proximal-point subgame of step `eta` at the current iterate (prox, nash_prox): its strength
  // beta (1 + 1/eta), and into `ref` its normalized reference logits (l_ + eta log mu) / (1 + eta),
  // i.e. ∝ pi^(1/(1+eta)) mu^(eta/(1+eta)).
  double ProximalStrength(double eta) const { return beta_ * (1.0 + 1.0 / eta); }
  void ProximalReference(double eta, Eigen::VectorXd& ref) const {
    ref = (l_ + eta * game_->log_mu()) / (1.0 + eta);
    NormalizeLogitsInPlace(ref);
  }

  std::string name_;
  ParamMap params_;     // as given (resolved against the table)
  ParamMap effective_;  // in effect after Reset
  std::string key_;
  std::vector<std::string> notes_;  // for the run summary (Notes())
  const Game* game_ = nullptr;
  double beta_ = 0.0;
  std::optional<double> rho_;
  bool rho_is_bound_ = false;  // SolverContext::rho_is_bound
  bool rho_later_ = false;     // SolverContext::rho_later
  // The iterate's logits, pi and g: the members of `own_`, the point EvaluateCurrent hands to the
  // run driver, so that the step that takes it finds it in place.
  PolicyPoint own_;
  Eigen::VectorXd& l_ = own_.log_pi;
  Eigen::VectorXd& pi_ = own_.pi;
  Eigen::VectorXd& g_ = own_.g;
  Oracle oracle_;  // bound in BindGame; exact unless the solver accepts another (AcceptsSampledOracle)
  // Estimates of g (oracle calls, or batches of queries) every Step() makes, set by Reset; 0 when it
  // varies (CostPerStep() is then nullopt).
  std::int64_t estimates_per_step_ = 0;

 private:
  // A point of the iterate made outside the step: the same bits the step would compute (the same
  // ExpProbabilities of the same logits, the same product). EvaluateCurrent's (the run driver's) is in
  // pi_ and g_ already, taken by the next step (whose first act it is: TakesOffers), once. An offer
  // (OfferPayoff, from a caller that evaluated the point itself) is taken if l_ is bit-identical to
  // the logits it was made for (an O(n) compare against exp and an O(n^2) product), copied in, and
  // stays valid while l_ is (an exact fixed point takes it at every step).
  bool TakeOffer();
  // pi_ = exp(l_), g_ = P pi_, computed here (EvaluateIterate's own work, and EvaluateCurrent's).
  void ComputeIterate() {
    ExpProbabilities(l_.array(), pi_.array());  // as Evaluate: the metrics' policy point (own_)
    game_->Apply(pi_, g_);
  }
  bool own_valid_ = false;  // EvaluateCurrent filled pi_ and g_ and no step has taken them yet
  bool offer_valid_ = false;
  PolicyPoint offer_;  // log_pi: the logits it was made for
};

// The moving-reference outer loop (COMAL, MPO, R-NaD): the anchor of a regularized update, log mu
// at first, becomes the current iterate every `reference_every` iterations or whenever the
// subgame's gap_beta (measured against the current anchor) falls below `reference_gap`. The
// iterates then approach a Nash equilibrium of the unregularized game.
//
// The gap of iterate k+1 needs P pi_k+1, which step k+1 computes anyway as its first oracle call:
// so the gap rule is applied at the start of the next step (EstimateIterateAndMove), on that
// product, before the update reads the anchor. The trajectory is the one of checking right after
// step k (nothing reads the anchor in between), and the rule costs no oracle call: every step
// costs estimates_per_step_ calls, with or without a moving reference.
class AnchoredSolver : public SolverBase {
 public:
  using SolverBase::SolverBase;
  SolverTarget Target() const override {
    return moving() ? SolverTarget::kUnregularized : SolverTarget::kPiStar;
  }

 protected:
  // After BindGame: anchor_ = log mu, schedule parameters. Refuses reference_gap > 0 with a sampled
  // oracle (the subgame gap needs the exact P pi).
  void BindAnchor();
  // The step's first estimate, g_ = g(pi_k) (EstimateIterate), then the gap rule on iterate k,
  // which may move the anchor to it. Every anchored step begins with this.
  void EstimateIterateAndMove(StepInfo& info);
  // At the end of each step: the `reference_every` schedule, and the gap rule's check queued for
  // the next step.
  void MaybeMoveReference();
  bool moving() const { return every_ > 0 || gap_threshold_ > 0.0; }

  Eigen::VectorXd anchor_;  // log of the reference the update is anchored at
  Eigen::VectorXd br_;      // buffer for the subgame best response

 private:
  std::int64_t every_ = 0;
  double gap_threshold_ = 0.0;
  std::int64_t since_move_ = 0;
  bool gap_check_due_ = false;  // the current iterate has not been checked against reference_gap yet
};

// The two parameter rows of the moving-reference option.
std::vector<ParamSpec> MovingReferenceParams();

// The step parameter row: `eta`, optional (its default depends on beta), `auto` when allowed;
// add .AllowLimit() for `X*limit` where the solver has a StabilityLimit().
ParamSpec StepParam(const std::string& name, const std::string& default_doc, const std::string& doc,
                    bool auto_allowed);

// Nash-MP's `auto` step: half its stability limit beta/rho, never below the default 2 beta.
double NashMpAutoEta(double beta, double rho);

}  // namespace nlhf::solvers
