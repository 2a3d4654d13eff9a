// Solver identities (docs/mathematics.md, solvers), the exact-gradient forms of the EGPO baselines, and
// parameter validation.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <complex>
#include <optional>

#include <Eigen/Eigenvalues>

#include "nlhf/equilibrium.h"
#include "nlhf/generators.h"
#include "nlhf/metrics.h"
#include "nlhf/run.h"
#include "nlhf/solver.h"
#include "test_util.h"

namespace nlhf {
namespace {

using testing::ExpectInputError;
using testing::LimitOf;

std::unique_ptr<Solver> Started(const std::string& spec, const Game& game, double beta,
                                const Eigen::VectorXd& init = {}) {
  auto solver = MakeSolver(spec);
  SolverContext c;
  c.game = &game;
  c.beta = beta;
  c.init = init;
  solver->Reset(c);
  return solver;
}

// Runs both solvers `steps` iterations from the same start; returns max |pi_a - pi_b| over all steps.
double MaxPolicyDifference(const std::string& a, const std::string& b, const Game& game, double beta,
                           int steps) {
  Rng rng(3, "identity");
  const Eigen::VectorXd init = testing::RandomLogits(game.n(), rng, 1.0);
  auto sa = Started(a, game, beta, init), sb = Started(b, game, beta, init);
  double worst = 0.0;
  for (int k = 0; k < steps; ++k) {
    sa->Step();
    sb->Step();
    const Eigen::VectorXd pa = sa->current().array().exp(), pb = sb->current().array().exp();
    worst = std::max(worst, (pa - pb).cwiseAbs().maxCoeff());
  }
  return worst;
}

std::string Num(double x) { return fmt::format("{}", x); }

// Central finite-difference gradient of f at x.
template <class F>
Eigen::VectorXd FiniteDifferenceGradient(const F& f, const Eigen::VectorXd& x, double eps = 1e-6) {
  Eigen::VectorXd grad(x.size());
  for (Eigen::Index z = 0; z < x.size(); ++z) {
    Eigen::VectorXd up = x, down = x;
    up[z] += eps;
    down[z] -= eps;
    grad[z] = (f(up) - f(down)) / (2 * eps);
  }
  return grad;
}

// Steps far beyond any stability limit on a game with ties (a tournament): the logits reach 1e20 and
// more, yet each iterate is a distribution (it summed to 4, and gap_0 came out 7, at eta = 1e20).
TEST(SolverIterates, AreDistributionsWhateverTheScaleOfTheirLogits) {
  const Game game = MakeGame("tournament(n=30)", "uniform", 0);
  for (const char* spec : {"omwu(eta=1e20)", "mwu(eta=1e10)", "omd(eta=1e12)"}) {
    auto solver = Started(spec, game, 0.0);
    for (int k = 0; k < 50; ++k) {
      solver->Step();
      const Eigen::VectorXd& l = solver->current();
      if (!l.allFinite()) break;  // (a non-finite iterate is the driver's numerical failure)
      ASSERT_NEAR(l.array().exp().sum(), 1.0, 1e-14) << spec << " at step " << k + 1;
    }
  }
}

// Constant-step nash_md at eta beta = 1, the largest step it allows: the mixture is mu, so its limit
// is mu's best response (beta / (1 - c) is infinite; the run failed with "beta: inf is not allowed").
TEST(SolverTargets, NashMdAtEtaBetaOneTargetsMusBestResponse) {
  const Game game = MakeGame("random_uniform(n=10)", "softmax_normal", 0);
  const double beta = 0.01;
  auto solver = Started("nash_md(schedule=constant,eta=100)", game, beta);
  ASSERT_EQ(solver->Target(), SolverTarget::kBiased);
  ASSERT_EQ(solver->BiasedMixture(), 1.0);
  const Equilibrium star = SolveEquilibrium(game, beta);
  std::vector<std::string> warnings;
  const std::optional<double> target = TargetGapBeta(*solver, game, beta, star, warnings);
  ASSERT_TRUE(target.has_value());
  EXPECT_TRUE(warnings.empty());
  solver->Step();  // from any start, one step lands on BR_beta(mu)
  const Eigen::VectorXd br = BiasedLimitLogits(game, beta, 1.0);
  EXPECT_LE((solver->current() - br).cwiseAbs().maxCoeff(), 1e-12);
  EXPECT_NEAR(*target, GapBeta(game, beta, Evaluate(game, solver->current())), 1e-12);
}

TEST(SolverIdentities, NashMpEqualsEgpoWithMappedStep) {
  const Game game = MakeGame("random_uniform(n=12)", "softmax_normal", 1);
  for (double beta : {0.01, 0.1, 1.0}) {
    // Steps inside the stable range (nash_mp: eta < beta/rho, rho ~ 0.13 here); beyond it the
    // iteration amplifies the rounding differences between the two (exactly equal) formulas.
    for (double eta : {2 * beta, 3 * beta, 6 * beta}) {
      const double egpo_eta = eta / (beta * (1 + eta));
      EXPECT_LE(MaxPolicyDifference("nash_mp(eta=" + Num(eta) + ")", "egpo(eta=" + Num(egpo_eta) + ")", game, beta, 100),
                1e-13)
          << beta << " " << eta;
    }
    // The defaults are the same method: egpo's 1/(beta + 1/2) is nash_mp's 2 beta, 1 - eta' beta = 1/(1+2beta).
    EXPECT_LE(MaxPolicyDifference("nash_mp", "egpo", game, beta, 100), 1e-13);
    EXPECT_NEAR(1 - beta / (beta + 0.5), 1 / (1 + 2 * beta), 1e-15);
  }
}

TEST(SolverIdentities, MmdEqualsOmdWithMappedStep) {
  const Game game = MakeGame("bt_mixture(n=9)", "zipf", 2);
  for (double beta : {0.01, 0.1, 1.0}) {
    for (double eta : {4 * beta, 0.5, 3.0}) {
      EXPECT_LE(MaxPolicyDifference("mmd(eta=" + Num(eta) + ")", "omd(eta=" + Num(eta / (1 + eta * beta)) + ")", game,
                                    beta, 100),
                1e-13);
    }
    // omd's default 4beta/(1+4beta^2) is mmd at 4 beta.
    EXPECT_LE(MaxPolicyDifference("mmd", "omd", game, beta, 100), 1e-13);
  }
}

// nash_md differs from omd only in playing against mix(pi, mu): with the opponent mixture weight 0
// (anchored at the iterate), it is omd.
TEST(SolverIdentities, NashMdAgainstThePolicyItselfIsOmd) {
  const Game game = MakeGame("random_uniform(n=8)", "softmax_normal", 4);
  EXPECT_LE(MaxPolicyDifference("nash_md(schedule=constant,eta=0.3,anchor=iterate,mixture=0)", "omd(eta=0.3)", game,
                                0.1, 100),
            1e-13);
}

// mmd is one nash_mp half-step taken as the next iterate (nash_mp's eta = mmd's eta beta).
TEST(SolverIdentities, MmdIsANashMpHalfStep) {
  const Game game = MakeGame("random_uniform(n=10)", "uniform", 5);
  const double beta = 0.05, eta = 2.0;
  Rng rng(6, "half");
  const Eigen::VectorXd l = testing::RandomLogits(10, rng, 1.0);
  auto mmd = Started("mmd(eta=" + Num(eta) + ")", game, beta, l);
  mmd->Step();
  const double e = eta * beta;  // nash_mp's step
  const Eigen::VectorXd g = game.Payoff(l.array().exp().matrix());
  const Eigen::VectorXd half = NormalizeLogits((l + e * game.log_mu() + (e / beta) * g) / (1 + e));
  EXPECT_LE((mmd->current() - half).cwiseAbs().maxCoeff(), 1e-13);
}

// One online_ipo2 step is an SGD step on L(theta) = sum_{y,y'} pi_y pi_y' (h_y - h_y')^2,
// h = log softmax(theta) - log mu - g(pi)/beta, with pi and g(pi) held at the current iterate.
TEST(SolverGradients, OnlineIpo2StepIsSgdOnItsLoss) {
  const Game game = MakeGame("random_uniform(n=6)", "softmax_normal", 7);
  const double beta = 0.1, lr = 0.05;
  Rng rng(8, "fd");
  const Eigen::VectorXd l = testing::RandomLogits(6, rng, 1.0);
  const Eigen::VectorXd pi = l.array().exp();
  const Eigen::VectorXd g = game.Payoff(pi);
  auto loss = [&](const Eigen::VectorXd& theta) {
    const Eigen::VectorXd h = NormalizeLogits(theta) - game.log_mu() - g / beta;
    double s = 0.0;
    for (int y = 0; y < 6; ++y)
      for (int z = 0; z < 6; ++z) s += pi[y] * pi[z] * (h[y] - h[z]) * (h[y] - h[z]);
    return s;
  };
  const Eigen::VectorXd grad = FiniteDifferenceGradient(loss, l);
  auto solver = Started("online_ipo2(lr=" + Num(lr) + ")", game, beta, l);
  solver->Step();
  Eigen::VectorXd step = solver->current() - l, expected = -lr * grad;
  step.array() -= step.mean();  // normalization shifts by a constant
  expected.array() -= expected.mean();
  EXPECT_LE((step - expected).cwiseAbs().maxCoeff(), 1e-8);
}

// One nash_md_pg step is gradient ascent on J(theta) = <softmax(theta), g(nu)> - beta KL(softmax(theta) || mu),
// nu = mix_c(pi, mu) held at the current iterate.
TEST(SolverGradients, NashMdPgStepIsTheExactPolicyGradient) {
  const Game game = MakeGame("random_uniform(n=6)", "softmax_normal", 9);
  const double beta = 0.1, lr = 0.05, c = 0.2;
  Rng rng(10, "fd");
  const Eigen::VectorXd l = testing::RandomLogits(6, rng, 1.0);
  const Eigen::VectorXd nu = Softmax((1 - c) * l + c * game.log_mu());
  const Eigen::VectorXd g = game.Payoff(nu);
  auto objective = [&](const Eigen::VectorXd& theta) {
    const Eigen::VectorXd lt = NormalizeLogits(theta);
    return Eigen::VectorXd(lt.array().exp()).dot(g) - beta * KlFromLogits(lt, game.log_mu());
  };
  const Eigen::VectorXd grad = FiniteDifferenceGradient(objective, l);
  auto solver = Started("nash_md_pg(lr=" + Num(lr) + ",mixture=" + Num(c) + ")", game, beta, l);
  solver->Step();
  Eigen::VectorXd step = solver->current() - l, expected = lr * grad;
  step.array() -= step.mean();
  expected.array() -= expected.mean();
  EXPECT_LE((step - expected).cwiseAbs().maxCoeff(), 1e-9);
}

TEST(SolverParams, DefaultsAndAutoResolveToNumbers) {
  const Game game = MakeGame("random_uniform(n=10)", "softmax_normal", 0);
  const double beta = 0.01;
  EXPECT_EQ(SolverSpec("nash_mp", *Started("nash_mp", game, beta)), "nash_mp(eta=0.02,reference_every=0,reference_gap=0)");
  EXPECT_EQ(Started("egpo", game, beta)->EffectiveParams().Double("eta"), 1 / (beta + 0.5));
  EXPECT_EQ(Started("omd", game, beta)->EffectiveParams().Double("eta"), 4 * beta / (1 + 4 * beta * beta));
  EXPECT_EQ(Started("mmd", game, beta)->EffectiveParams().Double("eta"), 4 * beta);
  // auto: from rho.
  const Equilibrium eq = SolveEquilibrium(game, beta);
  const double rho = eq.stability->rho;
  SolverContext c{&game, beta, {}, rho};
  auto omd = MakeSolver("omd(eta=auto)");
  omd->Reset(c);
  EXPECT_DOUBLE_EQ(omd->EffectiveParams().Double("eta"), beta / (beta * beta + rho * rho));
  auto mmd = MakeSolver("mmd(eta=auto)");
  mmd->Reset(c);
  EXPECT_DOUBLE_EQ(mmd->EffectiveParams().Double("eta"), beta / (rho * rho));
  auto nmp = MakeSolver("nash_mp(eta=auto)");
  nmp->Reset(c);
  EXPECT_GE(nmp->EffectiveParams().Double("eta"), 2 * beta);  // never below the default
  EXPECT_LT(nmp->EffectiveParams().Double("eta"), LimitOf(*eq.stability, "nash_mp"));
  auto egpo = MakeSolver("egpo(eta=auto)");
  egpo->Reset(c);
  EXPECT_GE(egpo->EffectiveParams().Double("eta"), 1 / (beta + 0.5));
  EXPECT_LT(egpo->EffectiveParams().Double("eta"), LimitOf(*eq.stability, "egpo"));
}

TEST(SolverParams, RejectsStepsWhereTheMethodIsUndefinedOrAlwaysUnstable) {
  const Game game = MakeGame("rps3", "uniform", 0);
  ExpectInputError([] { MakeSolver("nash_mp(eta=0)"); }, {"solver.eta", "'0' is out of range", "number > 0 or auto"});
  ExpectInputError([] { MakeSolver("omd(eta=-1)"); }, {"solver.eta", "out of range"});
  ExpectInputError([] { MakeSolver("mmd(eta=nan)"); }, {"solver.eta", "not a finite number"});
  ExpectInputError([&] { Started("egpo(eta=25)", game, 0.1); }, {"solver.eta", "eta*beta = 2.5 >= 2", "eta < 2/beta = 20"});
  ExpectInputError([&] { Started("omd(eta=11)", game, 0.1); }, {"solver.eta", "eta*beta = 1.1 > 1"});
  ExpectInputError([&] { Started("nash_md(schedule=constant,eta=11)", game, 0.1); }, {"solver.eta", "> 1"});
  ExpectInputError([&] { Started("nash_md(eta=1)", game, 0.1); }, {"solver.eta", "schedule is decaying"});
  ExpectInputError([&] { Started("nash_md(mixture=0.1)", game, 0.1); }, {"solver.mixture", "anchor: iterate"});
  ExpectInputError([] { MakeSolver("nash_md(schedule=fast)"); }, {"solver.schedule", "decaying", "constant"});
  ExpectInputError([] { MakeSolver("prox(eta=auto)"); }, {"solver.eta", "not available"});
  ExpectInputError([] { MakeSolver("nash_mpp"); }, {"unknown solver 'nash_mpp'", "did you mean 'nash_mp'"});
  ExpectInputError([] { MakeSolver("omd(step=1)"); }, {"solver.step", "unknown parameter", "valid: eta"});
}

// The solvers whose step accepts `auto`, with the name of that parameter.
std::vector<std::pair<std::string, std::string>> AutoSolvers() {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& entry : SolverRegistry().entries())
    for (const ParamSpec& p : entry.params)
      if (p.auto_allowed) out.emplace_back(entry.name, p.name);
  return out;
}

bool Mentions(const std::vector<std::string>& notes, const std::string& part) {
  for (const std::string& n : notes)
    if (n.find(part) != std::string::npos) return true;
  return false;
}

// Issue 9: on a game with a Condorcet winner rho ~ 1e-19, and omd's auto step 1/(beta + rho^2/beta)
// rounded to eta*beta = 1 + 2^-52, which its own check rejected mid-run.
TEST(SolverParams, AutoGivesAValidStepOnGamesWithACondorcetWinner) {
  ASSERT_GE(AutoSolvers().size(), 4u);
  for (const char* spec : {"random_uniform(n=10)", "bradley_terry(n=20)"}) {
    const Game game = MakeGame(spec, "softmax_normal", 57);
    const double beta = 0.001;
    const Equilibrium eq = SolveEquilibrium(game, beta);
    ASSERT_TRUE(eq.certified() && eq.stability) << spec;
    EXPECT_LT(eq.stability->rho, 1e-6) << spec;
    for (const auto& [name, param] : AutoSolvers()) {
      auto solver = MakeSolver(name + "(" + param + "=auto)");
      ASSERT_NO_THROW(solver->Reset(SolverContext{&game, beta, {}, eq.stability->rho})) << name << " on " << spec;
      const double eta = solver->EffectiveParams().Double(param);
      EXPECT_TRUE(std::isfinite(eta) && eta > 0) << name << ": " << eta;
      // The chosen step passes the solver's own checks when given as a number.
      auto given = MakeSolver(fmt::format("{}({}={})", name, param, eta));
      EXPECT_NO_THROW(given->Reset(SolverContext{&game, beta, {}, eq.stability->rho})) << name << ": " << eta;
    }
    auto omd = MakeSolver("omd(eta=auto)");
    omd->Reset(SolverContext{&game, beta, {}, eq.stability->rho});
    EXPECT_LE(omd->EffectiveParams().Double("eta") * beta, 1.0);
    EXPECT_TRUE(Mentions(omd->Notes(), "eta: auto gave")) << spec;
    EXPECT_TRUE(Mentions(omd->Notes(), "clamped to")) << spec;
  }
}

TEST(SolverParams, AutoNeverFailsWhateverRhoAndBeta) {
  const Game game = MakeGame("rps3", "uniform", 0);
  for (double beta : {1e-300, 1e-3, 1.0, 1e300, 1e308})
    for (std::optional<double> rho : {std::optional<double>(), std::optional<double>(0.0), std::optional<double>(1e-300),
                                      std::optional<double>(1e-19), std::optional<double>(0.25),
                                      std::optional<double>(0.5)})
      for (const auto& [name, param] : AutoSolvers()) {
        auto solver = MakeSolver(name + "(" + param + "=auto)");
        const std::string where = fmt::format("{} beta={} rho={}", name, beta, rho ? *rho : -1.0);
        ASSERT_NO_THROW(solver->Reset(SolverContext{&game, beta, {}, rho})) << where;
        const double eta = solver->EffectiveParams().Double(param);
        EXPECT_TRUE(std::isfinite(eta) && eta > 0) << where << ": " << eta;
      }
}

TEST(SolverParams, AutoWithoutRhoTakesTheDefaultStepAndSaysSo) {
  const Game game = MakeGame("rps3", "uniform", 0);
  for (const auto& [name, param] : AutoSolvers()) {
    auto with_auto = MakeSolver(name + "(" + param + "=auto)");
    with_auto->Reset(SolverContext{&game, 0.1, {}, std::nullopt});
    auto plain = MakeSolver(name);
    plain->Reset(SolverContext{&game, 0.1, {}, std::nullopt});
    EXPECT_EQ(with_auto->EffectiveParams().Double(param), plain->EffectiveParams().Double(param)) << name;
    EXPECT_TRUE(Mentions(with_auto->Notes(), "auto needs the spectral radius")) << name;
    EXPECT_TRUE(Mentions(with_auto->Notes(), "used the default step")) << name;
    EXPECT_TRUE(plain->Notes().empty()) << name;
  }
}

// Issue 9: decaying nash_md at beta = 0.001 jumps to gap ~1 at once. Expected (eta_0 = 1/beta makes
// the first iterate BR_beta(mu)); the solver says so and declares the transient.
TEST(SolverParams, DecayingNashMdNotesItsLargeFirstSteps) {
  const Game game = MakeGame("random_uniform(n=10)", "softmax_normal", 0);
  for (double beta : {0.001, 0.1}) {
    const Equilibrium eq = SolveEquilibrium(game, beta);
    const double rho = eq.stability->rho;
    auto decaying = MakeSolver("nash_md");
    decaying->Reset(SolverContext{&game, beta, {}, rho});
    EXPECT_EQ(decaying->TransientIterations(), static_cast<std::int64_t>(4 * (rho / beta) * (rho / beta)));
    EXPECT_EQ(Mentions(decaying->Notes(), "decaying schedule (expected, not a failure): the first step"), beta < 0.01) << beta;
    // The first iterate is the regularized best response to mu.
    decaying->Step();
    const Eigen::VectorXd br = NormalizeLogits(game.log_mu() + game.Payoff(game.mu()) / beta);
    EXPECT_LE((decaying->current() - br).cwiseAbs().maxCoeff(), 1e-9);
  }
  auto constant = MakeSolver("nash_md(schedule=constant)");
  constant->Reset(SolverContext{&game, 0.001, {}, 0.2});
  EXPECT_EQ(constant->TransientIterations(), 0);
  EXPECT_TRUE(constant->Notes().empty());
}

// The solvers whose step accepts `X*limit`, with the name of that parameter.
std::vector<std::pair<std::string, std::string>> LimitSolvers() {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& entry : SolverRegistry().entries())
    for (const ParamSpec& p : entry.params)
      if (p.limit_allowed) out.emplace_back(entry.name, p.name);
  return out;
}

TEST(SolverParams, AMultipleOfTheLimitResolvesToThatMultipleOfThisGamesLimit) {
  ASSERT_EQ(LimitSolvers().size(), 4u);  // omd, mmd, nash_mp, egpo
  const Game game = MakeGame("random_uniform(n=10)", "softmax_normal", 0);
  const double beta = 0.01;
  const double rho = SolveEquilibrium(game, beta).stability->rho;
  ASSERT_GT(rho, beta);  // every limit is finite
  for (const auto& [name, param] : LimitSolvers()) {
    auto solver = MakeSolver(name + "(" + param + "=0.9*limit)");
    solver->Reset(SolverContext{&game, beta, {}, rho});
    ASSERT_TRUE(solver->StabilityLimit().has_value()) << name;
    EXPECT_EQ(solver->EffectiveParams().Double(param), 0.9 * *solver->StabilityLimit()) << name;
    EXPECT_TRUE(solver->Notes().empty()) << name;
    EXPECT_EQ(solver->Step().step_size, 0.9 * *solver->StabilityLimit()) << name;
  }
}

TEST(SolverParams, AMultipleOfTheLimitIsAnErrorWhereThereIsNoLimit) {
  const Game game = MakeGame("rps3", "uniform", 0);
  // rho unknown (pi* not certified): no fallback, unlike auto.
  for (const auto& [name, param] : LimitSolvers())
    ExpectInputError([&, name = name, param = param] {
      MakeSolver(name + "(" + param + "=0.5*limit)")->Reset(SolverContext{&game, 0.1, {}, std::nullopt});
    }, {"solver." + param, "'0.5*limit' needs this game's stability limit", "no certified pi*"});
  // rho <= beta: every mmd and nash_mp step is stable.
  for (const char* name : {"mmd", "nash_mp"})
    ExpectInputError([&] { MakeSolver(std::string(name) + "(eta=0.5*limit)")->Reset(SolverContext{&game, 0.3, {}, 0.2}); },
                     {"solver.eta", "every step of", "on this game (rho = 0.2) at beta = 0.3", "no stability limit to multiply"});
  // A multiple outside the method's valid range: omd's limit is 1/beta when rho <= beta.
  ExpectInputError([&] { MakeSolver("omd(eta=1.5*limit)")->Reset(SolverContext{&game, 0.3, {}, 0.2}); },
                   {"solver.eta", "'1.5*limit' = 5", "outside the valid range (eta*beta <= 1)"});
  ExpectInputError([] { MakeSolver("nash_md(schedule=constant,eta=0.5*limit)"); }, {"solver.eta", "not available"});
  ExpectInputError([] { MakeSolver("prox(eta=0.5*limit)"); }, {"solver.eta", "not available"});
}

// The per-mode factor of each update linearized at pi*, for the eigenvalue i lambda of A D
// (docs/mathematics.md, stability limits), written out independently of the library's limits.
std::complex<double> ModeFactor(const std::string& name, double eta, double beta, double lambda) {
  const std::complex<double> i(0, 1);
  const double s = lambda / beta;
  if (name == "omd") return 1.0 - eta * beta + i * eta * beta * s;
  if (name == "mmd") return (1.0 + i * eta * beta * s) / (1.0 + eta * beta);
  if (name == "egpo") {
    const double a = eta * beta;
    return 1.0 - a + i * a * (1.0 - a) * s - a * a * s * s;
  }
  NLHF_CHECK(name == "nash_mp", "no mode factor for " + name);
  return (1.0 + eta - eta * eta * s * s + i * eta * s) / ((1.0 + eta) * (1.0 + eta));
}

// The spectral radius of the Jacobian of one update at pi*, by central differences of the solver's
// own Step().
double JacobianRadius(const std::string& spec, const Game& game, double beta, const Eigen::VectorXd& l_star,
                      double rho) {
  const Eigen::Index n = game.n();
  const double h = 1e-6;
  Eigen::MatrixXd J(n, n);
  for (Eigen::Index j = 0; j < n; ++j) {
    Eigen::VectorXd plus = l_star, minus = l_star;
    plus[j] += h;
    minus[j] -= h;
    auto a = MakeSolver(spec), b = MakeSolver(spec);
    a->Reset(SolverContext{&game, beta, plus, rho});
    b->Reset(SolverContext{&game, beta, minus, rho});
    a->Step();
    b->Step();
    J.col(j) = (a->current() - b->current()) / (2 * h);
  }
  return Eigen::EigenSolver<Eigen::MatrixXd>(J, false).eigenvalues().cwiseAbs().maxCoeff();
}

// The limits are exact: the Jacobian of the actual update map at pi* has spectral radius < 1 at 0.9
// times the limit and equal to the rho mode's factor, > 1, at 1.1 times; the largest eigenvalue
// rho of A D is the one that binds.
// prox claims its contraction 1/(1+eta) for the theory check only where the inner solve's
// inner_tolerance is 100 times smaller; those runs hold it, and the cases it leaves out are ones
// where the check saw violations (eta = 1e10 with the default 1e-10; eta = 1 with 0.5).
TEST(SolverTraits, ProxClaimsItsContractionOnlyWhereItsInnerSolveCanDeliverIt) {
  const Game game = MakeGame("random_uniform(n=10)", "softmax_normal", 0);
  const double beta = 0.1;
  const Equilibrium eq = SolveEquilibrium(game, beta);
  RunOptions o;
  o.stop.iterations = 30;
  for (const auto& [spec, claimed] :
       {std::pair{"prox(eta=1e7)", true}, std::pair{"prox(eta=1,inner_tolerance=1e-3)", true},
        std::pair{"prox(eta=1e10)", false}, std::pair{"prox(eta=1,inner_tolerance=0.5)", false},
        std::pair{"prox(eta=100,inner_tolerance=0.01)", false}}) {
    auto solver = Started(spec, game, beta);
    EXPECT_EQ(solver->GuaranteedContraction().has_value(), claimed) << spec;
    EXPECT_EQ(solver->Notes().size(), claimed ? 0u : 1u) << spec;
    const RunSummary r = RunSolver(*solver, game, beta, eq.log_pi, o);
    EXPECT_EQ(r.theory.applicable, claimed) << spec;
    EXPECT_FALSE(r.theory.violated) << spec << ": " << r.theory.message;
    if (!claimed) {
      ASSERT_FALSE(r.warnings.empty()) << spec;
      EXPECT_NE(r.warnings[0].find("is not checked: each step is solved only to inner_tolerance"), std::string::npos)
          << r.warnings[0];
    }
  }
  // What the claim leaves out: the check, were it made, would fail there.
  class Claiming : public Solver {
   public:
    explicit Claiming(std::unique_ptr<Solver> inner, double factor) : inner_(std::move(inner)), factor_(factor) {}
    void Reset(const SolverContext& c) override { inner_->Reset(c); }
    StepInfo Step() override { return inner_->Step(); }
    const Eigen::VectorXd& current() const override { return inner_->current(); }
    ParamMap EffectiveParams() const override { return inner_->EffectiveParams(); }
    std::optional<double> GuaranteedContraction() const override { return factor_; }

   private:
    std::unique_ptr<Solver> inner_;
    double factor_;
  };
  for (const auto& [spec, eta] : {std::pair{"prox(eta=1e10)", 1e10}, std::pair{"prox(eta=1,inner_tolerance=0.5)", 1.0}}) {
    Claiming claiming(Started(spec, game, beta), 1.0 / (1.0 + eta));
    EXPECT_TRUE(RunSolver(claiming, game, beta, eq.log_pi, o).theory.violated) << spec;
  }
}

TEST(StabilityLimit, MatchesTheJacobianOfTheUpdateAtPiStar) {
  struct Case {
    const char* game;
    std::uint64_t seed;
    double beta;
  };
  for (const Case& c : {Case{"random_uniform(n=10)", 0, 0.01}, Case{"random_uniform(n=10)", 1, 0.03},
                        Case{"random_uniform(n=10)", 2, 0.003}, Case{"cyclic(n=7)", 0, 0.1}}) {
    const Game game = MakeGame(c.game, "softmax_normal", c.seed);
    const Equilibrium eq = SolveEquilibrium(game, c.beta);
    ASSERT_TRUE(eq.certified() && eq.stability);
    const double rho = eq.stability->rho;
    ASSERT_GT(rho, c.beta) << c.game;  // every limit finite
    const Eigen::MatrixXd A = game.P().array() - 0.5;
    const Eigen::MatrixXd D = Eigen::MatrixXd(eq.pi.asDiagonal()) - eq.pi * eq.pi.transpose();
    const Eigen::VectorXcd modes = Eigen::EigenSolver<Eigen::MatrixXd>(A * D, false).eigenvalues();
    for (const auto& [name, param] : LimitSolvers()) {
      const std::string where = fmt::format("{} on {} seed {} beta {} rho {:.4f}", name, c.game, c.seed, c.beta, rho);
      auto probe = MakeSolver(name);
      probe->Reset(SolverContext{&game, c.beta, {}, rho});
      const double limit = *probe->StabilityLimit();
      // The rho mode binds: no other eigenvalue of A D has a larger factor at the limit.
      EXPECT_NEAR(std::abs(ModeFactor(name, limit, c.beta, rho)), 1.0, 1e-9) << where;
      for (const std::complex<double>& m : modes)
        EXPECT_LE(std::abs(ModeFactor(name, limit, c.beta, std::abs(m))), 1.0 + 1e-9) << where;
      const double below = JacobianRadius(name + "(" + param + "=0.9*limit)", game, c.beta, eq.log_pi, rho);
      const double above = JacobianRadius(name + "(" + param + "=1.1*limit)", game, c.beta, eq.log_pi, rho);
      EXPECT_LT(below, 1.0) << where;
      EXPECT_GT(above, 1.0) << where;
      EXPECT_NEAR(above, std::abs(ModeFactor(name, 1.1 * limit, c.beta, rho)), 1e-6) << where;
    }
  }
}

TEST(SpectralRadius, MatchesTheEigenvaluesOfAD) {
  for (const std::string spec : {"random_uniform(n=10)", "cyclic(n=7)", "bt_mixture(n=12)", "rps3"}) {
    const Game game = MakeGame(spec, "softmax_normal", 3);
    const Equilibrium eq = SolveEquilibrium(game, 0.05);
    const Eigen::MatrixXd A = game.P().array() - 0.5;
    const Eigen::MatrixXd D = Eigen::MatrixXd(eq.pi.asDiagonal()) - eq.pi * eq.pi.transpose();
    const Eigen::EigenSolver<Eigen::MatrixXd> es(A * D);
    const double brute = es.eigenvalues().cwiseAbs().maxCoeff();
    ASSERT_TRUE(eq.stability.has_value());
    EXPECT_NEAR(eq.stability->rho, brute, 1e-12) << spec;
    EXPECT_LE(eq.stability->rho, A.cwiseAbs().maxCoeff());
    // The eigenvalues are purely imaginary.
    EXPECT_LE(es.eigenvalues().real().cwiseAbs().maxCoeff(), 1e-9);  // the general eigensolver's accuracy
  }
}

// The traits a registry entry carries are the built solver's own: after Reset, StabilityLimit() is
// the entry's stability_limit at the bound beta and rho, bit for bit, and a solver without the
// trait reports no limit.
TEST(SolverTraits, StabilityLimitIsTheBuiltSolversAfterReset) {
  const Game game = MakeGame("rps3", "uniform", 0);
  size_t with_limit = 0;
  for (const auto& entry : SolverRegistry().entries()) {
    const SolverTraits& t = entry.traits;
    if (t.stability_limit) ++with_limit;
    for (double beta : {0.001, 0.1, 1.0})
      for (double rho : {0.0, 0.05, 0.3, 0.5}) {
        const std::string where = fmt::format("{} beta={} rho={}", entry.name, beta, rho);
        auto solver = MakeSolver(entry.name);
        solver->Reset(SolverContext{&game, beta, {}, rho});
        const std::optional<double> limit = solver->StabilityLimit();
        ASSERT_EQ(limit.has_value(), static_cast<bool>(t.stability_limit)) << where;
        if (!limit) continue;
        const double trait = t.stability_limit(beta, rho);
        EXPECT_EQ(*limit, trait) << where;
        EXPECT_GT(trait, 0.0) << where;
      }
    // Without rho (pi* not certified) no solver knows its limit.
    auto solver = MakeSolver(entry.name);
    solver->Reset(SolverContext{&game, 0.1, {}, std::nullopt});
    EXPECT_FALSE(solver->StabilityLimit().has_value()) << entry.name;
  }
  EXPECT_GE(with_limit, 4u);  // nash_mp, egpo, omd, mmd, and any solver added with the trait
  for (const char* known : {"nash_mp", "egpo", "omd", "mmd"})
    EXPECT_TRUE(static_cast<bool>(SolverRegistry().Find(known, "solver").traits.stability_limit)) << known;
}

// `X*limit` multiplies the stability limit, so the step parameter takes it exactly when the trait
// exists, and the trait names that parameter.
TEST(SolverTraits, TheStepTakesAMultipleOfTheLimitExactlyWhenTheSolverHasOne) {
  for (const auto& entry : SolverRegistry().entries()) {
    bool takes_limit = false;
    for (const ParamSpec& p : entry.params) {
      if (p.limit_allowed) {
        EXPECT_EQ(p.name, entry.traits.step) << entry.name;
      }
      takes_limit = takes_limit || p.limit_allowed;
    }
    EXPECT_EQ(takes_limit, static_cast<bool>(entry.traits.stability_limit)) << entry.name;
    // A best step is a stable step of a method that has a limit.
    if (entry.traits.best_step) {
      EXPECT_TRUE(entry.traits.stability_limit) << entry.name;
    }
  }
}

// The best step is stable, and it is what `auto` takes (where it is inside the method's range).
TEST(SolverTraits, TheBestStepIsStableAndIsWhatAutoTakes) {
  const Game game = MakeGame("rps3", "uniform", 0);
  size_t with_best = 0;
  for (const auto& entry : SolverRegistry().entries()) {
    const SolverTraits& t = entry.traits;
    if (!t.best_step) continue;
    ++with_best;
    for (double beta : {0.001, 0.01, 0.1})
      for (double rho : {0.05, 0.2, 0.5}) {
        const std::string where = fmt::format("{} beta={} rho={}", entry.name, beta, rho);
        const double best = t.best_step(beta, rho), limit = t.stability_limit(beta, rho);
        EXPECT_GT(best, 0.0) << where;
        EXPECT_LT(best, limit) << where;
        auto solver = MakeSolver(entry.name + "(" + t.step + "=auto)");
        solver->Reset(SolverContext{&game, beta, {}, rho});
        EXPECT_DOUBLE_EQ(solver->EffectiveParams().Double(t.step), best) << where;
      }
  }
  EXPECT_EQ(with_best, 2u);  // omd, mmd
}

// The best steps minimize the per-iteration factor of the error mode at lambda = rho of the
// linearized update (docs/mathematics.md, stability limits): omd's f = 1 - eta beta + i eta rho,
// mmd's f = (1 + i eta rho) / (1 + eta beta); and the limits are where |f| reaches 1.
TEST(SolverTraits, OmdAndMmdBestStepsMinimizeTheLinearizedFactor) {
  const auto& registry = SolverRegistry();
  const SolverTraits& omd = registry.Find("omd", "solver").traits;
  const SolverTraits& mmd = registry.Find("mmd", "solver").traits;
  const auto omd_factor = [](double eta, double beta, double rho) {
    return std::abs(std::complex<double>(1.0 - eta * beta, eta * rho));
  };
  const auto mmd_factor = [](double eta, double beta, double rho) {
    return std::abs(std::complex<double>(1.0, eta * rho) / (1.0 + eta * beta));
  };
  for (double beta : {0.01, 0.1})
    for (double rho : {0.05, 0.3}) {
      const double ob = omd.best_step(beta, rho), mb = mmd.best_step(beta, rho);
      for (double x : {0.9, 0.99, 1.01, 1.1}) {
        EXPECT_LT(omd_factor(ob, beta, rho), omd_factor(x * ob, beta, rho)) << beta << " " << rho << " " << x;
        EXPECT_LT(mmd_factor(mb, beta, rho), mmd_factor(x * mb, beta, rho)) << beta << " " << rho << " " << x;
      }
      const double ol = omd.stability_limit(beta, rho);
      if (ol < 1.0 / beta) {
        EXPECT_NEAR(omd_factor(ol, beta, rho), 1.0, 1e-12);
      }
      const double ml = mmd.stability_limit(beta, rho);
      if (std::isfinite(ml)) {
        EXPECT_NEAR(mmd_factor(ml, beta, rho), 1.0, 1e-12);
      }
    }
}

// beta = 0 is the unregularized game: the solvers whose traits allow it are the methods for that
// game (they ignore beta), and they run there.
TEST(SolverTraits, TheSolversAllowedAtBetaZeroRunOnTheUnregularizedGame) {
  // The registry's entries whose traits allow it, in registry order: mwu and omwu among them.
  std::vector<std::string> allowed;
  for (const auto& entry : SolverRegistry().entries())
    if (entry.traits.allows_beta_zero) allowed.push_back(entry.name);
  EXPECT_EQ(BetaZeroSolvers(), allowed);
  for (const char* name : {"mwu", "omwu"})
    EXPECT_NE(std::find(allowed.begin(), allowed.end(), name), allowed.end()) << name;
  const Game game = MakeGame("rps3", "uniform", 0);
  for (const auto& entry : SolverRegistry().entries()) {
    if (!entry.traits.allows_beta_zero) continue;
    auto solver = MakeSolver(entry.name);
    solver->Reset(SolverContext{&game, 0.0, {}, std::nullopt});
    EXPECT_EQ(solver->Target(), SolverTarget::kUnregularized) << entry.name;
    for (int k = 0; k < 200; ++k) solver->Step();
    EXPECT_TRUE(solver->current().allFinite()) << entry.name;
    EXPECT_NEAR(solver->current().array().exp().sum(), 1.0, 1e-12) << entry.name;
  }
}

// Solver::OfferPayoff: a solver whose step starts with pi_k and P pi_k of its iterate takes the
// offered ones instead of computing them (a deliberately wrong g shows it was taken, still counted
// as the call the method needs), only for the iterate the offer was made at: not after a Reset,
// not at the next step. A sampled oracle ignores offers.
TEST(SolverOffer, TheNextStepTakesAnOfferMadeAtItsIterateOnly) {
  const Game game = MakeGame("random_uniform(n=6)", "softmax_normal", 2);
  const Eigen::VectorXd wrong = Eigen::VectorXd::Constant(6, 0.9);
  for (const char* spec : {"omd", "nash_mp", "egpo", "mmd", "mwu", "omwu", "online_ipo2", "prox", "nash_prox"}) {
    SCOPED_TRACE(spec);
    auto plain = Started(spec, game, 0.1), offered = Started(spec, game, 0.1), reset = Started(spec, game, 0.1);
    const Eigen::VectorXd pi = offered->current().array().exp();
    offered->OfferPayoff(pi, wrong);
    reset->OfferPayoff(pi, wrong);
    reset->Reset(SolverContext{&game, 0.1, {}, std::nullopt});
    const StepInfo a = plain->Step(), b = offered->Step();
    reset->Step();
    if (plain->CostPerStep()) {  // prox: its inner solve depends on g
      EXPECT_EQ(a.oracle_calls, b.oracle_calls);
    }
    EXPECT_NE(plain->current(), offered->current());  // the wrong g was used
    EXPECT_EQ(plain->current(), reset->current());
    // The next step computes its own: as a solver started at this iterate does.
    auto fresh = Started(spec, game, 0.1, offered->current());
    if (std::string(spec) == "omwu") continue;  // its step also depends on the previous g
    offered->Step();
    fresh->Step();
    EXPECT_LT((offered->current() - fresh->current()).cwiseAbs().maxCoeff(), 1e-12);  // fresh renormalized its start
  }
  OracleConfig sampled;
  sampled.type = OracleType::kSampled;
  auto plain = testing::StartSolver("omd", game, 0.1, sampled, 3), offered = testing::StartSolver("omd", game, 0.1, sampled, 3);
  offered->OfferPayoff(offered->current().array().exp(), wrong);
  plain->Step();
  offered->Step();
  EXPECT_EQ(plain->current(), offered->current());
}

// Solver::EvaluateCurrent: the point the metrics' Evaluate gives (bit for bit), in the solver's
// own storage, taken by the next step as an OfferPayoff is (a wrong g planted in it shows that);
// stepping after it is stepping without it, bit for bit, for every registered solver, and TakesOffers() says
// whether the step takes it. A sampled oracle's step ignores it.
TEST(SolverOffer, EvaluateCurrentGivesEvaluatesPointAndTheNextStepTakesIt) {
  const Game game = MakeGame("random_uniform(n=6)", "softmax_normal", 2);
  const Eigen::VectorXd wrong = Eigen::VectorXd::Constant(6, 0.9);
  auto same = [](const Eigen::VectorXd& a, const Eigen::VectorXd& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), sizeof(double) * static_cast<size_t>(a.size())) == 0;
  };
  for (const auto& entry : SolverRegistry().entries()) {
    const std::string& spec = entry.name;
    SCOPED_TRACE(spec);
    auto plain = Started(spec, game, 0.1), evaluated = Started(spec, game, 0.1), planted = Started(spec, game, 0.1);
    for (int k = 0; k < 8; ++k) {
      if (k % 3 != 2) {  // and steps that follow a step that took it: it is taken once
        const PolicyPoint* p = evaluated->EvaluateCurrent();
        ASSERT_NE(p, nullptr);
        const PolicyPoint want = Evaluate(game, evaluated->current());
        EXPECT_TRUE(same(p->log_pi, want.log_pi) && same(p->pi, want.pi) && same(p->g, want.g)) << k;
      }
      plain->Step();
      evaluated->Step();
      EXPECT_TRUE(same(plain->current(), evaluated->current())) << k;
    }
    auto* point = const_cast<PolicyPoint*>(planted->EvaluateCurrent());
    point->g = wrong;
    auto fresh = Started(spec, game, 0.1);
    planted->Step();
    fresh->Step();
    const std::string name = spec;
    const bool taken = !same(planted->current(), fresh->current());
    if (name == "nash_md" || name == "nash_md_pg" || name == "nash_mp_pg") {
      EXPECT_FALSE(taken) << "its step does not start at its iterate";
    } else {
      EXPECT_TRUE(taken) << "the planted g was not taken";
    }
    // What the run driver counts as solver time is what the step takes.
    EXPECT_EQ(planted->TakesOffers(), taken);
    // A Reset discards it.
    const_cast<PolicyPoint*>(planted->EvaluateCurrent())->g = wrong;
    planted->Reset(SolverContext{&game, 0.1, {}, std::nullopt});
    auto again = Started(spec, game, 0.1);
    planted->Step();
    again->Step();
    EXPECT_TRUE(same(planted->current(), again->current())) << "taken after a Reset";
  }
  OracleConfig sampled;
  sampled.type = OracleType::kSampled;
  auto plain = testing::StartSolver("omd", game, 0.1, sampled, 3), evaluated = testing::StartSolver("omd", game, 0.1, sampled, 3);
  const_cast<PolicyPoint*>(evaluated->EvaluateCurrent())->g = wrong;
  plain->Step();
  evaluated->Step();
  EXPECT_TRUE(same(plain->current(), evaluated->current()));
  EXPECT_FALSE(evaluated->TakesOffers());
}

// The average iterate of mwu and omwu (a running sum of the probabilities each step computes anyway,
// its logits computed only when asked for) is the naive (1/(k+1)) sum_j exp(l_j), bit for bit (exp as
// the outputs take it, Probabilities: 0 where it underflows), and stays accurate over long runs with
// near-pure iterates (eta = 20: probabilities far below 1e-300, which underflow to 0), against a
// long double sum (relative 1e-10 after 1e5 additions). On the 5-action game the underflowing
// logits sit in Eigen's full packets, where its vectorized exp gave 5.6e-309 instead of 0.
TEST(AverageIterate, IsTheNaiveAverageOfTheIterates) {
  Eigen::MatrixXd order = Eigen::MatrixXd::Constant(5, 5, 0.5);
  for (Eigen::Index i = 0; i < 5; ++i)
    for (Eigen::Index j = 0; j < 5; ++j)
      if (i != j) order(i, j) = i > j ? 1.0 : 0.0;  // 4 beats everyone: 0 ... 3 underflow
  const Game strict(order, Eigen::VectorXd::Constant(5, 0.2), "strict order", "uniform");
  const Game rps = MakeGame("rps3(x=0.9,y=0.9,z=0.8)", "uniform", 0);
  for (const auto& [game, spec] : std::vector<std::pair<const Game*, const char*>>{
           {&rps, "mwu"}, {&rps, "omwu"}, {&rps, "mwu(eta=20)"}, {&rps, "omwu(eta=2)"}, {&strict, "mwu(eta=20)"}}) {
    SCOPED_TRACE(std::string(spec) + " on " + game->game_spec());
    auto s = Started(spec, *game, 0.0);
    EXPECT_EQ(*s->average(), s->current());  // before any step: the initial iterate
    Eigen::VectorXd sum = Probabilities(s->current());
    Eigen::Matrix<long double, Eigen::Dynamic, 1> exact = sum.cast<long double>();
    const Eigen::Index n = game->n();
    bool underflowed = false;
    for (int k = 1; k <= 100000; ++k) {
      s->Step();
      const Eigen::VectorXd pi = Probabilities(s->current());
      underflowed = underflowed || (n == 5 && s->current().head(4).minCoeff() < kEigenExpFloor);
      sum += pi;
      exact += pi.cast<long double>();
      if (k % 25000 != 0 && k != 1 && k != 7) continue;
      const Eigen::VectorXd naive = (sum.array() / sum.sum()).log();
      const Eigen::VectorXd& avg = *s->average();
      ASSERT_EQ(avg.size(), naive.size());
      EXPECT_EQ(std::memcmp(avg.data(), naive.data(), sizeof(double) * static_cast<size_t>(n)), 0) << "k = " << k;
      const long double total = exact.sum();
      for (Eigen::Index y = 0; y < n; ++y) {
        const double p = static_cast<double>(exact[y] / total);
        EXPECT_NEAR(std::exp(avg[y]), p, 1e-10 * std::max(p, 1e-290)) << "k = " << k << ", y = " << y;
      }
    }
    if (game == &strict) {
      EXPECT_TRUE(underflowed) << "no logit below e^-708 in a full packet: the case is not tested";
    }
  }
}

// The moving reference's gap rule (reference_gap) is applied at the start of the next step, on the
// P pi that step computes anyway: the trajectory is the naive one (check the subgame gap right after
// each step, with its own P pi), and every step costs the solver's fixed cost, which it declares.
TEST(MovingReference, TheGapRuleCostsNoOracleCallAndMatchesTheNaiveCheck) {
  const Game game = MakeGame("random_uniform(n=8)", "softmax_normal", 5);
  const double beta = 0.1, threshold = 1e-3;
  auto s = Started("omd(reference_gap=0.001,reference_every=40)", game, beta);
  const double eta = s->EffectiveParams().Double("eta");
  ASSERT_TRUE(s->CostPerStep().has_value());
  EXPECT_EQ(s->CostPerStep()->oracle_calls, 1);
  // The naive loop, written out: omd's update, then both rules on the new iterate.
  Eigen::VectorXd l = game.log_mu(), anchor = game.log_mu();
  int since = 0, gap_moves = 0, every_moves = 0;
  double worst = 0.0;
  for (int k = 1; k <= 400; ++k) {
    const Eigen::VectorXd g = game.P() * l.array().exp().matrix();
    l = (1.0 - eta * beta) * l + (eta * beta) * anchor + eta * g;
    NormalizeLogitsInPlace(l);
    if (++since >= 40) {
      anchor = l;
      since = 0;
      ++every_moves;
    } else {
      const Eigen::VectorXd pi = l.array().exp(), g1 = game.P() * pi;
      const Eigen::VectorXd br = NormalizeLogits(anchor + g1 / beta);
      if (2.0 * beta * KlFromLogits(l, br) <= threshold) {
        anchor = l;
        since = 0;
        ++gap_moves;
      }
    }
    EXPECT_EQ(s->Step().oracle_calls, 1);
    worst = std::max(worst, (s->current() - l).cwiseAbs().maxCoeff());
  }
  EXPECT_GE(gap_moves, 3);  // both rules moved the reference in this run
  EXPECT_GE(every_moves, 1);
  EXPECT_LT(worst, 1e-12);
}

}  // namespace
}  // namespace nlhf
