// Tests of lib/src/sweep.cc's ParseSweep: the sweep file parsed once, --set applied to all of it,
// each point built from the base plus its values with its errors located where they are written.
#include "nlhf/sweep.h"

#include <gtest/gtest.h>

#include <string>

#include "test_util.h"

namespace nlhf {
namespace {

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

TEST(ParseSweep, PointFingerprintsEqualTheExperimentsOwn) {
  const SweepConfig s = Parse(kSweep);
  const ExperimentConfig same = ParseExperiment(
      "game: {type: random_uniform, n: 5}\nbeta: 0.2\nsolvers: [{name: nash_mp}]\nstop: {iterations: 6}\n", "sweep.yaml",
      {}, "");
  EXPECT_EQ(s.points[3].fingerprint, ExperimentFingerprint(same));
  EXPECT_EQ(s.points[3].fingerprint.size(), 64u);
}

}  // namespace
}  // namespace nlhf
