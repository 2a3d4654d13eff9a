#include "nlhf/game.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "nlhf/errors.h"

namespace nlhf {

namespace {

// A skew-symmetric matrix with entries in [-1, 1]: the margins M = P - P^T (= 2P - 1) of a
// preference matrix, a common way to write one; P = (1 + M)/2.
bool LooksLikeMargins(const Eigen::MatrixXd& M) {
  const Eigen::Index n = M.rows();
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index j = 0; j < n; ++j)
      if (!(std::abs(M(i, j)) <= 1.0) || std::abs(M(i, j) + M(j, i)) > kGameTolerance) return false;
  return true;
}

// P in percent: entries in [0, 100] and P + P^T = 100 (to the same relative tolerance).
bool LooksLikePercentages(const Eigen::MatrixXd& P) {
  const Eigen::Index n = P.rows();
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index j = 0; j < n; ++j)
      if (!(P(i, j) >= 0.0 && P(i, j) <= 100.0) || std::abs(P(i, j) + P(j, i) - 100.0) > 100.0 * kGameTolerance)
        return false;
  return true;
}

}  // namespace

double Asymmetry(const Eigen::MatrixXd& P) {
  double worst = 0.0;
  for (Eigen::Index j = 0; j < P.cols(); ++j)
    for (Eigen::Index i = 0; i <= j; ++i) worst = std::max(worst, std::abs(P(i, j) + P(j, i) - 1.0));
  return worst;
}

void ValidatePreferenceMatrix(const Eigen::MatrixXd& P, const std::string& key, const EntryLocator& locate) {
  auto at = [&](Eigen::Index i, Eigen::Index j) { return locate ? locate(i, j) : SourceLocation{}; };
  // An error about the whole matrix: at the file of entry (0, 0), if P has one.
  auto whole = [&] { return locate && P.size() > 0 ? SourceLocation{locate(0, 0).file} : SourceLocation{}; };
  if (P.rows() != P.cols())
    throw InputError(whole(), key, fmt::format("P is {}x{}, expected a square matrix", P.rows(), P.cols()));
  if (P.rows() < 2)
    throw InputError(whole(), key, fmt::format("P has {} action(s), expected at least 2", P.rows()));
  const Eigen::Index n = P.rows();
  // The check in memory order (P is column-major; NaN fails both comparisons), then, only when it
  // fails, the search for the first bad entry in row order, as a CSV file lists them.
  const bool in_range = ((P.array() >= 0.0) && (P.array() <= 1.0)).all();
  for (Eigen::Index i = 0; i < n && !in_range; ++i) {
    for (Eigen::Index j = 0; j < n; ++j) {
      const double p = P(i, j);
      if (!std::isfinite(p))
        throw InputError(at(i, j), key, fmt::format("P[{}][{}] = {} is not finite, expected a probability in [0, 1]", i, j, p));
      if (p < 0.0 || p > 1.0)
        throw InputError(at(i, j), key, fmt::format("P[{}][{}] = {} is outside [0, 1], expected a probability{}", i, j, p,
                                          LooksLikeMargins(P)       ? " (this looks like a margin matrix M = P - P^T with "
                                                                      "entries in [-1, 1]: use P = (1 + M)/2)"
                                          : LooksLikePercentages(P) ? " (this looks like percentages, with P + P^T = 100: "
                                                                      "divide every entry by 100)"
                                                                    : ""));
    }
  }
  // P + P^T in tiles, so that both P(i, j) and P(j, i) stay in cache at large n; within the rows of
  // a tile, in the order of the untiled loop.
  constexpr Eigen::Index kTile = 64;
  for (Eigen::Index i0 = 0; i0 < n; i0 += kTile) {
    for (Eigen::Index j0 = i0; j0 < n; j0 += kTile) {
      for (Eigen::Index i = i0; i < std::min(n, i0 + kTile); ++i) {
        for (Eigen::Index j = std::max(i, j0); j < std::min(n, j0 + kTile); ++j) {
          const double s = P(i, j) + P(j, i);
          if (std::abs(s - 1.0) > kGameTolerance) {
            throw InputError(at(i, j), key, fmt::format("P[{}][{}] + P[{}][{}] = {} + {} = {}, expected P + P^T = 1 "
                                              "within {} (so the diagonal is 1/2)",
                                              i, j, j, i, P(i, j), P(j, i), s, kGameTolerance));
          }
        }
      }
    }
  }
}

void ValidateReference(const Eigen::VectorXd& mu, Eigen::Index n, const std::string& key,
                       const std::function<SourceLocation(Eigen::Index y)>& locate) {
  auto at = [&](Eigen::Index y) { return locate ? locate(y) : SourceLocation{}; };
  auto file = [&] { return locate ? SourceLocation{locate(0).file} : SourceLocation{}; };
  if (mu.size() != n)
    throw InputError(file(), key, fmt::format("has {} entries but the game has {} actions, expected {}, one per action",
                                              mu.size(), n, n));
  for (Eigen::Index y = 0; y < n; ++y) {
    if (!std::isfinite(mu[y]) || !(mu[y] > 0.0)) {
      throw InputError(at(y), key, fmt::format("mu[{}] = {} is not allowed, expected a finite probability > 0",
                                               y, mu[y]));
    }
  }
  const double sum = mu.sum();
  // Summing n terms rounds by up to about n ulps: at n = 10^7 a uniform mu's sum is off by 2.5e-11.
  const double tolerance = std::max(kGameTolerance, static_cast<double>(n) * 0x1.0p-52);
  if (std::abs(sum - 1.0) > tolerance)
    throw InputError(file(), key, fmt::format("mu sums to {}, expected 1 within {}", sum, tolerance));
}

Game::Game(Eigen::MatrixXd P, Eigen::VectorXd mu, std::string game_spec, std::string reference_spec)
    : Game(std::make_shared<const DenseOperator>(std::move(P)), std::move(mu), std::move(game_spec),
           std::move(reference_spec)) {}

Game::Game(std::shared_ptr<const PreferenceOperator> P, Eigen::VectorXd mu, std::string game_spec,
           std::string reference_spec)
    : op_(std::move(P)),
      mu_(std::move(mu)),
      game_spec_(std::move(game_spec)),
      reference_spec_(std::move(reference_spec)) {
  NLHF_CHECK(op_ != nullptr, "a game needs a preference operator");
  dense_ = op_->dense();
  n_ = op_->n();
  // A stored P was validated entry by entry when its DenseOperator was built; any other operator is
  // checked on a sample of entries (its construction guarantees the rest).
  if (dense_ == nullptr) ValidateOperatorSample(*op_, "game");
  ValidateReference(mu_, n_, "reference");
  log_mu_ = mu_.array().log();
}

const Eigen::MatrixXd& Game::P() const {
  NLHF_CHECK(dense_ != nullptr, "P() of a game without a double P (implicit or float32: " + game_spec_ +
                                    "): this code path needs a stored P; use Apply/Entry, or storage: dense");
  return *dense_;
}

}  // namespace nlhf
