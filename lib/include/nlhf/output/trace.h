#pragma once
// trace.csv (docs/file-formats.md): one row per logged record of every run, in a fixed column order.
// A TraceWriter is the observer that writes a run's rows as the run goes, straight to a file through
// a small buffer, so memory does not grow with the number of rows; the run's constant columns
// (experiment ... seed) are formatted once per run.
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

#include "nlhf/run.h"

namespace nlhf {

// The trace.csv header, in the contract's order.
const std::vector<std::string>& TraceColumns();
std::string TraceHeader();  // joined with commas, newline-terminated

// What every row of one run repeats (the columns experiment ... seed).
struct TraceRunColumns {
  std::string experiment, run_id, game;
  std::int64_t n = 0;
  double beta = 0.0;
  std::string reference, solver, label, params;
  std::uint64_t seed = 0;
};

class TraceWriter : public RunObserver {
 public:
  // Rows go to `out` (not owned); `shown` names the file in errors.
  TraceWriter(std::FILE* out, const TraceRunColumns& run, std::string shown);
  ~TraceWriter() override;  // does not flush: call Flush() (errors must be seen)
  TraceWriter(const TraceWriter&) = delete;
  TraceWriter& operator=(const TraceWriter&) = delete;

  void OnRecord(const Record& record) override;
  // Writes what is buffered. Throws WriteError(shown, errno).
  void Flush();
  std::int64_t rows() const { return rows_; }
  std::int64_t bytes() const { return bytes_; }

 private:
  std::FILE* out_;
  std::string shown_;
  std::string prefix_;  // the constant columns, with their trailing comma
  std::string buffer_;
  std::int64_t rows_ = 0, bytes_ = 0;
};

}  // namespace nlhf

namespace nlhf {

// Where the runs of an experiment write their rows while they go: anonymous spool files (output/
// files.h) in a folder on the output's filesystem, one per run in progress, reused by the next run.
// trace.csv is then the runs' byte ranges concatenated in run order, so it does not depend on the
// number of jobs, and memory does not grow with the rows. Acquire/Release are thread-safe.
class TraceSpool {
 public:
  TraceSpool(std::string folder, std::string shown);  // `shown` names trace.csv in errors
  ~TraceSpool();
  TraceSpool(const TraceSpool&) = delete;
  TraceSpool& operator=(const TraceSpool&) = delete;

  const std::string& shown() const { return shown_; }
  struct Lease {
    std::FILE* file = nullptr;
    size_t spool = 0;
  };
  // A spool no other run is writing (a new one when all are taken).
  Lease Acquire();
  // Run `run` wrote `bytes` bytes to the leased spool (its TraceWriter flushed).
  void Release(const Lease& lease, size_t run, std::int64_t bytes);
  // Appends the rows of runs 0 .. runs-1, in that order, to `out` (every one of them released).
  // Throws std::system_error (errno) on failure.
  void AppendTo(std::FILE* out, size_t runs) const;

 private:
  struct Range {
    size_t spool = 0;
    std::int64_t offset = -1, bytes = 0;
  };
  std::string folder_, shown_;
  mutable std::mutex mutex_;
  std::vector<std::FILE*> spools_;
  std::vector<std::int64_t> sizes_;
  std::vector<size_t> free_;
  std::vector<Range> ranges_;  // by run
};

}  // namespace nlhf
