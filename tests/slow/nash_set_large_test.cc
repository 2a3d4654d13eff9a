// Long checks (label `slow`; `ctest --preset slow`): the beta = 0 equilibrium at the size the issue
// measures, n = 1000, on generic (random_uniform), degenerate (tournament with ties) and transitive
// (bradley_terry) games, under both selections. The default suite has the same checks at n <= 60
// (tests/unit/nash_set_test.cc), with independent LP checks of the support and the selection.
#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <tuple>

#include "nlhf/generators.h"
#include "nlhf/metrics.h"
#include "nlhf/nash_set.h"

namespace nlhf {

// How gtest (and so ctest's test names) shows a selection: "kl_projection", not its bytes. (In
// namespace nlhf, where argument-dependent lookup finds it; static: this file's own.)
[[maybe_unused]] static void PrintTo(NashSelection s, std::ostream* os) { *os << NashSelectionName(s); }

namespace {

class LargeNashSet : public ::testing::TestWithParam<std::tuple<std::string, NashSelection>> {};

TEST_P(LargeNashSet, IsCertified) {
  const auto& [spec, selection] = GetParam();
  const Game game = MakeGame(spec, "softmax_normal", 0);
  const NashEquilibrium ne = SolveNashEquilibrium(game, {.selection = selection});
  ASSERT_TRUE(ne.certified) << ne.message;
  EXPECT_LE(ne.certificate, 1e-9);
  EXPECT_LE(Gap0(Evaluate(game, ne.log_pi)), 1e-9);
  EXPECT_NEAR(ne.value, 0.5, 1e-7);
  for (Eigen::Index y : ne.support) EXPECT_GT(ne.pi[y], 0.0);
  EXPECT_EQ((ne.pi.array() > 0.0).count(), static_cast<Eigen::Index>(ne.support.size()));
}

INSTANTIATE_TEST_SUITE_P(
    Sizes, LargeNashSet,
    ::testing::Combine(::testing::Values("random_uniform(n=1000)", "tournament(n=1000,ties=0.3)",
                                         "bradley_terry(n=1000)"),
                       ::testing::Values(NashSelection::kKlProjection, NashSelection::kMaxEntropy)));

}  // namespace
}  // namespace nlhf
