// omwu: optimistic multiplicative weights on the unregularized game:
//   l_k+1 = l_k + eta (2 g(pi_k) - g(pi_k-1))   (+ normalizer; g(pi_-1) = g(pi_0))
// One oracle call per iteration. Its last iterate converges on the test games for constant eta up to
// about 2 (tiny eta is very slow). Reports the average iterate too. beta is ignored.
// Reference: Daskalakis and Panageas, "Last-Iterate Convergence: Zero-Sum Games and Constrained
// Min-Max Optimization", ITCS 2019, arXiv:1807.04252.
#include "average_iterate.h"
#include "solver_base.h"

namespace nlhf::solvers {
namespace {

class Omwu final : public SolverBase {
 public:
  using SolverBase::SolverBase;

  void Reset(const SolverContext& c) override {
    BindGame(c);
    estimates_per_step_ = 1;
    eta_ = params_.Double("eta");
    KeepParam("eta");
    g_prev_ = Eigen::VectorXd::Zero(game_->n());
    first_ = true;
    average_.Reset(game_->n());
  }

  StepInfo Step() override {
    EvaluateIterate();
    average_.Add(pi_);  // pi_k, computed for the oracle call
    if (first_) g_prev_ = g_;
    first_ = false;
    l_ += eta_ * (2.0 * g_ - g_prev_);
    g_prev_ = g_;
    NormalizeLogitsInPlace(l_);
    return {1, 0, eta_};
  }

  const Eigen::VectorXd* average() const override { return &average_.Logits(l_); }
  SolverTarget Target() const override { return SolverTarget::kUnregularized; }

 private:
  double eta_ = 0.0;
  bool first_ = true;
  Eigen::VectorXd g_prev_;
  AverageIterate average_;
};

}  // namespace

SolverEntry OmwuEntry() {
  return {"omwu", "optimistic multiplicative weights on the beta = 0 game; last iterate converges",
          {ParamSpec::Double("eta", 0.5, "constant step (converges up to ~2 on the test games)").Above(0)},
          [](const ParamMap& p, const std::string& key) { return std::make_unique<Omwu>("omwu", p, key); },
          {.allows_beta_zero = true}};
}

}  // namespace nlhf::solvers
