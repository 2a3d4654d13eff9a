#include "trace_columns.h"

#include <limits>

#include "nlhf/metrics.h"

namespace nlhf::python {

void ColumnTrace::OnRecord(const Record& r) {
  iteration.push_back(r.iteration);
  oracle_calls.push_back(r.oracle_calls);
  queries.push_back(r.queries);
  wall_s.push_back(r.wall_s);
  constexpr double kEmpty = std::numeric_limits<double>::quiet_NaN();
  for (size_t k = 0; k < kNumMetrics; ++k) metrics[k].push_back(r.computed[k] ? r.metrics[k] : kEmpty);
  for (size_t a = 0; a < kAverageTraceMetrics.size(); ++a) {
    const auto k = static_cast<size_t>(kAverageTraceMetrics[a]);
    average[a].push_back(r.average_computed[k] ? r.average_metrics[k] : kEmpty);
  }
}

namespace {

template <class T, class Get>
py::array_t<T> Concatenate(std::vector<ColumnTrace>& runs, Get get) {
  if (runs.size() == 1) return Adopt(std::move(get(runs.front())));
  size_t total = 0;
  for (ColumnTrace& r : runs) total += get(r).size();
  std::vector<T> all;
  all.reserve(total);
  for (ColumnTrace& r : runs) {
    std::vector<T>& v = get(r);
    all.insert(all.end(), v.begin(), v.end());
    std::vector<T>().swap(v);
  }
  return Adopt(std::move(all));
}

}  // namespace

py::dict RowColumns(std::vector<ColumnTrace>& runs) {
  py::dict out;
  out["iter"] = Concatenate<std::int64_t>(runs, [](ColumnTrace& r) -> auto& { return r.iteration; });
  out["oracle_calls"] = Concatenate<std::int64_t>(runs, [](ColumnTrace& r) -> auto& { return r.oracle_calls; });
  out["queries"] = Concatenate<std::int64_t>(runs, [](ColumnTrace& r) -> auto& { return r.queries; });
  out["wall_s"] = Concatenate<double>(runs, [](ColumnTrace& r) -> auto& { return r.wall_s; });
  for (size_t k = 0; k < kNumMetrics; ++k)
    out[py::str(std::string(MetricTable()[k].name))] =
        Concatenate<double>(runs, [k](ColumnTrace& r) -> auto& { return r.metrics[k]; });
  for (size_t a = 0; a < kAverageTraceMetrics.size(); ++a)
    out[py::str("average_" + std::string(MetricTable()[static_cast<size_t>(kAverageTraceMetrics[a])].name))] =
        Concatenate<double>(runs, [a](ColumnTrace& r) -> auto& { return r.average[a]; });
  return out;
}

py::list RunColumns(const std::vector<ColumnTrace>& runs) {
  py::list out;
  for (const ColumnTrace& r : runs) {
    py::dict d;
    d["experiment"] = r.run.experiment;
    d["run_id"] = r.run.run_id;
    d["game"] = r.run.game;
    d["n"] = r.run.n;
    d["beta"] = r.run.beta;
    d["reference"] = r.run.reference;
    d["solver"] = r.run.solver;
    d["label"] = r.run.label;
    d["params"] = r.run.params;
    d["seed"] = r.run.seed;
    d["rows"] = r.iteration.size();
    out.append(d);
  }
  return out;
}

}  // namespace nlhf::python
