// The memory estimate (memory_estimate.h): the peak of an experiment from its configuration, checked
// before anything is built, with the largest n that fits and the ways out.
#include "nlhf/memory_estimate.h"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cmath>
#include <stdexcept>
#include <string>

#include "nlhf/config.h"
#include "nlhf/equilibrium.h"
#include "nlhf/experiment.h"
#include "test_util.h"

namespace nlhf {
namespace {

using testing::ExpectInputError;

ExperimentConfig Parse(const std::string& text) { return ParseExperiment(text, "exp.yaml", {}, ""); }

constexpr const char* kBase = "name: t\nreference: {type: uniform}\nbeta: 0.1\n";

TEST(Memory, RefusesAGameThatDoesNotFitBeforeBuildingIt) {
  const ExperimentConfig c = Parse(std::string(kBase) + "game: {type: random_uniform, n: 100000}\n"
                                                         "solvers: [{name: nash_mp}]\nseeds: [0, 1, 2]\n");
  MemoryEstimate e = EstimateMemory(c, ResourcePlan{2, false, {}});
  EXPECT_EQ(e.n, 100000);
  EXPECT_EQ(e.n_key, "game.n");
  // Every seed's P, plus the work of 2 equilibria at once: matrix-free at this n, a GMRES basis of
  // r + 1 = 2^24 / n + 1 vectors, its (r + 1) x r Hessenberg matrix and 16 vectors more
  // (EquilibriumWorkBytes), 0.18% of an n x n matrix each.
  const double r = std::floor(16777216.0 / 100000);
  const double krylov = ((100000 + r) * (r + 1) + 16 * 100000) / 1e10;
  EXPECT_NEAR(e.matrices, 3 + 2 * krylov, 1e-12);
  EXPECT_NEAR(e.bytes / (8.0 * 1e10 * 3), 1.0, 0.01);
  e.available_bytes = 16.0 * (1 << 30);
  ExpectInputError([&] { CheckMemory(c, ResourcePlan{2, false, {}}, e); },
                   {"game.n", "100000 needs about 223.9 GiB (estimate: P and the equilibrium's work, 3 n x n matrices",
                    "this machine has 16.0 GiB available", "expected n <= 26481"});
  // A sweep worker holds one game at a time.
  EXPECT_NEAR(EstimateMemory(c, ResourcePlan{2, true, {}}).matrices, 2 * (1 + krylov), 1e-12);
  // Below n = kKrylovFromN pi* takes the dense path: its Jacobian, LU factors and a GMRES basis,
  // just over 3 n x n matrices with P (measured: 3.3 x 8 n^2 bytes peak RSS at n = 2000, beta = 1e-4,
  // the process's own few MB included).
  const ExperimentConfig mid = Parse(std::string(kBase) + "game: {type: random_uniform, n: 3000}\n"
                                                           "solvers: [{name: nash_mp}]\nseeds: [0]\n");
  const double dense_path = EstimateMemory(mid, {}).matrices;
  EXPECT_EQ(dense_path, 1 + EquilibriumWorkBytes(3000, EquilibriumMethod::kAuto) / (8.0 * 3000 * 3000));
  EXPECT_GT(dense_path, 3.0);
  EXPECT_LT(dense_path, 3.2);
  // Small games pass.
  const ExperimentConfig small = Parse(std::string(kBase) + "game: {type: random_uniform, n: 1000}\n"
                                                             "solvers: [{name: nash_mp}]\nseeds: [0]\n");
  EXPECT_NO_THROW(CheckMemory(small, {}, EstimateMemory(small, {})));
}

TEST(Memory, TakesTheAvailableMemoryFromThePlanWhenItHasIt) {
  // A sweep reads what the machine has once and estimates every point against it: the estimate is
  // the one EstimateMemory reads for itself, but for the memory available.
  const ExperimentConfig c = Parse(std::string(kBase) + "game: {type: random_uniform, n: 100000}\n"
                                                         "solvers: [{name: nash_mp}]\nseeds: [0, 1, 2]\n");
  const MemoryEstimate read = EstimateMemory(c, ResourcePlan{2, true, {}});
  const MemoryEstimate given = EstimateMemory(c, ResourcePlan{2, true, 16.0 * (1 << 30)});
  EXPECT_EQ(given.available_bytes, 16.0 * (1 << 30));
  EXPECT_EQ(given.bytes, read.bytes);
  EXPECT_EQ(given.matrices, read.matrices);
  EXPECT_EQ(given.n_key, read.n_key);
}

TEST(Memory, WithoutPiStarAGameBeingPreparedHoldsOnlyP) {
  const ExperimentConfig c = Parse(std::string(kBase) + "game: {type: random_uniform, n: 100000}\n"
                                                         "solvers: [{name: nash_mp}]\nseeds: [0, 1, 2]\n");
  MemoryEstimate e = EstimateMemory(c, ResourcePlan{2, false, {}});
  e.available_bytes = 16.0 * (1 << 30);
  // equilibrium: none is named only where it would fit: below n = 5000, where pi*'s dense work is
  // twice P, not at n = 10^5, where pi* is matrix-free and P alone does not fit either.
  ExpectInputError([&] { CheckMemory(c, ResourcePlan{2, false, {}}, e); },
                   {"(or fewer seeds or --jobs, or an implicit game"});
  const ExperimentConfig mid = Parse(std::string(kBase) + "game: {type: random_uniform, n: 4000}\n"
                                                           "solvers: [{name: nash_mp}]\nseeds: [0]\n");
  MemoryEstimate m = EstimateMemory(mid, {});
  m.available_bytes = 0.35 * (1 << 30);  // 0.43 GiB with pi*, 0.30 GiB without (P and the descriptors' work)
  ExpectInputError([&] { CheckMemory(mid, {}, m); }, {"or fewer seeds or --jobs, or equilibrium: none (no pi*: P alone)"});
  const ExperimentConfig none = Parse(std::string(kBase) + "game: {type: random_uniform, n: 100000}\n"
                                                            "equilibrium: none\nsolvers: [{name: nash_mp}]\nseeds: [0, 1, 2]\n");
  EXPECT_EQ(EstimateMemory(none, ResourcePlan{2, false, {}}).matrices, 3);  // every seed's P, nothing more
  EXPECT_EQ(EstimateMemory(none, ResourcePlan{2, true, {}}).matrices, 2);   // a sweep worker's game
  MemoryEstimate one = EstimateMemory(none, ResourcePlan{1, true, {}});
  one.available_bytes = 16.0 * (1 << 30);
  // (A sweep worker's 2.1 MiB of row blocks and the sweep's 16 MiB of kept games are the program's
  // buffers: 82 MiB with one worker.)
  EXPECT_EQ(MemoryText(none, one), "about 74.6 GiB at the peak (82 MiB for the program and its buffers; P: 1 n x n "
                                   "matrix of doubles, n = 100000), 16.0 GiB available");
  EXPECT_NEAR(EstimateMemory(none, ResourcePlan{8, true, {}}).base_bytes - one.base_bytes, 7 * 2.1 * (1 << 20), 1.0);
  EXPECT_EQ(EstimateMemory(none, ResourcePlan{8, false, {}}).base_bytes, EstimateMemory(none, {}).base_bytes)
      << "nlhf-run's runs hold no blocks of their own";
  EXPECT_NE(MemoryText(c, e).find("; P and the equilibrium's work: 3 n x n matrices of doubles, n = 100000)"),
            std::string::npos);
  // At small n the matrices' own size is given, so that the figure is not read as theirs.
  const ExperimentConfig small = Parse(std::string(kBase) + "game: {type: random_uniform, n: 30}\n"
                                                             "equilibrium: none\nsolvers: [{name: nash_mp}]\n");
  MemoryEstimate s = EstimateMemory(small, ResourcePlan{1, false, {}});
  s.available_bytes = 16.0 * (1 << 30);
  EXPECT_EQ(MemoryText(small, s), "about 64 MiB at the peak (64 MiB for the program and its buffers; P: 2 n x n "
                                  "matrices of doubles, n = 30, 14 KiB of them), 16.0 GiB available");  // 2 x 900 x 8 B
  MemoryEstimate n = EstimateMemory(none, ResourcePlan{2, false, {}});
  n.available_bytes = 16.0 * (1 << 30);
  ExpectInputError([&] { CheckMemory(none, ResourcePlan{2, false, {}}, n); },
                   {"game.n", "(estimate: P, 3 n x n matrices", "expected n <= 26702 (or fewer seeds or --jobs, or an implicit game"});
}

TEST(Memory, RefusesAHundredThousandDenseActionsButAcceptsThemAsAnImplicitLowRankGame) {
  const std::string rest = "solvers: [{name: nash_mp}]\nseeds: [0]\n";
  // Dense, the low-rank game materialized: P and the equilibrium's work, as for any dense game.
  const ExperimentConfig dense =
      Parse(std::string(kBase) + "game: {type: low_rank_cyclic, n: 100000, storage: dense}\n" + rest);
  MemoryEstimate d = EstimateMemory(dense, {});
  EXPECT_FALSE(d.implicit);
  EXPECT_NEAR(d.matrices, 1.0, 0.01);
  d.available_bytes = 16.0 * (1 << 30);
  ExpectInputError([&] { CheckMemory(dense, {}, d); },
                   {"game.n", "100000 needs about 74.7 GiB (estimate: P and the equilibrium's work, 1 n x n matrix of doubles", "expected n <= ",
                    "or game.storage: implicit (P never stored)"});
  MemoryEstimate w = EstimateMemory(Parse(std::string(kBase) + "game: {type: random_uniform, n: 100000}\n" + rest), {});
  w.available_bytes = 16.0 * (1 << 30);
  // Every generator with an implicit form is offered, those implicit by default without the key.
  const ExperimentConfig uniform = Parse(std::string(kBase) + "game: {type: random_uniform, n: 100000}\n" + rest);
  ExpectInputError([&] { CheckMemory(uniform, {}, w); }, {"or an implicit game, which stores no P (low_rank_cyclic, "});
  std::string message;
  try {
    CheckMemory(uniform, {}, w);
  } catch (const InputError& error) {
    message = error.what();
  }
  for (const auto& g : GameRegistry().entries()) {
    if (!g.traits.implicit) continue;
    EXPECT_NE(message.find(g.name), std::string::npos) << g.name << ": " << message;
    EXPECT_EQ(message.find(g.name + " with storage: implicit") != std::string::npos, !g.traits.implicit_by_default)
        << g.name << ": " << message;
  }
  // Implicit (the default for this generator): the operator's F and M, and vectors of n doubles.
  const ExperimentConfig implicit = Parse(std::string(kBase) + "game: {type: low_rank_cyclic, n: 100000}\n" + rest);
  MemoryEstimate e = EstimateMemory(implicit, {});
  EXPECT_TRUE(e.implicit);
  EXPECT_EQ(e.matrices, 0);
  EXPECT_EQ(e.n, 100000);
  EXPECT_EQ(e.operator_bytes, 8.0 * (100000 + 16) * 16);  // k = 8: F (n x 16) and M (16 x 16)
  EXPECT_LT(e.bytes, 0.25 * (1 << 30));
  e.available_bytes = 16.0 * (1 << 30);
  EXPECT_NO_THROW(CheckMemory(implicit, {}, e));
  EXPECT_NE(MemoryText(implicit, e).find("(the implicit game's operator, 12 MiB for each of 1 game held at once"),
            std::string::npos)
      << MemoryText(implicit, e);
  // Linear in n: ten million actions at rank 2 * 512 do not fit in 16 GiB; the message says so.
  const ExperimentConfig huge =
      Parse(std::string(kBase) + "game: {type: low_rank_cyclic, n: 10000000, k: 512}\n" + rest);
  MemoryEstimate h = EstimateMemory(huge, ResourcePlan{2, true, {}});
  EXPECT_EQ(h.games, 2);  // a sweep's two workers hold a game each
  EXPECT_NEAR(h.bytes / (2 * 8.0 * 1e7 * 1024), 1.0, 0.1);
  h.available_bytes = 16.0 * (1 << 30);
  ExpectInputError([&] { CheckMemory(huge, ResourcePlan{2, true, {}}, h); },
                   {"game.n", "10000000 needs about", "implicit game's operator", "expected n <= "});
  // bradley_terry's implicit form keeps only the ratings.
  const ExperimentConfig bt =
      Parse(std::string(kBase) + "game: {type: bradley_terry, n: 100000, storage: implicit}\n" + rest);
  EXPECT_EQ(EstimateMemory(bt, {}).operator_bytes, 8.0 * 100000);
}

// storage: float32 holds 4 n^2 bytes per game and no double matrix once built; building it from a
// dense generator's matrix peaks at that matrix (8 n^2), from an implicit form at the floats.
TEST(Memory, EstimatesAFloat32GameByItsBuildPeakAndItsMatrixFreePiStar) {
  const std::string rest = "solvers: [{name: nash_mp}]\nseeds: [0, 1, 2]\n";
  const double n = 20000;
  const ExperimentConfig c = Parse(std::string(kBase) + "game: {type: random_uniform, n: 20000, storage: float32}\n" + rest);
  const MemoryEstimate e = EstimateMemory(c, ResourcePlan{2, false, {}});
  EXPECT_TRUE(e.float32);
  EXPECT_FALSE(e.implicit);
  EXPECT_EQ(e.matrices, 0);
  EXPECT_EQ(e.operator_bytes, 4 * n * n);
  EXPECT_TRUE(e.from_matrix);
  EXPECT_EQ(e.build_bytes, 8 * n * n + 256 * n);
  EXPECT_EQ(e.equilibrium_bytes, EquilibriumWorkBytes(20000, EquilibriumMethod::kKrylov));  // n >= kKrylovFromN
  EXPECT_EQ(e.games, 3);
  EXPECT_EQ(e.building, 2);
  // One game held, two being built (each at its double matrix's peak), and vectors.
  EXPECT_NEAR(e.bytes, 4 * n * n + 2 * (8 * n * n + 256 * n) + e.vectors * 8 * n + 64.0 * (1 << 20), 1.0);
  EXPECT_NE(MemoryText(c, e).find("(P - 1/2 in float32, 1.5 GiB for each of 3 games held at once; building one "
                                  "peaks at 3.0 GiB (its double matrix), up to 2 at once; pi*'s work"),
            std::string::npos)
      << MemoryText(c, e);
  // From an implicit form's entries: no double matrix.
  const ExperimentConfig lr = Parse(std::string(kBase) + "game: {type: low_rank_cyclic, n: 20000, storage: float32}\n" + rest);
  const MemoryEstimate l = EstimateMemory(lr, {});
  EXPECT_TRUE(l.float32);
  EXPECT_FALSE(l.from_matrix);
  EXPECT_EQ(l.build_bytes, 4 * n * n + 8 * (n + 16) * 16);  // and the operator's F and M (k = 8: 16 columns)
  // Without pi*, none of its work.
  const ExperimentConfig none =
      Parse(std::string(kBase) + "game: {type: random_uniform, n: 20000, storage: float32}\nequilibrium: none\n" + rest);
  EXPECT_EQ(EstimateMemory(none, {}).equilibrium_bytes, 0);
}

// The estimate drops at n = kKrylovFromN, where pi* stops holding dense matrices, so "expected
// n <= X" is found on each side of it: here the largest n that fits is above 5000 although some
// smaller ones do not fit (a single binary search over [0, n] named 4125 as float32's largest).
TEST(Memory, TheLargestNThatFitsIsFoundOnBothSidesOfTheMatrixFreeSwitch) {
  for (const std::string storage : {"dense", "float32"}) {
    const auto config = [&](long n) {
      return Parse(std::string(kBase) + fmt::format("game: {{type: random_uniform, n: {}, storage: {}}}\n", n, storage) +
                   "solvers: [{name: nash_mp}]\nseeds: [0]\n");
    };
    const double available = (storage == "dense" ? 600.0 : 400.0) * (1 << 20);
    MemoryEstimate e = EstimateMemory(config(9000), {});
    e.available_bytes = available;
    std::string message;
    try {
      CheckMemory(config(9000), {}, e);
    } catch (const InputError& error) {
      message = error.what();
    }
    const std::size_t at = message.find("expected n <= ");
    ASSERT_NE(at, std::string::npos) << message;
    const long n_max = std::stol(message.substr(at + 14));
    const auto fits = [&](long n) { return EstimateMemory(config(n), {}).bytes <= available; };
    EXPECT_GT(n_max, 5000) << storage << ": " << message;
    EXPECT_TRUE(fits(n_max)) << storage;
    for (long n = n_max + 1; n <= 9000; n += 97) EXPECT_FALSE(fits(n)) << storage << " n = " << n;
    EXPECT_FALSE(fits(4999)) << storage;  // the band below the switch that does not fit
  }
}

TEST(Memory, NamesFloat32WhenADenseGameWouldFitAsFloat32) {
  const std::string rest = "solvers: [{name: nash_mp}]\nseeds: [0]\n";
  // Four seeds: dense, every seed's P (3.0 GiB each) and pi*'s matrix-free work; float32, three
  // games held at 1.5 GiB while the fourth is built in its double matrix's 3.0 GiB.
  const ExperimentConfig c =
      Parse(std::string(kBase) + "game: {type: random_uniform, n: 20000}\nsolvers: [{name: nash_mp}]\nseeds: [0, 1, 2, 3]\n");
  MemoryEstimate e = EstimateMemory(c, {});
  e.available_bytes = 9.0 * (1 << 30);
  ExpectInputError([&] { CheckMemory(c, {}, e); },
                   {"game.n", "20000 needs about 12.1 GiB", "(or fewer seeds or --jobs, or game.storage: float32 (about 7.5 "
                    "GiB: P - 1/2 held in float, 4 bytes per entry, the game rounded by <= 1.5e-8), or an implicit game"});
  // Where float32 would not fit either, it is not offered.
  e.available_bytes = 2.0 * (1 << 30);
  try {
    CheckMemory(c, {}, e);
    FAIL() << "expected an error";
  } catch (const InputError& error) {
    EXPECT_EQ(std::string(error.what()).find("float32"), std::string::npos) << error.what();
  }
  // A float32 game that does not fit: its own estimate, the largest n that fits, and the ways out.
  const ExperimentConfig f = Parse(std::string(kBase) + "game: {type: random_uniform, n: 20000, storage: float32}\n" + rest);
  MemoryEstimate fe = EstimateMemory(f, {});
  fe.available_bytes = 2.0 * (1 << 30);
  std::string message;
  try {
    CheckMemory(f, {}, fe);
  } catch (const InputError& error) {
    message = error.what();
  }
  EXPECT_NE(message.find("20000 needs about 3.1 GiB (estimate: P - 1/2 in float32, 1526 MiB for each of 1 game held "
                         "at once; building one peaks at 3057 MiB (its double matrix)"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("or an implicit game, which stores no P"), std::string::npos) << message;
  // The n it names fits, and one more does not.
  const std::size_t at = message.find("expected n <= ");
  ASSERT_NE(at, std::string::npos) << message;
  const long n_max = std::stol(message.substr(at + 14));
  const auto bytes = [&](long n) {
    return EstimateMemory(Parse(std::string(kBase) + fmt::format("game: {{type: random_uniform, n: {}, storage: float32}}\n", n) + rest), {})
        .bytes;
  };
  EXPECT_LE(bytes(n_max), fe.available_bytes);
  EXPECT_GT(bytes(n_max + 1), fe.available_bytes);
}

TEST(Memory, TakesNFromAMatrixFileWithoutReadingItWhole) {
  testing::TempDir dir;
  std::string csv;
  for (int i = 0; i < 40; ++i) {
    for (int j = 0; j < 40; ++j) csv += j ? ",0.5" : "0.5";
    csv += "\n";
  }
  const std::string path = dir.File("P.csv", csv);
  const ExperimentConfig c =
      Parse(std::string(kBase) + "game: {type: matrix, path: " + path + "}\nsolvers: [{name: nash_mp}]\nseeds: [0]\n"
                           "stop: {iterations: 10, tolerance: {gap_beta: 1.0e-9}}\n");
  MemoryEstimate e = EstimateMemory(c, {});
  EXPECT_EQ(e.n, 40);
  EXPECT_EQ(e.n_key, "game.path");
  e.available_bytes = 1.0;
  ExpectInputError([&] { CheckMemory(c, {}, e); }, {"game.path", "a 40 x 40 matrix needs about"});
  // The file's size bounds n: a first line of 10 000 fields in a 20 kB file is at most 101 x 101.
  const std::string wide = dir.File("wide.csv", std::string(19999, ',') + "\n");
  const ExperimentConfig w =
      Parse(std::string(kBase) + "game: {type: matrix, path: " + wide + "}\nsolvers: [{name: nash_mp}]\nseeds: [0]\n");
  EXPECT_EQ(EstimateMemory(w, {}).n, 101);
}

TEST(Memory, HoldsNoTraceRows) {
  // A billion logged rows need no memory: they stream to files (output/trace.h).
  const std::string game = "game: {type: rps3}\nsolvers: [{name: nash_mp}, {name: omd}]\nseeds: [0, 1]\n";
  const ExperimentConfig many = Parse(std::string(kBase) + game + "stop: {iterations: 1000000000}\nlog: {every: 1}\n");
  const ExperimentConfig few = Parse(std::string(kBase) + game + "stop: {iterations: 10}\n");
  EXPECT_EQ(EstimateMemory(many, {}).bytes, EstimateMemory(few, {}).bytes);
}

}  // namespace
}  // namespace nlhf
