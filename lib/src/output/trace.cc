#include "nlhf/output/trace.h"

#include <fmt/compile.h>
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <iterator>
#include <system_error>

#include "nlhf/output/csv.h"
#include "nlhf/errors.h"
#include "nlhf/metrics.h"
#include "nlhf/output/files.h"

namespace nlhf {

namespace {

// Rows are handed to the file in blocks of at most this size: memory stays bounded, and a block
// is one fwrite. The buffer starts at kFirstBufferBytes and doubles as rows come, so a short run's
// writer (a sweep's: ~13 kB of rows at n = 10) takes no more memory than it uses.
constexpr size_t kBufferBytes = 1 << 16;
constexpr size_t kFirstBufferBytes = 1 << 14;
// The most a row's integers (iteration, oracle calls, queries) take, with their commas.
constexpr size_t kIntegerRoom = 3 * 21;

}  // namespace

const std::vector<std::string>& TraceColumns() {
  // The run's columns, the counters, then one column per metric in MetricTable() order (a new
  // metric gets its column from the table).
  static const std::vector<std::string> columns = [] {
    std::vector<std::string> c = {"experiment", "run_id", "game",  "n",    "beta",         "reference", "solver",
                                  "label",      "params", "seed",  "iter", "oracle_calls", "queries",   "wall_s"};
    for (const MetricInfo& m : MetricTable()) c.emplace_back(m.name);
    // Then the average iterate's (solvers that keep one: mwu), empty cells for the others.
    for (Metric m : kAverageTraceMetrics) c.emplace_back("average_" + std::string(MetricTable()[static_cast<size_t>(m)].name));
    return c;
  }();
  return columns;
}

std::string TraceHeader() { return fmt::format("{}\n", fmt::join(TraceColumns(), ",")); }

TraceWriter::TraceWriter(std::FILE* out, const TraceRunColumns& run, std::string shown)
    : out_(out), shown_(std::move(shown)) {
  for (const std::string* text : {&run.experiment, &run.run_id, &run.game}) {
    AppendCsvField(prefix_, *text);
    prefix_ += ',';
  }
  prefix_ += fmt::format("{},", run.n);
  AppendNumber(prefix_, run.beta);
  prefix_ += ',';
  for (const std::string* text : {&run.reference, &run.solver, &run.label, &run.params}) {
    AppendCsvField(prefix_, *text);
    prefix_ += ',';
  }
  prefix_ += fmt::format("{},", run.seed);
  // The prefix, the integers, then the numbers each with its comma (kNumberRoom covers a number's
  // text and what WriteNumber may overwrite after it), then the newline.
  const size_t numbers = 1 + kNumMetrics + std::size(kAverageTraceMetrics);
  row_room_ = prefix_.size() + kIntegerRoom + numbers * (1 + kNumberRoom) + 1;
  capacity_ = std::max(kFirstBufferBytes, 2 * row_room_);
  buffer_.reset(new char[capacity_]);
}

TraceWriter::~TraceWriter() = default;

void TraceWriter::OnRecord(const Record& r) {
  if (used_ + row_room_ > capacity_) {
    if (capacity_ < kBufferBytes) {
      capacity_ *= 2;
      std::unique_ptr<char[]> grown(new char[capacity_]);
      std::memcpy(grown.get(), buffer_.get(), used_);
      buffer_ = std::move(grown);
    } else {
      Flush();
    }
  }
  char* const row = buffer_.get() + used_;
  char* p = row;
  std::memcpy(p, prefix_.data(), prefix_.size());
  p += prefix_.size();
  for (const std::int64_t v : {r.iteration, r.oracle_calls, r.queries}) {
    p = fmt::format_to(p, FMT_COMPILE("{}"), v);
    *p++ = ',';
  }
  p = WriteNumber(p, r.wall_s);
  // An empty cell means "not computed"; a computed NaN (a numerical failure) says so.
  auto cell = [&p](bool computed, double value) {
    *p++ = ',';
    if (computed && std::isnan(value)) {
      std::memcpy(p, "nan", 3);
      p += 3;
    } else if (computed) {
      p = WriteNumber(p, value);
    }
  };
  for (size_t k = 0; k < r.metrics.size(); ++k) cell(r.computed[k], r.metrics[k]);
  for (Metric m : kAverageTraceMetrics) {
    const size_t k = static_cast<size_t>(m);
    cell(r.average_computed[k], r.average_metrics[k]);
  }
  *p++ = '\n';
  NLHF_CHECK(static_cast<size_t>(p - row) <= row_room_, "a trace row is longer than the room counted for it");
  used_ = static_cast<size_t>(p - buffer_.get());
  ++rows_;
}

void TraceWriter::Flush() {
  if (used_ == 0) return;
  errno = 0;
  if (std::fwrite(buffer_.get(), 1, used_, out_) != used_) throw WriteError(shown_, errno != 0 ? errno : EIO);
  bytes_ += static_cast<std::int64_t>(used_);
  used_ = 0;
}

}  // namespace nlhf

