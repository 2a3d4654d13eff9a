#pragma once
// trace.csv (docs/file-formats.md): one row per logged record of every run, in a fixed column order.
// A TraceWriter is the observer that writes a run's rows as the run goes, straight to a file through
// a small buffer, so memory does not grow with the number of rows; the run's constant columns
// (experiment ... seed) are formatted once per run.
#include <cstdint>
#include <cstdio>
#include <memory>
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
  // Rows not yet written: buffer_[0, used_) of capacity_ chars (at least two rows; trace.cc).
  // Numbers are written straight into it (WriteNumber), so it is plain chars: a row needs at most
  // row_room_ of them.
  std::unique_ptr<char[]> buffer_;
  size_t capacity_ = 0;
  size_t used_ = 0;
  size_t row_room_ = 0;
  std::int64_t rows_ = 0, bytes_ = 0;
};

}  // namespace nlhf

