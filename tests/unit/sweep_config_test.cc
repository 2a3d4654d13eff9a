// Tests of lib/src/sweep_config.cc: a sweep file parsed once (--set applied to all of it, so it can
// change the sweep), expanded into points (sweep axes as a Cartesian product, the first slowest, then
// zip groups by index), each built from the base plus its values, with its errors located where the
// values are written and naming the point's values; the files a sweep reads; its resolved YAML.
#include "nlhf/sweep_config.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "nlhf/experiment.h"
#include "nlhf/input_file.h"
#include "test_util.h"

namespace nlhf {
namespace {

namespace fs = std::filesystem;

constexpr const char* kSweep =
    "game: {type: random_uniform, n: 4}\n"
    "sweep:\n"
    "  game.n: [3, 5]\n"
    "zip:\n"
    "  - {beta: [0.1, 0.2], stop.iterations: [5, 6]}\n"
    "beta: 0.1\n"
    "solvers: [{name: nash_mp}]\n";

SweepConfig Parse(const std::string& text, const std::vector<std::string>& sets = {}) {
  return ParseSweep(text, "sweep.yaml", sets, "");
}

// The error lines of a sweep that must not parse (InputErrors), joined, one per line, and their number.
std::pair<std::string, size_t> ErrorLines(const std::string& text) {
  try {
    Parse(text);
    ADD_FAILURE() << "expected InputErrors";
  } catch (const InputErrors& e) {
    std::string all;
    for (const InputError& one : e.errors()) all += std::string(one.what()) + "\n";
    return {all, e.errors().size()};
  }
  return {"", 0};
}

std::string Values(const SweepPoint& p) {
  std::string out;
  for (const auto& [k, v] : p.values) out += k + "=" + v + ";";
  return out;
}

TEST(ParseSweep, ExpandsSweepAxesThenZipGroups) {
  const SweepConfig s = Parse(kSweep);
  ASSERT_EQ(s.points.size(), 4u);
  EXPECT_EQ(Values(s.points[0]), "game.n=3;beta=0.1;stop.iterations=5;");
  EXPECT_EQ(Values(s.points[3]), "game.n=5;beta=0.2;stop.iterations=6;");
  EXPECT_EQ(s.points[3].config.beta, 0.2);
  EXPECT_EQ(s.points[3].config.stop.iterations, 6);
}

TEST(ParseSweep, SetChangesTheSweepAndTheZip) {
  const SweepConfig s = Parse(kSweep, {"sweep.game.n=[7, 8, 9]", "zip=[{beta: [0.3]}]"});
  ASSERT_EQ(s.points.size(), 3u);
  EXPECT_EQ(Values(s.points[2]), "game.n=9;beta=0.3;");
  EXPECT_EQ(Parse(kSweep, {"zip[0].beta=[0.5, 0.6]"}).points[1].config.beta, 0.6);
}

TEST(ParseSweep, SweptKeysMayCreateMissingMaps) {
  const SweepConfig s = Parse("game: {type: rps3}\nbeta: 0.1\nsolvers: [{name: nash_mp}]\n"
                              "sweep: {stop.iterations: [5, 6], log.every: [1, 2]}\n");
  ASSERT_EQ(s.points.size(), 4u);
  EXPECT_EQ(s.points[3].config.stop.iterations, 6);
  EXPECT_EQ(s.points[3].config.log.every, 2);
}

// A swept key the base leaves out is an error (the base must be valid on its own) that says so.
TEST(ParseSweep, SaysWhyASweptKeyIsNeededInTheBase) {
  nlhf::testing::ExpectInputError(
      [&] { Parse("game: {type: rps3}\nsolvers: [{name: nash_mp}]\nsweep: {beta: [0.1, 1.0]}\n"); },
      {"beta: is missing", "the base experiment must be complete on its own, so give beta a value there too"});
  // Not for a key the sweep does not set.
  try {
    Parse("game: {type: rps3}\nsolvers: [{name: nash_mp}]\nsweep: {stop.iterations: [5]}\n");
    ADD_FAILURE() << "no error";
  } catch (const InputErrors& e) {
    ASSERT_EQ(e.errors().size(), 1u);
    EXPECT_EQ(e.errors()[0].problem().find("complete on its own"), std::string::npos) << e.errors()[0].problem();
  }
}

TEST(ParseSweep, LocatesAPointsErrorAtItsValue) {
  std::string text = kSweep;
  text.replace(text.find("[3, 5]"), 6, "[3, 1]");
  nlhf::testing::ExpectInputError([&] { Parse(text); },
                                  {"sweep.yaml:3:15: at sweep point 2 (game.n=1, beta=0.1, stop.iterations=5): game.n: "
                                   "'1' is out of range"});
  nlhf::testing::ExpectInputError([&] { Parse(kSweep, {"sweep.game.n=[1]"}); },
                                  {"--set sweep.game.n=[1]: at sweep point 0 (game.n=1, "});
  // Keys after the sweep keep their own lines.
  nlhf::testing::ExpectInputError([&] { Parse(std::string(kSweep) + "stop: {iterations: 0}\n"); },
                                  {"sweep.yaml:8:20: stop.iterations: '0' is out of range"});
}

// A validated point keeps no key locations; LocatePointKey finds them again from the sweep's text:
// a swept key at the value this point takes (its zip group's too), another at its line in the base,
// and a --set at the --set.
TEST(LocatePointKey, FindsAPointsKeyWhereItIsWritten) {
  const SweepConfig s = Parse(kSweep);
  ASSERT_TRUE(s.points[3].config.locations.empty());
  EXPECT_EQ(LocatePointKey(s, 3, "game.n").ToString(), "sweep.yaml:3:15");
  EXPECT_EQ(LocatePointKey(s, 1, "game.n").ToString(), "sweep.yaml:3:12");
  EXPECT_EQ(LocatePointKey(s, 3, "stop.iterations").ToString(), "sweep.yaml:5:45");
  EXPECT_EQ(LocatePointKey(s, 3, "solvers[0].eta").ToString(), "sweep.yaml:7:11");  // its entry
  EXPECT_EQ(LocatePointKey(Parse(kSweep, {"solvers[0].eta=0.5"}), 0, "solvers[0].eta").ToString(),
            "--set solvers[0].eta=0.5");
  // A point that is not there: the file.
  EXPECT_EQ(LocatePointKey(s, 99, "game.n").ToString(), "sweep.yaml");
}

TEST(ParseSweep, RejectsDuplicateKeysAndBadPaths) {
  nlhf::testing::ExpectInputError([&] { Parse(std::string(kSweep) + "sweep: {beta: [1]}\n"); },
                                  {"sweep.yaml:8:1: sweep: is given twice (first on line 2)"});
  std::string bad = kSweep;
  bad.replace(bad.find("game.n:"), 7, "solvers[0x1].eta:");
  nlhf::testing::ExpectInputError([&] { Parse(bad); }, {"'0x1' is not an index"});
}

TEST(ParseSweep, ReportsThePointCountBeforeValidating) {
  size_t reported = 0;
  const SweepConfig s = ParseSweep(kSweep, "sweep.yaml", {}, "", [&](size_t n) { reported = n; });
  EXPECT_EQ(reported, 4u);
  std::string bad = kSweep;
  bad.replace(bad.find("[3, 5]"), 6, "[1, 1]");
  reported = 0;
  EXPECT_THROW(ParseSweep(bad, "sweep.yaml", {}, "", [&](size_t n) { reported = n; }), InputError);
  EXPECT_EQ(reported, 4u);
}

TEST(ParseSweep, SetAddsASweepOrZipTheFileDoesNotHave) {
  const std::string base = "name: m\ngame: {type: rps3}\nbeta: 0.1\nsolvers: [{name: nash_mp}]\n";
  EXPECT_EQ(Parse(base, {"sweep.beta=[0.1,0.2]"}).points.size(), 2u);
  EXPECT_EQ(Parse(base, {"zip=[{beta: [0.1, 0.2], stop.iterations: [5, 6]}]"}).points.size(), 2u);
}

TEST(ParseSweep, RefusesAKeyThatVariesInTwoPlaces) {
  const std::string base = "game: {type: random_uniform, n: 4}\nbeta: 0.1\nsolvers: [{name: nash_mp}]\n";
  testing::ExpectInputError([&] { Parse(base + "sweep: {game.n: [5, 6]}\nzip: [{game.n: [7, 8], beta: [0.1, 0.2]}]\n"); },
                            {"sweep.yaml:5:8", "game.n: is swept twice"});
  testing::ExpectInputError([&] { Parse(base + "sweep: {game: [{type: rps3}], game.n: [5]}\n"); },
                            {"game.n: overlaps the swept key game"});
}

TEST(ParseSweep, RefusesTwoPointsThatAreTheSameExperiment) {
  testing::ExpectInputError(
      [&] { Parse("game: {type: random_uniform, n: 4}\nbeta: 0.1\nsolvers: [{name: nash_mp}]\nsweep: {game.n: [5, 5]}\n"); },
      {"sweep.yaml:4:21: at sweep point 1 (game.n=5): is the same experiment as sweep point 0"});
  // Located at the value listed twice: of the axis where the two points differ, in a --set too.
  testing::ExpectInputError(
      [&] {
        Parse("game: {type: rps3}\nbeta: 0.1\nsolvers: [{name: nash_mp}]\n"
              "sweep: {beta: [0.1, 0.2], stop.iterations: [10, 20, 10]}\n");
      },
      {"sweep.yaml:4:53: at sweep point 2 (beta=0.1, stop.iterations=10): is the same experiment as sweep point 0"});
  testing::ExpectInputError(
      [&] { Parse("game: {type: rps3}\nbeta: 0.1\nsolvers: [{name: nash_mp}]\n", {"sweep.beta=[0.1, 0.1]"}); },
      {"--set sweep.beta=[0.1, 0.1]: at sweep point 1 (beta=0.1): is the same experiment as sweep point 0"});
}

// Points that differ only in their seed lists share task ids: a seed in two of them would be one
// run of two points (it made the sweep fail an internal check, exit 3).
TEST(ParseSweep, RefusesSeedListsThatOverlap) {
  const std::string base = "game: {type: rps3}\nbeta: 0.1\nsolvers: [{name: nash_mp}]\n";
  testing::ExpectInputError(
      [&] { Parse(base + "sweep: {seeds: [[0, 1], [1, 2]]}\n"); },
      {"sweep.yaml:4:25: at sweep point 1 (seeds=[1, 2]): runs seed 1, which sweep point 0 runs too",
       "expected seed lists that do not overlap"});
  testing::ExpectInputError([&] { Parse(base + "sweep: {beta: [0.1, 0.2], seeds: [[5], [5, 6]]}\n"); },
                            {"sweep.yaml:4:40: at sweep point 1 (beta=0.1, seeds=[5, 6]): runs seed 5, which sweep "
                             "point 0 runs too"});
  // Seed lists that do not overlap, and the same seeds at points that differ otherwise, are fine.
  EXPECT_EQ(Parse(base + "sweep: {seeds: [[0, 1], [2, 3]]}\n").points.size(), 2u);
  EXPECT_EQ(Parse(base + "seeds: [0, 1]\nsweep: {beta: [0.1, 0.2]}\n").points.size(), 2u);
}

TEST(ParseSweep, PointFingerprintsEqualTheExperimentsOwn) {
  const SweepConfig s = Parse(kSweep);
  const ExperimentConfig same = ParseExperiment(
      "game: {type: random_uniform, n: 5}\nbeta: 0.2\nsolvers: [{name: nash_mp}]\nstop: {iterations: 6}\n", "sweep.yaml",
      {}, "");
  EXPECT_EQ(s.points[3].fingerprint, ExperimentFingerprint(same));
  EXPECT_EQ(s.points[3].fingerprint.size(), 64u);
}

TEST(ParseSweep, TwoSweepAxesAreACartesianProductTheFirstSlowest) {
  const SweepConfig s = Parse("game: {type: random_uniform, n: 4}\nbeta: 0.1\nsolvers: [{name: nash_mp}]\n"
                              "sweep: {game.n: [3, 4, 5], beta: [0.1, 0.2]}\n");
  ASSERT_EQ(s.points.size(), 6u);
  std::vector<std::string> got;
  for (const SweepPoint& p : s.points) got.push_back(Values(p));
  EXPECT_EQ(got, (std::vector<std::string>{"game.n=3;beta=0.1;", "game.n=3;beta=0.2;", "game.n=4;beta=0.1;",
                                           "game.n=4;beta=0.2;", "game.n=5;beta=0.1;", "game.n=5;beta=0.2;"}));
  for (size_t i = 0; i < s.points.size(); ++i) EXPECT_EQ(s.points[i].index, i);
  EXPECT_EQ(s.points[5].fingerprint,
            Parse("game: {type: random_uniform, n: 5}\nbeta: 0.2\nsolvers: [{name: nash_mp}]\n").points[0].fingerprint);
  EXPECT_EQ(s.Keys(), (std::vector<std::string>{"game.n", "beta"}));
  EXPECT_EQ(s.RunCount(), 6u);  // one seed, one solver
}

TEST(ParseSweep, ZipGroupsVaryTogetherAndAreCrossedWithEachOther) {
  const SweepConfig s = Parse("game: {type: random_uniform, n: 4}\nbeta: 0.1\nsolvers: [{name: nash_mp}]\n"
                              "zip:\n  - {game.n: [3, 4], stop.iterations: [7, 8]}\n  - {beta: [0.1, 0.2, 0.3]}\n");
  ASSERT_EQ(s.points.size(), 6u);
  EXPECT_EQ(Values(s.points[0]), "game.n=3;stop.iterations=7;beta=0.1;");
  EXPECT_EQ(Values(s.points[2]), "game.n=3;stop.iterations=7;beta=0.3;");
  EXPECT_EQ(Values(s.points[3]), "game.n=4;stop.iterations=8;beta=0.1;");
  EXPECT_EQ(s.points[3].config.stop.iterations, 8);
}

// The base experiment's problems and those of its sweep and zip keys are reported together, one
// line each (the points' own problems once these are fixed).
TEST(ParseSweep, ReportsTheBasesProblemsAndTheSweepsTogether) {
  const auto [all, count] =
      ErrorLines("game: {type: random_uniform, n: 1}\nbeta: x\nsolvers: [{name: nash_mp}]\n"
                 "sweep: {stop.iterations: [], game: [{type: rps3}], game.n: [5]}\nzip: [{seeds: [[0], [1]], beta: [0.1]}]\n");
  EXPECT_EQ(count, 5u) << all;
  for (const char* part : {"game.n: '1' is out of range", "beta: 'x' is not a finite number",
                           "sweep.stop.iterations: is not a non-empty list", "game.n: overlaps the swept key game",
                           "zip[0].beta: has 1 values but seeds has 2"})
    EXPECT_NE(all.find(part), std::string::npos) << part << "\n" << all;
}

// A swept key the experiment does not have is reported with them, once and at the key, not only
// once they are fixed and then at a point; one the base has wrong too, once.
TEST(ParseSweep, ReportsAnUnknownSweptKeyWithTheBasesProblems) {
  for (const char* base : {"game: {type: random_uniform, n: 4}\n", "game: {type: random_uniform, n: 4, nn: 3}\n"}) {
    const auto [all, count] =
        ErrorLines(std::string(base) + "beta: 0.1\nsolvers: [{name: omd}]\nstopp: {iterations: 5}\n"
                                      "sweep: {game.nn: [4, 6], betaa: [0.1]}\nzip: [{seeds: [[0], [1]], beta: [0.1]}]\n");
    EXPECT_EQ(count, 4u) << all;
    for (const char* part : {"stopp: unknown key 'stopp'", "game.nn: unknown key 'nn' (did you mean 'n'?)",
                             "betaa: unknown key 'betaa' (did you mean 'beta'?)",
                             "zip[0].beta: has 1 values but seeds has 2"})
      EXPECT_NE(all.find(part), std::string::npos) << part << "\n" << all;
    EXPECT_EQ(all.find("at sweep point"), std::string::npos) << all;
  }
}

// A missing input file is reported with the points' other errors, once, whether the path is in the
// base or swept, or given by --set.
TEST(ParseSweep, AMissingInputFileIsReportedWithThePointsOtherErrors) {
  const auto keys = [](const std::string& text, const std::vector<std::string>& sets) {
    std::vector<std::string> out;
    try {
      Parse(text, sets);
      out.push_back("(no error)");
    } catch (const InputErrors& e) {
      for (const InputError& one : e.errors())
        if (one.key() == "game.path" && one.problem().find("cannot open the file") != std::string::npos)
          out.push_back("game.path");
        else
          out.push_back(one.key().substr(0, one.key().find('.')));
    }
    std::sort(out.begin(), out.end());
    return out;
  };
  const std::string tail = "beta: 0.1\nsolvers: [{name: omdd}]\nsweep: {beta: [0.1, 0.2]}\n";
  const std::vector<std::string> expected = {"game.path", "solvers[0]"};
  EXPECT_EQ(keys("game: {type: matrix, path: /nonexistent/P.csv}\n" + tail, {}), expected);
  EXPECT_EQ(keys("game: {type: rps3}\n" + tail, {"game={type: matrix, path: /nonexistent/P.csv}"}), expected);
  EXPECT_EQ(keys("game: {type: matrix, path: /nonexistent/P.csv}\nbeta: 0.1\nsolvers: [{name: omdd}]\n"
                 "sweep: {game.path: [/nonexistent/P.csv]}\n",
                 {}),
            expected);
}

// A swept key inside a base key that is itself wrong adds no second line for the same problem.
TEST(ParseSweep, ASweptKeyInsideAWrongBaseKeyIsNotReportedAgain) {
  try {
    Parse("game: 5\nbeta: 0.1\nsolvers: [{name: nash_mp}]\nsweep: {game.n: [5, 6]}\n");
    ADD_FAILURE() << "expected InputErrors";
  } catch (const InputErrors& e) {
    ASSERT_EQ(e.errors().size(), 1u) << e.what();
    EXPECT_NE(std::string(e.errors()[0].what()).find("game: is not a map"), std::string::npos) << e.what();
  }
}

TEST(ParseSweep, RefusesZipListsOfDifferentLengths) {
  testing::ExpectInputError(
      [&] {
        Parse("game: {type: random_uniform, n: 4}\nbeta: 0.1\nsolvers: [{name: nash_mp}]\n"
              "zip: [{game.n: [3, 4], beta: [0.1, 0.2, 0.3]}]\n");
      },
      {"zip[0].beta: has 3 values but game.n has 2, expected lists of equal length"});
}

TEST(ParseSweep, NamesEveryValueOfAFailingPointAndCountsTheOthersWithTheSameError) {
  // n = 1 is out of range at both beta values: one error, at its first point, naming all its values.
  testing::ExpectInputError(
      [&] {
        Parse("game: {type: random_uniform, n: 4}\nbeta: 0.1\nsolvers: [{name: nash_mp}]\n"
              "sweep: {game.n: [1, 4], beta: [0.1, 0.2]}\n");
      },
      {"at sweep point 0 (game.n=1, beta=0.1): game.n: '1' is out of range", "(the same at 1 more point)"});
}

TEST(ParseSweep, RefusesMorePointsThanTheLimitBeforeExpandingThem) {
  // 1000^3 points: refused at once, without building any.
  std::string values = "[";
  for (int i = 0; i < 1000; ++i) values += (i ? ", " : "") + std::to_string(i + 2);
  values += "]";
  testing::ExpectInputError(
      [&] {
        Parse("game: {type: random_uniform, n: 4}\nbeta: 0.1\nsolvers: [{name: nash_mp}]\nsweep: {game.n: " + values +
              ", seeds: " + values + ", stop.iterations: " + values + "}\n");
      },
      {"expands to more than 1000000 points"});
}

TEST(ParseSweep, TheSweepFingerprintNamesTheExpandedPoints) {
  EXPECT_EQ(Parse(kSweep).fingerprint, Parse(kSweep).fingerprint);
  EXPECT_NE(Parse(kSweep).fingerprint, Parse(kSweep, {"sweep.game.n=[3, 6]"}).fingerprint);
  // The same points written another way are the same sweep.
  EXPECT_EQ(Parse(kSweep).fingerprint, Parse(kSweep, {"sweep.game.n=[3, 5]"}).fingerprint);
}

TEST(SweepInputFiles, ListsTheSweepFileAndEachInputFileOnce) {
  testing::TempDir tmp;
  tmp.File("P.csv", "0.5,0.7\n0.3,0.5\n");
  const std::string sweep_file = tmp.File("s.yaml", "");
  const SweepConfig s = ParseSweep(
      "game: {type: matrix, path: P.csv}\nbeta: 0.1\nsolvers: [{name: nash_mp}]\nsweep: {beta: [0.1, 0.2]}\n",
      sweep_file, {}, tmp.Path(""));
  const std::vector<std::string> files = SweepInputFiles(s);
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(fs::path(files[0]).filename(), "P.csv");
  EXPECT_EQ(files[1], sweep_file);
}

TEST(ResolvedSweepYaml, IsTheResolvedBaseWithItsOutputThenTheSweepAndZip) {
  const SweepConfig s = Parse(kSweep);
  const std::string yaml = ResolvedSweepYaml(s, "runs/here");
  EXPECT_NE(yaml.find("output: runs/here\n"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("sweep:\n  game.n: [3, 5]\n"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("zip:\n  - {beta: [0.1, 0.2], stop.iterations: [5, 6]}\n"), std::string::npos) << yaml;
  // It parses again into the same sweep.
  EXPECT_EQ(Parse(yaml).fingerprint, s.fingerprint);
}

TEST(ResolvedSweepYaml, ReproducesTheLabelsThatSweptParametersGive) {
  // omd's default label is the entry as written, so each point labels it by its eta; written
  // resolved (every default, label: "omd") it would label every point "omd". It is written as
  // given; the labelled entry and the entry no swept key reaches stay resolved.
  const SweepConfig s = Parse(
      "name: s\ngame: {type: random_uniform, n: 4}\nbeta: 0.1\nseeds: [0]\n"
      "solvers: [{name: omd}, {name: nash_mp, label: mp}, {name: mwu}]\nstop: {iterations: 5}\n"
      "sweep:\n  solvers[0].eta: [0.1, 0.2]\n  solvers[1].eta: [0.3, 0.4]\n");
  ASSERT_EQ(s.points.size(), 4u);
  EXPECT_EQ(s.points[0].config.solvers[0].label, "omd(eta=0.1)");
  const std::string yaml = ResolvedSweepYaml(s, "out");
  EXPECT_NE(yaml.find("  - {name: omd}\n"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("  - {name: nash_mp, label: \"mp\", reference_every: 0"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("  - {name: mwu, label: \"mwu\", eta: "), std::string::npos) << yaml;
  const SweepConfig again = Parse(yaml);
  ASSERT_EQ(again.points.size(), s.points.size());
  for (size_t k = 0; k < s.points.size(); ++k) {
    for (size_t i = 0; i < 3; ++i)
      EXPECT_EQ(again.points[k].config.solvers[i].label, s.points[k].config.solvers[i].label) << k << " " << i;
    EXPECT_EQ(again.points[k].fingerprint, s.points[k].fingerprint) << k;
  }
  EXPECT_EQ(again.fingerprint, s.fingerprint);
}

TEST(ResolvedSweepYaml, KeepsALabelTheUserWroteAndASweptSolverList) {
  // A written label that a zip changes stays written (dropped, solvers[1]'s default "omd" would be
  // taken twice); a swept solver list replaces the base's entries at every point.
  for (const char* text :
       {"solvers: [{name: omd, label: tuned}, {name: omd}]\nzip:\n  - solvers[0].eta: [0.1, 0.2]\n"
        "    solvers[0].label: [small, large]\n",
        "solvers: [{name: nash_mp}, {name: omd}]\nsweep:\n  solvers: [[{name: nash_mp}, {name: omd, eta: 0.1}], "
        "[{name: mwu}, {name: omd, eta: 0.2}]]\n"}) {
    const SweepConfig s = Parse(std::string("name: s\ngame: {type: random_uniform, n: 4}\nbeta: 0.1\nseeds: [0]\n"
                                            "stop: {iterations: 5}\n") +
                                text);
    const std::string yaml = ResolvedSweepYaml(s, "out");
    const SweepConfig again = Parse(yaml);
    ASSERT_EQ(again.points.size(), s.points.size()) << yaml;
    for (size_t k = 0; k < s.points.size(); ++k) {
      ASSERT_EQ(again.points[k].config.solvers.size(), s.points[k].config.solvers.size());
      for (size_t i = 0; i < s.points[k].config.solvers.size(); ++i)
        EXPECT_EQ(again.points[k].config.solvers[i].label, s.points[k].config.solvers[i].label) << yaml;
      EXPECT_EQ(again.points[k].fingerprint, s.points[k].fingerprint) << yaml;
    }
  }
}

TEST(ResolvedSweepYaml, LeavesOutADefaultMetricSetThatTheSweptValuesChange) {
  // The default set differs at beta = 0 and under equilibrium: none: written as the base's, it would
  // be refused at those points. Left out, each point takes its own, as the sweep did.
  for (const char* text : {"game: {type: rps3}\nbeta: 0.1\nsolvers: [{name: mwu}]\nsweep: {beta: [0, 0.1]}\n",
                           "game: {type: random_uniform, n: 4}\nbeta: 0.1\nsolvers: [{name: omd}]\n"
                           "sweep: {equilibrium: [certified, none]}\n"}) {
    const SweepConfig s = Parse(std::string("name: s\nseeds: [0]\nstop: {iterations: 5}\n") + text);
    ASSERT_NE(LoggedMetrics(s.points[0].config), LoggedMetrics(s.points[1].config)) << text;
    const std::string yaml = ResolvedSweepYaml(s, "out");
    EXPECT_EQ(yaml.find("metrics:"), std::string::npos) << yaml;
    const SweepConfig again = Parse(yaml);
    ASSERT_EQ(again.points.size(), s.points.size()) << yaml;
    for (size_t k = 0; k < s.points.size(); ++k) {
      EXPECT_EQ(LoggedMetrics(again.points[k].config), LoggedMetrics(s.points[k].config)) << yaml;
      EXPECT_EQ(again.points[k].fingerprint, s.points[k].fingerprint) << yaml;
    }
    EXPECT_EQ(again.fingerprint, s.fingerprint);
  }
  // Where every point has the base's default set, or the user gave the metrics, they are written.
  for (const char* text : {"sweep: {beta: [0.1, 0.2]}\n",
                           "log: {metrics: [gap_beta]}\nsweep: {equilibrium: [certified, none]}\n"}) {
    const SweepConfig s = Parse(std::string("name: s\ngame: {type: random_uniform, n: 4}\nbeta: 0.1\nseeds: [0]\n"
                                            "solvers: [{name: omd}]\nstop: {iterations: 5}\n") +
                                text);
    const std::string yaml = ResolvedSweepYaml(s, "out");
    EXPECT_NE(yaml.find("  metrics: [gap_beta"), std::string::npos) << yaml;
    EXPECT_EQ(Parse(yaml).fingerprint, s.fingerprint) << yaml;
  }
}

TEST(ResolvedSweepYaml, WritesSweptInputPathsAbsoluteAndPairsZippedOnesWithTheirHash) {
  testing::TempDir tmp;
  tmp.File("P.csv", "0.5,0.7\n0.3,0.5\n");
  tmp.File("Q.csv", "0.5,0.6\n0.4,0.5\n");
  const SweepConfig s = ParseSweep(
      "game: {type: matrix, path: P.csv}\nbeta: 0.1\nsolvers: [{name: nash_mp}]\n"
      "zip: [{game.path: [P.csv, Q.csv], beta: [0.1, 0.2]}]\n",
      tmp.Path("s.yaml"), {}, tmp.Path(""));
  const std::string yaml = ResolvedSweepYaml(s, "out");
  const std::string p = fs::absolute(tmp.Path("P.csv")).lexically_normal().string();
  EXPECT_NE(yaml.find("game.path: [" + p), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("game.sha256: ["), std::string::npos) << yaml;
  EXPECT_EQ(ParseSweep(yaml, tmp.Path("r.yaml"), {}, "/").fingerprint, s.fingerprint);
}

// A whole `game` map swept, one of them reading a file: its path is written absolute, with its
// hash, so the resolved sweep runs from any directory and is the same sweep.
TEST(ResolvedSweepYaml, WritesTheFileOfASweptGameMapAbsoluteWithItsHash) {
  testing::TempDir tmp;
  tmp.File("P.csv", "0.5,0.7\n0.3,0.5\n");
  const SweepConfig s = ParseSweep(
      "game: {type: rps3}\nbeta: 0.1\nsolvers: [{name: nash_mp}]\n"
      "sweep: {game: [{type: rps3}, {type: matrix, path: P.csv}]}\n",
      tmp.Path("s.yaml"), {}, tmp.Path(""));
  const std::string yaml = ResolvedSweepYaml(s, "out");
  const std::string p = fs::absolute(tmp.Path("P.csv")).lexically_normal().string();
  EXPECT_NE(yaml.find("{type: matrix, path: " + p + ", sha256: " + s.points[1].config.inputs.at(0).sha256 + "}"),
            std::string::npos)
      << yaml;
  const SweepConfig again = ParseSweep(yaml, "/elsewhere/r.yaml", {}, "/");
  EXPECT_EQ(again.fingerprint, s.fingerprint);
  EXPECT_EQ(again.points[1].fingerprint, s.points[1].fingerprint);
}

// The base's input file as the sweep read it: a file changed (or removed) after the points were
// built is not read again, so the resolved config records the hash of the contents the runs used.
TEST(ResolvedSweepYaml, RecordsTheHashOfTheContentsThePointsRead) {
  testing::TempDir tmp;
  tmp.File("P.csv", "0.5,0.7\n0.3,0.5\n");
  const SweepConfig s = ParseSweep("game: {type: matrix, path: P.csv}\nbeta: 0.1\nsolvers: [{name: nash_mp}]\n"
                                   "sweep: {beta: [0.1, 0.2]}\n",
                                   tmp.Path("s.yaml"), {}, tmp.Path(""));
  const std::string read = s.points[0].config.inputs.at(0).sha256;
  tmp.File("P.csv", "0.5,0.9\n0.1,0.5\n");
  const std::string changed = ParseSweep("game: {type: matrix, path: P.csv}\nsolvers: [{name: nash_mp}]\nbeta: 0.1\n",
                                         tmp.Path("s.yaml"), {}, tmp.Path(""))
                                  .points[0]
                                  .config.inputs.at(0)
                                  .sha256;
  ASSERT_NE(read, changed);
  const std::string yaml = ResolvedSweepYaml(s, "out");
  EXPECT_NE(yaml.find("sha256: " + read), std::string::npos) << yaml;
  EXPECT_EQ(yaml.find(changed), std::string::npos) << yaml;
  fs::remove(tmp.Path("P.csv"));
  EXPECT_EQ(ResolvedSweepYaml(s, "out"), yaml);
}

// Points that differ in beta or solvers only are validated on one game: a matrix file is read for
// its hash when the sweep is parsed, and then once more to build the game, not once per point.
TEST(ParseSweep, ValidatesPointsThatShareTheirGameOnOneBuild) {
  testing::TempDir dir;
  const std::string path = dir.File("P.csv", "0.5,0.7,0.2\n0.3,0.5,0.6\n0.8,0.4,0.5\n");
  const std::string text = "game: {type: matrix, path: " + path + "}\nbeta: 0.1\nsolvers: [{name: nash_mp}]\n"
                           "sweep:\n  beta: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]\n  solvers[0].name: [nash_mp, omd]\n";
  const std::int64_t before = InputFilesHashed();
  EXPECT_EQ(Parse(text).points.size(), 12u);
  EXPECT_EQ(InputFilesHashed(), before + 2);
}

}  // namespace
}  // namespace nlhf
