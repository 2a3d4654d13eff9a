#include "nlhf/nash_set.h"

#include <ClpSimplex.hpp>
#include <fmt/format.h>

#include <Eigen/Cholesky>
#include <Eigen/SVD>
#include <algorithm>
#include <cmath>
#include <limits>

#include "clp_cancel.h"
#include "nlhf/cancel.h"
#include "nlhf/errors.h"
#include "nlhf/metrics.h"

namespace nlhf {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// A linear program in CLP's column-major form (no gaps), built column by column.
class LinearProgram {
 public:
  explicit LinearProgram(int rows) : row_lower_(static_cast<size_t>(rows)), row_upper_(static_cast<size_t>(rows)) {
    start_.push_back(0);
  }
  void SetRow(int row, double lower, double upper) {
    row_lower_[static_cast<size_t>(row)] = lower;
    row_upper_[static_cast<size_t>(row)] = upper;
  }
  // Starts a column; its entries follow with Add.
  void Column(double lower, double upper, double objective) {
    if (!col_lower_.empty()) start_.push_back(static_cast<CoinBigIndex>(index_.size()));
    col_lower_.push_back(lower);
    col_upper_.push_back(upper);
    objective_.push_back(objective);
  }
  void Add(int row, double value) {
    if (value == 0.0) return;
    index_.push_back(row);
    value_.push_back(value);
  }
  int columns() const { return static_cast<int>(col_lower_.size()); }

  struct Result {
    int status = -1;     // CLP's problemStatus: 0 optimal
    int secondary = 0;   // CLP's secondaryStatus
    int iterations = 0;
    double objective = 0.0;
    std::vector<double> x;
    bool optimal() const { return status == 0 && secondary == 0; }
  };
  // minimize (sense 1) or maximize (sense -1) the objective. `cancel` set: the simplex stops at its
  // next iteration and this throws Cancelled.
  Result Solve(double sense, int iteration_limit, CancelFlag cancel) {
    start_.push_back(static_cast<CoinBigIndex>(index_.size()));
    ClpSimplex model;
    model.setLogLevel(0);
    model.loadProblem(columns(), static_cast<int>(row_lower_.size()), start_.data(), index_.data(), value_.data(),
                      col_lower_.data(), col_upper_.data(), objective_.data(), row_lower_.data(), row_upper_.data());
    start_.pop_back();
    model.setOptimizationDirection(sense);
    if (iteration_limit > 0) model.setMaximumIterations(iteration_limit);
    const CancelEvents events(cancel);
    model.passInEventHandler(&events);  // CLP keeps a copy
    model.dual();
    ThrowIfCancelled(cancel);
    int iterations = model.numberIterations();
    if (model.status() == 0 && model.secondaryStatus() != 0) {
      // Optimal for the scaled problem only (secondary 2-4: the unscaled point misses the tolerances;
      // seen at n >= 500 on random games, whose equilibria have weights down to ~1e-7): continue
      // from this basis on the unscaled problem.
      model.scaling(0);
      model.primal(1);
      ThrowIfCancelled(cancel);
      iterations += model.numberIterations();
    }
    Result r;
    r.status = model.status();
    r.secondary = model.secondaryStatus();
    r.iterations = iterations;
    r.objective = model.objectiveValue();
    const double* x = model.getColSolution();
    r.x.assign(x, x + columns());
    return r;
  }

 private:
  std::vector<double> row_lower_, row_upper_, col_lower_, col_upper_, objective_;
  std::vector<CoinBigIndex> start_;
  std::vector<int> index_;
  std::vector<double> value_;
};

std::string ClpStatusText(const LinearProgram::Result& r) {
  std::string text;
  switch (r.status) {
    case 0: text = "optimal"; break;
    case 1: text = "primal infeasible"; break;
    case 2: text = "dual infeasible (unbounded)"; break;
    case 3: text = "stopped on the iteration or time limit"; break;
    case 4: text = "stopped on numerical errors"; break;
    case 5: text = "stopped by an event handler"; break;
    default: text = fmt::format("unknown status {}", r.status); break;
  }
  if (r.secondary != 0) text += fmt::format(" (CLP secondary status {})", r.secondary);
  return text;
}

// The margin A = P - 1/2 at (i, j): exact where P >= 1/4 (Sterbenz), else within half an ulp of 1/2.
double Margin(const Game& game, Eigen::Index i, Eigen::Index j) { return game.Entry(i, j) - 0.5; }

// Numerical rank of M: singular values above kRankTolerance * the largest count. The call is
// certified only with a clear gap around it: every kept one >= kRankKeptTolerance and every dropped
// one <= kRankDroppedTolerance (relative; tournaments with ties: ~0.5 and ~3e-17).
constexpr double kRankTolerance = 1e-9;
constexpr double kRankKeptTolerance = 1e-7;
constexpr double kRankDroppedTolerance = 1e-11;
// The support's certificate: the largest mass an equilibrium could put off S (see step 2).
constexpr double kSupportBoundTolerance = 1e-6;

struct NullSpace {
  Eigen::MatrixXd basis;     // orthonormal columns spanning {z : M z = 0}
  Eigen::VectorXd particular;  // the least-squares solution of M z = rhs
  double kept = 0.0, dropped = 0.0;  // smallest kept / largest dropped singular value, relative
};

NullSpace SolveNullSpace(const Eigen::MatrixXd& M, const Eigen::VectorXd& rhs) {
  Eigen::BDCSVD<Eigen::MatrixXd> svd(M, Eigen::ComputeThinU | Eigen::ComputeFullV);
  const Eigen::VectorXd& s = svd.singularValues();
  const double top = s.size() > 0 ? s[0] : 0.0;
  Eigen::Index rank = 0;
  while (rank < s.size() && s[rank] > kRankTolerance * top) ++rank;
  NullSpace out;
  out.kept = rank > 0 ? s[rank - 1] / top : 0.0;
  out.dropped = rank < s.size() ? s[rank] / top : 0.0;
  const Eigen::Index cols = M.cols();
  out.basis = svd.matrixV().rightCols(cols - rank);
  const Eigen::VectorXd c = svd.matrixU().leftCols(rank).transpose() * rhs;
  out.particular = svd.matrixV().leftCols(rank) * (c.array() / s.head(rank).array()).matrix();
  return out;
}

// sum_y x_y (log x_y - log_q_y): the selection objective on the support (x > 0).
double Objective(const Eigen::VectorXd& x, const Eigen::VectorXd& log_q) {
  return (x.array() * (x.array().log() - log_q.array())).sum();
}

struct Selection {
  bool ok = false;
  Eigen::VectorXd x;
  int iterations = 0;
  double residual = 0.0;  // the reduced gradient's largest entry at the end
  std::string failure;
};

// min sum x (log x - log q) s.t. E x = e (E = [A_SS; 1^T]), C x <= 0, x > 0, from x0 with E x0 = e,
// C x0 < 0, x0 > 0: Newton's method on the null space of the working constraints (E and the rows of C
// held at 0), the working set changed as in a primal active-set method (Nocedal & Wright 2006, 16.5):
// a row of C that blocks a step joins it, a row whose multiplier is negative at a working-set
// optimum leaves it.
Selection SelectOnFace(const Eigen::MatrixXd& E, const Eigen::VectorXd& e, const Eigen::MatrixXd& C,
                       const Eigen::VectorXd& x0, const Eigen::VectorXd& log_q, CancelFlag cancel) {
  Selection out;
  Eigen::VectorXd x = x0;
  std::vector<Eigen::Index> working;
  auto basis = [&] {
    Eigen::MatrixXd G(E.rows() + static_cast<Eigen::Index>(working.size()), E.cols());
    G.topRows(E.rows()) = E;
    for (size_t k = 0; k < working.size(); ++k) G.row(E.rows() + static_cast<Eigen::Index>(k)) = C.row(working[k]);
    Eigen::VectorXd rhs = Eigen::VectorXd::Zero(G.rows());
    rhs.head(e.size()) = e;
    return SolveNullSpace(G, rhs).basis;
  };
  Eigen::MatrixXd Z = basis();
  constexpr int kMaxIterations = 500;
  for (; out.iterations < kMaxIterations; ++out.iterations) {
    ThrowIfCancelled(cancel);
    const Eigen::VectorXd grad = (x.array().log() - log_q.array()).matrix();
    if (Z.cols() == 0) {
      out.residual = 0.0;
    } else {
      const Eigen::VectorXd gz = Z.transpose() * grad;
      out.residual = gz.cwiseAbs().maxCoeff();
      const Eigen::MatrixXd H = Z.transpose() * x.cwiseInverse().asDiagonal() * Z;
      const Eigen::LLT<Eigen::MatrixXd> llt(H);
      if (llt.info() != Eigen::Success) {
        out.failure = "the face's Hessian is not positive definite";
        return out;
      }
      const Eigen::VectorXd dw = -llt.solve(gz);
      const double decrement = -gz.dot(dw);
      // Converged: the decrement (~ 2 (f - f*)) or the reduced gradient is at rounding level.
      if (!(decrement > 1e-26) || out.residual < 1e-13) {
        // Optimal on the working face. A working row with a negative multiplier leaves it.
      } else {
        const Eigen::VectorXd d = Z * dw;
        double t = 1.0;
        for (Eigen::Index y = 0; y < x.size(); ++y)
          if (d[y] < 0.0) t = std::min(t, 0.99 * x[y] / -d[y]);  // stay in the open orthant
        Eigen::Index block = -1;
        const Eigen::VectorXd cd = C * d, cx = C * x;
        for (Eigen::Index r = 0; r < C.rows(); ++r) {
          if (std::find(working.begin(), working.end(), r) != working.end() || !(cd[r] > 0.0)) continue;
          const double tr = std::max(0.0, -cx[r] / cd[r]);
          if (tr < t) {
            t = tr;
            block = r;
          }
        }
        if (block >= 0 && t <= 1e-12) {
          // A row of C at 0 (to rounding) blocks d (a degenerate point): it joins the working set.
          working.push_back(block);
          Z = basis();
          continue;
        }
        const double f0 = Objective(x, log_q);
        bool reduced = false;
        // Armijo, with a strict decrease (rounding can make f0 - 1e-4 t decrement == f0). Near the
        // optimum (decrement <= 1e-10, where f - f* is below f's own rounding) the decrease cannot be
        // seen in f: Newton's full step is taken, inside its region of quadratic convergence.
        while (decrement > 1e-10 && t > 1e-16 && !(Objective(x + t * d, log_q) <= f0 - 1e-4 * t * decrement &&
                              Objective(x + t * d, log_q) < f0)) {
          t *= 0.5;
          reduced = true;
        }
        if (t <= 1e-16) {
          // Rounding: the objective cannot decrease along d. Optimal to working precision.
        } else {
          x += t * d;
          if (block >= 0 && !reduced) {
            working.push_back(block);
            Z = basis();
          }
          continue;
        }
      }
    }
    if (working.empty()) break;
    // Multipliers of [E; C_W]^T (lambda; nu) = -(grad + 1): the working rows need nu >= 0.
    Eigen::MatrixXd G(E.cols(), E.rows() + static_cast<Eigen::Index>(working.size()));
    G.leftCols(E.rows()) = E.transpose();
    for (size_t k = 0; k < working.size(); ++k)
      G.col(E.rows() + static_cast<Eigen::Index>(k)) = C.row(working[k]).transpose();
    const Eigen::VectorXd rhs = -(grad.array() + 1.0).matrix();
    const Eigen::VectorXd mult = G.completeOrthogonalDecomposition().solve(rhs);
    Eigen::Index worst = -1;
    double most_negative = -1e-10;
    for (size_t k = 0; k < working.size(); ++k) {
      const double nu = mult[E.rows() + static_cast<Eigen::Index>(k)];
      if (nu < most_negative) {
        most_negative = nu;
        worst = static_cast<Eigen::Index>(k);
      }
    }
    if (worst < 0) break;
    working.erase(working.begin() + worst);
    Z = basis();
  }
  if (out.iterations >= kMaxIterations) {
    out.failure = fmt::format("the selection did not converge in {} Newton iterations", kMaxIterations);
    return out;
  }
  out.x = x;
  out.ok = true;
  return out;
}

}  // namespace

std::string_view NashSelectionName(NashSelection s) {
  return s == NashSelection::kKlProjection ? "kl_projection" : "max_entropy";
}

const std::vector<NashSelection>& NashSelections() {
  static const std::vector<NashSelection> all = {NashSelection::kKlProjection, NashSelection::kMaxEntropy};
  return all;
}

NashSelection ParseNashSelection(std::string_view name, const std::string& key) {
  for (NashSelection s : NashSelections())
    if (NashSelectionName(s) == name) return s;
  throw InputError(key, fmt::format("'{}' is not a selection rule, expected kl_projection or max_entropy", name));
}

namespace {

// log q_y of the selection's KL(pi || q): q = mu (kl_projection) or uniform (max_entropy).
double SelectionLogWeight(const Game& game, NashSelection selection, Eigen::Index y) {
  return selection == NashSelection::kKlProjection ? game.log_mu()[y] : -std::log(static_cast<double>(game.n()));
}

}  // namespace

double SelectionObjective(const Game& game, NashSelection selection, const Eigen::VectorXd& pi) {
  double sum = 0.0;
  for (Eigen::Index y = 0; y < pi.size(); ++y) {
    if (pi[y] == 0.0) continue;
    sum += pi[y] * (std::log(pi[y]) - SelectionLogWeight(game, selection, y));
  }
  return sum;
}

NashEquilibrium SolveNashEquilibrium(const Game& game, const NashSetOptions& options) {
  const Eigen::Index n = game.n();
  if (!game.preferences().stores_entries())
    throw InputError("beta", "0 needs the game's entries for its linear programs, which an implicit game does not "
                             "store, expected storage: dense or float32, or beta > 0");
  if (n > kNashSetMaxN)
    throw InputError("beta", fmt::format("0 is offered up to n = {} actions (the linear programs hold the dense "
                                         "margin), this game has n = {}, expected beta > 0",
                                         kNashSetMaxN, n));
  NashEquilibrium ne;
  ne.selection = options.selection;
  const int rows = static_cast<int>(n);
  auto fail = [&](std::string why) {
    ne.certified = false;
    ne.message = std::move(why);
    return ne;
  };

  // Margins so small that every policy passes the certificate (gap_0(pi) = 2 max_y (A pi)_y <=
  // 2 max|A|) cannot be told from the all-ties game's (A = 0, where every policy is an equilibrium,
  // exactly) at this tolerance: the LPs' answers there (a point, a face, a support) are not evidence.
  // 100 x the tolerance keeps the certificate below 1% of the game's scale.
  double max_margin = 0.0;
  for (Eigen::Index j = 0; j < n; ++j)
    for (Eigen::Index y = 0; y < n; ++y) max_margin = std::max(max_margin, std::abs(game.Entry(y, j) - 0.5));
  if (max_margin > 0.0 && max_margin < kNashSetMinMarginRatio * options.certify_tolerance)
    return fail(fmt::format("the game's largest margin max|A| = {:.3g} is below {:g} x the certificate's tolerance "
                            "{:g}: every policy has gap_0 <= 2 max|A| = {:.3g}, so the equilibria cannot be told "
                            "from those of the all-ties game (P = 1/2) at this precision; expected max|A| >= {:g} "
                            "(P = 1/2 + c A has the equilibria of P = 1/2 + A for every c > 0: scale the margins up)",
                            max_margin, kNashSetMinMarginRatio, options.certify_tolerance, 2.0 * max_margin,
                            kNashSetMinMarginRatio * options.certify_tolerance));

  // 1. The value LP: min v s.t. P pi - v 1 <= 0, 1^T pi = 1, pi >= 0. Its solution pi1 is one equilibrium.
  Eigen::VectorXd pi1(n);
  {
    LinearProgram lp(rows + 1);
    for (int y = 0; y < rows; ++y) lp.SetRow(y, -COIN_DBL_MAX, 0.0);
    lp.SetRow(rows, 1.0, 1.0);
    for (Eigen::Index j = 0; j < n; ++j) {
      lp.Column(0.0, COIN_DBL_MAX, 0.0);
      for (Eigen::Index y = 0; y < n; ++y) lp.Add(static_cast<int>(y), game.Entry(y, j));
      lp.Add(rows, 1.0);
    }
    lp.Column(-COIN_DBL_MAX, COIN_DBL_MAX, 1.0);
    for (int y = 0; y < rows; ++y) lp.Add(y, -1.0);
    const LinearProgram::Result r = lp.Solve(1.0, options.lp_iteration_limit, options.cancel);
    ne.lp_iterations += r.iterations;
    ne.lp_status = ClpStatusText(r);
    // CLP's secondary statuses 2-4 (the unscaled problem's infeasibilities exceed its tolerance) are
    // accepted: the point is checked here, in double, and certified at the end by gap_0.
    if (r.status != 0) return fail(fmt::format("the value LP did not end optimal: CLP status {}", ne.lp_status));
    ne.value = r.objective;
    if (!(std::abs(ne.value - 0.5) <= 1e-7))
      return fail(fmt::format("the value LP ended at v = {} instead of 1/2 (CLP status {})", ne.value, ne.lp_status));
    for (Eigen::Index y = 0; y < n; ++y) pi1[y] = std::max(0.0, r.x[static_cast<size_t>(y)]);
    pi1 /= pi1.sum();
  }

  // 2. The maximal support S. Every equilibrium's support lies in the zero set Z of A pi1 (for
  // equilibria pi, pi': pi^T A pi' = 0 with A pi' <= 0), so S = supp(pi1) plus the actions of Z off
  // pi1's support that some equilibrium plays: found at once, when there are any, by an LP on the cone
  // of scaled equilibria over Z's columns, max sum_{y in D} t_y s.t. A_{:,Z} x <= 0, x >= 0,
  // 0 <= t_y <= min(x_y, 1) for the doubtful D = Z \ supp(pi1); its optimum is |S cap D|, with t_y = 1
  // exactly on S cap D. (Z is taken with a margin, 1e-7 in P pi1: a larger Z only adds columns.)
  const Eigen::VectorXd g1 = game.Payoff(pi1);
  std::vector<Eigen::Index> zero_set, doubtful;
  std::vector<char> in_support(static_cast<size_t>(n), 0);
  // How far pi1 is from an exact equilibrium, and how clearly the actions off Z lose against it: an
  // equilibrium pi' has pi'^T A pi1 >= 0 (pi1^T A pi' <= 0) while A pi1 <= delta, so the mass pi'
  // puts on an action losing by m >= margin is at most delta / (m + delta). That bound, in double, is
  // the certificate that S misses no action (the cone LP below decides the actions of Z).
  const double delta = std::max(0.0, g1.maxCoeff() - 0.5);
  double margin = std::numeric_limits<double>::infinity();
  for (Eigen::Index y = 0; y < n; ++y) {
    if (!(g1[y] >= 0.5 - 1e-7)) {
      if (pi1[y] > 1e-9)
        return fail(fmt::format("the value LP's point plays action {} ({:.3g}) although it loses by {:.3g}: not an "
                                "equilibrium (CLP status {})",
                                y, pi1[y], 0.5 - g1[y], ne.lp_status));
      margin = std::min(margin, 0.5 - g1[y]);
      continue;
    }
    zero_set.push_back(y);
    if (pi1[y] > 1e-9) {
      in_support[static_cast<size_t>(y)] = 1;
    } else {
      doubtful.push_back(y);
    }
  }
  Eigen::VectorXd interior = pi1;  // an equilibrium positive on all of S
  if (!doubtful.empty()) {
    const int z = static_cast<int>(zero_set.size()), d = static_cast<int>(doubtful.size());
    LinearProgram lp(rows + d);
    for (int y = 0; y < rows + d; ++y) lp.SetRow(y, -COIN_DBL_MAX, 0.0);  // (A x)_y <= 0; t - x <= 0
    for (int c = 0; c < z; ++c) {
      const Eigen::Index j = zero_set[static_cast<size_t>(c)];
      lp.Column(0.0, COIN_DBL_MAX, 0.0);
      for (Eigen::Index y = 0; y < n; ++y) lp.Add(static_cast<int>(y), Margin(game, y, j));
      const auto at = std::find(doubtful.begin(), doubtful.end(), j);
      if (at != doubtful.end()) lp.Add(rows + static_cast<int>(at - doubtful.begin()), -1.0);
    }
    for (int c = 0; c < d; ++c) {
      lp.Column(0.0, 1.0, 1.0);
      lp.Add(rows + c, 1.0);
    }
    const LinearProgram::Result r = lp.Solve(-1.0, options.lp_iteration_limit, options.cancel);
    ne.lp_iterations += r.iterations;
    ne.lp_status = ClpStatusText(r);
    if (r.status != 0) return fail(fmt::format("the support LP did not end optimal: CLP status {}", ne.lp_status));
    Eigen::VectorXd x = Eigen::VectorXd::Zero(n);
    for (int c = 0; c < z; ++c) x[zero_set[static_cast<size_t>(c)]] = std::max(0.0, r.x[static_cast<size_t>(c)]);
    for (int c = 0; c < d; ++c) {
      const double t = r.x[static_cast<size_t>(z + c)];
      if (!(std::abs(t - std::round(t)) <= 1e-6))
        return fail(fmt::format("the support LP left action {} undecided (t = {}, CLP status {})",
                                doubtful[static_cast<size_t>(c)], t, ne.lp_status));
      if (t > 0.5) in_support[static_cast<size_t>(doubtful[static_cast<size_t>(c)])] = 1;
    }
    if (x.sum() > 0.0) interior = 0.5 * (pi1 + x / x.sum());
  }
  ne.support_bound = std::isinf(margin) ? 0.0 : delta / (margin + delta);
  if (!(ne.support_bound <= kSupportBoundTolerance))
    return fail(fmt::format("the support is not certified: an equilibrium could put up to {:.3g} on an action off it",
                            ne.support_bound));
  std::vector<Eigen::Index> off;  // actions no equilibrium plays
  for (Eigen::Index y = 0; y < n; ++y) (in_support[static_cast<size_t>(y)] ? ne.support : off).push_back(y);
  const Eigen::Index k = static_cast<Eigen::Index>(ne.support.size());
  if (k == 0) return fail("the LPs found an empty support");

  // 3. The face: E pi_S = e with E = [A_SS; 1^T], e = (0, ..., 0, 1); rows of C = A_{S^c S} <= 0.
  Eigen::MatrixXd E(k + 1, k);
  for (Eigen::Index a = 0; a < k; ++a)
    for (Eigen::Index b = 0; b < k; ++b) E(a, b) = Margin(game, ne.support[static_cast<size_t>(a)], ne.support[static_cast<size_t>(b)]);
  E.row(k).setOnes();
  Eigen::VectorXd e = Eigen::VectorXd::Zero(k + 1);
  e[k] = 1.0;
  Eigen::MatrixXd C(static_cast<Eigen::Index>(off.size()), k);
  for (size_t a = 0; a < off.size(); ++a)
    for (Eigen::Index b = 0; b < k; ++b) C(static_cast<Eigen::Index>(a), b) = Margin(game, off[a], ne.support[static_cast<size_t>(b)]);
  const NullSpace face = SolveNullSpace(E, e);
  ne.dimension = static_cast<int>(face.basis.cols());
  ne.rank_margin_kept = face.kept;
  ne.rank_margin_dropped = face.dropped;
  // Uniqueness (and the face) rest on the numerical rank: it must be a clear call.
  if (!(face.kept >= kRankKeptTolerance && face.dropped <= kRankDroppedTolerance))
    return fail(fmt::format("the Nash set's dimension is not certain: the singular values of [A_SS; 1] around the "
                            "threshold are {:.3g} (kept) and {:.3g} (dropped), relative; a clear call needs >= {:g} "
                            "and <= {:g}",
                            face.kept, face.dropped, kRankKeptTolerance, kRankDroppedTolerance));

  // The LP's point, normalized and moved onto the face (its rows hold to CLP's tolerance only).
  Eigen::VectorXd x0(k);
  for (Eigen::Index a = 0; a < k; ++a) x0[a] = interior[ne.support[static_cast<size_t>(a)]];
  x0 /= x0.sum();
  x0 = face.particular + face.basis * (face.basis.transpose() * (x0 - face.particular));  // nearest on the face
  Eigen::VectorXd pi_s;
  if (ne.dimension == 0) {
    pi_s = face.particular;
  } else {
    Eigen::VectorXd log_q(k);
    for (Eigen::Index a = 0; a < k; ++a)
      log_q[a] = SelectionLogWeight(game, options.selection, ne.support[static_cast<size_t>(a)]);
    if (!(x0.minCoeff() > 0.0)) return fail("the LPs' point is not positive on the support after projection");
    const Selection sel = SelectOnFace(E, e, C, x0, log_q, options.cancel);
    ne.newton_iterations = sel.iterations;
    if (!sel.ok) return fail(sel.failure);
    pi_s = sel.x;
    ne.selection_residual = sel.residual;
  }
  if (!(pi_s.minCoeff() > 0.0))
    return fail(fmt::format("the equilibrium on the face has a non-positive entry ({:.3g})", pi_s.minCoeff()));
  pi_s /= pi_s.sum();
  ne.pi = Eigen::VectorXd::Zero(n);
  ne.log_pi = Eigen::VectorXd::Constant(n, -kInf);
  for (Eigen::Index a = 0; a < k; ++a) {
    const Eigen::Index y = ne.support[static_cast<size_t>(a)];
    ne.pi[y] = pi_s[a];
    ne.log_pi[y] = std::log(pi_s[a]);
  }

  // 4. Certificates in double, with the game's own P.
  ne.certificate = Gap0(Evaluate(game, ne.log_pi));
  if (!(ne.certificate <= options.certify_tolerance))
    return fail(fmt::format("gap_0 {:.3e} > {:g}: not certified", ne.certificate, options.certify_tolerance));
  if (!(ne.selection_residual <= options.certify_tolerance))
    return fail(fmt::format("the selection's reduced gradient {:.3e} > {:g}: not certified", ne.selection_residual,
                            options.certify_tolerance));
  ne.certified = true;
  ne.message = fmt::format("gap_0 {:.3e} <= {:g}, {}", ne.certificate, options.certify_tolerance, DescribeNash(ne, n));
  return ne;
}

std::string SupportText(const NashEquilibrium& ne, size_t max_listed) {
  std::string support;
  for (size_t a = 0; a < ne.support.size() && a < max_listed; ++a)
    support += fmt::format("{}{}", a == 0 ? "" : ",", ne.support[a]);
  if (ne.support.size() > max_listed) support += ",...";
  return support;
}

std::string DescribeNash(const NashEquilibrium& ne, Eigen::Index n, size_t max_listed) {
  const std::string support = SupportText(ne, max_listed);
  const std::string rule = ne.selection == NashSelection::kKlProjection ? "the KL projection of mu onto the Nash set"
                                                                        : "the maximum-entropy point of the Nash set";
  return fmt::format("{}, support {}/{} {{{}}}, {}", ne.unique() ? "unique" : rule, ne.support.size(), n, support,
                     ne.unique() ? "the Nash set is a point"
                                 : fmt::format("the Nash set has dimension {}", ne.dimension));
}

}  // namespace nlhf
