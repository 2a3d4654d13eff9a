#pragma once
// Internal: what the builtin game generators share, one generator per file in this folder; each
// file's entry function (`GameEntry <Name>Entry()`) is declared and listed in registries.cc.
#include <algorithm>
#include <utility>
#include <vector>

#include "huge_pages.h"
#include "nlhf/generators.h"

namespace nlhf::games {

using GameEntry = Registry<GameFactory, GameTraits>::Entry;

// Parameter rows shared by many generators.
ParamSpec SizeParam(std::int64_t def = 10);  // n: number of actions
ParamSpec SeedParam();                       // seed: follows the run seed unless given

// sigma(x) = 1 / (1 + exp(-x)), stable for any finite x.
double Sigmoid(double x);

// P with 1/2 on the diagonal and, for each pair i > j, (P(i, j), P(j, i)) = pair(i, j), the pairs
// taken in the order (1,0), (2,0), (2,1), (3,0), ... (a generator's draws follow it). P is
// column-major: P(j, i) runs down column i, but P(i, j) along row i would touch a new column, and
// at large n a new page, at every entry. So the row's P(i, j) are held for a block of kBlockRows rows
// and copied into their columns a block at a time (the same bits). Measured at n = 10^4 on the
// 2-core VM, that alone took 2% off the build, whose time was in page faults; the huge pages took
// the rest of the 1.6x (README, "Building a large dense game").
template <class PairFn>
Eigen::MatrixXd FillPreferences(Eigen::Index n, const PairFn& pair) {
  constexpr Eigen::Index kBlockRows = 32;
  Eigen::MatrixXd P(n, n);
  AdviseHugePages(P.data(), static_cast<size_t>(P.size()) * sizeof(double));
  std::vector<double> below(static_cast<size_t>(std::min(n, kBlockRows) * n));  // [(i - i0) n + j] = P(i, j)
  for (Eigen::Index i0 = 0; i0 < n; i0 += kBlockRows) {
    const Eigen::Index i1 = std::min(n, i0 + kBlockRows);
    for (Eigen::Index i = i0; i < i1; ++i) {
      P(i, i) = 0.5;
      double* row = below.data() + (i - i0) * n;
      for (Eigen::Index j = 0; j < i; ++j) {
        const std::pair<double, double> p = pair(i, j);
        row[j] = p.first;
        P(j, i) = p.second;
      }
    }
    for (Eigen::Index j = 0; j + 1 < i1; ++j)
      for (Eigen::Index i = std::max(i0, j + 1); i < i1; ++i) P(i, j) = below[static_cast<size_t>((i - i0) * n + j)];
  }
  return P;
}

// P = sigma(S) for a skew-symmetric logit matrix S, read from its strict lower triangle. The
// smaller of each pair is computed by the sigmoid and the larger as 1 minus it, so that
// P + P^T = 1 up to one rounding and no probability loses relative precision.
Eigen::MatrixXd PreferencesFromLogits(const Eigen::MatrixXd& S);

// P = 1/2 + A for a skew-symmetric margin A with |A| <= 1/2, read from its strict lower triangle.
Eigen::MatrixXd PreferencesFromMargin(const Eigen::MatrixXd& A);

// The same rule for one entry of an implicit game, from a margin function a(i, j) read only for
// i > j: P_ij = 1/2 + a(i, j) below the diagonal, 1 - P_ji above it, 1/2 on it. So P + P^T = 1 up
// to one rounding and Materialize() gives PreferencesFromMargin's matrix bit for bit.
template <class MarginFn>
double EntryFromMargin(Eigen::Index i, Eigen::Index j, const MarginFn& a) {
  if (i == j) return 0.5;
  if (i > j) return 0.5 + a(i, j);
  return 1.0 - (0.5 + a(j, i));
}

// The same for a logit function s(i, j) read only for i > j (PreferencesFromLogits' rule).
template <class LogitFn>
double EntryFromLogits(Eigen::Index i, Eigen::Index j, const LogitFn& s) {
  if (i == j) return 0.5;
  const Eigen::Index lo = i > j ? j : i, hi = i > j ? i : j;
  const double x = s(hi, lo);
  // P(hi, lo) and P(lo, hi) as PreferencesFromLogits computes them.
  const double p_hi_lo = x <= 0.0 ? Sigmoid(x) : 1.0 - Sigmoid(-x);
  const double p_lo_hi = x <= 0.0 ? 1.0 - p_hi_lo : Sigmoid(-x);
  return i > j ? p_hi_lo : p_lo_hi;
}

// n for a low-rank generator: up to 10^8 actions (the memory check bounds what fits).
ParamSpec LargeSizeParam(std::int64_t def = 1000);

using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// An implicit low-rank game: P = 1/2 + A with A = s * sum_p c_p (f_a f_b^T - f_b f_a^T), the sum over
// pairs p = (a, b) of columns of F (n x m, m <= kMaxColumns): skew-symmetric, rank <= 2 pairs.
//   P x = (1/2)(1^T x) 1 + F h,  h = s M u,  u = F^T x,  (M u)_a += c_p u_b, (M u)_b -= c_p u_a
//   (skew_factors() returns F and s M, the shrink included):
// two passes over F, O(n m) time, no n x n storage. Entry(i, j) costs O(pairs).
// s = 1 - (pairs + 16) 2^-52 shrinks A by a few units of rounding: a generator's bound |A| <= 1/2
// holds in exact arithmetic, and rounding of F's entries and of the sum could otherwise push an
// entry past 1 by an ulp. The generator's parameters guarantee |A| <= 1/2 (see its file).
class SkewLowRankOperator final : public PreferenceOperator {
 public:
  static constexpr Eigen::Index kMaxColumns = 1024;  // Apply keeps two m-vectors on the stack
  struct Pair {
    Eigen::Index a = 0, b = 0;
    double coef = 0.0;
  };
  SkewLowRankOperator(RowMatrix F, std::vector<Pair> pairs);

  Eigen::Index n() const override { return factors_.F.rows(); }
  void Apply(const Eigen::VectorXd& x, Eigen::VectorXd& out) const override;
  double Entry(Eigen::Index i, Eigen::Index j) const override;
  double StoredBytes() const override { return StoredBytes(factors_.F.rows(), factors_.F.cols()); }
  // F (n x m) and M (m x m), in doubles; the pairs are m / 2 at most.
  static double StoredBytes(Eigen::Index n, Eigen::Index m) {
    return 8.0 * static_cast<double>(n + m) * static_cast<double>(m);
  }
  // F and M = s sum_p c_p (e_a e_b^T - e_b e_a^T), the coefficients as Apply uses them (shrunk).
  const SkewFactors* skew_factors() const override { return &factors_; }
  // A_ij for i != j (no 1/2, no lower-triangle rule).
  double Margin(Eigen::Index i, Eigen::Index j) const;

 private:
  SkewFactors factors_;
  std::vector<Pair> pairs_;  // coefficients already shrunk
};

}  // namespace nlhf::games
