#pragma once
// The task store of a sweep directory: the finished tasks of a sweep (each task's run records and
// trace rows), kept durably in DIR/.parts with the manifest of the sweep they belong to, so that
// an interrupted or extended sweep runs only what is missing and shards can be merged.
//
// Everything about how tasks are laid out on disk (the part files) lives in sweep_task_store.cc
// behind this API; the rest of the sweep sees tasks by id.
#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nlhf/build.h"
#include "nlhf/output/block_file.h"
#include "nlhf/output/files.h"
#include "nlhf/output/writeback_pacer.h"
#include "nlhf/run.h"
#include "nlhf/run_directory.h"
#include "nlhf/sweep_config.h"

namespace nlhf {

// One run of a finished task: what runs.csv reports of it.
struct RunRecord {
  std::string run_id;
  size_t solver_index = 0;
  std::string solver, params, status;
  std::uint64_t seed = 0;
  double wall_s = 0.0;
  std::int64_t iterations = 0, oracle_calls = 0, queries = 0;
  MetricValues final;
  // NaN where absent (an empty cell): rho and the limit need a certified pi*, the target gap a
  // certified target; the average iterate only for solvers that keep one (mwu, omwu).
  double rho = std::nan(""), stability_limit = std::nan(""), target_gap_beta = std::nan("");
  MetricValues average = NanMetrics();

  static MetricValues NanMetrics() {
    MetricValues v;
    v.fill(std::nan(""));
    return v;
  }
};

// A record's numbers from wall_s on, as runs.csv has them: wall_s, iterations, oracle_calls,
// queries, the final metrics, rho, stability_limit, target_gap_beta, the average-iterate metrics.
void AppendRecordNumbers(std::string& out, const RunRecord& record);
// The text a record line usually takes (~600 chars with short params; AppendRecordNumbers takes
// 1225 more while it writes): what the writers of part files and runs.csv reserve per record.
inline constexpr size_t kRecordLineBytes = 640;

// A finished task, ready to be stored: its runs (in solver order) and their trace rows.
struct FinishedTask {
  std::string id;
  std::vector<RunRecord> records;
  std::string trace;  // trace.csv rows, without the header
};

// An input file of a sweep as its manifest records it: the absolute path and "sha256:HEX" of the
// contents when the sweep was loaded (ExperimentConfig::inputs).
struct RecordedInput {
  std::string path, hash;
  bool operator==(const RecordedInput&) const = default;
};

// Every input file of every point of `sweep`, once each, sorted by path.
std::vector<RecordedInput> RecordedInputs(const SweepConfig& sweep);

// The first input file that `then` and `now` both list with different contents: (then, now).
std::optional<std::pair<RecordedInput, RecordedInput>> ChangedInput(const std::vector<RecordedInput>& then,
                                                                    const std::vector<RecordedInput>& now);

// The input files `now` reads whose contents `then` recorded under another path, one that `now`
// does not read (a moved or copied file): (then, now) for each. Results computed from them are
// reused, but their trace rows name the path `then` had (the game column: matrix(path=...)).
std::vector<std::pair<RecordedInput, RecordedInput>> MovedInputs(const std::vector<RecordedInput>& then,
                                                                 const std::vector<RecordedInput>& now);

// Refuses (InputError naming the file, its two hashes, `dir` and `advice`) to reuse results computed
// from an input file that has changed since: a recorded file that the current sweep reads with other
// contents.
void RefuseChangedInputs(const std::vector<RecordedInput>& recorded, const std::vector<RecordedInput>& current,
                         const std::string& dir, const std::string& advice);
// The advice of a sweep (a run, a dry run, a SLURM script) into a directory whose results came from
// an input file that has changed since.
inline constexpr const char* kChangedInputAdvice =
    "restore it, or write to another --out (or start over with nlhf-sweep --force)";

// The sweep whose tasks a store holds (its text, so --merge can expand it again) and the input files
// it read.
struct SweepManifest {
  std::string fingerprint, source, base_dir, text;
  std::vector<std::string> sets;
  std::vector<RecordedInput> inputs;
};

class TaskIndex;

// One worker's tasks while they run. Their trace rows go into a data file of the store as they are
// produced, in 1 MiB blocks (BlockFile: each task one byte range, memory bounded whatever the
// rows); TaskStore::Commit then writes what is held and makes the finished tasks durable and
// visible to Index(). Not thread-safe: one worker holds a batch at a time.
class TaskBatch {
 public:
  ~TaskBatch();
  TaskBatch(const TaskBatch&) = delete;
  TaskBatch& operator=(const TaskBatch&) = delete;

  // Where the next task writes its rows (RunGroup's `trace`), and its name for errors.
  std::FILE* trace() const { return file_ ? file_->stream() : nullptr; }  // nullptr once closed
  const std::string& shown() const { return shown_; }
  // Bytes written to trace() so far: a task's rows start here.
  std::int64_t Position() const;
  // A task whose rows are bytes [offset, Position()) of trace() has finished. (A task that failed
  // leaves its rows unreferenced.)
  void Finish(std::string id, std::vector<RunRecord> records, std::int64_t offset);
  size_t size() const { return tasks_.size(); }
  double age_s() const;  // since the batch began (a growing batch: since its last commit)

  // A finished task: its records, and where its rows are in the data file. A task read from a part
  // file also keeps its record lines as they were written (`lines`, each ending in a newline); a
  // task with lines and no records is written back with those lines (TaskStore::Compact: the same
  // text, not formatted again). `build`: the build of nlhf that computed it (ThisBuild() for a task
  // finished now).
  struct Task {
    std::string id;
    std::vector<RunRecord> records;
    std::int64_t offset = 0, bytes = 0;
    std::string_view lines;  // (into the part's text, which whoever read it keeps: TaskIndex)
    Build build;
  };

 private:
  friend class TaskStore;
  TaskBatch() = default;
  // Hands the rows held in memory to the kernel (TaskStore's commits do). Returns 0, or the errno
  // of a failed write: then the tasks whose rows it cut off are forgotten (they run again).
  int Drain();
  std::filesystem::path temp_;  // the data file while written (committed under another name)
  std::unique_ptr<BlockFile> file_;  // written in blocks; Commit drains it
  std::string shown_;
  std::vector<Task> tasks_;
  double started_ = 0.0;
  WritebackPacer pacer_;  // syncs file_ in the background every few MB drained (writeback_pacer.h)
  // A growing batch (TaskStore::BeginGrowing) keeps its data file across commits: its committed
  // name once it has one, and the number of part files written for it.
  bool growing_ = false;
  std::filesystem::path data_;
  int commits_ = 0;
  std::filesystem::path final_part_;  // the index TaskStore::CommitFinal wrote, if it did
};

// The tasks held by one or more stores, by id (the first copy of each).
class TaskIndex {
 public:
  bool Has(const std::string& id) const { return tasks_.count(id) > 0; }
  size_t size() const { return tasks_.size(); }
  std::vector<std::string> Ids() const;  // sorted
  // How many of the tasks it holds are not among `ids` (an earlier sweep's, or another shard's).
  std::int64_t CountOutside(const std::set<std::string>& ids) const;
  // The records of a task the index holds (InternalError otherwise).
  const std::vector<RunRecord>& Records(const std::string& id) const;
  // The text of each of a task's records from wall_s on, as AppendRecordNumbers wrote it in its part
  // file (runs.csv's numbers, copied rather than formatted again), from an Index(true); empty if the
  // index did not keep the task's lines.
  std::vector<std::string_view> RecordNumbers(const std::string& id) const;
  // Appends the trace rows of a task the index holds to `to` (a failed write throws std::system_error).
  void CopyTrace(const std::string& id, std::FILE* to) const;
  std::int64_t TraceBytes(const std::string& id) const;
  // Whether `file` already is `header` followed by the tasks `ids` at `offsets` (where each
  // begins, as TraceOffsets gives them), ending with the last: every task is held, by the store's
  // index into a finished sweep's trace.csv (TaskStore::Compact, whose data file's size and time
  // are checked when it is read), in that very file (the same inode) at its offset, the file
  // begins with `header` and is no longer. False if `file` does not exist.
  bool LaidOutIn(const std::filesystem::path& file, std::string_view header,
                 const std::vector<std::string>& ids,
                 const std::vector<std::int64_t>& offsets) const;
  // The data file holding the trace rows of a task the index holds (a store's data file, or
  // DIR/../trace.csv itself where the file system has no hard links).
  const std::filesystem::path& DataFileOf(const std::string& id) const;
  // The build of nlhf that computed a task the index holds.
  const Build& BuildOf(const std::string& id) const;
  // The tasks among `ids` that the index holds and that a build other than this one (ThisBuild)
  // computed, counted per build, in the builds' order: results reused, not recomputed.
  std::vector<BuildTasks> OtherBuilds(const std::vector<std::string>& ids) const;
  // Adds the tasks of `other` that this index does not hold yet.
  void Merge(TaskIndex&& other);

 private:
  friend class TaskStore;
  struct Stored {
    std::vector<RunRecord> records;
    std::string_view lines;  // the records' lines in their part file (TaskBatch::Task::lines), in `text`
    std::shared_ptr<const std::string> text;  // the part file's text, where Index(true) keeps it
    std::shared_ptr<const std::filesystem::path> file;  // the data file holding the trace rows (its part's)
    std::int64_t trace_offset = 0, trace_bytes = 0;
    bool checked = false;  // from the index into trace.csv (Part::checked)
    Build build;  // that computed the task
  };
  const Stored& Find(const std::string& id) const;
  std::map<std::string, Stored> tasks_;
};

// The task store of sweep directory `dir` (its folder DIR/.parts). Constructing one reads and
// creates nothing.
// The files a finished sweep writes in its directory, beside .parts/.
inline constexpr const char* kSweepFinalFiles[] = {"trace.csv", "runs.csv", "summary.csv", "config.resolved.yaml"};

class TaskStore {
 public:
  explicit TaskStore(const std::string& dir);
  TaskStore(const TaskStore&) = delete;
  TaskStore& operator=(const TaskStore&) = delete;

  const std::filesystem::path& folder() const { return folder_; }

  // The manifest; nullopt if the store has none (a new directory). A manifest that does not read is
  // an InputError (nlhf-sweep wrote it atomically, so something else changed it).
  std::optional<SweepManifest> ReadManifest() const;
  // Creates the store's folder if it does not exist.
  void Create() const;
  // Records that the store holds tasks of `sweep`, read from `inputs` (written atomically).
  void WriteManifest(const SweepConfig& sweep, const std::vector<RecordedInput>& inputs) const;

  // A new batch (its data file is created in the store's folder). Safe from several threads.
  std::unique_ptr<TaskBatch> Begin();
  // A new growing batch: its data file stays open across commits and keeps growing. Each Commit
  // makes the tasks finished since the last one durable (fsync, then a part file of their own), and
  // the batch goes on in the same file; the last (reopen = false) closes it. A part records the
  // file's size when it was written, and reads back while the file is at least that long. The data
  // file's committed name: GrowingData.
  std::unique_ptr<TaskBatch> BeginGrowing();
  // The committed data file of a growing batch (empty before its first commit).
  static const std::filesystem::path& GrowingData(const TaskBatch& batch) { return batch.data_; }
  // Stores the batch's finished tasks durably, all or none (an interruption loses the whole batch,
  // never part of a task), and empties it: with `reopen`, for more tasks in a new data file;
  // without, for good (the last commit). Safe from several threads for distinct batches. A failed
  // write throws ("writing FILE: REASON"): if it was a write of the held rows (TaskBatch::Drain),
  // after committing the tasks whose rows all reached the file and emptying the batch; if it was
  // the data file's fsync, after forgetting the tasks since the last commit (they run again: their
  // rows may not be on the device, and a second fsync would not say so, as Linux reports a
  // writeback error once to each open file); if it was the part file, leaving the batch as it was
  // (a later commit tries again).
  void Commit(TaskBatch& batch, bool reopen = true);
  // The last commit of a growing batch whose data file holds a whole sweep's trace (its header, then
  // every task in canonical order: OrderedTrace). Where the batch had no commit before, its part is
  // the index Compact would write (named 0-trace-PID-K.part, recording the data file's size and
  // time), so that once the data file is also DIR/trace.csv (a hard link) the store is compacted
  // already (HoldsOnlyFinal). Returns that index as Index(true) would read it back (the records and
  // their lines as written; null where the commit was an ordinary one, as Commit(batch, false)).
  std::unique_ptr<TaskIndex> CommitFinal(TaskBatch& batch);
  // Whether the store's only part is the index CommitFinal wrote for `batch`: then the index it
  // returned is the store's Index(true).
  bool HoldsOnlyFinal(const TaskBatch& batch) const;
  // Stores `tasks` (their rows given as text) as one batch: Begin, write, Finish, Commit.
  void Add(const std::vector<FinishedTask>& tasks);

  // Once the final files of the whole sweep are written into the directory: the store keeps only
  // its manifest and one index of every task of `tasks` into DIR/trace.csv (`trace_offsets[i]`:
  // where task i's rows begin there), and deletes its part and data files, so a finished sweep
  // takes its trace's disk space once while a resume or an extension still reuses every task. An
  // index whose trace.csv has since changed (its size or time) is ignored: those tasks run again.
  // `index` is an Index(true) (the record lines are copied from it).
  void Compact(const std::vector<std::string>& tasks, const std::vector<std::int64_t>& trace_offsets,
               const TaskIndex& index);
  // Removes DIR's final files (kSweepFinalFiles), which a changed sweep no longer matches: before its
  // new manifest is written, so that no crash leaves them beside it looking current. The store stays.
  void RemoveFinalFiles() const;
  // Removes data files no part file refers to (left by a process killed between writing a data
  // file and its part). Only while holding the directory's lock.
  void RemoveOrphans() const;
  // The tasks of the store's indexes into trace.csv (Compact) that are no longer read, because the
  // file they index is gone or its size or time changed since (an edit, a touch, a copy that does
  // not keep times): those tasks run again unless another part holds them.
  std::set<std::string> StaleTraceIndexTasks() const;

  // The tasks the store holds. Stored data that does not read back whole (damaged, or of an older
  // version) is ignored, so those tasks run again. `with_lines`: the index also keeps each task's
  // record lines as written (for Compact, which copies them; otherwise they are not kept, as they
  // would add most of the records' memory again).
  TaskIndex Index(bool with_lines = false) const;

 private:
  // A new name data-PID-K.csv in the folder for `file` (a hard link); empty if links fail.
  std::filesystem::path LinkUnique(const std::filesystem::path& file);
  // Commit of a growing batch; with `final_index` (CommitFinal's), where it is the batch's only
  // commit, its part is the compacted index and *final_index the index of what it wrote.
  void CommitGrowing(TaskBatch& batch, bool last, std::unique_ptr<TaskIndex>* final_index = nullptr);
  static int SyncData(TaskBatch& batch);
  // A batch's data file `temp` under its committed name data-PID-K.csv (a new hard link, `temp`
  // removed; a rename where links are not supported). Throws WriteError.
  std::filesystem::path NameForGood(const std::filesystem::path& temp);
  // A name PREFIX-PID-K.EXT not taken in the folder.
  std::filesystem::path FreshName(std::string_view prefix, std::string_view extension);

  std::filesystem::path folder_;
  std::atomic<int> batch_{0};
  std::string trace_shown_;  // DIR/trace.csv, as errors name the rows being written
};

// The fingerprint in the manifest of `dir`'s store; "" if it has none.
std::string StoredSweepFingerprint(const std::string& dir);

// Whether `name` in the folder `folder` of a sweep directory is a file the task store writes (in
// `.parts`: the manifest, part and data files, a writer's temp files, the first releases' per-task
// files). --force deletes `.parts` only when it holds nothing else.
bool IsStoreFile(const std::string& folder, const std::string& name);

// The output directory of a sweep or a merge: checked, locked (for as long as the result lives),
// cleaned of leftovers, marked; with `force` a directory nlhf-sweep wrote loses what nlhf-sweep
// wrote. `accepted`: directories DIR may hold (a merge's shard directories).
std::unique_ptr<OutputDirectory> ClaimSweepDirectory(const SweepConfig& sweep, const std::string& dir, bool force,
                                                     const std::vector<std::string>& accepted);

}  // namespace nlhf
