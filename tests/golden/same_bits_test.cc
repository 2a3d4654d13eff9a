// Known answers of the build itself: Eigen's vectorized exp and log, which every softmax,
// normalization and log-sum-exp of nlhf runs on, give the same bits with baseline x86-64 (SSE2) and
// with NLHF_SSE41 (cmake/Isa.cmake), under which they round to an integer with one instruction
// instead of an emulated floor. The digests are of the values of the SSE2 build (Eigen 3.4.0,
// GCC 12, Debian 12); they are also those of -mavx, and not those of -march=x86-64-v3, whose fused
// multiply-adds round differently (checked when this test was written). A build that gives other
// values computes other numbers in every run.
#include <gtest/gtest.h>

#include <Eigen/Core>
#include <cmath>
#include <cstddef>
#include <string>

#include "nlhf/sha256.h"

namespace nlhf {
namespace {

std::string DigestOf(const Eigen::ArrayXd& x) {
  Sha256 h;
  h.Update(x.data(), sizeof(double) * static_cast<std::size_t>(x.size()));
  return h.HexDigest();
}

TEST(SameBitsInEveryBuild, EigenVectorizedExpAndLog) {
#if !(defined(__x86_64__) && !defined(__FMA__) && EIGEN_WORLD_VERSION == 3 && EIGEN_MAJOR_VERSION == 4 && \
      EIGEN_MINOR_VERSION == 0)
  GTEST_SKIP() << "the digests are of x86-64 without FMA and Eigen 3.4.0";
#endif
  // Arguments over exp's range (Eigen clamps beyond +-709.78) at a spacing that is no round number;
  // an even count, so that every value comes from a packet (a scalar tail would be libm's exp).
  const Eigen::ArrayXd x = Eigen::ArrayXd::LinSpaced(40000, -709.0, 709.0) + 0.123456789;
  const Eigen::ArrayXd e = x.exp();
  const Eigen::ArrayXd l = e.log();
  EXPECT_EQ(DigestOf(e), "09a0b0afb5522666776d1c5f0a203566e1379867f20ce777d458cc1054be5d13");
  EXPECT_EQ(DigestOf(l), "8d666ad1f7d9a9ac3854806aeca4e687229261517e3ee83e2f5853be8ec37d29");
  // The digest sees every value: one ulp anywhere changes it.
  Eigen::ArrayXd moved = e;
  moved[20000] = std::nextafter(moved[20000], 0.0);
  EXPECT_NE(DigestOf(moved), DigestOf(e));
}

}  // namespace
}  // namespace nlhf
