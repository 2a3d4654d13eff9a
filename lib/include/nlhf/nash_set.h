#pragma once
// The Nash equilibria of the unregularized (beta = 0) preference game and a stated selection among
// them (docs/mathematics.md, the beta = 0 equilibrium).
//
// The game is symmetric and zero-sum with the skew-symmetric margin A = P - 1/2, so its value is 1/2
// and its Nash set is the polytope N = {pi in the simplex : (P pi)_y <= 1/2 for every y}. N is often
// not a point (tournaments with ties, weakly dominated actions), and then "the" equilibrium is a
// choice: this file makes it explicitly and says which.
//
// 1. The value LP (von Neumann 1928; Dantzig 1951): min v s.t. P pi <= v 1, 1^T pi = 1, pi >= 0,
//    solved by COIN-OR CLP; its status is checked and v must be 1/2.
// 2. The maximal support S (the union of every equilibrium's support), exactly. Every equilibrium's
//    support lies in the zero set Z = {y : (A pi1)_y = 0} of the LP's equilibrium pi1; the actions of
//    Z off pi1's support that some equilibrium plays are found at once by one more LP on the cone of
//    scaled equilibria (max sum t_y, t_y <= min(x_y, 1), x >= 0, A x <= 0), whose optimum puts t_y = 1
//    exactly on them; usually Z = supp(pi1) and no LP is needed. By Goldman & Tucker (1956) some
//    equilibrium is positive on S with (A pi)_y < 0 off S, hence
//      N = {pi : pi = 0 off S, pi >= 0, A_SS pi_S = 0, 1^T pi = 1, A_{S^c S} pi_S <= 0},
//    whose affine hull has dimension |S| - rank [A_SS; 1^T] (a numerical rank with the singular
//    values around its threshold reported): 0 means the equilibrium is unique.
// 3. The selection, a strictly convex problem on that face: min KL(pi || q) over N, q = mu (the KL
//    projection of mu, the limit of pi*_beta as beta -> 0: Tikhonov selection, Facchinei & Pang 2003,
//    12.2) or q uniform (maximum entropy). Newton's method on the face's null space from the LP's
//    relative-interior point, with an active set for the inequalities off S.
// 4. Certificates, recomputed in double with the game's own P: gap_0(pi) = 2 max_y (P pi)_y - 1
//    <= certify_tolerance, and, when N is not a point, the selection's optimality on the face: the
//    largest entry of the reduced gradient Z^T grad KL(pi || q) (Z spanning the face's working null
//    space), with non-negative multipliers for the active rows off S (the KKT conditions, which
//    suffice for a convex objective under linear constraints).
#include <Eigen/Core>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "nlhf/cancel.h"
#include "nlhf/game.h"

namespace nlhf {

// Which point of the Nash set is "the" equilibrium.
enum class NashSelection {
  kKlProjection,  // argmin over N of KL(pi || mu): the point pi*_beta tends to as beta -> 0
  kMaxEntropy,    // argmin over N of KL(pi || uniform): the maximum-entropy equilibrium
};
std::string_view NashSelectionName(NashSelection s);  // "kl_projection", "max_entropy"
const std::vector<NashSelection>& NashSelections();   // both, in that order
// The rule named `name`; InputError(key, "'x' is not a selection rule, expected kl_projection or max_entropy").
NashSelection ParseNashSelection(std::string_view name, const std::string& key);

struct NashSetOptions {
  NashSelection selection = NashSelection::kKlProjection;
  // gap_0(pi) must not exceed this, and neither must the selection's reduced gradient.
  double certify_tolerance = 1e-9;
  // Simplex iterations of each LP; 0: CLP's default (unlimited in practice). A limit that stops an LP
  // early ends in a not-certified result that says so (the tests force it).
  int lp_iteration_limit = 0;
  // Polled at each simplex iteration of the LPs; set: SolveNashEquilibrium throws Cancelled
  // (nlhf/cancel.h).
  CancelFlag cancel = nullptr;
};

// A game whose largest margin max|A| = max |P - 1/2| is positive but below this many times
// certify_tolerance is not certified: every policy would pass the certificate.
inline constexpr double kNashSetMinMarginRatio = 100.0;

// Largest n the beta = 0 equilibrium is offered for: the LPs hold the dense margin (n^2 nonzeros, some
// 20 bytes each in CLP) and each takes O(n^2)-O(n^3) work.
inline constexpr Eigen::Index kNashSetMaxN = 5000;

// Peak bytes of SolveNashEquilibrium's work beyond the game: CLP's copies of the dense value LP (row-
// and column-ordered, with their scaled versions) and the face's matrices and SVD. Measured peak RSS
// above the game's at n = 1000 (random_uniform, 521 actions in the support): 56 MB, 56 bytes per entry;
// 64 per entry is taken.
inline double NashWorkBytes(Eigen::Index n) { return 64.0 * static_cast<double>(n) * static_cast<double>(n); }

struct NashEquilibrium {
  bool certified = false;
  NashSelection selection = NashSelection::kKlProjection;
  Eigen::VectorXd pi;
  Eigen::VectorXd log_pi;                 // -inf off the support
  std::vector<Eigen::Index> support;      // S: actions some equilibrium plays (pi > 0 exactly there)
  int dimension = 0;                      // of the Nash set (0: unique)
  bool unique() const { return dimension == 0; }
  double certificate = std::numeric_limits<double>::quiet_NaN();  // gap_0(pi), recomputed in double (NaN: not reached)
  // Certificate of the support: no equilibrium puts more than this on an action off it (0 when the
  // value LP's equilibrium is exact in double; <= 1e-6 to be certified).
  double support_bound = std::numeric_limits<double>::quiet_NaN();
  double selection_residual = 0.0;        // the selection's largest reduced-gradient entry (0 when unique)
  double value = std::numeric_limits<double>::quiet_NaN();  // the value LP's optimum, v (1/2 up to CLP's tolerances)
  std::string lp_status;                  // CLP's status of the last LP: "optimal", or why not
  int lp_iterations = 0;                  // simplex iterations over all LPs
  int newton_iterations = 0;              // of the selection
  double rank_margin_kept = 0.0;          // smallest singular value counted in the rank (relative)
  double rank_margin_dropped = 0.0;       // largest one counted as zero (relative; 0 if none)
  std::string message;                    // evidence, or what failed
};

// Throws InputError for a game that stores no entries (implicit) or has more than kNashSetMaxN
// actions. Never returns an uncertified point as certified: an LP that does not end optimal, a value
// off 1/2 or a certificate above the tolerance give certified = false with the reason in `message`.
NashEquilibrium SolveNashEquilibrium(const Game& game, const NashSetOptions& options = {});

// The selection's objective on the face: KL(pi || mu) or KL(pi || uniform).
double SelectionObjective(const Game& game, NashSelection selection, const Eigen::VectorXd& pi);

// The support's actions, comma-separated, the first max_listed of them then ",...".
std::string SupportText(const NashEquilibrium& ne, size_t max_listed);

// One line for output: "kl_projection of mu, unique, support 3/3 {0,1,2}, gap_0 2.2e-16 <= 1e-9".
std::string DescribeNash(const NashEquilibrium& ne, Eigen::Index n, size_t max_listed = 20);

}  // namespace nlhf
