// GameCache and GameKey: which configs share a game, the byte bound and its eviction order, and a
// sweep's groups built from kept games (the same results bit for bit, input files still checked).
#include "nlhf/game_cache.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "nlhf/config.h"
#include "nlhf/experiment.h"
#include "nlhf/generators.h"
#include "nlhf/output/csv.h"
#include "nlhf/output/trace.h"
#include "test_util.h"

namespace nlhf {
namespace {

ExperimentConfig Parse(const std::string& text) { return ParseExperiment(text, "exp.yaml", {}, ""); }

constexpr const char* kSolvers = "solvers: [{name: nash_mp}, {name: omd}]\nstop: {iterations: 30}\nseeds: [3, 4]\n";

ExperimentConfig Config(const std::string& game, const std::string& reference, double beta,
                        const std::string& rest = kSolvers) {
  return Parse("name: t\ngame: " + game + "\nreference: " + reference + "\nbeta: " + std::to_string(beta) + "\n" +
               rest);
}

// Trace rows (no header) without their wall_s cells.
std::string WithoutWallTime(const std::string& rows) {
  const auto& columns = TraceColumns();
  const size_t wall = static_cast<size_t>(std::find(columns.begin(), columns.end(), "wall_s") - columns.begin());
  std::string out;
  std::vector<std::string> fields;
  size_t start = 0;
  while (start < rows.size()) {
    const size_t end = rows.find('\n', start);
    EXPECT_TRUE(SplitCsvLine(std::string_view(rows).substr(start, end - start), fields));
    EXPECT_EQ(fields.size(), columns.size());
    for (size_t k = 0; k < fields.size(); ++k)
      if (k != wall) out += fields[k] + ",";
    out += "\n";
    start = end + 1;
  }
  return out;
}

std::shared_ptr<const Game> Built(const std::string& spec, std::uint64_t seed = 0) {
  return std::make_shared<const Game>(MakeGame(spec, "uniform", seed));
}

TEST(GameKey, IsTheSameForWhatDoesNotChangeTheGameOnly) {
  const std::string game = "{type: random_uniform, n: 10}", reference = "{type: softmax_normal}";
  const std::string key = GameKey(Config(game, reference, 0.1));
  EXPECT_EQ(GameKey(Config(game, reference, 0.5)), key);
  EXPECT_EQ(GameKey(Config(game, reference, 0.1, "solvers: [{name: mwu}]\nstop: {iterations: 7}\nseeds: [9]\n")), key);
  EXPECT_NE(GameKey(Config("{type: random_uniform, n: 11}", reference, 0.1)), key);
  EXPECT_NE(GameKey(Config("{type: random_skew, n: 10}", reference, 0.1)), key);
  EXPECT_NE(GameKey(Config("{type: random_uniform, n: 10, storage: float32}", reference, 0.1)), key);
  EXPECT_NE(GameKey(Config(game, "{type: softmax_normal, scale: 2}", 0.1)), key);
  EXPECT_NE(GameKey(Config(game, "{type: uniform}", 0.1)), key);
}

TEST(GameKey, NamesTheContentsOfInputFiles) {
  testing::TempDir dir;
  const std::string path = dir.File("P.csv", "0.5,0.7\n0.3,0.5\n");
  const std::string game = "{type: matrix, path: " + path + "}";
  const std::string key = GameKey(Config(game, "{type: uniform}", 0.1));
  dir.File("P.csv", "0.5,0.6\n0.4,0.5\n");
  EXPECT_NE(GameKey(Config(game, "{type: uniform}", 0.1)), key);
}

TEST(GameCache, FindsWhatWasPutUnderItsKeyAndSeed) {
  GameCache cache(1e6);
  const auto a = Built("random_uniform(n=5)", 1);
  EXPECT_EQ(cache.Find("k", 1), nullptr);
  cache.Put("k", 1, a);
  EXPECT_EQ(cache.Find("k", 1), a);
  EXPECT_EQ(cache.Find("k", 2), nullptr);
  EXPECT_EQ(cache.Find("other", 1), nullptr);
  cache.Put("k", 1, Built("random_uniform(n=5)", 1));  // the first is kept
  EXPECT_EQ(cache.Find("k", 1), a);
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_DOUBLE_EQ(cache.bytes(), GameBytes(*a));
}

TEST(GameCache, KeepsItsBytesBoundedDroppingTheLeastRecentlyUsed) {
  const auto a = Built("random_uniform(n=20)", 1), b = Built("random_uniform(n=20)", 2),
             c = Built("random_uniform(n=20)", 3);
  const double one = GameBytes(*a);
  EXPECT_GT(one, 20.0 * 20.0 * 8.0);  // the matrix at least
  GameCache cache(2.5 * one);
  cache.Put("k", 1, a);
  cache.Put("k", 2, b);
  EXPECT_EQ(cache.Find("k", 1), a);  // a is now more recent than b
  cache.Put("k", 3, c);              // b goes
  EXPECT_EQ(cache.Find("k", 2), nullptr);
  EXPECT_EQ(cache.Find("k", 1), a);
  EXPECT_EQ(cache.Find("k", 3), c);
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_LE(cache.bytes(), 2.5 * one);
  // A game larger than the bound is not kept, and evicts nothing.
  GameCache small(0.5 * one);
  small.Put("k", 1, a);
  EXPECT_EQ(small.size(), 0u);
  EXPECT_EQ(small.bytes(), 0.0);
}

// RunGroup with a cache: points with the same game (two betas) share one key and one kept game
// (that RunGroup runs the kept game: RunGroupRunsTheKeptGame), and every run's result and trace row
// is what a group built alone gives.
TEST(GameCache, GroupsFromAKeptGameEqualGroupsBuiltAlone) {
  const std::string game = "{type: random_uniform, n: 8}", reference = "{type: softmax_normal}";
  GameCache cache(kSweepGameCacheBytes);
  testing::TempDir dir;
  auto rows = [&](const ExperimentConfig& c, GameCache* games) {
    const std::string path = dir.File("trace.csv", "");
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (f == nullptr) throw std::runtime_error("cannot open " + path);
    const GroupResult g = RunGroup(c, 1, "", f, "trace.csv", nullptr, games, GameKey(c));
    std::fclose(f);
    return std::make_pair(g, testing::ReadFile(path));
  };
  for (const double beta : {0.1, 0.3}) {
    SCOPED_TRACE(beta);
    const ExperimentConfig c = Config(game, reference, beta);
    const auto [cached, cached_rows] = rows(c, &cache);
    EXPECT_EQ(cache.size(), 1u);  // one key for both betas
    const auto [alone, alone_rows] = rows(c, nullptr);
    ASSERT_EQ(cached.runs.size(), alone.runs.size());
    EXPECT_EQ(cached.game.game_spec, alone.game.game_spec);
    EXPECT_EQ(cached.game.equilibrium->log_pi, alone.game.equilibrium->log_pi);
    for (size_t k = 0; k < alone.runs.size(); ++k) {
      EXPECT_EQ(cached.runs[k].summary.final_logits, alone.runs[k].summary.final_logits);
      EXPECT_EQ(cached.runs[k].run_id, alone.runs[k].run_id);
    }
    // The rows but their wall_s cells.
    EXPECT_FALSE(alone_rows.empty());
    EXPECT_EQ(WithoutWallTime(cached_rows), WithoutWallTime(alone_rows));
  }
}

// RunGroup takes the kept game as it is: one planted under the key (another game) is the one run.
TEST(GameCache, RunGroupRunsTheKeptGame) {
  const ExperimentConfig c = Config("{type: random_uniform, n: 8}", "{type: uniform}", 0.1);
  GameCache cache(kSweepGameCacheBytes);
  const auto planted = Built("random_skew(n=8)", 5);
  cache.Put(GameKey(c), c.seeds[0], planted);
  const GroupResult g = RunGroup(c, 0, "", nullptr, "", nullptr, &cache, GameKey(c));
  EXPECT_EQ(g.game.game_spec, planted->game_spec());
  // Without a key, RunGroup computes it.
  EXPECT_EQ(RunGroup(c, 0, "", nullptr, "", nullptr, &cache).game.game_spec, planted->game_spec());
  EXPECT_NE(RunGroup(c, 0).game.game_spec, planted->game_spec());
}

// A kept game read from a file is used only while the file is unchanged, as a built one is.
TEST(GameCache, AKeptGameStillChecksItsInputFile) {
  testing::TempDir dir;
  const std::string path = dir.File("P.csv", "0.5,0.7,0.2\n0.3,0.5,0.6\n0.8,0.4,0.5\n");
  const ExperimentConfig c = Config("{type: matrix, path: " + path + "}", "{type: uniform}", 0.1);
  GameCache cache(kSweepGameCacheBytes);
  EXPECT_NO_THROW(RunGroup(c, 0, "", nullptr, "", nullptr, &cache, GameKey(c)));
  ASSERT_EQ(cache.size(), 1u);
  dir.File("P.csv", "0.5,0.6,0.2\n0.4,0.5,0.6\n0.8,0.4,0.5\n");  // edited mid-sweep
  testing::ExpectInputError([&] { RunGroup(c, 0, "", nullptr, "", nullptr, &cache, GameKey(c)); },
                            {"game.path", "changed while nlhf was running"});
}

// LastGame gives back the game it keeps only for the same game and first seed, and lets go of it
// either way (one game held at a time).
TEST(LastGame, GivesItsGameBackForTheSameGameAndFirstSeedOnly) {
  const ExperimentConfig c = Config("{type: random_uniform, n: 8}", "{type: uniform}", 0.1);
  LastGame last;
  EXPECT_EQ(last.Take(c), nullptr);
  const auto game = Built("random_uniform(n=8)", c.seeds[0]);
  last.Keep(c, game);
  EXPECT_EQ(last.Take(Config("{type: random_uniform, n: 8}", "{type: uniform}", 0.5)), game);  // another beta
  EXPECT_EQ(last.Take(c), nullptr) << "Take lets the game go";
  last.Keep(c, game);
  EXPECT_EQ(game.use_count(), 2);
  EXPECT_EQ(last.Take(Config("{type: random_uniform, n: 9}", "{type: uniform}", 0.1)), nullptr);  // another game
  EXPECT_EQ(game.use_count(), 1) << "a game that is not given back is let go";
  last.Keep(c, game);
  ExperimentConfig other_seed = c;
  other_seed.seeds = {c.seeds[0] + 1};
  EXPECT_EQ(last.Take(other_seed), nullptr);
  last.Keep(c, game);
  EXPECT_EQ(last.Take(Config("{type: random_uniform, n: 8}", "{type: softmax_normal}", 0.1)), nullptr);  // another reference
}

}  // namespace
}  // namespace nlhf
