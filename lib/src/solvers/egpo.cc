// egpo: Extragradient Preference Optimization, in the OMD step convention (eta' per half-step):
//   l_half = (1 - eta' beta) l_k + eta' beta log mu + eta' g(pi_k)
//   l_k+1  = (1 - eta' beta) l_k + eta' beta log mu + eta' g(pi_half)       (+ normalizer)
// Two oracle calls per iteration, or 2B queries with a sampled/pairs oracle: g(pi_k) and g(pi_half)
// are then the oracle's unbiased estimates, the `iterate` sampler drawing y from the policy whose
// g is estimated (pi_k, then pi_half: self-play at each point). Identical to nash_mp with eta = eta' beta / (1 - eta' beta)
// (so nash_mp(eta) = egpo(eta / (beta (1 + eta)))); the default eta' = 1/(beta + 1/2) is nash_mp's
// 2 beta. Stable up to eta' ~ 1/(beta + rho) (exactly: EgpoStabilityLimit below); eta' beta < 2 is
// necessary.
// References: Zhou et al., "Extragradient Preference Optimization (EGPO)", arXiv:2503.08942;
// the same update is Cen, Wei and Chi's "PU" method (arXiv:2105.15186).
#include "solver_base.h"

#include "nlhf/equilibrium.h"

namespace nlhf::solvers {
namespace {

// The extragradient update with a = eta' beta is stable iff a < ExtragradientLimit(rho/beta);
// ~ 1/(beta + rho).
double EgpoStabilityLimit(double beta, double rho) { return ExtragradientLimit(rho / beta) / beta; }

class Egpo final : public AnchoredSolver {
 public:
  using AnchoredSolver::AnchoredSolver;

  void Reset(const SolverContext& c) override {
    BindGame(c);
    estimates_per_step_ = 2;
    const double def = 1.0 / (beta_ + 0.5);
    // eta' beta < 2 is necessary; the auto step is at most 1/beta (nash_mp's eta -> infinity).
    const StepRange range{[&](double e) { return e * beta_ < 2.0; }, 1.0 / beta_, "eta*beta < 2"};
    eta_ = ResolveStep(
        "eta", def,
        [&](double rho) {
          const double e = NashMpAutoEta(beta_, rho);  // the same safe step, in nash_mp's convention
          return 1.0 / (beta_ * (1.0 + 1.0 / e));      // = e / (beta (1 + e)), finite for e = inf
        },
        &range);
    if (!range.valid(eta_))  // a given step: resolved ones are in range
      RejectParam("eta", eta_, fmt::format("gives eta*beta = {} >= 2 (always unstable)", eta_ * beta_),
                  fmt::format("eta < 2/beta = {}", 2.0 / beta_));
    default_step_ = !params_.Has("eta") || eta_ == def;
    BindAnchor();
    half_ = Eigen::VectorXd::Zero(game_->n());
  }

  bool AcceptsSampledOracle() const override { return true; }

  StepInfo Step() override {
    StepInfo info{0, 0, eta_};
    const double keep = 1.0 - eta_ * beta_, pull = eta_ * beta_;
    EstimateIterateAndMove(info);
    half_ = keep * l_ + pull * anchor_ + eta_ * g_;
    NormalizeLogitsInPlace(half_);
    pi_ = half_.array().exp();
    EstimateAgainst(pi_, pi_, info);
    l_ = keep * l_ + pull * anchor_ + eta_ * g_;
    NormalizeLogitsInPlace(l_);
    MaybeMoveReference();
    return info;
  }

  std::optional<double> StabilityLimit() const override {
    if (!rho_) return std::nullopt;
    return EgpoStabilityLimit(beta_, *rho_);
  }
  std::optional<double> GuaranteedContraction() const override {
    if (!default_step_ || moving() || sampled()) return std::nullopt;
    return 1.0 / (1.0 + 2.0 * beta_);  // nash_mp at 2 beta
  }

 private:
  double eta_ = 0.0;
  bool default_step_ = true;
  Eigen::VectorXd half_;
};

}  // namespace

SolverEntry EgpoEntry() {
  std::vector<ParamSpec> params = {StepParam("eta", "1/(beta + 1/2)",
                                             "OMD-convention step eta'; eta' beta < 2; auto: nash_mp's auto step; limit: "
                                             "exact, ~1/(beta+rho)",
                                             true)
                                       .AllowLimit()};
  for (ParamSpec& p : MovingReferenceParams()) params.push_back(std::move(p));
  return {"egpo", "extragradient (EGPO = Cen-Wei-Chi PU) in the OMD convention; = nash_mp(2beta) at its default; 2 calls "
          "per iteration (or 2B queries with a sampled oracle)",
          std::move(params),
          [](const ParamMap& p, const std::string& key) { return std::make_unique<Egpo>("egpo", p, key); },
          {.stability_limit = EgpoStabilityLimit}};
}

}  // namespace nlhf::solvers
