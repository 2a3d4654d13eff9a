// nash_md_pg: the EGPO paper's "Nash-MD-PG" baseline in exact form: the exact softmax policy
// gradient of J(theta) = E_{y~pi_theta} g(nu)_y - beta KL(pi_theta || mu) against the mixture
// opponent nu = mix_c(pi, mu) (held fixed):
//   q = g(nu) - beta (l_k - log mu);   l_k+1 = l_k + lr pi_k * (q - E_pi q)   (+ normalizer)
// One oracle call per iteration, or B queries with a sampled/pairs oracle (g(nu) estimated with y from
// the sampler, `iterate` = pi_k, and y' from nu: the EGPO code's empirical mode with sampler uniform
// and type pairs). Its fixed point is the biased BR_beta(pi*_{beta/(1-c)}), not
// pi*_beta. The paper's code uses c = 2 lr / n.
// Reference: Zhou et al., "Extragradient Preference Optimization (EGPO)", arXiv:2503.08942.
#include "solver_base.h"

namespace nlhf::solvers {
namespace {

class NashMdPg final : public SolverBase {
 public:
  using SolverBase::SolverBase;

  void Reset(const SolverContext& c) override {
    BindGame(c);
    estimates_per_step_ = 1;
    lr_ = params_.Double("lr");
    KeepParam("lr");
    mixture_ = params_.Has("mixture") ? params_.Double("mixture") : 2.0 * lr_ / static_cast<double>(game_->n());
    if (!(mixture_ < 1.0))
      RejectParam("mixture", mixture_, "is not a mixture weight below 1 (2 lr / n by default)",
                  "a mixture in [0, 1): set mixture, or lr < n/2");
    effective_.Set("mixture", mixture_);
    nu_ = Eigen::VectorXd::Zero(game_->n());
    q_ = Eigen::VectorXd::Zero(game_->n());
    self_ = Eigen::VectorXd::Zero(game_->n());
  }

  bool AcceptsSampledOracle() const override { return true; }

  bool TakesOffers() const override { return false; }  // the step starts at the mixture nu, not at the iterate

  StepInfo Step() override {
    const Eigen::VectorXd& m = game_->log_mu();
    nu_ = (1.0 - mixture_) * l_ + mixture_ * m;
    NormalizeLogitsInPlace(nu_);
    pi_ = nu_.array().exp();  // the opponent's probabilities
    StepInfo info{0, 0, lr_};
    if (sampled()) self_ = l_.array().exp();
    EstimateAgainst(self_, pi_, info);
    q_ = g_ - beta_ * (l_ - m);
    pi_ = l_.array().exp();
    const double mean = pi_.dot(q_);
    l_.array() += lr_ * pi_.array() * (q_.array() - mean);
    NormalizeLogitsInPlace(l_);
    return info;
  }

  SolverTarget Target() const override { return SolverTarget::kBiased; }
  double BiasedMixture() const override { return mixture_; }

 private:
  double lr_ = 0.0;
  double mixture_ = 0.0;
  Eigen::VectorXd nu_, q_;
  Eigen::VectorXd self_;  // exp(l_k), the sampled oracle's `iterate` policy
};

}  // namespace

SolverEntry NashMdPgEntry() {
  return {"nash_md_pg", "EGPO paper's Nash-MD-PG: softmax policy gradient against mix_c(pi, mu) (biased); exact, or from B "
          "queries with a sampled oracle",
          {ParamSpec::Double("lr", 0.02, "policy-gradient learning rate; EGPO: 0.02 at beta = 0.01").Above(0),
           ParamSpec::Double("mixture", std::nullopt, "opponent mixture weight c").HalfOpen(0, 1).Optional("2 lr / n")},
          [](const ParamMap& p, const std::string& key) { return std::make_unique<NashMdPg>("nash_md_pg", p, key); }};
}

}  // namespace nlhf::solvers
