#pragma once
// The trace as columns: the observer that collects a run's records for Python (numpy arrays), with
// the cells trace.csv would hold. A metric not computed is NaN; trace.csv leaves that cell empty.
#include <array>
#include <cstdint>
#include <vector>

#include "bindings.h"
#include "nlhf/output/trace.h"
#include "nlhf/run.h"

namespace nlhf::python {

class ColumnTrace : public RunObserver {
 public:
  void OnRecord(const Record& record) override;

  TraceRunColumns run;  // the constant columns (runs of an experiment)
  std::vector<std::int64_t> iteration, oracle_calls, queries;
  std::vector<double> wall_s;
  std::array<std::vector<double>, kNumMetrics> metrics;
  std::array<std::vector<double>, kAverageTraceMetrics.size()> average;
};

// The per-row columns of `runs`, concatenated in order (moved out: no copy for one run), as a dict of
// numpy arrays keyed by trace.csv's column names (iter ... average_kl_to_ne).
py::dict RowColumns(std::vector<ColumnTrace>& runs);
// The constant columns of each run (experiment ... seed) and its row count, for __init__.py to repeat.
py::list RunColumns(const std::vector<ColumnTrace>& runs);

}  // namespace nlhf::python
