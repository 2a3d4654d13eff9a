#pragma once
// Descriptors of a preference game: numbers that show whether and how a game is intransitive.
#include <Eigen/Core>
#include <cstdint>
#include <optional>

namespace nlhf {

struct GameDescriptors {
  // Triples {i, j, k} whose strict majority relation is a 3-cycle (ties break no cycle) ...
  std::int64_t cyclic_triples = 0;
  std::int64_t triples = 0;  // ... out of C(n, 3)
  double cyclic_triple_fraction = 0.0;
  // The action that beats every other with probability > 1/2, if any.
  std::optional<Eigen::Index> condorcet_winner;
  double max_abs_margin = 0.0;  // max |A|, A = P - 1/2; bounds the spectral radius rho
  // Hodge decomposition of A on the complete graph: A = grad(s) + C with s_i = mean_j A_ij;
  // the share of cyclic energy ||C||_F^2 / ||A||_F^2 (0: transitive, 1: purely cyclic).
  double hodge_cyclic_ratio = 0.0;
};

GameDescriptors Describe(const Eigen::MatrixXd& P);

}  // namespace nlhf
