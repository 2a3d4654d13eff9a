#pragma once
// Built games kept for reuse within one process: the points of a sweep that differ only in what
// does not change the game (beta, solvers, stop and log rules) build the same game for a seed, and
// a sweep over ten betas would otherwise generate each game ten times. Bounded in bytes, least
// recently used first out; games are immutable, so one serves several threads at once.
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>

#include "nlhf/config.h"
#include "nlhf/game.h"

namespace nlhf {

// What decides the game an experiment builds for a seed (BuildGame): the game's generator, its
// parameters and storage, the reference and its parameters, and the contents of their input
// files. Configs with equal keys build the same game for every seed, bit for bit.
std::string GameKey(const ExperimentConfig& config);
// The memory a built game holds: its operator's stored entries, mu, log mu and its spec strings.
double GameBytes(const Game& game);

// The bound of a sweep's cache (sweep.cc), which its memory estimate counts (memory_estimate.cc):
// 100 seeds of n = 100 fit, or 2 of n = 1000.
inline constexpr double kSweepGameCacheBytes = 16.0 * 1024 * 1024;

class GameCache {
 public:
  // Keeps games while their bytes (GameBytes) add up to at most `max_bytes`; a larger
  // game is not kept.
  explicit GameCache(double max_bytes) : max_bytes_(max_bytes) {}
  GameCache(const GameCache&) = delete;
  GameCache& operator=(const GameCache&) = delete;

  // The kept game of (key, seed), or nullptr. Thread-safe.
  std::shared_ptr<const Game> Find(const std::string& key, std::uint64_t seed);
  // Keeps `game` as (key, seed)'s, evicting the least recently used games beyond the bound.
  // Thread-safe; a second Put of the same (key, seed) keeps the first.
  void Put(const std::string& key, std::uint64_t seed, std::shared_ptr<const Game> game);

  double bytes() const;
  size_t size() const;

 private:
  struct Entry {
    std::string key;
    std::uint64_t seed;
    std::shared_ptr<const Game> game;
    double bytes;
  };
  using Entries = std::list<Entry>;
  // The entry of (key, seed) in by_seed_, or end().
  std::unordered_multimap<std::uint64_t, Entries::iterator>::iterator Lookup(const std::string& key,
                                                                             std::uint64_t seed);
  mutable std::mutex mutex_;
  Entries entries_;  // most recently used first
  std::unordered_multimap<std::uint64_t, Entries::iterator> by_seed_;  // one per game key kept for the seed
  double max_bytes_;
  double bytes_ = 0.0;
};

// The game of the last sweep point's first seed, for a loop over points in order (validation,
// --dry-run's step costs): neighbouring points that differ in beta or solvers have the same game,
// built once instead of once per point (a 1000 x 1000 matrix file took 0.2 s to read and check).
// Holds one game of any size: Take lets it go, so no two are held while the next is built.
class LastGame {
 public:
  // The kept game if it is config.seeds[0]'s game of GameKey(config), else null; either way the
  // kept game is released (hand it back with Keep).
  std::shared_ptr<const Game> Take(const ExperimentConfig& config);
  // Keeps `game` as config.seeds[0]'s game of GameKey(config).
  void Keep(const ExperimentConfig& config, std::shared_ptr<const Game> game);

 private:
  static std::string KeyOf(const ExperimentConfig& config);
  std::string key_;
  std::shared_ptr<const Game> game_;
};

}  // namespace nlhf
