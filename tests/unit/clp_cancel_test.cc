// lib/src/clp_cancel.h: a set flag stops CLP's simplex with status 5 (stopped by an event) before
// it is done; a clear one lets it solve.
#include "clp_cancel.h"

#include <gtest/gtest.h>

#include <ClpSimplex.hpp>
#include <atomic>
#include <vector>

namespace nlhf {
namespace {

// max sum x s.t. x_i + x_{i+1} <= 1 (a path's independent set, relaxed), 0 <= x <= 1: needs pivots.
void Load(ClpSimplex& model, int n) {
  std::vector<int> starts, rows;
  std::vector<double> values, lower(static_cast<size_t>(n), 0.0),
      upper(static_cast<size_t>(n), 1.0), objective(static_cast<size_t>(n), 1.0),
      row_lower(static_cast<size_t>(n - 1), -1e30), row_upper(static_cast<size_t>(n - 1), 1.0);
  for (int j = 0; j < n; ++j) {
    starts.push_back(static_cast<int>(rows.size()));
    for (int r : {j - 1, j})
      if (r >= 0 && r < n - 1) rows.push_back(r), values.push_back(1.0);
  }
  starts.push_back(static_cast<int>(rows.size()));
  model.loadProblem(n, n - 1, starts.data(), rows.data(), values.data(), lower.data(), upper.data(),
                    objective.data(), row_lower.data(), row_upper.data());
  model.setOptimizationDirection(-1.0);
}

TEST(CancelEvents, ASetFlagStopsTheSimplexAClearOneLetsItSolve) {
  for (const bool set : {true, false}) {
    std::atomic<bool> cancel{set};
    ClpSimplex model;
    model.setLogLevel(0);
    Load(model, 200);
    const CancelEvents events(&cancel);
    model.passInEventHandler(&events);
    model.dual();
    if (set) {
      EXPECT_EQ(model.status(), 5) << "stopped by the event handler";
    } else {
      EXPECT_EQ(model.status(), 0);
      EXPECT_NEAR(model.objectiveValue(), 100.0, 1e-9);
    }
  }
}

}  // namespace
}  // namespace nlhf
