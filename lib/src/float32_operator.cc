#include "nlhf/float32_operator.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "nlhf/errors.h"

namespace nlhf {

namespace {

// Writes the n x n column-major float matrix F of margins, F_ij = float(a(i, j)) for i > j (a is read
// only there), F_ji = -F_ij, F_ii = 0, a block of kBlockColumns columns [j0, j1) at a time: the block
// is computed in `block` (n x width floats) and then copied to its place in F, bytes [4 j0 n, 4 j1 n).
// F may be the memory of the double matrix that `a` reads (converted in place): block [j0, j1) reads
// only the doubles of columns [j0, j1), from byte 8 j0 n on, which no earlier block has overwritten,
// and its own floats are written after it has read them.
template <class MarginFn>
void FillMargins(Eigen::Index n, const MarginFn& a, unsigned char* F) {
  constexpr Eigen::Index kWidth = Float32Operator::kBlockColumns;
  std::vector<float> block(static_cast<std::size_t>(n * std::min(n, kWidth)));
  std::vector<float> row(static_cast<std::size_t>(kWidth));
  for (Eigen::Index j0 = 0; j0 < n; j0 += kWidth) {
    const Eigen::Index width = std::min(kWidth, n - j0);
    const auto at = [&](Eigen::Index i, Eigen::Index c) -> float& {
      return block[static_cast<std::size_t>(c * n + i)];
    };
    // Below the diagonal (from the source), on it, and above it within the block (negated).
    for (Eigen::Index c = 0; c < width; ++c) {
      const Eigen::Index j = j0 + c;
      for (Eigen::Index i = j + 1; i < n; ++i) at(i, c) = static_cast<float>(a(i, j));
      at(j, c) = 0.0f;
    }
    for (Eigen::Index c = 0; c < width; ++c)
      for (Eigen::Index i = j0; i < j0 + c; ++i) at(i, c) = -at(j0 + c, i - j0);
    // Above the diagonal, rows < j0: F_ij = -F_ji, with F_ji in column i < j0 of F, already final.
    // Read through memcpy: F may be a double matrix's memory.
    for (Eigen::Index i = 0; i < j0; ++i) {
      std::memcpy(row.data(), F + sizeof(float) * static_cast<std::size_t>(i * n + j0),
                  sizeof(float) * static_cast<std::size_t>(width));
      for (Eigen::Index c = 0; c < width; ++c) at(i, c) = -row[static_cast<std::size_t>(c)];
    }
    std::memcpy(F + sizeof(float) * static_cast<std::size_t>(j0 * n), block.data(),
                sizeof(float) * static_cast<std::size_t>(width * n));
  }
}

}  // namespace

std::shared_ptr<const Float32Operator> Float32Operator::FromMatrix(Eigen::MatrixXd P) {
  NLHF_CHECK(P.rows() == P.cols(), "Float32Operator: P is not square");
  const Eigen::Index n = P.rows();
  const double* source = P.data();
  FillMargins(
      n, [&](Eigen::Index i, Eigen::Index j) { return source[j * n + i] - 0.5; },
      reinterpret_cast<unsigned char*>(P.data()));
  // The floats take the first n^2 / 2 doubles' bytes (n x ceil(n/2)); Eigen resizes a column-major
  // matrix that keeps its rows with realloc, which glibc shrinks in place (mremap for a large block):
  // the upper half goes back to the system without a copy.
  P.conservativeResize(n, (n + 1) / 2);
  return std::make_shared<const Float32Operator>(DenseProduct::FromFloatsInDoubleBuffer(std::move(P), n));
}

std::shared_ptr<const Float32Operator> Float32Operator::FromOperator(const PreferenceOperator& op) {
  const Eigen::Index n = op.n();
  Eigen::MatrixXf F(n, n);
  FillMargins(
      n, [&](Eigen::Index i, Eigen::Index j) { return op.Entry(i, j) - 0.5; },
      reinterpret_cast<unsigned char*>(F.data()));
  return std::make_shared<const Float32Operator>(DenseProduct::FromFloat(std::move(F)));
}

void Float32Operator::Apply(const Eigen::VectorXd& x, Eigen::VectorXd& out) const {
  A_.Apply(x, out);
  out.array() += 0.5 * x.sum();
}

}  // namespace nlhf
