// nfg (lib/src/games/nfg.cc): the game type that reads a Gambit .nfg file, through the registry,
// the spec strings and an experiment's YAML, whose `path` is hashed like a matrix CSV's so that a
// changed file is refused on resume.
#include "nlhf/nfg.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "nlhf/config.h"
#include "nlhf/generators.h"
#include "nlhf/memory_estimate.h"
#include "nlhf/sha256.h"
#include "test_util.h"

namespace nlhf {
namespace {

using testing::ExpectInputError;
using testing::TempDir;

TEST(NfgGame, IsTheGameItWasExportedFromBitForBit) {
  TempDir dir;
  for (const char* spec :
       {"random_uniform(n=12,seed=3)", "bradley_terry(n=9,scale=2)", "tournament(n=8,seed=1)"}) {
    const Game original = MakeGame(spec, "uniform", 0);
    const std::string path = dir.File("g.nfg", NfgText(original.preferences(), NfgForm::kP, spec));
    const Game back = MakeGame("nfg(path=" + path + ")", "uniform", 0);
    EXPECT_EQ(back.game_spec(), "nfg(path=" + path + ")");
    ASSERT_EQ(back.n(), original.n());
    EXPECT_EQ(std::memcmp(back.P().data(), original.P().data(),
                          sizeof(double) * static_cast<size_t>(back.P().size())),
              0)
        << spec;
  }
}

TEST(NfgGame, TakesEveryStorage) {
  TempDir dir;
  const Eigen::MatrixXd P = MakePreferenceMatrix("rps3", {}, 0).P;
  const std::string path =
      dir.File("rps.nfg", NfgText(DenseOperator(P), NfgForm::kCentered, "rps3"));
  const BuiltOperator f32 =
      MakePreferenceOperator("nfg", {{"path", path}}, 0, GameStorage::kFloat32);
  EXPECT_EQ(f32.spec, "nfg(path=" + path + ",storage=float32)");
  EXPECT_LE((Materialize(*f32.P) - P).cwiseAbs().maxCoeff(), 1.5e-8);
  ExpectInputError(
      [&] {
        MakePreferenceOperator("nfg", {{"path", path}}, 0, GameStorage::kImplicit);
      },
      {"game.storage", "implicit"});
}

TEST(NfgGame, ReportsAMalformedFileAtItsLineAndColumnUnderGamePath) {
  TempDir dir;
  const std::string path =
      dir.File("bad.nfg", "NFG 1 R \"\" { \"\" \"\" } { 2 2 }\n0.5 0.5\n0.7 0.2\n");
  ExpectInputError([&] { MakeGame("nfg(path=" + path + ")", "uniform", 0); },
                   {path + ":3:1: game.path: u1 + u2 = 0.7 + 0.2"});
  ExpectInputError([&] { MakeGame("nfg", "uniform", 0); }, {"path"});
}

class NfgInputs : public ::testing::Test {
 protected:
  std::string Experiment(const std::string& nfg) {
    std::ofstream(dir_.Path("g.nfg")) << nfg;
    const std::string yaml = dir_.Path("exp.yaml");
    std::ofstream(yaml)
        << "game: {type: nfg, path: g.nfg}\nbeta: 0.1\nsolvers: [{name: nash_mp}]\n";
    return yaml;
  }
  static constexpr const char* kRps =
      "NFG 1 R \"\" { \"\" \"\" } { 3 3 }\n"
      "0 0 0.5 -0.5 -0.5 0.5 -0.5 0.5 0 0 0.5 -0.5 0.5 -0.5 -0.5 0.5 0 0\n";
  TempDir dir_;
};

TEST_F(NfgInputs, ThePathIsHashedAndAChangedFileIsRefusedOnResume) {
  const ExperimentConfig c = LoadExperiment(Experiment(kRps));
  ASSERT_EQ(c.inputs.size(), 1u);
  EXPECT_EQ(c.inputs[0].key, "game.path");
  EXPECT_EQ(c.inputs[0].sha256, Sha256Hex(kRps));
  const std::string resolved = dir_.Path("config.resolved.yaml");
  std::ofstream(resolved) << ResolvedYaml(c);
  EXPECT_EQ(ExperimentFingerprint(LoadExperiment(resolved)), ExperimentFingerprint(c));
  std::ofstream(dir_.Path("g.nfg")) << std::string(kRps) + "\n";
  ExpectInputError([&] { LoadExperiment(resolved); },
                   {"game.sha256: " + c.inputs[0].path + " has changed"});
}

TEST_F(NfgInputs, TheMemoryEstimateReadsNFromTheHeader) {
  const MemoryEstimate e = EstimateMemory(LoadExperiment(Experiment(kRps)), ResourcePlan{});
  EXPECT_EQ(e.n, 3);
  EXPECT_EQ(e.n_key, "game.path");
}

}  // namespace
}  // namespace nlhf
