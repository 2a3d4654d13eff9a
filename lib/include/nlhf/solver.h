#pragma once
// The solver contract: a solver owns only its update. Reset() binds it to a game and a
// strength beta; Step() performs one iteration and says what it cost; current() is the iterate.
// A solver never prints, never evaluates metrics, never decides when to stop: the run driver
// (run.h) owns the loop. Step() does not allocate: every buffer is sized in Reset().
#include <Eigen/Core>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "nlhf/game.h"
#include "nlhf/oracle.h"
#include "nlhf/params.h"
#include "nlhf/registry.h"

namespace nlhf {

struct PolicyPoint;  // metrics.h

struct SolverContext {
  const Game* game = nullptr;
  double beta = 0.0;
  // Initial normalized logits; empty means log mu.
  Eigen::VectorXd init;
  // Spectral radius of A D(pi*) (equilibrium.h); needed by `eta: auto`, `eta: X*limit` and the
  // stability limits.
  std::optional<double> rho;
  // `rho` is not this game's but the bound every game obeys (validation before any game is solved);
  // messages then say so.
  bool rho_is_bound = false;
  // How the solver gets g = P pi (oracle.h); only solvers whose AcceptsSampledOracle() is true (listed
  // by OracleSolvers()) accept a non-exact one
  // (the others throw InputError at `<key>.oracle`). `seed` (the run seed) and the solver's key
  // ("solvers[1]") name the oracle's random stream.
  OracleConfig oracle = {};
  std::uint64_t seed = 0;
  // rho is unknown only because pi* is not solved before this Reset, though the run will solve it
  // (nlhf-run's cost estimate at large n): an `auto` step's note says so.
  bool rho_later = false;
};

struct StepInfo {
  std::int64_t oracle_calls = 0;  // exact evaluations of P pi (0 for a sampled or pairs oracle step)
  std::int64_t queries = 0;       // sampled preference pairs/labels (0 with the exact oracle)
  double step_size = 0.0;         // the step used, in the solver's own convention
};

// What a solver's iterates converge to (for tests and the run summary).
enum class SolverTarget {
  kPiStar,          // the regularized equilibrium pi*_beta
  kBiased,          // BR_beta(pi*_{beta/(1-c)}) with c = BiasedMixture()
  kUnregularized,   // a Nash equilibrium of the beta = 0 game (through the average or an outer loop)
};

class Solver {
 public:
  virtual ~Solver() = default;

  // Binds to a game; validates parameters against beta (throws InputError naming
  // `solvers.<name>.<param>`), resolves defaults, `auto` and `X*limit`, sizes every buffer.
  virtual void Reset(const SolverContext& context) = 0;
  virtual StepInfo Step() = 0;
  // Normalized logits of the current iterate.
  virtual const Eigen::VectorXd& current() const = 0;
  // Normalized logits of the average iterate, for methods that report one (today the beta = 0
  // methods; the trace's average_* columns come from it).
  virtual const Eigen::VectorXd* average() const { return nullptr; }
  // The run driver computed g = P pi of the current iterate (pi = exp(current())) for its metrics
  // and offers it: a solver whose next step needs that product may copy it instead of multiplying
  // again (same bits; it still counts the oracle call, which its method needs). Default: ignored.
  virtual void OfferPayoff(const Eigen::VectorXd& /*pi*/, const Eigen::VectorXd& /*g*/) {}
  // The same without copies: the current iterate's point (log pi = current(), pi = exp(log pi),
  // g = P pi on the game bound by Reset, as metrics.h's Evaluate computes them), evaluated into
  // storage the solver owns and offered to its next step. Valid until the next Step or Reset.
  // nullptr (the default) when the solver keeps no such storage: the caller then evaluates the
  // point itself and calls OfferPayoff.
  virtual const PolicyPoint* EvaluateCurrent() { return nullptr; }
  // Whether the next Step() takes such an offer (OfferPayoff, EvaluateCurrent) in place of its own
  // first pi and P pi: the run driver then counts the evaluation of a logged iterate as solver time,
  // the work the step would have done, so `wall_s` hardly depends on how densely a run is logged.
  // Default: false (the evaluation is the metrics' cost only).
  virtual bool TakesOffers() const { return false; }

  // The parameters in effect after Reset (defaults and `auto` resolved to numbers).
  virtual ParamMap EffectiveParams() const = 0;
  virtual SolverTarget Target() const { return SolverTarget::kPiStar; }
  // For kBiased: the mixture weight c of the biased limit BR_beta(pi*_{beta/(1-c)}).
  virtual double BiasedMixture() const { return 0.0; }
  // The largest stable step for this game (needs rho), in the convention of the solver's step
  // parameter: its registry traits' stability_limit at the bound beta and rho (SolverTraits);
  // nullopt without rho or where no formula is known.
  virtual std::optional<double> StabilityLimit() const { return std::nullopt; }
  // A proven contraction: KL(pi* || pi_k) <= factor^k KL(pi* || pi_0); nullopt if none.
  virtual std::optional<double> GuaranteedContraction() const { return std::nullopt; }
  // Iterations of an expected transient in which the metrics need not improve (decaying nash_md's
  // huge first steps); the run driver's stall warning ignores them, and a gap_beta that ends a run
  // within them far above its start gets no note. 0 = none.
  virtual std::int64_t TransientIterations() const { return 0; }
  // What every Step() costs after Reset when that is fixed (oracle_calls and queries; step_size is
  // 0): the solver describes itself, so a dry run needs no steps. nullopt when the cost varies from
  // step to step (prox's inner solves to a tolerance, a moving reference on a gap).
  virtual std::optional<StepInfo> CostPerStep() const { return std::nullopt; }
  // Whether Reset accepts a sampled or pairs oracle (SolverContext::oracle); the others take only exact.
  virtual bool AcceptsSampledOracle() const { return false; }
  // What Reset decided that the user should know, for the run summary's warnings: an `auto` step
  // clamped into the method's valid range or replaced by the default, an expected transient.
  virtual std::vector<std::string> Notes() const { return {}; }
};

// What a method is, whatever its parameters, known before one is built: config validation, the
// equilibrium report and the run summary read these from the registry entry, so that no file outside
// the solver's own (lib/src/solvers/<name>.cc, where they sit next to the update equation) names a
// solver. The point a solver converges to depends on its parameters (nash_md's schedule, the moving
// reference), so it is the built solver's Target() and BiasedMixture(), not a trait.
struct SolverTraits {
  // Runs at beta = 0 (a method on the unregularized game, which ignores beta); the others
  // regularize toward mu and need beta > 0, which config validation enforces.
  bool allows_beta_zero = false;
  // The step parameter the two functions below are in the convention of.
  std::string step = "eta";
  // The largest stable step at strength beta for a game with spectral radius rho (equilibrium.h):
  // stable iff step < limit; +inf where every step is stable. Empty where no formula is known.
  // Solver::StabilityLimit() after Reset is this at the bound beta and rho.
  std::function<double(double beta, double rho)> stability_limit = nullptr;
  // The step of fastest local convergence at (beta, rho); empty where none is known.
  std::function<double(double beta, double rho)> best_step = nullptr;
};

// Builds a solver from resolved parameters; `key` ("solvers[1]") prefixes its error messages.
using SolverFactory = std::function<std::unique_ptr<Solver>(const ParamMap&, const std::string& key)>;
const Registry<SolverFactory, SolverTraits>& SolverRegistry();

// Builds a solver from its name and typed parameters (unknown names and values are rejected with
// the key path `key`, e.g. "solvers[1]"). The solver still needs Reset().
std::unique_ptr<Solver> MakeSolver(std::string_view name, const std::vector<std::pair<std::string, ParamValue>>& given,
                                   const std::string& key = "solver");
// From a spec string such as "egpo(eta=1.9)".
std::unique_ptr<Solver> MakeSolver(std::string_view spec);

// The registered solvers that accept a sampled or pairs oracle (AcceptsSampledOracle()), in registry
// order; AcceptsOracle(name) is false for an unknown name.
std::vector<std::string> OracleSolvers();
bool AcceptsOracle(std::string_view solver);
// "<type> is not available for <solver> (...), expected exact, or one of the solvers that accept a
// sampled oracle: ..." (the refusal of config validation and of Reset).
std::string OracleRefusal(OracleType type, std::string_view solver);

// The registered solvers whose traits allow beta = 0 (SolverTraits::allows_beta_zero), in registry
// order.
std::vector<std::string> BetaZeroSolvers();

// The canonical spec of a solver after Reset: "nash_mp(eta=0.02)".
std::string SolverSpec(std::string_view name, const Solver& solver);

}  // namespace nlhf
