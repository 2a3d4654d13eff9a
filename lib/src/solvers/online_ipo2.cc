// online_ipo2: the EGPO paper's "online IPO 2" baseline in exact form: SGD with rate lr on the
// pi-weighted online IPO loss L(theta) = sum_{y,y'} pi_y pi_y' (h_y - h_y')^2 with
// h = l - log mu - g(pi)/beta (pi and g(pi) held fixed), whose gradient is 4 pi (h - E_pi h):
//   r = l_k - log mu - g(pi_k)/beta;   l_k+1 = l_k - 4 lr pi_k * (r - E_pi r)   (+ normalizer)
// Per-action step 4 lr pi_y. One oracle call per iteration. Fixed point pi*_beta; unstable at the
// paper's lr for beta <= 0.01.
// Reference: Zhou et al., "Extragradient Preference Optimization (EGPO)", arXiv:2503.08942.
#include "solver_base.h"

namespace nlhf::solvers {
namespace {

class OnlineIpo2 final : public SolverBase {
 public:
  using SolverBase::SolverBase;

  void Reset(const SolverContext& c) override {
    BindGame(c);
    estimates_per_step_ = 1;
    lr_ = params_.Double("lr");
    KeepParam("lr");
    r_ = Eigen::VectorXd::Zero(game_->n());
  }

  StepInfo Step() override {
    EvaluateIterate();
    r_ = l_ - game_->log_mu() - g_ / beta_;
    const double mean = pi_.dot(r_);
    l_.array() -= 4.0 * lr_ * pi_.array() * (r_.array() - mean);
    NormalizeLogitsInPlace(l_);
    return {1, 0, lr_};
  }

 private:
  double lr_ = 0.0;
  Eigen::VectorXd r_;
};

}  // namespace

SolverEntry OnlineIpo2Entry() {
  return {"online_ipo2", "EGPO paper's online IPO 2: exact SGD on the pi-weighted online IPO loss",
          {ParamSpec::Double("lr", 0.02, "SGD learning rate (per-action step 4 lr pi_y); EGPO: 0.02 at beta = 0.01")
               .Above(0)},
          [](const ParamMap& p, const std::string& key) { return std::make_unique<OnlineIpo2>("online_ipo2", p, key); }};
}

}  // namespace nlhf::solvers
