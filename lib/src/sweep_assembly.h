#pragma once
// Assembly of a sweep's final files from the tasks its store (or its shards' stores) hold:
// trace.csv, runs.csv, summary.csv and config.resolved.yaml, in canonical task order, so they do
// not depend on --jobs, on the order tasks finished, or on how the sweep was sharded.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "nlhf/cancel.h"
#include "nlhf/sweep_config.h"
#include "nlhf/sweep_tasks.h"
#include "sweep_task_store.h"

namespace nlhf {

// Throws an InputError naming `out` (before anything is written) unless `index` holds every one of
// `tasks` (those of `sweep`): "K of T tasks are missing: TASK (task P of T), ... and M more[; HELD],
// expected ...", naming up to three by TaskName and their place P in canonical order (--shard K/N
// runs P when (P - 1) mod N = K - 1). `held`: what a merge's directories hold, or "".
void RequireComplete(const SweepConfig& sweep, const std::vector<SweepTask>& tasks, const TaskIndex& index,
                     const std::string& out, const std::string& held = "");

// Writes trace.csv, runs.csv, summary.csv and config.resolved.yaml of `out` (created if needed),
// each atomically, from the tasks of `sweep` in `index` (every task must be there: RequireComplete).
// trace.csv is the tasks' stored rows concatenated in canonical order; returns where each task's
// rows begin in it (for TaskStore::Compact). `cancel` is polled before each task's rows are copied,
// and once more after `work_done` (called once every row is copied, before trace.csv gets its
// name): set, it throws Cancelled and trace.csv is not written (its temporary file is removed).
std::vector<std::int64_t> Assemble(const SweepConfig& sweep, const TaskIndex& index, const std::string& out,
                                   CancelFlag cancel = nullptr, const std::function<void()>& work_done = {});

// Assemble without trace.csv: runs.csv, summary.csv and config.resolved.yaml (for a sweep whose
// trace.csv was written while it ran: sweep_ordered_trace.h).
void AssembleTables(const SweepConfig& sweep, const TaskIndex& index, const std::string& out);

// Where each of `tasks` (all in `index`) begins in the trace.csv Assemble writes.
std::vector<std::int64_t> TraceOffsets(const std::vector<SweepTask>& tasks, const TaskIndex& index);

}  // namespace nlhf
