#pragma once
// The certified regularized Nash equilibrium pi*_beta of a preference game (docs/mathematics.md, the certified equilibrium):
// the unique fixed point log pi* = log mu + P pi* / beta - log Z for beta > 0.
//
// Method: inexact Newton (Eisenstat & Walker 1996; Kelley 2003, Newton-Krylov) on the centered residual
// F(l) = c(l - log mu - P softmax(l) / beta), with Jacobian J = c(I - P (diag pi - pi pi^T) / beta) on
// the sum-zero subspace, along a continuation in beta (from a strength where the problem is easy down
// to the target, warm-starting each stage). Each step solves J delta = -F by GMRES, where J v costs
// one P v: matrix-free (kKrylov; works for games whose P is never stored), or preconditioned by LU
// factors of the dense J where those pay (kDense). Falls back to Nash Mirror Prox run to machine
// precision. The answer is certified by gap_beta(pi*) <= tolerance, with the true P; when that fails
// the status says so. Never a silent wrong answer.
#include <Eigen/Core>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nlhf/cancel.h"
#include "nlhf/game.h"

namespace nlhf {

class Solver;

// One method's step limits at a game: its registry traits (SolverTraits in solver.h) at (beta, rho).
struct StepLimit {
  std::string solver;          // the registry name
  std::string step;            // the step parameter the numbers are in the convention of ("eta")
  double limit = 0.0;          // stable iff step < limit; +inf where every step is stable
  std::optional<double> best;  // the step of fastest local convergence, where the method knows one
};

// Stability limits of the step of each method at a game with spectral radius rho (docs/mathematics.md,
// stability limits), each in that method's own step convention. Exact for the updates linearized
// at pi*: each method multiplies the error mode along the eigenvalue i lambda of A D by a factor
// f(lambda) per iteration, and |f| < 1 for every mode iff it holds for lambda = rho (for omd and mmd
// |f| grows with lambda; for the extragradient pair the stable lambdas form an interval
// [0, lambda_max)). Each formula sits in its solver's file, next to its update equation.
struct StabilityLimits {
  double rho = 0.0;
  // Every registered solver that has a stability limit, in registry order.
  std::vector<StepLimit> steps;
  // The row of `solver`, or nullptr when it has no stability limit (or is not registered).
  const StepLimit* Find(std::string_view solver) const;
};
StabilityLimits ComputeStabilityLimits(double beta, double rho);

// The extragradient update (egpo with a = eta' beta, = nash_mp with a = eta/(1+eta)) multiplies the
// error mode with eigenvalue i s of A D / beta by f = (1-a) + i a (1-a) s - a^2 s^2; |f| < 1 exactly
// for a below the one positive root of s^2 (1+s^2) a^3 + (1-s^2) a - 2 = 0, returned here (in (0, 2);
// above 1 iff s < 1). For large s it is ~ 1/s + 1/s^2.
double ExtragradientLimit(double s);

// How J delta = -F is solved at each Newton step (equilibrium.cc, GmresDirection).
enum class EquilibriumMethod {
  kAuto,    // kDense below kKrylovFromN actions, kKrylov from there on
  // Up to 64 actions, an LU of the dense J at every Newton iteration and no GMRES (factorizations =
  // Newton iterations). Above, GMRES while it needs fewer iterations than one LU of J costs, then
  // GMRES preconditioned with lagged LU factors of J. O(n^3) per factorization and 2 n^2 more
  // doubles; reads game.P() (a float32 game's stored entries). Not for an implicit game, which
  // stores no entries.
  kDense,
  // Matrix-free GMRES: each J v is one game.Payoff(); O(n (restart + 1)) doubles of basis.
  kKrylov,
};

// Where auto switches from dense to Krylov. Measured (random_uniform with a softmax_normal reference,
// seconds, dense / Krylov in one run): the dense path is never much slower (it factors only where
// GMRES would cost more than a factorization; worst seen 19%, n = 3000, beta = 1e-3) and up to ~5x
// faster at small beta (beta = 1e-4: n = 1000 0.48 / 1.8 s, n = 2000 3.8 / 17.9 s, n = 4000 24 / 65 s);
// at beta >= 1e-2 both do the same matrix-free work. So the crossover is set by what a factorization
// costs when it happens, mostly memory: from n = 5000 on, J with its factors take 2 n^2 doubles
// (400 MB; 1.6 GB at n = 10^4) and one LU >= 5 s, which auto does not spend. kDense still works
// there when asked for (and is still the faster one at small beta on full-support games).
inline constexpr Eigen::Index kKrylovFromN = 5000;

// The method auto resolves to at n actions (`requested` itself unless it is kAuto).
EquilibriumMethod ResolveEquilibriumMethod(Eigen::Index n, EquilibriumMethod requested);
// The method SolveEquilibrium uses for `game`: as above for a game that stores its entries (dense or
// float32: the dense Jacobian is formed from them); kKrylov, whatever was asked, for one that does
// not (implicit: there is no Jacobian to form).
EquilibriumMethod ResolveEquilibriumMethod(const Game& game, EquilibriumMethod requested);

// Peak bytes of SolveEquilibrium's work buffers at n actions beyond the game itself (the Newton work;
// the Nash-MP fallback and options.stability add their own), for a resolved method.
double EquilibriumWorkBytes(Eigen::Index n, EquilibriumMethod method, int gmres_restart = 0);

// One Newton iteration, as the progress callback sees it.
struct EquilibriumProgress {
  EquilibriumMethod method = EquilibriumMethod::kDense;  // kDense or kKrylov (never kAuto)
  double beta = 0.0;           // the continuation stage's strength (the target beta on the last stage)
  int stage = 0;               // 1-based continuation stage
  int newton_iteration = 0;    // Newton iterations so far, over all stages
  double residual = 0.0;       // ||F||_inf after this iteration
  double step = 0.0;           // the line search's step length t in (0, 1]; 0 if no step was accepted
  int linear_iterations = 0;   // GMRES iterations of this Newton step
};

struct EquilibriumOptions {
  // The certificate gap_beta(pi*) must not exceed this.
  double certify_tolerance = 1e-12;
  // Newton iterations over all continuation stages.
  int max_newton_iterations = 400;
  // Iterations of the Nash-MP fallback (each costs two P pi).
  int max_fallback_iterations = 200000;
  // Skip Newton (for tests of the fallback path).
  bool newton = true;
  // How each Newton step is solved.
  EquilibriumMethod method = EquilibriumMethod::kAuto;
  // GMRES basis size before a restart (Krylov path); <= 0: min(n, max(30, 2^24 / n)), i.e. no restarts
  // up to n = 4096 and at most 128 MB of basis vectors beyond. Restarted GMRES can stagnate on hard
  // problems (small beta, large support): the result is then not certified, and says so.
  int gmres_restart = 0;
  // Called once per Newton iteration (observers only: it must not throw); empty: no calls.
  std::function<void(const EquilibriumProgress&)> progress = nullptr;
  // Also compute rho and the stability limits (O(n^3), like the solve itself).
  bool stability = true;
  // Polled at each Newton iteration, every 16 iterations of the Nash-MP fallback and at each
  // product by P of the Lanczos spectral radius; set: SolveEquilibrium throws Cancelled
  // (nlhf/cancel.h). (The dense LU factorizations and eigendecomposition, at n <= a few thousand,
  // are not interrupted.)
  CancelFlag cancel = nullptr;
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
  int linear_iterations = 0;  // GMRES iterations over all Newton steps
  int factorizations = 0;     // LU factorizations of the dense Jacobian (dense path only)
  // "newton" (dense), "krylov", either with "+nash_mp" when the fallback ran, or "nash_mp"
  std::string method;
  std::string message;  // evidence, e.g. "gap_beta 3.1e-17 <= 1e-12 after 14 Newton iterations"
  // rho = spectral radius of A D(pi*) and each method's stability limit at this game
  // (options.stability and certified only).
  std::optional<StabilityLimits> stability;
  bool certified() const { return status == EquilibriumStatus::kCertified; }
};

// Throws InputError if beta is not a finite number > 0 (the beta = 0 equilibrium is a linear
// program, which this function does not solve).
Equilibrium SolveEquilibrium(const Game& game, double beta, const EquilibriumOptions& options = {});

// rho: the spectral radius of A D with A = P - 1/2 and D = diag(pi) - pi pi^T, the number that
// governs every method's stability and speed near pi (docs/mathematics.md, solvers). Its eigenvalues are
// +-i lambda; rho = ||S||_2 for the skew-symmetric S = Q K Q with K = diag(sqrt pi) A diag(sqrt pi),
// Q = I - sqrt(pi) sqrt(pi)^T (the same nonzero eigenvalues, by cyclic similarity), so rho^2 is the
// largest eigenvalue of S^T S = -S^2, each of whose eigenvalues sigma^2 is double. Always
// rho <= max|A| <= 1/2.
//
// Three methods, the same number (to 1e-8 relative, tested at n <= 2000):
//  - dense: S^T S formed and fully eigendecomposed, O(n^3) time, O(n^2) memory; reads game.P().
//  - lanczos: matrix-free Lanczos (Spectra's SymEigsSolver, libspectra-dev) for the two largest
//    eigenvalues of S^T S; S v costs one game.Payoff, so it never reads a stored P. 50-160 products
//    by P on the test games (n = 30..4000), O(n^2) each for a dense game.
//  - low_rank: for a game whose operator is A = F M F^T (PreferenceOperator::skew_factors, the
//    low-rank games, F n x m), S = G M G^T with G = Q U F = Q_G R, so rho = ||R M R^T||_2: a
//    streamed QR of G in one pass over F, O(n m^2), no products by P. Lanczos costs some 100
//    products of O(n m) each, so low_rank is the cheaper up to m ~ 100.
// kAuto takes dense up to kSpectralRadiusDenseMaxN actions, and above, low_rank where the operator
// has the factors with at most kSpectralRadiusLowRankMaxM columns, and lanczos otherwise: the
// measured crossover
// (bench_core BM_SpectralRadius) lies between n = 50 and 100 (at mu of random_uniform: dense 0.078 ms,
// lanczos 0.094 ms at n = 50; 0.46 ms and 0.18 ms at n = 100; at pi* of five generators lanczos is
// faster from n = 50 on), and the gap grows as n^2: 10x at n = 1000, 25x at n = 4000.
// Every method resolves rho down to SpectralRadiusResolution(n) = 100 eps sqrt(n) (2.2e-13 at
// n = 100, 2.2e-11 at n = 10^6: the rounding of products by P, which are ~1/2 per entry) and reports
// a smaller rho as 0; that is far below any beta >= 1e-8, where the stability limits no longer
// depend on rho.
enum class SpectralRadiusMethod { kAuto, kDense, kLanczos, kLowRank };
inline constexpr Eigen::Index kSpectralRadiusDenseMaxN = 64;
inline constexpr Eigen::Index kSpectralRadiusLowRankMaxM = 64;
inline double SpectralRadiusResolution(Eigen::Index n) {
  return 100.0 * std::numeric_limits<double>::epsilon() * std::sqrt(static_cast<double>(n));
}

struct SpectralRadiusResult {
  double rho = 0.0;  // NaN when not converged
  bool converged = false;
  SpectralRadiusMethod method = SpectralRadiusMethod::kDense;  // the one that ran
  std::int64_t products = 0;                                   // products by P (lanczos)
  std::string message;                                         // evidence, or why it failed
};
// Non-convergence of the Lanczos method is reported in the result (converged = false), never a
// number. `cancel` is polled at each product by P (Lanczos) and each block of F's rows (low_rank):
// set, it throws Cancelled. kLowRank on a game without skew_factors() throws InternalError.
SpectralRadiusResult ComputeSpectralRadius(
    const Game& game, const Eigen::VectorXd& pi,
    SpectralRadiusMethod method = SpectralRadiusMethod::kAuto, CancelFlag cancel = nullptr);
// rho by kAuto; throws InternalError if the Lanczos method does not converge.
double SpectralRadius(const Game& game, const Eigen::VectorXd& pi, CancelFlag cancel = nullptr);

// The biased limit point BR_beta(pi*_{beta/(1-c)}) of methods that play against the mixture
// mix_c(pi, mu) (constant-step nash_md with c = eta beta, nash_md_pg, the EGPO-anchored nash_md).
// Normalized logits; certifies pi*_{beta/(1-c)} and throws InternalError if it cannot. c = 1: mu's
// best response (the mixture is mu).
Eigen::VectorXd BiasedLimitLogits(const Game& game, double beta, double c,
                                  const EquilibriumOptions& options = {});

// gap_beta of the point `solver` (after Reset on `game` at `beta`) converges to, by its Target():
// the certificate of `star` (pi*_beta, certified) for kPiStar; that of the biased limit
// BR_beta(pi*_{beta/(1-c)}), c = BiasedMixture(), for kBiased; nullopt for kUnregularized. A biased
// limit that cannot be certified is reported in `warnings` and left out (nullopt). `cancel`: as
// EquilibriumOptions::cancel.
std::optional<double> TargetGapBeta(const Solver& solver, const Game& game, double beta,
                                    const Equilibrium& star, std::vector<std::string>& warnings,
                                    CancelFlag cancel = nullptr);

}  // namespace nlhf
