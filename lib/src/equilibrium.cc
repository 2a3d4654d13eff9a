#include "nlhf/equilibrium.h"

#include <fmt/format.h>

#include <Eigen/Eigenvalues>
#include <Eigen/LU>
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

#include "nlhf/errors.h"
#include "nlhf/logspace.h"
#include "nlhf/metrics.h"
#include "nlhf/solver.h"

namespace nlhf {

namespace {

// Stop-gap (issue 13): SpectralRadius materializes an implicit game's P, affordable up to this n
// (8 MB, within the memory estimate's base); larger implicit games get no rho until it is matrix-free.
constexpr Eigen::Index kMaterializedRhoMaxN = 1000;

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
    // Stop-gap (issue 13): rho of an implicit game materializes P, so only where that is cheap.
    if (options.stability && (game.dense() != nullptr || game.n() <= kMaterializedRhoMaxN))
      eq.stability = ComputeStabilityLimits(beta, SpectralRadius(game, eq.pi));
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

double SpectralRadius(const Game& game, const Eigen::VectorXd& pi) {
  const Eigen::VectorXd u = pi.array().sqrt();
  // Stop-gap (issue 13): an implicit game's P materialized from its entries.
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
