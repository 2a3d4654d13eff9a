#pragma once
// Where the runs of an experiment put their trace rows while they go, so that trace.csv comes out in
// run order whatever order runs finish in.
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

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
