#pragma once
// Cooperative cancellation of long work. The caller owns an atomic flag and sets it (from a signal
// handler: a lock-free atomic store is safe there; or from another thread), and passes it as the
// `cancel` of RunOptions, ExperimentOptions, SweepOptions, EquilibriumOptions or NashSetOptions;
// the drivers poll it and throw Cancelled: RunSolver at each of its clock reads (after 16 steps at
// most), RunExperiment and RunSweep before each game, run or task, the certification of pi* at each
// Newton iteration and Lanczos product, the beta = 0 LPs at each simplex iteration (each options
// struct says where). Work that ends by Cancelled leaves what an exception leaves: an experiment
// writes nothing; a sweep stores the tasks that finished, then throws.
#include <atomic>
#include <stdexcept>
#include <string>

namespace nlhf {

// Null: the work cannot be cancelled.
using CancelFlag = const std::atomic<bool>*;

// The work stopped because its CancelFlag was set; what() says what was kept (RunSweep: how many
// tasks are stored), or "cancelled".
class Cancelled : public std::runtime_error {
 public:
  explicit Cancelled(const std::string& what = "cancelled") : std::runtime_error(what) {}
};

inline void ThrowIfCancelled(CancelFlag cancel) {
  if (cancel != nullptr && cancel->load(std::memory_order_relaxed)) throw Cancelled();
}

}  // namespace nlhf
