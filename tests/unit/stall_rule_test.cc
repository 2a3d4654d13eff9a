#include "stall_rule.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "nlhf/run.h"

namespace nlhf {
namespace {

// A metric that falls until iteration `floor_at`, then stays at its floor (a rounding floor), read
// from the iterate's first logit, which holds the iteration.
double Value(std::int64_t it, std::int64_t floor_at) {
  return std::exp(-1e-3 * static_cast<double>(std::min(it, floor_at)));
}

Eigen::VectorXd Iterate(std::int64_t it, Eigen::Index n) {
  Eigen::VectorXd l = Eigen::VectorXd::Constant(n, -1.0);
  l[0] = static_cast<double>(it);
  return l;
}

struct Counted {
  std::int64_t floor_at;
  int calls = 0;
  double operator()(const Eigen::VectorXd& l) {
    ++calls;
    return Value(static_cast<std::int64_t>(l[0]), floor_at);
  }
};

// Given some samples' values and others' iterates (every third, or none), the rule answers as with
// every value given, at every iteration it is asked; before kStallMinIterations after the transient
// it computes no deferred value at all.
TEST(StallRule, DeferredSamplesGiveTheSameAnswers) {
  for (std::int64_t transient : {std::int64_t{0}, std::int64_t{1000}}) {
    for (std::int64_t floor_at : {std::int64_t{5000}, std::int64_t{40000}}) {
      int given_calls = 0;
      StallRule given(transient, [&](const Eigen::VectorXd&) {
        ++given_calls;
        return 0.0;
      });
      Counted counted{floor_at};
      StallRule mixed(transient, [&](const Eigen::VectorXd& l) { return counted(l); });
      bool fired = false;
      for (std::int64_t it = 1; it <= 60000; ++it) {
        if (given.Samples(it)) {
          given.Add(it, Value(it, floor_at));
          if ((it / StallRule::kEvery) % 3 == 0) {
            mixed.Add(it, Value(it, floor_at));
          } else {
            mixed.Defer(it, Iterate(it, 3));
          }
        }
        if (it % 997 == 0 || it == 60000) {
          const bool stalled = given.Stalled(it);
          ASSERT_EQ(mixed.Stalled(it), stalled) << "iteration " << it;
          if (it - transient < kStallMinIterations) {
            EXPECT_EQ(counted.calls, 0) << "iteration " << it;
          } else {  // Stalled() has computed what was kept: the same best, whether it holds or not
            EXPECT_EQ(mixed.since(), given.since()) << "iteration " << it;
            EXPECT_EQ(mixed.best(), given.best()) << "iteration " << it;
          }
          if (stalled) {
            fired = true;
            EXPECT_EQ(given.since() % StallRule::kEvery, 0);
          }
        }
      }
      EXPECT_EQ(given_calls, 0);
      EXPECT_EQ(fired, floor_at == 5000) << "floor at " << floor_at;
      if (floor_at == 5000) {
        EXPECT_GE(given.since(), floor_at);
        EXPECT_LT(given.since(), floor_at + StallRule::kEvery);
      }
      // Every deferred sample was computed once, in the end.
      EXPECT_EQ(mixed.deferred(), 0u);
      EXPECT_EQ(counted.calls, 60000 / StallRule::kEvery - 60000 / (3 * StallRule::kEvery) -
                                   (transient / StallRule::kEvery - transient / (3 * StallRule::kEvery)));
    }
  }
}

// Samples are the multiples of kEvery from the transient on; other iterations are ignored.
TEST(StallRule, SamplesAFixedSchedule) {
  StallRule rule(100, [](const Eigen::VectorXd&) { return 1.0; });
  EXPECT_FALSE(rule.Samples(0));
  EXPECT_FALSE(rule.Samples(64));
  EXPECT_TRUE(rule.Samples(128));
  EXPECT_FALSE(rule.Samples(129));
  rule.Defer(129, Iterate(129, 2));
  rule.Defer(64, Iterate(64, 2));
  EXPECT_EQ(rule.deferred(), 0u);
  rule.Defer(128, Iterate(128, 2));
  EXPECT_EQ(rule.deferred(), 1u);
}

// The kept iterates take at most kDeferredBytes: past that, their values are computed.
TEST(StallRule, BoundsTheMemoryOfKeptIterates) {
  const Eigen::Index n = 4096;  // 32 KiB an iterate
  Counted counted{1 << 30};
  StallRule rule(0, [&](const Eigen::VectorXd& l) { return counted(l); });
  std::size_t most = 0;
  for (std::int64_t k = 1; k <= 100; ++k) {
    rule.Defer(k * StallRule::kEvery, Iterate(k * StallRule::kEvery, n));
    most = std::max(most, rule.deferred());
  }
  EXPECT_EQ(most * static_cast<std::size_t>(n) * sizeof(double), StallRule::kDeferredBytes - n * sizeof(double));
  EXPECT_EQ(counted.calls, 96);  // three batches of 32
}

// Values queued behind a kept iterate count toward kDeferredBytes too: a run logged densely with
// no heartbeats (no observers) does not grow the queue past it.
TEST(StallRule, BoundsTheMemoryOfQueuedValues) {
  Counted counted{1 << 30};
  StallRule rule(0, [&](const Eigen::VectorXd& l) { return counted(l); });
  rule.Defer(64, Iterate(64, 2));
  std::size_t most = 0;
  for (std::int64_t it = 65; it <= 200000; ++it) {
    rule.Add(it, 1.0);
    most = std::max(most, rule.deferred());
  }
  EXPECT_EQ(counted.calls, 1);
  EXPECT_GT(most, 1000u);
  EXPECT_LE(most * 16, StallRule::kDeferredBytes);  // an entry is at least an iteration and a value
  EXPECT_EQ(rule.deferred(), 0u);  // nothing queued once the kept iterate is computed
}

// A given value that is not finite, or at an iteration given already, is ignored.
TEST(StallRule, IgnoresNonFiniteAndRepeatedValues) {
  StallRule rule(0, [](const Eigen::VectorXd&) { return 0.5; });
  rule.Add(64, 2.0);
  rule.Add(128, std::numeric_limits<double>::quiet_NaN());
  rule.Add(128, 1.0);
  rule.Add(128, 0.5);                 // the same iteration again
  rule.Defer(128, Iterate(128, 2));   // and as a kept iterate
  rule.Add(100, 0.25);                // an earlier one
  rule.Add(192, std::numeric_limits<double>::infinity());
  EXPECT_EQ(rule.deferred(), 0u);
  EXPECT_TRUE(rule.Stalled(2 * (128 + kStallMinIterations)));
  EXPECT_EQ(rule.since(), 128);
  EXPECT_EQ(rule.best(), 1.0);
}

// A deferred value that is not finite is left out (the run went on from that iterate).
TEST(StallRule, LeavesOutANonFiniteDeferredValue) {
  StallRule rule(0, [](const Eigen::VectorXd& l) {
    return l[0] == 64.0 ? std::numeric_limits<double>::quiet_NaN() : 1.0;
  });
  rule.Defer(64, Iterate(64, 2));
  rule.Defer(128, Iterate(128, 2));
  EXPECT_FALSE(rule.Stalled(128 + kStallMinIterations - 1));
  EXPECT_TRUE(rule.Stalled(2 * (128 + kStallMinIterations)));
  EXPECT_EQ(rule.since(), 128);
  EXPECT_EQ(rule.best(), 1.0);
}

}  // namespace
}  // namespace nlhf
