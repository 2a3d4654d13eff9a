// Tests of lib/src/config.cc: the experiment YAML parser.
#include "nlhf/config.h"

#include <gtest/gtest.h>

#include <string>

namespace nlhf {
namespace {

ExperimentConfig Parse(const std::string& text) { return ParseExperiment(text, "exp.yaml", {}, ""); }

std::string FirstError(const std::string& text) {
  try {
    Parse(text);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

constexpr const char* kBase = "game: {type: rps3}\nbeta: 0.1\n";

TEST(ConfigLabel, DefaultsToTheEntryAsWritten) {
  const ExperimentConfig c =
      Parse(std::string(kBase) + "solvers: [{name: omd, eta: auto}, {name: omd, eta: 0.05}, {name: nash_mp}]\n");
  ASSERT_EQ(c.solvers.size(), 3u);
  EXPECT_EQ(c.solvers[0].label, "omd(eta=auto)");
  EXPECT_EQ(c.solvers[1].label, "omd(eta=0.05)");
  EXPECT_EQ(c.solvers[2].label, "nash_mp");
}

TEST(ConfigLabel, TakesTheGivenLabel) {
  const ExperimentConfig c = Parse(std::string(kBase) + "solvers: [{name: omd, label: best step, eta: auto}]\n");
  EXPECT_EQ(c.solvers[0].label, "best step");
}

TEST(ConfigLabel, RejectsDuplicateLabels) {
  const std::string e = FirstError(std::string(kBase) + "solvers: [{name: omd}, {name: omd}]\n");
  EXPECT_NE(e.find("solvers[1].label: 'omd' is already the label of solvers[0]"), std::string::npos) << e;
  const std::string given = FirstError(std::string(kBase) + "solvers: [{name: omd, label: a}, {name: mmd, label: a}]\n");
  EXPECT_NE(given.find("exp.yaml:3:53: solvers[1].label: 'a' is already the label of solvers[0]"), std::string::npos)
      << given;
}

TEST(ConfigLabel, RejectsControlCharactersAndEmptyLabels) {
  EXPECT_NE(FirstError(std::string(kBase) + "solvers: [{name: omd, label: \"a\\nb\"}]\n").find("control character"),
            std::string::npos);
  EXPECT_NE(FirstError(std::string(kBase) + "solvers: [{name: omd, label: ''}]\n").find("is empty"), std::string::npos);
}

TEST(ConfigLabel, SurvivesTheResolvedYaml) {
  const ExperimentConfig c = Parse(std::string(kBase) + "solvers: [{name: omd, eta: auto}, {name: omd, label: x}]\n");
  const ExperimentConfig again = Parse(ResolvedYaml(c));
  EXPECT_EQ(again.solvers[0].label, "omd(eta=auto)");
  EXPECT_EQ(again.solvers[1].label, "x");
  EXPECT_EQ(ExperimentFingerprint(again), ExperimentFingerprint(c));
}

}  // namespace
}  // namespace nlhf
