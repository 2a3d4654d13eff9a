#include "nlhf/run.h"

#include <fmt/compile.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <string>
#include <tuple>
#include <vector>

#include "nlhf/errors.h"
#include "nlhf/logspace.h"
#include "run_option_table.h"
#include "clock.h"
#include "stall_rule.h"
#include "tolerance_check.h"

namespace nlhf {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

size_t Index(Metric m) { return static_cast<size_t>(m); }

// round(10^(j / ppd)): the same points for every run with this ppd, so each thread keeps those it
// computed (std::pow costs ~20 ns, and a 200-iteration run at ppd = 20 asks for ~50 of them).
std::int64_t LogPoint(int points_per_decade, int j) {
  thread_local int ppd = 0;
  thread_local std::vector<std::int64_t> points;
  if (ppd != points_per_decade) {
    ppd = points_per_decade;
    points.clear();
  }
  while (points.size() <= static_cast<size_t>(j))
    points.push_back(static_cast<std::int64_t>(
        std::llround(std::pow(10.0, static_cast<double>(points.size()) / points_per_decade))));
  return points[static_cast<size_t>(j)];
}

// Iterations logged with log spacing: 0 and round(10^(j/ppd)), deduplicated.
class LogSchedule {
 public:
  explicit LogSchedule(const LogOptions& o)
      : spacing_(o.spacing), every_(std::max<std::int64_t>(1, o.every)), ppd_(o.points_per_decade) {}
  bool Logs(std::int64_t it) {
    if (it == 0) return true;
    if (spacing_ == LogSpacing::kLinear) return it % every_ == 0;
    while (next_ < it) Advance();
    return next_ == it;
  }

 private:
  void Advance() {
    std::int64_t candidate = next_;
    while (candidate <= next_) candidate = LogPoint(ppd_, ++j_);
    next_ = candidate;
  }
  LogSpacing spacing_;
  std::int64_t every_;
  int ppd_;
  std::int64_t next_ = 1;  // 10^0
  int j_ = 0;
};

constexpr std::chrono::milliseconds kHeartbeatInterval{100};

// Solver wall time with few clock reads (a read costs ~20 ns, an omd step at n = 10 ~200 ns). The
// clock is read when a solver interval must end: before work that is not solver time (metric
// evaluation, a theory check its first bound did not settle, observers) and after a batch of
// plain steps. The batch doubles, up to kMaxBatch steps, while a batch takes under kBatchTime,
// and halves when it takes over twice that: at n = 10 the clock is read every 16 steps, at
// n = 1000 after every step. So a `stop.wall_s` and a heartbeat may come up to kMaxBatch - 1 steps
// late (about kBatchTime of steps when their cost is steady). The driver's per-step work between
// two reads counts as solver time: the budget checks, the theory check's first bound (O(n), no
// exp) and, at iterations that are not logged, the stop.tolerance check (usually an evaluation of
// the iterate, whose P pi a solver's next step reuses, and an O(n) bound) with the stall rule's
// samples (a copy of the iterate, and at times the values of those kept: stall_rule.h).
class SolverTimer {
 public:
  static constexpr std::int64_t kMaxBatch = 16;
  static constexpr std::chrono::microseconds kBatchTime{10};

  // Solver time starts (again) now, after work that is not solver time.
  void Open() {
    mark_ = Clock::now();
    pending_ = 0;
  }
  // After each step; `force`: work that is not solver time follows. Returns whether the clock was
  // read, i.e. `wall_s` is up to date (now() is then the time of the read).
  bool AfterStep(double& wall_s, bool force) {
    if (++pending_ < batch_ && !force) return false;
    const bool full = pending_ >= batch_;
    Read(wall_s);
    if (full && !force) {
      if (last_ < kBatchTime && batch_ < kMaxBatch) batch_ *= 2;
      if (last_ > 2 * kBatchTime && batch_ > 1) batch_ /= 2;
    }
    return true;
  }
  // Ends the interval: adds the time of the steps not yet read to `wall_s` (after the loop).
  void Close(double& wall_s) {
    if (pending_ > 0) Read(wall_s);
  }
  Clock::time_point now() const { return mark_; }

 private:
  void Read(double& wall_s) {
    const Clock::time_point t = Clock::now();
    last_ = t - mark_;
    wall_s += std::chrono::duration<double>(last_).count();
    mark_ = t;
    pending_ = 0;
  }
  Clock::time_point mark_ = Clock::now();
  Clock::duration last_{};
  std::int64_t pending_ = 0;  // steps since mark_
  std::int64_t batch_ = 1;
};

// The first computed metric of `m` that is not finite, as evidence ("gap_beta = nan"); "" if none.
std::string NonFinite(const MetricValues& m, const MetricMask& computed) {
  for (size_t k = 0; k < kNumMetrics; ++k)
    if (computed[k] && !std::isfinite(m[k]))
      return fmt::format("{} = {}", MetricTable()[k].name, std::isnan(m[k]) ? "nan" : fmt::format("{}", m[k]));
  return "";
}

}  // namespace

std::string_view TerminationName(Termination t) {
  switch (t) {
    case Termination::kIterations: return "iterations";
    case Termination::kOracleCalls: return "oracle_calls";
    case Termination::kQueries: return "queries";
    case Termination::kWallTime: return "wall_s";
    case Termination::kTolerance: return "tolerance";
    case Termination::kNumericalFailure: return "numerical_failure";
  }
  return "?";
}

MetricValues EvaluateMetrics(const Game& game, double beta, const Eigen::VectorXd& logits,
                             const Eigen::VectorXd& log_pi_star, const std::vector<Metric>& which,
                             const Eigen::VectorXd& log_pi_ne) {
  PolicyPoint workspace;
  return EvaluateMetrics(game, beta, logits, log_pi_star, which, workspace, log_pi_ne);
}

MetricMask ComputedMetrics(double beta, bool have_star, const std::vector<Metric>& which, bool have_ne) {
  MetricMask mask;
  for (const MetricInfo& info : MetricTable()) {
    const bool wanted = which.empty() ? DefaultMetric(info.id, beta)
                                      : std::find(which.begin(), which.end(), info.id) != which.end();
    if (!wanted || !MetricDefinedAt(info.id, beta)) continue;
    if (info.needs_star && !have_star) continue;
    if (info.needs_ne && !have_ne) continue;
    mask.set(Index(info.id));
  }
  return mask;
}

MetricValues EvaluateMetrics(const Game& game, double beta, const Eigen::VectorXd& logits,
                             const Eigen::VectorXd& log_pi_star, const std::vector<Metric>& which,
                             PolicyPoint& p, const Eigen::VectorXd& log_pi_ne) {
  return EvaluateMetrics(game, beta, logits, log_pi_star,
                         ComputedMetrics(beta, log_pi_star.size() > 0, which, log_pi_ne.size() > 0), p, log_pi_ne);
}

bool NeedsPayoff(const MetricMask& mask) {
  for (size_t k = 0; k < kNumMetrics; ++k)
    if (mask[k] && NeedsPayoff(static_cast<Metric>(k))) return true;
  return false;
}

namespace {

// The point of a policy for metrics: its pi and P pi when `payoff`, else only its logits (enough for
// kl_to_star, kl_from_star and span).
void EvaluatePoint(const Game& game, const Eigen::VectorXd& logits, bool payoff, PolicyPoint& p) {
  if (payoff) {
    Evaluate(game, logits, p);
  } else {
    NLHF_CHECK(logits.size() == game.n(), "policy size differs from the game's");
    p.log_pi = logits;
  }
}

// The metrics of a mask at an evaluated point (with pi and P pi if the mask needs them).
// `pi_star`, if given, is ExpEach(log_pi_star), taken once for all of a run's records.
MetricValues MetricsAt(const Game& game, double beta, const PolicyPoint& p, const Eigen::VectorXd& log_pi_star,
                       const Eigen::VectorXd& log_pi_ne, const MetricMask& mask,
                       const Eigen::VectorXd* pi_star = nullptr) {
  MetricValues out;
  out.fill(kNaN);
  // kl_to_star and kl_from_star take the same exps (the same bits as one at a time).
  const size_t to = Index(Metric::kKlToStar), from = Index(Metric::kKlFromStar);
  const bool both_kl = mask[to] && mask[from];
  if (both_kl)  // (KlBothWays checks the sizes)
    std::tie(out[to], out[from]) =
        pi_star ? KlBothWays(log_pi_star, *pi_star, p.log_pi) : KlBothWays(log_pi_star, p.log_pi);
  for (size_t k = 0; k < kNumMetrics; ++k) {
    if (!mask[k] || (both_kl && (k == to || k == from))) continue;
    // exploitability = gap_beta / 2 (metrics.cc): once gap_beta is known, not computed again.
    if (static_cast<Metric>(k) == Metric::kExploitability && mask[Index(Metric::kGapBeta)]) {
      out[k] = 0.5 * out[Index(Metric::kGapBeta)];
      continue;
    }
    out[k] = ComputeMetric(static_cast<Metric>(k), game, beta, p, log_pi_star, log_pi_ne);
  }
  return out;
}

// EvaluateMetrics of a mask, `payoff` = NeedsPayoff(mask) (the driver computes both once per run).
MetricValues EvaluateMasked(const Game& game, double beta, const Eigen::VectorXd& logits,
                            const Eigen::VectorXd& log_pi_star, const Eigen::VectorXd& log_pi_ne,
                            const MetricMask& mask, bool payoff, PolicyPoint& p) {
  EvaluatePoint(game, logits, payoff, p);
  return MetricsAt(game, beta, p, log_pi_star, log_pi_ne, mask);
}

}  // namespace

MetricValues EvaluateMetrics(const Game& game, double beta, const Eigen::VectorXd& logits,
                             const Eigen::VectorXd& log_pi_star, const MetricMask& mask, PolicyPoint& p,
                             const Eigen::VectorXd& log_pi_ne) {
  return EvaluateMasked(game, beta, logits, log_pi_star, log_pi_ne, mask, NeedsPayoff(mask), p);
}

void StopRules::Validate() const {
  CheckOptionRows(StopOptionRows(), *this, "stop");
  for (const auto& [metric, value] : tolerances) {
    const std::string name(MetricTable()[static_cast<size_t>(metric)].name);
    CheckParamValue(ToleranceSpec(name), value, "stop.tolerance." + name);
  }
}

void LogOptions::Validate() const {
  CheckOptionRows(LogOptionRows(), *this, "log");
  if (const std::string problem = UnusedEveryProblem(*this); !problem.empty()) throw InputError("log.every", problem);
  if (const std::string problem = UnusedPointsPerDecadeProblem(*this); !problem.empty())
    throw InputError("log.points_per_decade", problem);
  for (size_t i = 0; i < metrics.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (metrics[j] == metrics[i])
        throw InputError(fmt::format("log.metrics[{}]", i),
                         fmt::format("'{}' is listed twice, expected each metric once",
                                     MetricTable()[static_cast<size_t>(metrics[i])].name));
}

void RunOptions::Validate() const {
  stop.Validate();
  log.Validate();
}

RunSummary RunSolver(Solver& solver, const Game& game, double beta, const Eigen::VectorXd& log_pi_star,
                     const RunOptions& options, const std::vector<RunObserver*>& observers) {
  options.Validate();
  const StopRules& stop = options.stop;
  RunSummary summary;
  summary.warnings = solver.Notes();
  LogSchedule schedule(options.log);
  const bool have_star = log_pi_star.size() > 0;
  const Eigen::VectorXd& log_pi_ne = options.log_pi_ne;
  const bool have_ne = log_pi_ne.size() > 0;
  NLHF_CHECK(!have_ne || log_pi_ne.size() == game.n(), "pi_NE and the game differ in size");
  const MetricMask logged_mask = ComputedMetrics(beta, have_star, options.log.metrics, have_ne);
  // The average iterate's columns of the trace (kAverageTraceMetrics), for solvers that keep one.
  MetricMask average_mask;
  for (Metric m : kAverageTraceMetrics)
    if (logged_mask[Index(m)]) average_mask.set(Index(m));

  // A tolerance on a metric that needs pi* cannot be evaluated without it (an equilibrium that was
  // not certified): the run goes on under its other stop rules, and the summary says so.
  std::vector<std::pair<Metric, double>> tolerances;
  for (const auto& [m, v] : stop.tolerances) {
    if ((MetricTable()[Index(m)].needs_star && !have_star) || (MetricTable()[Index(m)].needs_ne && !have_ne)) {
      summary.warnings.push_back(fmt::format("the tolerance on {} was not applied: it needs {}, which is not known "
                                             "for this game (not certified)",
                                             MetricTable()[Index(m)].name,
                                             MetricTable()[Index(m)].needs_ne ? "the beta = 0 equilibrium" : "pi*"));
      continue;
    }
    tolerances.emplace_back(m, v);
  }
  ToleranceCheck check(game, beta, log_pi_star, log_pi_ne, std::move(tolerances));
  // The stall rule's deferred samples: the watched metric at a kept iterate.
  PolicyPoint stall_point;
  StallRule stall(solver.TransientIterations(), [&](const Eigen::VectorXd& logits) {
    EvaluatePoint(game, logits, check.needs_payoff(), stall_point);
    return check.Peek(stall_point);
  });

  TheoryCheck& theory = summary.theory;
  const std::optional<double> factor = solver.GuaranteedContraction();
  theory.applicable = options.theory_check && factor.has_value() && have_star;
  double kl0 = 0.0, bound = 0.0;
  // KL(pi* || pi) at every step, with pi* = exp(log pi*) computed once.
  // (ExpProbabilities: p log p is 0 where p underflows.)
  const Eigen::VectorXd pi_star = theory.applicable ? Probabilities(log_pi_star) : Eigen::VectorXd();
  auto kl_to_star = [&] {
    return KlSum(log_pi_star.data(), pi_star.data(), solver.current().data(), log_pi_star.size());
  };
  // KlSum's value bounded from above (logspace.h): first with no exp at all (KlSumQuadraticBound,
  // in the loop); where some term is far from pi* (that bound is then +inf), with exps for those
  // terms only (KlSumUpperBound, which is the first bound where none is). The theory check computes
  // the KL itself only when neither bound settles it, so its verdicts are KlSum's at every step at
  // a fraction of its cost (the full KL costs a third of a nash_mp step at n = 10).
  auto quadratic_bound = [&] {
    return KlSumQuadraticBound(log_pi_star.data(), pi_star.data(), solver.current().data(), log_pi_star.size());
  };
  auto kl_surely_below = [&](double threshold) {
    return KlSumUpperBound(log_pi_star.data(), pi_star.data(), solver.current().data(), log_pi_star.size()) <=
           threshold;  // false for a NaN
  };
  if (theory.applicable) {
    NLHF_CHECK(log_pi_star.size() == solver.current().size(), "pi* and the iterate differ in size");
    theory.factor = *factor;
    kl0 = kl_to_star();
    bound = kl0;
  }

  Record record;
  PolicyPoint workspace;  // reused by every evaluation of this run
  PolicyPoint average_point;  // the average iterate's (the iterate's point stays as offered to the solver)
  // The current iterate's point (for metrics and the tolerance check). Its P pi is offered to the
  // solver, whose next step would otherwise compute it again (metrics logged at every iteration
  // cost no P pi): evaluated in the solver's own storage where it has some (EvaluateCurrent, nothing
  // copied), else in `workspace` and offered by copy. `point` is where it is, until the next step.
  const PolicyPoint* point = &workspace;
  auto evaluate_point = [&](bool payoff) {
    if (const PolicyPoint* own = payoff ? solver.EvaluateCurrent() : nullptr) {
      point = own;
      return;
    }
    EvaluatePoint(game, solver.current(), payoff, workspace);
    if (payoff) solver.OfferPayoff(workspace.pi, workspace.g);
    point = &workspace;
  };
  // Metrics of the current iterate. Records with both KLs to pi* share its exps, taken here once.
  const bool both_kl = logged_mask[Index(Metric::kKlToStar)] && logged_mask[Index(Metric::kKlFromStar)];
  const Eigen::VectorXd star_exps = both_kl ? ExpEach(log_pi_star) : Eigen::VectorXd();
  const bool logged_payoff = NeedsPayoff(logged_mask);
  // A logged iterate's point (pi and P pi) that the solver's next step takes (Solver::TakesOffers)
  // is solver time: that step would compute it otherwise. It is evaluated before the clock is read,
  // so `wall_s` hardly depends on how densely a run is logged; the metrics from it are not solver
  // time. (P pi is computed at a logged iterate when a logged metric or a tolerance not logged
  // needs it.) `evaluated`: the point is there already.
  const bool offer_is_solver_time = solver.TakesOffers() && (logged_payoff || (check.active() && check.needs_payoff()));
  // `start`: a clock read at (or just before) the start of the record's work; the time from it to
  // the observers is the run's metrics_s.
  auto emit = [&](std::int64_t it, bool evaluated, Clock::time_point start) {
    record.iteration = it;
    record.oracle_calls = summary.oracle_calls;
    record.queries = summary.queries;
    record.wall_s = summary.wall_s;
    if (!evaluated) evaluate_point(logged_payoff);
    record.metrics = MetricsAt(game, beta, *point, log_pi_star, log_pi_ne, logged_mask, both_kl ? &star_exps : nullptr);
    record.computed = logged_mask;
    record.logits = &solver.current();
    record.average = solver.average();
    record.average_computed.reset();
    if (record.average != nullptr && average_mask.any()) {
      record.average_metrics = EvaluateMasked(game, beta, *record.average, log_pi_star, log_pi_ne, average_mask,
                                              NeedsPayoff(average_mask), average_point);
      record.average_computed = average_mask;
    }
    summary.metrics_s += SecondsSince(start);
    for (RunObserver* o : observers) o->OnRecord(record);
  };
  // A computed metric that is not finite ends the run: never a silent NaN.
  auto metrics_failed = [&](const MetricValues& values, const MetricMask& mask, std::int64_t it, const char* of) {
    const std::string bad = NonFinite(values, mask);
    if (bad.empty()) return false;
    summary.termination = Termination::kNumericalFailure;
    summary.message = fmt::format("non-finite metric {}{} at iteration {}", bad, of, it);
    return true;
  };
  // Iteration 0's point, when the first step takes it: solver time from iteration 1 on.
  double first_offer_s = 0.0;
  if (offer_is_solver_time) {
    const auto t = Clock::now();
    evaluate_point(true);
    first_offer_s = SecondsSince(t);
  }
  emit(0, offer_is_solver_time, Clock::now());
  std::int64_t last_logged = 0;
  // gap_beta at the start, for the note on a run that ends far above it (NaN: not logged).
  const double gap_at_start = record.metrics[Index(Metric::kGapBeta)];

  bool warned = false;
  std::int64_t it = 0;
  Heartbeat beat;
  beat.watched = kNaN;
  auto last_beat = Clock::now();
  // The iterate's metrics, then its average's (solvers that keep one): neither may be non-finite.
  auto record_failed = [&](std::int64_t at) {
    return metrics_failed(record.metrics, logged_mask, at, "") ||
           metrics_failed(record.average_metrics, record.average_computed, at, " of the average iterate");
  };
  // The budgets that end a run once spent.
  auto calls_spent = [&] { return stop.oracle_calls > 0 && summary.oracle_calls >= stop.oracle_calls; };
  auto queries_spent = [&] { return stop.queries > 0 && summary.queries >= stop.queries; };
  bool failed = record_failed(0);
  if (!failed) summary.wall_s += first_offer_s;
  // The tolerance check of logged iteration `at` (`evaluated`: its point has P pi already): the
  // record's values where it logs every tolerance metric, else the check's own exact ones.
  auto check_record = [&](std::int64_t at, bool evaluated) {
    bool covered = true;
    for (const auto& [m, v] : check.tolerances()) covered = covered && !std::isnan(record.metrics[Index(m)]);
    if (covered) {
      check.Adopt(at, record.metrics);
    } else {  // a tolerance on a metric the trace does not log
      if (check.needs_payoff() && !logged_payoff && !evaluated) evaluate_point(true);  // the record had no P pi
      check.Exact(at, *point);
    }
  };
  // A run ended by its tolerances at iteration `at`: the values that met them.
  auto stop_at_tolerance = [&](std::int64_t at) {
    summary.termination = Termination::kTolerance;
    std::string evidence;
    for (const auto& [m, v] : check.tolerances())
      evidence += fmt::format("{}{} {:.3g} <= {:.3g}", evidence.empty() ? "" : ", ", MetricTable()[Index(m)].name,
                              check.values()[Index(m)], v);
    summary.message = fmt::format("{} at iteration {}", evidence, at);
  };
  // The starting point may already meet every tolerance: then the run takes no step (the first
  // iteration where they are met is 0). Checked on the record's values where it logs them.
  bool met_at_start = false;
  if (!failed && check.active()) {
    check_record(0, offer_is_solver_time);
    failed = metrics_failed(check.values(), check.mask(), 0, "");
    if (!failed && check.Met()) {
      met_at_start = true;
      stop_at_tolerance(0);
    }
  }
  SolverTimer timer;
  timer.Open();
  while (!failed && !met_at_start) {
    // Budgets and caps are checked before a step would exceed them.
    if (it >= stop.iterations) {
      summary.termination = Termination::kIterations;
      summary.message = fmt::format(FMT_COMPILE("reached {} iterations"), stop.iterations);
      break;
    }
    const StepInfo info = solver.Step();
    ++it;
    summary.oracle_calls += info.oracle_calls;
    summary.queries += info.queries;
    if (!warned) {
      if (const std::optional<double> limit = solver.StabilityLimit(); limit && info.step_size > *limit) {
        summary.warnings.push_back(fmt::format("step {} is above this game's stability limit {:.6g} "
                                               "(docs/mathematics.md, solvers); the iterates may diverge",
                                               info.step_size, *limit));
      }
      warned = true;
    }
    if (!solver.current().allFinite()) {
      timer.AfterStep(summary.wall_s, true);
      summary.termination = Termination::kNumericalFailure;
      summary.message = fmt::format("non-finite iterate at iteration {}", it);
      break;
    }
    const bool log_now = schedule.Logs(it);
    // The tolerance check of an iteration that is not logged comes before the clock is read: it is
    // solver time (part of the stop rule; its P pi is the one a solver taking offers reuses), so it
    // needs no clock read of its own. At a logged iteration the record's values serve (below).
    if (check.active() && !log_now) {
      evaluate_point(check.needs_payoff());
      if (!check.ProvedUnmet(it, *point)) check.Exact(it, *point);
    }
    // A logged iterate's point for the next step (offer_is_solver_time), before the clock is read;
    // not where the iteration cap or a spent budget ends the run (a tolerance or the wall time may
    // still end it here: that one evaluation is then counted though no step takes it).
    const bool offer_now =
        log_now && offer_is_solver_time && !(it >= stop.iterations || calls_spent() || queries_spent());
    if (offer_now) evaluate_point(true);
    // The theory check is settled first by an O(n) bound with no exp, as solver time: near pi*
    // it always is, and the two clock reads that would exclude it cost more than it does.
    bool theory_open = false;  // the bound did not settle it: the rest is not solver time
    double threshold = 0.0, quadratic = 0.0;
    if (theory.applicable && !theory.violated) {
      bound *= theory.factor;
      // A subnormal bound is 0 to the threshold below (1e-14 + 1e-308 is 1e-14), but it is not to
      // the processor: a factor above 1/2 holds it at the least subnormal forever, and every
      // product with it took a microcode assist, about 100 ns per nash_mp step at n = 10.
      if (bound < std::numeric_limits<double>::min()) bound = 0.0;
      // Slack for rounding: KL is computed to ~1e-16 absolute.
      threshold = bound * (1.0 + 1e-9) + 1e-14;
      quadratic = quadratic_bound();
      theory_open = !(quadratic <= threshold);
    }
    // Work that is not solver time follows: the rest of the theory check, a record.
    const bool excluded = theory_open || log_now;
    const bool clock_read = timer.AfterStep(summary.wall_s, excluded);
    if (clock_read) ThrowIfCancelled(options.cancel);
    const bool beat_due = clock_read && !observers.empty() && timer.now() - last_beat >= kHeartbeatInterval;
    if (theory_open) {
      // A finite first bound is KlSumUpperBound's value already: only an infinite one (a term far
      // from pi*) leaves that bound something to settle.
      const bool settled = std::isinf(quadratic) && kl_surely_below(threshold);
      const double kl = settled ? 0.0 : kl_to_star();
      if (kl > threshold) {
        theory.violated = true;
        theory.first_violation = it;
        theory.kl = kl;
        theory.bound = bound;
      }
    }
    if (log_now) {
      // The timer read the clock for this row (log_now forces it), unless the theory check's work
      // came after that read.
      emit(it, offer_now, theory_open ? Clock::now() : timer.now());
      last_logged = it;
      if (record_failed(it)) break;
    }
    if (check.active()) {
      if (log_now) check_record(it, offer_now);
      // The stall rule's samples (stall_rule.h): the value at a logged iteration that logs it and
      // on the rule's schedule, where the check has it, else the iterate, evaluated if the rule
      // ever needs it (never a value from a heartbeat: which iterations those are depends on the
      // clock, and the rule must not).
      if (check.exact_iteration() == it) {
        if (metrics_failed(check.values(), check.mask(), it, "")) break;
        if (stall.Samples(it) || (log_now && logged_mask[Index(check.watched())]))
          stall.Add(it, check.values()[Index(check.watched())]);
        if (check.Met()) {
          stop_at_tolerance(it);
          break;
        }
      } else if (stall.Samples(it)) {
        stall.Defer(it, solver.current());
      }
    }
    if (calls_spent()) {
      summary.termination = Termination::kOracleCalls;
      summary.message = fmt::format("oracle-call budget {} reached at iteration {}", stop.oracle_calls, it);
      break;
    }
    if (queries_spent()) {
      summary.termination = Termination::kQueries;
      summary.message = fmt::format("query budget {} reached at iteration {}", stop.queries, it);
      break;
    }
    if (stop.wall_s > 0.0 && summary.wall_s >= stop.wall_s) {
      summary.termination = Termination::kWallTime;
      summary.message = fmt::format("wall time {} s reached at iteration {}", stop.wall_s, it);
      break;
    }
    if (beat_due) {
      last_beat = timer.now();
      // The progress line shows this iteration's exact value.
      if (check.active())
        beat.watched = check.exact_iteration() == it ? check.values()[Index(check.watched())] : check.Peek(*point);
      beat.iteration = it;
      beat.oracle_calls = summary.oracle_calls;
      beat.queries = summary.queries;
      beat.wall_s = summary.wall_s;
      beat.stalled_since = stall.Stalled(it) ? stall.since() : -1;
      beat.stalled_at = stall.best();
      for (RunObserver* o : observers) o->OnHeartbeat(beat);
    }
    if (excluded || beat_due) timer.Open();
  }
  timer.Close(summary.wall_s);
  summary.iterations = it;
  if (last_logged != it) {  // the last iteration is always logged
    emit(it, false, Clock::now());
    if (summary.termination != Termination::kNumericalFailure) record_failed(it);
    // Its value of the watched metric reaches the stall rule too (no row after K improves on the
    // best; ignored if the rule has this iteration already, or if it is not finite).
    if (check.active() && logged_mask[Index(check.watched())])
      stall.Add(it, record.metrics[Index(check.watched())]);
  }
  summary.final_metrics = record.metrics;
  summary.final_logits = solver.current();
  if (const Eigen::VectorXd* avg = solver.average()) {
    const auto start = Clock::now();
    summary.final_average_metrics = EvaluateMetrics(game, beta, *avg, log_pi_star, options.log.metrics, log_pi_ne);
    summary.metrics_s += SecondsSince(start);
    if (summary.termination != Termination::kNumericalFailure)
      metrics_failed(*summary.final_average_metrics, logged_mask, it, " of the average iterate");
  }
  if (summary.termination != Termination::kNumericalFailure && summary.termination != Termination::kTolerance &&
      stall.Stalled(it)) {
    summary.stalled_since = stall.since();
    summary.stalled_at = stall.best();
    // The best value, which the rule watches, and the last one, which the report's table shows.
    const double last = summary.final_metrics[Index(check.watched())];
    summary.warnings.push_back(fmt::format(
        "{} has not improved since iteration {} (best {:.3g} there{}; the tolerance {:.3g} may be out of reach)",
        MetricTable()[Index(check.watched())].name, stall.since(), stall.best(),
        std::isfinite(last) ? fmt::format(", {:.3g} at the end", last) : std::string(),
        check.tolerances().front().second));
  }
  // A run that ended far from pi*_beta, having started near it: a step too large for the game, which
  // is otherwise told only by the numbers (a solver with no stability limit to warn about, or a
  // game whose rho is not known). gap_beta / (2 beta) = KL(pi || BR_beta(pi)): at least ten times
  // the starting value and half a nat above it. Not for a solver of the beta = 0 game, which does
  // not aim at pi*_beta, nor within an expected transient (decaying nash_md's gap first rises, then
  // falls: TransientIterations).
  const double gap_at_end = summary.final_metrics[Index(Metric::kGapBeta)];
  if (summary.termination != Termination::kNumericalFailure && beta > 0.0 &&
      solver.Target() != SolverTarget::kUnregularized && gap_at_end > 10.0 * gap_at_start &&
      gap_at_end - gap_at_start > beta && it > solver.TransientIterations())
    summary.warnings.push_back(fmt::format(
        "gap_beta rose from {:.3g} at iteration 0 to {:.3g} at iteration {}: the iterates moved away from pi*_beta; {}",
        gap_at_start, gap_at_end, it,
        summary.queries > 0 ? "with sampled feedback, a larger batch or a smaller step lowers the noise that holds them there"
                            : "a smaller step may converge"));
  // A budget the iteration cap cut short (the cap defaults to 1000 and always applies): say so, for
  // the budgets this run spends (an exact solver spends no queries).
  if (summary.termination == Termination::kIterations) {
    std::vector<std::string> unspent;
    if (stop.queries > 0 && summary.queries > 0)
      unspent.push_back(fmt::format("{} of its {} queries", summary.queries, stop.queries));
    if (stop.oracle_calls > 0 && summary.oracle_calls > 0)
      unspent.push_back(fmt::format("{} of its {} oracle calls", summary.oracle_calls, stop.oracle_calls));
    if (stop.wall_s > 0.0) unspent.push_back(fmt::format("{:.3g} s of its {} s", summary.wall_s, stop.wall_s));
    if (!unspent.empty())
      summary.warnings.push_back(fmt::format("the iteration cap stop.iterations = {} ended the run after {}; raise "
                                             "stop.iterations to spend the budget",
                                             stop.iterations, fmt::join(unspent, " and ")));
  }
  if (theory.applicable) {
    theory.message = theory.violated
                         ? fmt::format("violated: KL(pi*||pi_k) = {:.3e} > {:.3e} = {:.6g}^k KL_0 at iteration {}",
                                       theory.kl, theory.bound, theory.factor, theory.first_violation)
                         : fmt::format(FMT_COMPILE("KL(pi*||pi_k) <= {:.6g}^k KL_0 held at all {} iterations"),
                                       theory.factor, it);  // every run of a solver with a guarantee
  }
  return summary;
}

}  // namespace nlhf
