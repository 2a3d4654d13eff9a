// generators.cc: the storage choice (storage: auto | dense | float32 | implicit) and the operators it builds.
#include "nlhf/generators.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "test_util.h"

namespace nlhf {
namespace {

TEST(Storage, ImplicitIsRefusedForAGeneratorWithoutAnImplicitFormNamingThoseWithOne) {
  testing::ExpectInputError([] { MakeGame("random_uniform(n=5,storage=implicit)", "uniform", 0); },
                            {"game.storage", "implicit is not available for random_uniform",
                             JoinNames(ImplicitGameNames())});
  testing::ExpectInputError(
      [] { MakeGame("rps3(storage=sparse)", "uniform", 0); },
      {"game.storage", "'sparse' is not a storage, expected auto, dense, float32 or implicit"});
  // Naming the default changes nothing, not even the spec string.
  EXPECT_EQ(MakeGame("random_uniform(n=5,storage=dense)", "uniform", 0).game_spec(),
            MakeGame("random_uniform(n=5)", "uniform", 0).game_spec());
  EXPECT_EQ(MakeGame("low_rank_cyclic(n=5,storage=implicit)", "uniform", 0).game_spec(),
            MakeGame("low_rank_cyclic(n=5,storage=auto)", "uniform", 0).game_spec());
}

TEST(Storage, AutoIsImplicitExactlyForTheLowRankGenerators) {
  for (const auto& e : GameRegistry().entries()) {
    const GameStorage s = ResolveStorage(e, GameStorage::kAuto);
    EXPECT_EQ(s == GameStorage::kImplicit, e.name.rfind("low_rank_", 0) == 0) << e.name;
    EXPECT_EQ(ResolveStorage(e, GameStorage::kDense), GameStorage::kDense);
    EXPECT_EQ(ResolveStorage(e, GameStorage::kFloat32), GameStorage::kFloat32);
    // An implicit form comes with its byte count.
    EXPECT_EQ(static_cast<bool>(e.traits.implicit), static_cast<bool>(e.traits.implicit_bytes))
        << e.name;
  }
  // The generators with an implicit form, in registry order: the known ones and any added since.
  std::vector<std::string> implicit;
  for (const auto& e : GameRegistry().entries())
    if (e.traits.implicit) implicit.push_back(e.name);
  EXPECT_EQ(ImplicitGameNames(), implicit);
  for (const char* known : {"bradley_terry", "low_rank_cyclic", "low_rank_disc"})
    EXPECT_NE(std::find(implicit.begin(), implicit.end(), known), implicit.end()) << known;
  EXPECT_EQ(ParseGameStorage("implicit"), GameStorage::kImplicit);
  EXPECT_EQ(ParseGameStorage("Dense"), std::nullopt);
  EXPECT_EQ(GameStorageName(GameStorage::kAuto), "auto");
  EXPECT_EQ(ParseGameStorage("float32"), GameStorage::kFloat32);
  EXPECT_EQ(GameStorageName(GameStorage::kFloat32), "float32");
}

TEST(Storage, Float32IsInTheSpecAndHoldsTheRoundedGameOfEitherSource) {
  // A dense generator (converted from its matrix) and an implicit one (filled from its entries).
  for (const std::string spec : {"random_uniform(n=70,seed=2", "low_rank_cyclic(n=70,k=3,seed=2",
                                 "bradley_terry(n=70,seed=2"}) {
    const Game f = MakeGame(spec + ",storage=float32)", "uniform", 0);
    const Game d = MakeGame(spec + ",storage=dense)", "uniform", 0);
    EXPECT_EQ(f.game_spec().substr(f.game_spec().size() - 17), ",storage=float32)") << f.game_spec();
    EXPECT_EQ(f.dense(), nullptr);
    EXPECT_TRUE(f.preferences().stores_entries());
    EXPECT_EQ(f.preferences().StoredBytes(), 4.0 * 70 * 70);
    // The spec string builds the same game again.
    EXPECT_EQ(MakeGame(f.game_spec(), "uniform", 0).game_spec(), f.game_spec());
    for (Eigen::Index j = 0; j < 70; ++j)
      for (Eigen::Index i = 0; i < 70; ++i) {
        // The lower triangle rounded to float; the upper its exact negation.
        const double a = i > j ? static_cast<double>(static_cast<float>(d.Entry(i, j) - 0.5))
                               : -static_cast<double>(static_cast<float>(d.Entry(j, i) - 0.5));
        ASSERT_EQ(f.Entry(i, j), i == j ? 0.5 : 0.5 + a) << spec << " " << i << " " << j;
      }
  }
}

TEST(Storage, TheByteCountBeforeBuildingIsWhatTheOperatorHolds) {
  for (const std::string& name : ImplicitGameNames()) {
    const auto& e = GameRegistry().Find(name, "game.type");
    const GivenParams given{{"n", std::int64_t{123}}};
    const ParamMap params = ResolveParams(e.params, given, {{"seed", std::int64_t{0}}}, "game");
    EXPECT_EQ(e.traits.implicit_bytes(params),
              MakePreferenceOperator(name, given, 0, GameStorage::kImplicit).P->StoredBytes())
        << name;
  }
}

}  // namespace
}  // namespace nlhf
