// Tests of lib/include/nlhf/parallel.h: ParallelFor runs every item once and passes a worker's
// exception back to the calling thread instead of terminating the process.
#include "nlhf/parallel.h"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <vector>

namespace nlhf {
namespace {

TEST(ParallelFor, RunsEveryItemExactlyOnce) {
  for (int jobs : {1, 2, 4, 100}) {
    std::vector<std::atomic<int>> hits(57);
    ParallelFor(hits.size(), jobs, [&](size_t i) { ++hits[i]; });
    for (size_t i = 0; i < hits.size(); ++i) EXPECT_EQ(hits[i].load(), 1) << "item " << i << ", jobs " << jobs;
  }
}

TEST(ParallelFor, DoesNothingForNoItems) {
  bool called = false;
  ParallelFor(0, 4, [&](size_t) { called = true; });
  EXPECT_FALSE(called);
}

TEST(ParallelFor, RethrowsAWorkersExceptionOnTheCallingThread) {
  // Every item throws, so the exception is certainly raised on a pool thread too.
  for (int jobs : {1, 2, 8}) {
    EXPECT_THROW(ParallelFor(64, jobs, [](size_t i) { throw std::out_of_range(std::to_string(i)); }),
                 std::out_of_range);
  }
}

TEST(ParallelFor, StopsHandingOutWorkAfterTheFirstException) {
  std::atomic<int> started{0};
  EXPECT_THROW(ParallelFor(10000, 2,
                           [&](size_t) {
                             ++started;
                             throw std::runtime_error("stop");
                           }),
               std::runtime_error);
  EXPECT_LE(started.load(), 2);  // at most one item per thread started before the stop
}

}  // namespace
}  // namespace nlhf
