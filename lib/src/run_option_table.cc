#include "run_option_table.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace nlhf {

namespace {

// A row for an integer field of any integer type.
template <class Options, class Int>
OptionRow<Options> IntRow(ParamSpec spec, Int Options::*field) {
  return {std::move(spec),
          [field](const Options& o) { return ParamValue(static_cast<std::int64_t>(o.*field)); },
          [field](Options& o, const ParamValue& v) {
            o.*field = static_cast<Int>(std::get<std::int64_t>(v));
          }};
}

template <class Options>
OptionRow<Options> DoubleRow(ParamSpec spec, double Options::*field) {
  return {std::move(spec), [field](const Options& o) { return ParamValue(o.*field); },
          [field](Options& o, const ParamValue& v) { o.*field = std::get<double>(v); }};
}

// Sets row `key` of `rows` from its text (ParseParamValue: the YAML reader's parse and checks).
template <class Options>
void SetOption(const std::vector<OptionRow<Options>>& rows, Options& options, const std::string& key,
               std::string_view text, const std::string& shown) {
  const OptionRow<Options>* row = FindOptionRow(rows, key);
  if (row == nullptr) {
    std::vector<std::string> names;
    for (const OptionRow<Options>& r : rows) names.push_back(r.spec.name);
    throw InputError(shown, fmt::format("is not an option here{}, expected one of: {}", DidYouMeanSuffix(key, names),
                                        fmt::join(names, ", ")));
  }
  row->set(options, ParseParamValue(row->spec, text, shown));
}

}  // namespace

std::vector<ParamSpec> StopOptionSpecs() { return OptionSpecs(StopOptionRows()); }
std::vector<ParamSpec> LogOptionSpecs() { return OptionSpecs(LogOptionRows()); }

void SetStopOption(StopRules& stop, const std::string& key, std::string_view text, const std::string& shown) {
  SetOption(StopOptionRows(), stop, key, text, shown);
}

void SetLogOption(LogOptions& log, const std::string& key, std::string_view text, const std::string& shown) {
  SetOption(LogOptionRows(), log, key, text, shown);
}

std::string UnusedEveryProblem(const LogOptions& log) {
  if (log.spacing != LogSpacing::kLog || log.every == LogOptions{}.every) return "";
  return fmt::format("{} has no effect with spacing: log (it logs points_per_decade iterations per decade), "
                     "expected spacing: linear, or no every",
                     log.every);
}

std::string UnusedPointsPerDecadeProblem(const LogOptions& log) {
  if (log.spacing != LogSpacing::kLinear || log.points_per_decade == LogOptions{}.points_per_decade) return "";
  return fmt::format("{} has no effect with spacing: linear (it logs every `every` iterations), expected "
                     "spacing: log, or no points_per_decade",
                     log.points_per_decade);
}

ParamSpec ToleranceSpec(const std::string& metric) {
  return ParamSpec::Double(metric, 0.0, "stop once " + metric + " is at most this").AtLeast(0);
}

const std::vector<OptionRow<StopRules>>& StopOptionRows() {
  static const std::vector<OptionRow<StopRules>> rows = {
      IntRow(ParamSpec::Int("iterations", 1000, "iteration cap")
                 .Range(1, static_cast<double>(kMaxIterations)),
             &StopRules::iterations),
      IntRow(ParamSpec::Int("oracle_calls", 0, "oracle-call budget (0: none)").AtLeast(0),
             &StopRules::oracle_calls),
      IntRow(ParamSpec::Int("queries", 0, "query budget (0: none)").AtLeast(0),
             &StopRules::queries),
      DoubleRow(ParamSpec::Double("wall_s", 0.0, "solver wall-time budget in seconds (0: none)")
                    .AtLeast(0),
                &StopRules::wall_s)};
  return rows;
}

const std::vector<OptionRow<LogOptions>>& LogOptionRows() {
  static const std::vector<OptionRow<LogOptions>> rows = {
      IntRow(ParamSpec::Int("every", 1, "log every k iterations (linear spacing)")
                 .Range(1, static_cast<double>(kMaxIterations)),
             &LogOptions::every),
      {ParamSpec::String("spacing", "linear", "linear or log")
           .Check(
               [](const ParamValue& v) {
                 const std::string& s = std::get<std::string>(v);
                 return s == "linear" || s == "log" ? "" : "is not allowed, expected linear or log";
               },
               "linear or log"),
       [](const LogOptions& o) {
         return ParamValue(std::string(o.spacing == LogSpacing::kLog ? "log" : "linear"));
       },
       [](LogOptions& o, const ParamValue& v) {
         o.spacing = std::get<std::string>(v) == "log" ? LogSpacing::kLog : LogSpacing::kLinear;
       }},
      IntRow(ParamSpec::Int("points_per_decade", 20, "log spacing: logged iterations per decade")
                 .Range(1, kMaxPointsPerDecade),
             &LogOptions::points_per_decade)};
  return rows;
}

}  // namespace nlhf
