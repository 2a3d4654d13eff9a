#pragma once
// The peak memory of an experiment, estimated from its configuration before anything is built, and
// the check that refuses what this machine cannot hold (one error line with the estimate, the limit,
// the largest n that fits and the ways out). nlhf-run and nlhf-sweep (and their dry runs) use it;
// the rule and its measured calibration are in memory_estimate.cc.
#include <Eigen/Core>
#include <optional>
#include <string>

#include "nlhf/config.h"

namespace nlhf {

// How many games a caller holds and solves at once, for the memory estimate.
struct ResourcePlan {
  int jobs = 1;  // parallel workers
  // false: RunExperiment, which keeps every seed's game until the end and certifies up to `jobs`
  // equilibria at once; true: a sweep worker (RunGroup), which holds one game at a time.
  bool one_game_per_worker = false;
  // What the machine has (AvailableMemoryBytes), read once for many configs (a sweep's points);
  // unset: EstimateMemory reads it.
  std::optional<double> available_bytes;
};

// Peak memory of an experiment, estimated before anything is built (see EstimateMemory in
// memory_estimate.cc for the rule and its calibration).
struct MemoryEstimate {
  Eigen::Index n = 0;           // actions per game (from game.n, or the matrix file's first line)
  double matrices = 0.0;        // dense n x n matrices of doubles alive at the peak (0 for an implicit
                                // or a float32 game)
  bool implicit = false;        // the game is held as an implicit operator (storage), not as P
  bool float32 = false;         // the game is held as float32 margins (storage: float32)
  double operator_bytes = 0.0;  // implicit, float32: bytes of one game's operator (float32: 4 n^2)
  double games = 0.0;           // implicit, float32: games held at once
  double vectors = 0.0;         // implicit, float32: vectors of n doubles alive at the peak (buffers,
                                // kept results)
  double building = 0.0;        // float32: games built (and their pi* solved) at once
  double build_bytes = 0.0;     // float32: the peak of building one game
  bool from_matrix = false;     // float32: built from the generator's double matrix (8 n^2 bytes at the peak)
  double equilibrium_bytes = 0.0;  // float32: one pi*'s work (EquilibriumWorkBytes, the method n picks)
  double base_bytes = 0.0;      // the program and its buffers (64 MiB; a sweep adds 2.1 MiB per worker
                                // and 16 MiB of kept games)
  double bytes = 0.0;           // estimated peak: a base and the matrices, or an implicit or float32 game's
                                // operators, builds and vectors (trace rows stream to files)
  double available_bytes = 0.0;  // MemAvailable, tightened by RLIMIT_AS / RLIMIT_DATA / cgroup limits
  std::string n_key;            // "game.n" or "game.path"
};
MemoryEstimate EstimateMemory(const ExperimentConfig& config, const ResourcePlan& plan);
// The estimate as the dry runs print it: "about 1.2 GiB at the peak (P and the equilibrium's
// work: 4 n x n matrices of doubles, n = 1000), 22.7 GiB available".
std::string MemoryText(const ExperimentConfig& config, const MemoryEstimate& estimate);
// Throws InputError at n_key when `estimate.bytes` exceeds `estimate.available_bytes`: the estimate,
// the limit, the largest n that fits, and the ways out (fewer seeds or --jobs; for a dense game
// game.storage: float32 when that fits, equilibrium: none, an implicit game).
void CheckMemory(const ExperimentConfig& config, const ResourcePlan& plan, const MemoryEstimate& estimate);
// What this machine can give now (bytes): MemAvailable and the process's limits.
double AvailableMemoryBytes();
// A size as the estimates print it: "1.2 GiB" from 1 GiB on, else "154 MiB".
std::string MemorySize(double bytes);

}  // namespace nlhf
