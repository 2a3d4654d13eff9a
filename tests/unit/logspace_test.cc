#include "nlhf/logspace.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "test_util.h"

namespace nlhf {
namespace {

TEST(LogSumExp, MatchesDirectSumAndSurvivesHugeLogits) {
  Eigen::VectorXd x(3);
  x << 0.1, -2.0, 1.5;
  EXPECT_NEAR(LogSumExp(x), std::log(std::exp(0.1) + std::exp(-2.0) + std::exp(1.5)), 1e-15);
  x << 1000.0, 1000.0, -1000.0;  // exp overflows; log-sum-exp does not
  EXPECT_NEAR(LogSumExp(x), 1000.0 + std::log(2.0), 1e-12);
}

TEST(Softmax, SumsToOneAndKeepsTinyProbabilities) {
  Eigen::VectorXd x(3);
  x << 0.0, -700.0, -1e4;
  const Eigen::VectorXd p = Softmax(x);
  EXPECT_NEAR(p.sum(), 1.0, 1e-15);
  EXPECT_GT(p[1], 0.0);  // exp(-700) is representable, never clamped
  EXPECT_NEAR(NormalizeLogits(x)[2], -1e4, 1e-9);
}

TEST(BregmanPhi, MatchesClosedFormAndIsNonNegative) {
  for (double d : {-30.0, -1.0, -1e-2, -1e-4, -1e-9, 0.0, 1e-9, 1e-4, 1e-2, 1.0, 30.0}) {
    EXPECT_GE(BregmanPhi(d), 0.0);
    // Reference in long double, accurate for these arguments.
    const long double ld = static_cast<long double>(d);
    const long double ref = std::expm1(-ld) + ld;
    EXPECT_NEAR(BregmanPhi(d), static_cast<double>(ref), 1e-14 * std::max(1.0, static_cast<double>(ref)))
        << d;
  }
  EXPECT_NEAR(BregmanPhi(1e-6) / 5e-13, 1.0, 1e-6);  // d^2/2 to full relative precision
}

TEST(KlFromLogits, MatchesTheDefiningSum) {
  Rng rng(1, "kl");
  for (int trial = 0; trial < 20; ++trial) {
    const Eigen::VectorXd lp = testing::RandomLogits(8, rng, 2.0);
    const Eigen::VectorXd lq = testing::RandomLogits(8, rng, 2.0);
    double brute = 0.0;
    for (int y = 0; y < 8; ++y) brute += std::exp(lp[y]) * (lp[y] - lq[y]);
    EXPECT_NEAR(KlFromLogits(lp, lq), brute, 1e-13);
    EXPECT_GE(KlFromLogits(lp, lq), 0.0);
  }
}

TEST(KlFromLogits, IsFiniteWhenQHugelyExceedsP) {
  Eigen::VectorXd lp(2), lq(2);
  lp << -5000.0, 0.0;  // p_0 = exp(-5000) underflows to 0; d = -5000 would overflow exp(-d)
  lq << std::log(0.5), std::log(0.5);
  const double kl = KlFromLogits(lp, lq);
  EXPECT_TRUE(std::isfinite(kl));
  EXPECT_NEAR(kl, std::log(2.0), 1e-12);  // KL(e_1 || uniform) = log 2
}

TEST(KlFromLogits, IgnoresZeroProbabilityEntries) {
  Eigen::VectorXd lp(2), lq(2);
  lp << -std::numeric_limits<double>::infinity(), 0.0;
  lq << std::log(0.25), std::log(0.75);
  EXPECT_NEAR(KlFromLogits(lp, lq), -std::log(0.75), 1e-15);
}

}  // namespace
}  // namespace nlhf
