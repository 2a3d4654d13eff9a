// Solvers in Python: built from the registry by name and keyword parameters, bound to a game with
// reset(), stepped one iteration at a time (step) or run by the library's driver (run_solver), which
// owns the loop exactly as in nlhf-run: the same stop rules, metrics, warnings and trace cells.
#include <pybind11/stl.h>
#include <fmt/format.h>

#include <cmath>
#include <optional>

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

  const Solver& Bound() const {
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

// Whether the solver's step is `auto` or `X*limit` (given or by default): Reset then needs rho.
bool NeedsRho(const std::string& name, const GivenParams& given) {
  for (const ParamSpec& spec : SolverRegistry().Find(name, "solver").params) {
    const ParamValue* value = spec.default_value ? &*spec.default_value : nullptr;
    for (const auto& [k, v] : given)
      if (k == spec.name) value = &v;
    if (value != nullptr && (std::holds_alternative<AutoValue>(*value) || std::holds_alternative<LimitMultiple>(*value)))
      return true;
  }
  return false;
}

// Binds `s` to (game, beta): a fresh solver from its parameters, so reset() also restarts it.
void Reset(PySolver& s, const std::shared_ptr<Game>& game, double beta, const py::object& equilibrium,
           const py::object& rho, std::uint64_t seed, const py::object& init) {
  if (!game) throw InputError("game", "is None, expected an nlhf.Game");
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
  }
  if (!rho.is_none()) {
    context.rho = rho.cast<double>();
    if (!(*context.rho >= 0.0 && *context.rho <= 0.5))
      throw InputError("rho", fmt::format("{} is not allowed, expected a number in [0, 1/2]", *context.rho));
  } else if (!equilibrium.is_none()) {
    const auto& eq = equilibrium.cast<const Equilibrium&>();
    if (eq.beta != beta)
      throw InputError("equilibrium", fmt::format("is pi* at beta = {}, expected beta = {}", eq.beta, beta));
    if (eq.stability) context.rho = eq.stability->rho;
  } else if (beta > 0.0 && NeedsRho(s.name, s.given)) {
    py::gil_scoped_release release;
    const Equilibrium eq = SolveEquilibrium(*game, beta);
    if (!eq.certified() || !eq.stability)
      throw NumericalFailure(fmt::format("the step of {} needs rho, and pi* of this game at beta = {} was not certified: {}",
                                         s.name, beta, eq.message));
    context.rho = eq.stability->rho;
  }
  std::unique_ptr<Solver> fresh = MakeSolver(s.name, s.given, s.name);
  fresh->Reset(context);
  s.solver = std::move(fresh);
  s.game = game;
  s.beta = beta;
  s.iterations = s.oracle_calls = s.queries = 0;
}

py::dict MetricsDict(const MetricValues& values, const MetricMask* mask) {
  py::dict out;
  for (size_t k = 0; k < kNumMetrics; ++k) {
    const bool computed = mask ? (*mask)[k] : !std::isnan(values[k]);
    if (computed) out[py::str(std::string(MetricTable()[k].name))] = values[k];
  }
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
  d["final"] = MetricsDict(s.final_metrics, nullptr);
  d["final_average"] = s.final_average_metrics ? py::object(MetricsDict(*s.final_average_metrics, nullptr)) : py::object(py::none());
  d["logits"] = Copy(s.final_logits);
  d["policy"] = Copy(s.final_logits.array().exp().matrix());  // as summary.json: pi = exp(l)
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
      .def("reset", &Reset, py::arg("game"), py::arg("beta"), py::arg("equilibrium") = py::none(),
           py::arg("rho") = py::none(), py::arg("seed") = 0, py::arg("init") = py::none(),
           "Bind to `game` at strength `beta` and start from mu (or from the logits `init`). A step of `auto` or "
           "`X*limit` needs rho: taken from `rho`, else from `equilibrium` (game.equilibrium(beta)), else solved here. "
           "`seed` names the random stream of a sampled oracle.")
      .def("step", [](PySolver& s, std::int64_t count) {
        Solver& solver = const_cast<Solver&>(s.Bound());
        if (count < 1) throw InputError("count", fmt::format("{} is not allowed, expected an integer >= 1", count));
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
            if ((k & 255) == 255 && InterruptRequested()) throw Interrupted{};
          }
        }
        interrupt.ThrowIfInterrupted();
      }, py::arg("count") = 1, "Make `count` iterations (the GIL is released while they run).")
      .def_property_readonly("logits", [](const PySolver& s) { return Copy(s.Bound().current()); },
                             "The current iterate's normalized logits (a copy).")
      .def_property_readonly("policy", [](const PySolver& s) { return Copy(s.Bound().current().array().exp().matrix()); },
                             "The current iterate, a probability vector exp(logits) (a copy; summary.json's policy).")
      .def_property_readonly("average", [](const PySolver& s) -> py::object {
        const Eigen::VectorXd* a = s.Bound().average();
        if (a == nullptr) return py::none();
        return Copy(a->array().exp().matrix());
      }, "The average iterate (mwu, omwu), or None for solvers that keep none.")
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
    SpecCall call = ParseSpec(spec);
    call.args.insert(call.args.end(), params.begin(), params.end());
    PySolver s;
    const std::string& name = s.name = call.name;
    const auto& entry = SolverRegistry().Find(name, "solver");
    s.given = ParseGivenParams(entry.params, call.args, name);
    // Checked now (unknown names with a suggestion, ranges), not at the first reset.
    MakeSolver(name, s.given, name);
    for (const auto& [k, v] : oracle) {
      if (k == "type") {
        const auto t = ParseOracleType(v);
        if (!t) throw InputError("oracle.type", fmt::format("'{}' is not an oracle type, expected {}", v, OracleTypeNames()));
        s.oracle.type = *t;
      } else if (k == "sampler") {
        const auto t = ParseOracleSampler(v);
        if (!t) throw InputError("oracle.sampler", fmt::format("'{}' is not a sampler, expected {}", v, OracleSamplerNames()));
        s.oracle.sampler = *t;
      } else if (k == "batch") {
        const ParamValue b = ParseParamValue(ParamSpec::Int("batch", 64, "").Range(1, 1e9), v, "oracle.batch");
        s.oracle.batch = std::get<std::int64_t>(b);
      } else {
        throw InputError("oracle." + k, "is not an oracle key, expected type, batch or sampler");
      }
    }
    if (!s.oracle.exact() && !AcceptsOracle(name)) throw InputError("oracle", OracleRefusal(s.oracle.type, name));
    return s;
  }, py::arg("name"), py::arg("params"), py::arg("oracle"));

  m.def("_run_solver", [](PySolver& s, const std::shared_ptr<Game>& game, double beta, const py::object& equilibrium,
                          const py::object& nash, const py::dict& stop, const std::vector<std::pair<std::string, double>>& tolerance,
                          const std::string& spacing, std::int64_t every, int points_per_decade,
                          const std::vector<std::string>& metrics, bool theory_check, std::uint64_t seed) {
    RunOptions options;
    options.stop.iterations = stop["iterations"].cast<std::int64_t>();
    options.stop.oracle_calls = stop["oracle_calls"].cast<std::int64_t>();
    options.stop.queries = stop["queries"].cast<std::int64_t>();
    options.stop.wall_s = stop["wall_s"].cast<double>();
    for (const auto& [name, value] : tolerance) options.stop.tolerances.emplace_back(MetricByName(name, "tolerance"), value);
    if (spacing == "linear") options.log.spacing = LogSpacing::kLinear;
    else if (spacing == "log") options.log.spacing = LogSpacing::kLog;
    else throw InputError("log", fmt::format("'{}' is not a spacing, expected linear or log", spacing));
    options.log.every = every;
    options.log.points_per_decade = points_per_decade;
    for (const std::string& name : metrics) options.log.metrics.push_back(MetricByName(name, "metrics"));
    options.theory_check = theory_check;
    options.Validate();
    Reset(s, game, beta, equilibrium, py::none(), seed, py::none());

    // pi*: the certified pi*_beta (given, or solved as nlhf-run does), at beta = 0 the selected NE.
    std::shared_ptr<const Equilibrium> star;
    std::shared_ptr<const NashEquilibrium> ne;
    if (!equilibrium.is_none()) star = equilibrium.cast<std::shared_ptr<Equilibrium>>();
    if (!nash.is_none()) ne = nash.cast<std::shared_ptr<NashEquilibrium>>();
    bool wants_ne = beta == 0.0;
    for (Metric metric : options.log.metrics) wants_ne = wants_ne || metric == Metric::kKlToNe;
    for (const auto& [metric, value] : options.stop.tolerances) wants_ne = wants_ne || metric == Metric::kKlToNe;
    std::vector<std::string> warnings;
    ColumnTrace trace;
    RunSummary summary;
    InterruptScope interrupt;
    {
      py::gil_scoped_release release;
      if (beta > 0.0 && !star) star = std::make_shared<Equilibrium>(SolveEquilibrium(*game, beta));
      if (wants_ne && !ne) ne = std::make_shared<NashEquilibrium>(SolveNashEquilibrium(*game, {}));
      if (star && !star->certified())
        warnings.push_back(fmt::format("pi* was not certified ({}): the metrics that need it are not computed", star->message));
      if (ne && !ne->certified)
        warnings.push_back(fmt::format("the beta = 0 equilibrium was not certified ({}): kl_to_ne is not computed", ne->message));
      const bool star_ok = star && star->certified();
      const bool ne_ok = ne && ne->certified;
      if (ne_ok) options.log_pi_ne = ne->log_pi;
      const Eigen::VectorXd empty;
      const Eigen::VectorXd& log_pi_star = star_ok ? star->log_pi : beta == 0.0 && ne_ok ? ne->log_pi : empty;
      summary = RunSolver(*s.solver, *game, beta, log_pi_star, options, {&trace});
    }
    interrupt.ThrowIfInterrupted();
    s.iterations = summary.iterations;
    s.oracle_calls = summary.oracle_calls;
    s.queries = summary.queries;
    summary.warnings.insert(summary.warnings.begin(), warnings.begin(), warnings.end());
    std::vector<ColumnTrace> runs(1);
    runs.front() = std::move(trace);
    py::dict out;
    out["trace"] = RowColumns(runs);
    out["summary"] = SummaryDict(summary);
    out["params"] = SolverSpec(s.name, *s.solver);
    return out;
  });
}

}  // namespace nlhf::python
