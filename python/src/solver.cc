// Solvers in Python: built from the registry by name and keyword parameters, bound to a game with
// reset(), stepped one iteration at a time (step) or run by the library's driver (run_solver), which
// owns the loop exactly as in nlhf-run: the same stop rules, metrics, warnings and trace cells.
#include <pybind11/stl.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <string_view>
#include <tuple>
#include <utility>

#include "bindings.h"
#include "nlhf/config.h"
#include "nlhf/equilibrium.h"
#include "nlhf/generators.h"
#include "nlhf/logspace.h"
#include "nlhf/nash_set.h"
#include "nlhf/run.h"
#include "nlhf/solver.h"
#include "nlhf/spec.h"
#include "trace_columns.h"

namespace nlhf::python {

namespace {

// A solver entry and, after Reset, the solver bound to its game.
struct PySolver {
  std::string name;
  GivenParams given;
  OracleConfig oracle;
  std::unique_ptr<Solver> solver;  // null before reset
  std::shared_ptr<const Game> game;
  double beta = 0.0;
  std::int64_t iterations = 0, oracle_calls = 0, queries = 0;
  // Set (with the GIL held) while the solver runs with the GIL released: a second thread's reset or
  // step on the same Solver is refused instead of racing.
  bool busy = false;

  const Solver& Bound() const {
    if (busy) throw InputError(name, "is running in another thread, expected one call at a time per Solver");
    if (!solver) throw InputError(name, "is not bound to a game yet, expected reset(game, beta) first");
    return *solver;
  }
};

py::object ParamToPython(const ParamValue& v) {
  if (const auto* i = std::get_if<std::int64_t>(&v)) return py::int_(*i);
  if (const auto* d = std::get_if<double>(&v)) return py::float_(*d);
  if (const auto* b = std::get_if<bool>(&v)) return py::bool_(*b);
  if (const auto* s = std::get_if<std::string>(&v)) return py::str(*s);
  if (const auto* l = std::get_if<std::vector<double>>(&v)) return py::cast(*l);
  return py::str(FormatParamValue(v));
}

// What a solver's parameters need of rho: nothing, a step of `auto` (which falls back to the default
// step where rho is unknown, with a note: docs/mathematics.md 5.2), or a step of `X*limit` (which
// cannot: an error).
enum class RhoNeed { kNone, kAuto, kLimit };

RhoNeed NeedsRho(const std::string& name, const GivenParams& given) {
  RhoNeed need = RhoNeed::kNone;
  for (const ParamSpec& spec : SolverRegistry().Find(name, "solver").params) {
    const ParamValue* value = spec.default_value ? &*spec.default_value : nullptr;
    for (const auto& [k, v] : given)
      if (k == spec.name) value = &v;
    if (value != nullptr && std::holds_alternative<LimitMultiple>(*value)) return RhoNeed::kLimit;
    if (value != nullptr && std::holds_alternative<AutoValue>(*value)) need = RhoNeed::kAuto;
  }
  return need;
}

// Marks `s` busy for the scope (the GIL is held when it starts and ends).
class BusyScope {
 public:
  explicit BusyScope(PySolver& s) : s_(s) {
    if (s_.busy) throw InputError(s_.name, "is running in another thread, expected one call at a time per Solver");
    s_.busy = true;
  }
  ~BusyScope() { s_.busy = false; }
  BusyScope(const BusyScope&) = delete;
  BusyScope& operator=(const BusyScope&) = delete;

 private:
  PySolver& s_;
};

// pi*_beta of `game` for a step that needs rho: certified, else NumericalFailure.
void RequireCertified(const Equilibrium& eq, const PySolver& s, double beta) {
  if (!eq.certified() || !eq.stability)
    throw NumericalFailure(fmt::format("the step of {} needs rho, and pi* of this game at beta = {} was not certified: {}",
                                       s.name, beta, eq.message));
}

// Binds `s` to (game, beta): a fresh solver from its parameters, so reset() also restarts it. rho
// comes from `rho`, else from `equilibrium` (pi*_beta of this game), else (for a step of `auto` or
// `X*limit`) from pi*_beta solved here.
void Reset(PySolver& s, const std::shared_ptr<Game>& game, double beta, const std::shared_ptr<GameEquilibrium>& equilibrium,
           std::optional<double> rho, std::uint64_t seed, const py::object& init) {
  if (!game) throw InputError("game", "is None, expected an nlhf.Game");
  BusyScope busy(s);
  CheckBeta(beta, s.name);
  SolverContext context;
  context.game = game.get();
  context.beta = beta;
  context.oracle = s.oracle;
  context.seed = seed;
  if (!init.is_none()) {
    context.init = ToVector(init, "init");
    if (context.init.size() != game->n())
      throw InputError("init", fmt::format("has {} entries, expected n = {}", context.init.size(), game->n()));
    if (!context.init.allFinite()) throw InputError("init", "has a non-finite entry, expected finite logits");
    NormalizeLogitsInPlace(context.init);
    // 1e308 and -1e308 are finite, their difference is not: the normalized logits would hold -inf.
    if (!context.init.allFinite())
      throw InputError("init", "has entries whose differences overflow a double (the normalized logits are not "
                               "finite), expected logits whose largest minus smallest is finite");
  }
  // A step of X*limit needs a certified pi*; `auto` without one takes the default step with a note
  // (solver.notes, and run_solver's warnings), as nlhf-run does.
  const RhoNeed need = beta > 0.0 ? NeedsRho(s.name, s.given) : RhoNeed::kNone;
  if (rho) {
    CheckRho(*rho);
    context.rho = rho;
  } else if (equilibrium) {
    CheckEquilibriumOf(*equilibrium, *game, beta, "equilibrium");
    if (need == RhoNeed::kLimit) RequireCertified(*equilibrium, s, beta);
    if (equilibrium->certified() && equilibrium->stability) context.rho = equilibrium->stability->rho;
  } else if (need != RhoNeed::kNone) {
    Equilibrium eq;
    {
      py::gil_scoped_release release;
      eq = SolveEquilibrium(*game, beta);
    }
    if (need == RhoNeed::kLimit) RequireCertified(eq, s, beta);
    if (eq.certified() && eq.stability) context.rho = eq.stability->rho;
  }
  std::unique_ptr<Solver> fresh = MakeSolver(s.name, s.given, s.name);
  fresh->Reset(context);
  s.solver = std::move(fresh);
  s.game = game;
  s.beta = beta;
  s.iterations = s.oracle_calls = s.queries = 0;
}

// The metrics a summary holds (NaN: not computed), by name.
py::dict MetricsDict(const MetricValues& values) {
  py::dict out;
  for (size_t k = 0; k < kNumMetrics; ++k)
    if (!std::isnan(values[k])) out[py::str(std::string(MetricTable()[k].name))] = values[k];
  return out;
}

py::dict SummaryDict(const RunSummary& s) {
  py::dict d;
  d["termination"] = std::string(TerminationName(s.termination));
  d["message"] = s.message;
  d["iterations"] = s.iterations;
  d["oracle_calls"] = s.oracle_calls;
  d["queries"] = s.queries;
  d["wall_s"] = s.wall_s;
  d["metrics_s"] = s.metrics_s;
  d["final"] = MetricsDict(s.final_metrics);
  d["final_average"] = s.final_average_metrics ? py::object(MetricsDict(*s.final_average_metrics)) : py::object(py::none());
  d["logits"] = Copy(s.final_logits);
  d["policy"] = Copy(Probabilities(s.final_logits));  // as summary.json: pi = exp(l), 0 where it underflows
  d["warnings"] = s.warnings;
  d["stalled_since"] = s.stalled_since >= 0 ? py::object(py::int_(s.stalled_since)) : py::object(py::none());
  py::dict theory;
  theory["applicable"] = s.theory.applicable;
  theory["factor"] = s.theory.factor;
  theory["violated"] = s.theory.violated;
  theory["first_violation"] = s.theory.first_violation;
  theory["message"] = s.theory.message;
  d["theory"] = theory;
  return d;
}

}  // namespace

void BindSolver(py::module_& m) {
  py::class_<PySolver>(m, "Solver",
      "A registered solver with its parameters. reset(game, beta) binds it to a game; step() makes one iteration; "
      "logits, policy and average are copies of the current iterate.")
      .def_readonly("name", &PySolver::name)
      .def("reset", &Reset, py::arg("game"), py::arg("beta"), py::arg("equilibrium").none(true) = py::none(),
           py::arg("rho").none(true) = py::none(), py::arg("seed") = 0, py::arg("init") = py::none(),
           "Bind to `game` at strength `beta` and start from mu (or from the logits `init`). A step of `auto` or "
           "`X*limit` needs rho: taken from `rho`, else from `equilibrium` (game.equilibrium(beta)), else solved here. "
           "`seed` names the random stream of a sampled oracle.")
      .def("step", [](PySolver& s, std::int64_t count) {
        Solver& solver = const_cast<Solver&>(s.Bound());
        if (count < 1) throw InputError("count", fmt::format("{} is not allowed, expected an integer >= 1", count));
        BusyScope busy(s);
        InterruptScope interrupt;
        {
          py::gil_scoped_release release;
          for (std::int64_t k = 0; k < count; ++k) {
            const StepInfo info = solver.Step();
            ++s.iterations;
            s.oracle_calls += info.oracle_calls;
            s.queries += info.queries;
            if (!solver.current().allFinite())
              throw NumericalFailure(fmt::format("{}: the iterate is not finite after iteration {}", s.name, s.iterations));
            if (InterruptRequested()) throw Interrupted{};
          }
        }
        interrupt.ThrowIfInterrupted();
      }, py::arg("count") = 1, "Make `count` iterations (the GIL is released while they run).")
      .def_property_readonly("logits", [](const PySolver& s) { return Copy(s.Bound().current()); },
                             "The current iterate's normalized logits (a copy).")
      .def_property_readonly("policy", [](const PySolver& s) { return Copy(Probabilities(s.Bound().current())); },
                             "The current iterate, a probability vector exp(logits) (a copy; summary.json's policy).")
      .def_property_readonly("average", [](const PySolver& s) -> py::object {
        const Eigen::VectorXd* a = s.Bound().average();
        if (a == nullptr) return py::none();
        return Copy(Probabilities(*a));
      }, "The average iterate, a probability vector, for a solver that reports one (its trace has average_* columns), else None.")
      .def_readonly("iterations", &PySolver::iterations)
      .def_readonly("oracle_calls", &PySolver::oracle_calls)
      .def_readonly("queries", &PySolver::queries)
      .def_property_readonly("spec", [](const PySolver& s) { return SolverSpec(s.name, s.Bound()); },
                             "The canonical spec after reset, e.g. nash_mp(eta=0.02): what trace.csv's params column holds.")
      .def_property_readonly("params", [](const PySolver& s) {
        py::dict out;
        const ParamMap params = s.Bound().EffectiveParams();
        for (const auto& [k, v] : params.items()) out[py::str(k)] = ParamToPython(v);
        return out;
      }, "The parameters in effect after reset (defaults, `auto` and `X*limit` resolved).")
      .def_property_readonly("stability_limit", [](const PySolver& s) { return s.Bound().StabilityLimit(); },
                             "The largest stable step at this game, in the convention of the step parameter (needs rho).")
      .def_property_readonly("target", [](const PySolver& s) {
        switch (s.Bound().Target()) {
          case SolverTarget::kPiStar: return "pi_star";
          case SolverTarget::kBiased: return "biased";
          case SolverTarget::kUnregularized: return "unregularized";
        }
        return "?";
      }, "What the iterates converge to: pi_star, biased (a mixture's best response) or unregularized (beta = 0).")
      .def_property_readonly("notes", [](const PySolver& s) { return s.Bound().Notes(); })
      .def("__repr__", [](const PySolver& s) {
        return s.solver ? fmt::format("<nlhf.Solver {} at beta={}, {} iterations>", SolverSpec(s.name, *s.solver), s.beta, s.iterations)
                        : fmt::format("<nlhf.Solver {} (not reset)>", s.name);
      });

  m.def("_make_solver", [](const std::string& spec, const RawParams& params, const RawParams& oracle) {
    // A name, or a spec string such as "egpo(eta=1.9)"; keyword parameters come after the spec's.
    SpecCall call = ParseEntrySpec(spec, SolverRegistry(), "solver");
    call.args.insert(call.args.end(), params.begin(), params.end());
    PySolver s;
    const std::string& name = s.name = call.name;
    const auto& entry = SolverRegistry().Find(name, "solver");
    s.given = ParseGivenParams(entry.params, call.args, name);
    // Checked now (unknown names with a suggestion, ranges), not at the first reset.
    MakeSolver(name, s.given, name);
    s.oracle = MakeOracleConfig(oracle, name, "oracle");
    return s;
  }, py::arg("name"), py::arg("params"), py::arg("oracle"));

  // `stop` and `log`: (key, text, keyword) for each stop: and log: key, set through the YAML reader's
  // table (SetStopOption, SetLogOption: its parse, ranges and words), errors naming the keyword.
  using KeyedTexts = std::vector<std::tuple<std::string, std::string, std::string>>;
  m.def("_run_solver", [](PySolver& s, const std::shared_ptr<Game>& game, double beta,
                          std::shared_ptr<GameEquilibrium> star, std::shared_ptr<GameNash> ne, const KeyedTexts& stop,
                          const std::vector<std::pair<std::string, double>>& tolerance, const KeyedTexts& log,
                          const std::vector<std::string>& metrics, bool theory_check, std::uint64_t seed) {
    if (!game) throw InputError("game", "is None, expected an nlhf.Game");
    CheckBeta(beta, s.name);
    RunOptions options;
    for (const auto& [key, text, keyword] : stop) SetStopOption(options.stop, key, text, keyword);
    for (const auto& [key, text, keyword] : log) SetLogOption(options.log, key, text, keyword);
    // As the YAML reader: a query budget the exact oracle never spends would be silently ignored.
    if (options.stop.queries > 0 && s.oracle.exact())
      throw InputError("queries", fmt::format("{} can never be reached: the solver uses the exact oracle, which makes no "
                                              "preference queries, expected 0, or a solver with oracle={{'type': "
                                              "'sampled'}} or {{'type': 'pairs'}}",
                                              options.stop.queries));
    // The YAML reader's checks: known metrics, defined at beta (run_solver always computes pi*).
    for (const auto& [name, value] : tolerance) {
      const Metric metric = MetricByName(name, "tolerance");
      if (const std::string problem = MetricUnavailable(metric, beta, EquilibriumMode::kCertified, true); !problem.empty())
        throw InputError("tolerance." + name, problem);
      options.stop.tolerances.emplace_back(metric, value);
    }
    for (size_t i = 0; i < metrics.size(); ++i) {
      const Metric metric = MetricByName(metrics[i], fmt::format("metrics[{}]", i));
      if (std::find(options.log.metrics.begin(), options.log.metrics.end(), metric) != options.log.metrics.end())
        throw InputError(fmt::format("metrics[{}]", i), fmt::format("'{}' is listed twice, expected each metric once", metrics[i]));
      if (const std::string problem = MetricUnavailable(metric, beta, EquilibriumMode::kCertified, false); !problem.empty())
        throw InputError(fmt::format("metrics[{}]", i), fmt::format("'{}' {}", metrics[i], problem));
      options.log.metrics.push_back(metric);
    }
    options.theory_check = theory_check;
    // Errors name run_solver's keywords, not the YAML keys (stop.tolerance.gap_beta is
    // tolerance={'gap_beta': ...}, log.every is every=, log.spacing is log=); the message keeps
    // nlhf-run's words.
    try {
      options.Validate();
    } catch (const InputError& e) {
      std::string key = e.key();
      for (const auto& [section, given] : {std::pair{"stop.", &stop}, std::pair{"log.", &log}})
        for (const auto& [option, text, keyword] : *given)
          if (key == section + option) key = keyword;
      if (key.rfind("stop.tolerance.", 0) == 0) key.erase(0, std::string_view("stop.").size());
      throw InputError(key, e.problem());
    }
    if (star) CheckEquilibriumOf(*star, *game, beta, "equilibrium");
    if (ne) CheckNashOf(*ne, *game, "nash");

    // pi*: the certified pi*_beta (given, or solved once here, as nlhf-run does), at beta = 0 the
    // selected Nash equilibrium; the Nash equilibrium too where kl_to_ne is asked for.
    bool wants_ne = beta == 0.0;
    for (Metric metric : options.log.metrics) wants_ne = wants_ne || metric == Metric::kKlToNe;
    for (const auto& [metric, value] : options.stop.tolerances) wants_ne = wants_ne || metric == Metric::kKlToNe;
    InterruptScope interrupt;
    if ((beta > 0.0 && !star) || (wants_ne && !ne)) {
      py::gil_scoped_release release;
      if (beta > 0.0 && !star) {
        EquilibriumOptions star_options;
        star_options.cancel = interrupt.flag();
        star = SolveGameEquilibrium(*game, beta, star_options);
      }
      if (wants_ne && !ne) {
        NashSetOptions nash_options;
        nash_options.cancel = interrupt.flag();
        ne = SolveGameNash(*game, nash_options);
      }
    }
    interrupt.ThrowIfInterrupted();
    Reset(s, game, beta, star, std::nullopt, seed, py::none());
    std::vector<std::string> warnings;
    if (star && !star->certified())
      warnings.push_back(fmt::format("pi* was not certified ({}): the metrics that need it are not computed", star->message));
    if (ne && !ne->certified)
      warnings.push_back(fmt::format("the beta = 0 equilibrium was not certified ({}): kl_to_ne is not computed", ne->message));
    const bool star_ok = star && star->certified();
    const bool ne_ok = ne && ne->certified;
    if (ne_ok) options.log_pi_ne = ne->log_pi;
    const Eigen::VectorXd empty;
    const Eigen::VectorXd& log_pi_star = star_ok ? star->log_pi : beta == 0.0 && ne_ok ? ne->log_pi : empty;
    ColumnTrace trace;
    RunSummary summary;
    options.cancel = interrupt.flag();  // Ctrl-C: RunSolver throws Cancelled (KeyboardInterrupt)
    try {
      BusyScope busy(s);
      py::gil_scoped_release release;
      summary = RunSolver(*s.solver, *game, beta, log_pi_star, options, {&trace});
    } catch (const Cancelled&) {
      // The iterate moved on by a number of iterations RunSolver did not get to report: back to the
      // start, so that it and the counters (0) agree.
      Reset(s, game, beta, star, std::nullopt, seed, py::none());
      throw;
    }
    s.iterations = summary.iterations;
    s.oracle_calls = summary.oracle_calls;
    s.queries = summary.queries;
    interrupt.ThrowIfInterrupted();
    summary.warnings.insert(summary.warnings.begin(), warnings.begin(), warnings.end());
    std::vector<ColumnTrace> runs(1);
    runs.front() = std::move(trace);
    py::dict out;
    out["trace"] = RowColumns(runs);
    out["summary"] = SummaryDict(summary);
    out["params"] = SolverSpec(s.name, *s.solver);
    return out;
  }, py::arg("solver"), py::arg("game"), py::arg("beta"), py::arg("equilibrium").none(true), py::arg("nash").none(true),
     py::arg("stop"), py::arg("tolerance"), py::arg("log"), py::arg("metrics"), py::arg("theory_check"),
     py::arg("seed"));
}

}  // namespace nlhf::python
