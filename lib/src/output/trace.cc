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
  // An empty cell means "not computed"; a computed NaN (a numerical failure) says so.
  auto cell = [&s](bool computed, double value) {
    s += ',';
    if (computed && std::isnan(value))
      s += "nan";
    else if (computed)
      AppendNumber(s, value);
  };
  for (size_t k = 0; k < r.metrics.size(); ++k) cell(r.computed[k], r.metrics[k]);
  for (Metric m : kAverageTraceMetrics) {
    const size_t k = static_cast<size_t>(m);
    cell(r.average_computed[k], r.average_metrics[k]);
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

