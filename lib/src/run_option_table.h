#pragma once
// The stop: and log: keys as one table (private to the library). Each row is a key's ParamSpec
// (name, default, range, the text error lines show) with how it reads and sets its field of
// StopRules or LogOptions. The YAML reader (config.cc), the resolved-config dump and
// StopRules::Validate / LogOptions::Validate all walk these rows, so for the tools a new scalar key
// is its field in run.h plus one row in run_option_table.cc. The Python bindings' run_solver sets
// its keyword arguments through the rows (SetStopOption, SetLogOption in run.h), but names them in
// its signature: a new key must be added there too (tests/python/solver_test.py fails until it is).
// (stop.tolerance and log.metrics are maps and lists keyed by metric: they follow MetricTable().)
#include <functional>
#include <string>
#include <vector>

#include "nlhf/errors.h"
#include "nlhf/params.h"
#include "nlhf/run.h"

namespace nlhf {

template <class Options>
struct OptionRow {
  ParamSpec spec;
  std::function<ParamValue(const Options&)> get;         // the field as its spec's type
  std::function<void(Options&, const ParamValue&)> set;  // from a value CheckParamValue accepted
};

const std::vector<OptionRow<StopRules>>&
StopOptionRows();  // iterations, oracle_calls, queries, wall_s
const std::vector<OptionRow<LogOptions>>& LogOptionRows();  // every, spacing, points_per_decade

// A stop.tolerance.<metric> value: a number >= 0 (the YAML reader and StopRules::Validate).
ParamSpec ToleranceSpec(const std::string& metric);

// A log: key the spacing does not read, set away from its default, would be silently ignored: the
// problem with `every` (points_per_decade), or "" (the YAML reader and LogOptions::Validate).
std::string UnusedEveryProblem(const LogOptions& log);
std::string UnusedPointsPerDecadeProblem(const LogOptions& log);

// The rows' specs, in order (for the YAML reader's key checks).
template <class Options>
std::vector<ParamSpec> OptionSpecs(const std::vector<OptionRow<Options>>& rows) {
  std::vector<ParamSpec> specs;
  for (const OptionRow<Options>& row : rows) specs.push_back(row.spec);
  return specs;
}

// The row named `name`, or nullptr.
template <class Options>
const OptionRow<Options>* FindOptionRow(const std::vector<OptionRow<Options>>& rows,
                                        const std::string& name) {
  for (const OptionRow<Options>& row : rows)
    if (row.spec.name == name) return &row;
  return nullptr;
}

// Every row's value checked against its spec: InputError naming `<prefix>.<key>` for the first
// value the YAML reader would refuse.
template <class Options>
void CheckOptionRows(const std::vector<OptionRow<Options>>& rows, const Options& options,
                     const std::string& prefix) {
  for (const OptionRow<Options>& row : rows) {
    try {
      CheckParamValue(row.spec, row.get(options), row.spec.name);
    } catch (const InputError& e) {
      // (The key is built only for the message: RunSolver checks every run's options.)
      throw InputError(prefix + "." + e.key(), e.problem());
    }
  }
}

}  // namespace nlhf
