#include "run_option_table.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>

#include "nlhf/config.h"
#include "test_util.h"

namespace nlhf {
namespace {

// A value of the row's type that is not its default and is in its range.
ParamValue Other(const ParamSpec& spec) {
  const ParamValue def = *spec.default_value;
  if (const auto* i = std::get_if<std::int64_t>(&def)) return *i + 3;
  if (const auto* d = std::get_if<double>(&def)) return *d + 1.5;
  const std::string& s = std::get<std::string>(def);
  return std::string(s == "linear" ? "log" : "linear");
}

template <class Options>
void ExpectRowsDescribeTheirFields(const std::vector<OptionRow<Options>>& rows) {
  ASSERT_FALSE(rows.empty());
  for (const OptionRow<Options>& row : rows) {
    SCOPED_TRACE(row.spec.name);
    // The spec's default (what --list shows) is the struct's default.
    ASSERT_TRUE(row.spec.default_value.has_value());
    EXPECT_EQ(row.get(Options{}), *row.spec.default_value);
    // Setting one field changes it and nothing else.
    Options o;
    const ParamValue v = Other(row.spec);
    EXPECT_NO_THROW(CheckParamValue(row.spec, v, row.spec.name));
    row.set(o, v);
    for (const OptionRow<Options>& other : rows)
      EXPECT_EQ(other.get(o), &other == &row ? v : other.get(Options{})) << other.spec.name;
  }
}

TEST(OptionRows, EachRowDescribesItsOwnField) {
  ExpectRowsDescribeTheirFields(StopOptionRows());
  ExpectRowsDescribeTheirFields(LogOptionRows());
}

// Every row's key is read by the YAML reader into its field and written back by the resolved
// config, which reads back to the same value.
TEST(OptionRows, TheYamlReaderAndTheResolvedConfigFollowTheRows) {
  const auto check = [](const std::string& map, const auto& rows, auto field) {
    for (const auto& row : rows) {
      SCOPED_TRACE(map + "." + row.spec.name);
      const ParamValue v = Other(row.spec);
      std::string solvers = "solvers: [{name: nash_mp}]\n";
      std::string extra;
      if (row.spec.name == "queries")
        solvers = "solvers: [{name: omd, oracle: {type: sampled, batch: 8}}]\n";
      if (row.spec.name == "points_per_decade") extra = ", spacing: log";
      const std::string text = fmt::format("game: {{type: rps3}}\nbeta: 0.1\n{}{}: {{{}: {}{}}}\n",
                                           solvers, map, row.spec.name, FormatParamValue(v), extra);
      const ExperimentConfig c = ParseExperiment(text, "exp.yaml", {}, "");
      EXPECT_EQ(row.get(field(c)), v);
      const std::string resolved = ResolvedYaml(c);
      EXPECT_NE(resolved.find(fmt::format("\n  {}: {}\n", row.spec.name, FormatParamValue(v))),
                std::string::npos)
          << resolved;
      EXPECT_EQ(row.get(field(ParseExperiment(resolved, "resolved.yaml", {}, ""))), v);
    }
  };
  check("stop", StopOptionRows(), [](const ExperimentConfig& c) { return c.stop; });
  check("log", LogOptionRows(), [](const ExperimentConfig& c) { return c.log; });
}

// Validate() refuses what the rows refuse, naming the key, with the YAML reader's words.
TEST(OptionRows, ValidateRefusesWhatTheRowsRefuse) {
  StopRules stop;
  stop.iterations = 0;
  testing::ExpectInputError([&] { stop.Validate(); },
                            {"stop.iterations", "'0' is out of range", "[1, 1000000000000]"});
  LogOptions log;
  log.points_per_decade = 1001;
  testing::ExpectInputError([&] { log.Validate(); },
                            {"log.points_per_decade", "'1001' is out of range"});
  StopRules tolerance;
  tolerance.tolerances = {{Metric::kGap0, -0.5}};
  testing::ExpectInputError([&] { tolerance.Validate(); },
                            {"stop.tolerance.gap_0", "'-0.5' is out of range"});
  EXPECT_NO_THROW(StopRules{}.Validate());
  EXPECT_NO_THROW(LogOptions{}.Validate());
}

// SetStopOption / SetLogOption (the Python bindings' run_solver): a key set from its text through
// its row, as the YAML reader reads it; refusals name the caller's word for the key.
TEST(OptionRows, SetByNameFromText) {
  StopRules stop;
  SetStopOption(stop, "iterations", "1e3", "iterations");
  SetStopOption(stop, "wall_s", "2.5", "wall_s");
  EXPECT_EQ(stop.iterations, 1000);
  EXPECT_EQ(stop.wall_s, 2.5);
  EXPECT_EQ(stop.oracle_calls, StopRules{}.oracle_calls);
  LogOptions log;
  SetLogOption(log, "spacing", "log", "log");
  SetLogOption(log, "points_per_decade", "7", "points_per_decade");
  EXPECT_EQ(log.spacing, LogSpacing::kLog);
  EXPECT_EQ(log.points_per_decade, 7);
  testing::ExpectInputError([&] { SetStopOption(stop, "iterations", "0", "iterations"); },
                            {"iterations: '0' is out of range", "[1, 1000000000000]"});
  EXPECT_EQ(stop.iterations, 1000);  // a refused value changes nothing
  testing::ExpectInputError([&] { SetLogOption(log, "spacing", "cubic", "log"); },
                            {"log: 'cubic' is not allowed, expected linear or log"});
  testing::ExpectInputError([&] { SetStopOption(stop, "itrations", "5", "itrations"); },
                            {"itrations: is not an option here (did you mean 'iterations'?)", "wall_s"});
}

}  // namespace
}  // namespace nlhf
