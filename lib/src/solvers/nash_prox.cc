// nash_prox: Nash Prox, the proximal-point method with sampled self-play inner solves (the v2
// paper's fix for the stability limitation of self-play policy gradient). Outer step k targets
// prox_eta(pi_k) (prox.cc): the equilibrium of the subgame with strength and reference
//   beta' = beta (1 + 1/eta),     l_ref = (l_k + eta log mu) / (1 + eta)   (normalized),
// approximated by T self-play policy-gradient steps on that subgame (omd.cc with beta', l_ref),
// warm-started at pi_k:
//   l <- (1 - eta_in beta') l + eta_in beta' l_ref + eta_in g^(pi_l)        (+ normalizer), T times
// where g^ is the oracle's estimate of P pi_l from B queries (y from the sampler, default the iterate;
// y' ~ pi_l: self-play), or P pi_l itself with the exact oracle.
// Cost per outer iteration: T B queries (sampled/pairs) or T oracle calls (exact).
// Why it can help: the inner steps face a game regularized by beta' > beta, whose self-play
// stability limit 2 beta' / (beta'^2 + rho'^2) is larger than omd's 2 beta / (beta^2 + rho^2) on the
// game itself when rho^2 > beta beta' (taking rho' ~ rho): where self-play is limited by rho, not by
// beta. There a self-play step that makes omd oscillate can be stable inside, and the outer loop
// removes the extra regularization (its fixed point is pi*_beta: at pi_k = pi*_beta, pi*_beta is the
// subgame's equilibrium). It extends the stable range, it does not remove it (measured in
// experiments/self_play_stability: up to ~1.7-2x omd's limit at eta = 1, ~2.6-3.8x at eta = 0.25);
// when rho^2 <= beta beta' the cap inner_eta beta' <= 1 makes the inner range smaller than omd's.
// With a sampled oracle the inner step is omd's with the importance-weighted estimate (oracle.h):
// one query moves a logit by up to inner_eta / (B q(y)), so at a small batch with the `iterate`
// sampler rare actions make large jumps (the `uniform` sampler bounds q(y) below by 1/n). With the exact oracle and T -> infinity each outer step is exactly `prox`
// (KL(pi* || pi_k) contracts by 1/(1+eta)).
// Choices (the paper's exact constants are not available here): T defaults to 10, the inner step to
// omd's default for the subgame, 4 beta' / (1 + 4 beta'^2), which is stable on every game
// (rho' <= 1/2); the inner solve is not run to a tolerance (that would need exact gap evaluations).
// Reference: D. Tiapkin et al., "Accelerating Nash Learning from Human Feedback via Mirror Prox",
// arXiv:2505.19731 (v2), Nash Prox.
#include "solver_base.h"

namespace nlhf::solvers {
namespace {

class NashProx final : public SolverBase {
 public:
  using SolverBase::SolverBase;

  void Reset(const SolverContext& c) override {
    BindGame(c);
    eta_ = ResolveStep("eta", 1.0);
    sub_beta_ = ProximalStrength(eta_);
    inner_steps_ = params_.Int("inner_steps");
    KeepParam("inner_steps");
    estimates_per_step_ = inner_steps_;  // one estimate per inner step
    const StepRange range{[&](double e) { return e * sub_beta_ <= 1.0; }, 1.0 / sub_beta_,
                          "inner_eta beta (1+1/eta) <= 1"};
    inner_eta_ = ResolveStep("inner_eta", 4.0 * sub_beta_ / (1.0 + 4.0 * sub_beta_ * sub_beta_), nullptr, &range);
    if (!range.valid(inner_eta_))
      RejectParam("inner_eta", inner_eta_,
                  fmt::format("gives inner_eta beta' = {:.6g} > 1, beta' = beta (1+1/eta) = {:.6g} (the inner "
                              "step would push the iterate away from the subgame's reference)",
                              inner_eta_ * sub_beta_, sub_beta_),
                  fmt::format("inner_eta <= 1/beta' = {:.6g}", 1.0 / sub_beta_));
    sub_ref_ = Eigen::VectorXd::Zero(game_->n());
  }

  bool AcceptsSampledOracle() const override { return true; }

  StepInfo Step() override {
    StepInfo info{0, 0, eta_};
    ProximalReference(eta_, sub_ref_);
    const double keep = 1.0 - inner_eta_ * sub_beta_, pull = inner_eta_ * sub_beta_;
    for (std::int64_t t = 0; t < inner_steps_; ++t) {
      EstimateIterate(info);
      l_ = keep * l_ + pull * sub_ref_ + inner_eta_ * g_;
      NormalizeLogitsInPlace(l_);
    }
    return info;
  }

 private:
  double eta_ = 1.0, sub_beta_ = 0.0, inner_eta_ = 0.0;
  std::int64_t inner_steps_ = 0;
  Eigen::VectorXd sub_ref_;
};

}  // namespace

SolverEntry NashProxEntry() {
  return {"nash_prox",
          "Nash Prox: proximal-point outer steps, each subgame solved by T self-play policy-gradient (omd) steps; T B "
          "queries per iteration with a sampled oracle (T calls exact)",
          {StepParam("eta", "1", "outer proximal step; the subgame has strength beta (1+1/eta)", false),
           ParamSpec::Int("inner_steps", 10, "T: self-play steps per outer step").Range(1, 1e6),
           StepParam("inner_eta", "4b'/(1+4b'^2), b' = beta (1+1/eta)",
                     "inner self-play (omd) step on the subgame; inner_eta b' <= 1", false)},
          [](const ParamMap& p, const std::string& key) { return std::make_unique<NashProx>("nash_prox", p, key); }};
}

}  // namespace nlhf::solvers
