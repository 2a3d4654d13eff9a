// The beta = 0 equilibrium: known answers (docs/mathematics.md, known answers), exact Nash sets with
// a stated selection, independent LP checks of the support and of the selection's optimality on the
// face, the beta -> 0 continuation of pi*_beta, and an LP that is stopped early.
#include "nlhf/nash_set.h"

#include <ClpSimplex.hpp>
#include <Eigen/Dense>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <atomic>
#include <optional>
#include <vector>

#include "nlhf/descriptors.h"
#include "nlhf/cancel.h"
#include "nlhf/equilibrium.h"
#include "nlhf/errors.h"
#include "nlhf/generators.h"
#include "nlhf/logspace.h"
#include "nlhf/metrics.h"

namespace nlhf {
namespace {

Game GameFromMargin(const Eigen::MatrixXd& A, Eigen::VectorXd mu = Eigen::VectorXd()) {
  const Eigen::Index n = A.rows();
  if (mu.size() == 0) mu = Eigen::VectorXd::Constant(n, 1.0 / static_cast<double>(n));
  Eigen::MatrixXd P = (A.array() + 0.5).matrix();
  return Game(P, mu, "margin", "given");
}

// Rock-paper-scissors on {0, 1, 2} (1 beats 0, 2 beats 1, 0 beats 2), plus action 3, a clone of rock
// that ties with it: the Nash set is {(a, 1/3, 1/3, 1/3 - a) : a in [0, 1/3]}.
Eigen::MatrixXd RpsWithClone() {
  Eigen::MatrixXd A = Eigen::MatrixXd::Zero(4, 4);
  auto set = [&](int i, int j, double v) {
    A(i, j) = v;
    A(j, i) = -v;
  };
  set(1, 0, 0.5);
  set(2, 1, 0.5);
  set(0, 2, 0.5);
  set(1, 3, 0.5);
  set(3, 2, 0.5);
  return A;
}

// An independent LP over the whole Nash set N = {v in the simplex, A v <= 0}, built here and not by
// the library: min (sense 1) or max (sense -1) c^T v. Returns the optimal value.
double OptimizeOverNashSet(const Game& game, const Eigen::VectorXd& c, double sense) {
  const int n = static_cast<int>(game.n());
  std::vector<CoinBigIndex> start;
  std::vector<int> index;
  std::vector<double> value, col_lo(static_cast<size_t>(n), 0.0), col_up(static_cast<size_t>(n), COIN_DBL_MAX),
      obj(c.data(), c.data() + n), row_lo(static_cast<size_t>(n + 1), -COIN_DBL_MAX),
      row_up(static_cast<size_t>(n + 1), 0.0);
  row_lo[static_cast<size_t>(n)] = row_up[static_cast<size_t>(n)] = 1.0;
  for (int j = 0; j < n; ++j) {
    start.push_back(static_cast<CoinBigIndex>(index.size()));
    for (int y = 0; y < n; ++y) {
      index.push_back(y);
      value.push_back(game.Entry(y, j) - 0.5);
    }
    index.push_back(n);
    value.push_back(1.0);
  }
  start.push_back(static_cast<CoinBigIndex>(index.size()));
  ClpSimplex model;
  model.setLogLevel(0);
  model.loadProblem(n, n + 1, start.data(), index.data(), value.data(), col_lo.data(), col_up.data(), obj.data(),
                    row_lo.data(), row_up.data());
  model.setOptimizationDirection(sense);
  model.setPrimalTolerance(1e-10);
  model.setDualTolerance(1e-10);
  model.dual();
  EXPECT_EQ(model.status(), 0);
  return model.objectiveValue();
}

// The checks every certified answer must pass, whatever the game: pi is an equilibrium (gap_0 <= 1e-12
// recomputed here), its support is S exactly, S is maximal (no point of N puts mass off S: an LP), and
// the selection is optimal on N: its Frank-Wolfe gap max_{v in N} grad^T (pi - v) is ~0 (an LP).
void ExpectSound(const Game& game, const NashEquilibrium& ne) {
  ASSERT_TRUE(ne.certified) << ne.message;
  const Eigen::Index n = game.n();
  EXPECT_NEAR(ne.pi.sum(), 1.0, 1e-14);
  EXPECT_LE(Gap0(Evaluate(game, ne.log_pi)), 1e-12);
  EXPECT_NEAR(ne.value, 0.5, 1e-9);
  Eigen::VectorXd off = Eigen::VectorXd::Ones(n);
  for (Eigen::Index y : ne.support) {
    EXPECT_GT(ne.pi[y], 0.0);
    off[y] = 0.0;
  }
  for (Eigen::Index y = 0; y < n; ++y) {
    if (off[y] == 1.0) { EXPECT_EQ(ne.pi[y], 0.0); }
  }
  // (CLP's feasibility tolerance, 1e-10 on rows of size ~n/2, lets its optimum reach ~1e-8.)
  EXPECT_LE(OptimizeOverNashSet(game, off, -1.0), 1e-6) << "an equilibrium plays off the reported support";
  if (!ne.unique()) {
    // grad KL(pi || q) on S; off S any v in N is 0, so a large cost there changes nothing.
    Eigen::VectorXd grad = Eigen::VectorXd::Constant(n, 1e3);
    for (Eigen::Index y : ne.support)
      grad[y] = std::log(ne.pi[y]) - (ne.selection == NashSelection::kKlProjection
                                          ? game.log_mu()[y]
                                          : -std::log(static_cast<double>(n)));
    const double fw_gap = grad.dot(ne.pi) - OptimizeOverNashSet(game, grad, 1.0);
    EXPECT_LE(fw_gap, 1e-7) << "the selection is not optimal on the Nash set";
  }
}

TEST(NashSet, ComalRps3HasItsKnownEquilibrium) {
  const Game game = MakeGame("rps3(x=0.9,y=0.9,z=0.8)", "softmax_normal(scale=1)", 0);
  for (NashSelection s : NashSelections()) {
    const NashEquilibrium ne = SolveNashEquilibrium(game, {.selection = s});
    ExpectSound(game, ne);
    EXPECT_TRUE(ne.unique());
    EXPECT_EQ(ne.support.size(), 3u);
    EXPECT_NEAR(ne.pi[0], 4.0 / 11.0, 1e-14);
    EXPECT_NEAR(ne.pi[1], 3.0 / 11.0, 1e-14);
    EXPECT_NEAR(ne.pi[2], 4.0 / 11.0, 1e-14);
    EXPECT_LE(ne.certificate, 1e-15);
  }
}

TEST(NashSet, BiasedRockPaperScissors) {
  Eigen::MatrixXd A(3, 3);
  A << 0, -0.25, 0.5, 0.25, 0, -0.05, -0.5, 0.05, 0;
  const Game game = GameFromMargin(A);
  const NashEquilibrium ne = SolveNashEquilibrium(game);
  ExpectSound(game, ne);
  EXPECT_TRUE(ne.unique());
  EXPECT_NEAR(ne.pi[0], 1.0 / 16.0, 1e-14);
  EXPECT_NEAR(ne.pi[1], 10.0 / 16.0, 1e-14);
  EXPECT_NEAR(ne.pi[2], 5.0 / 16.0, 1e-14);
}

TEST(NashSet, CyclicFamilyIsUniform) {
  for (int n : {3, 5, 9, 21}) {
    const Game game = MakeGame(fmt::format("cyclic(n={})", n), "softmax_normal(scale=1)", 0);
    const NashEquilibrium ne = SolveNashEquilibrium(game);
    ExpectSound(game, ne);
    EXPECT_TRUE(ne.unique()) << n;
    EXPECT_EQ(static_cast<int>(ne.support.size()), n);
    EXPECT_LE((ne.pi.array() - 1.0 / n).abs().maxCoeff(), 1e-14) << n;
  }
}

TEST(NashSet, CondorcetWinnerOfBradleyTerryIsThePureEquilibrium) {
  for (std::uint64_t seed : {0, 1, 2, 3}) {
    const Game game = MakeGame("bradley_terry(n=25,scale=1)", "uniform", seed);
    const GameDescriptors d = Describe(game.preferences());
    ASSERT_TRUE(d.condorcet_winner.has_value());
    const NashEquilibrium ne = SolveNashEquilibrium(game);
    ExpectSound(game, ne);
    EXPECT_TRUE(ne.unique());
    ASSERT_EQ(ne.support.size(), 1u);
    EXPECT_EQ(ne.support[0], static_cast<Eigen::Index>(*d.condorcet_winner));
    EXPECT_EQ(ne.pi[ne.support[0]], 1.0);
    EXPECT_EQ(ne.certificate, 0.0);
  }
}

TEST(NashSet, AllTiesGameSelectsMuOrUniform) {
  // P = 1/2 everywhere: every policy is an equilibrium (dimension n - 1).
  const Eigen::Index n = 6;
  Eigen::VectorXd mu(n);
  mu << 0.3, 0.25, 0.2, 0.1, 0.1, 0.05;
  const Game game = GameFromMargin(Eigen::MatrixXd::Zero(n, n), mu);
  const NashEquilibrium proj = SolveNashEquilibrium(game, {.selection = NashSelection::kKlProjection});
  ExpectSound(game, proj);
  EXPECT_EQ(proj.dimension, n - 1);
  EXPECT_LE((proj.pi - mu).cwiseAbs().maxCoeff(), 1e-14);
  const NashEquilibrium ent = SolveNashEquilibrium(game, {.selection = NashSelection::kMaxEntropy});
  ExpectSound(game, ent);
  EXPECT_LE((ent.pi.array() - 1.0 / n).abs().maxCoeff(), 1e-14);
}

// Margins far below the certificate's tolerance: every policy would pass it, so the answer (here
// it was a pure "unique" point or the whole simplex, depending on a) is not certified. The exact
// all-ties game above is certified; margins 100 x the tolerance are resolved.
TEST(NashSet, MarginsBelowTheCertificatesResolutionAreNotCertified) {
  for (double a : {1e-16, 1e-14, 1e-12, 1e-11, 1e-10}) {
    const Game game = MakeGame(fmt::format("cyclic(n=5,a={:g})", a), "uniform", 0);
    const NashEquilibrium ne = SolveNashEquilibrium(game);
    EXPECT_FALSE(ne.certified) << a;
    EXPECT_NE(ne.message.find("cannot be told from those of the all-ties game"), std::string::npos) << ne.message;
  }
  const Game bt = MakeGame("bradley_terry(n=5,scale=1e-12)", "uniform", 0);
  EXPECT_FALSE(SolveNashEquilibrium(bt).certified);
  for (double a : {1e-6, 1e-4}) {  // max|A| = a / 2
    const Game game = MakeGame(fmt::format("cyclic(n=5,a={:g})", a), "uniform", 0);
    const NashEquilibrium ne = SolveNashEquilibrium(game);
    ExpectSound(game, ne);
    EXPECT_TRUE(ne.unique()) << a;
    EXPECT_LE((ne.pi.array() - 0.2).abs().maxCoeff(), 1e-9) << a;
  }
}

TEST(NashSet, CloneOfRockSplitsItsShareByTheSelection) {
  // N = {(a, 1/3, 1/3, 1/3 - a)}: max entropy a = 1/6; KL projection of mu: a = (1/3) mu_0 / (mu_0 + mu_3).
  Eigen::VectorXd mu(4);
  mu << 0.1, 0.2, 0.3, 0.4;
  const Game game = GameFromMargin(RpsWithClone(), mu);
  const NashEquilibrium ent = SolveNashEquilibrium(game, {.selection = NashSelection::kMaxEntropy});
  ExpectSound(game, ent);
  EXPECT_EQ(ent.dimension, 1);
  EXPECT_EQ(ent.support.size(), 4u);
  EXPECT_NEAR(ent.pi[0], 1.0 / 6.0, 1e-13);
  EXPECT_NEAR(ent.pi[3], 1.0 / 6.0, 1e-13);
  EXPECT_NEAR(ent.pi[1], 1.0 / 3.0, 1e-13);
  const NashEquilibrium proj = SolveNashEquilibrium(game, {.selection = NashSelection::kKlProjection});
  ExpectSound(game, proj);
  EXPECT_NEAR(proj.pi[0], (1.0 / 3.0) * 0.1 / 0.5, 1e-13);
  EXPECT_NEAR(proj.pi[3], (1.0 / 3.0) * 0.4 / 0.5, 1e-13);
}

TEST(NashSet, AnInequalityOffTheSupportCanBindTheSelection) {
  // RpsWithClone plus action 4: ties with paper and scissors, beats rock (A_40 = 1/2), loses to the
  // clone (A_43 = -1/4). No equilibrium plays it, and (A pi)_4 = a/2 - (1/3 - a)/4 <= 0 caps rock's
  // share at a <= 1/9: the maximum-entropy point (a = 1/6 without action 4) is pushed to a = 1/9.
  Eigen::MatrixXd A = Eigen::MatrixXd::Zero(5, 5);
  A.topLeftCorner(4, 4) = RpsWithClone();
  A(4, 0) = 0.5;
  A(0, 4) = -0.5;
  A(4, 3) = -0.25;
  A(3, 4) = 0.25;
  const Game game = GameFromMargin(A);
  const NashEquilibrium ne = SolveNashEquilibrium(game, {.selection = NashSelection::kMaxEntropy});
  ExpectSound(game, ne);
  EXPECT_EQ(ne.support.size(), 4u);
  EXPECT_EQ(ne.pi[4], 0.0);
  EXPECT_NEAR(ne.pi[0], 1.0 / 9.0, 1e-13);
  EXPECT_NEAR(ne.pi[3], 2.0 / 9.0, 1e-13);
}

TEST(NashSet, DegenerateTournamentsAreSoundUnderBothSelections) {
  int non_unique = 0;
  for (std::uint64_t seed = 0; seed < 40; ++seed) {
    // Ties make Nash sets that are not points and degenerate LPs (vertices where rows off S are tight).
    const Game game = MakeGame(seed % 2 == 0 ? "tournament(n=9,ties=0.3)" : "tournament(n=15,ties=0.4)",
                               "softmax_normal(scale=1)", seed);
    for (NashSelection s : NashSelections()) {
      const NashEquilibrium ne = SolveNashEquilibrium(game, {.selection = s});
      ExpectSound(game, ne);
      if (!ne.unique()) ++non_unique;
    }
  }
  EXPECT_GT(non_unique, 0) << "no tournament with a non-unique Nash set: the selection went untested";
  // The docs' example (docs/cli.md): a segment whose KL projection of mu is a vertex, as is its
  // maximum-entropy point.
  const Game doc = MakeGame("tournament(n=9,ties=0.3,seed=3)", "softmax_normal(scale=1)", 0);
  for (NashSelection s : NashSelections()) {
    const NashEquilibrium ne = SolveNashEquilibrium(doc, {.selection = s});
    ExpectSound(doc, ne);
    EXPECT_EQ(ne.dimension, 1);
    EXPECT_NEAR(ne.pi[1], 0.4, 1e-15);
  }
}

TEST(NashSet, RandomGamesAreSound) {
  for (std::uint64_t seed = 0; seed < 4; ++seed) {
    const Game game = MakeGame("random_uniform(n=60)", "softmax_normal(scale=1)", seed);
    const NashEquilibrium ne = SolveNashEquilibrium(game);
    ExpectSound(game, ne);
  }
}

// The beta -> 0 limit of pi*_beta, extrapolated from beta = 1e-4, 1e-5, 1e-6 with the model
// pi_0 + c beta log(1/beta) + d beta (exact fit, per action). On degenerate games an action tied with
// the equilibrium off its support keeps mass ~ beta log(1/beta) (measured: the distance to the limit
// falls ~8x per decade of beta, not 10x), so a linear Richardson step is not enough there. Empty when
// pi*_beta is not certified at one of the three.
std::optional<Eigen::VectorXd> ContinuationLimit(const Game& game) {
  const double betas[3] = {1e-4, 1e-5, 1e-6};
  Eigen::Matrix3d M;
  Eigen::MatrixXd pis(game.n(), 3);
  for (int k = 0; k < 3; ++k) {
    const Equilibrium e = SolveEquilibrium(game, betas[k]);
    if (!e.certified()) return std::nullopt;
    pis.col(k) = e.pi;
    M.row(k) << 1.0, betas[k] * std::log(1.0 / betas[k]), betas[k];
  }
  const Eigen::Matrix3d inverse = M.inverse();
  return Eigen::VectorXd(pis * inverse.row(0).transpose());
}

TEST(NashSet, ContinuationLimitOfPiStarIsTheKlProjection) {
  Eigen::VectorXd mu(4);
  mu << 0.1, 0.2, 0.3, 0.4;
  std::vector<Game> games = {GameFromMargin(RpsWithClone(), mu),
                             MakeGame("rps3(x=0.9,y=0.9,z=0.8)", "softmax_normal(scale=1)", 0)};
  // Degenerate tournaments whose Nash set is not a point.
  for (std::uint64_t seed = 0; seed < 12; ++seed) games.push_back(MakeGame("tournament(n=9,ties=0.3)", "softmax_normal(scale=1)", seed));
  int checked = 0, distinct = 0;
  for (const Game& game : games) {
    const NashEquilibrium proj = SolveNashEquilibrium(game);
    const NashEquilibrium ent = SolveNashEquilibrium(game, {.selection = NashSelection::kMaxEntropy});
    ASSERT_TRUE(proj.certified && ent.certified) << proj.message << ent.message;
    if (game.game_spec().rfind("tournament", 0) == 0 && proj.unique()) continue;
    const std::optional<Eigen::VectorXd> limit = ContinuationLimit(game);
    if (!limit) continue;  // pi*_beta not certified at beta <= 1e-5 (one of these tournaments)
    ++checked;
    EXPECT_LE((*limit - proj.pi).cwiseAbs().maxCoeff(), 1e-6) << game.game_spec();
    // And it is not the maximum-entropy point where that differs.
    if ((proj.pi - ent.pi).cwiseAbs().maxCoeff() > 1e-2) {
      ++distinct;
      EXPECT_GT((*limit - ent.pi).cwiseAbs().maxCoeff(), 1e-3) << game.game_spec();
    }
  }
  EXPECT_GE(checked, 8);
  EXPECT_GE(distinct, 3);
}

// CLP's dual simplex ends this value LP optimal for the scaled problem only (secondary status 3): its
// point played an action that loses by 3.5e-5. The library continues on the unscaled problem, and
// the answer is an exact equilibrium with the support checked by the LPs here.
TEST(NashSet, AScaledOnlyOptimumIsCleanedUpOnTheUnscaledProblem) {
  const Game game = MakeGame("random_uniform(n=500,seed=3)", "softmax_normal(scale=1)", 0);
  const NashEquilibrium ne = SolveNashEquilibrium(game);
  ExpectSound(game, ne);
  EXPECT_LE(ne.support_bound, 1e-9);  // measured 2.2e-11
}

TEST(NashSet, AnLpStoppedEarlyIsNotCertifiedAndSaysWhy) {
  const Game game = MakeGame("random_uniform(n=40)", "uniform", 0);
  const NashEquilibrium ne = SolveNashEquilibrium(game, {.lp_iteration_limit = 2});
  EXPECT_FALSE(ne.certified);
  EXPECT_NE(ne.message.find("iteration"), std::string::npos) << ne.message;
  EXPECT_NE(ne.lp_status.find("stopped"), std::string::npos) << ne.lp_status;
}

TEST(NashSet, ImplicitAndOversizedGamesAreRefused) {
  const Game implicit = MakeGame("low_rank_cyclic(n=100,k=2)", "uniform", 0);
  EXPECT_THROW(SolveNashEquilibrium(implicit), InputError);
}

TEST(NashSet, DescriptionNamesTheRule) {
  Eigen::VectorXd mu(4);
  mu << 0.1, 0.2, 0.3, 0.4;
  const Game game = GameFromMargin(RpsWithClone(), mu);
  const NashEquilibrium ne = SolveNashEquilibrium(game);
  EXPECT_NE(ne.message.find("KL projection of mu"), std::string::npos) << ne.message;
  EXPECT_NE(ne.message.find("dimension 1"), std::string::npos) << ne.message;
  EXPECT_NE(ne.message.find("support 4/4"), std::string::npos) << ne.message;
}

// A set cancel flag stops the LPs (CLP's event handler) with Cancelled; a clear one changes nothing.
TEST(NashSet, ACancelFlagStopsItWithCancelled) {
  const Game game = MakeGame("random_uniform(n=400)", "uniform", 0);
  std::atomic<bool> cancel{true};
  EXPECT_THROW(SolveNashEquilibrium(game, {.cancel = &cancel}), Cancelled);
  cancel.store(false);
  const NashEquilibrium with = SolveNashEquilibrium(game, {.cancel = &cancel}), without = SolveNashEquilibrium(game);
  EXPECT_TRUE(with.certified);
  EXPECT_EQ(with.pi, without.pi);
}

}  // namespace
}  // namespace nlhf
