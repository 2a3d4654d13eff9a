#pragma once
// Descriptors of a preference game: numbers that show whether and how a game is intransitive.
#include <Eigen/Core>
#include <cstdint>
#include <optional>
#include <vector>

#include "nlhf/preference_operator.h"

namespace nlhf {

// Above this n a game with ties gets no cyclic-triple count (it costs an n x n float product, O(n^3);
// without ties the count is O(n^2) at every n).
inline constexpr Eigen::Index kCyclicTriplesMaxN = 4000;

// All O(n^2) time and O(n) extra memory, but the cyclic triples of a game with ties (see above).
struct GameDescriptors {
  // Triples {i, j, k} whose strict majority relation is a 3-cycle (ties break no cycle) ...
  // (nullopt: not counted, a game with ties above kCyclicTriplesMaxN actions)
  std::optional<std::int64_t> cyclic_triples;
  std::int64_t triples = 0;  // ... out of C(n, 3)
  // cyclic_triples / triples (nullopt: not counted, or n = 2, which has no triple: 0/0)
  std::optional<double> cyclic_triple_fraction;
  // The action that beats every other with probability > 1/2, if any.
  std::optional<Eigen::Index> condorcet_winner;
  double max_abs_margin = 0.0;  // max |A|, A = P - 1/2; bounds the spectral radius rho
  // Hodge decomposition of A on the complete graph: A = grad(s) + C with s_i = mean_j A_ij;
  // the share of cyclic energy ||C||_F^2 / ||A||_F^2 (0: transitive, 1: purely cyclic; nullopt
  // where A = 0, every pair tied: 0/0).
  std::optional<double> hodge_cyclic_ratio;
};

GameDescriptors Describe(const Eigen::MatrixXd& P);
// The same from an operator that stores its entries (op.stores_entries(): a dense or a float32 game,
// whose stored, float-rounded entries are described). An implicit game's entries are computed on
// demand (O(K) each, n up to 10^8): InternalError.
GameDescriptors Describe(const PreferenceOperator& op);

}  // namespace nlhf
