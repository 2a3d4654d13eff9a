#pragma once
// Where the runs of an experiment put their trace rows while they go, so that trace.csv comes out in
// run order whatever order runs finish in.
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "nlhf/output/files.h"
#include "nlhf/output/writeback_pacer.h"

namespace nlhf {

// Where the runs of an experiment write their rows while they go: anonymous spool files (output/
// files.h) in a folder on the output's filesystem, one per run in progress, reused by the next run.
// trace.csv is then the runs' byte ranges concatenated in run order, so it does not depend on the
// number of jobs, and memory does not grow with the rows. Acquire/Release/Abandon are thread-safe.
//
// Ordered (a header given, and a filesystem with O_TMPFILE): trace.csv is also written while the
// runs go, into one more file with no name (UnnamedFile) that begins with the header (Ordered(), for
// the caller to link into place instead of copying at the end). A run that starts once every run
// before it is in that file writes its rows straight into it (with one job, every run). A run that
// starts before its turn writes to a spool; its rows are copied in by the Release that completes
// the runs before it (its own, or an earlier run's), while other runs go on.
class TraceSpool {
 public:
  // `shown` names trace.csv in errors.
  TraceSpool(std::string folder, std::string shown, std::optional<std::string> ordered_header = std::nullopt);
  ~TraceSpool();
  TraceSpool(const TraceSpool&) = delete;
  TraceSpool& operator=(const TraceSpool&) = delete;

  const std::string& shown() const { return shown_; }
  struct Lease {
    std::FILE* file = nullptr;
    size_t spool = 0;
    bool direct = false;  // `file` is the ordered file
  };
  // Where run `run` writes: the ordered file if its turn has come and nobody writes it, else a spool
  // no other run is writing (a new one when all are taken).
  Lease Acquire(size_t run);
  // Run `run` wrote `bytes` bytes to its lease (its TraceWriter flushed). The runs whose turn comes
  // are copied into the ordered file; a failed copy throws WriteFailure naming shown().
  void Release(const Lease& lease, size_t run, std::int64_t bytes);
  // The run holding `lease` ended with an error: the ordered file takes no more runs.
  void Abandon(const Lease& lease);
  // The ordered file once it holds the header and runs 0 .. runs-1; nullptr if it does not (not
  // ordered, no O_TMPFILE, or a run abandoned). A write error its background syncs met
  // (writeback_pacer.h) throws WriteFailure naming shown(), as the caller's fsync would.
  std::FILE* Ordered(size_t runs);
  // Appends the rows of runs 0 .. runs-1, in that order, to `out` (every one of them released).
  // Throws std::system_error (errno) on failure.
  void AppendTo(std::FILE* out, size_t runs) const;

 private:
  static constexpr size_t kOrdered = static_cast<size_t>(-1);  // Range::spool of a direct run
  struct Range {
    size_t spool = 0;  // or kOrdered
    std::int64_t offset = -1, bytes = 0;
  };
  // Copies the released runs whose turn has come into the ordered file (the mutex held).
  void Drain();
  std::FILE* FileOf(size_t spool) const { return spool == kOrdered ? ordered_ : spools_[spool]; }

  std::string folder_, shown_;
  mutable std::mutex mutex_;
  std::vector<std::FILE*> spools_;
  std::vector<std::int64_t> sizes_;
  std::vector<size_t> free_;
  std::vector<Range> ranges_;  // by run
  // Ordered: the file, its size, the first run not in it yet, whether a run writes it now.
  std::FILE* ordered_ = nullptr;
  std::int64_t ordered_size_ = 0;
  size_t next_ = 0;
  bool writing_ = false;
  bool broken_ = false;
  WritebackPacer pacer_;  // the final fsync waits for the last few megabytes only
};

}  // namespace nlhf
