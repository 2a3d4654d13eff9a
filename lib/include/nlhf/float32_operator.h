#pragma once
// A dense preference game held in float32 (`game.storage: float32`): the margins A = P - 1/2 are
// stored as float (4 bytes per entry, half of the double matrix) and every product is computed in
// double: P x = A x + (1/2)(1^T x) 1 (docs/mathematics.md §1: P + P^T = 1, so A is skew-symmetric
// with |A_ij| <= 1/2).
//
// The game IS the float-rounded one. A is rounded to nearest from its strict lower triangle
// (A_ij = P_ij - 1/2 for i > j, the triangle the generators define their games by) and the upper
// triangle is its exact negation: rounding to nearest is symmetric under negation, so the stored A is
// exactly skew-symmetric, its diagonal is 0 and |A_ij| <= 1/2 stays (1/2 is a float). The stored game
// is therefore itself a valid preference game (P_ij + P_ji = 1), whose entries differ from the double
// game's by at most 2^-26 ~ 1.5e-8 (half a float ulp at |A| < 1/2). Validation, the certified pi*
// (gap_beta <= 1e-12 is checked with this game's products), rho and every metric are exact statements
// about this stored game; pi* moves from the double game's by about that perturbation over beta.
// Storing P itself in float would not do: P_ij and 1 - P_ij round differently, and P + P^T = 1 would
// fail by ~6e-8.
//
// Memory: 4 n^2 bytes held. Built from a dense generator's double matrix, the conversion runs in
// that matrix's own memory, a block of columns at a time, and then gives the upper half back
// (realloc shrinks in place), so the build peaks at the double matrix's 8 n^2 bytes (plus 256 n
// bytes), never 8 + 4. Built from an implicit generator's entries, no n x n double exists at all.
//
// Products: nlhf/dense_product.h (float32, one thread: the measured 2-core gain of threads was none),
// allocation-free. dense() is nullptr (there is no double P), but stores_entries() is true: code
// that needs all n^2 entries reads them through Entry. pi* takes the path its n picks for a dense
// game (below kKrylovFromN the dense Jacobian, formed from the entries, may precondition GMRES;
// from there on Newton-Krylov, matrix-free); rho by Lanczos above 64 actions and from the entries
// below; the descriptors from the entries.
#include <Eigen/Core>
#include <memory>

#include "nlhf/dense_product.h"
#include "nlhf/preference_operator.h"

namespace nlhf {

class Float32Operator final : public PreferenceOperator {
 public:
  // From a dense preference matrix, converted in its own memory (P is consumed). P must be square;
  // its strict lower triangle defines the game (the caller has validated P).
  static std::shared_ptr<const Float32Operator> FromMatrix(Eigen::MatrixXd P);
  // From any operator's entries (an implicit generator): A_ij = Entry(i, j) - 1/2 for i > j.
  static std::shared_ptr<const Float32Operator> FromOperator(const PreferenceOperator& op);

  Eigen::Index n() const override { return A_.n(); }
  // out = A x + (1/2)(sum x) 1; allocation-free when out has size n.
  void Apply(const Eigen::VectorXd& x, Eigen::VectorXd& out) const override;
  // 1/2 + A_ij (exact for |A_ij| >= 2^-29; P_ij + P_ji = 1 exactly then, within 2^-53 otherwise).
  double Entry(Eigen::Index i, Eigen::Index j) const override { return 0.5 + A_.Entry(i, j); }
  bool stores_entries() const override { return true; }
  double StoredBytes() const override { return static_cast<double>(A_.bytes()); }
  // The stored margin A_ij (a float, widened): exactly -Margin(j, i).
  double Margin(Eigen::Index i, Eigen::Index j) const { return A_.Entry(i, j); }

  // Columns converted at a time (the build's workspace: n x this many floats).
  static constexpr Eigen::Index kBlockColumns = 64;
  // Bytes held by the game for n actions, and at the peak of building it from a double matrix.
  static double StoredBytes(Eigen::Index n) { return 4.0 * static_cast<double>(n) * static_cast<double>(n); }
  static double BuildPeakBytesFromMatrix(Eigen::Index n) {
    return 8.0 * static_cast<double>(n) * static_cast<double>(n) + 4.0 * static_cast<double>(n) * kBlockColumns;
  }

  // A holds skew-symmetric margins in float32 storage (the factories above make sure of that).
  explicit Float32Operator(DenseProduct A) : A_(std::move(A)) {}

 private:
  DenseProduct A_;
};

}  // namespace nlhf
