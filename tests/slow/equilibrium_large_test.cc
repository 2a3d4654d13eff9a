// Long checks (label `slow`; `ctest --preset slow`): the certified equilibrium at the sizes the
// issue requires, n up to 2000 with beta down to 1e-4. The default suite has the same checks at
// n <= 200.
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

}  // namespace
}  // namespace nlhf
