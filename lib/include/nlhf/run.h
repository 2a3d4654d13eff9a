#pragma once
// The run driver: owns the loop around a solver. It applies the stop rules (iterations, oracle
// calls, queries, wall time, a tolerance on any metric, a non-finite iterate or a non-finite
// computed metric: both end the run as a numerical failure), evaluates metrics at
// iteration 0, on the log schedule and at the end (never counted as solver work: neither oracle
// calls nor wall time), hands every record to observers (CSV writer, progress display), warns when
// a step exceeds the game's stability limit, warns when the tolerance metric has stalled, and
// checks proven contraction bounds as it goes.
#include <Eigen/Core>
#include <array>
#include <bitset>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nlhf/cancel.h"
#include "nlhf/game.h"
#include "nlhf/metrics.h"
#include "nlhf/params.h"
#include "nlhf/solver.h"

namespace nlhf {

inline constexpr size_t kNumMetrics = 9;
using MetricValues = std::array<double, kNumMetrics>;  // in MetricTable() order; NaN = not computed
// Which metrics a run computes (the others stay NaN = "not computed"). A computed metric that is
// not finite is a numerical failure, never an empty cell.
using MetricMask = std::bitset<kNumMetrics>;

enum class Termination { kIterations, kOracleCalls, kQueries, kWallTime, kTolerance, kNumericalFailure };
std::string_view TerminationName(Termination t);  // "iterations", ..., "numerical_failure"

// The ranges of the stop and log options (their rows in lib/src/run_option_table.h, which the YAML reader,
// the resolved config and Validate() share).
constexpr std::int64_t kMaxIterations = 1'000'000'000'000;  // stop.iterations and log.every: [1, 1e12]
constexpr int kMaxPointsPerDecade = 1000;                     // log.points_per_decade: [1, 1000]

struct StopRules {
  std::int64_t iterations = 1000;  // always a cap
  std::int64_t oracle_calls = 0;   // budget; 0 = none
  std::int64_t queries = 0;        // budget; 0 = none
  // Solver wall time; 0 = none. Checked when the driver reads the clock: after every step at
  // n = 1000, every 16 steps at n = 10 (run.cc, SolverTimer), so a run may end up to 15 steps late.
  double wall_s = 0.0;
  // Stop as soon as every listed metric is <= its value, checked after every iteration (run.cc,
  // ToleranceCheck: gap_beta and exploitability first through an O(n) lower bound, the exact
  // metrics only when it proves nothing). At iterations that are not logged the check is counted
  // as solver time: it is part of the stop rule, and its P pi is the one the next step of a solver
  // taking offers reuses (Solver::EvaluateCurrent, OfferPayoff; sampled-oracle solvers and nash_md, nash_md_pg and
  // nash_mp_pg do not, and pay it).
  std::vector<std::pair<Metric, double>> tolerances;
  // Throws InputError naming `stop.<key>` for a value the YAML reader would refuse (iterations
  // outside [1, 1e12], a negative budget, a non-finite or negative wall time or tolerance): the
  // same rows and messages (StopOptionRows, ToleranceSpec).
  void Validate() const;
};

enum class LogSpacing { kLinear, kLog };

struct LogOptions {
  LogSpacing spacing = LogSpacing::kLinear;
  std::int64_t every = 1;        // kLinear: log every k iterations
  int points_per_decade = 20;    // kLog: iterations round(10^(j / points_per_decade))
  std::vector<Metric> metrics;   // empty = all (those needing pi* only when it is given)
  // Throws InputError naming `log.<key>` (every outside [1, 1e12], points_per_decade outside
  // [1, 1000]: 0 would never advance the schedule; every or points_per_decade away from its default
  // where the spacing does not read it; a metric listed twice), as the YAML reader does.
  void Validate() const;
};

// The stop: and log: keys as parameter tables (name, default, allowed range, doc), in the order
// the resolved config writes them (stop.tolerance and log.metrics aside), and one key set from its
// text as the YAML reader reads and checks it: InputError naming `shown` for an unknown key (with
// the closest one) or a refused value. For callers that take these keys by name, such as the
// Python bindings' run_solver.
std::vector<ParamSpec> StopOptionSpecs();
std::vector<ParamSpec> LogOptionSpecs();
void SetStopOption(StopRules& stop, const std::string& key, std::string_view text, const std::string& shown);
void SetLogOption(LogOptions& log, const std::string& key, std::string_view text, const std::string& shown);

struct RunOptions {
  StopRules stop;
  LogOptions log;
  // Check KL(pi* || pi_k) <= factor^k KL(pi* || pi_0) at every iteration for solvers with a proven
  // contraction (needs pi*).
  bool theory_check = true;
  // The selected Nash equilibrium of the beta = 0 game (nash_set.h), normalized logits with -inf off
  // its support, for kl_to_ne and the average iterate's columns; empty: those are not computed.
  Eigen::VectorXd log_pi_ne;
  // Polled at each clock read of the solver's time (nlhf/cancel.h); set: RunSolver throws
  // Cancelled.
  CancelFlag cancel = nullptr;
  void Validate() const;  // stop and log; RunSolver calls it before anything runs
};

struct Record {
  std::int64_t iteration = 0;
  std::int64_t oracle_calls = 0;
  std::int64_t queries = 0;
  // Solver time so far. The evaluation of logged metrics is excluded (the theory check too, but
  // for its first O(n) bound with no exp, which settles it near pi*). The pi and P pi of a logged
  // iterate are included when the solver's next step takes them instead of computing them
  // (Solver::TakesOffers): the step's own work, so a run logged at every iteration has the wall
  // time of one logged rarely (but for the last iteration of a run that a tolerance or the wall
  // time ends, whose evaluation no step takes). Tolerance checks at iterations that are not logged
  // are included (StopRules::tolerances).
  double wall_s = 0.0;
  MetricValues metrics;
  MetricMask computed;  // the metrics evaluated for this record (a NaN among them is a real NaN)
  const Eigen::VectorXd* logits = nullptr;   // the iterate
  const Eigen::VectorXd* average = nullptr;  // the average iterate, for solvers that keep one
  // The average iterate's metrics of kAverageTraceMetrics that were logged (average_computed), for
  // solvers that keep one; the trace's average_<metric> columns.
  MetricValues average_metrics{};
  MetricMask average_computed;
};

// The metrics the trace also gives for the average iterate (columns average_gap_0, average_kl_to_ne):
// the distance of an average to the unregularized equilibrium, which is what averages converge to.
inline constexpr std::array<Metric, 2> kAverageTraceMetrics = {Metric::kGap0, Metric::kKlToNe};

// The stall rule (tolerance runs only): the first tolerance metric is "stalled since iteration K"
// when its best value has not improved by a relative kStallImprovement since K, over at least
// kStallMinIterations iterations and at least the last half of the run (counted after the
// solver's TransientIterations()). A method converging as t^-p improves by 2^-p over every half
// of a run, and even one converging as 1/log t by log 2 / log t >> 1e-3, so the rule cannot fire
// on them; it fires at a rounding floor, at a biased limit and on cycling iterates. It only warns:
// the stop rules end the run. The rule reads the metric at every 64th iteration and at logged
// iterations that log it, nowhere else (a schedule of the log schedule only: not of the clock, nor
// of whether pi* is given), so K is one of those iterations and no logged value after K improves
// on the best (lib/src/stall_rule.h: a 64th iteration's value is computed only if the rule could
// hold).
inline constexpr double kStallImprovement = 1e-3;
inline constexpr std::int64_t kStallMinIterations = 10000;

// A sign of life a few times a second while a run is going (not at every iteration), for
// progress displays.
struct Heartbeat {
  std::int64_t iteration = 0;
  std::int64_t oracle_calls = 0;
  std::int64_t queries = 0;
  double wall_s = 0.0;  // solver time so far
  // The first tolerance metric's latest value (NaN without a tolerance) and, when the stall rule
  // holds, the iteration since which it has not improved (-1 otherwise) and its best value.
  double watched = 0.0;
  std::int64_t stalled_since = -1;
  double stalled_at = 0.0;
};

class RunObserver {
 public:
  virtual ~RunObserver() = default;
  virtual void OnRecord(const Record& record) = 0;
  virtual void OnHeartbeat(const Heartbeat& /*beat*/) {}
};

struct TheoryCheck {
  bool applicable = false;
  double factor = 0.0;  // the proven per-iteration contraction of KL(pi* || pi_k)
  bool violated = false;
  std::int64_t first_violation = -1;  // iteration
  double kl = 0.0, bound = 0.0;       // at the first violation
  std::string message;
};

struct RunSummary {
  Termination termination = Termination::kIterations;
  std::string message;  // evidence, e.g. "gap_beta 8.1e-13 <= 1e-12 at iteration 412"
  std::int64_t iterations = 0;
  std::int64_t oracle_calls = 0;
  std::int64_t queries = 0;
  double wall_s = 0.0;
  // Time spent evaluating the metrics of logged rows (the iterate's and its average's, with the P pi
  // no step takes) and the average iterate's final ones; not solver time, and not writing the rows
  // (the observers).
  double metrics_s = 0.0;
  MetricValues final_metrics;
  std::optional<MetricValues> final_average_metrics;
  Eigen::VectorXd final_logits;
  std::vector<std::string> warnings;  // e.g. a step above the stability limit, a stalled metric
  std::int64_t stalled_since = -1;    // the stall rule at the end of the run (-1: not stalled)
  double stalled_at = 0.0;            // and the best value, at stalled_since
  TheoryCheck theory;
};

// Runs `solver`, already Reset on `game` at `beta`. `log_pi_star` may be empty (metrics that need
// pi* are then not computed, and there is no theory check).
RunSummary RunSolver(Solver& solver, const Game& game, double beta, const Eigen::VectorXd& log_pi_star,
                     const RunOptions& options, const std::vector<RunObserver*>& observers = {});

// The metrics EvaluateMetrics computes: those in `which` (when empty, the DefaultMetric ones at beta),
// except those not defined at beta (MetricDefinedAt) and those needing an absent pi* or pi_NE.
MetricMask ComputedMetrics(double beta, bool have_star, const std::vector<Metric>& which, bool have_ne = false);

// All metrics of one policy (NaN for those ComputedMetrics leaves out). log_pi_ne: the selected
// beta = 0 equilibrium for kl_to_ne (empty: not computed).
MetricValues EvaluateMetrics(const Game& game, double beta, const Eigen::VectorXd& logits,
                             const Eigen::VectorXd& log_pi_star, const std::vector<Metric>& which,
                             const Eigen::VectorXd& log_pi_ne = Eigen::VectorXd());
// The same with a caller-owned workspace (no allocation once it is sized).
MetricValues EvaluateMetrics(const Game& game, double beta, const Eigen::VectorXd& logits,
                             const Eigen::VectorXd& log_pi_star, const std::vector<Metric>& which,
                             PolicyPoint& workspace, const Eigen::VectorXd& log_pi_ne = Eigen::VectorXd());
// The metrics of `mask` (from ComputedMetrics, computed once per run), NaN for the others. Computes
// P pi (into workspace.pi and workspace.g) only when a metric of the mask needs it (NeedsPayoff);
// workspace.log_pi is always the policy's logits.
MetricValues EvaluateMetrics(const Game& game, double beta, const Eigen::VectorXd& logits,
                             const Eigen::VectorXd& log_pi_star, const MetricMask& mask, PolicyPoint& workspace,
                             const Eigen::VectorXd& log_pi_ne = Eigen::VectorXd());
// Whether some metric of `mask` needs P pi.
bool NeedsPayoff(const MetricMask& mask);

}  // namespace nlhf
