// mmd: magnetic mirror descent:
//   l_k+1 = (l_k + eta beta log mu + eta g(pi_k)) / (1 + eta beta)          (+ normalizer)
// One oracle call per iteration, or B queries with a sampled/pairs oracle (g(pi_k) estimated as in
// omd). Equal to omd with eta' = eta / (1 + eta beta), and to one
// nash_mp half-step taken as the next iterate (nash_mp's eta = mmd's eta beta). Stable iff
// eta < 2 beta / (rho^2 - beta^2) (any eta if rho <= beta); best eta = beta / rho^2.
// Reference: Sokota et al., "A Unified Approach to Reinforcement Learning, Quantal Response
// Equilibria, and Two-Player Zero-Sum Games" (MMD), ICLR 2023, arXiv:2206.05825.
#include "solver_base.h"

#include "nlhf/equilibrium.h"

namespace nlhf::solvers {
namespace {

// Linearized at pi*, the error mode along the eigenvalue i lambda of A D is multiplied by
// f = (1 + i eta lambda) / (1 + eta beta); |f| < 1 for every lambda <= rho iff
// eta < 2 beta / (rho^2 - beta^2), any eta if rho <= beta.
double MmdStabilityLimit(double beta, double rho) {
  const double b2 = beta * beta, r2 = rho * rho;
  return r2 <= b2 ? std::numeric_limits<double>::infinity() : 2.0 * beta / (r2 - b2);
}
// The minimum of |f|^2 at lambda = rho.
double MmdBestStep(double beta, double rho) {
  return rho > 0.0 ? beta / (rho * rho) : std::numeric_limits<double>::infinity();
}

class Mmd final : public AnchoredSolver {
 public:
  using AnchoredSolver::AnchoredSolver;

  void Reset(const SolverContext& c) override {
    BindGame(c);
    estimates_per_step_ = 1;
    // Any step is stable when rho <= beta; beyond eta beta = 1e6 the update is the best response
    // to pi_k to within 1e-6, so larger `auto` steps (rho ~ 0) are clamped there.
    const StepRange range{[&](double e) { return e * beta_ <= 1e6; }, 1e6 / beta_,
                          "eta*beta <= 1e6, beyond which the step is the best response"};
    eta_ = ResolveStep(
        "eta", 4.0 * beta_, [&](double rho) { return rho > 0.0 ? beta_ / (rho * rho) : 1e6 / beta_; }, &range);
    BindAnchor();
  }

  bool AcceptsSampledOracle() const override { return true; }

  StepInfo Step() override {
    StepInfo info{0, 0, eta_};
    EstimateIterateAndMove(info);
    l_ = (l_ + (eta_ * beta_) * anchor_ + eta_ * g_) / (1.0 + eta_ * beta_);
    NormalizeLogitsInPlace(l_);
    MaybeMoveReference();
    return info;
  }

  std::optional<double> StabilityLimit() const override {
    if (!rho_) return std::nullopt;
    return MmdStabilityLimit(beta_, *rho_);
  }

 private:
  double eta_ = 0.0;
};

}  // namespace

SolverEntry MmdEntry() {
  std::vector<ParamSpec> params = {
      StepParam("eta", "4 beta",
                "step; auto: the best step beta/rho^2, at most 1e6/beta; limit: 2beta/(rho^2-beta^2) (none if rho <= beta)",
                true)
          .AllowLimit()};
  for (ParamSpec& p : MovingReferenceParams()) params.push_back(std::move(p));
  return {"mmd", "magnetic mirror descent, one call per iteration (or B queries with a sampled oracle); = "
          "omd(eta/(1+eta beta))",
          std::move(params),
          [](const ParamMap& p, const std::string& key) { return std::make_unique<Mmd>("mmd", p, key); },
          {.stability_limit = MmdStabilityLimit, .best_step = MmdBestStep}};
}

}  // namespace nlhf::solvers
