#pragma once
// The units of work of a sweep: one (point, seed) game with all its solvers (its pi* is certified
// once), in a canonical order, with ids that name what they compute; and shards of that order.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "nlhf/sweep_config.h"

namespace nlhf {

// One unit of work: a point's game for one seed, with all its solvers.
struct SweepTask {
  size_t point = 0;
  size_t seed_index = 0;
  std::string id;      // stable: a hash of the point's resolved experiment (without its seed list) and the seed
  double cost = 0.0;   // estimate, for scheduling long tasks first
};
std::vector<SweepTask> SweepTasks(const SweepConfig& sweep);  // canonical order

// How messages name a task: "sweep point P (seed=S, KEY=VALUE, ...)", the point's swept values in
// column order.
std::string TaskName(const SweepPoint& point, std::uint64_t seed);

// A shard: K of N (1-based); tasks with canonical index i where i % N == K - 1.
struct Shard {
  int k = 1, n = 1;
  // Whether the task with canonical index `i` belongs to this shard.
  bool Holds(size_t i) const { return static_cast<int>(i % static_cast<size_t>(n)) == k - 1; }
};
Shard ParseShard(const std::string& text);  // "K/N"; throws InputError

// The ids of the tasks (SweepTasks' canonical order) that `shard` holds: all of them by default.
std::set<std::string> TaskIds(const std::vector<SweepTask>& tasks, const Shard& shard = {});

}  // namespace nlhf
