#pragma once
// Checks every implicit game's tests make of its operator (preference_operator.h): its products
// agree with the matrix of its own entries, and its entries form a preference game.
#include <gtest/gtest.h>

#include <initializer_list>
#include <string>

#include "nlhf/preference_operator.h"
#include "nlhf/rng.h"
#include "test_util.h"

namespace nlhf::testing {

// P x equals Materialize(op) x for a policy (to 1e-12) and for an arbitrary vector (to 1e-12 |x|_1).
inline void ExpectProductsMatchTheEntries(const PreferenceOperator& op, const std::string& label) {
  const Eigen::Index n = op.n();
  const Eigen::MatrixXd P = Materialize(op);
  Rng rng(3, "policy");
  const Eigen::VectorXd pi = RandomLogits(n, rng, 1.0).array().exp();
  Eigen::VectorXd out;
  op.Apply(pi, out);
  EXPECT_LE((out - P * pi).cwiseAbs().maxCoeff(), 1e-12) << label;
  Eigen::VectorXd x(n);
  for (Eigen::Index i = 0; i < n; ++i) x[i] = rng.Normal();
  op.Apply(x, out);
  EXPECT_LE((out - P * x).cwiseAbs().maxCoeff(), 1e-12 * x.lpNorm<1>()) << label;
}

// Entry(i, j) equals the product's column P e_j (another computation) to 1e-15 for the given
// columns, and the entries are a preference game: P + P^T = 1 (to 1e-15), diagonal 1/2, in [0, 1].
inline void ExpectEntriesMatchTheColumnsAndAreProbabilities(const PreferenceOperator& op,
                                                            std::initializer_list<Eigen::Index> columns) {
  const Eigen::Index n = op.n();
  Eigen::VectorXd e = Eigen::VectorXd::Zero(n), column;
  for (Eigen::Index j : columns) {
    e.setZero();
    e[j] = 1.0;
    op.Apply(e, column);
    for (Eigen::Index i = 0; i < n; ++i) EXPECT_NEAR(op.Entry(i, j), column[i], 1e-15) << i << "," << j;
  }
  const Eigen::MatrixXd P = Materialize(op);
  EXPECT_LE(((P + P.transpose()).array() - 1.0).abs().maxCoeff(), 1e-15);
  EXPECT_TRUE((P.diagonal().array() == 0.5).all());
  EXPECT_GE(P.minCoeff(), 0.0);
  EXPECT_LE(P.maxCoeff(), 1.0);
}

// A low-rank operator's skew_factors() are its game: F M F^T equals the margins P - 1/2 of its
// own entries off the diagonal (to 1e-15; the diagonal of F M F^T is 0, as M is skew), and M is
// exactly skew-symmetric.
inline void ExpectSkewFactorsAreTheMargins(const PreferenceOperator& op, const std::string& label) {
  const SkewFactors* factors = op.skew_factors();
  ASSERT_NE(factors, nullptr) << label;
  ASSERT_EQ(factors->F.rows(), op.n()) << label;
  ASSERT_EQ(factors->M.rows(), factors->F.cols()) << label;
  EXPECT_EQ(factors->M, Eigen::MatrixXd(-factors->M.transpose())) << label;
  const Eigen::MatrixXd A = factors->F * factors->M * factors->F.transpose();
  EXPECT_LE(A.diagonal().cwiseAbs().maxCoeff(), 1e-15) << label;
  const Eigen::MatrixXd margins = Materialize(op).array() - 0.5;
  EXPECT_LE((A - margins).cwiseAbs().maxCoeff(), 1e-15) << label;
}

}  // namespace nlhf::testing
