#pragma once
// P as an operator: what solvers, metrics, the sampled oracle and pi* need from a preference game,
// the product g = P x and single entries P_ij, without requiring that P be stored. The dense matrix
// is one implementation (DenseOperator), the float32 game another (float32_operator.h); implicit
// games compute products from O(n K) numbers (low_rank_cyclic, low_rank_disc) or entry by entry in
// O(n) memory (bradley_terry with storage: implicit). docs/mathematics.md §1: P + P^T = 1, entries in [0, 1].
#include <Eigen/Core>
#include <string>

namespace nlhf {

// A = P - 1/2 written as F M F^T, with F an n x m matrix (row-major: one row per action) and M an
// m x m skew-symmetric matrix: the form of the low-rank games (low_rank_cyclic, low_rank_disc).
// What needs A's spectrum (rho) then works on m x m matrices in O(n m^2), without products by P.
struct SkewFactors {
  Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> F;
  Eigen::MatrixXd M;
};

class PreferenceOperator {
 public:
  virtual ~PreferenceOperator() = default;

  virtual Eigen::Index n() const = 0;
  // out = P x for any x of size n (not only policies). `out` is resized to n when it has another
  // size; when it is sized, Apply does not allocate. `out` must not be `x`. Thread-safe: one game
  // serves runs on several threads, so implementations keep no mutable state.
  virtual void Apply(const Eigen::VectorXd& x, Eigen::VectorXd& out) const = 0;
  // P_ij, 0 <= i, j < n (sampled queries read single entries).
  virtual double Entry(Eigen::Index i, Eigen::Index j) const = 0;
  // The stored matrix of doubles, or nullptr when P is not stored (dense-only algorithms check this).
  // Only DenseOperator returns one, and it is valid (checked entry by entry when it was built).
  virtual const Eigen::MatrixXd* dense() const { return nullptr; }
  // P's entries are held in memory (a dense or a float32 game), so reading all n^2 of them is cheap
  // (the descriptors do); false for an implicit game, whose entries are computed on demand.
  virtual bool stores_entries() const { return dense() != nullptr; }
  // Bytes the operator holds (the memory estimate).
  virtual double StoredBytes() const = 0;
  // A = F M F^T exactly as Apply and Entry compute P (SkewFactors), or nullptr when the operator is
  // not built that way.
  virtual const SkewFactors* skew_factors() const { return nullptr; }
};

// P held as a dense n x n matrix of doubles (float32_operator.h holds it in float). Apply is Eigen's matrix-vector product, the same bits as P * x.
class DenseOperator final : public PreferenceOperator {
 public:
  // P is validated entry by entry here (ValidatePreferenceMatrix, InputError at `key`), once: a
  // dense operator always holds a valid P, so a Game built on it does not check it again.
  explicit DenseOperator(Eigen::MatrixXd P, const std::string& key = "game");
  Eigen::Index n() const override { return P_.rows(); }
  void Apply(const Eigen::VectorXd& x, Eigen::VectorXd& out) const override {
    out.noalias() = P_ * x;
  }
  double Entry(Eigen::Index i, Eigen::Index j) const override { return P_(i, j); }
  const Eigen::MatrixXd* dense() const override { return &P_; }
  double StoredBytes() const override { return 8.0 * static_cast<double>(P_.size()); }

 private:
  Eigen::MatrixXd P_;
};

// The dense matrix of an operator, from n^2 Entry calls (dense storage of an implicit generator,
// tests, and stop-gaps for dense-only algorithms on small implicit games).
Eigen::MatrixXd Materialize(const PreferenceOperator& op);

// The check an implicit operator can afford (the full one reads n^2 entries): n >= 2, and on a
// fixed sample of entries (every corner, plus kValidationSamples pairs drawn from a fixed seed)
// P_ii = 1/2, P_ij finite and in [0, 1], |P_ij + P_ji - 1| <= kGameTolerance. Throws
// InputError(key) naming the first offending entry. Generators guarantee these invariants by
// construction (their parameter bounds); this catches a broken construction, not a bad user value.
inline constexpr int kValidationSamples = 1024;
void ValidateOperatorSample(const PreferenceOperator& op, const std::string& key);

}  // namespace nlhf
