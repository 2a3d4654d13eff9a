#include "nlhf/game.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "nlhf/generators.h"
#include "nlhf/rng.h"
#include "test_util.h"

namespace nlhf {
namespace {

using testing::ExpectInputError;

Eigen::MatrixXd Rps() {
  Eigen::MatrixXd P(3, 3);
  P << 0.5, 0.1, 0.8, 0.9, 0.5, 0.1, 0.2, 0.9, 0.5;
  return P;
}

Eigen::VectorXd Uniform3() { return Eigen::VectorXd::Constant(3, 1.0 / 3.0); }

TEST(Game, AcceptsAValidGameAndKeepsLogMu) {
  const Game g(Rps(), Uniform3(), "rps3", "uniform");
  EXPECT_EQ(g.n(), 3);
  EXPECT_NEAR(g.log_mu()[0], std::log(1.0 / 3.0), 1e-15);
  const Eigen::VectorXd pi = Uniform3();
  EXPECT_NEAR(g.Payoff(pi)[0], (0.5 + 0.1 + 0.8) / 3.0, 1e-15);
}

TEST(Game, RejectsNonSkewSymmetricMatrix) {
  Eigen::MatrixXd P = Rps();
  P(0, 1) = 0.2;  // P[0][1] + P[1][0] = 1.1
  ExpectInputError([&] { Game(P, Uniform3(), "", ""); }, {"P[0][1] + P[1][0]", "1.1", "P + P^T = 1"});
}

TEST(Game, RejectsBadDiagonal) {
  Eigen::MatrixXd P = Rps();
  P(2, 2) = 0.6;
  ExpectInputError([&] { Game(P, Uniform3(), "", ""); }, {"P[2][2] + P[2][2]"});
}

TEST(Game, RejectsNaNAndOutOfRangeEntries) {
  Eigen::MatrixXd P = Rps();
  P(1, 2) = std::numeric_limits<double>::quiet_NaN();
  ExpectInputError([&] { Game(P, Uniform3(), "", ""); }, {"P[1][2]", "not finite"});
  P = Rps();
  P(1, 2) = 1.2;
  P(2, 1) = -0.2;
  ExpectInputError([&] { Game(P, Uniform3(), "", ""); }, {"P[1][2] = 1.2", "outside [0, 1]"});
}

TEST(Game, SuggestsRescalingPercentages) {
  const Eigen::MatrixXd percent = 100.0 * Rps();  // P + P^T = 100
  ExpectInputError([&] { Game(percent, Uniform3(), "", ""); },
                   {"outside [0, 1]", "looks like percentages", "divide every entry by 100"});
  Eigen::MatrixXd off = 100.0 * Rps();
  off(0, 1) = 61.0;  // not P + P^T = 100: no hint
  try {
    Game(off, Uniform3(), "", "");
    ADD_FAILURE() << "accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()).find("percentages"), std::string::npos) << e.what();
  }
}

TEST(Game, SuggestsRescalingAMarginMatrix) {
  const Eigen::MatrixXd M = 2.0 * Rps() - Eigen::MatrixXd::Ones(3, 3);  // skew-symmetric, in [-1, 1]
  ExpectInputError([&] { Game(M, Uniform3(), "", ""); }, {"outside [0, 1]", "margin matrix", "(1 + M)/2"});
  Eigen::MatrixXd P = Rps();
  P(1, 2) = 1.2;
  P(2, 1) = -0.2;
  try {
    Game(P, Uniform3(), "", "");
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()).find("margin"), std::string::npos) << e.what();
  }
}

TEST(Game, RejectsNonSquareAndTinyMatrices) {
  ExpectInputError([] { Game(Eigen::MatrixXd::Constant(2, 3, 0.5), Uniform3(), "", ""); }, {"2x3"});
  ExpectInputError([] { Game(Eigen::MatrixXd::Constant(1, 1, 0.5), Eigen::VectorXd::Ones(1), "", ""); },
                   {"at least 2"});
}

TEST(Game, RejectsNegativeZeroOrUnnormalizedReference) {
  Eigen::VectorXd mu = Uniform3();
  mu[1] = -0.1;
  ExpectInputError([&] { Game(Rps(), mu, "", ""); }, {"reference", "mu[1] = -0.1", "> 0"});
  mu = Uniform3();
  mu[2] = 0.0;
  ExpectInputError([&] { Game(Rps(), mu, "", ""); }, {"mu[2] = 0"});
  mu = Eigen::VectorXd::Constant(3, 0.3);
  ExpectInputError([&] { Game(Rps(), mu, "", ""); }, {"sums to 0.8999999999999999", "expected 1"});
  ExpectInputError([&] { Game(Rps(), Eigen::VectorXd::Constant(2, 0.5), "", ""); },
                   {"has 2 entries but the game has 3 actions"});
}

TEST(Game, AcceptsTinyReferenceEntries) {
  Eigen::VectorXd mu(3);
  mu << 1e-12, 0.5, 0.5 - 1e-12;
  const Game g(Rps(), mu, "", "");
  EXPECT_NEAR(g.log_mu()[0], std::log(1e-12), 1e-12);
}

TEST(Game, AcceptsALargeUniformReferenceWhoseSumRoundsPastTheTolerance) {
  // 10^7 terms of 1e-7 sum to 1 + 2.5e-11 in double: the tolerance grows with n (n 2^-52).
  const Eigen::Index n = 10000000;
  const Eigen::VectorXd mu = Eigen::VectorXd::Constant(n, 1.0 / static_cast<double>(n));
  ASSERT_GT(std::abs(mu.sum() - 1.0), kGameTolerance);
  EXPECT_NO_THROW(ValidateReference(mu, n, "reference"));
  // ... but not an unnormalized one.
  ExpectInputError([&] { ValidateReference(mu * 1.001, n, "reference"); }, {"mu sums to 1.001", "expected 1 within"});
}

// Asymmetry is max |P_ij + P_ji - 1| over all pairs and the diagonal: 0 for a generated game whose
// P_ji is 1 - P_ij computed exactly, and the largest departure of a loaded one.
TEST(Game, AsymmetryIsTheLargestDepartureFromPPlusPTransposeIsOne) {
  Eigen::MatrixXd P(3, 3);
  P << 0.5, 0.75, 0.25,  //
      0.25, 0.5, 0.625,  //
      0.75, 0.375, 0.5;
  EXPECT_EQ(Asymmetry(P), 0.0);
  P(2, 1) += 0x1p-42;  // exact: P + P^T - 1 is 2^-42 there
  EXPECT_EQ(Asymmetry(P), 0x1p-42);
  P(0, 0) -= 0x1p-42;  // the diagonal counts: 2 P_00 - 1 = -2^-41, now the largest
  EXPECT_EQ(Asymmetry(P), 0x1p-41);
  // A loaded matrix: a generated one whose upper triangle moved by up to 1e-12.
  Eigen::MatrixXd loaded = MakeGame("random_uniform(n=12)", "uniform", 3).P();
  EXPECT_EQ(Asymmetry(loaded), 0.0);
  Rng rng(6, "asymmetry");
  for (Eigen::Index j = 0; j < 12; ++j)
    for (Eigen::Index i = 0; i < j; ++i) loaded(i, j) += kGameTolerance * (2.0 * rng.Uniform() - 1.0);
  const double expected = (loaded + loaded.transpose() - Eigen::MatrixXd::Ones(12, 12)).cwiseAbs().maxCoeff();
  EXPECT_GT(expected, 0.5 * kGameTolerance);
  EXPECT_EQ(Asymmetry(loaded), expected);
}

TEST(Game, DenseGameWrapsItsMatrix) {
  const Game g(Rps(), Uniform3(), "rps3", "uniform");
  ASSERT_NE(g.dense(), nullptr);
  EXPECT_EQ(&g.P(), g.dense());
  EXPECT_EQ(g.P(), Rps());
  EXPECT_EQ(g.Entry(1, 2), 0.1);
  EXPECT_EQ(g.preferences().StoredBytes(), 72.0);
  // A copy shares the operator.
  const Game copy = g;
  EXPECT_EQ(copy.dense(), g.dense());
}

TEST(Game, ImplicitGameHasNoStoredMatrixAndFailsLoudlyWhereOneIsNeeded) {
  const Game g = MakeGame("low_rank_cyclic(n=50,k=3)", "uniform", 0);
  EXPECT_EQ(g.dense(), nullptr);
  EXPECT_THROW(g.P(), InternalError);
  const Eigen::MatrixXd P = Materialize(g.preferences());
  Rng rng(2, "implicit");
  Eigen::VectorXd x(50);
  for (Eigen::Index i = 0; i < 50; ++i) x[i] = rng.Normal();
  Eigen::VectorXd out(50);
  const double* data = out.data();
  g.Apply(x, out);
  EXPECT_EQ(out.data(), data);
  EXPECT_LE((out - P * x).cwiseAbs().maxCoeff(), 1e-14);
  EXPECT_EQ(g.Payoff(x), out);
  EXPECT_EQ(g.Entry(7, 3), P(7, 3));
}

TEST(Game, ImplicitOperatorIsCheckedOnASample) {
  // An operator that breaks P + P^T = 1 is refused at construction, naming the game key.
  class Broken final : public PreferenceOperator {
   public:
    Eigen::Index n() const override { return 4; }
    void Apply(const Eigen::VectorXd& x, Eigen::VectorXd& out) const override { out = 0.6 * x; }
    double Entry(Eigen::Index i, Eigen::Index j) const override { return i == j ? 0.5 : 0.6; }
    double StoredBytes() const override { return 0.0; }
  };
  ExpectInputError([] { Game(std::make_shared<const Broken>(), Eigen::VectorXd::Constant(4, 0.25), "", ""); },
                   {"game", "expected P + P^T = 1"});
  const auto valid = MakePreferenceOperator("low_rank_cyclic", {{"n", std::int64_t{4}}}, 0).P;
  ExpectInputError([&] { Game(valid, Uniform3(), "", ""); }, {"reference", "has 3 entries"});
}

}  // namespace
}  // namespace nlhf
