// generators.cc: the storage choice (storage: auto | dense | implicit) and the operators it builds.
#include "nlhf/generators.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace nlhf {
namespace {

TEST(Storage, ImplicitIsRefusedForAGeneratorWithoutAnImplicitFormNamingThoseWithOne) {
  testing::ExpectInputError([] { MakeGame("random_uniform(n=5,storage=implicit)", "uniform", 0); },
                            {"game.storage", "implicit is not available for random_uniform",
                             "bradley_terry, low_rank_cyclic or low_rank_disc"});
  testing::ExpectInputError(
      [] { MakeGame("rps3(storage=sparse)", "uniform", 0); },
      {"game.storage", "'sparse' is not a storage, expected auto, dense or implicit"});
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
    // An implicit form comes with its byte count.
    EXPECT_EQ(static_cast<bool>(e.traits.implicit), static_cast<bool>(e.traits.implicit_bytes))
        << e.name;
  }
  EXPECT_EQ(ImplicitGameNames(),
            (std::vector<std::string>{"bradley_terry", "low_rank_cyclic", "low_rank_disc"}));
  EXPECT_EQ(ParseGameStorage("implicit"), GameStorage::kImplicit);
  EXPECT_EQ(ParseGameStorage("Dense"), std::nullopt);
  EXPECT_EQ(GameStorageName(GameStorage::kAuto), "auto");
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
