#include "nlhf/rng.h"

#include <gtest/gtest.h>

#include <cmath>

namespace nlhf {
namespace {

// Pinned values: these must be the same on every compiler and platform. If one changes, every
// seeded game changes, and published experiments stop being reproducible.
TEST(Rng, ProducesPinnedValues) {
  Rng rng(0, "pinned");
  EXPECT_EQ(rng.NextU64(), 10465358088352456042ULL);
  Rng u(42, "random_uniform");
  EXPECT_DOUBLE_EQ(u.Uniform(), 0.4547764602095431);
  Rng g(7, "bradley_terry");
  EXPECT_DOUBLE_EQ(g.Normal(), -0.51581168722892701);
}

TEST(Rng, SameSeedAndStreamGiveSameNumbers) {
  Rng a(123, "s"), b(123, "s");
  for (int i = 0; i < 100; ++i) EXPECT_EQ(a.NextU64(), b.NextU64());
}

TEST(Rng, StreamsWithTheSameSeedDiffer) {
  Rng a(123, "game"), b(123, "reference");
  EXPECT_NE(a.NextU64(), b.NextU64());
}

TEST(Rng, UniformIsInUnitIntervalWithMeanOneHalf) {
  Rng rng(5, "u");
  double sum = 0.0;
  const int count = 100000;
  for (int i = 0; i < count; ++i) {
    const double u = rng.Uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum += u;
  }
  EXPECT_NEAR(sum / count, 0.5, 5 * std::sqrt(1.0 / 12.0 / count));
}

TEST(Rng, NormalHasZeroMeanAndUnitVariance) {
  Rng rng(6, "n");
  double sum = 0.0, sq = 0.0;
  const int count = 200000;
  for (int i = 0; i < count; ++i) {
    const double z = rng.Normal();
    sum += z;
    sq += z * z;
  }
  EXPECT_NEAR(sum / count, 0.0, 5.0 / std::sqrt(count));
  EXPECT_NEAR(sq / count, 1.0, 5.0 * std::sqrt(2.0 / count));
}

TEST(Rng, BelowIsUniformOverItsRange) {
  Rng rng(8, "b");
  int counts[3] = {0, 0, 0};
  for (int i = 0; i < 30000; ++i) ++counts[rng.Below(3)];
  for (int c : counts) EXPECT_NEAR(c, 10000, 500);
}

}  // namespace
}  // namespace nlhf
