#include "nlhf/descriptors.h"

namespace nlhf {

GameDescriptors Describe(const Eigen::MatrixXd& P) {
  GameDescriptors d;
  const Eigen::Index n = P.rows();
  const Eigen::MatrixXd A = P.array() - 0.5;
  d.max_abs_margin = A.cwiseAbs().maxCoeff();

  // Strict majority digraph B (ties give no edge). A triple is cyclic iff it is a directed
  // 3-cycle, and each is counted three times by trace(B^3) = sum_ij (B^2)_ij B_ji. Counts up to
  // n fit exactly in float, which makes the O(n^3) product fast.
  const Eigen::MatrixXf B = (A.array() > 0.0).cast<float>().matrix();
  const Eigen::MatrixXf B2 = B * B;
  double closed_walks = 0.0;
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index j = 0; j < n; ++j)
      if (B(j, i) != 0.0f) closed_walks += B2(i, j);
  d.cyclic_triples = static_cast<std::int64_t>(closed_walks / 3.0 + 0.5);
  d.triples = static_cast<std::int64_t>(n) * (n - 1) * (n - 2) / 6;
  d.cyclic_triple_fraction =
      d.triples > 0 ? static_cast<double>(d.cyclic_triples) / static_cast<double>(d.triples) : 0.0;

  for (Eigen::Index i = 0; i < n; ++i) {
    bool beats_all = true;
    for (Eigen::Index j = 0; j < n && beats_all; ++j)
      if (j != i && !(A(i, j) > 0.0)) beats_all = false;
    if (beats_all) {
      d.condorcet_winner = i;
      break;
    }
  }

  // Least-squares gradient fit on the complete graph: s_i = mean_j A_ij.
  const Eigen::VectorXd s = A.rowwise().mean();
  const Eigen::MatrixXd grad = s.rowwise().replicate(n) - s.transpose().colwise().replicate(n);
  const double total = A.squaredNorm();
  d.hodge_cyclic_ratio = total > 0.0 ? (A - grad).squaredNorm() / total : 0.0;
  return d;
}

}  // namespace nlhf
