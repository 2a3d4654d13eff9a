// Long checks (label `slow`; `ctest --preset slow`): the certified equilibrium at the sizes the
// issue requires, n up to 2000 with beta down to 1e-4 on both paths, and n = 10^4 matrix-free. The
// default suite has the same checks at n <= 300.
#include <gtest/gtest.h>

#include "nlhf/equilibrium.h"
#include "nlhf/generators.h"
#include "nlhf/metrics.h"

namespace nlhf {
namespace {

class LargeEquilibrium : public ::testing::TestWithParam<std::tuple<std::string, int, double>> {};

TEST_P(LargeEquilibrium, IsCertified) {
  const auto& [generator, n, beta] = GetParam();
  const Game game = MakeGame(generator + "(n=" + std::to_string(n) + ")", "softmax_normal", 0);
  const Equilibrium eq = SolveEquilibrium(game, beta);
  ASSERT_TRUE(eq.certified()) << eq.message;
  EXPECT_LE(eq.certificate, 1e-12);
  EXPECT_LE(FpResidual(game, beta, Evaluate(game, eq.log_pi)), 1e-9 / beta);
}

INSTANTIATE_TEST_SUITE_P(
    Sizes, LargeEquilibrium,
    ::testing::Combine(::testing::Values("random_uniform", "tournament"), ::testing::Values(1000, 2000),
                       ::testing::Values(1e-4, 1e-2, 10.0)));

// The matrix-free Krylov path against the dense one where Krylov works hardest: beta = 1e-4 on a random
// game, whose pi* has ~n/2 actions in its support.
TEST(LargeEquilibrium, KrylovMatchesDenseAtTwoThousandActions) {
  const Game game = MakeGame("random_uniform(n=2000)", "softmax_normal", 0);
  const double beta = 1e-4;
  EquilibriumOptions dense_options, krylov_options;
  dense_options.method = EquilibriumMethod::kDense;
  krylov_options.method = EquilibriumMethod::kKrylov;
  dense_options.stability = krylov_options.stability = false;
  const Equilibrium dense = SolveEquilibrium(game, beta, dense_options);
  const Equilibrium krylov = SolveEquilibrium(game, beta, krylov_options);
  ASSERT_TRUE(dense.certified()) << dense.message;
  ASSERT_TRUE(krylov.certified()) << krylov.message;
  EXPECT_EQ(krylov.method, "krylov");
  EXPECT_LE((krylov.pi - dense.pi).cwiseAbs().maxCoeff(), 1e-10);
  EXPECT_LE((krylov.log_pi - dense.log_pi).cwiseAbs().maxCoeff(), 1e-10);
}

// The largest dense target: n = 10^4 (P takes 800 MB), beta = 1e-2, matrix-free (auto picks
// Krylov at this size).
TEST(LargeEquilibrium, CertifiesTenThousandActionsMatrixFree) {
  const Game game = MakeGame("random_uniform(n=10000)", "softmax_normal", 0);
  EquilibriumOptions options;
  options.stability = false;
  const Equilibrium eq = SolveEquilibrium(game, 1e-2, options);
  ASSERT_TRUE(eq.certified()) << eq.message;
  EXPECT_EQ(eq.method, "krylov");
  EXPECT_LE(FpResidual(game, 1e-2, Evaluate(game, eq.log_pi)), 1e-9 / 1e-2);
}

}  // namespace
}  // namespace nlhf
