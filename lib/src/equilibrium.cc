#include "nlhf/equilibrium.h"

#include <fmt/format.h>

#include <Eigen/Eigenvalues>
#include <Eigen/LU>
#include <Eigen/QR>
#include <Spectra/SymEigsSolver.h>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <exception>
#include <limits>
#include <memory>
#include <string>
#include <string_view>

#include "nlhf/errors.h"
#include "nlhf/logspace.h"
#include "nlhf/metrics.h"
#include "nlhf/solver.h"

namespace nlhf {

namespace {

// The centered fixed-point residual F(l) = c(l - log mu - P pi / beta) at normalized logits l.
struct Residual {
  Eigen::VectorXd pi;
  Eigen::VectorXd g;
  Eigen::VectorXd r;  // centered
  double norm2 = 0.0;
};

Residual ComputeResidual(const Game& game, double beta, const Eigen::VectorXd& l) {
  Residual out;
  out.pi = l.array().exp();
  out.g = game.Payoff(out.pi);
  out.r = l - game.log_mu() - out.g / beta;
  out.r.array() -= out.r.mean();
  out.norm2 = out.r.norm();
  return out;
}

struct GmresResult {
  int iterations = 0;
  double relative_residual = 1.0;  // ||b - A x|| / ||b||, as the Givens rotations track it
};

// Restarted, right-preconditioned GMRES(m) from x = 0 (Saad & Schultz 1986): Arnoldi with classical
// Gram-Schmidt applied twice (CGS2: as stable as modified Gram-Schmidt, and two products with the
// basis instead of k dot products), Givens rotations tracking the residual norm. The basis
// (n x (m+1)) is allocated once and reused by every solve.
class Gmres {
 public:
  Gmres(Eigen::Index n, int restart)
      : V_(n, restart + 1),
        H_(restart + 1, restart),
        cs_(restart),
        sn_(restart),
        g_(restart + 1),
        h_(restart + 1),
        h2_(restart + 1),
        w_(n),
        r_(n),
        z_(n) {}

  // Solves A M^{-1} u = b, x = M^{-1} u, to ||b - A x|| <= rtol ||b|| or `max_iterations`.
  // apply(v, out) sets out = A v; precondition(v, out) sets out = M^{-1} v.
  template <class Apply, class Precondition>
  GmresResult Solve(const Apply& apply, const Precondition& precondition, const Eigen::VectorXd& b,
                    double rtol, int max_iterations, Eigen::VectorXd& x) {
    const int m = static_cast<int>(H_.cols());
    GmresResult out;
    x.setZero(b.size());
    const double bnorm = b.norm();
    if (!(bnorm > 0.0)) {  // b = 0 (x = 0 is exact), or b not finite (the caller sees the NaN)
      out.relative_residual = bnorm == 0.0 ? 0.0 : bnorm;
      return out;
    }
    r_ = b;
    double rnorm = bnorm;
    for (;;) {
      V_.col(0) = r_ / rnorm;
      g_.setZero();
      g_(0) = rnorm;
      int k = 0;
      bool done = false;
      while (k < m && out.iterations < max_iterations) {
        precondition(V_.col(k), z_);
        apply(z_, w_);
        const auto basis = V_.leftCols(k + 1);
        h_.head(k + 1).noalias() = basis.transpose() * w_;
        w_.noalias() -= basis * h_.head(k + 1);
        h2_.head(k + 1).noalias() = basis.transpose() * w_;
        w_.noalias() -= basis * h2_.head(k + 1);
        h_.head(k + 1) += h2_.head(k + 1);
        const double hn = w_.norm();
        H_.col(k).head(k + 1) = h_.head(k + 1);
        for (int i = 0; i < k; ++i) {
          const double a = H_(i, k), c = H_(i + 1, k);
          H_(i, k) = cs_(i) * a + sn_(i) * c;
          H_(i + 1, k) = -sn_(i) * a + cs_(i) * c;
        }
        const double diag = H_(k, k), rho = std::hypot(diag, hn);
        cs_(k) = rho > 0.0 ? diag / rho : 1.0;
        sn_(k) = rho > 0.0 ? hn / rho : 0.0;
        H_(k, k) = rho;
        g_(k + 1) = -sn_(k) * g_(k);
        g_(k) *= cs_(k);
        ++k;
        ++out.iterations;
        out.relative_residual = std::abs(g_(k)) / bnorm;
        // hn = 0: the Krylov space is invariant and x is exact (the "lucky breakdown").
        if (out.relative_residual <= rtol || !(hn > 0.0)) {
          done = true;
          break;
        }
        V_.col(k) = w_ / hn;
      }
      const auto R = H_.topLeftCorner(k, k).triangularView<Eigen::Upper>();
      g_.head(k) = R.solve(g_.head(k));
      r_.noalias() = V_.leftCols(k) * g_.head(k);
      precondition(r_, z_);
      x += z_;
      if (done || out.iterations >= max_iterations) return out;
      // Restart from the true residual (the recurrence's estimate drifts from it).
      apply(x, w_);
      r_ = b - w_;
      rnorm = r_.norm();
      out.relative_residual = rnorm / bnorm;
      if (!(rnorm > rtol * bnorm)) return out;
    }
  }

 private:
  Eigen::MatrixXd V_, H_;
  Eigen::VectorXd cs_, sn_, g_, h_, h2_, w_, r_, z_;
};

// Newton directions: delta with J delta = -F at the current iterate, J = c(I - P D / beta),
// D = diag(pi) - pi pi^T (the softmax Jacobian), by GMRES in the sum-zero subspace. J v costs one
// Payoff: D v = pi o v - pi (pi . v). Inexact Newton: the forcing term eta bounds
// ||J delta + F|| <= eta ||F||, by Eisenstat & Walker's (1996) choice 2: loose far from the
// solution, tightening as Newton converges.
//
// The eigenvalues of J are 1 and 1 +- i lambda / beta (those of A D are +- i lambda, |lambda| <=
// rho), so plain GMRES needs about as many iterations as there are lambda well above beta: few at
// large beta or for low-rank games, up to the support of pi* (~n/2 for random games) at small beta.
// - krylov: plain GMRES, matrix-free.
// - dense: the same while GMRES needs fewer iterations than one LU factorization costs
// (kFactorWorth);
//   from the first Newton step that needs more on, GMRES right-preconditioned with the LU factors
//   of the dense J + 1 1^T / n at an earlier iterate (exact at the iterate they were formed at: one
//   iteration), refactored at each stage and whenever the lagged factors need more than
//   kRefactorAfter iterations;
//   up to kDirectMaxN actions, the exact direction from a fresh LU at every iterate, no GMRES: at
//   n = 10 an LU is a few hundred flops, less than GMRES's set-up and iterations.
class GmresDirection {
 public:
  GmresDirection(const Game& game, EquilibriumMethod method, int restart)
      : game_(game),
        method_(method),
        direct_(method == EquilibriumMethod::kDense && game.n() <= kDirectMaxN),
        gmres_(direct_ ? 0 : game.n(), direct_ ? 0 : restart),  // the direct path uses no GMRES
        dv_(direct_ ? 0 : game.n()),
        max_iterations_(method == EquilibriumMethod::kDense
                            ? restart
                            : static_cast<int>(std::max<Eigen::Index>(2 * game.n(), 100))) {}
  EquilibriumMethod method() const { return method_; }
  int factorizations() const { return factorizations_; }

  // At the start of each continuation stage: its strength and its tolerance on ||F||_inf (0: to the
  // rounding floor).
  void BeginStage(double beta, double tol) {
    beta_ = beta;
    tol_ = tol;
    eta_ = kEtaFirst;
    last_norm_ = -1.0;
    refactor_ = true;  // J changes with beta by more than lagged factors can absorb
  }

  // delta at `res`; false if it is not finite. Adds the GMRES iterations to `linear_iterations`.
  bool Compute(const Residual& res, Eigen::VectorXd& delta, int& linear_iterations) {
    if (direct_) {
      Factor(res);
      delta.noalias() = lu_.solve(-res.r);
      delta.array() -= delta.mean();
      return delta.allFinite();
    }
    if (retry_) {
      retry_ = false;
      eta_ = kEtaMin;
    } else {
      if (last_norm_ > 0.0) {
        const double ratio = res.norm2 / last_norm_;
        const double safeguard = kGamma * eta_ * eta_;
        eta_ = std::max(kGamma * ratio * ratio, safeguard > 0.1 ? safeguard : 0.0);
      }
      // No oversolving: a stage with a tolerance needs ||F|| only down to about it.
      if (tol_ > 0.0) eta_ = std::max(eta_, 0.5 * tol_ / res.r.cwiseAbs().maxCoeff());
      eta_ = std::isnan(eta_) ? kEtaMax : std::clamp(eta_, kEtaMin, kEtaMax);
    }
    last_norm_ = res.norm2;
    if (!use_lu_) {
      const GmresResult solve = Solve(res.pi, -res.r, eta_, false, delta, linear_iterations);
      if (method_ == EquilibriumMethod::kKrylov || solve.relative_residual <= eta_)
        return delta.allFinite();
      use_lu_ = true;  // and for the rest of the solve: smaller beta is harder still
    }
    if (refactor_) Factor(res);
    GmresResult solve = Solve(res.pi, -res.r, eta_, true, delta, linear_iterations);
    if (solve.relative_residual > eta_) {  // the lagged factors are too far off: fresh ones
      Factor(res);
      solve = Solve(res.pi, -res.r, eta_, true, delta, linear_iterations);
    }
    refactor_ = solve.iterations > kRefactorAfter;
    return delta.allFinite();
  }

  // After a failed line search: prepare a more accurate direction at the same point (the next
  // Compute), or return false when the direction was already as accurate as it gets.
  bool Tighten() {
    if (direct_ || eta_ <= kEtaMin) return false;  // a direct solve is as accurate as it gets
    retry_ = true;
    return true;
  }

  // GMRES basis size: krylov, the option (0: min(n, max(30, 2^24 / n)), at most 128 MB of basis
  // vectors); dense, the iterations one LU is worth.
  static int Restart(Eigen::Index n, EquilibriumMethod method, int option) {
    if (method == EquilibriumMethod::kDense)
      return static_cast<int>(std::max<Eigen::Index>(kMaxPreconditioned, n / kFactorWorth));
    const Eigen::Index restart =
        option > 0 ? option : std::max<Eigen::Index>(30, (Eigen::Index{1} << 24) / n);
    return static_cast<int>(std::min(restart, n));
  }

 private:
  // J x = rhs (sum-zero) at policy pi. The operator also adds 1 1^T v / n: without it C J maps the
  // constant vector to 0, and once GMRES has reduced the residual to the rounding of the centering
  // it finds that null direction (R of the Arnoldi QR turns singular, the update is garbage).
  GmresResult Solve(const Eigen::VectorXd& pi, const Eigen::VectorXd& rhs, double eta, bool with_lu,
                    Eigen::VectorXd& x, int& linear_iterations) {
    auto apply = [&](const Eigen::VectorXd& v, Eigen::VectorXd& out) {
      dv_ = pi.cwiseProduct(v) - pi * pi.dot(v);
      out = v - game_.Payoff(dv_) / beta_;
      out.array() += v.mean() - out.mean();
    };
    GmresResult solve;
    if (with_lu) {
      solve = gmres_.Solve(
          apply, [&](const auto& v, Eigen::VectorXd& out) { out = lu_.solve(v); }, rhs, eta,
          kMaxPreconditioned, x);
    } else {
      solve = gmres_.Solve(
          apply, [](const auto& v, Eigen::VectorXd& out) { out = v; }, rhs, eta, max_iterations_,
          x);
    }
    linear_iterations += solve.iterations;
    x.array() -= x.mean();
    if (!x.allFinite()) solve.relative_residual = std::numeric_limits<double>::infinity();
    return solve;
  }

  // The dense J + 1 1^T / n at res, with P D = P diag(pi) - g pi^T. Allocated at the first use. A
  // float32 game has no double P: its stored entries, read one by one (n^2 reads, against the
  // O(n^3) LU that follows).
  void Factor(const Residual& res) {
    if (const Eigen::MatrixXd* P = game_.dense()) {
      J_.noalias() = -(*P * res.pi.asDiagonal());
    } else {
      const Eigen::Index n = game_.n();
      J_.resize(n, n);
      for (Eigen::Index j = 0; j < n; ++j)
        for (Eigen::Index i = 0; i < n; ++i) J_(i, j) = -game_.Entry(i, j) * res.pi[j];
    }
    J_.noalias() += res.g * res.pi.transpose();
    J_ /= beta_;
    J_.diagonal().array() += 1.0;
    const Eigen::RowVectorXd col_mean = J_.colwise().mean();
    J_.rowwise() -= col_mean;
    J_.array() += 1.0 / static_cast<double>(game_.n());
    lu_.compute(J_);
    ++factorizations_;
  }

  static constexpr double kEtaFirst = 0.1, kEtaMax = 0.5, kGamma = 0.9;
  // About the attainable relative accuracy of J v near the rounding floor.
  static constexpr double kEtaMin = 1e-12;
  // Dense path: one LU (2/3 n^3 flops, BLAS-3 speed) costs about n / kFactorWorth GMRES iterations
  // (each one P v at memory speed): measured 0.34 s against 1.8 ms at n = 2000. GMRES iterations
  // with lagged factors before they are refreshed, and at most.
  static constexpr Eigen::Index kFactorWorth = 12;
  static constexpr int kRefactorAfter = 20, kMaxPreconditioned = 40;
  // Dense games up to this size take the direct path: BM_Equilibrium/10 23 against 39 us, /50
  // 0.39-0.44 against 0.56 ms; at n = 100 1.7 against 1.1 ms, GMRES is the cheaper.
  static constexpr Eigen::Index kDirectMaxN = 64;

  const Game& game_;
  EquilibriumMethod method_;
  bool direct_;  // (before gmres_ and dv_, which it sizes)
  Gmres gmres_;
  Eigen::VectorXd dv_;
  int max_iterations_;
  double beta_ = 1.0, tol_ = 0.0, eta_ = kEtaFirst, last_norm_ = -1.0;
  bool retry_ = false, use_lu_ = false, refactor_ = true;
  Eigen::MatrixXd J_;
  Eigen::PartialPivLU<Eigen::MatrixXd> lu_;
  int factorizations_ = 0;
};

struct StageResult {
  bool converged = false;
  int iterations = 0;
  int linear_iterations = 0;
};

// What the progress callback needs to know about the stage.
struct StageReport {
  const std::function<void(const EquilibriumProgress&)>* progress = nullptr;
  int stage = 0;
  int iterations_before = 0;
  CancelFlag cancel = nullptr;  // polled at each iteration
};

// The rounding level of ||F||_inf at l: eps (|l| + |log mu| + |g| / beta) (the terms F subtracts),
// times 2 (1 + sqrt(n)) for the rounding of the n-term sums in g = P pi. Measured floors, in units
// of eps times that sum: 0.3-2 at n = 50, 2-7 at n = 300, 1-22 at n = 1000, ~140 at n = 10^4;
// Newton reaches them from 1e4 or more times above, so the factor only has to be above the floor
// and well below 1e4.
double RoundingFloor(const Game& game, double beta, const Eigen::VectorXd& l, const Residual& res) {
  const double scale = l.cwiseAbs().maxCoeff() + game.log_mu().cwiseAbs().maxCoeff() +
                       res.g.cwiseAbs().maxCoeff() / beta;
  return 2.0 * (1.0 + std::sqrt(static_cast<double>(game.n()))) *
         std::numeric_limits<double>::epsilon() * scale;
}

// Damped Newton at strength beta from l (updated in place, with res = F(l) at beta). Stops when
// ||F||_inf <= tol, or, with tol = 0, at the rounding floor: ||F||_inf at its rounding level, or a
// step below the rounding of l, or no decrease of the merit ||F||_2.
StageResult NewtonStage(const Game& game, double beta, Eigen::VectorXd& l, Residual& res,
                        double tol, int max_iterations, GmresDirection& direction,
                        const StageReport& report) {
  StageResult result;
  direction.BeginStage(beta, tol);
  Eigen::VectorXd delta;
  while (result.iterations < max_iterations) {
    ThrowIfCancelled(report.cancel);
    if (!std::isfinite(res.norm2)) return result;
    const double residual = res.r.cwiseAbs().maxCoeff();
    const double floor_f = RoundingFloor(game, beta, l, res);
    if (res.norm2 == 0.0 || residual <= (tol > 0.0 ? tol : floor_f)) {
      result.converged = true;
      return result;
    }
    ++result.iterations;
    // A step below the rounding of l itself cannot change l: the rounding floor.
    const double floor =
        8.0 * std::numeric_limits<double>::epsilon() * (1.0 + l.cwiseAbs().maxCoeff());
    double t = 1.0;
    bool accepted = false;
    int linear_iterations = 0;
    for (int attempt = 0;; ++attempt) {
      if (!direction.Compute(res, delta, linear_iterations)) return result;
      // Backtracking line search on ||F||_2 (Armijo with a small slope requirement).
      const double step = delta.cwiseAbs().maxCoeff();
      t = 1.0;
      for (int k = 0; k < 40 && t * step > floor; ++k, t *= 0.5) {
        Eigen::VectorXd trial = NormalizeLogits(l + t * delta);
        Residual trial_res = ComputeResidual(game, beta, trial);
        if (trial_res.norm2 <= (1.0 - 1e-4 * t) * res.norm2) {
          l = std::move(trial);
          res = std::move(trial_res);
          accepted = true;
          break;
        }
      }
      // No decrease: retry with a tight linear solve, unless F is already near its rounding level.
      if (accepted || attempt > 0 || (tol == 0.0 && residual <= 100.0 * floor_f) || !direction.Tighten()) {
        break;
      }
    }
    result.linear_iterations += linear_iterations;
    if (report.progress && *report.progress) {
      (*report.progress)(EquilibriumProgress{
          direction.method(), beta, report.stage, report.iterations_before + result.iterations,
          res.r.cwiseAbs().maxCoeff(), accepted ? t : 0.0, linear_iterations});
    }
    if (accepted && tol == 0.0 && t * delta.cwiseAbs().maxCoeff() <= floor) {
      result.converged = true;
      return result;
    }
    if (!accepted) {
      // No decrease: at the rounding floor (fine for the final stage) or stuck (a failure).
      result.converged = tol == 0.0;
      return result;
    }
  }
  return result;  // iteration cap: not converged
}

// The fallback: the registered nash_mp solver at its default step 2 beta, whose KL to pi* contracts
// by at least (1 + 2 beta) per iteration for every game. It runs to machine precision: until
// gap_beta reaches `target` or has not reached a new low for kPolishPatience checks (every 16
// iterations), and returns the best iterate it saw. gap_beta is not monotone along the iterates
// (only the KL is), so stopping at the first check that is no lower than the one before, as this
// did, could end the polish long before rounding does. Returns the iterations used.
constexpr int kPolishCheckEvery = 16;
constexpr int kPolishPatience = 32;  // checks without a new low: 512 iterations
int NashMpPolish(const Game& game, double beta, Eigen::VectorXd& l, double target,
                 int max_iterations, CancelFlag cancel) {
  const std::unique_ptr<Solver> solver = MakeSolver("nash_mp");
  solver->Reset(SolverContext{&game, beta, l, std::nullopt});
  double best_gap = std::numeric_limits<double>::infinity();
  int since_best = 0;
  int it = 0;
  for (; it < max_iterations; ++it) {
    if (it % kPolishCheckEvery == 0) {
      ThrowIfCancelled(cancel);
      const double gap = GapBeta(game, beta, Evaluate(game, solver->current()));
      if (gap < best_gap) {
        best_gap = gap;
        l = solver->current();
        since_best = 0;
      } else if (std::isnan(gap) || ++since_best >= kPolishPatience) {
        break;  // NaN (a numerical failure) or no progress left
      }
      if (gap <= target) break;
    }
    solver->Step();
  }
  return it;
}

// Intermediate continuation stages stop at ||F||_inf <= 1 (logits within about 1 of that stage's
// fixed point): enough to start the next stage in Newton's basin. Measured on 21 games (7
// generators at n = 600, beta = 1e-2, 1e-3, 1e-4), against 1e-6, 1e-2, 0.3, 3 and 10: the fewest
// Newton iterations and the least time on both paths.
constexpr double kStageTolerance = 1.0;

// The next continuation strength: `proposal`, or the target once within rounding of it.
double NextStrength(double target, double proposal) {
  return proposal <= target * (1.0 + 1e-9) ? target : proposal;
}

}  // namespace

EquilibriumMethod ResolveEquilibriumMethod(Eigen::Index n, EquilibriumMethod requested) {
  if (requested != EquilibriumMethod::kAuto) return requested;
  return n < kKrylovFromN ? EquilibriumMethod::kDense : EquilibriumMethod::kKrylov;
}

EquilibriumMethod ResolveEquilibriumMethod(const Game& game, EquilibriumMethod requested) {
  return game.preferences().stores_entries() ? ResolveEquilibriumMethod(game.n(), requested)
                                             : EquilibriumMethod::kKrylov;
}

double EquilibriumWorkBytes(Eigen::Index n, EquilibriumMethod method, int gmres_restart) {
  method = ResolveEquilibriumMethod(n, method);
  const double size = static_cast<double>(n);
  // The GMRES basis and its Hessenberg matrix (restart + 1 columns of n and of restart doubles:
  // both n^2 doubles when restart = n, below n = 4096), and some 16 vectors: residuals and
  // line-search trials, GMRES's own.
  const double restart = GmresDirection::Restart(n, method, gmres_restart);
  double doubles = (size + restart) * (restart + 1.0) + 16.0 * size;
  if (method == EquilibriumMethod::kDense) doubles += 2.0 * size * size;  // J and its LU factors
  return 8.0 * doubles;
}

Equilibrium SolveEquilibrium(const Game& game, double beta, const EquilibriumOptions& options) {
  if (!std::isfinite(beta) || beta < 0.0)
    throw InputError("beta", fmt::format("{} is not allowed, expected a finite number > 0", beta));
  if (beta == 0.0) {
    throw InputError("beta",
                     "0 has no unique regularized equilibrium (the beta = 0 equilibrium is a "
                     "linear program, not supported yet), expected beta > 0");
  }
  Equilibrium eq;
  eq.beta = beta;
  Eigen::VectorXd l = game.log_mu();
  bool newton_ok = false;
  // (An implicit game has no dense Jacobian: matrix-free Krylov whatever was asked.)
  const EquilibriumMethod method = ResolveEquilibriumMethod(game, options.method);
  const char* const newton_name = method == EquilibriumMethod::kKrylov ? "krylov" : "newton";

  if (options.newton) {
    GmresDirection direction(game, method,
                             GmresDirection::Restart(game.n(), method, options.gmres_restart));
    // Continuation: at beta >= 1 the fixed-point map is a contraction (rho <= max|A| <= 1/2) and
    // Newton from mu converges at once; each stage divides beta by up to 10, warm-started.
    double b = std::max(beta, 1.0);
    double factor = 0.2;
    Eigen::VectorXd last_good = l;
    double last_b = b;
    int budget = options.max_newton_iterations;
    while (budget > 0) {
      const bool final_stage = b == beta;
      // Intermediate stages only need to land in the next stage's basin; a stage that has not
      // converged after a few dozen iterations is not in Newton's quadratic regime: retreat.
      Residual res = ComputeResidual(game, b, l);
      const StageReport report{&options.progress, eq.continuation_stages + 1, eq.newton_iterations,
                               options.cancel};
      const StageResult stage =
          NewtonStage(game, b, l, res, final_stage ? 0.0 : kStageTolerance,
                      std::min(budget, final_stage ? 60 : 25), direction, report);
      // A stage costs at least one unit of the budget: stages that end at once (converged, or a
      // non-finite residual) could otherwise alternate with retreats forever.
      budget -= std::max(stage.iterations, 1);
      eq.newton_iterations += stage.iterations;
      eq.linear_iterations += stage.linear_iterations;
      ++eq.continuation_stages;
      if (stage.converged && l.allFinite()) {
        if (final_stage) {
          newton_ok = true;
          break;
        }
        last_good = l;
        last_b = b;
        // Adapt the step in log(beta) to how hard the stage was.
        if (stage.iterations <= 4) {
          factor = std::max(factor * factor, 0.1);
        } else if (stage.iterations >= 7) {
          factor = std::sqrt(factor);
        }
        b = NextStrength(beta, b * factor);
      } else {
        // Retreat to the last solved strength and take a smaller step in log(beta).
        l = last_good;
        factor = std::sqrt(factor);
        if (factor > 0.95) break;
        b = NextStrength(beta, last_b * factor);
      }
    }
    if (!newton_ok) l = last_good;  // the best solved point warms the fallback
    eq.factorizations = direction.factorizations();
  }

  eq.certificate = GapBeta(game, beta, Evaluate(game, l));
  eq.method = newton_name;
  if (!newton_ok || !(eq.certificate <= options.certify_tolerance)) {
    eq.method = !options.newton                          ? "nash_mp"
                : method == EquilibriumMethod::kKrylov ? "krylov+nash_mp"
                                                       : "newton+nash_mp";
    // The certificate bounds KL only to ~tolerance / beta; polish far below it.
    eq.fallback_iterations = NashMpPolish(game, beta, l, 1e-12 * options.certify_tolerance,
                                          options.max_fallback_iterations, options.cancel);
    eq.certificate = GapBeta(game, beta, Evaluate(game, l));
  }

  eq.log_pi = l;
  eq.pi = Probabilities(l);  // what outputs show: subnormal, or 0, below e^-708, not Eigen's 5.6e-309
  const std::string linear = method == EquilibriumMethod::kKrylov
                                 ? fmt::format(" ({} GMRES iterations)", eq.linear_iterations)
                                 : fmt::format(" ({} LU factorizations, {} GMRES iterations)",
                                               eq.factorizations, eq.linear_iterations);
  if (eq.certificate <= options.certify_tolerance) {
    eq.status = EquilibriumStatus::kCertified;
    // rho reads P only through products above kSpectralRadiusDenseMaxN (Lanczos), or through the
    // low-rank games' factors, so implicit games get it at every size.
    if (options.stability)
      eq.stability = ComputeStabilityLimits(beta, SpectralRadius(game, eq.pi, options.cancel));
    eq.message = fmt::format(
        "gap_beta {:.3g} <= {:.3g} ({}: {} Newton iterations{} in {} stages, {} "
        "Nash-MP iterations)",
        eq.certificate, options.certify_tolerance, eq.method, eq.newton_iterations, linear,
        eq.continuation_stages, eq.fallback_iterations);
  } else {
    eq.status = EquilibriumStatus::kNotCertified;
    eq.message = fmt::format(
        "not certified: gap_beta {:.3g} > {:.3g} after {} Newton{} and {} Nash-MP "
        "iterations",
        eq.certificate, options.certify_tolerance, eq.newton_iterations, linear,
        eq.fallback_iterations);
  }
  return eq;
}

namespace {

// Today's dense answer, O(n^3): S = Q K Q formed explicitly, then every eigenvalue of S^T S.
double DenseSpectralRadius(const Game& game, const Eigen::VectorXd& pi) {
  const Eigen::VectorXd u = pi.array().sqrt();
  // An implicit game's P materialized from its entries (kAuto picks this path only up to
  // kSpectralRadiusDenseMaxN actions).
  const Eigen::MatrixXd materialized = game.dense() ? Eigen::MatrixXd() : Materialize(game.preferences());
  const Eigen::MatrixXd& P = game.dense() ? *game.dense() : materialized;
  Eigen::MatrixXd K = u.asDiagonal() * (P.array() - 0.5).matrix() * u.asDiagonal();
  // Q K Q with Q = I - u u^T, applied as two rank-one corrections.
  const Eigen::VectorXd Ku = K * u;
  const Eigen::RowVectorXd uK = u.transpose() * K;
  const double uKu = u.dot(Ku);
  K -= Ku * u.transpose();
  K -= u * uK;
  K += uKu * (u * u.transpose());
  // S = QKQ is skew-symmetric: its eigenvalues are +-i sigma and -S^2 = S^T S is symmetric PSD.
  const Eigen::MatrixXd StS = K.transpose() * K;
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(StS, Eigen::EigenvaluesOnly);
  return std::sqrt(std::max(0.0, eig.eigenvalues().maxCoeff()));
}

// Relative accuracy of the Ritz value (Spectra's tol: residual <= tol |theta|, which bounds the
// eigenvalue's error for a symmetric operator), far below the 1e-8 the dense answer is matched to;
// looser only where rounding noise in S v allows no better (rho ~ 1e-16, far below any beta).
constexpr double kLanczosTolerance = 1e-10;
// Restarts of the implicitly restarted Lanczos method, each ~ncv/2 applications of S^T S.
constexpr Eigen::Index kLanczosMaxRestarts = 300;
// Power iterations that set the operator's scale (they stop earlier once it settles to 10%).
constexpr int kScaleIterations = 8;

// M = S^T S / scale + I = -S S / scale + I as a Spectra operator (Spectra's OpType: Scalar, rows,
// cols, perform_op), with S v = Q U A U Q v applied through game.Payoff only, so it never reads a
// stored P. Why the scale and the shift: see LanczosSpectralRadius.
class ShiftedSkewGram {
 public:
  using Scalar = double;

  ShiftedSkewGram(const Game& game, const Eigen::VectorXd& pi, CancelFlag cancel)
      : game_(game), u_(pi.array().sqrt()), cancel_(cancel) {}

  Eigen::Index rows() const { return u_.size(); }
  Eigen::Index cols() const { return u_.size(); }
  void set_scale(double scale) { scale_ = scale; }
  std::int64_t products() const { return products_; }

  void perform_op(const double* x_in, double* y_out) const {
    const Eigen::Map<const Eigen::VectorXd> x(x_in, rows());
    Eigen::Map<Eigen::VectorXd>(y_out, rows()) = x - ApplyS(ApplyS(x)) / scale_;
  }

  // S v: one product by P. w = U Q v has 1^T w = u^T Q v = 0 up to rounding, so A w = P w - (1^T w)/2
  // is P w with a rounding-sized correction.
  Eigen::VectorXd ApplyS(const Eigen::VectorXd& v) const {
    ThrowIfCancelled(cancel_);  // through Spectra, which passes exceptions on
    const Eigen::VectorXd w = (v - u_ * u_.dot(v)).cwiseProduct(u_);
    ++products_;
    const Eigen::VectorXd Kv = ((game_.Payoff(w).array() - 0.5 * w.sum()) * u_.array()).matrix();
    return Kv - u_ * u_.dot(Kv);
  }

 private:
  const Game& game_;
  Eigen::VectorXd u_;
  CancelFlag cancel_;
  double scale_ = 1.0;
  mutable std::int64_t products_ = 0;
};

// The report of a rho found `how` to be below SpectralRadiusResolution(n), which is then 0 (the
// same words from every method).
std::string BelowResolution(double rho, std::string_view how, Eigen::Index n) {
  return fmt::format("rho ~ {:.1e} {}, below the resolution {:.1e}: rho = 0", rho, how, SpectralRadiusResolution(n));
}

// Lanczos (Spectra's SymEigsSolver, with full reorthogonalization) for the largest eigenvalue of
// S^T S. Each eigenvalue sigma^2 is double (the pair +-i sigma), so two are asked for.
//
// Scale and shift: Spectra's tridiagonal eigensolver (TridiagEigen, 1.0.1) deflates by an absolute
// test, |e_i|^2 <= eps^2 (|d_i| + |d_i+1|). Where pi is concentrated, S^T S has a few eigenvalues and
// the rest ~0, Lanczos exhausts that subspace within a few steps and continues on rounding noise,
// and its tridiagonal then has diagonal entries ~0 next to off-diagonal noise that the test does not
// deflate: the Ritz values came out wrong by up to 5e-5 relative, reported as converged (Bradley-Terry
// at pi*, n = 100). So the operator is scaled by a lower bound s of its largest eigenvalue (power
// iteration, so lambda_max / s is in [1, ~4]) and shifted by the identity: its spectrum is then
// [1, 1 + lambda_max / s], noise blocks sit at 1 where the test deflates them, and the top
// eigenvalue keeps full relative accuracy (it is >= 2). Krylov spaces are shift-invariant, so the
// shift costs no convergence. The Ritz pair is then checked with one more application (its true
// residual), so a wrong answer is reported as a failure, never returned.
SpectralRadiusResult LanczosSpectralRadius(const Game& game, const Eigen::VectorXd& pi,
                                           CancelFlag cancel) {
  SpectralRadiusResult result;
  result.method = SpectralRadiusMethod::kLanczos;
  const Eigen::Index n = pi.size();
  ShiftedSkewGram op(game, pi, cancel);
  // A deterministic start, uniform in [-1, 1) from a fixed 64-bit LCG: the answer must not depend on
  // a seed, and continuous entries (unlike +-1) put it in the null space of S != 0 with probability 0.
  Eigen::VectorXd v(n);
  std::uint64_t state = 0x9E3779B97F4A7C15ull;
  for (Eigen::Index i = 0; i < n; ++i) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    v[i] = static_cast<double>(state >> 11) * 0x1p-52 - 1.0;
  }
  v.normalize();
  Eigen::VectorXd Sv = op.ApplyS(v);
  // Power iteration on S^T S: the Rayleigh quotient ||S v||^2 (||v|| = 1) rises to lambda_max = rho^2
  // (one step suffices where one pair dominates; within ~4x where the spectrum is flat).
  double scale = Sv.squaredNorm();
  for (int k = 0; k < kScaleIterations && scale > 0.0; ++k) {
    const Eigen::VectorXd next = -op.ApplyS(Sv);
    if (!(next.norm() > 0.0)) break;
    v = next.normalized();
    Sv = op.ApplyS(v);
    const double rayleigh = Sv.squaredNorm();
    const bool settled = rayleigh < 1.1 * scale;
    scale = std::max(scale, rayleigh);
    if (settled) break;
  }
  // Below the resolution S is 0 to rounding (A = 0 on the support of pi, pi a vertex, a gradient
  // game, n = 2, or a pi* so concentrated that rho ~ 1e-16), where Lanczos would only iterate on
  // noise: rho is reported as 0.
  if (!(std::sqrt(scale) > SpectralRadiusResolution(n))) {
    result.rho = 0.0;
    result.converged = true;
    result.products = op.products();
    result.message = BelowResolution(std::sqrt(scale), "by power iteration", n);
    return result;
  }
  // The rounding noise of S v, measured by linearity: S v - S v_even - S v_odd is 0 in exact
  // arithmetic. Where pi is concentrated it is not eps ||S|| = eps rho but eps ||K|| >> eps rho (the
  // projections cancel), and it limits the relative accuracy of every application of S, and of rho:
  // Spectra is asked for 1e-10, or for what the noise allows.
  Eigen::VectorXd even = v, odd = v;
  for (Eigen::Index i = 0; i < n; ++i) (i % 2 == 0 ? odd : even)[i] = 0.0;
  const double noise = (Sv - op.ApplyS(even) - op.ApplyS(odd)).norm();
  const double tolerance = std::max(kLanczosTolerance, 10.0 * noise / Sv.norm());
  op.set_scale(scale);

  const Eigen::Index nev = std::min<Eigen::Index>(2, n - 1);
  std::string failure;
  // A second try with a larger subspace before giving up (never seen needed on the test games).
  for (const Eigen::Index ncv_wanted : {Eigen::Index{20}, Eigen::Index{60}}) {
    const Eigen::Index ncv = std::min(n, ncv_wanted);
    try {
      Spectra::SymEigsSolver<ShiftedSkewGram> eigs(op, nev, ncv);
      eigs.init();
      eigs.compute(Spectra::SortRule::LargestAlge, kLanczosMaxRestarts, tolerance);
      if (eigs.info() == Spectra::CompInfo::Successful) {
        const double theta = eigs.eigenvalues()[0];
        const Eigen::VectorXd x = eigs.eigenvectors(1).col(0);
        Eigen::VectorXd Mx(n);
        op.perform_op(x.data(), Mx.data());
        // ||M x - theta x|| / ||x||, with 10x margin over Spectra's own (estimated) residual test.
        const double residual = (Mx - theta * x).norm() / x.norm();
        if (residual <= 10 * tolerance * theta) {
          result.rho = std::sqrt(scale * std::max(0.0, theta - 1.0));
          result.converged = true;
          result.products = op.products();
          result.message =
              fmt::format("Lanczos converged with {} products by P (subspace {}, residual {:.1e}, tolerance "
                          "{:.0e})", op.products(), ncv, residual / theta, tolerance);
          return result;
        }
        failure = fmt::format("Spectra's Ritz pair has residual {:.1e} relative; ", residual / theta);
      }
    } catch (const Cancelled&) {
      throw;                             // not a failure of the eigensolve
    } catch (const std::exception& e) {  // Spectra reports a failed inner eigensolve by throwing
      failure = fmt::format("Spectra: {}; ", e.what());
    }
    if (ncv == n) break;
  }
  result.rho = std::numeric_limits<double>::quiet_NaN();
  result.products = op.products();
  result.message = failure + fmt::format("Lanczos did not converge to relative {:.0e} in {} products by P",
                                         tolerance, op.products());
  return result;
}

// rho from A = F M F^T (PreferenceOperator::skew_factors). With U = diag(u), u = sqrt(pi) and
// Q = I - u u^T, S = Q U A U Q = G M G^T for G = Q U F, whose row i is u_i (F_i - c^T) with
// c = F^T pi (u^T U F = pi^T F): each row is projected before it is used, so a column of F along u
// (a constant one) cancels row by row. With G = Q_G R (thin QR, R upper-trapezoidal, at most m x m),
// S = Q_G B Q_G^T with B = R M R^T, m x m and skew, and rho = ||S||_2 = ||B||_2 =
// sqrt(lambda_max(B^T B)). R is built by a streamed QR: each block of G's rows is stacked under the R
// so far and factored again, so G is never held whole: O(n m^2) time, O(m^2 + block m) memory. (The
// Gram matrix G^T G would be cheaper, but it squares G's conditioning: where pi is supported on a
// few actions its rounding, eps ||G||^2, came out of its square root as sqrt(eps) ||G||, and rho
// ~ 1e-18 was reported as 4e-11.)
SpectralRadiusResult LowRankSpectralRadius(const SkewFactors& factors, const Eigen::VectorXd& pi,
                                           CancelFlag cancel) {
  SpectralRadiusResult result;
  result.method = SpectralRadiusMethod::kLowRank;
  const auto& F = factors.F;
  const Eigen::Index n = F.rows(), m = F.cols();
  const Eigen::RowVectorXd c = pi.transpose() * F;
  constexpr Eigen::Index kBlockRows = 4096;
  Eigen::MatrixXd R(0, m), stacked;
  for (Eigen::Index start = 0; start < n; start += kBlockRows) {
    ThrowIfCancelled(cancel);
    const Eigen::Index rows = std::min(kBlockRows, n - start);
    stacked.resize(R.rows() + rows, m);
    stacked.topRows(R.rows()) = R;
    stacked.bottomRows(rows) =
        pi.segment(start, rows).cwiseSqrt().asDiagonal() * (F.middleRows(start, rows).rowwise() - c);
    const Eigen::HouseholderQR<Eigen::MatrixXd> qr(stacked);
    R = qr.matrixQR().topRows(std::min(stacked.rows(), m)).triangularView<Eigen::Upper>();
  }
  // A non-finite policy (or factor) would come out of the eigensolver as a number.
  if (!R.allFinite()) {
    result.rho = std::numeric_limits<double>::quiet_NaN();
    result.message = fmt::format("the QR factor of the rank-{} factors at pi is not finite", m);
    return result;
  }
  const Eigen::MatrixXd B = R * factors.M * R.transpose();
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(B.transpose() * B, Eigen::EigenvaluesOnly);
  if (eig.info() != Eigen::Success) {
    result.rho = std::numeric_limits<double>::quiet_NaN();
    result.message = fmt::format("the {0} x {0} eigensolve of the rank-{0} factors did not converge", B.rows());
    return result;
  }
  const double rho = std::sqrt(std::max(0.0, eig.eigenvalues().maxCoeff()));
  result.converged = true;
  // The same resolution as Lanczos's, so that the two report the same 0 (a pure policy, A = 0 on
  // the support of pi, a gradient game).
  result.rho = rho > SpectralRadiusResolution(n) ? rho : 0.0;
  const std::string how = fmt::format("from the game's rank-{} factors", m);
  result.message = result.rho > 0.0 ? how : BelowResolution(rho, how, n);
  return result;
}

}  // namespace

SpectralRadiusResult ComputeSpectralRadius(const Game& game, const Eigen::VectorXd& pi,
                                           SpectralRadiusMethod method, CancelFlag cancel) {
  NLHF_CHECK(pi.size() == game.n(), "SpectralRadius: pi has the wrong size");
  const SkewFactors* factors = game.preferences().skew_factors();
  if (method == SpectralRadiusMethod::kAuto)
    method = game.n() <= kSpectralRadiusDenseMaxN ? SpectralRadiusMethod::kDense
             : factors != nullptr && factors->F.cols() <= kSpectralRadiusLowRankMaxM
                 ? SpectralRadiusMethod::kLowRank
                 : SpectralRadiusMethod::kLanczos;
  if (method == SpectralRadiusMethod::kLanczos) return LanczosSpectralRadius(game, pi, cancel);
  if (method == SpectralRadiusMethod::kLowRank) {
    NLHF_CHECK(factors != nullptr, "SpectralRadius: low_rank asked of a game without skew factors");
    return LowRankSpectralRadius(*factors, pi, cancel);
  }
  SpectralRadiusResult result;
  result.method = SpectralRadiusMethod::kDense;
  // Below the resolution, 0, as the other methods report it (a 2 x 2 game's S is 0 in exact
  // arithmetic, and its rounding gave rho ~ 1e-104).
  const double rho = DenseSpectralRadius(game, pi);
  result.rho = rho > SpectralRadiusResolution(game.n()) ? rho : 0.0;
  result.converged = true;
  result.message = result.rho > 0.0 ? "dense eigendecomposition" : BelowResolution(rho, "by dense eigendecomposition", game.n());
  return result;
}

double SpectralRadius(const Game& game, const Eigen::VectorXd& pi, CancelFlag cancel) {
  const SpectralRadiusResult result =
      ComputeSpectralRadius(game, pi, SpectralRadiusMethod::kAuto, cancel);
  NLHF_CHECK(result.converged, "SpectralRadius: " + result.message);
  return result.rho;
}

StabilityLimits ComputeStabilityLimits(double beta, double rho) {
  StabilityLimits s;
  s.rho = rho;
  for (const auto& entry : SolverRegistry().entries()) {
    const SolverTraits& t = entry.traits;
    if (!t.stability_limit) continue;
    StepLimit row{entry.name, t.step, t.stability_limit(beta, rho), std::nullopt};
    if (t.best_step) row.best = t.best_step(beta, rho);
    s.steps.push_back(std::move(row));
  }
  return s;
}

const StepLimit* StabilityLimits::Find(std::string_view solver) const {
  for (const StepLimit& row : steps)
    if (row.solver == solver) return &row;
  return nullptr;
}

double ExtragradientLimit(double s) {
  NLHF_CHECK(s >= 0.0 && std::isfinite(s), "ExtragradientLimit needs a finite s >= 0");
  // The last root, kept: a run asks for the same s (rho / beta) several times (the equilibrium's
  // table for egpo and nash_mp, then nash_mp's own limit), and each bisection takes ~60 halvings.
  thread_local double last_s = -1.0, last_root = 0.0;
  if (s == last_s) return last_root;
  // |f|^2 - 1 = a (s^2 (1+s^2) a^3 + (1-s^2) a - 2): the cubic is -2 at a = 0, increases past its
  // one positive root and is 6 s^2 + 8 s^4 >= 0 at a = 2, so bisection on [0, 2] finds the root.
  const double c3 = s * s * (1.0 + s * s), c1 = 1.0 - s * s;
  double lo = 0.0, hi = 2.0;
  for (int k = 0; k < 2000; ++k) {
    const double mid = 0.5 * (lo + hi);
    if (mid <= lo || mid >= hi) break;  // the bracket is two adjacent doubles
    ((c3 * mid * mid + c1) * mid - 2.0 < 0.0 ? lo : hi) = mid;
  }
  // s <= 1/2 / 1e-8 for every supported beta; far beyond that c3 overflows and the root is lost.
  NLHF_CHECK(lo > 0.0, "ExtragradientLimit: no positive root (s too large)");
  last_s = s;
  last_root = lo;
  return lo;
}

Eigen::VectorXd BiasedLimitLogits(const Game& game, double beta, double c,
                                  const EquilibriumOptions& options) {
  NLHF_CHECK(c >= 0.0 && c <= 1.0, "mixture weight outside [0, 1]");
  // c = 1 (eta beta = 1, the largest constant step): the mixture is mu itself, pi*_infinity.
  if (c == 1.0) return BestResponseLogits(game, beta, game.Payoff(game.mu()));
  const Equilibrium shifted = SolveEquilibrium(game, beta / (1.0 - c), options);
  NLHF_CHECK(shifted.certified(), "the shifted equilibrium was not certified: " + shifted.message);
  return BestResponseLogits(game, beta, game.Payoff(shifted.pi));
}

std::optional<double> TargetGapBeta(const Solver& solver, const Game& game, double beta,
                                    const Equilibrium& star, std::vector<std::string>& warnings,
                                    CancelFlag cancel) {
  switch (solver.Target()) {
    case SolverTarget::kPiStar:
      return star.certificate;
    case SolverTarget::kUnregularized:
      return std::nullopt;
    case SolverTarget::kBiased: {
      const double c = solver.BiasedMixture();
      // c = 1 (eta beta = 1, which the solver allows): the mixture is mu, and beta / (1 - c) infinite.
      if (c == 1.0) return GapBeta(game, beta, Evaluate(game, BiasedLimitLogits(game, beta, c, {})));
      const Equilibrium shifted = SolveEquilibrium(
          game, beta / (1.0 - c), EquilibriumOptions{.stability = false, .cancel = cancel});
      if (!shifted.certified()) {
        warnings.push_back(fmt::format("the biased limit point (pi* at beta/(1-c), c = {}) was not certified ({}); "
                                       "target_gap_beta is left empty", c, shifted.message));
        return std::nullopt;
      }
      const Eigen::VectorXd target = BestResponseLogits(game, beta, game.Payoff(shifted.pi));
      return GapBeta(game, beta, Evaluate(game, target));
    }
  }
  return std::nullopt;
}

}  // namespace nlhf
