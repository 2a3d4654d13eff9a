// nash_mp_pg: approximate Nash Mirror Prox, the paper's practical method. Each of Nash-MP's two
// half-steps (nash_mp.cc) is the entropy-regularized bandit problem
//   max_theta  E_{y~pi_theta}[ r(y) ] - tau E_{y~pi_theta}[ log pi_theta(y) ],   tau = beta (1 + 1/eta),
//   r(y) = g(pi_opp)_y + beta log mu(y) + (beta/eta) log pi_k(y),
// whose maximizer is the closed-form half-step. It is solved approximately by T softmax
// policy-gradient steps on the normalized logits theta:
//   adv = g^ + beta log mu + (beta/eta) l_k - tau theta;   theta += lr pi_theta * (adv - E_pi adv)
// first against pi_opp = pi_k (warm start theta = l_k) giving pi_half, then against pi_opp = pi_half
// (warm start at pi_half, the inner sequence's previous iterate) giving pi_k+1.
// The preference term g^ is the oracle's estimate of g(pi_opp) = P pi_opp:
//   exact    g itself, one oracle call per half-step (the opponent is fixed during the inner steps):
//            2 calls per iteration; deterministic. Its fixed point is pi*_beta for every T (at
//            theta = l_k = log pi* the advantage is constant), and as T -> infinity (lr tau < 4)
//            each half-step converges to the closed form: nash_mp.
//   sampled/pairs  a fresh batch of B queries at every inner step, with y ~ pi_theta for the default
//            sampler `iterate`: then pi_theta * (g^ - E_pi g^) = (1/B) sum_b (e_{y_b} - pi_theta)(o_b - 1/2)
//            is exactly REINFORCE with baseline 1/2 (oracle.h); the `uniform` and `reference`
//            samplers give its importance-weighted off-policy version. 2 T B queries per iteration.
// Choices (the paper does not fix them for the tabular case): the regularization terms of the
// advantage are known functions of the policy and enter in expectation (no queries: only the
// preference is sampled), the inner step defaults to lr = 1/tau (the entropy term alone then moves
// each logit by the fraction pi_y of its distance to the optimum; vanilla softmax PG is slow on
// actions of small probability), and T defaults to 10. No contraction is claimed.
// Reference: D. Tiapkin et al., "Accelerating Nash Learning from Human Feedback via Mirror Prox",
// arXiv:2505.19731 (v1), approximate Nash-MP.
#include "solver_base.h"

namespace nlhf::solvers {
namespace {

class NashMpPg final : public SolverBase {
 public:
  using SolverBase::SolverBase;

  void Reset(const SolverContext& c) override {
    BindGame(c);
    eta_ = ResolveStep("eta", 2.0 * beta_);
    tau_ = beta_ * (1.0 + 1.0 / eta_);
    inner_steps_ = params_.Int("inner_steps");
    KeepParam("inner_steps");
    // Exact: g(pi_k) and g(pi_half), each fixed during its inner steps; sampled: one batch per inner step.
    estimates_per_step_ = sampled() ? 2 * inner_steps_ : 2;
    lr_ = params_.Has("inner_lr") ? params_.Double("inner_lr") : 1.0 / tau_;
    // Near the half-step's optimum an inner step maps the logit error d to (I - lr tau C) d, with
    // C = diag(pi) - pi pi^T (the covariance of a one-hot draw, eigenvalues in [0, 1/2]): stable on
    // every policy iff lr tau < 4.
    if (!std::isfinite(lr_) || !(lr_ * tau_ < 4.0))
      RejectParam("inner_lr", lr_,
                  fmt::format("gives inner_lr * tau = {:.6g} >= 4 (tau = beta (1 + 1/eta) = {:.6g}): the inner "
                              "policy-gradient steps are unstable near the optimum",
                              lr_ * tau_, tau_),
                  fmt::format("inner_lr < 4/tau = {:.6g} (default 1/tau)", 4.0 / tau_));
    effective_.Set("inner_lr", lr_);
    const Eigen::Index n = game_->n();
    reg_ = opp_ = adv_ = Eigen::VectorXd::Zero(n);
  }

  bool AcceptsSampledOracle() const override { return true; }

  bool TakesOffers() const override { return false; }  // its half-steps compute P pi themselves (EstimateAgainst)

  StepInfo Step() override {
    StepInfo info{0, 0, eta_};
    // The anchor terms of the reward, fixed for both half-steps: beta log mu + (beta/eta) l_k.
    reg_ = beta_ * game_->log_mu() + (beta_ / eta_) * l_;
    opp_ = l_.array().exp();
    SolveHalfStep(info);  // l_: pi_half
    opp_ = l_.array().exp();
    SolveHalfStep(info);  // l_: pi_k+1
    return info;
  }

 private:
  // T policy-gradient steps on l_ (the warm start) against opp_.
  void SolveHalfStep(StepInfo& info) {
    if (!sampled()) EstimateAgainst(opp_, opp_, info);  // g_ = P opp, fixed for the inner steps
    for (std::int64_t t = 0; t < inner_steps_; ++t) {
      pi_ = l_.array().exp();
      if (sampled()) EstimateAgainst(pi_, opp_, info);  // y ~ pi_theta: REINFORCE
      adv_ = g_ + reg_ - tau_ * l_;
      const double mean = pi_.dot(adv_);
      l_.array() += lr_ * pi_.array() * (adv_.array() - mean);
      NormalizeLogitsInPlace(l_);
    }
  }

  double eta_ = 0.0, tau_ = 0.0, lr_ = 0.0;
  std::int64_t inner_steps_ = 0;
  Eigen::VectorXd reg_, opp_, adv_;
};

}  // namespace

SolverEntry NashMpPgEntry() {
  return {"nash_mp_pg",
          "approximate Nash-MP: each half-step solved by T softmax policy-gradient steps (REINFORCE from B queries "
          "with a sampled oracle: 2TB queries per iteration; 2 calls exact)",
          {StepParam("eta", "2 beta", "prox step of the outer Nash-MP iteration", false),
           ParamSpec::Int("inner_steps", 10, "T: policy-gradient steps per half-step").Range(1, 1e6),
           ParamSpec::Double("inner_lr", std::nullopt,
                             "inner policy-gradient step on the logits; needs inner_lr beta (1+1/eta) < 4")
               .Above(0)
               .Optional("1/(beta (1+1/eta))")},
          [](const ParamMap& p, const std::string& key) { return std::make_unique<NashMpPg>("nash_mp_pg", p, key); }};
}

}  // namespace nlhf::solvers
