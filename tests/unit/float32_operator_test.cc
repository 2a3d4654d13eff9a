// Float32Operator (lib/src/float32_operator.cc): the float32 game (storage: float32). The stored game
// is the float-rounded one, exactly skew-symmetric; its products are the double products of that
// game; the in-place conversion of a double matrix gives the same margins as a fresh float matrix.
#include "nlhf/float32_operator.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "nlhf/generators.h"
#include "nlhf/rng.h"

namespace nlhf {
namespace {

Eigen::MatrixXd RandomUniform(Eigen::Index n, std::uint64_t seed) {
  return MakePreferenceMatrix("random_uniform", {{"n", std::int64_t{n}}}, seed).P;
}

Eigen::VectorXd RandomVector(Eigen::Index n, std::uint64_t seed) {
  Rng rng(seed, "float32_operator_test");
  Eigen::VectorXd x(n);
  for (Eigen::Index i = 0; i < n; ++i) x[i] = rng.Normal();
  return x;
}

// The float game as a double matrix: 1/2 + A_f, read entry by entry.
Eigen::MatrixXd Rounded(const Float32Operator& op) {
  Eigen::MatrixXd P(op.n(), op.n());
  for (Eigen::Index j = 0; j < op.n(); ++j)
    for (Eigen::Index i = 0; i < op.n(); ++i) P(i, j) = op.Entry(i, j);
  return P;
}

// Half a float ulp below 1/2: the most an entry can move (|A| < 1/2 has ulp <= 2^-25).
const double kFloatRounding = std::ldexp(1.0, -26);

// Sizes around the conversion's blocks of columns (one short, exactly one, one and a bit, several,
// odd), and one large enough for the product's 8-column groups and remainders.
constexpr Eigen::Index kSizes[] = {2, 3, Float32Operator::kBlockColumns - 1, Float32Operator::kBlockColumns,
                                   Float32Operator::kBlockColumns + 1, 2 * Float32Operator::kBlockColumns + 9, 301};

TEST(Float32Operator, StoresTheRoundedLowerTriangleAndItsExactNegation) {
  for (const Eigen::Index n : kSizes) {
    const Eigen::MatrixXd P = RandomUniform(n, 1);
    const auto op = Float32Operator::FromMatrix(P);
    EXPECT_EQ(op->n(), n);
    EXPECT_EQ(op->StoredBytes(), 4.0 * static_cast<double>(n * n));
    EXPECT_EQ(op->dense(), nullptr);
    EXPECT_TRUE(op->stores_entries());
    for (Eigen::Index j = 0; j < n; ++j) {
      for (Eigen::Index i = 0; i < n; ++i) {
        const double a = op->Margin(i, j);
        ASSERT_EQ(a, -op->Margin(j, i)) << n << ": " << i << " " << j;
        ASSERT_LE(std::abs(a), 0.5);
        if (i > j) {
          ASSERT_EQ(a, static_cast<double>(static_cast<float>(P(i, j) - 0.5)));
        }
        ASSERT_LE(std::abs(op->Entry(i, j) - P(i, j)), kFloatRounding + 1e-15) << n << ": " << i << " " << j;
        // P + P^T = 1 exactly for every margin that is not tiny (all of them here).
        ASSERT_EQ(op->Entry(i, j) + op->Entry(j, i), 1.0);
      }
      ASSERT_EQ(op->Entry(j, j), 0.5);
    }
  }
}

TEST(Float32Operator, ConvertingInPlaceGivesTheSameGameAsFillingFromEntries) {
  for (const Eigen::Index n : kSizes) {
    const Eigen::MatrixXd P = RandomUniform(n, 2);
    const auto in_place = Float32Operator::FromMatrix(P);
    const auto from_entries = Float32Operator::FromOperator(DenseOperator(P));
    for (Eigen::Index j = 0; j < n; ++j)
      for (Eigen::Index i = 0; i < n; ++i) ASSERT_EQ(in_place->Margin(i, j), from_entries->Margin(i, j)) << n;
  }
}

TEST(Float32Operator, KeepsMarginsOfOneHalfAndTies) {
  // A tournament: P in {0, 1/2, 1}, margins +-1/2 and 0, all floats.
  const Eigen::MatrixXd P = MakePreferenceMatrix("tournament", {{"n", std::int64_t{40}}, {"ties", 0.3}}, 4).P;
  const auto op = Float32Operator::FromMatrix(P);
  EXPECT_EQ(Rounded(*op), P);
}

TEST(Float32Operator, AppliesTheDoubleProductOfTheRoundedGame) {
  for (const Eigen::Index n : kSizes) {
    const Eigen::MatrixXd P = RandomUniform(n, 3);
    const auto op = Float32Operator::FromMatrix(P);
    const Eigen::MatrixXd R = Rounded(*op);
    const Eigen::VectorXd x = RandomVector(n, 5);
    const Eigen::VectorXd pi = x.array().exp() / x.array().exp().sum();
    for (const Eigen::VectorXd& v : {x, pi}) {
      Eigen::VectorXd out(n);
      const double* before = out.data();
      op->Apply(v, out);
      EXPECT_EQ(out.data(), before);
      // The stored game's product in double, to 1e-12 of the size of its terms.
      const Eigen::VectorXd scale = R.cwiseAbs() * v.cwiseAbs();
      EXPECT_LE(((out - R * v).array().abs() / scale.array()).maxCoeff(), 1e-12) << "n = " << n;
      // Within the rounding of the game of the double game's product: each entry of P moved by at
      // most 2^-26, so each entry of P v by 2^-26 sum|v| (plus the sums' rounding).
      const double error = (out - P * v).cwiseAbs().maxCoeff();
      EXPECT_LE(error, kFloatRounding * v.cwiseAbs().sum() + 1e-14 * scale.maxCoeff()) << "n = " << n;
      // It is float rounding, not less: a double kernel would not be noticed otherwise.
      if (n >= 64) {
        EXPECT_GT(error, 1e-11 * v.cwiseAbs().sum()) << "n = " << n;
      }
    }
  }
}

}  // namespace
}  // namespace nlhf
