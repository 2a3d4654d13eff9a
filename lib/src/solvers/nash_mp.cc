// nash_mp: Nash Mirror Prox. Both half-steps are anchored at the current iterate pi_k:
//   l_half = (l_k + eta log mu + (eta/beta) g(pi_k))    / (1 + eta)
//   l_k+1  = (l_k + eta log mu + (eta/beta) g(pi_half)) / (1 + eta)        (+ normalizer)
// Two oracle calls per iteration, or 2B queries with a sampled/pairs oracle (g(pi_k), then g(pi_half),
// each estimated by self-play at that point, as in egpo; the contraction below is then not claimed).
// At the default eta = 2 beta, KL(pi* || pi_k) <= (1+2beta)^-k
// KL(pi* || pi_0) for every game; stable up to eta ~ beta/rho (exactly: NashMpStabilityLimit below;
// any eta when rho <= beta).
// Reference: D. Tiapkin et al., "Accelerating Nash Learning from Human Feedback via Mirror Prox",
// arXiv:2505.19731 (v1).
#include "solver_base.h"

#include "nlhf/equilibrium.h"

namespace nlhf::solvers {
namespace {

// nash_mp(eta) is the extragradient update with a = eta / (1 + eta) (egpo at eta' = a / beta), stable
// iff a < ExtragradientLimit(rho/beta), which is >= 1 (any eta) iff rho <= beta; ~ beta/rho.
double NashMpStabilityLimit(double beta, double rho) {
  const double a = ExtragradientLimit(rho / beta);
  return rho <= beta ? std::numeric_limits<double>::infinity() : a / (1.0 - a);
}

class NashMp final : public AnchoredSolver {
 public:
  using AnchoredSolver::AnchoredSolver;

  void Reset(const SolverContext& c) override {
    BindGame(c);
    estimates_per_step_ = 2;
    // Any step is stable when rho < beta; beyond eta = 1e6 beta the half-step is the best response
    // to within 1e-6, so larger `auto` steps (rho ~ 0) are clamped there.
    const StepRange range{[&](double e) { return e <= 1e6 * beta_; }, 1e6 * beta_,
                          "eta <= 1e6 beta, beyond which the step is the best response"};
    eta_ = ResolveStep("eta", 2.0 * beta_, [&](double rho) { return NashMpAutoEta(beta_, rho); }, &range);
    default_step_ = !params_.Has("eta") || eta_ == 2.0 * beta_;
    BindAnchor();
    half_ = Eigen::VectorXd::Zero(game_->n());
  }

  bool AcceptsSampledOracle() const override { return true; }

  StepInfo Step() override {
    StepInfo info{0, 0, eta_};
    const double a = 1.0 / (1.0 + eta_), b = eta_ / beta_;
    EstimateIterateAndMove(info);
    half_ = a * (l_ + eta_ * anchor_ + b * g_);
    NormalizeLogitsInPlace(half_);
    pi_ = half_.array().exp();
    EstimateAgainst(pi_, pi_, info);
    l_ = a * (l_ + eta_ * anchor_ + b * g_);
    NormalizeLogitsInPlace(l_);
    MaybeMoveReference();
    return info;
  }

  std::optional<double> StabilityLimit() const override {
    if (!rho_) return std::nullopt;
    return NashMpStabilityLimit(beta_, *rho_);
  }
  std::optional<double> GuaranteedContraction() const override {
    if (!default_step_ || moving() || sampled()) return std::nullopt;
    return 1.0 / (1.0 + eta_);
  }

 private:
  double eta_ = 0.0;
  bool default_step_ = true;
  Eigen::VectorXd half_;
};

}  // namespace

SolverEntry NashMpEntry() {
  std::vector<ParamSpec> params = {StepParam("eta", "2 beta",
                "prox step; auto: beta/(2 rho), in [2 beta, 1e6 beta]; limit: exact, ~beta/rho (none if rho <= beta)", true)
          .AllowLimit()};
  for (ParamSpec& p : MovingReferenceParams()) params.push_back(std::move(p));
  return {"nash_mp", "Nash Mirror Prox: two half-steps anchored at pi_k; KL <= (1+2beta)^-k at eta = 2beta; 2 calls per "
          "iteration (or 2B queries with a sampled oracle)",
          std::move(params),
          [](const ParamMap& p, const std::string& key) { return std::make_unique<NashMp>("nash_mp", p, key); },
          {.stability_limit = NashMpStabilityLimit}};
}

}  // namespace nlhf::solvers
