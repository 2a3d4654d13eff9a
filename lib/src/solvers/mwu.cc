// mwu: multiplicative weights (the tabular form of SPPO's self-play update) on the unregularized
// game:   l_k+1 = l_k + eta g(pi_k)   (+ normalizer)
// One oracle call per iteration. Its last iterate spirals away from the Nash equilibrium of an
// intransitive game; its average (1/(k+1)) sum_{j<=k} pi_j converges to it (no-regret), at the
// rate set by eta ~ 1/sqrt(T). beta is ignored.
// References: Freund and Schapire, "Adaptive game playing using multiplicative weights", GEB 1999;
// Wu et al., "Self-Play Preference Optimization for Language Model Alignment", arXiv:2405.00675.
#include "average_iterate.h"
#include "solver_base.h"

namespace nlhf::solvers {
namespace {

class Mwu final : public SolverBase {
 public:
  using SolverBase::SolverBase;

  void Reset(const SolverContext& c) override {
    BindGame(c);
    estimates_per_step_ = 1;
    eta_ = params_.Double("eta");
    KeepParam("eta");
    average_.Reset(game_->n());
  }

  StepInfo Step() override {
    EvaluateIterate();
    average_.Add(pi_);  // pi_k, computed for the oracle call
    l_ += eta_ * g_;
    NormalizeLogitsInPlace(l_);
    return {1, 0, eta_};
  }

  const Eigen::VectorXd* average() const override { return &average_.Logits(l_); }
  SolverTarget Target() const override { return SolverTarget::kUnregularized; }

 private:
  double eta_ = 0.0;
  AverageIterate average_;
};

}  // namespace

SolverEntry MwuEntry() {
  return {"mwu", "multiplicative weights / SPPO on the beta = 0 game; the average iterate converges",
          {ParamSpec::Double("eta", 0.1, "step; ~1/sqrt(T) for a T-iteration run").Above(0)},
          [](const ParamMap& p, const std::string& key) { return std::make_unique<Mwu>("mwu", p, key); },
          {.allows_beta_zero = true}};
}

}  // namespace nlhf::solvers
