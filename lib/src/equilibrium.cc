#include "nlhf/equilibrium.h"

#include <fmt/format.h>

#include <Eigen/Eigenvalues>
#include <Eigen/LU>
#include <Spectra/SymEigsSolver.h>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <exception>
#include <limits>
#include <memory>

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

// J = c(I - P D / beta) + 1 1^T / n with D = diag(pi) - pi pi^T, so P D = P diag(pi) - g pi^T.
void BuildJacobian(const Game& game, double beta, const Residual& res, Eigen::MatrixXd& J) {
  J.noalias() = -(game.P() * res.pi.asDiagonal());
  J.noalias() += res.g * res.pi.transpose();
  J /= beta;
  J.diagonal().array() += 1.0;
  const Eigen::RowVectorXd col_mean = J.colwise().mean();
  J.rowwise() -= col_mean;
  J.array() += 1.0 / static_cast<double>(game.n());
}

struct StageResult {
  bool converged = false;
  int iterations = 0;
};

// Damped Newton at strength beta from l (updated in place). The Jacobian of F on the sum-zero
// subspace is J = c(I - P D / beta), D = diag(pi) - pi pi^T (the softmax Jacobian); adding
// 1 1^T / n makes it invertible while forcing sum(delta) = 0. Stops when ||F||_inf <= tol, or, with
// tol = 0, when the merit ||F||_2 no longer decreases (rounding floor).
StageResult NewtonStage(const Game& game, double beta, Eigen::VectorXd& l, double tol,
                        int max_iterations) {
  const Eigen::Index n = game.n();
  StageResult result;
  Residual res = ComputeResidual(game, beta, l);
  Eigen::MatrixXd J(n, n);
  Eigen::PartialPivLU<Eigen::MatrixXd> lu(n);
  while (result.iterations < max_iterations) {
    if (!std::isfinite(res.norm2)) return result;
    if (res.norm2 == 0.0 || (tol > 0.0 && res.r.cwiseAbs().maxCoeff() <= tol)) {
      result.converged = true;
      return result;
    }
    BuildJacobian(game, beta, res, J);
    lu.compute(J);
    const Eigen::VectorXd delta = lu.solve(-res.r);
    if (!delta.allFinite()) return result;
    ++result.iterations;

    // Backtracking line search on ||F||_2 (Armijo with a small slope requirement).
    double t = 1.0;
    bool accepted = false;
    for (int k = 0; k < 40; ++k, t *= 0.5) {
      Eigen::VectorXd trial = NormalizeLogits(l + t * delta);
      Residual trial_res = ComputeResidual(game, beta, trial);
      if (trial_res.norm2 <= (1.0 - 1e-4 * t) * res.norm2) {
        l = std::move(trial);
        res = std::move(trial_res);
        accepted = true;
        break;
      }
    }
    // A step below the rounding of l itself cannot improve l: the rounding floor.
    const double floor = 8.0 * std::numeric_limits<double>::epsilon() * (1.0 + l.cwiseAbs().maxCoeff());
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
// gap_beta stops decreasing (checked every 16 iterations) or reaches `target`. Returns the
// iterations used.
int NashMpPolish(const Game& game, double beta, Eigen::VectorXd& l, double target, int max_iterations) {
  const std::unique_ptr<Solver> solver = MakeSolver("nash_mp");
  solver->Reset(SolverContext{&game, beta, l, std::nullopt});
  double last_gap = std::numeric_limits<double>::infinity();
  int it = 0;
  for (; it < max_iterations; ++it) {
    if (it % 16 == 0) {
      const double gap = GapBeta(game, beta, Evaluate(game, solver->current()));
      if (gap <= target || !(gap < last_gap)) break;
      last_gap = gap;
    }
    solver->Step();
  }
  l = solver->current();
  return it;
}

// The next continuation strength: `proposal`, or the target once within rounding of it.
double NextStrength(double target, double proposal) {
  return proposal <= target * (1.0 + 1e-9) ? target : proposal;
}

}  // namespace

Equilibrium SolveEquilibrium(const Game& game, double beta, const EquilibriumOptions& options) {
  if (!std::isfinite(beta) || beta < 0.0)
    throw InputError("beta", fmt::format("{} is not allowed, expected a finite number > 0", beta));
  if (beta == 0.0) {
    throw InputError("beta", "0 has no unique regularized equilibrium (the beta = 0 equilibrium is a "
                             "linear program, not supported yet), expected beta > 0");
  }
  Equilibrium eq;
  eq.beta = beta;
  Eigen::VectorXd l = game.log_mu();
  bool newton_ok = false;

  // The dense Newton needs a stored P (its Jacobian is n x n); an implicit game goes to the
  // matrix-free Nash-MP path below.
  if (options.newton && game.dense() != nullptr) {
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
      const StageResult stage =
          NewtonStage(game, b, l, final_stage ? 0.0 : 1e-6, std::min(budget, final_stage ? 60 : 25));
      budget -= stage.iterations;
      eq.newton_iterations += stage.iterations;
      ++eq.continuation_stages;
      if (stage.converged && l.allFinite()) {
        if (final_stage) {
          newton_ok = true;
          break;
        }
        last_good = l;
        last_b = b;
        if (stage.iterations <= 6) factor = std::max(factor * factor, 0.1);  // easy: go faster
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
  }

  eq.certificate = GapBeta(game, beta, Evaluate(game, l));
  eq.method = "newton";
  if (!newton_ok || !(eq.certificate <= options.certify_tolerance)) {
    eq.method = options.newton ? "newton+nash_mp" : "nash_mp";
    // The certificate bounds KL only to ~tolerance / beta; polish far below it.
    eq.fallback_iterations = NashMpPolish(game, beta, l, 1e-12 * options.certify_tolerance,
                                          options.max_fallback_iterations);
    eq.certificate = GapBeta(game, beta, Evaluate(game, l));
  }

  eq.log_pi = l;
  eq.pi = l.array().exp();
  if (eq.certificate <= options.certify_tolerance) {
    eq.status = EquilibriumStatus::kCertified;
    // rho reads P only through products above kSpectralRadiusDenseMaxN (Lanczos), so implicit
    // games get it at every size.
    if (options.stability) eq.stability = ComputeStabilityLimits(beta, SpectralRadius(game, eq.pi));
    eq.message = fmt::format("gap_beta {:.3g} <= {:.3g} ({}: {} Newton iterations in {} stages, {} "
                             "Nash-MP iterations)",
                             eq.certificate, options.certify_tolerance, eq.method, eq.newton_iterations,
                             eq.continuation_stages, eq.fallback_iterations);
  } else {
    eq.status = EquilibriumStatus::kNotCertified;
    eq.message = fmt::format("not certified: gap_beta {:.3g} > {:.3g} after {} Newton and {} Nash-MP "
                             "iterations",
                             eq.certificate, options.certify_tolerance, eq.newton_iterations,
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

  ShiftedSkewGram(const Game& game, const Eigen::VectorXd& pi) : game_(game), u_(pi.array().sqrt()) {}

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
    const Eigen::VectorXd w = (v - u_ * u_.dot(v)).cwiseProduct(u_);
    ++products_;
    const Eigen::VectorXd Kv = ((game_.Payoff(w).array() - 0.5 * w.sum()) * u_.array()).matrix();
    return Kv - u_ * u_.dot(Kv);
  }

 private:
  const Game& game_;
  Eigen::VectorXd u_;
  double scale_ = 1.0;
  mutable std::int64_t products_ = 0;
};

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
SpectralRadiusResult LanczosSpectralRadius(const Game& game, const Eigen::VectorXd& pi) {
  SpectralRadiusResult result;
  result.method = SpectralRadiusMethod::kLanczos;
  const Eigen::Index n = pi.size();
  ShiftedSkewGram op(game, pi);
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
    result.message = fmt::format("rho ~ {:.1e} by power iteration, below the resolution {:.1e} of products by P: "
                                 "rho = 0", std::sqrt(scale), SpectralRadiusResolution(n));
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

}  // namespace

SpectralRadiusResult ComputeSpectralRadius(const Game& game, const Eigen::VectorXd& pi,
                                           SpectralRadiusMethod method) {
  NLHF_CHECK(pi.size() == game.n(), "SpectralRadius: pi has the wrong size");
  if (method == SpectralRadiusMethod::kAuto)
    method = game.n() <= kSpectralRadiusDenseMaxN ? SpectralRadiusMethod::kDense : SpectralRadiusMethod::kLanczos;
  if (method == SpectralRadiusMethod::kLanczos) return LanczosSpectralRadius(game, pi);
  SpectralRadiusResult result;
  result.method = SpectralRadiusMethod::kDense;
  result.rho = DenseSpectralRadius(game, pi);
  result.converged = true;
  result.message = "dense eigendecomposition";
  return result;
}

double SpectralRadius(const Game& game, const Eigen::VectorXd& pi) {
  const SpectralRadiusResult result = ComputeSpectralRadius(game, pi);
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
  return lo;
}

Eigen::VectorXd BiasedLimitLogits(const Game& game, double beta, double c,
                                  const EquilibriumOptions& options) {
  NLHF_CHECK(c >= 0.0 && c < 1.0, "mixture weight outside [0, 1)");
  const Equilibrium shifted = SolveEquilibrium(game, beta / (1.0 - c), options);
  NLHF_CHECK(shifted.certified(), "the shifted equilibrium was not certified: " + shifted.message);
  return BestResponseLogits(game, beta, game.Payoff(shifted.pi));
}

std::optional<double> TargetGapBeta(const Solver& solver, const Game& game, double beta, const Equilibrium& star,
                                    std::vector<std::string>& warnings) {
  switch (solver.Target()) {
    case SolverTarget::kPiStar:
      return star.certificate;
    case SolverTarget::kUnregularized:
      return std::nullopt;
    case SolverTarget::kBiased: {
      const double c = solver.BiasedMixture();
      const Equilibrium shifted = SolveEquilibrium(game, beta / (1.0 - c), EquilibriumOptions{.stability = false});
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
