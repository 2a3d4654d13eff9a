// Properties every registered game generator and reference policy must have. The suites iterate
// over the registries, so a newly registered entry is tested the moment it is listed.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "nlhf/generators.h"
#include "nlhf/spec.h"
#include "test_util.h"

namespace nlhf {
namespace {

// Parameters a generator cannot default (the matrix and nfg generators need a file).
GivenParams ExtraParams(const std::string& name, const testing::TempDir& dir) {
  if (name == "matrix")
    return {{"path", dir.File("P.csv", "0.5,0.3,0.9\n0.7,0.5,0.2\n0.1,0.8,0.5\n")}};
  if (name == "nfg")
    return {{"path", dir.File("P.nfg", "NFG 1 R \"\" { \"\" \"\" } { 3 3 }\n0.5 0.5 0.7 0.3 0.1 0.9 0.3 0.7 0.5 0.5 "
                                       "0.8 0.2 0.9 0.1 0.2 0.8 0.5 0.5\n")}};
  return {};
}

bool HasParam(const std::vector<ParamSpec>& specs, const std::string& name) {
  for (const ParamSpec& s : specs)
    if (s.name == name) return true;
  return false;
}

std::vector<std::string> GameNames() { return GameRegistry().Names(); }

// Generators that draw random numbers (they have a `seed` parameter).
std::vector<std::string> SeededGameNames() {
  std::vector<std::string> out;
  for (const auto& e : GameRegistry().entries())
    if (HasParam(e.params, "seed")) out.push_back(e.name);
  return out;
}

class GeneratorProperties : public ::testing::TestWithParam<std::string> {
 protected:
  testing::TempDir dir_;
  const GameRegistryEntry& entry() const { return GameRegistry().Find(GetParam(), "game.type"); }
  // Parameter sets to try: each size (odd, so cyclic accepts them) if the entry has n.
  std::vector<GivenParams> Variants() const {
    std::vector<GivenParams> out;
    const GivenParams extra = ExtraParams(GetParam(), dir_);
    if (!HasParam(entry().params, "n")) return {extra};
    for (std::int64_t n : {3, 7, 25}) {
      GivenParams g = extra;
      g.emplace_back("n", n);
      out.push_back(g);
    }
    return out;
  }
};

TEST_P(GeneratorProperties, SatisfiesTheGameInvariants) {
  for (const GivenParams& given : Variants()) {
    for (std::uint64_t seed : {0u, 1u, 17u}) {
      // MakePreferenceMatrix validates: entries finite and in [0, 1], P + P^T = 1 within 1e-12 (what a
      // user's matrix file may carry, so a generator that reads a file promises no more). One that
      // computes P promises P + P^T = 1 to rounding (a few ulps, as PreferencesFromLogits and
      // PreferencesFromMargin give); every one an exact diagonal.
      const BuiltMatrix m = MakePreferenceMatrix(GetParam(), given, seed);
      const Eigen::MatrixXd& P = m.P;
      const bool from_file = HasParam(entry().params, "path");
      EXPECT_LE(((P + P.transpose()).array() - 1.0).abs().maxCoeff(),
                from_file ? kGameTolerance : 4 * std::numeric_limits<double>::epsilon());
      for (Eigen::Index i = 0; i < P.rows(); ++i) EXPECT_EQ(P(i, i), 0.5);
    }
  }
}

TEST_P(GeneratorProperties, SameSeedGivesTheSameMatrix) {
  for (const GivenParams& given : Variants()) {
    const BuiltMatrix a = MakePreferenceMatrix(GetParam(), given, 5);
    const BuiltMatrix b = MakePreferenceMatrix(GetParam(), given, 5);
    EXPECT_EQ(a.P, b.P);
    EXPECT_EQ(a.spec, b.spec);
  }
}

class SeededGeneratorProperties : public GeneratorProperties {};

TEST_P(SeededGeneratorProperties, DifferentSeedsGiveDifferentMatrices) {
  for (const GivenParams& given : Variants()) {
    const BuiltMatrix a = MakePreferenceMatrix(GetParam(), given, 1);
    const BuiltMatrix b = MakePreferenceMatrix(GetParam(), given, 2);
    if (a.P.rows() >= 7) {
      EXPECT_NE(a.P, b.P) << a.spec;
    }
    EXPECT_NE(a.spec, b.spec);
  }
}

TEST_P(SeededGeneratorProperties, SeedInTheSpecOverridesTheRunSeed) {
  GivenParams given = Variants().back();
  given.emplace_back("seed", std::int64_t{3});
  EXPECT_EQ(MakePreferenceMatrix(GetParam(), given, 100).P, MakePreferenceMatrix(GetParam(), given, 200).P);
}

TEST_P(GeneratorProperties, CanonicalSpecRoundTrips) {
  for (const GivenParams& given : Variants()) {
    const BuiltMatrix a = MakePreferenceMatrix(GetParam(), given, 9);
    // Rebuilding from the canonical spec string with another run seed gives the same game.
    const SpecCall call = ParseSpec(a.spec);
    EXPECT_EQ(call.name, GetParam());
    EXPECT_EQ(call.args.size(), entry().params.size());  // every parameter is written out
    const BuiltMatrix b = MakePreferenceMatrix(call.name, ParseGivenParams(entry().params, call.args, "game"), 12345);
    EXPECT_EQ(a.P, b.P);
    EXPECT_EQ(a.spec, b.spec);
  }
}

// storage: float32 on every generator (float32_operator.h): the stored game is the dense game with
// its lower triangle's margins rounded to float and the upper triangle their exact negation, a valid
// preference game; its products are within 2^-26 sum|x| of the dense game's; the spec says float32
// and rebuilds it.
TEST_P(GeneratorProperties, Float32StorageIsTheFloatRoundedGame) {
  for (const GivenParams& given : Variants()) {
    for (std::uint64_t seed : {0u, 17u}) {
      const BuiltMatrix dense = MakePreferenceMatrix(GetParam(), given, seed);
      const BuiltOperator f = MakePreferenceOperator(GetParam(), given, seed, GameStorage::kFloat32);
      ASSERT_EQ(f.P->dense(), nullptr);
      const Eigen::Index n = dense.P.rows();
      const Eigen::MatrixXd P = Materialize(*f.P);
      for (Eigen::Index j = 0; j < n; ++j)
        for (Eigen::Index i = 0; i < n; ++i) {
          const double a = i > j ? static_cast<double>(static_cast<float>(dense.P(i, j) - 0.5))
                                 : -static_cast<double>(static_cast<float>(dense.P(j, i) - 0.5));
          ASSERT_EQ(P(i, j), i == j ? 0.5 : 0.5 + a) << f.spec << " " << i << " " << j;
        }
      EXPECT_NO_THROW(ValidatePreferenceMatrix(P, "game")) << f.spec;
      Rng rng(seed, "policy");
      const Eigen::VectorXd x = testing::RandomLogits(n, rng, 1.5);
      Eigen::VectorXd g(n);
      f.P->Apply(x, g);
      EXPECT_LE((g - P * x).cwiseAbs().maxCoeff(), 1e-14 * x.cwiseAbs().sum()) << f.spec;
      EXPECT_LE((g - dense.P * x).cwiseAbs().maxCoeff(), (std::ldexp(1.0, -26) + 1e-14) * x.cwiseAbs().sum())
          << f.spec;
      EXPECT_NE(f.spec.find("storage=float32"), std::string::npos) << f.spec;
      const Game again = MakeGame(f.spec, "uniform", seed + 1000);
      EXPECT_EQ(again.game_spec(), f.spec);
      EXPECT_EQ(Materialize(again.preferences()), P) << f.spec;
    }
  }
}

TEST_P(GeneratorProperties, HasDocumentedParameters) {
  EXPECT_FALSE(entry().doc.empty());
  for (const ParamSpec& p : entry().params) {
    EXPECT_FALSE(p.doc.empty()) << p.name;
    EXPECT_FALSE(p.AllowedText().empty()) << p.name;
    if (p.default_value) {
      EXPECT_NO_THROW(CheckParamValue(p, *p.default_value, p.name)) << p.name;
    }
  }
}

TEST_P(GeneratorProperties, RejectsUnknownParameters) {
  GivenParams given = ExtraParams(GetParam(), dir_);
  given.emplace_back("no_such_param", 1.0);
  testing::ExpectInputError([&] { MakePreferenceMatrix(GetParam(), given, 0); },
                            {"game.no_such_param", "unknown parameter"});
}

// Generators with an implicit form (storage: implicit): it is the same game as the dense matrix.
class ImplicitGeneratorProperties : public GeneratorProperties {};

TEST_P(ImplicitGeneratorProperties, ImplicitFormIsTheDenseGame) {
  for (const GivenParams& given : Variants()) {
    for (std::uint64_t seed : {0u, 17u}) {
      const BuiltMatrix dense = MakePreferenceMatrix(GetParam(), given, seed);
      const BuiltOperator implicit = MakePreferenceOperator(GetParam(), given, seed, GameStorage::kImplicit);
      ASSERT_EQ(implicit.P->dense(), nullptr);
      const Eigen::MatrixXd P = Materialize(*implicit.P);
      EXPECT_EQ(P, dense.P) << implicit.spec;  // entry for entry, the same bits
      EXPECT_LE(((P + P.transpose()).array() - 1.0).abs().maxCoeff(), 1e-12);
      for (Eigen::Index i = 0; i < P.rows(); ++i) EXPECT_EQ(P(i, i), 0.5);
      EXPECT_GE(P.minCoeff(), 0.0);
      EXPECT_LE(P.maxCoeff(), 1.0);
      Rng rng(seed, "policy");
      const Eigen::VectorXd pi = testing::RandomLogits(P.rows(), rng, 1.5).array().exp();
      Eigen::VectorXd g(P.rows());
      const double* data = g.data();
      implicit.P->Apply(pi, g);
      EXPECT_EQ(g.data(), data);
      EXPECT_LE((g - dense.P * pi).cwiseAbs().maxCoeff(), 1e-12) << implicit.spec;
      // The same seed gives the same products, bit for bit.
      Eigen::VectorXd again(P.rows());
      MakePreferenceOperator(GetParam(), given, seed, GameStorage::kImplicit).P->Apply(pi, again);
      EXPECT_EQ(again, g);
    }
  }
}

TEST_P(ImplicitGeneratorProperties, StorageOtherThanTheDefaultIsInTheSpec) {
  const GivenParams given = Variants().back();
  const BuiltOperator a = MakePreferenceOperator(GetParam(), given, 2, GameStorage::kImplicit);
  const BuiltOperator b = MakePreferenceOperator(GetParam(), given, 2, GameStorage::kDense);
  EXPECT_NE(a.spec, b.spec);
  const BuiltMatrix m = MakePreferenceMatrix(GetParam(), given, 2);
  // One of the two is the default: its spec is the generator's canonical spec, unchanged.
  EXPECT_TRUE(a.spec == m.spec || b.spec == m.spec) << a.spec << " " << b.spec;
  for (const BuiltOperator* built : {&a, &b}) {
    const Game game = MakeGame(built->spec, "uniform", 999);
    EXPECT_EQ(game.game_spec(), built->spec);
    EXPECT_EQ(game.dense() == nullptr, built->P->dense() == nullptr) << built->spec;
  }
}

INSTANTIATE_TEST_SUITE_P(ImplicitGenerators, ImplicitGeneratorProperties, ::testing::ValuesIn(ImplicitGameNames()),
                         [](const auto& test_info) { return test_info.param; });

INSTANTIATE_TEST_SUITE_P(AllGenerators, GeneratorProperties, ::testing::ValuesIn(GameNames()),
                         [](const auto& test_info) { return test_info.param; });
INSTANTIATE_TEST_SUITE_P(SeededGenerators, SeededGeneratorProperties,
                         ::testing::ValuesIn(SeededGameNames()),
                         [](const auto& test_info) { return test_info.param; });

class ReferenceProperties : public ::testing::TestWithParam<std::string> {
 protected:
  testing::TempDir dir_;
  GivenParams Extra(Eigen::Index n) const {
    if (GetParam() != "file") return {};
    std::string text;
    for (Eigen::Index y = 0; y < n; ++y) text += y + 1 < n ? "0.125\n" : "";
    text += std::to_string(1.0 - 0.125 * static_cast<double>(n - 1)) + "\n";
    return {{"path", dir_.File("mu.csv", text)}};
  }
};

TEST_P(ReferenceProperties, IsAStrictlyPositiveDistributionAndReproducible) {
  for (Eigen::Index n : {2, 5}) {
    const BuiltReference a = MakeReference(GetParam(), Extra(n), n, 4);
    EXPECT_EQ(a.mu.size(), n);
    EXPECT_GT(a.mu.minCoeff(), 0.0);
    EXPECT_NEAR(a.mu.sum(), 1.0, 1e-12);
    EXPECT_EQ(a.mu, MakeReference(GetParam(), Extra(n), n, 4).mu);
    const SpecCall call = ParseSpec(a.spec);
    EXPECT_EQ(call.name, GetParam());
  }
}

TEST_P(ReferenceProperties, RejectsUnknownParameters) {
  GivenParams given = Extra(3);
  given.emplace_back("bogus", 1.0);
  testing::ExpectInputError([&] { MakeReference(GetParam(), given, 3, 0); }, {"reference.bogus"});
}

INSTANTIATE_TEST_SUITE_P(AllReferences, ReferenceProperties,
                         ::testing::ValuesIn(ReferenceRegistry().Names()),
                         [](const auto& test_info) { return test_info.param; });

TEST(Registries, UnknownNamesListTheValidOnes) {
  testing::ExpectInputError([] { MakeGame("bradly_terry", "uniform", 0); },
                            {"game.type", "unknown game 'bradly_terry'", "did you mean 'bradley_terry'",
                             "random_uniform"});
  testing::ExpectInputError([] { MakeGame("rps3", "unifrom", 0); },
                            {"reference.type", "did you mean 'uniform'"});
}

TEST(Registries, CrossParameterChecksNameTheKey) {
  testing::ExpectInputError([] { MakeGame("bradley_terry(n=3,ratings=[1,2])", "uniform", 0); },
                            {"game.ratings", "has 2 values but n = 3"});
  testing::ExpectInputError([] { MakeGame("cyclic(n=4)", "uniform", 0); }, {"game.n", "odd"});
  testing::ExpectInputError([] { MakeGame("rps3(x=0.3)", "uniform", 0); }, {"game.x", "(0.5, 1]"});
}

TEST(Registries, FileReferenceMustMatchTheGameSize) {
  testing::TempDir dir;
  const std::string mu = dir.File("mu.csv", "0.5\n0.5\n");
  testing::ExpectInputError([&] { MakeGame("rps3", "file(path=" + mu + ")", 0); },
                            {"reference", "has 2 entries but the game has 3 actions"});
}

}  // namespace
}  // namespace nlhf
