#pragma once
// A sweep's trace.csv written while its tasks run, so that the rows are not copied at the end.
//
// The store gets one growing data file (TaskStore::BeginGrowing) that begins with trace.csv's
// header. The task whose turn it is in canonical order writes its rows straight into it. A task
// that runs before its turn keeps its rows in memory, within a budget shared by all tasks, and
// they are appended once the tasks before it are in. The file's tasks are committed to the store
// like any batch's. Waiting tasks are not durable, so they wait no longer than a batch's tasks wait
// for their commit (checked as tasks finish; then they go into a batch, and the trace stops taking
// tasks). When every task of the sweep went in this way, the file holds exactly the bytes Assemble
// would copy, and it becomes DIR/trace.csv under a second name (a hard link).
//
// Otherwise the trace stops taking tasks, and the tasks stay in the store for Assemble to copy, as
// before. That happens when a task's rows exceed the budget (they spill into the worker's batch),
// when a task fails, or on an error.
//
// Only for a sweep that runs all of its tasks in this process: not a resumed, extended or sharded
// one.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "sweep_task_store.h"

namespace nlhf {

class OrderedTrace {
 public:
  // The memory that tasks waiting for their turn may hold, all together. With kSpareBytes it stays
  // within the base of the memory estimate (memory_estimate.cc: 64 MB for code, stacks, buffers).
  static constexpr std::int64_t kBudgetBytes = std::int64_t{32} << 20;

  // `ids`: every task of the sweep, in canonical order. The trace's tasks are committed every
  // `flush_tasks` tasks or `flush_seconds` seconds, as the workers' batches are. Creates the data
  // file (WriteFailure if it cannot).
  OrderedTrace(TaskStore& store, std::vector<std::string> ids, size_t flush_tasks,
               double flush_seconds, std::int64_t budget_bytes = kBudgetBytes);
  ~OrderedTrace();
  OrderedTrace(const OrderedTrace&) = delete;
  OrderedTrace& operator=(const OrderedTrace&) = delete;

  // Where one running task's rows go: file(), an unbuffered stream for RunGroup. Into the trace
  // once it is the task's turn (the rows held so far first), into memory before, into the worker's
  // batch beyond the budget.
  class Rows {
   public:
    ~Rows();
    Rows(const Rows&) = delete;
    Rows& operator=(const Rows&) = delete;
    std::FILE* file() const { return file_; }

   private:
    friend class OrderedTrace;
    enum class Mode { kWaiting, kDirect, kSpilled };
    Rows(OrderedTrace& owner, size_t index, TaskBatch& batch);
    // The stream's write: returns n, or -1 with errno set (never throws).
    long Write(const char* data, size_t n);
    long WriteOrThrow(const char* data, size_t n);
    // Writes the rows held so far to `to` and gives their memory back; false (errno set) if the
    // write failed.
    bool PutHeld(std::FILE* to);
    OrderedTrace& owner_;
    size_t index_;
    TaskBatch& batch_;
    std::FILE* file_ = nullptr;
    Mode mode_ = Mode::kWaiting;
    std::vector<std::string> chunks_;  // kWaiting: the rows so far
    std::int64_t held_ = 0;            // the memory they hold (counted in the budget)
    std::int64_t start_ = 0;  // kDirect: where the rows begin in the trace; kSpilled: in the batch
  };

  // Task `index` (its canonical index) starts, run by the worker holding `batch`.
  std::unique_ptr<Rows> Start(size_t index, TaskBatch& batch);
  // It finished with `records`: into the trace now, or when its turn comes (it waits in memory),
  // or, if its rows spilled or the trace takes no more tasks, into the worker's batch. A failed
  // write throws WriteFailure, as a batch's does.
  void Finish(std::unique_ptr<Rows> rows, std::vector<RunRecord> records);
  // It failed: its rows are dropped, and the trace takes no more tasks.
  void Fail(std::unique_ptr<Rows> rows) noexcept;
  // Once no task runs: commits the trace's tasks for good, and the waiting ones (whose turn never
  // came) into a batch of their own. Then nothing may start. A second call does nothing.
  void Close();
  // Whether the trace holds every task of the sweep, in order (after Close).
  bool Complete() const;
  // Whether the store is compacted already (TaskStore::CommitFinal wrote the trace's index in its
  // final form, and the store holds no other part): once published, Compact has nothing to do.
  bool Compacted() const;
  // Then the store's index, as CommitFinal wrote it (no need to read it back): null otherwise, or
  // once taken.
  std::unique_ptr<TaskIndex> TakeIndex();
  // Where each task's rows begin in the trace (-1 for a task not in it).
  const std::vector<std::int64_t>& offsets() const { return offsets_; }
  // Makes the trace DIR/trace.csv (a hard link renamed into place, then the folder synced), when
  // Complete(); returns where each task's rows begin in it. nullopt (nothing done) where the
  // filesystem has no hard links: then Assemble copies it.
  std::optional<std::vector<std::int64_t>> Publish(const std::string& dir) const;

 private:
  static constexpr size_t kNobody = static_cast<size_t>(-1);
  // A finished task waiting for its turn.
  struct Waiting {
    std::vector<std::string> chunks;
    std::int64_t bytes = 0;  // the memory the chunks hold
    std::vector<RunRecord> records;
    double since = 0.0;  // when it finished
  };
  // Takes the right to write the trace for task `index` if it is its turn and nobody writes.
  bool TakeTurn(size_t index);
  // Writes a task's rows (then given back as spares) into `batch` and finishes the task there;
  // returns where they begin. A failed write throws WriteFailure.
  std::int64_t StoreRows(TaskBatch& batch, size_t index, std::vector<std::string>& chunks,
                         std::vector<RunRecord> records);
  // StoreRows into the trace (the caller has the turn), recording the task's offset.
  void Append(size_t index, std::vector<std::string>& chunks, std::vector<RunRecord> records);
  // Held rows are kept in chunks (one per write), reused: fresh memory for each would cost a page
  // fault per 4 KB (a tenth of the EGPO sweep's time). Chunk copies rows into a spare one (or a new
  // one); Recycle keeps written chunks as spares, up to kSpareBytes, and empties `chunks`.
  static constexpr std::int64_t kSpareBytes = std::int64_t{8} << 20;
  std::string Chunk(const char* data, size_t n);
  void Recycle(std::vector<std::string>& chunks);
  // After task `index` went in (the caller has the turn): the waiting tasks that follow go in too,
  // the trace is committed when due, and the turn is given up.
  void Advance(size_t index);
  // After a failure of the task that has the turn: stops taking tasks and gives the turn up.
  void GiveUpTurn();
  // Waiting tasks are not durable: once as many wait as a batch holds, or one has waited as long as
  // a batch waits for its commit, the trace stops taking tasks and they are stored in a batch of
  // their own (so a kill loses no more than without an ordered trace).
  void StoreWaitingIfDue();
  // Stores the waiting tasks in a batch of their own.
  void StoreWaiting(std::map<size_t, Waiting> waiting);
  // Whether every task went in, in turn (the trace takes no more once broken).
  bool AllIn() const;

  TaskStore& store_;
  std::vector<std::string> ids_;
  size_t flush_tasks_;
  double flush_seconds_;
  std::int64_t budget_;
  std::unique_ptr<TaskBatch> trace_;   // the growing data file
  std::unique_ptr<TaskIndex> index_;   // its index as CommitFinal wrote it (if it did)
  std::vector<std::int64_t> offsets_;  // where each task's rows begin in it
  std::atomic<std::int64_t> held_{0};  // bytes in memory (running and waiting tasks)
  std::atomic<size_t> head_{0};        // the task whose turn it is
  std::atomic<bool> broken_{false};    // no more tasks are taken
  std::mutex mutex_;                   // guards writer_, waiting_ and the turn's hand-over
  size_t writer_ = kNobody;            // the task writing the trace (or appending others)
  std::map<size_t, Waiting> waiting_;
  bool closed_ = false;
  std::mutex spare_mutex_;
  std::vector<std::string> spare_;
  std::int64_t spare_bytes_ = 0;
};

}  // namespace nlhf
