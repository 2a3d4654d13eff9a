// bradley_terry (lib/src/games/bradley_terry.cc): its implicit form, P x in O(n^2) time and O(n)
// memory with every entry computed as the dense matrix computes it.
#include <gtest/gtest.h>

#include "nlhf/generators.h"
#include "test_util.h"

namespace nlhf {
namespace {

TEST(BradleyTerry, IsDenseByDefaultAndImplicitOnRequest) {
  EXPECT_NE(MakePreferenceOperator("bradley_terry", {}, 0).P->dense(), nullptr);
  const BuiltOperator implicit =
      MakePreferenceOperator("bradley_terry", {}, 0, GameStorage::kImplicit);
  EXPECT_EQ(implicit.P->dense(), nullptr);
  EXPECT_EQ(implicit.P->StoredBytes(), 80.0);  // the 10 ratings
  EXPECT_EQ(implicit.spec,
            "bradley_terry(n=10,scale=1,temperature=1,ratings=[],seed=0,storage=implicit)");
  EXPECT_EQ(MakeGame(implicit.spec, "uniform", 5).game_spec(), implicit.spec);
}

TEST(BradleyTerry, ImplicitEntriesAreTheDenseEntriesBitForBit) {
  // Extreme logits (+-800) too: the stable sigmoid of the dense form.
  const std::vector<double> ratings = {-400.0, 0.0, 1e-9, 3.5, 400.0, -2.0};
  for (const GivenParams& given : {GivenParams{{"n", std::int64_t{300}}, {"scale", 3.0}},
                                   GivenParams{{"n", std::int64_t{6}}, {"ratings", ratings}},
                                   GivenParams{{"n", std::int64_t{50}}, {"temperature", 0.01}}}) {
    const Eigen::MatrixXd P = MakePreferenceMatrix("bradley_terry", given, 4).P;
    const auto op = MakePreferenceOperator("bradley_terry", given, 4, GameStorage::kImplicit).P;
    EXPECT_EQ(Materialize(*op), P);
  }
}

TEST(BradleyTerry, ImplicitProductEqualsTheDenseProduct) {
  for (std::int64_t n : {2, 37, 2000}) {
    const GivenParams given{{"n", n}, {"scale", 2.0}};
    const Eigen::MatrixXd P = MakePreferenceMatrix("bradley_terry", given, 8).P;
    const auto op = MakePreferenceOperator("bradley_terry", given, 8, GameStorage::kImplicit).P;
    Rng rng(1, "x");
    const Eigen::VectorXd pi = testing::RandomLogits(n, rng, 2.0).array().exp();
    Eigen::VectorXd out(n);
    op->Apply(pi, out);
    EXPECT_LE((out - P * pi).cwiseAbs().maxCoeff(), 1e-12) << n;
    Eigen::VectorXd x(n);
    for (Eigen::Index i = 0; i < n; ++i) x[i] = rng.Normal();
    op->Apply(x, out);
    EXPECT_LE((out - P * x).cwiseAbs().maxCoeff(), 1e-12 * x.lpNorm<1>()) << n;
  }
}

}  // namespace
}  // namespace nlhf
