// nash_md: Nash mirror descent. Plays against the geometric mixture nu = mix_{eta beta}(pi, mu),
// nu ∝ pi^(1 - eta beta) mu^(eta beta), and steps from it:
//   log nu = (1 - eta beta) l_k + eta beta log mu       (+ normalizer)
//   l_k+1  = log nu + eta g(nu)                          (+ normalizer)
// One oracle call per iteration, or B queries with a sampled/pairs oracle: g(nu) is then the oracle's
// unbiased estimate, y drawn from the sampler (`iterate`: the current pi_k, the policy the step
// updates) and y' from nu, as in the EGPO code's empirical runs. schedule: decaying (default) eta_t = 2 / (beta (t + 2)) converges
// to pi*_beta (KL = O(1/t^2) after a transient of ~(rho/beta)^2 iterations); constant eta converges
// to the biased point BR_beta(pi*_{beta/(1 - eta beta)}).
// The decaying schedule's transient is expected, not a bug: eta_0 beta = 1, so nu_0 = mu and the
// first iterate is BR_beta(mu) = log mu + g(mu)/beta, near-pure when (max - min of g(mu))/beta is
// large; at beta = 0.001 gap_beta jumps to ~1 within a few iterations and stays near it for ~10^4
// iterations before falling as O(1/t) (measured on random_uniform n = 10: gap 0.36 at t = 0, 0.8
// at t = 1..3000, 0.38 at 17783, 1.8e-4 at 10^6; rho = 0.18, 4 (rho/beta)^2 = 1.3e5). Reset notes
// it when the first step moves the logits by more than kLargeFirstStep.
// anchor: iterate reproduces the EGPO authors' "Nash-MD", which is not Munos et al.'s: an OMD step
// anchored at the iterate against the mixture opponent,
//   l_k+1 = (1 - eta beta) l_k + eta beta log mu + eta g(mix_c(pi, mu)),  c = `mixture`
// (their code: eta beta = 4 lr / n, c = 2 lr / n, so c defaults to eta beta / 2); its fixed point is
// BR_beta(pi*_{beta/(1 - c)}).
// References: Munos et al., "Nash Learning from Human Feedback", arXiv:2312.00886 (Nash-MD);
// Zhou et al., arXiv:2503.08942 and its code (the iterate-anchored variant).
#include "solver_base.h"

namespace nlhf::solvers {
namespace {

// A first step that moves the logits by more than this (probability ratios beyond e^10) makes the
// first iterate nearly pure.
constexpr double kLargeFirstStep = 10.0;
// ... and a transient shorter than this many iterations is not worth a note.
constexpr std::int64_t kLongTransient = 100;

class NashMd final : public SolverBase {
 public:
  using SolverBase::SolverBase;

  void Reset(const SolverContext& c) override {
    BindGame(c);
    estimates_per_step_ = 1;
    transient_ = 0;
    decaying_ = params_.String("schedule") == "decaying";
    iterate_anchor_ = params_.String("anchor") == "iterate";
    KeepParam("schedule");
    KeepParam("anchor");
    if (decaying_) {
      if (params_.Has("eta"))
        throw InputError(key_ + ".eta", "is set but schedule is decaying (eta_t = 2/(beta(t+2))), expected "
                                        "no eta, or schedule: constant");
      eta_ = 0.0;
      NoteTransient();
    } else {
      // omd's always-stable default: nash_md is an OMD step against a nearby mixture.
      const StepRange range{[&](double e) { return e * beta_ <= 1.0; }, 1.0 / beta_, "eta*beta <= 1"};
      eta_ = ResolveStep("eta", 4.0 * beta_ / (1.0 + 4.0 * beta_ * beta_), nullptr, &range);
      if (!range.valid(eta_))
        RejectParam("eta", eta_, fmt::format("gives eta*beta = {} > 1 (not a mixture)", eta_ * beta_),
                    fmt::format("eta <= 1/beta = {}", 1.0 / beta_));
    }
    if (params_.Has("mixture")) {
      if (!iterate_anchor_)
        throw InputError(key_ + ".mixture", "is set but anchor is mixture (the mixture weight is eta beta), "
                                            "expected no mixture, or anchor: iterate");
      mixture_ = params_.Double("mixture");
      effective_.Set("mixture", mixture_);
    } else if (iterate_anchor_ && !decaying_) {
      mixture_ = eta_ * beta_ / 2.0;
      effective_.Set("mixture", mixture_);
    }
    // The opponent's mixture weight is the constant mixture_ exactly when it was set above;
    // otherwise it follows the step (eta beta, or eta beta / 2 when anchored at the iterate).
    fixed_mixture_ = effective_.Has("mixture");
    t_ = 0;
    nu_ = Eigen::VectorXd::Zero(game_->n());
    self_ = Eigen::VectorXd::Zero(game_->n());
  }

  bool AcceptsSampledOracle() const override { return true; }

  bool TakesOffers() const override { return false; }  // the step starts at the mixture nu, not at the iterate

  StepInfo Step() override {
    const double eta = decaying_ ? 2.0 / (beta_ * static_cast<double>(t_ + 2)) : eta_;
    const double w = eta * beta_;  // weight of mu in the step
    const double c = fixed_mixture_ ? mixture_ : (iterate_anchor_ ? w / 2.0 : w);
    const Eigen::VectorXd& m = game_->log_mu();
    nu_ = (1.0 - c) * l_ + c * m;
    NormalizeLogitsInPlace(nu_);
    pi_ = nu_.array().exp();
    StepInfo info{0, 0, eta};
    if (sampled()) self_ = l_.array().exp();
    EstimateAgainst(self_, pi_, info);
    if (iterate_anchor_) {
      l_ = (1.0 - w) * l_ + w * m + eta * g_;
    } else {
      l_ = nu_ + eta * g_;
    }
    NormalizeLogitsInPlace(l_);
    ++t_;
    return info;
  }

  SolverTarget Target() const override {
    return decaying_ && !fixed_mixture_ ? SolverTarget::kPiStar : SolverTarget::kBiased;
  }
  double BiasedMixture() const override { return iterate_anchor_ ? mixture_ : eta_ * beta_; }
  std::int64_t TransientIterations() const override { return transient_; }

 private:
  // The decaying schedule's transient: about (rho/beta)^2 iterations (docs/mathematics.md); 4 (rho/beta)^2
  // with rho <= 1/2 when rho is unknown, so the stall warning does not fire inside it. Noted when
  // the first step is large.
  void NoteTransient() {
    const double r = rho_.value_or(0.5) / beta_, iterations = 4.0 * r * r;
    transient_ = iterations < 1e15 ? static_cast<std::int64_t>(iterations) : std::int64_t{1000000000000000};
    // The first step: eta_0 = 1/beta from nu_0 = mu, so the logits move by g(mu)/beta.
    game_->Apply(game_->mu(), g_);
    const double move = (g_.maxCoeff() - g_.minCoeff()) / beta_;
    // With rho ~ 0 (a Condorcet winner) the near-pure first iterate is already close to pi*.
    if (move > kLargeFirstStep && transient_ >= kLongTransient)
      notes_.push_back(fmt::format(
          "decaying schedule (expected, not a failure): the first step eta_0 = 1/beta = {:.4g} moves the logits by "
          "up to {:.3g}, so gap_beta first rises towards 1 and falls as O(1/t) only after a transient of up to "
          "~4 (rho/beta)^2 = {:.3g} iterations; schedule: constant or nash_mp have no such transient",
          1.0 / beta_, move, static_cast<double>(transient_)));
  }

  std::int64_t transient_ = 0;
  bool decaying_ = true;
  bool iterate_anchor_ = false;
  bool fixed_mixture_ = false;
  double eta_ = 0.0;
  double mixture_ = 0.0;
  std::int64_t t_ = 0;
  Eigen::VectorXd nu_;
  Eigen::VectorXd self_;  // exp(l_k), the sampled oracle's `iterate` policy
};

std::string OneOf(const ParamValue& v, std::initializer_list<const char*> options) {
  const std::string& s = std::get<std::string>(v);
  for (const char* o : options)
    if (s == o) return "";
  std::string list;
  for (const char* o : options) list += (list.empty() ? "" : " or ") + std::string(o);
  return "is not allowed, expected " + list;
}

}  // namespace

SolverEntry NashMdEntry() {
  return {"nash_md",
          "Nash mirror descent against mix(pi, mu), one call per iteration (or B queries with a sampled oracle); "
          "decaying step -> pi* after a transient (its first steps "
          "2/(beta(t+2)) are huge at small beta: gap_beta first rises to ~1), constant -> biased point",
          {ParamSpec::String("schedule", "decaying", "step schedule")
               .Check([](const ParamValue& v) { return OneOf(v, {"decaying", "constant"}); },
                      "decaying (eta_t = 2/(beta(t+2))) or constant"),
           StepParam("eta", "4beta/(1+4beta^2)", "constant step (schedule: constant); eta beta <= 1", false),
           ParamSpec::String("anchor", "mixture", "where the step is anchored")
               .Check([](const ParamValue& v) { return OneOf(v, {"mixture", "iterate"}); },
                      "mixture (Munos et al.) or iterate (the EGPO code's variant)"),
           ParamSpec::Double("mixture", std::nullopt, "opponent mixture weight c (anchor: iterate)")
               .HalfOpen(0, 1)
               .Optional("eta beta / 2")},
          [](const ParamMap& p, const std::string& key) { return std::make_unique<NashMd>("nash_md", p, key); }};
}

}  // namespace nlhf::solvers
