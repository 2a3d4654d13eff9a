#pragma once
// The certified regularized Nash equilibrium pi*_beta of a preference game (DESIGN.md section 5):
// the unique fixed point log pi* = log mu + P pi* / beta - log Z for beta > 0.
//
// Method: damped Newton on the centered residual F(l) = c(l - log mu - P softmax(l) / beta), with
// Jacobian c(I - P (diag pi - pi pi^T) / beta) on the sum-zero subspace, along a continuation in
// beta (from a strength where the problem is easy down to the target, warm-starting each stage);
// falls back to Nash Mirror Prox run to machine precision. The answer is certified by
// gap_beta(pi*) <= tolerance; when that fails the status says so. Never a silent wrong answer.
#include <Eigen/Core>
#include <string>

#include "nlhf/game.h"

namespace nlhf {

struct EquilibriumOptions {
  // The certificate gap_beta(pi*) must not exceed this.
  double certify_tolerance = 1e-12;
  // Newton iterations over all continuation stages.
  int max_newton_iterations = 400;
  // Iterations of the Nash-MP fallback (each costs two P pi).
  int max_fallback_iterations = 200000;
  // Skip Newton (for tests of the fallback path).
  bool newton = true;
};

enum class EquilibriumStatus {
  kCertified,     // certificate <= certify_tolerance
  kNotCertified,  // best effort returned; certificate says how far off it is
};

struct Equilibrium {
  EquilibriumStatus status = EquilibriumStatus::kNotCertified;
  double beta = 0.0;
  Eigen::VectorXd log_pi;  // normalized logits of pi*
  Eigen::VectorXd pi;
  double certificate = 0.0;  // gap_beta(pi*), achieved
  int newton_iterations = 0;
  int continuation_stages = 0;
  int fallback_iterations = 0;
  std::string method;   // "newton", "newton+nash_mp" or "nash_mp"
  std::string message;  // evidence, e.g. "gap_beta 3.1e-17 <= 1e-12 after 14 Newton iterations"
  bool certified() const { return status == EquilibriumStatus::kCertified; }
};

// Throws InputError if beta is not a finite number > 0 (the beta = 0 equilibrium is a linear
// program, which this function does not solve).
Equilibrium SolveEquilibrium(const Game& game, double beta, const EquilibriumOptions& options = {});

}  // namespace nlhf
