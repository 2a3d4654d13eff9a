#pragma once
// A preference game: P, the pairwise preference probabilities over n actions, held as an operator
// (preference_operator.h: a dense matrix of doubles or of float32 margins, or an implicit game that
// never stores P), the reference policy mu, and the canonical spec strings that produced them. Immutable once built;
// construction validates everything and throws an InputError naming the offending entry.
#include <Eigen/Core>
#include <functional>
#include <memory>
#include <string>

#include "nlhf/errors.h"
#include "nlhf/preference_operator.h"

namespace nlhf {

// Tolerance of the invariants P + P^T = 1 and sum(mu) = 1.
inline constexpr double kGameTolerance = 1e-12;

class Game {
 public:
  // A dense game (P validated entry by entry).
  Game(Eigen::MatrixXd P, Eigen::VectorXd mu, std::string game_spec, std::string reference_spec);
  // Any operator: a dense one was validated entry by entry when it was built (DenseOperator), any
  // other is checked on a sample of entries (ValidateOperatorSample; its construction guarantees the
  // invariants).
  Game(std::shared_ptr<const PreferenceOperator> P, Eigen::VectorXd mu, std::string game_spec,
       std::string reference_spec);

  Eigen::Index n() const { return n_; }
  const PreferenceOperator& preferences() const { return *op_; }
  const std::shared_ptr<const PreferenceOperator>& shared_preferences() const { return op_; }
  // The stored matrix of doubles, or nullptr for an implicit or a float32 game (dense-only algorithms
  // branch on this and take their matrix-free paths).
  const Eigen::MatrixXd* dense() const { return dense_; }
  // The stored matrix of a dense game. An implicit or float32 game has none: InternalError, so a
  // dense-only code path reached with one fails loudly instead of allocating n^2 doubles.
  const Eigen::MatrixXd& P() const;
  const Eigen::VectorXd& mu() const { return mu_; }
  const Eigen::VectorXd& log_mu() const { return log_mu_; }
  const std::string& game_spec() const { return game_spec_; }
  const std::string& reference_spec() const { return reference_spec_; }

  // g(x) = P x, g_y = P(y > x) for a policy x: one oracle call. Any x of size n.
  Eigen::VectorXd Payoff(const Eigen::VectorXd& x) const {
    Eigen::VectorXd out(n_);
    op_->Apply(x, out);
    return out;
  }
  // out = P x without allocating when `out` has size n (it is resized otherwise); out != x.
  void Apply(const Eigen::VectorXd& x, Eigen::VectorXd& out) const { op_->Apply(x, out); }
  // P_ij.
  double Entry(Eigen::Index i, Eigen::Index j) const { return dense_ ? (*dense_)(i, j) : op_->Entry(i, j); }

 private:
  std::shared_ptr<const PreferenceOperator> op_;
  const Eigen::MatrixXd* dense_ = nullptr;  // op_->dense(), cached
  Eigen::Index n_ = 0;
  Eigen::VectorXd mu_;
  Eigen::VectorXd log_mu_;
  std::string game_spec_;
  std::string reference_spec_;
};

// Where entry (i, j) of P is written (a matrix read from a file: its line and column).
using EntryLocator = std::function<SourceLocation(Eigen::Index i, Eigen::Index j)>;

// Throw InputError(key, ...) naming the first offending entry. `key` prefixes messages ("game").
// P: square, n >= 2, finite, entries in [0, 1], |P + P^T - 1| <= kGameTolerance. With `locate`, an
// entry's error is located where locate says (for a sum, at P[i][j], the first of its pair in row order).
void ValidatePreferenceMatrix(const Eigen::MatrixXd& P, const std::string& key,
                              const EntryLocator& locate = nullptr);
// max_ij |P_ij + P_ji - 1|: how far a stored P is from P + P^T = 1 (at most kGameTolerance for a
// valid one), computed to within 2 eps.
double Asymmetry(const Eigen::MatrixXd& P);
// mu: size n, finite, strictly positive, |sum - 1| <= max(kGameTolerance, n 2^-52) (the rounding of
// the sum itself grows with n).
// With `locate` (a reference read from a file), an entry's error is located at locate(y), and one
// about the whole vector (its size, its sum) at the file of locate(0).
void ValidateReference(const Eigen::VectorXd& mu, Eigen::Index n, const std::string& key,
                       const std::function<SourceLocation(Eigen::Index y)>& locate = nullptr);

}  // namespace nlhf
