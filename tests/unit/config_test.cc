// Tests of lib/src/config.cc: the experiment YAML parser.
#include "nlhf/config.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>

#include "nlhf/input_file.h"
#include "nlhf/sha256.h"
#include "nlhf/solver.h"
#include "test_util.h"

namespace nlhf {
namespace {

ExperimentConfig Parse(const std::string& text) { return ParseExperiment(text, "exp.yaml", {}, ""); }

// "mwu and omwu": the solvers the registry allows at beta = 0, as messages list them (a solver
// added there changes the messages, not these tests).
std::string BetaZeroNames() {
  const std::vector<std::string> names = BetaZeroSolvers();
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) out += (i == 0 ? "" : i + 1 == names.size() ? " and " : ", ") + names[i];
  return out;
}

std::string FirstError(const std::string& text) {
  try {
    Parse(text);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

constexpr const char* kBase = "game: {type: rps3}\nbeta: 0.1\n";
constexpr const char* kOk = "game: {type: rps3}\nbeta: 0.1\nsolvers: [{name: nash_mp}]\n";

std::string SetError(const std::string& text, const std::vector<std::string>& sets) {
  try {
    ParseExperiment(text, "exp.yaml", sets, "");
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

bool OneLineWithoutControls(const std::string& s) {
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return false;
  return true;
}

TEST(ConfigLabel, DefaultsToTheEntryAsWritten) {
  const ExperimentConfig c =
      Parse(std::string(kBase) + "solvers: [{name: omd, eta: auto}, {name: omd, eta: 0.05}, {name: nash_mp}]\n");
  ASSERT_EQ(c.solvers.size(), 3u);
  EXPECT_EQ(c.solvers[0].label, "omd(eta=auto)");
  EXPECT_EQ(c.solvers[1].label, "omd(eta=0.05)");
  EXPECT_EQ(c.solvers[2].label, "nash_mp");
}

TEST(ConfigLabel, KeepsAMultipleOfTheLimitAsWritten) {
  const ExperimentConfig c = ParseExperiment(std::string(kBase) + "solvers: [{name: omd, eta: 0.9*limit}, {name: mmd}]\n",
                                             "exp.yaml", {"solvers[1].eta=1.1*limit"}, "");
  EXPECT_EQ(c.solvers[0].label, "omd(eta=0.9*limit)");
  EXPECT_EQ(c.solvers[1].label, "mmd(eta=1.1*limit)");
  const ExperimentConfig again = Parse(ResolvedYaml(c));
  EXPECT_EQ(again.solvers[0].label, "omd(eta=0.9*limit)");
  EXPECT_EQ(ExperimentFingerprint(again), ExperimentFingerprint(c));
  EXPECT_NE(FirstError(std::string(kBase) + "solvers: [{name: prox, eta: 0.9*limit}]\n")
                .find("exp.yaml:3:29: solvers[0].eta: '0.9*limit' is not available for this parameter"),
            std::string::npos);
}

TEST(ConfigLabel, AutoIsTextForNamesAndLabels) {
  const ExperimentConfig c = Parse(std::string("name: auto\n") + kBase + "solvers: [{name: omd, label: auto}]\n");
  EXPECT_EQ(c.name, "auto");
  EXPECT_EQ(c.solvers[0].label, "auto");
}

TEST(ConfigName, RejectsControlCharactersAndSlashes) {
  for (const char* name : {"\"a\\nb\"", "\"a\\x01b\"", "a/b", "''", "'.'", "'..'"})
    EXPECT_NE(FirstError(std::string("name: ") + name + "\n" + kBase + "solvers: [{name: omd}]\n").find("name:"),
              std::string::npos)
        << name;
}

// Bytes that are not UTF-8 would be written raw in trace.csv and as U+FFFD in summary.json and the
// resolved config, which then would not reproduce the run: refused, in a name and in a label.
// Printable UTF-8 is taken.
TEST(ConfigLabel, RefusesBytesThatAreNotUtf8AndTakesUtf8) {
  const std::string label = FirstError(std::string(kBase) + "solvers: [{name: omd, label: \"a\xff\"}]\n");
  EXPECT_NE(label.find("solvers[0].label: 'a\\xff' holds a control character, a quote or bytes that are not UTF-8"),
            std::string::npos)
      << label;
  EXPECT_NE(FirstError(std::string("name: \"x\xc3\"\n") + kBase + "solvers: [{name: omd}]\n")
                .find("name: 'x\\xc3' is not allowed, expected a non-empty name of printable UTF-8 characters"),
            std::string::npos);
  const ExperimentConfig c =
      Parse(std::string("name: \"\u00e9t\u00e9\"\n") + kBase + "solvers: [{name: omd, label: \"\u03b7 = 0.1\"}]\n");
  EXPECT_EQ(c.name, "\xc3\xa9t\xc3\xa9");
  EXPECT_EQ(c.solvers[0].label, "\xce\xb7 = 0.1");
}

// A log key the spacing does not read is refused rather than ignored; at its default (as the
// resolved config writes it) it is accepted.
TEST(ConfigLog, RefusesAKeyTheSpacingDoesNotRead) {
  const std::string base = std::string(kBase) + "solvers: [{name: omd}]\n";
  EXPECT_NE(FirstError(base + "log: {spacing: log, every: 5}\n")
                .find("log.every: 5 has no effect with spacing: log"),
            std::string::npos);
  EXPECT_NE(FirstError(base + "log: {every: 5, points_per_decade: 3}\n")
                .find("log.points_per_decade: 3 has no effect with spacing: linear"),
            std::string::npos);
  EXPECT_EQ(FirstError(base + "log: {spacing: log, every: 1, points_per_decade: 3}\n"), "");
  EXPECT_EQ(FirstError(base + "log: {spacing: linear, every: 5, points_per_decade: 20}\n"), "");
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

TEST(ConfigStorage, WritesOnlyAStorageOtherThanTheDefault) {
  const std::string solvers = "beta: 0.1\nsolvers: [{name: nash_mp}]\n";
  const ExperimentConfig plain = Parse("game: {type: low_rank_cyclic, n: 50}\n" + solvers);
  // Naming the default is the same experiment: same resolved file, same fingerprint.
  const ExperimentConfig named = Parse("game: {type: low_rank_cyclic, n: 50, storage: implicit}\n" + solvers);
  EXPECT_EQ(named.game.storage, GameStorage::kAuto);
  EXPECT_EQ(ResolvedYaml(named), ResolvedYaml(plain));
  EXPECT_EQ(ResolvedYaml(plain).find("storage"), std::string::npos);
  EXPECT_EQ(ExperimentFingerprint(named), ExperimentFingerprint(plain));
  const ExperimentConfig dense_default = Parse("game: {type: rps3, storage: dense}\n" + solvers);
  EXPECT_EQ(ExperimentFingerprint(dense_default), ExperimentFingerprint(Parse("game: {type: rps3}\n" + solvers)));
  // Another storage is another experiment, and survives the resolved file.
  const ExperimentConfig dense = Parse("game: {type: low_rank_cyclic, n: 50, storage: dense}\n" + solvers);
  EXPECT_EQ(dense.game.storage, GameStorage::kDense);
  EXPECT_NE(ExperimentFingerprint(dense), ExperimentFingerprint(plain));
  EXPECT_NE(ResolvedYaml(dense).find("storage: dense"), std::string::npos) << ResolvedYaml(dense);
  const ExperimentConfig again = Parse(ResolvedYaml(dense));
  EXPECT_EQ(again.game.storage, GameStorage::kDense);
  EXPECT_EQ(ExperimentFingerprint(again), ExperimentFingerprint(dense));
  const ExperimentConfig bt = Parse("game: {type: bradley_terry, storage: implicit}\n" + solvers);
  EXPECT_EQ(bt.game.storage, GameStorage::kImplicit);
  // --set reaches it.
  EXPECT_EQ(ParseExperiment("game: {type: bradley_terry}\n" + solvers, "exp.yaml", {"game.storage=implicit"}, "")
                .game.storage,
            GameStorage::kImplicit);
}

TEST(ConfigStorage, Float32IsAnotherExperimentAndSurvivesTheResolvedFile) {
  const std::string solvers = "beta: 0.1\nsolvers: [{name: nash_mp}]\n";
  const ExperimentConfig plain = Parse("game: {type: random_uniform, n: 50}\n" + solvers);
  // Any generator, dense or implicit by default.
  for (const char* game : {"random_uniform, n: 50", "low_rank_cyclic, n: 50", "bradley_terry"}) {
    const ExperimentConfig f = Parse(fmt::format("game: {{type: {}, storage: float32}}\n", game) + solvers);
    EXPECT_EQ(f.game.storage, GameStorage::kFloat32) << game;
    EXPECT_NE(ResolvedYaml(f).find("storage: float32"), std::string::npos) << ResolvedYaml(f);
    const ExperimentConfig again = Parse(ResolvedYaml(f));
    EXPECT_EQ(again.game.storage, GameStorage::kFloat32) << game;
    EXPECT_EQ(ExperimentFingerprint(again), ExperimentFingerprint(f)) << game;
  }
  EXPECT_NE(ExperimentFingerprint(Parse("game: {type: random_uniform, n: 50, storage: float32}\n" + solvers)),
            ExperimentFingerprint(plain));
  EXPECT_EQ(ParseExperiment("game: {type: random_uniform, n: 50}\n" + solvers, "exp.yaml", {"game.storage=float32"}, "")
                .game.storage,
            GameStorage::kFloat32);
}

TEST(ConfigStorage, RejectsAnUnknownStorageAndImplicitWithoutAnImplicitForm) {
  const std::string solvers = "beta: 0.1\nsolvers: [{name: nash_mp}]\n";
  const std::string e = FirstError("game: {type: random_uniform, storage: implicit}\n" + solvers);
  EXPECT_NE(e.find("exp.yaml:1:"), std::string::npos) << e;
  EXPECT_NE(e.find("game.storage: implicit is not available for random_uniform"), std::string::npos) << e;
  EXPECT_NE(e.find(JoinNames(ImplicitGameNames())), std::string::npos) << e;
  EXPECT_NE(FirstError("game: {type: rps3, storage: sparse}\n" + solvers).find("is not a storage, expected auto, dense, float32 or implicit"),
            std::string::npos)
      << FirstError("game: {type: rps3, storage: sparse}\n" + solvers);
  EXPECT_NE(FirstError("game: {type: rps3, storag: dense}\n" + solvers).find("did you mean 'storage'"),
            std::string::npos);
}

TEST(ConfigStrictYaml, RejectsAKeyGivenTwiceNamingTheFirstLine) {
  EXPECT_EQ(FirstError("game: {type: rps3}\nbeta: 0.01\nbeta: 0.5\nsolvers: [{name: nash_mp}]\n"),
            "exp.yaml:3:1: beta: is given twice (first on line 2), expected each key once");
  EXPECT_EQ(FirstError("game: {type: random_uniform, n: 4, n: 50}\nbeta: 0.1\nsolvers: [{name: nash_mp}]\n"),
            "exp.yaml:1:36: game.n: is given twice (first on line 1), expected each key once");
  const std::string nested = FirstError(std::string(kBase) + "solvers:\n  - name: omd\n    eta: 0.1\n    eta: 0.2\n");
  EXPECT_NE(nested.find("exp.yaml:6:5: solvers[0].eta: is given twice (first on line 5)"), std::string::npos) << nested;
}

// Every key given twice is reported, in file order, not only the first.
TEST(ConfigStrictYaml, ReportsEveryKeyGivenTwice) {
  try {
    Parse("game: {type: rps3}\nbeta: 0.1\nbeta: 0.2\nsolvers: [{name: omd}]\nstop: {iterations: 5, iterations: 6}\n"
          "solvers: []\n");
    ADD_FAILURE() << "expected errors";
  } catch (const InputErrors& e) {
    std::vector<std::string> keys;
    for (const InputError& error : e.errors()) keys.push_back(error.key() + "@" + std::to_string(error.where().line));
    EXPECT_EQ(keys, (std::vector<std::string>{"beta@3", "stop.iterations@5", "solvers@6"}));
  }
  // A map reused through aliases is walked at each use, but its duplicate is one place: one line
  // (nested reuse multiplied it: five levels of aliases made 111 113 lines of one mistake).
  std::string text = "a0: &a0 {n: 3, n: 4}\n";
  for (int level = 1; level <= 5; ++level)
    text += fmt::format("a{0}: &a{0} [*a{1}, *a{1}, *a{1}, *a{1}, *a{1}, *a{1}, *a{1}, *a{1}, *a{1}, *a{1}]\n",
                        level, level - 1);
  text += "game: *a0\nbeta: 0.1\nsolvers: [{name: omd}]\n";
  try {
    Parse(text);
    ADD_FAILURE() << "expected errors";
  } catch (const InputErrors& e) {
    ASSERT_EQ(e.errors().size(), 1u) << e.what();
    EXPECT_EQ(std::string(e.what()), "exp.yaml:1:16: a0.n: is given twice (first on line 1), expected each key once");
  }
  // Through --set: every duplicate, located at the --set.
  try {
    ParseExperiment(kOk, "exp.yaml", {"game={type: rps3, type: x, n: 1, n: 2}"}, "");
    ADD_FAILURE() << "expected errors";
  } catch (const InputErrors& e) {
    ASSERT_EQ(e.errors().size(), 2u) << e.what();
    for (const InputError& error : e.errors()) EXPECT_EQ(error.where().file, "--set game={type: rps3, type: x, n: 1, n: 2}");
  }
}

TEST(ConfigStrictYaml, RejectsASecondDocument) {
  EXPECT_EQ(FirstError(std::string(kOk) + "---\nbeta: 0.5\n"),
            "exp.yaml:4:1: a second YAML document starts here (after '---'), expected one document per file");
}

TEST(ConfigStrictYaml, RejectsTextAfterTheDocumentWithoutLoopingForever) {
  // yaml-cpp's LoadAll allocates without end on this (found by the fuzz test below).
  EXPECT_EQ(SetError(kOk, {"beta=[1],"}),
            "--set beta=[1],: unexpected text after the end of the YAML document, expected one document");
}

TEST(ConfigStrictYaml, SaysTabsAreNotAllowedInIndentation) {
  const std::string e = FirstError("game:\n\ttype: rps3\nbeta: 0.1\n");
  EXPECT_NE(e.find("exp.yaml:2:1: "), std::string::npos) << e;
  EXPECT_NE(e.find("tabs are not allowed in YAML indentation"), std::string::npos) << e;
}

TEST(ConfigSet, CreatesMissingMaps) {
  const ExperimentConfig c = ParseExperiment(kOk, "exp.yaml", {"stop.iterations=5", "log.every=2"}, "");
  EXPECT_EQ(c.stop.iterations, 5);
  EXPECT_EQ(c.log.every, 2);
  const ExperimentConfig t = ParseExperiment(kOk, "exp.yaml", {"stop.tolerance.gap_beta=1e-9"}, "");
  ASSERT_EQ(t.stop.tolerances.size(), 1u);
  EXPECT_EQ(t.stop.tolerances[0].second, 1e-9);
}

// A problem located at the top level (a key missing from the file) with a --set given: the file's
// first line, not a crash (the root rebound by a yaml-cpp Node's = became a copy of itself, and
// locating it recursed without end).
TEST(ConfigSet, AKeyMissingFromTheFileIsLocatedThereWithASetGiven) {
  EXPECT_EQ(SetError("game: {type: rps3}\nbeta: 0.1\n", {"beta=0.2"}),
            "exp.yaml:1:1: solvers: is missing, expected a list like - {name: nash_mp} (nlhf-run --list solvers)");
  EXPECT_EQ(SetError("game: {type: rps3}\nbeta: 0.1\n", {"beta=0.2", "game.type=rps3"}),
            "exp.yaml:1:1: solvers: is missing, expected a list like - {name: nash_mp} (nlhf-run --list solvers)");
}

TEST(ConfigSet, TakesOnlyPlainDecimalIndexes) {
  const std::string two = std::string(kBase) + "solvers: [{name: nash_mp}, {name: omd}]\n";
  for (const char* index : {"1e1", "0x1", "-1", " 1", "+1", "", "1.0"}) {
    const std::string set = std::string("solvers[") + index + "].eta=0.1";
    const std::string e = SetError(two, {set});
    EXPECT_NE(e.find("--set " + set + ": "), std::string::npos) << e;
    EXPECT_NE(e.find("is not an index, expected a plain decimal index"), std::string::npos) << e;
  }
  EXPECT_EQ(ParseExperiment(two, "exp.yaml", {"solvers[1].eta=0.5"}, "").solvers[1].params.at(0).second,
            ParamValue(0.5));
  EXPECT_NE(SetError(two, {"solvers[2].eta=0.1"}).find("index 2 is out of range, solvers has 2 entries"),
            std::string::npos);
}

TEST(ConfigSet, LocatesErrorsInsideItsValueAtTheSet) {
  const std::string set = "game={type: random_uniform, n: 1}";
  EXPECT_EQ(SetError(kOk, {set}),
            "--set game={type: random_uniform, n: 1}: game.n: '1' is out of range, expected integer in [2, 100000]");
  EXPECT_EQ(SetError(kOk, {"game={type: random_uniform, n: 4, n: 5}"}),
            "--set game={type: random_uniform, n: 4, n: 5}: game.n: is given twice, expected each key once");
  // A key the set adds is located there too.
  EXPECT_NE(SetError(kOk, {"stop.iteratons=5"}).find("--set stop.iteratons=5: stop.iteratons: unknown key"),
            std::string::npos);
}

TEST(ConfigBeta, RejectsValuesOutsideTheSupportedRange) {
  for (const char* beta : {"5e-324", "1e-310", "1e-9"}) {
    const std::string e = SetError(kOk, {std::string("beta=") + beta});
    EXPECT_NE(e.find("is below the smallest supported beta 1e-08"), std::string::npos) << e;
  }
  for (const char* beta : {"1e308", "1e7"}) {
    const std::string e = SetError(kOk, {std::string("beta=") + beta});
    EXPECT_NE(e.find("is above the largest supported beta 1e+06"), std::string::npos) << e;
  }
  EXPECT_NE(SetError(kOk, {"beta=1e-400"}).find("'1e-400' underflows"), std::string::npos);
  EXPECT_NE(SetError(kOk, {"beta=1e400"}).find("'1e400' overflows"), std::string::npos);
  EXPECT_EQ(ParseExperiment(kOk, "exp.yaml", {"beta=1e-8"}, "").beta, 1e-8);
  EXPECT_EQ(ParseExperiment(kOk, "exp.yaml", {"beta=1e6"}, "").beta, 1e6);
  EXPECT_EQ(ParseExperiment(kOk, "exp.yaml", {"beta=0", "solvers=[{name: mwu}]"}, "").beta, 0.0);
  // A negative or non-numeric beta is told what is allowed, not just the range [0, inf).
  for (const char* beta : {"beta=-1", "beta=abc"}) {
    const std::string e = SetError(kOk, {beta});
    EXPECT_NE(e.find("expected 0 (" + BetaZeroNames() + " only) or a number in [1e-08, 1e+06]"), std::string::npos) << e;
  }
}

// A seed listed twice would be one run twice (two runs with one run_id in the trace): refused where
// it is repeated.
TEST(ConfigSeeds, RefusesASeedListedTwice) {
  EXPECT_NE(FirstError("game: {type: rps3}\nbeta: 0.1\nsolvers: [{name: omd}]\nseeds: [3, 1, 3]\n")
                .find("exp.yaml:4:15: seeds[2]: 3 is listed twice (also seeds[0]), expected distinct seeds"),
            std::string::npos)
      << FirstError("game: {type: rps3}\nbeta: 0.1\nsolvers: [{name: omd}]\nseeds: [3, 1, 3]\n");
  EXPECT_EQ(Parse("game: {type: rps3}\nbeta: 0.1\nsolvers: [{name: omd}]\nseeds: [3, 1, 2]\n").seeds.size(), 3u);
}

// A misspelled required key is one error, its "did you mean", not a second one saying the key is
// missing; a required key that is simply absent is still reported.
TEST(ConfigMessages, AMisspelledRequiredKeyIsReportedOnce) {
  const std::pair<std::string, std::string> cases[] = {
      {"game: {type: rps3}\nbetta: 0.1\nsolvers: [{name: omd}]\n", "beta"},
      {"game: {type: rps3}\nbeta: 0.1\nsolver: [{name: omd}]\n", "solvers"},
      {"gmae: {type: rps3}\nbeta: 0.1\nsolvers: [{name: omd}]\n", "game"},
      {"game: {type: rps3}\nbeta: 0.1\nseeds: {from: 0, too: 3}\nsolvers: [{name: omd}]\n", "to"},
  };
  for (const auto& [text, key] : cases) {
    try {
      Parse(text);
      ADD_FAILURE() << text;
    } catch (const InputErrors& e) {
      ASSERT_EQ(e.errors().size(), 1u) << text << e.what();
      EXPECT_NE(std::string(e.what()).find("did you mean '" + key + "'"), std::string::npos) << e.what();
    }
  }
  EXPECT_NE(FirstError("game: {type: rps3}\nsolvers: [{name: omd}]\n")
                .find("beta: is missing, expected 0 (" + BetaZeroNames() + " only) or a number in [1e-08, 1e+06]"),
            std::string::npos);
}

// Several errors come out in the order of their places in the file, whichever check found them
// first (the map of one solver's keys is checked before its values, seeds after beta and solvers).
TEST(ConfigMessages, SeveralErrorsComeInFileOrder) {
  const std::string text =
      "game: {type: rps3}\nbeta: -1\nsolvers: [{name: omd, eta: -2, etta: 1}]\nseeds: {from: 0, too: 3}\n"
      "stop: {iterations: 0, tolerance: {gap_bta: 1}}\nlog: {every: 0, metrics: [gap_beta, nope]}\n";
  try {
    Parse(text);
    ADD_FAILURE() << "expected errors";
  } catch (const InputErrors& e) {
    std::vector<std::pair<int, int>> places;
    for (const InputError& error : e.errors()) places.emplace_back(error.where().line, error.where().col);
    const std::vector<std::pair<int, int>> expected = {{2, 7}, {3, 28}, {3, 32}, {4, 18}, {5, 20}, {5, 35}, {6, 14}, {6, 37}};
    EXPECT_EQ(places, expected);
    EXPECT_EQ(std::string(e.what()), std::string(e.errors().front().what()));
  }
}

// An empty value is located at its key (yaml-cpp marks it where the next token starts: the next line,
// or past the end of the file) and says what the value may be.
TEST(ConfigMessages, AnEmptyValueIsLocatedAtItsKeyAndSaysWhatIsAllowed) {
  EXPECT_EQ(FirstError("game: {type: rps3}\nsolvers: [{name: nash_mp}]\nbeta:\n"),
            "exp.yaml:3:1: beta: is empty, expected 0 (" + BetaZeroNames() + " only) or a number in [1e-08, 1e+06]");
  EXPECT_EQ(FirstError("game: {type: rps3}\nbeta:\nsolvers: [{name: nash_mp}]\n"),
            "exp.yaml:2:1: beta: is empty, expected 0 (" + BetaZeroNames() + " only) or a number in [1e-08, 1e+06]");
  EXPECT_EQ(FirstError(std::string(kOk) + "stop: {iterations: }\n"),
            "exp.yaml:4:8: stop.iterations: is empty, expected integer in [1, 1000000000000]");
}

// A missing input file is reported with the other keys' errors, not only once they are fixed, and
// like an empty path it is located at its key (the place to fix), naming the path it resolved to.
TEST(ConfigMessages, AMissingInputFileIsReportedWithTheOtherErrors) {
  const testing::TempDir temp;
  const std::string dir = temp.Path("");
  const std::string text =
      "game: {type: matrix, path: nope.csv}\nreference: {type: file, path: ''}\nbeta: 0.1\n"
      "solvers: [{name: omdd}]\n";
  try {
    ParseExperiment(text, "exp.yaml", {}, dir);
    ADD_FAILURE() << "expected errors";
  } catch (const InputErrors& e) {
    std::vector<std::string> keys;
    for (const InputError& error : e.errors()) keys.push_back(error.key());
    EXPECT_EQ(keys, (std::vector<std::string>{"game.path", "reference.path", "solvers[0].name"})) << e.what();
    for (const InputError& error : e.errors()) {
      const std::string what = error.what();
      if (error.key() == "game.path") {
        EXPECT_EQ(error.where().file, "exp.yaml");
        EXPECT_EQ(error.where().line, 1);
        EXPECT_EQ(error.where().col, 28);
        EXPECT_NE(what.find("exp.yaml:1:28: game.path: " + temp.Path("nope.csv") +
                            ": cannot open the file (No such file or directory)"),
                  std::string::npos)
            << what;
      }
      if (error.key() == "reference.path") {
        EXPECT_EQ(error.where().line, 2);
        EXPECT_NE(what.find("reference.path: the path is empty, expected a readable input file (CSV)"), std::string::npos) << what;
      }
    }
  }
}

// nlhf-run does not list a sweep file's keys as valid, but still guesses a misspelling of one (the
// corrected key is then refused with its reason); a sweep file lists them.
TEST(ConfigMessages, SweepKeysAreGuessedButNotListedForOneExperiment) {
  const std::string e = FirstError(std::string(kOk) + "swep: {beta: [0.1]}\n");
  EXPECT_NE(e.find("unknown key 'swep' (did you mean 'sweep'?), valid: name, game,"), std::string::npos) << e;
  EXPECT_EQ(e.find("zip"), std::string::npos) << e;
  EXPECT_NE(FirstError(std::string(kOk) + "sweep: {beta: [0.1]}\n").find("sweep: belongs to a sweep file"),
            std::string::npos);
  try {
    ParseExperiment(std::string(kOk) + "zp: []\n", "sweep.yaml", {}, "", true);
    ADD_FAILURE() << "expected an error";
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find("did you mean 'zip'?), valid: name, game,"), std::string::npos);
    EXPECT_NE(std::string(error.what()).find("sweep or zip"), std::string::npos) << error.what();
  }
}

// Whether beta = 0 is allowed comes from each solver's registry traits (SolverTraits), and the
// messages list the solvers that allow it from there too.
TEST(ConfigBeta, AllowsZeroExactlyWithTheSolversWhoseTraitsAllowIt) {
  for (const auto& entry : SolverRegistry().entries()) {
    const std::string text = "game: {type: rps3}\nbeta: 0\nsolvers: [{name: " + entry.name + "}]\n";
    const std::string e = FirstError(text);
    if (entry.traits.allows_beta_zero) {
      EXPECT_EQ(e, "") << entry.name;
    } else {
      EXPECT_EQ(e, "exp.yaml:2:7: beta: 0 is not allowed with solvers[0] = " + entry.name +
                       " (it regularizes toward mu), expected beta > 0, or only " + BetaZeroNames())
          << entry.name;
    }
  }
  // The first offending entry is named, after any number allowed at beta = 0.
  EXPECT_NE(FirstError("game: {type: rps3}\nbeta: 0\nsolvers: [{name: omwu}, {name: mwu}, {name: omd}, {name: egpo}]\n")
                .find("solvers[2] = omd"),
            std::string::npos);
  EXPECT_NE(SetError(kOk, {"beta=1e-9"}).find("expected 0 (" + BetaZeroNames() + " only) or a beta in [1e-08, 1e+06]"),
            std::string::npos);
}

TEST(ConfigEquilibrium, NoneSkipsPiStarAndRefusesWhatNeedsIt) {
  EXPECT_EQ(Parse(kOk).equilibrium, EquilibriumMode::kCertified);
  EXPECT_TRUE(Parse(kOk).SolvesEquilibrium());
  const ExperimentConfig none = Parse(std::string(kOk) + "equilibrium: none\n");
  EXPECT_EQ(none.equilibrium, EquilibriumMode::kNone);
  EXPECT_FALSE(none.SolvesEquilibrium());
  EXPECT_EQ(FirstError(std::string(kOk) + "equilibrium: exact\n"),
            "exp.yaml:4:14: equilibrium: 'exact' is not allowed, expected certified or none");
  // Located at the tolerance's value (it was the stop: map's first key), or at the --set that gave it.
  EXPECT_NE(FirstError(std::string(kOk) + "equilibrium: none\nstop:\n  iterations: 5\n  tolerance: {kl_to_star: 1.0e-9}\n")
                .find("exp.yaml:7:27: stop.tolerance.kl_to_star: needs pi*_beta, which equilibrium: none does not compute"),
            std::string::npos);
  try {
    ParseExperiment(std::string(kOk) + "equilibrium: none\n", "exp.yaml", {"stop.tolerance.kl_to_star=1e-9"}, "");
    ADD_FAILURE() << "accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("--set stop.tolerance.kl_to_star=1e-9: stop.tolerance.kl_to_star: needs", 0), 0u)
        << e.what();
  }
  EXPECT_EQ(FirstError(std::string(kOk) + "equilibrium: none\nstop: {tolerance: {gap_beta: 1.0e-9}}\n"), "");
  EXPECT_EQ(FirstError(std::string(kOk) + "equilibrium: none\nlog: {metrics: [gap_beta, span]}\n"),
            "exp.yaml:5:27: log.metrics[1]: 'span' needs pi*_beta, which equilibrium: none does not compute, "
            "expected a metric that needs no equilibrium, or equilibrium: certified");
  // Written in the resolved file either way; in the fingerprint only when none, so experiments
  // written before the key keep their run ids.
  EXPECT_NE(ResolvedYaml(Parse(kOk)).find("equilibrium: certified"), std::string::npos);
  EXPECT_EQ(Parse(ResolvedYaml(none)).equilibrium, EquilibriumMode::kNone);
  EXPECT_EQ(ExperimentFingerprint(Parse(kOk)), ExperimentFingerprint(Parse(std::string(kOk) + "equilibrium: certified\n")));
  EXPECT_NE(ExperimentFingerprint(Parse(kOk)), ExperimentFingerprint(none));
}

TEST(ConfigStop, RefusesAQueryBudgetNoSolverCanReach) {
  EXPECT_NE(FirstError(std::string(kOk) + "stop: {queries: 5}\n")
                .find("exp.yaml:4:17: stop.queries: 5 can never be reached: no solver makes preference queries (every solver uses the exact oracle)"),
            std::string::npos);
  EXPECT_EQ(Parse(std::string(kOk) + "stop: {queries: 0}\n").stop.queries, 0);
}

TEST(ConfigMessages, AreOneLineWithoutControlCharacters) {
  const std::string e = FirstError(std::string(kBase) + "solvers: [{name: \"nash\\e[2J\\nerror: fake\"}]\n");
  EXPECT_TRUE(OneLineWithoutControls(e)) << e;
  EXPECT_NE(e.find("nash\\x1b[2J\\nerror: fake"), std::string::npos) << e;
}

class ConfigInputs : public ::testing::Test {
 protected:
  std::string Experiment(const std::string& dir_name, const std::string& matrix) {
    std::filesystem::create_directories(dir_.Path(dir_name));
    std::ofstream(dir_.Path(dir_name + "/P.csv")) << matrix;
    const std::string yaml = dir_.Path(dir_name + "/exp.yaml");
    std::ofstream(yaml) << "game: {type: matrix, path: P.csv}\nbeta: 0.1\nsolvers: [{name: nash_mp}]\n";
    return yaml;
  }
  static constexpr const char* kP = "0.5,0.7,0.2\n0.3,0.5,0.6\n0.8,0.4,0.5\n";
  nlhf::testing::TempDir dir_;
};

TEST_F(ConfigInputs, HashesEveryInputFileIntoTheConfig) {
  const ExperimentConfig c = LoadExperiment(Experiment("a", kP));
  ASSERT_EQ(c.inputs.size(), 1u);
  EXPECT_EQ(c.inputs[0].key, "game.path");
  EXPECT_TRUE(std::filesystem::path(c.inputs[0].path).is_absolute());
  EXPECT_EQ(c.inputs[0].sha256, Sha256Hex(kP));
  const std::string resolved = ResolvedYaml(c);
  EXPECT_NE(resolved.find("path: " + c.inputs[0].path + ", sha256: " + Sha256Hex(kP)), std::string::npos) << resolved;
}

TEST_F(ConfigInputs, FingerprintFollowsTheContentNotThePath) {
  const ExperimentConfig a = LoadExperiment(Experiment("a", kP));
  const ExperimentConfig b = LoadExperiment(Experiment("elsewhere/b", kP));
  EXPECT_EQ(ExperimentFingerprint(a), ExperimentFingerprint(b));
  const ExperimentConfig edited = LoadExperiment(Experiment("c", "0.5,0.6,0.2\n0.4,0.5,0.6\n0.8,0.4,0.5\n"));
  EXPECT_NE(ExperimentFingerprint(a), ExperimentFingerprint(edited));
}

TEST_F(ConfigInputs, TheResolvedFileReproducesFromAnotherDirectoryAndRefusesAChangedInput) {
  const ExperimentConfig c = LoadExperiment(Experiment("a", kP));
  // Parsed with another base directory (as if run from elsewhere): the same experiment.
  const std::string resolved = dir_.File("run/config.resolved.yaml", "");
  std::filesystem::create_directories(dir_.Path("run"));
  std::ofstream(resolved) << ResolvedYaml(c);
  const ExperimentConfig again = LoadExperiment(resolved);
  EXPECT_EQ(ExperimentFingerprint(again), ExperimentFingerprint(c));
  std::ofstream(dir_.Path("a/P.csv")) << "0.5,0.6,0.2\n0.4,0.5,0.6\n0.8,0.4,0.5\n";
  nlhf::testing::ExpectInputError([&] { LoadExperiment(resolved); },
                                  {"config.resolved.yaml:", "game.sha256: " + c.inputs[0].path + " has changed",
                                   "now " + Sha256Hex("0.5,0.6,0.2\n0.4,0.5,0.6\n0.8,0.4,0.5\n"),
                                   "records " + Sha256Hex(kP)});
}

TEST_F(ConfigInputs, RefusesInputsThatAreNotRegularFiles) {
  const std::string yaml = Experiment("a", kP);
  std::filesystem::remove(dir_.Path("a/P.csv"));
  ASSERT_EQ(::mkfifo(dir_.Path("a/P.csv").c_str(), 0600), 0);
  const std::string at_key = yaml + ":1:28: game.path: " + dir_.Path("a/P.csv") + ": ";
  nlhf::testing::ExpectInputError([&] { LoadExperiment(yaml); }, {at_key + "is a named pipe (FIFO)"});
  std::filesystem::remove(dir_.Path("a/P.csv"));
  std::filesystem::create_directory(dir_.Path("a/P.csv"));
  nlhf::testing::ExpectInputError([&] { LoadExperiment(yaml); }, {at_key + "is a directory"});
  nlhf::testing::ExpectInputError([&] { LoadExperiment(dir_.Path("a/P.csv")); }, {"is a directory"});
  nlhf::testing::ExpectInputError([&] { LoadExperiment("/dev/zero"); }, {"/dev/zero: is a device"});
  ASSERT_EQ(::mkfifo(dir_.Path("exp.fifo").c_str(), 0600), 0);
  nlhf::testing::ExpectInputError([&] { LoadExperiment(dir_.Path("exp.fifo")); }, {"is a named pipe (FIFO)"});
}

TEST_F(ConfigInputs, CapsTheExperimentFileSize) {
  const std::string big = dir_.File("big.yaml", "");
  std::filesystem::resize_file(big, kMaxYamlBytes + 1);
  nlhf::testing::ExpectInputError([&] { LoadExperiment(big); }, {"is 16 MiB, more than the limit of 16 MiB"});
}

}  // namespace
}  // namespace nlhf

namespace nlhf {
namespace {

constexpr const char* kZeroOk = "game: {type: rps3}\nbeta: 0\nsolvers: [{name: mwu}]\n";

TEST(ConfigBetaZero, PiStarMetricsAreAllowedWhereTheyAreDefined) {
  EXPECT_EQ(FirstError(std::string(kZeroOk) + "stop: {tolerance: {kl_to_star: 1e-6}}\n"), "");
  EXPECT_EQ(FirstError(std::string(kZeroOk) + "log: {metrics: [gap_0, kl_to_star, kl_to_ne]}\n"), "");
  EXPECT_EQ(FirstError(std::string(kZeroOk) + "log: {metrics: [gap_0, span]}\n"),
            "exp.yaml:4:24: log.metrics[1]: 'span' is not defined at beta = 0, where pi* is the selected Nash "
            "equilibrium, which may put no mass on some actions (the metric is then infinite), expected gap_beta, "
            "exploitability, gap_0, br_winrate, kl_to_star or kl_to_ne");
  EXPECT_NE(FirstError(std::string(kZeroOk) + "stop: {tolerance: {kl_from_star: 1e-6}}\n").find("not defined at beta = 0"),
            std::string::npos);
  EXPECT_NE(FirstError(std::string(kZeroOk) + "log: {metrics: [fp_residual]}\n").find("not defined at beta = 0"),
            std::string::npos);
}

TEST(ConfigBetaZero, NeSelectionIsCheckedAndResolvedWhereItIsUsed) {
  EXPECT_EQ(FirstError(std::string(kZeroOk) + "ne_selection: maxent\n"),
            "exp.yaml:4:15: ne_selection: 'maxent' is not allowed, expected kl_projection or max_entropy");
  const ExperimentConfig c = Parse(std::string(kZeroOk) + "ne_selection: max_entropy\n");
  EXPECT_EQ(c.ne_selection, NashSelection::kMaxEntropy);
  const std::string resolved = ResolvedYaml(c);
  EXPECT_NE(resolved.find("ne_selection: max_entropy"), std::string::npos) << resolved;
  EXPECT_NE(resolved.find("metrics: [gap_beta, exploitability, gap_0, br_winrate, kl_to_star, kl_to_ne]"),
            std::string::npos)
      << resolved;
  EXPECT_EQ(Parse(resolved).ne_selection, NashSelection::kMaxEntropy);
  EXPECT_NE(ExperimentFingerprint(c), ExperimentFingerprint(Parse(kZeroOk)));
  // At beta > 0 without kl_to_ne the key is unused: it is not written, and experiments that predate it
  // keep their fingerprints.
  const ExperimentConfig unused = Parse(std::string(kOk) + "ne_selection: max_entropy\n");
  EXPECT_FALSE(unused.SolvesNash());
  EXPECT_EQ(ResolvedYaml(unused).find("ne_selection"), std::string::npos);
  EXPECT_EQ(ExperimentFingerprint(unused), ExperimentFingerprint(Parse(kOk)));
  EXPECT_EQ(ResolvedYaml(Parse(kOk)).find("kl_to_ne"), std::string::npos);
}

TEST(ConfigBetaZero, KlToNeNeedsTheEquilibrium) {
  EXPECT_NE(FirstError(std::string(kOk) + "equilibrium: none\nlog: {metrics: [kl_to_ne]}\n")
                .find("'kl_to_ne' needs the beta = 0 equilibrium, which equilibrium: none does not compute"),
            std::string::npos);
  EXPECT_TRUE(Parse(std::string(kOk) + "log: {metrics: [kl_to_ne]}\n").SolvesNash());
  EXPECT_TRUE(Parse(std::string(kOk) + "stop: {tolerance: {kl_to_ne: 1e-3}}\n").SolvesNash());
}

}  // namespace
}  // namespace nlhf
