#include "nlhf/dense_product.h"

#include <gtest/gtest.h>

#include <Eigen/Core>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

#include "nlhf/errors.h"
#include "nlhf/generators.h"
#include "nlhf/rng.h"

namespace nlhf {
namespace {

Eigen::VectorXd RandomVector(Eigen::Index n, std::uint64_t seed) {
  Rng rng(seed, "dense_product");
  Eigen::VectorXd x(n);
  for (Eigen::Index i = 0; i < n; ++i) x[i] = rng.Normal();
  return x;
}

Eigen::VectorXd RandomPolicy(Eigen::Index n, std::uint64_t seed) {
  const Eigen::VectorXd e = RandomVector(n, seed).array().exp();
  return e / e.sum();
}

// max_i |a_i - b_i| / (|P| |x|)_i: the error relative to the size of each entry's terms, so that
// entries of P x that cancel to near 0 (x with both signs) are judged by the scale of their sum.
double TermwiseError(const Eigen::VectorXd& a, const Eigen::VectorXd& b, const Eigen::MatrixXd& P,
                     const Eigen::VectorXd& x) {
  const Eigen::VectorXd scale = P.cwiseAbs() * x.cwiseAbs();
  return ((a - b).array().abs() / scale.array()).maxCoeff();
}

// Sizes around the groups of eight columns and the row alignment: short of one, exactly one, one and a
// bit. n = 1500 and 1501 have more than 2 kDenseProductMinEntriesPerThread entries, so two threads
// really run (and 1501 leaves the last range a remainder).
constexpr Eigen::Index kSizes[] = {2, 7, 8, 9, 1500, 1501};

TEST(DenseProduct, Float64EqualsEigensProduct) {
  for (const Eigen::Index n : kSizes) {
    const Eigen::MatrixXd P = MakeGame("random_uniform(n=" + std::to_string(n) + ")", "uniform", 3).P();
    const DenseProduct product(P);
    EXPECT_EQ(product.n(), n);
    EXPECT_EQ(product.storage(), DenseStorage::kFloat64);
    EXPECT_EQ(product.bytes(), static_cast<std::size_t>(n * n) * sizeof(double));
    Eigen::VectorXd out;
    // A policy: every term is >= 0, so each entry is accurate to 1e-13 relative.
    const Eigen::VectorXd pi = RandomPolicy(n, 1);
    product.Apply(pi, out);
    EXPECT_LE(((out - P * pi).array().abs() / (P * pi).array().abs()).maxCoeff(), 1e-13) << "n = " << n;
    // Any vector (P pi is also taken of sum-zero directions).
    const Eigen::VectorXd x = RandomVector(n, 2);
    product.Apply(x, out);
    EXPECT_LE(TermwiseError(out, P * x, P, x), 1e-13) << "n = " << n;
  }
}

TEST(DenseProduct, ThreadsGiveBitIdenticalResults) {
  for (const Eigen::Index n : kSizes) {
    const Eigen::MatrixXd P = MakeGame("random_uniform(n=" + std::to_string(n) + ")", "uniform", 4).P();
    for (const DenseStorage storage : {DenseStorage::kFloat64, DenseStorage::kFloat32}) {
      const DenseProduct one(P, storage, 1);
      const Eigen::VectorXd x = RandomVector(n, 5);
      Eigen::VectorXd reference;
      one.Apply(x, reference);
      for (const int threads : {2, 3, 8}) {
        const DenseProduct many(P, storage, threads);
        Eigen::VectorXd out;
        many.Apply(x, out);
        // Bitwise: not even the last bit may depend on the thread count.
        EXPECT_EQ(out, reference) << "n = " << n << ", threads = " << threads;
      }
    }
  }
  // Threads are used only where the work pays for them, and never more than the row ranges.
  const Eigen::MatrixXd small = Eigen::MatrixXd::Constant(300, 300, 0.5);
  EXPECT_EQ(DenseProduct(small, DenseStorage::kFloat64, 2).ThreadsUsed(), 1);
  const Eigen::MatrixXd large = Eigen::MatrixXd::Constant(1500, 1500, 0.5);
  EXPECT_EQ(DenseProduct(large, DenseStorage::kFloat64, 2).ThreadsUsed(), 2);
  EXPECT_EQ(DenseProduct(large, DenseStorage::kFloat64, 64).ThreadsUsed(), 2);  // 1500^2 / 2^20 = 2
  EXPECT_EQ(DenseProduct(large, DenseStorage::kFloat64, 0).threads(), 1);
}

TEST(DenseProduct, Float32IsTheExactProductOfTheRoundedMatrix) {
  for (const Eigen::Index n : kSizes) {
    const Eigen::MatrixXd P = MakeGame("random_uniform(n=" + std::to_string(n) + ")", "uniform", 6).P();
    const Eigen::MatrixXd rounded = P.cast<float>().cast<double>();
    const DenseProduct product(P, DenseStorage::kFloat32);
    EXPECT_EQ(product.storage(), DenseStorage::kFloat32);
    EXPECT_EQ(product.bytes(), static_cast<std::size_t>(n * n) * sizeof(float));
    EXPECT_EQ(product.Entry(n - 1, 0), rounded(n - 1, 0));
    for (const Eigen::VectorXd& x : {RandomPolicy(n, 7), RandomVector(n, 8)}) {
      Eigen::VectorXd out;
      product.Apply(x, out);
      // The double product of the float-rounded matrix, to the rounding of the sums (1e-12).
      EXPECT_LE(TermwiseError(out, rounded * x, rounded, x), 1e-12) << "n = " << n;
      // And within float rounding of the double matrix's product: each entry of P moved by at most
      // 2^-24 relative, so each entry of P x by 2^-24 (|P| |x|)_i (plus the sum's rounding).
      const double float_rounding = std::ldexp(1.0, -24);
      const double error = TermwiseError(out, P * x, P, x);
      EXPECT_LE(error, float_rounding * (1 + 1e-6)) << "n = " << n;
      // It is float rounding, not a smaller error: the test would notice a double kernel.
      if (n >= 100) {
        EXPECT_GT(error, 1e-10) << "n = " << n;
      }
    }
  }
}

TEST(DenseProduct, Float32FromAFloatMatrix) {
  const Eigen::MatrixXd P = MakeGame("random_uniform(n=40)", "uniform", 9).P();
  const Eigen::MatrixXf Pf = P.cast<float>();
  const DenseProduct from_double(P, DenseStorage::kFloat32), from_float = DenseProduct::FromFloat(Pf, 2);
  EXPECT_EQ(from_float.threads(), 2);
  const Eigen::VectorXd x = RandomVector(40, 10);
  Eigen::VectorXd a, b;
  from_double.Apply(x, a);
  from_float.Apply(x, b);
  EXPECT_EQ(a, b);
}

TEST(DenseProduct, Float32InTheMemoryOfADoubleMatrix) {
  const Eigen::Index n = 41;
  const Eigen::MatrixXd P = MakeGame("random_uniform(n=41)", "uniform", 13).P();
  const Eigen::MatrixXf Pf = P.cast<float>();
  // Half the columns (rounded up) of doubles hold the n^2 floats.
  Eigen::MatrixXd buffer(n, (n + 1) / 2);
  std::memcpy(buffer.data(), Pf.data(), sizeof(float) * static_cast<std::size_t>(n * n));
  const DenseProduct in_buffer = DenseProduct::FromFloatsInDoubleBuffer(std::move(buffer), n, 2);
  EXPECT_EQ(in_buffer.storage(), DenseStorage::kFloat32);
  EXPECT_EQ(in_buffer.bytes(), static_cast<std::size_t>(n * n) * sizeof(float));
  EXPECT_EQ(in_buffer.Entry(3, 17), static_cast<double>(Pf(3, 17)));
  const Eigen::VectorXd x = RandomVector(n, 14);
  Eigen::VectorXd a, b;
  DenseProduct::FromFloat(Pf).Apply(x, a);
  in_buffer.Apply(x, b);
  EXPECT_EQ(a, b);
  EXPECT_THROW(DenseProduct::FromFloatsInDoubleBuffer(Eigen::MatrixXd(n, n / 2 - 1), n), InternalError);
}

TEST(DenseProduct, ReusesTheOutputAndChecksSizes) {
  const Eigen::MatrixXd P = MakeGame("random_uniform(n=10)", "uniform", 11).P();
  const DenseProduct product(P);
  const Eigen::VectorXd x = RandomVector(10, 12);
  Eigen::VectorXd out(10);
  const double* before = out.data();
  product.Apply(x, out);
  EXPECT_EQ(out.data(), before);
  EXPECT_THROW(product.Apply(Eigen::VectorXd::Ones(9), out), InternalError);
  EXPECT_THROW(product.Apply(out, out), InternalError);
  EXPECT_THROW(DenseProduct(Eigen::MatrixXd::Ones(3, 4)), InternalError);
}

}  // namespace
}  // namespace nlhf
