// Long checks (label `slow`; `ctest --preset slow`): the matrix-free Lanczos rho against the dense
// eigendecomposition at the sizes issue 13 names, n = 1000 and 2000, 1e-8 relative, on every kind of
// generator at mu and at pi*. The default suite has the same check at n = 100 and 300
// (tests/unit/equilibrium_test.cc).
#include <gtest/gtest.h>

#include <string>
#include <tuple>

#include "nlhf/equilibrium.h"
#include "nlhf/generators.h"

namespace nlhf {
namespace {

class LargeSpectralRadius : public ::testing::TestWithParam<std::tuple<std::string, int>> {};

TEST_P(LargeSpectralRadius, LanczosAgreesWithDense) {
  const auto& [generator, n] = GetParam();
  // cyclic needs an odd n.
  const int size = generator == "cyclic" ? n + 1 : n;
  const Game game = MakeGame(generator + "(n=" + std::to_string(size) + ")", "softmax_normal", 0);
  for (const double beta : {0.0, 1e-2, 1e-3}) {
    if (beta == 1e-3 && n > 1000) continue;  // the dense pi* at n = 2000 and small beta takes minutes
    Eigen::VectorXd pi = game.mu();
    if (beta > 0.0) {
      const Equilibrium eq = SolveEquilibrium(game, beta, {.stability = false});
      ASSERT_TRUE(eq.certified()) << eq.message;
      pi = eq.pi;
    }
    const SpectralRadiusResult dense = ComputeSpectralRadius(game, pi, SpectralRadiusMethod::kDense);
    const SpectralRadiusResult lanczos = ComputeSpectralRadius(game, pi, SpectralRadiusMethod::kLanczos);
    ASSERT_TRUE(lanczos.converged) << lanczos.message;
    if (lanczos.rho == 0.0) {
      EXPECT_LE(dense.rho, SpectralRadiusResolution(game.n())) << "beta " << beta;
    } else {
      EXPECT_NEAR(lanczos.rho, dense.rho, 1e-8 * dense.rho) << "beta " << beta << ": " << lanczos.message;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Sizes, LargeSpectralRadius,
                         ::testing::Combine(::testing::Values("random_uniform", "disc", "cyclic", "bradley_terry",
                                                              "hodge"),
                                            ::testing::Values(1000, 2000)));

}  // namespace
}  // namespace nlhf
