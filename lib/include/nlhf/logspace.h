#pragma once
// Log-space primitives. Policies are kept as normalized logits l = log(pi); probabilities are
// never clamped, and every reduction is shifted by its maximum (log-sum-exp).
#include <Eigen/Core>
#include <cmath>
#include <utility>

namespace nlhf {

// log(sum_y exp(x_y)); -inf for an all -inf vector.
double LogSumExp(const Eigen::VectorXd& x);

// x - LogSumExp(x): the logits of softmax(x).
Eigen::VectorXd NormalizeLogits(const Eigen::VectorXd& x);

// How NormalizeLogits takes log sum exp off. l - (top + log sum) rounds top + log sum to top's
// precision, so that sum(pi) = exp(-rounding): off by 1e-13 at |top| = 1e3, 5e-10 at 1e6, and
// entirely at 1e20 (a step of 1e20 on a tournament's ties: log sum = log 4 is below half an ulp of
// 1e20, and four actions each got probability 1). Beyond kShiftFirst the largest logit goes to 0
// first and the log of the sum comes off after. Within it the one-subtraction form stays: every
// result before computed it (bit for bit), and the certified equilibrium's Newton iterations, whose
// logits are normalized already, converge further with it (one rounding of each far-negative logit
// instead of two: a residual of 1e-13 against 2e-9 on a game at beta = 1e-4).
inline constexpr double kShiftFirst = 1024.0;

// l -= log sum exp(l), given top = max l (finite) and sum = sum exp(l - top), in NormalizeLogits'
// way (kShiftFirst). `l` an Eigen array expression; gap_beta's best response takes it off too.
template <class Logits>
void SubtractLogNormalizer(Logits&& l, double top, double sum) {
  if (std::abs(top) <= kShiftFirst) {
    l -= top + std::log(sum);
  } else {
    l -= top;
    l -= std::log(sum);
  }
}

// l <- NormalizeLogits(l), without allocating (for solver hot paths).
void NormalizeLogitsInPlace(Eigen::VectorXd& l);

// Probabilities(NormalizeLogits(x)): exp of the normalized logits, subnormal or 0 where they are.
Eigen::VectorXd Softmax(const Eigen::VectorXd& x);

// Below about -709.78 Eigen's vectorized exp returns 5.6e-309 for any argument (-inf included),
// where std::exp gives a subnormal, or 0; ExpProbabilities takes std::exp below this, a margin above.
inline constexpr double kEigenExpFloor = -708.0;
// out = exp(x) for probabilities that multiply logs: Eigen's vectorized exp, and std::exp below
// kEigenExpFloor. A probability that is 0 must be 0 there: p (log p - log q) with log p = -1e300 and
// p = 5.6e-309 made gap_beta -0.0186. `out` (an array or an .array() view) must not alias `x`.
template <class X, class Out>
void ExpProbabilities(const Eigen::ArrayBase<X>& x, const Eigen::ArrayBase<Out>& out_view) {
  Eigen::ArrayBase<Out>& out = const_cast<Eigen::ArrayBase<Out>&>(out_view);  // (Eigen's idiom for views)
  out = x.exp();
  for (Eigen::Index y = 0; y < x.size(); ++y)
    if (x(y) < kEigenExpFloor) out(y) = std::exp(x(y));
}
// The probabilities of the logits `log_p` (ExpProbabilities): what outputs show as a policy.
inline Eigen::VectorXd Probabilities(const Eigen::VectorXd& log_p) {
  Eigen::VectorXd p(log_p.size());
  ExpProbabilities(log_p.array(), p.array());
  return p;
}

// phi(d) = exp(-d) - 1 + d >= 0, accurate to full relative precision for small |d|.
double BregmanPhi(double d);

// KL(p || q) = sum_y p_y (log p_y - log q_y), from normalized logits (KlSum). Written as
// sum_y p_y * phi(log p_y - log q_y), which is exact because sum_y p_y exp(-(log p_y - log q_y))
// = sum_y q_y = 1: every term is >= 0, so the result is >= 0 by construction and keeps its
// relative precision near 0. Where p_y = 0 the term is q_y (the share of q outside p's support);
// where q_y = 0 < p_y it is +inf (KlTerm).
double KlFromLogits(const Eigen::VectorXd& log_p, const Eigen::VectorXd& log_q);
// {KL(p || q), KL(q || p)}: the two KlFromLogits, bit for bit, with each exp taken once (kl_to_star
// and kl_from_star of one record).
std::pair<double, double> KlBothWays(const Eigen::VectorXd& log_p, const Eigen::VectorXd& log_q);
// The same with p = ExpEach(log_p) given (a run's records all take the KLs to one pi*), bit for bit.
std::pair<double, double> KlBothWays(const Eigen::VectorXd& log_p, const Eigen::VectorXd& p,
                                     const Eigen::VectorXd& log_q);
// std::exp of each entry: the exps KlFromLogits takes (Eigen's vectorized exp may differ in the
// last bit).
Eigen::VectorXd ExpEach(const Eigen::VectorXd& x);
// One term of that sum: p phi(log p - log q), or q where p = 0, or +inf where q = 0 and p > 0 (a
// log p that is finite, even where exp(log p) underflows to 0).
double KlTerm(double log_p, double log_q);

// sum_{y < n} KlTerm(log_p[y], log_q[y]), given p[y] = exp(log_p[y]): the kernel of KlFromLogits,
// gap_beta and the solvers' subgame gaps. p phi(d) is summed as p times phi's Taylor polynomial where
// |d| <= 1/2 and as q - p + p d beyond (each term within 3e-15 relative of its exact value).
double KlSum(const double* log_p, const double* p, const double* log_q, Eigen::Index n);
// The same with q[y] = exp(log_q[y]) also given (gap_beta has it from its log-sum-exp).
double KlSumKnownQ(const double* log_p, const double* p, const double* log_q, const double* q, Eigen::Index n);
// An upper bound on KlSum(log_p, p, log_q, n) as computed, with no exp where |d| <= 1/2: there
// phi(d) / d^2 = 1/2 - d/6 + d^2/24 - ... decreases in d, so it is at most phi(-1/2) / (1/4) =
// 0.5949 and the term is bounded by 0.6 p d^2; beyond, the term is KlSum's own. Near p = q it is
// 1.2 times the KL (at most 1.41 times while every |d| <= 1/2). The run driver's theory check
// computes KlSum only when this bound does not settle it.
double KlSumUpperBound(const double* log_p, const double* p, const double* log_q, Eigen::Index n);
// The same bound with no exp at all: KlSumUpperBound's value when every |d| <= 1/2, +inf as soon
// as one is not (NaN for a NaN d). The theory check tries it first, inside the solver's time,
// where it costs less than the two clock reads that excluding it would need.
double KlSumQuadraticBound(const double* log_p, const double* p, const double* log_q, Eigen::Index n);

}  // namespace nlhf
