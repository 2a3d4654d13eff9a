// The registries in Python: every generator, reference policy, solver and metric with the parameter
// table that drives spec strings, YAML and `--list`, so that Python's docstrings (built from
// EntryDoc) show the same defaults and allowed ranges the tools check.
#include <fmt/format.h>

#include <sstream>

#include "bindings.h"
#include "nlhf/generators.h"
#include "nlhf/listing.h"
#include "nlhf/metrics.h"
#include "nlhf/oracle.h"
#include "nlhf/run.h"
#include "nlhf/solver.h"

namespace nlhf::python {

namespace {

py::dict ParamInfo(const ParamSpec& p) {
  py::dict d;
  d["name"] = p.name;
  d["type"] = std::string(ParamTypeName(p.type));
  d["default"] = p.DefaultText();
  d["has_default"] = p.default_value.has_value();
  d["allowed"] = p.AllowedText();
  d["doc"] = p.doc;
  return d;
}

template <class Registry>
py::list Entries(const Registry& registry) {
  py::list out;
  for (const auto& e : registry.entries()) {
    py::dict d;
    d["name"] = e.name;
    d["doc"] = e.doc;
    py::list params;
    for (const ParamSpec& p : e.params) params.append(ParamInfo(p));
    d["params"] = params;
    out.append(d);
  }
  return out;
}

// The docstring of one registry entry: its line of `--list`, then one paragraph per parameter.
template <class Entry>
std::string EntryDoc(const Entry& e, std::string_view kind, std::string_view extra) {
  std::string doc = fmt::format("{} ({}): {}\n", e.name, kind, e.doc);
  if (!e.params.empty()) {
    doc += "\nParameters (the table behind `--list`; values are checked as in a spec string or YAML):\n";
    for (const ParamSpec& p : e.params)
      doc += fmt::format("    {} : {}, default {}\n        {}; allowed: {}\n", p.name, ParamTypeName(p.type),
                         p.DefaultText(), p.doc, p.AllowedText());
  }
  return doc + std::string(extra);
}

template <class Registry>
std::string FindDoc(const Registry& registry, const std::string& name, std::string_view kind, std::string_view extra) {
  return EntryDoc(registry.Find(name, std::string(kind)), kind, extra);
}

}  // namespace

Metric MetricByName(const std::string& name, const std::string& key) {
  std::vector<std::string> names;
  for (const MetricInfo& info : MetricTable()) {
    if (info.name == name) return info.id;
    names.emplace_back(info.name);
  }
  std::string problem = fmt::format("unknown metric '{}'", name);
  problem += DidYouMeanSuffix(name, names);
  throw InputError(key, problem + ", valid: " + JoinNames(names));
}

void BindParams(py::module_& m) {
  m.def("registry", [](const std::string& kind) -> py::list {
    if (kind == "games") return Entries(GameRegistry());
    if (kind == "references") return Entries(ReferenceRegistry());
    if (kind == "solvers") return Entries(SolverRegistry());
    throw InputError("kind", fmt::format("'{}' is not a registry, expected games, references or solvers", kind));
  }, py::arg("kind"), "The entries of a registry (games, references or solvers): name, doc and parameter table.");

  m.def("entry_doc", [](const std::string& kind, const std::string& name) -> std::string {
    if (kind == "games")
      return FindDoc(GameRegistry(), name, "game",
                     "\nEvery game also takes storage: auto, dense, float32 or implicit (how P is held; see "
                     "nlhf.listing('games')), and seed (the run seed when omitted) where it has one.\n");
    if (kind == "references") return FindDoc(ReferenceRegistry(), name, "reference", "");
    if (kind == "solvers")
      return FindDoc(SolverRegistry(), name, "solver",
                     fmt::format("\nOracle: exact by default; {} also accept oracle={{'type': 'sampled' or 'pairs', "
                                 "'batch': B, 'sampler': {}}}.\n",
                                 JoinNames(OracleSolvers()), OracleSamplerNames()));
    throw InputError("kind", fmt::format("'{}' is not a registry, expected games, references or solvers", kind));
  }, py::arg("kind"), py::arg("name"));

  m.def("listing", [](const std::string& what) {
    std::ostringstream out;
    PrintListing(what, out);
    return out.str();
  }, py::arg("what"), "The text of `nlhf-run --list WHAT` (games, references, solvers or metrics).");

  m.def("run_options", [] {
    py::dict out;
    for (const auto& [section, specs] : {std::pair{"stop", StopOptionSpecs()}, std::pair{"log", LogOptionSpecs()}}) {
      py::list rows;
      for (const ParamSpec& p : specs) rows.append(ParamInfo(p));
      out[section] = rows;
    }
    return out;
  }, "The stop: and log: keys' tables (name, type, default, allowed, doc): run_solver's stop and log keywords.");

  m.def("metric_table", [] {
    py::list out;
    for (const MetricInfo& info : MetricTable()) {
      py::dict d;
      d["name"] = std::string(info.name);
      d["doc"] = std::string(info.doc);
      d["needs_star"] = info.needs_star;
      d["needs_ne"] = info.needs_ne;
      out.append(d);
    }
    return out;
  }, "The metrics, in trace column order: name, doc, and whether they need pi* or the beta = 0 equilibrium.");
}

}  // namespace nlhf::python
