// omd: online mirror descent on the regularized game (= INPO / online IPO / self-play policy
// gradient in the tabular limit):
//   l_k+1 = (1 - eta beta) l_k + eta beta log mu + eta g(pi_k)              (+ normalizer)
// One oracle call per iteration. Stable iff eta < 2 beta / (beta^2 + rho^2) (and eta beta <= 1);
// the best step beta / (beta^2 + rho^2) contracts KL by rho^2 / (beta^2 + rho^2) per iteration.
// Default 4 beta / (1 + 4 beta^2) (= mmd at 4 beta) is stable for every game (rho <= 1/2).
// References: Zhang et al., "Iterative Nash Policy Optimization" (INPO), arXiv:2407.00617;
// Calandriello et al., "Human Alignment of LLMs through Online Preference Optimisation",
// arXiv:2403.08635 (online IPO).
#include <algorithm>

#include "solver_base.h"

#include "nlhf/equilibrium.h"

namespace nlhf::solvers {
namespace {

// Linearized at pi*, the error mode along the eigenvalue i lambda of A D is multiplied by
// f = 1 - eta beta + i eta lambda; |f| < 1 for every lambda <= rho iff eta < 2 beta / (beta^2 + rho^2);
// eta beta <= 1 besides (the iterate is pushed away from mu beyond it).
double OmdStabilityLimit(double beta, double rho) {
  return std::min(2.0 * beta / (beta * beta + rho * rho), 1.0 / beta);
}
// The minimum of |f|^2 at lambda = rho: KL contracts by rho^2 / (beta^2 + rho^2) per iteration.
double OmdBestStep(double beta, double rho) { return beta / (beta * beta + rho * rho); }

class Omd final : public AnchoredSolver {
 public:
  using AnchoredSolver::AnchoredSolver;

  void Reset(const SolverContext& c) override {
    BindGame(c);
    estimates_per_step_ = 1;
    const StepRange range{[&](double e) { return e * beta_ <= 1.0; }, 1.0 / beta_, "eta*beta <= 1"};
    eta_ = ResolveStep(
        "eta", 4.0 * beta_ / (1.0 + 4.0 * beta_ * beta_), [&](double rho) { return OmdBestStep(beta_, rho); }, &range);
    if (!range.valid(eta_))  // a given step: resolved ones are in range
      RejectParam("eta", eta_, fmt::format("gives eta*beta = {} > 1 (the iterate would be pushed away from mu)", eta_ * beta_),
                  fmt::format("eta <= 1/beta = {}", 1.0 / beta_));
    BindAnchor();
  }
  bool AcceptsSampledOracle() const override { return true; }

  // With a sampled or pairs oracle g is the oracle's unbiased estimate (oracle.h): 0 oracle calls
  // and B queries per step (sampled self-play policy gradient / online IPO from sampled labels).
  StepInfo Step() override {
    StepInfo info{0, 0, eta_};
    EstimateIterateAndMove(info);
    l_ = (1.0 - eta_ * beta_) * l_ + (eta_ * beta_) * anchor_ + eta_ * g_;
    NormalizeLogitsInPlace(l_);
    MaybeMoveReference();
    return info;
  }

  std::optional<double> StabilityLimit() const override {
    if (!rho_) return std::nullopt;
    return OmdStabilityLimit(beta_, *rho_);
  }

 private:
  double eta_ = 0.0;
};

}  // namespace

SolverEntry OmdEntry() {
  std::vector<ParamSpec> params = {StepParam("eta", "4beta/(1+4beta^2)",
                                             "step; eta beta <= 1; auto: the best step beta/(beta^2+rho^2), clamped to eta beta <= 1; "
                                             "limit: min(2beta/(beta^2+rho^2), 1/beta)",
                                             true)
                                       .AllowLimit()};
  for (ParamSpec& p : MovingReferenceParams()) params.push_back(std::move(p));
  return {"omd", "online mirror descent (online IPO / INPO / self-play PG), one call per iteration (or B queries with a sampled oracle)",
          std::move(params),
          [](const ParamMap& p, const std::string& key) { return std::make_unique<Omd>("omd", p, key); },
          {.stability_limit = OmdStabilityLimit, .best_step = OmdBestStep}};
}

}  // namespace nlhf::solvers
