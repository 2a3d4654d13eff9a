#include "nlhf/game.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

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
                   {"mu has 2 entries", "3 actions"});
}

TEST(Game, AcceptsTinyReferenceEntries) {
  Eigen::VectorXd mu(3);
  mu << 1e-12, 0.5, 0.5 - 1e-12;
  const Game g(Rps(), mu, "", "");
  EXPECT_NEAR(g.log_mu()[0], std::log(1e-12), 1e-12);
}

}  // namespace
}  // namespace nlhf
