#include "nlhf/output/trace.h"

#include <fmt/format.h>

#include <cerrno>
#include <cmath>
#include <iterator>
#include <system_error>

#include "nlhf/output/csv.h"
#include "nlhf/errors.h"
#include "nlhf/metrics.h"
#include "nlhf/output/files.h"

namespace nlhf {

namespace {

// Rows are handed to the file in blocks of about this size: memory stays bounded, and a block is
// one fwrite.
constexpr size_t kBlockBytes = 1 << 16;

}  // namespace

const std::vector<std::string>& TraceColumns() {
  // The run's columns, the counters, then one column per metric in MetricTable() order (a new
  // metric gets its column from the table).
  static const std::vector<std::string> columns = [] {
    std::vector<std::string> c = {"experiment", "run_id", "game",  "n",    "beta",         "reference", "solver",
                                  "label",      "params", "seed",  "iter", "oracle_calls", "queries",   "wall_s"};
    for (const MetricInfo& m : MetricTable()) c.emplace_back(m.name);
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
  buffer_.reserve(kBlockBytes + 4096);
}

TraceWriter::~TraceWriter() = default;

void TraceWriter::OnRecord(const Record& r) {
  std::string& s = buffer_;
  s += prefix_;
  auto integer = [&s](std::int64_t v) {
    const fmt::format_int text(v);
    s.append(text.data(), text.size());
    s += ',';
  };
  integer(r.iteration);
  integer(r.oracle_calls);
  integer(r.queries);
  AppendNumber(s, r.wall_s);
  for (size_t k = 0; k < r.metrics.size(); ++k) {
    s += ',';
    // An empty cell means "not computed"; a computed NaN (a numerical failure) says so.
    if (r.computed[k] && std::isnan(r.metrics[k]))
      s += "nan";
    else if (r.computed[k])
      AppendNumber(s, r.metrics[k]);
  }
  s += '\n';
  ++rows_;
  if (s.size() >= kBlockBytes) Flush();
}

void TraceWriter::Flush() {
  if (buffer_.empty()) return;
  errno = 0;
  if (std::fwrite(buffer_.data(), 1, buffer_.size(), out_) != buffer_.size())
    throw WriteError(shown_, errno != 0 ? errno : EIO);
  bytes_ += static_cast<std::int64_t>(buffer_.size());
  buffer_.clear();
}

}  // namespace nlhf

namespace nlhf {

TraceSpool::TraceSpool(std::string folder, std::string shown) : folder_(std::move(folder)), shown_(std::move(shown)) {}

TraceSpool::~TraceSpool() {
  for (std::FILE* f : spools_) std::fclose(f);
}

TraceSpool::Lease TraceSpool::Acquire() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (free_.empty()) {
    spools_.push_back(AnonymousFile(folder_, shown_));
    sizes_.push_back(0);
    free_.push_back(spools_.size() - 1);
  }
  const size_t s = free_.back();
  free_.pop_back();
  return Lease{spools_[s], s};
}

void TraceSpool::Release(const Lease& lease, size_t run, std::int64_t bytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (ranges_.size() <= run) ranges_.resize(run + 1);
  ranges_[run] = Range{lease.spool, sizes_[lease.spool], bytes};
  sizes_[lease.spool] += bytes;
  free_.push_back(lease.spool);
}

void TraceSpool::AppendTo(std::FILE* out, size_t runs) const {
  std::lock_guard<std::mutex> lock(mutex_);
  for (std::FILE* f : spools_)
    if (std::fflush(f) != 0) throw std::system_error(errno != 0 ? errno : EIO, std::generic_category(), "flush");
  for (size_t k = 0; k < runs; ++k) {
    NLHF_CHECK(k < ranges_.size() && ranges_[k].offset >= 0, "a run's trace rows were not spooled");
    AppendFileRange(::fileno(spools_[ranges_[k].spool]), ranges_[k].offset, ranges_[k].bytes, out);
  }
}

}  // namespace nlhf
