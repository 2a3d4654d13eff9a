// Tests of lib/src/sweep_tasks.cc: a sweep's tasks (one per point and seed, in canonical order),
// their ids (stable, and kept when seeds or points are added), how messages name them, and shards.
#include "nlhf/sweep_tasks.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "test_util.h"

namespace nlhf {
namespace {

SweepConfig Sweep(const std::string& seeds, const std::string& ns = "[4, 5]") {
  return ParseSweep("name: s\ngame: {type: random_uniform, n: 4}\nbeta: 0.1\nseeds: " + seeds +
                        "\nsolvers: [{name: nash_mp}, {name: mwu}]\nstop: {iterations: 20}\nsweep:\n  game.n: " + ns +
                        "\n",
                    "s.yaml", {}, "");
}

std::vector<std::string> Ids(const std::vector<SweepTask>& tasks) {
  std::vector<std::string> ids;
  for (const SweepTask& t : tasks) ids.push_back(t.id);
  return ids;
}

TEST(SweepTasks, OneTaskPerPointAndSeedPointMajor) {
  const std::vector<SweepTask> tasks = SweepTasks(Sweep("[7, 8, 9]"));
  ASSERT_EQ(tasks.size(), 6u);
  for (size_t i = 0; i < tasks.size(); ++i) {
    EXPECT_EQ(tasks[i].point, i / 3) << i;
    EXPECT_EQ(tasks[i].seed_index, i % 3) << i;
  }
  const std::vector<std::string> ids = Ids(tasks);
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), ids.size()) << "ids are distinct";
  // Larger games cost more (scheduled first).
  EXPECT_GT(tasks[3].cost, tasks[0].cost);
}

TEST(SweepTasks, IdsAreStableAcrossExpansions) {
  EXPECT_EQ(Ids(SweepTasks(Sweep("[7, 8]"))), Ids(SweepTasks(Sweep("[7, 8]"))));
  EXPECT_NE(Ids(SweepTasks(Sweep("[7, 8]"))), Ids(SweepTasks(Sweep("[8, 9]"))));
}

TEST(SweepTasks, AddingSeedsOrPointsKeepsTheIdsOfTheTasksDone) {
  const std::vector<std::string> before = Ids(SweepTasks(Sweep("[7]", "[4]")));
  const std::vector<std::string> after = Ids(SweepTasks(Sweep("[7, 8, 9]", "[4, 5]")));
  ASSERT_EQ(before.size(), 1u);
  EXPECT_EQ(after.front(), before.front());
  // A seed's task does not depend on the other seeds listed with it.
  EXPECT_EQ(Ids(SweepTasks(Sweep("[8]", "[5]"))).front(), after[4]);
}

TEST(TaskName, NamesThePointItsSeedAndItsSweptValues) {
  const SweepConfig s = Sweep("[7, 8]");
  EXPECT_EQ(TaskName(s.points[1], 8), "sweep point 1 (seed=8, game.n=5)");
  const SweepConfig single =
      ParseSweep("game: {type: rps3}\nbeta: 0.1\nsolvers: [{name: nash_mp}]\n", "s.yaml", {}, "");
  EXPECT_EQ(TaskName(single.points[0], 3), "sweep point 0 (seed=3)");
}

TEST(Shard, EveryTaskBelongsToExactlyOneShard) {
  for (int n : {1, 2, 3, 7}) {
    for (size_t i = 0; i < 20; ++i) {
      int holders = 0;
      for (int k = 1; k <= n; ++k) holders += Shard{k, n}.Holds(i) ? 1 : 0;
      EXPECT_EQ(holders, 1) << i << " of " << n;
    }
  }
  EXPECT_TRUE((Shard{2, 3}.Holds(1)));
  EXPECT_TRUE((Shard{2, 3}.Holds(4)));
  EXPECT_FALSE((Shard{2, 3}.Holds(2)));
}

TEST(ParseShard, ReadsKOfN) {
  const Shard s = ParseShard("2/8");
  EXPECT_EQ(s.k, 2);
  EXPECT_EQ(s.n, 8);
}

TEST(ParseShard, RefusesWhatIsNotKOfNInRange) {
  for (const char* text : {"", "2", "2/", "/8", "2/8x", "a/b", "2 /8", " 1/3", "1/3 ", "+1/3", "1/ 3"})
    testing::ExpectInputError([&] { ParseShard(text); }, {"--shard", "is not K/N"});
  for (const char* text : {"0/8", "9/8", "1/0", "-1/2"})
    testing::ExpectInputError([&] { ParseShard(text); }, {"--shard", "is out of range, expected 1 <= K <= N"});
}

}  // namespace
}  // namespace nlhf
