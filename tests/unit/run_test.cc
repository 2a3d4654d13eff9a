#include "nlhf/run.h"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <functional>
#include <thread>

#include "nlhf/equilibrium.h"
#include "nlhf/generators.h"
#include "nlhf/logspace.h"
#include "test_util.h"

namespace nlhf {
namespace {

constexpr std::chrono::milliseconds kSleep{20};

using testing::LimitOf;

class Recorder : public RunObserver {
 public:
  void OnRecord(const Record& r) override {
    iterations.push_back(r.iteration);
    gaps.push_back(r.metrics[0]);
    calls.push_back(r.oracle_calls);
    kl.push_back(r.metrics[static_cast<size_t>(Metric::kKlToStar)]);
  }
  std::vector<std::int64_t> iterations, calls;
  std::vector<double> gaps, kl;
};

// A real solver behind the Solver interface: tests override what they watch or change.
class Forwarding : public Solver {
 public:
  explicit Forwarding(std::unique_ptr<Solver> inner) : inner_(std::move(inner)) {}
  void Reset(const SolverContext& context) override { inner_->Reset(context); }
  StepInfo Step() override { return inner_->Step(); }
  const Eigen::VectorXd& current() const override { return inner_->current(); }
  ParamMap EffectiveParams() const override { return inner_->EffectiveParams(); }

 protected:
  std::unique_ptr<Solver> inner_;
};

struct Rps {
  Game game = MakeGame("rps3(x=0.9,y=0.9,z=0.8)", "uniform", 0);
  double beta = 0.1;
  Equilibrium eq = SolveEquilibrium(game, beta);
  std::unique_ptr<nlhf::Solver> Start(const std::string& spec) {
    auto s = MakeSolver(spec);
    s->Reset(SolverContext{&game, beta, {}, eq.stability->rho});
    return s;
  }
};

TEST(RunSolver, LogsIterationZeroEveryKAndTheLast) {
  Rps s;
  auto solver = s.Start("nash_mp");
  RunOptions o;
  o.stop.iterations = 10;
  o.log.every = 3;
  Recorder rec;
  const RunSummary r = RunSolver(*solver, s.game, s.beta, s.eq.log_pi, o, {&rec});
  EXPECT_EQ(rec.iterations, (std::vector<std::int64_t>{0, 3, 6, 9, 10}));
  EXPECT_EQ(r.termination, Termination::kIterations);
  EXPECT_EQ(r.message, "reached 10 iterations");
  EXPECT_EQ(r.iterations, 10);
}

// Record::wall_s: a logged iterate's pi and P pi (here an evaluation made slow by a sleep) are
// solver time when the solver's next step takes them (Solver::TakesOffers), the first one from
// iteration 1 on, whether a logged metric or a tolerance that is not logged needs P pi; otherwise
// they are the metrics' time. (Only lower bounds on time are checked: a sleep lasts at least its
// length, while an upper bound would fail on a loaded machine.)
TEST(RunSolver, CountsALoggedPointAsSolverTimeWhenTheNextStepTakesIt) {
  class SlowPoint : public Forwarding {
   public:
    SlowPoint(std::unique_ptr<Solver> inner, bool takes) : Forwarding(std::move(inner)), takes_(takes) {}
    const PolicyPoint* EvaluateCurrent() override {
      std::this_thread::sleep_for(kSleep);
      ++evaluations;
      return inner_->EvaluateCurrent();
    }
    bool TakesOffers() const override { return takes_; }
    int evaluations = 0;

   private:
    bool takes_;
  };
  class WallTimes : public RunObserver {
   public:
    void OnRecord(const Record& r) override { wall.push_back(r.wall_s); }
    std::vector<double> wall;
  };
  Rps s;
  const double slept = std::chrono::duration<double>(kSleep).count();
  for (const bool logged : {true, false}) {
    RunOptions o;
    o.stop.iterations = 3;
    o.log.every = 1;
    if (logged) {
      o.log.metrics = {Metric::kGapBeta};
    } else {  // P pi for a tolerance that is not logged (never met)
      o.log.metrics = {Metric::kKlToStar};
      o.stop.tolerances = {{Metric::kGapBeta, 1e-300}};
    }
    for (const bool takes : {true, false}) {
      SCOPED_TRACE(fmt::format("gap_beta logged: {}, takes offers: {}", logged, takes));
      SlowPoint solver(s.Start("nash_mp"), takes);
      WallTimes times;
      const RunSummary r = RunSolver(solver, s.game, s.beta, s.eq.log_pi, o, {&times});
      ASSERT_EQ(times.wall.size(), 4u);
      EXPECT_EQ(times.wall[0], 0.0);
      // Iterations 0 to 3, each once (iteration 0 for its record's P pi, for the first step, or
      // for the tolerance check at the start).
      EXPECT_EQ(solver.evaluations, 4);
      if (takes) {
        // Iterations 0, 1 and 2 are taken by the steps after them; iteration 3 is the cap's.
        EXPECT_GE(times.wall[1], slept);
        EXPECT_GE(r.wall_s, 3 * slept);
      }
      // An evaluation no step takes is the metrics' time (RunSummary::metrics_s): the cap's, or
      // all four.
      if (logged) {
        EXPECT_GE(r.metrics_s, (takes ? 1 : 4) * slept);
      }
    }
  }
}

// RunSummary::metrics_s is the time of the logged metrics only, not the observers' (the rows): here
// the observer sleeps 4 x 20 ms, which metrics_s would hold had it counted the rows, while the
// metrics of 4 records of rps3 take microseconds.
TEST(RunSolver, TimesTheLoggedMetricsApartFromTheRows) {
  class SlowRows : public RunObserver {
   public:
    void OnRecord(const Record&) override { std::this_thread::sleep_for(kSleep); }
  };
  Rps s;
  auto solver = s.Start("nash_mp");
  RunOptions o;
  o.stop.iterations = 3;
  o.log.every = 1;
  SlowRows rows;
  const RunSummary r = RunSolver(*solver, s.game, s.beta, s.eq.log_pi, o, {&rows});
  const double slept = std::chrono::duration<double>(kSleep).count();
  EXPECT_GT(r.metrics_s, 0.0);
  EXPECT_LT(r.metrics_s, 4 * slept);
}

TEST(RunSolver, LogSpacingKeepsLongRunsShort) {
  Rps s;
  auto solver = s.Start("omd");
  RunOptions o;
  o.stop.iterations = 100000;
  o.log.spacing = LogSpacing::kLog;
  o.log.points_per_decade = 20;
  Recorder rec;
  RunSolver(*solver, s.game, s.beta, s.eq.log_pi, o, {&rec});
  EXPECT_EQ(rec.iterations.front(), 0);
  EXPECT_EQ(rec.iterations.back(), 100000);
  EXPECT_LE(rec.iterations.size(), 102u);  // 20 per decade over 5 decades, small ones deduplicated
  EXPECT_GE(rec.iterations.size(), 60u);
  for (size_t k = 1; k < rec.iterations.size(); ++k) EXPECT_LT(rec.iterations[k - 1], rec.iterations[k]);
}

TEST(RunSolver, StopsAtTheFirstIterationMeetingTheToleranceWithEvidence) {
  Rps s;
  auto solver = s.Start("nash_mp");
  RunOptions o;
  o.stop.iterations = 100000;
  o.stop.tolerances = {{Metric::kGapBeta, 1e-12}};
  Recorder rec;
  const RunSummary r = RunSolver(*solver, s.game, s.beta, s.eq.log_pi, o, {&rec});
  EXPECT_EQ(r.termination, Termination::kTolerance);
  EXPECT_LE(r.final_metrics[0], 1e-12);
  ASSERT_GE(rec.gaps.size(), 2u);
  EXPECT_GT(rec.gaps[rec.gaps.size() - 2], 1e-12);  // the iteration before had not met it
  EXPECT_NE(r.message.find(fmt::format("<= 1e-12 at iteration {}", r.iterations)), std::string::npos) << r.message;
  EXPECT_EQ(r.message.rfind("gap_beta ", 0), 0u) << r.message;
}

// A starting point that already meets every tolerance is iteration 0 of the stop rule: no step is
// taken (it took one), whether the record logs the metric or not.
TEST(RunSolver, AToleranceMetAtTheStartTakesNoStep) {
  Rps s;
  for (const bool logged : {true, false}) {
    SCOPED_TRACE(logged);
    auto solver = s.Start("omd");
    RunOptions o;
    o.stop.iterations = 1000;
    o.stop.tolerances = {{Metric::kBrWinrate, 0.6}};  // br_winrate(mu) = 0.533 on rps3
    if (!logged) o.log.metrics = {Metric::kGapBeta};
    Recorder rec;
    const RunSummary r = RunSolver(*solver, s.game, s.beta, s.eq.log_pi, o, {&rec});
    EXPECT_EQ(r.termination, Termination::kTolerance);
    EXPECT_EQ(r.iterations, 0);
    EXPECT_EQ(r.oracle_calls, 0);
    EXPECT_EQ(rec.gaps.size(), 1u);  // iteration 0 only
    EXPECT_NE(r.message.find("br_winrate 0.533 <= 0.6 at iteration 0"), std::string::npos) << r.message;
  }
  // Not met at the start: steps are taken as before.
  auto solver = s.Start("omd");
  RunOptions o;
  o.stop.iterations = 1000;
  o.stop.tolerances = {{Metric::kBrWinrate, 0.5}};
  EXPECT_GT(RunSolver(*solver, s.game, s.beta, s.eq.log_pi, o).iterations, 0);
}

TEST(RunSolver, AToleranceThatNeedsAnUnknownPiStarIsNotAppliedAndSaysSo) {
  Rps s;
  auto solver = s.Start("nash_mp");
  RunOptions o;
  o.stop.iterations = 30;
  o.stop.tolerances = {{Metric::kKlToStar, 1e-12}, {Metric::kGapBeta, 1e-300}};
  const RunSummary r = RunSolver(*solver, s.game, s.beta, Eigen::VectorXd(), o);  // no pi*: was an internal error
  EXPECT_EQ(r.termination, Termination::kIterations);
  ASSERT_FALSE(r.warnings.empty());
  EXPECT_NE(r.warnings.back().find("the tolerance on kl_to_star was not applied"), std::string::npos) << r.warnings.back();
}

TEST(RunSolver, MetricEvaluationIsNotSolverWork) {
  Rps s;
  for (std::int64_t every : {1, 7}) {
    auto solver = s.Start("nash_mp");
    RunOptions o;
    o.stop.iterations = 50;
    o.log.every = every;
    Recorder rec;
    const RunSummary r = RunSolver(*solver, s.game, s.beta, s.eq.log_pi, o, {&rec});
    EXPECT_EQ(r.oracle_calls, 100);  // two per nash_mp iteration, whatever is logged
    for (size_t k = 0; k < rec.iterations.size(); ++k) EXPECT_EQ(rec.calls[k], 2 * rec.iterations[k]);
  }
}

TEST(RunSolver, StopsAtTheOracleCallBudget) {
  Rps s;
  auto solver = s.Start("nash_mp");
  RunOptions o;
  o.stop.oracle_calls = 11;
  const RunSummary r = RunSolver(*solver, s.game, s.beta, s.eq.log_pi, o);
  EXPECT_EQ(r.termination, Termination::kOracleCalls);
  EXPECT_EQ(r.oracle_calls, 12);
  EXPECT_EQ(r.iterations, 6);
  EXPECT_EQ(r.message, "oracle-call budget 11 reached at iteration 6");
}

// Options set through the C++ API are checked like YAML input: points_per_decade = 0 used to make
// RunSolver loop forever; each bad value is an InputError naming its key, before any step.
TEST(RunSolver, RefusesOptionsTheYamlReaderWouldRefuse) {
  Rps s;
  const auto refused = [&](const std::function<void(RunOptions&)>& set, const std::string& key) {
    RunOptions o;
    set(o);
    auto solver = s.Start("nash_mp");
    testing::ExpectInputError([&] { RunSolver(*solver, s.game, s.beta, s.eq.log_pi, o); }, {key});
  };
  refused([](RunOptions& o) { o.log.spacing = LogSpacing::kLog; o.log.points_per_decade = 0; }, "log.points_per_decade");
  refused([](RunOptions& o) { o.log.every = 0; }, "log.every");
  refused([](RunOptions& o) { o.stop.iterations = 0; }, "stop.iterations");
  refused([](RunOptions& o) { o.stop.queries = -1; }, "stop.queries");
  refused([](RunOptions& o) { o.stop.oracle_calls = -1; }, "stop.oracle_calls");
  refused([](RunOptions& o) { o.stop.wall_s = std::nan(""); }, "stop.wall_s");
  refused([](RunOptions& o) { o.stop.tolerances = {{Metric::kGapBeta, -1.0}}; }, "stop.tolerance.gap_beta");
  // A key the spacing does not read, away from its default, and a metric listed twice.
  refused([](RunOptions& o) { o.log.spacing = LogSpacing::kLog; o.log.every = 5; }, "log.every: 5 has no effect with spacing: log");
  refused([](RunOptions& o) { o.log.points_per_decade = 7; }, "log.points_per_decade: 7 has no effect with spacing: linear");
  refused([](RunOptions& o) { o.log.metrics = {Metric::kGap0, Metric::kSpan, Metric::kGap0}; },
          "log.metrics[2]: 'gap_0' is listed twice");
  RunOptions fine;
  fine.log.spacing = LogSpacing::kLog;
  fine.log.points_per_decade = 1;
  auto solver = s.Start("nash_mp");
  EXPECT_EQ(RunSolver(*solver, s.game, s.beta, s.eq.log_pi, fine).iterations, 1000);
}

// The iteration cap (1000 unless set) always applies: a run it stops before the budget the run
// spends says so; a budget that fired, or one this solver never spends, gives no such warning.
TEST(RunSolver, SaysWhenTheIterationCapCutsABudgetShort) {
  Rps s;
  const auto warned = [](const RunSummary& r) {
    for (const std::string& w : r.warnings)
      if (w.find("iteration cap") != std::string::npos) return w;
    return std::string();
  };
  auto sampled = MakeSolver("omd");
  sampled->Reset(testing::SampledContext(s.game, s.beta, OracleConfig{OracleType::kSampled, 8}, 1));
  RunOptions o;
  o.stop.iterations = 10;
  o.stop.queries = 1000;
  const RunSummary cut = RunSolver(*sampled, s.game, s.beta, s.eq.log_pi, o);
  EXPECT_EQ(cut.termination, Termination::kIterations);
  EXPECT_EQ(warned(cut),
            "the iteration cap stop.iterations = 10 ended the run after 80 of its 1000 queries; raise stop.iterations "
            "to spend the budget");
  o.stop.iterations = 1000;
  const RunSummary spent = RunSolver(*sampled, s.game, s.beta, s.eq.log_pi, o);
  EXPECT_EQ(spent.termination, Termination::kQueries);
  EXPECT_EQ(warned(spent), "");
  o.stop.iterations = 10;
  auto exact = s.Start("omd");  // spends no queries: the budget is not its
  EXPECT_EQ(warned(RunSolver(*exact, s.game, s.beta, s.eq.log_pi, o)), "");
}

TEST(RunSolver, LeavesMetricsThatNeedPiStarEmptyWithoutIt) {
  Rps s;
  auto solver = s.Start("omd");
  RunOptions o;
  o.stop.iterations = 3;
  const RunSummary r = RunSolver(*solver, s.game, s.beta, Eigen::VectorXd(), o);
  EXPECT_TRUE(std::isnan(r.final_metrics[static_cast<size_t>(Metric::kKlToStar)]));
  EXPECT_TRUE(std::isnan(r.final_metrics[static_cast<size_t>(Metric::kSpan)]));
  EXPECT_FALSE(std::isnan(r.final_metrics[static_cast<size_t>(Metric::kGapBeta)]));
  EXPECT_FALSE(r.theory.applicable);
}

// A solver that produces a NaN at its third step.
class Breaking : public Solver {
 public:
  void Reset(const SolverContext& c) override { l_ = c.game->log_mu(); }
  StepInfo Step() override {
    if (++k_ == 3) l_[0] = std::nan("");
    return {1, 0, 1.0};
  }
  const Eigen::VectorXd& current() const override { return l_; }
  ParamMap EffectiveParams() const override { return {}; }

 private:
  Eigen::VectorXd l_;
  int k_ = 0;
};

TEST(RunSolver, ReportsANonFiniteIterateAsANumericalFailure) {
  Rps s;
  Breaking b;
  b.Reset(SolverContext{&s.game, s.beta, {}, {}});
  RunOptions o;
  Recorder rec;
  const RunSummary r = RunSolver(b, s.game, s.beta, s.eq.log_pi, o, {&rec});
  EXPECT_EQ(r.termination, Termination::kNumericalFailure);
  EXPECT_EQ(r.message, "non-finite iterate at iteration 3");
  EXPECT_EQ(r.iterations, 3);
  EXPECT_EQ(rec.iterations.back(), 3);  // the failing iterate is logged too
}

TEST(RunSolver, WarnsWhenTheStepExceedsTheStabilityLimit) {
  Rps s;
  const double limit = LimitOf(*s.eq.stability, "omd");
  auto above = s.Start(fmt::format("omd(eta={})", std::min(1.2 * limit, 1.0 / s.beta)));
  RunOptions o;
  o.stop.iterations = 5;
  const RunSummary r = RunSolver(*above, s.game, s.beta, s.eq.log_pi, o);
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_NE(r.warnings[0].find("stability limit"), std::string::npos);
  auto safe = s.Start("omd");
  EXPECT_TRUE(RunSolver(*safe, s.game, s.beta, s.eq.log_pi, o).warnings.empty());
}

// A run that ends far above the gap_beta it started at says so: nash_md_pg's policy-gradient step
// (lr = 0.02) at beta = 1e4 collapses the iterate onto one action, where the gap is ~2 beta log n.
// A converging run, and mwu (its target is the beta = 0 game, not pi*_beta), say nothing.
TEST(RunSolver, NotesAGapThatRoseFarAboveItsStart) {
  const Game game = MakeGame("random_uniform(n=10)", "uniform", 0);
  RunOptions o;
  o.stop.iterations = 300;
  Recorder rec;
  auto run = [&](const std::string& spec, double beta) {
    const Equilibrium eq = SolveEquilibrium(game, beta);
    auto solver = MakeSolver(spec);
    solver->Reset(SolverContext{&game, beta, {}, eq.stability->rho});
    rec = Recorder();
    return RunSolver(*solver, game, beta, eq.log_pi, o, {&rec});
  };
  const RunSummary bad = run("nash_md_pg", 1e4);
  ASSERT_EQ(bad.warnings.size(), 1u);
  EXPECT_NE(bad.warnings[0].find("gap_beta rose from "), std::string::npos) << bad.warnings[0];
  EXPECT_NE(bad.warnings[0].find("at iteration 300: the iterates moved away from pi*_beta; a smaller step may converge"),
            std::string::npos)
      << bad.warnings[0];
  EXPECT_GT(bad.final_metrics[0], 1e4);
  EXPECT_TRUE(run("nash_md_pg", 0.1).warnings.empty());
  EXPECT_TRUE(run("omd", 1e4).warnings.empty());
  const RunSummary mwu = run("mwu", 10.0);  // its gap_beta rises as much, as it should
  EXPECT_GT(rec.gaps.back(), 10.0 * rec.gaps.front() + 10.0);
  EXPECT_TRUE(mwu.warnings.empty());
}

// A scripted walk away from pi*_beta toward action 0: out for `out` steps, then back by 1% of the
// way each step, or staying there; it may declare the walk an expected transient.
class Wanderer : public Solver {
 public:
  Wanderer(Eigen::VectorXd start, int out, bool returns, std::int64_t transient)
      : start_(std::move(start)), out_(out), returns_(returns), transient_(transient) {}
  std::int64_t TransientIterations() const override { return transient_; }
  void Reset(const SolverContext&) override {
    t_ = 0;
    d_ = 0;
    Set();
  }
  StepInfo Step() override {
    ++t_;
    d_ = t_ <= out_ ? 0.1 * t_ : (returns_ ? 0.99 * d_ : d_);
    Set();
    return {1, 0, 1.0};
  }
  const Eigen::VectorXd& current() const override { return l_; }
  ParamMap EffectiveParams() const override { return {}; }

 private:
  void Set() {
    l_ = start_;
    l_[0] += d_;
    l_.array() -= std::log(l_.array().exp().sum());
  }
  Eigen::VectorXd start_, l_;
  int out_, t_ = 0;
  bool returns_;
  std::int64_t transient_;
  double d_ = 0;
};

// The note is for a run that ended away from pi*_beta, not for one still in the transient its
// solver expects (decaying nash_md's: out, then back), falling or not at the end.
TEST(RunSolver, NoGapNoteWithinAnExpectedTransient) {
  const Game game = MakeGame("random_uniform(n=10)", "uniform", 0);
  const double beta = 0.01;
  const Equilibrium eq = SolveEquilibrium(game, beta);
  RunOptions o;
  o.stop.iterations = 300;
  for (const bool returns : {false, true}) {
    for (const std::int64_t transient : {0, 299, 300, 1000}) {
      Wanderer w(eq.log_pi, 100, returns, transient);
      w.Reset(SolverContext{&game, beta, {}, {}});
      const RunSummary r = RunSolver(w, game, beta, eq.log_pi, o);
      ASSERT_GT(r.final_metrics[0], 10.0 * beta) << returns;  // still far above its start at the end
      EXPECT_EQ(r.warnings.size(), transient < 300 ? 1u : 0u) << returns << " " << transient;
    }
  }
}

// A solver that claims a contraction it does not have.
class Boaster : public Solver {
 public:
  void Reset(const SolverContext& c) override {
    game_ = c.game;
    l_ = c.game->log_mu();
  }
  StepInfo Step() override { return {1, 0, 1.0}; }  // never moves
  const Eigen::VectorXd& current() const override { return l_; }
  ParamMap EffectiveParams() const override { return {}; }
  std::optional<double> GuaranteedContraction() const override { return 0.5; }

 private:
  const Game* game_ = nullptr;
  Eigen::VectorXd l_;
};

TEST(RunSolver, TheoryCheckReportsTheFirstViolation) {
  Rps s;
  Boaster b;
  b.Reset(SolverContext{&s.game, s.beta, {}, {}});
  RunOptions o;
  o.stop.iterations = 10;
  const RunSummary r = RunSolver(b, s.game, s.beta, s.eq.log_pi, o);
  ASSERT_TRUE(r.theory.applicable);
  EXPECT_TRUE(r.theory.violated);
  EXPECT_EQ(r.theory.first_violation, 1);
  EXPECT_NE(r.theory.message.find("violated"), std::string::npos);

  auto nmp = s.Start("nash_mp");
  const RunSummary ok = RunSolver(*nmp, s.game, s.beta, s.eq.log_pi, o);
  ASSERT_TRUE(ok.theory.applicable);
  EXPECT_FALSE(ok.theory.violated) << ok.theory.message;
  EXPECT_DOUBLE_EQ(ok.theory.factor, 1 / (1 + 2 * s.beta));
}

// A real solver claiming a contraction factor of its own choosing (Boaster's, but moving).
class Claiming : public Forwarding {
 public:
  Claiming(std::unique_ptr<Solver> inner, double factor) : Forwarding(std::move(inner)), factor_(factor) {}
  std::optional<double> GuaranteedContraction() const override { return factor_; }

 private:
  double factor_;
};

// The theory check estimates KL(pi* || pi_k) in O(n) first and computes it in full only when the
// estimate cannot rule a violation out: its first violation is the one a full KL at every
// iteration finds, for claims that hold, that fail early, and that fail only near the rounding
// floor (where the threshold is the 1e-14 slack).
TEST(RunSolver, TheoryCheckFindsTheViolationAFullKlAtEveryStepFinds) {
  const Game game = MakeGame("random_uniform(n=10)", "softmax_normal", 2);
  for (double beta : {0.05, 1.0}) {
    const Equilibrium eq = SolveEquilibrium(game, beta);
    ASSERT_TRUE(eq.certified()) << eq.message;
    const Eigen::VectorXd pi_star = eq.log_pi.array().exp();
    const double true_factor = 1 / std::sqrt(1 + 2 * beta);  // nash_mp's default step
    for (const char* spec : {"nash_mp", "egpo", "omd"}) {
      for (double claim : {true_factor, 0.99 * true_factor, 0.8, 0.5, 0.1}) {  // 0.8: nash_mp fails at 32
        SCOPED_TRACE(fmt::format("{} beta {} claim {}", spec, beta, claim));
        const std::int64_t iterations = 400;
        // The brute force: KlSum at every iteration, the driver's threshold.
        std::int64_t expected = -1;
        {
          auto solver = testing::StartSolver(spec, game, beta, {}, 0, {}, eq.stability->rho);
          auto kl = [&] { return KlSum(eq.log_pi.data(), pi_star.data(), solver->current().data(), 10); };
          double bound = kl();
          for (std::int64_t it = 1; it <= iterations && expected < 0; ++it) {
            solver->Step();
            bound *= claim;
            if (kl() > bound * (1.0 + 1e-9) + 1e-14) expected = it;
          }
        }
        Claiming claiming(testing::StartSolver(spec, game, beta, {}, 0, {}, eq.stability->rho), claim);
        RunOptions o;
        o.stop.iterations = iterations;
        o.log.every = iterations;
        const RunSummary r = RunSolver(claiming, game, beta, eq.log_pi, o);
        ASSERT_TRUE(r.theory.applicable);
        EXPECT_EQ(r.theory.violated, expected >= 0) << r.theory.message;
        EXPECT_EQ(r.theory.first_violation, expected) << r.theory.message;
      }
    }
  }
}

// Iterates at the rounding floor: pi* moved by s_k v in log space, with KL(pi* || pi_k) about
// s_k^2 Var(v) / 2 crossing the theory check's 1e-14 slack back and forth.
class NearStar : public Solver {
 public:
  NearStar(Eigen::VectorXd log_star, Eigen::VectorXd v) : star_(std::move(log_star)), v_(std::move(v)) {}
  void Reset(const SolverContext&) override { l_ = NormalizeLogits(star_ + 1e-3 * v_); }
  StepInfo Step() override {
    ++k_;
    l_ = NormalizeLogits(star_ + (1.0 + 0.6 * std::sin(0.7 * k_)) * 1.2e-7 * v_);
    return {1, 0, 1.0};
  }
  const Eigen::VectorXd& current() const override { return l_; }
  ParamMap EffectiveParams() const override { return {}; }
  std::optional<double> GuaranteedContraction() const override { return 0.5; }

 private:
  Eigen::VectorXd star_, v_, l_;
  int k_ = 0;
};

TEST(RunSolver, TheoryCheckDecidesAtTheRoundingFloorAsAFullKlDoes) {
  const Game game = MakeGame("random_uniform(n=10)", "softmax_normal", 2);
  const double beta = 0.05;
  const Equilibrium eq = SolveEquilibrium(game, beta);
  const Eigen::VectorXd pi_star = eq.log_pi.array().exp();
  Rng rng(5, "near star");
  int violated = 0;
  for (int trial = 0; trial < 20; ++trial) {
    const Eigen::VectorXd v = testing::RandomLogits(10, rng, 1.0);
    std::int64_t expected = -1;
    {
      NearStar brute(eq.log_pi, v);
      brute.Reset(SolverContext{&game, beta, {}, {}});
      double bound = KlSum(eq.log_pi.data(), pi_star.data(), brute.current().data(), 10);
      for (std::int64_t it = 1; it <= 60 && expected < 0; ++it) {
        brute.Step();
        bound *= 0.5;
        if (KlSum(eq.log_pi.data(), pi_star.data(), brute.current().data(), 10) > bound * (1.0 + 1e-9) + 1e-14)
          expected = it;
      }
    }
    NearStar near(eq.log_pi, v);
    near.Reset(SolverContext{&game, beta, {}, {}});
    RunOptions o;
    o.stop.iterations = 60;
    o.log.every = 60;
    const RunSummary r = RunSolver(near, game, beta, eq.log_pi, o);
    EXPECT_EQ(r.theory.first_violation, expected) << "trial " << trial << ": " << r.theory.message;
    violated += expected > 20 ? 1 : 0;  // after the bound has fallen under the slack
  }
  EXPECT_GE(violated, 3);  // the case is exercised: violations decided at the 1e-14 slack
}

// A solver whose iterate stays finite but stops being normalized at its third step (exp overflows,
// so every metric is NaN): a crafted way to make a metric non-finite mid-run.
class Overflowing : public Solver {
 public:
  void Reset(const SolverContext& c) override { l_ = c.game->log_mu(); }
  StepInfo Step() override {
    if (++k_ == 3) l_.setConstant(1e308);
    return {1, 0, 1.0};
  }
  const Eigen::VectorXd& current() const override { return l_; }
  ParamMap EffectiveParams() const override { return {}; }

 private:
  Eigen::VectorXd l_;
  int k_ = 0;
};

// Issue 9: a subnormal beta gave NaN in every gap_beta, termination `iterations` and exit 0.
TEST(RunSolver, ANonFiniteMetricIsANumericalFailureWithEvidence) {
  Rps s;
  const double tiny = 1e-310;  // g / beta overflows: gap_beta is NaN although the iterate is finite
  auto solver = MakeSolver("nash_mp");
  solver->Reset(SolverContext{&s.game, tiny, {}, {}});
  RunOptions o;
  o.stop.iterations = 100;
  Recorder rec;
  const RunSummary r = RunSolver(*solver, s.game, tiny, Eigen::VectorXd(), o, {&rec});
  EXPECT_EQ(r.termination, Termination::kNumericalFailure);
  EXPECT_NE(r.message.find("non-finite metric gap_beta"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("at iteration 0"), std::string::npos) << r.message;
  EXPECT_EQ(r.iterations, 0);
  EXPECT_EQ(rec.iterations, (std::vector<std::int64_t>{0}));
}

TEST(RunSolver, ANonFiniteMetricMidRunStopsThereAndIsLogged) {
  Rps s;
  // A pi* with a NaN: kl_to_star is NaN; only every 5th iteration is logged, and the tolerance on
  // gap_beta (finite) is checked every iteration.
  Eigen::VectorXd bad_star = s.eq.log_pi;
  bad_star[1] = std::nan("");
  auto solver = s.Start("nash_mp");
  RunOptions o;
  o.stop.iterations = 100;
  o.log.every = 5;
  o.log.metrics = {Metric::kGapBeta, Metric::kKlToStar};
  o.stop.tolerances = {{Metric::kGapBeta, 1e-300}};
  o.theory_check = false;
  const RunSummary r = RunSolver(*solver, s.game, s.beta, bad_star, o);
  EXPECT_EQ(r.termination, Termination::kNumericalFailure);
  EXPECT_EQ(r.message, "non-finite metric kl_to_star = nan at iteration 0");

  // A metric that only turns non-finite mid-run: caught by the tolerance check at once, or at the
  // next logged iteration without one; the last iteration is logged either way.
  for (bool with_tolerance : {true, false}) {
    Overflowing overflowing;
    overflowing.Reset(SolverContext{&s.game, s.beta, {}, {}});
    o.log.metrics = {};
    o.stop.tolerances.clear();
    if (with_tolerance) o.stop.tolerances = {{Metric::kGapBeta, 1e-300}};
    Recorder rec;
    const RunSummary mid = RunSolver(overflowing, s.game, s.beta, s.eq.log_pi, o, {&rec});
    const std::int64_t at = with_tolerance ? 3 : 5;
    EXPECT_EQ(mid.termination, Termination::kNumericalFailure);
    EXPECT_EQ(mid.iterations, at);
    EXPECT_NE(mid.message.find(fmt::format("non-finite metric gap_beta = nan at iteration {}", at)), std::string::npos)
        << mid.message;
    EXPECT_EQ(rec.iterations.back(), at);
    EXPECT_TRUE(std::isnan(rec.gaps.back()));
  }
}

TEST(RunSolver, NotesOfTheSolverAreWarningsOfTheRun) {
  Rps s;
  auto solver = MakeSolver("omd(eta=auto)");
  solver->Reset(SolverContext{&s.game, s.beta, {}, {}});  // no rho: the default step, with a note
  RunOptions o;
  o.stop.iterations = 3;
  const RunSummary r = RunSolver(*solver, s.game, s.beta, s.eq.log_pi, o);
  ASSERT_FALSE(r.warnings.empty());
  EXPECT_NE(r.warnings[0].find("auto needs the spectral radius"), std::string::npos) << r.warnings[0];
}

// Issue 9: a run that cannot meet its tolerance ran on in silence.
TEST(RunSolver, WarnsWhenTheToleranceMetricHasStalled) {
  Rps s;
  auto solver = s.Start("nash_mp");  // reaches the rounding floor within ~1000 iterations
  RunOptions o;
  o.stop.iterations = 3 * kStallMinIterations;
  o.stop.tolerances = {{Metric::kGapBeta, 1e-300}};
  o.log.spacing = LogSpacing::kLog;
  const RunSummary r = RunSolver(*solver, s.game, s.beta, s.eq.log_pi, o);
  EXPECT_EQ(r.termination, Termination::kIterations);
  ASSERT_GE(r.stalled_since, 0);
  EXPECT_LE(r.stalled_since, r.iterations / 2);
  ASSERT_FALSE(r.warnings.empty());
  EXPECT_NE(r.warnings.back().find(fmt::format("gap_beta has not improved since iteration {} (best ", r.stalled_since)),
            std::string::npos)
      << r.warnings.back();
  // The last value too, which is what the report's table shows.
  EXPECT_NE(r.warnings.back().find(fmt::format(" there, {:.3g} at the end; the tolerance 1e-300 may be out of reach)",
                                               r.final_metrics[static_cast<size_t>(Metric::kGapBeta)])),
            std::string::npos)
      << r.warnings.back();
}

// The stall rule reads the watched metric at every 64th iteration and at logged iterations that log
// it, whatever else the run computes: the same note with and without pi* (whose bound spares the
// tolerance check exact values that it would compute otherwise); with gap_beta not logged, at
// multiples of 64 only. No logged value after K improves on the best (the trace never contradicts
// the note).
TEST(RunSolver, TheStallRuleReadsTheScheduleAndTheLogOnly) {
  Rps s;
  std::vector<std::int64_t> since;
  for (int variant = 0; variant < 4; ++variant) {
    auto solver = s.Start("nash_mp");
    RunOptions o;
    o.stop.iterations = 3 * kStallMinIterations;
    o.stop.tolerances = {{Metric::kGapBeta, 1e-300}};
    o.log.spacing = LogSpacing::kLinear;
    o.log.every = 7;
    if (variant >= 2) o.log.metrics = {Metric::kGap0};
    const Eigen::VectorXd none;
    Recorder rows;
    const RunSummary r = RunSolver(*solver, s.game, s.beta, variant % 2 == 1 ? none : s.eq.log_pi, o, {&rows});
    ASSERT_GE(r.stalled_since, 0) << "variant " << variant;
    if (variant >= 2) {
      EXPECT_EQ(r.stalled_since % 64, 0);
    } else {
      EXPECT_TRUE(r.stalled_since % 64 == 0 || r.stalled_since % 7 == 0) << r.stalled_since;
      for (size_t k = 0; k < rows.iterations.size(); ++k) {
        if (rows.iterations[k] > r.stalled_since) {
          EXPECT_GE(rows.gaps[k], r.stalled_at * (1.0 - kStallImprovement)) << "iteration " << rows.iterations[k];
        }
      }
    }
    since.push_back(r.stalled_since);
  }
  EXPECT_EQ(since[0], since[1]);
  EXPECT_EQ(since[2], since[3]);
  // Cycling mwu (the quickstart's seed 0) logged at every 7th iteration: its dips between the
  // multiples of 64 are in the trace, so the rule sees them, the last row's too (20000 is not a
  // multiple of 7). With pi* and without it the check computes gap_beta at different iterations
  // (at 1e-10 pi*'s bound is in use: its rounding allowance is below the tolerance; at 1e-300
  // above, it is not), and the rule's answer is the same.
  const Game game = MakeGame("random_uniform(n=10)", "softmax_normal", 0);
  const double beta = 0.01;
  const Equilibrium eq = SolveEquilibrium(game, beta);
  std::vector<RunSummary> runs;
  for (bool star : {true, false}) {
    auto solver = MakeSolver("mwu");
    solver->Reset(SolverContext{&game, beta, {}, eq.stability->rho});
    RunOptions o;
    o.stop.iterations = 20000;
    o.stop.tolerances = {{Metric::kGapBeta, 1e-10}};
    o.log.every = 7;
    o.log.metrics = {Metric::kGapBeta};
    Recorder rows;
    const Eigen::VectorXd none;
    const RunSummary r = RunSolver(*solver, game, beta, star ? eq.log_pi : none, o, {&rows});
    ASSERT_GE(r.stalled_since, 0);
    ASSERT_EQ(rows.iterations.back(), 20000);
    for (size_t k = 0; k < rows.iterations.size(); ++k) {
      if (rows.iterations[k] > r.stalled_since) {
        EXPECT_GE(rows.gaps[k], r.stalled_at * (1.0 - kStallImprovement)) << "iteration " << rows.iterations[k];
      }
    }
    runs.push_back(r);
  }
  EXPECT_EQ(runs[0].stalled_since, runs[1].stalled_since);
  EXPECT_EQ(runs[0].stalled_at, runs[1].stalled_at);
}

// The last row, which a run that ends between its log points adds, reaches the rule too: cycling
// mwu stopped at an iteration that is neither logged nor a sample, whose gap_beta is below every
// value the rule has seen (found from a run logged at every iteration). Without that row the rule
// would say "not improved since K" with a better value in the trace after K.
TEST(RunSolver, TheStallRuleReadsTheLastRow) {
  const double beta = 0.01;
  bool found = false;
  for (std::uint64_t seed : {0, 1, 2}) {
    const Game game = MakeGame("random_uniform(n=10)", "softmax_normal", seed);
    const Equilibrium eq = SolveEquilibrium(game, beta);
    auto run = [&](std::int64_t iterations, std::int64_t every, Recorder& rows) {
      auto solver = MakeSolver("mwu");
      solver->Reset(SolverContext{&game, beta, {}, eq.stability->rho});
      RunOptions o;
      o.stop.iterations = iterations;
      o.stop.tolerances = {{Metric::kGapBeta, 1e-10}};
      o.log.every = every;
      o.log.metrics = {Metric::kGapBeta};
      return RunSolver(*solver, game, beta, eq.log_pi, o, {&rows});
    };
    Recorder all;
    run(40000, 1, all);
    ASSERT_EQ(all.iterations.size(), 40001u);
    for (std::int64_t every : {7, 1000}) {
      // The rule's samples at every `every`-th and every 64th iteration (mwu has no transient), and
      // the first iteration past them where the rule would hold but the gap is below its best.
      double best = 0.0;
      std::int64_t best_it = -1, last = -1;
      for (std::int64_t t = 1; t <= 40000 && last < 0; ++t) {
        const double gap = all.gaps[static_cast<size_t>(t)];
        const bool stalled = best_it >= 0 && t - best_it >= kStallMinIterations && 2 * (t - best_it) >= t;
        if (t % every != 0 && t % 64 != 0) {
          if (stalled && gap < best * (1.0 - kStallImprovement)) last = t;
          continue;
        }
        if (best_it < 0 || gap < best * (1.0 - kStallImprovement)) {
          best = gap;
          best_it = t;
        }
      }
      if (last < 0) continue;
      found = true;
      const std::string spec = fmt::format("seed {}, log every {}, stopped at {} (best {} at {})", seed, every, last,
                                           best, best_it);
      Recorder rows;
      const RunSummary r = run(last, every, rows);
      ASSERT_EQ(rows.iterations.back(), last) << spec;
      EXPECT_EQ(rows.gaps.back(), all.gaps[static_cast<size_t>(last)]) << spec;
      EXPECT_EQ(r.stalled_since, -1) << spec << ": since " << r.stalled_since << ", best " << r.stalled_at
                                     << ", last row " << rows.gaps.back();
    }
  }
  EXPECT_TRUE(found) << "no such iteration: the test needs other games or lengths";
}

TEST(RunSolver, TheStallRuleDoesNotFireOnSlowlyConvergingMethods) {
  // Decaying nash_md at beta = 0.001: gap_beta ~1 for ~10^4 iterations (its declared transient),
  // then O(1/t). Issue 9 asked for a rule that cannot fire on it.
  const Game game = MakeGame("random_uniform(n=10)", "softmax_normal", 0);
  for (double beta : {0.001, 0.01}) {
    const Equilibrium eq = SolveEquilibrium(game, beta);
    const std::string spec = fmt::format("nash_md at beta {}", beta);
    auto solver = MakeSolver("nash_md");
    solver->Reset(SolverContext{&game, beta, {}, eq.stability->rho});
    RunOptions o;
    o.stop.iterations = 200000;
    o.stop.tolerances = {{Metric::kGapBeta, 1e-300}};
    o.log.spacing = LogSpacing::kLog;
    o.log.metrics = {Metric::kGapBeta};
    const RunSummary r = RunSolver(*solver, game, beta, eq.log_pi, o);
    EXPECT_EQ(r.stalled_since, -1) << spec;
    for (const std::string& w : r.warnings) EXPECT_EQ(w.find("has not improved"), std::string::npos) << spec << ": " << w;
  }
}

// Every record, bit for bit: the metrics, the iterate and the counts.
class FullRecorder : public RunObserver {
 public:
  void OnRecord(const Record& r) override {
    iterations.push_back(r.iteration);
    calls.push_back(r.oracle_calls);
    queries.push_back(r.queries);
    metrics.push_back(r.metrics);
    logits.push_back(*r.logits);
    wall.push_back(r.wall_s);
  }
  // The record at iteration `it` (which must exist).
  size_t At(std::int64_t it) const {
    for (size_t k = 0; k < iterations.size(); ++k)
      if (iterations[k] == it) return k;
    ADD_FAILURE() << "no record at iteration " << it;
    return 0;
  }
  std::vector<std::int64_t> iterations, calls, queries;
  std::vector<MetricValues> metrics;
  std::vector<Eigen::VectorXd> logits;
  std::vector<double> wall;
};

bool SameBits(const MetricValues& a, const MetricValues& b) { return std::memcmp(a.data(), b.data(), sizeof a) == 0; }
bool SameBits(const Eigen::VectorXd& a, const Eigen::VectorXd& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), sizeof(double) * static_cast<size_t>(a.size())) == 0;
}

// The driver offers the P pi of its metric evaluations to the solver (Solver::OfferPayoff), whose
// next step takes it instead of multiplying again. So a tolerance checked at every iteration and
// metrics logged at every iteration change nothing: the same iterates, metrics and oracle calls,
// bit for bit, as a run that evaluates only every 10 iterations. Over every kind of step (exact
// and sampled oracles, a moving reference, an average iterate, inner loops).
TEST(RunSolver, ToleranceChecksAndRecordsLeaveTheRunBitIdentical) {
  const Game game = MakeGame("random_uniform(n=12)", "softmax_normal", 4);
  const double beta = 0.05;
  const Equilibrium eq = SolveEquilibrium(game, beta);
  ASSERT_TRUE(eq.certified()) << eq.message;
  OracleConfig sampled;
  sampled.type = OracleType::kSampled;
  sampled.batch = 16;
  const std::vector<std::pair<std::string, OracleConfig>> cases = {
      {"omd", {}}, {"nash_mp", {}}, {"egpo", {}}, {"mmd(reference_gap=1e-3)", {}}, {"omd(reference_every=7)", {}},
      {"mwu", {}}, {"omwu", {}}, {"online_ipo2", {}}, {"prox", {}}, {"nash_prox", {}}, {"nash_md", {}},
      {"nash_md_pg", {}}, {"omd", sampled}, {"egpo", sampled}};
  for (const auto& [spec, oracle] : cases) {
    SCOPED_TRACE(spec + " " + oracle.Spec());
    auto run = [&](bool tolerance, std::int64_t every, FullRecorder& rec) {
      auto solver = testing::StartSolver(spec, game, beta, oracle, 11, {}, eq.stability->rho);
      RunOptions o;
      o.stop.iterations = 30;
      o.log.every = every;
      // Never met (gap_beta > 0 off pi*): checked at every iteration, between the records.
      if (tolerance) o.stop.tolerances = {{Metric::kGapBeta, 0.0}};
      return RunSolver(*solver, game, beta, eq.log_pi, o, {&rec});
    };
    FullRecorder plain, checked, every_step;
    const RunSummary a = run(false, 10, plain), b = run(true, 10, checked), c = run(false, 1, every_step);
    ASSERT_EQ(b.termination, Termination::kIterations) << b.message;
    EXPECT_EQ(a.oracle_calls, b.oracle_calls);
    EXPECT_EQ(a.oracle_calls, c.oracle_calls);
    EXPECT_EQ(a.queries, b.queries);
    EXPECT_EQ(a.queries, c.queries);
    EXPECT_TRUE(SameBits(a.final_logits, b.final_logits));
    EXPECT_TRUE(SameBits(a.final_logits, c.final_logits));
    EXPECT_TRUE(SameBits(a.final_metrics, b.final_metrics));
    EXPECT_TRUE(SameBits(a.final_metrics, c.final_metrics));
    ASSERT_EQ(plain.iterations, checked.iterations);
    for (size_t k = 0; k < plain.iterations.size(); ++k) {
      const size_t j = every_step.At(plain.iterations[k]);
      EXPECT_EQ(plain.calls[k], checked.calls[k]);
      EXPECT_EQ(plain.calls[k], every_step.calls[j]);
      EXPECT_TRUE(SameBits(plain.metrics[k], checked.metrics[k])) << "iteration " << plain.iterations[k];
      EXPECT_TRUE(SameBits(plain.metrics[k], every_step.metrics[j])) << "iteration " << plain.iterations[k];
      EXPECT_TRUE(SameBits(plain.logits[k], checked.logits[k])) << "iteration " << plain.iterations[k];
      EXPECT_TRUE(SameBits(plain.logits[k], every_step.logits[j])) << "iteration " << plain.iterations[k];
    }
  }
}

// stop.wall_s ends a run (the driver reads the clock in batches of steps: run.cc, SolverTimer), and
// the records' solver time never decreases and ends at the summary's.
TEST(RunSolver, StopsAtTheWallTimeBudget) {
  Rps s;
  auto solver = s.Start("omd");
  RunOptions o;
  o.stop.iterations = kMaxIterations;
  o.stop.wall_s = 0.02;
  o.log.spacing = LogSpacing::kLog;
  FullRecorder rec;
  const RunSummary r = RunSolver(*solver, s.game, s.beta, s.eq.log_pi, o, {&rec});
  EXPECT_EQ(r.termination, Termination::kWallTime) << r.message;
  EXPECT_GE(r.wall_s, 0.02);
  EXPECT_EQ(r.message.rfind("wall time 0.02 s reached at iteration ", 0), 0u) << r.message;
  ASSERT_GE(rec.wall.size(), 3u);
  EXPECT_EQ(rec.wall.front(), 0.0);
  for (size_t k = 1; k < rec.wall.size(); ++k) EXPECT_LE(rec.wall[k - 1], rec.wall[k]);
  EXPECT_EQ(rec.wall.back(), r.wall_s);
  EXPECT_EQ(rec.iterations.back(), r.iterations);
}

// EvaluateMetrics computes P pi only for the metrics that read it: the KLs and span need only
// the logits, so a workspace holding another policy's payoff keeps it.
TEST(EvaluateMetrics, ComputesThePayoffOnlyWhenARequestedMetricNeedsIt) {
  Rps s;
  const Eigen::VectorXd l = s.game.log_mu();
  PolicyPoint w;
  w.pi = Eigen::VectorXd::Constant(3, -1.0);
  w.g = Eigen::VectorXd::Constant(3, -1.0);
  MetricMask kls;
  kls.set(static_cast<size_t>(Metric::kKlToStar)).set(static_cast<size_t>(Metric::kSpan));
  EXPECT_FALSE(NeedsPayoff(kls));
  const MetricValues v = EvaluateMetrics(s.game, s.beta, l, s.eq.log_pi, kls, w);
  EXPECT_EQ(w.g, Eigen::VectorXd::Constant(3, -1.0));  // untouched
  EXPECT_EQ(v[static_cast<size_t>(Metric::kKlToStar)], KlFromLogits(s.eq.log_pi, l));
  EXPECT_TRUE(std::isnan(v[static_cast<size_t>(Metric::kGapBeta)]));
  MetricMask gap;
  gap.set(static_cast<size_t>(Metric::kGapBeta));
  EXPECT_TRUE(NeedsPayoff(gap));
  const MetricValues u = EvaluateMetrics(s.game, s.beta, l, s.eq.log_pi, gap, w);
  EXPECT_EQ(w.g, s.game.P() * s.game.mu());
  EXPECT_EQ(u[0], GapBeta(s.game, s.beta, Evaluate(s.game, l)));
  // Every metric: the mask form equals the list form, and NeedsPayoff says which read g.
  const MetricValues all = EvaluateMetrics(s.game, s.beta, l, s.eq.log_pi, std::vector<Metric>{});
  for (const MetricInfo& info : MetricTable()) {
    if (info.needs_ne) continue;  // no pi_NE given
    MetricMask one;
    one.set(static_cast<size_t>(info.id));
    PolicyPoint fresh;
    fresh.pi = fresh.g = Eigen::VectorXd::Constant(3, std::nan(""));  // a metric reading g would give NaN
    const MetricValues x = EvaluateMetrics(s.game, s.beta, l, s.eq.log_pi, one, fresh);
    EXPECT_EQ(x[static_cast<size_t>(info.id)], all[static_cast<size_t>(info.id)]) << info.name;
  }
}

TEST(RunSolver, ReportsTheAverageIterateOfSolversThatKeepOne) {
  Rps s;
  auto mwu = s.Start("mwu");
  RunOptions o;
  o.stop.iterations = 20;
  const RunSummary r = RunSolver(*mwu, s.game, s.beta, s.eq.log_pi, o);
  ASSERT_TRUE(r.final_average_metrics.has_value());
  EXPECT_FALSE(std::isnan((*r.final_average_metrics)[static_cast<size_t>(Metric::kGap0)]));
}

// A set cancel flag ends the run with Cancelled at the next clock read of the solver's time: at
// once when every iteration is logged (a read before each record), within 16 steps otherwise. A
// run whose flag stays clear is the run without one.
TEST(RunSolver, ACancelFlagEndsTheRunWithCancelledAtItsNextClockRead) {
  Rps s;
  std::atomic<bool> cancel{false};
  class CancelAt : public RunObserver {
   public:
    CancelAt(std::atomic<bool>& flag, std::int64_t at) : flag_(flag), at_(at) {}
    void OnRecord(const Record& r) override {
      last = r.iteration;
      if (r.iteration == at_) flag_.store(true);
    }
    std::int64_t last = -1;

   private:
    std::atomic<bool>& flag_;
    const std::int64_t at_;
  };
  RunOptions o;
  o.stop.iterations = 1'000'000'000'000;  // never reached: hours of steps
  o.stop.wall_s = 30.0;                   // should the flag be missed: a failure, not a hang
  o.log.every = 1;
  o.cancel = &cancel;
  auto solver = s.Start("nash_mp");
  CancelAt at100(cancel, 100);
  EXPECT_THROW(RunSolver(*solver, s.game, s.beta, s.eq.log_pi, o, {&at100}), Cancelled);
  EXPECT_EQ(at100.last, 100);
  // Not logged: the steps go on until the clock is read.
  class Counting : public Forwarding {
   public:
    using Forwarding::Forwarding;
    StepInfo Step() override {
      ++steps;
      return inner_->Step();
    }
    std::int64_t steps = 0;
  };
  cancel.store(false);
  o.log.every = 1'000'000'000;
  Counting counting(s.Start("nash_mp"));
  CancelAt at0(cancel, 0);
  EXPECT_THROW(RunSolver(counting, s.game, s.beta, s.eq.log_pi, o, {&at0}), Cancelled);
  EXPECT_EQ(at0.last, 0);
  EXPECT_GE(counting.steps, 1);
  EXPECT_LE(counting.steps, 16);
  // Clear: the same run as with no flag, bit for bit.
  cancel.store(false);
  o.stop.iterations = 50;
  o.stop.wall_s = 0.0;
  o.log.every = 7;
  solver = s.Start("nash_mp");
  const RunSummary with = RunSolver(*solver, s.game, s.beta, s.eq.log_pi, o, {});
  o.cancel = nullptr;
  solver = s.Start("nash_mp");
  const RunSummary without = RunSolver(*solver, s.game, s.beta, s.eq.log_pi, o, {});
  EXPECT_EQ(with.final_logits, without.final_logits);
  EXPECT_EQ(with.iterations, 50);
}

}  // namespace
}  // namespace nlhf
