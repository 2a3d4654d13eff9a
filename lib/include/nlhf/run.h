#pragma once
// The run driver: owns the loop around a solver. It applies the stop rules (iterations, oracle
// calls, queries, wall time, a tolerance on any metric, a non-finite iterate), evaluates metrics at
// iteration 0, on the log schedule and at the end (never counted as solver work: neither oracle
// calls nor wall time), hands every record to observers (CSV writer, progress display), warns when
// a step exceeds the game's stability limit, and checks proven contraction bounds as it goes.
#include <Eigen/Core>
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nlhf/game.h"
#include "nlhf/metrics.h"
#include "nlhf/solver.h"

namespace nlhf {

inline constexpr size_t kNumMetrics = 8;
using MetricValues = std::array<double, kNumMetrics>;  // in MetricTable() order; NaN = not computed

enum class Termination { kIterations, kOracleCalls, kQueries, kWallTime, kTolerance, kNumericalFailure };
std::string_view TerminationName(Termination t);  // "iterations", ..., "numerical_failure"

struct StopRules {
  std::int64_t iterations = 1000;  // always a cap
  std::int64_t oracle_calls = 0;   // budget; 0 = none
  std::int64_t queries = 0;        // budget; 0 = none
  double wall_s = 0.0;             // solver wall time; 0 = none
  // Stop as soon as every listed metric is <= its value (checked every iteration; the check's
  // P pi is not solver work).
  std::vector<std::pair<Metric, double>> tolerances;
};

enum class LogSpacing { kLinear, kLog };

struct LogOptions {
  LogSpacing spacing = LogSpacing::kLinear;
  std::int64_t every = 1;        // kLinear: log every k iterations
  int points_per_decade = 20;    // kLog: iterations round(10^(j / points_per_decade))
  std::vector<Metric> metrics;   // empty = all (those needing pi* only when it is given)
};

struct RunOptions {
  StopRules stop;
  LogOptions log;
  // Check KL(pi* || pi_k) <= factor^k KL(pi* || pi_0) at every iteration for solvers with a proven
  // contraction (needs pi*).
  bool theory_check = true;
};

struct Record {
  std::int64_t iteration = 0;
  std::int64_t oracle_calls = 0;
  std::int64_t queries = 0;
  double wall_s = 0.0;  // solver time so far
  MetricValues metrics;
  const Eigen::VectorXd* logits = nullptr;   // the iterate
  const Eigen::VectorXd* average = nullptr;  // the average iterate, for solvers that keep one
};

class RunObserver {
 public:
  virtual ~RunObserver() = default;
  virtual void OnRecord(const Record& record) = 0;
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
  MetricValues final_metrics;
  std::optional<MetricValues> final_average_metrics;
  Eigen::VectorXd final_logits;
  std::vector<std::string> warnings;  // e.g. a step above the stability limit
  TheoryCheck theory;
};

// Runs `solver`, already Reset on `game` at `beta`. `log_pi_star` may be empty (metrics that need
// pi* are then not computed, and there is no theory check).
RunSummary RunSolver(Solver& solver, const Game& game, double beta, const Eigen::VectorXd& log_pi_star,
                     const RunOptions& options, const std::vector<RunObserver*>& observers = {});

// All metrics of one policy (NaN for those not in `which`, needing an absent pi*, or fp_residual at
// beta = 0).
MetricValues EvaluateMetrics(const Game& game, double beta, const Eigen::VectorXd& logits,
                             const Eigen::VectorXd& log_pi_star, const std::vector<Metric>& which);
// The same with a caller-owned workspace (no allocation once it is sized).
MetricValues EvaluateMetrics(const Game& game, double beta, const Eigen::VectorXd& logits,
                             const Eigen::VectorXd& log_pi_star, const std::vector<Metric>& which,
                             PolicyPoint& workspace);

}  // namespace nlhf
