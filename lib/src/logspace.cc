#include "nlhf/logspace.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "nlhf/errors.h"

namespace nlhf {

double LogSumExp(const Eigen::VectorXd& x) {
  const double top = x.maxCoeff();
  if (!std::isfinite(top)) return top;  // all -inf, or +inf/NaN present
  return top + std::log((x.array() - top).exp().sum());
}

Eigen::VectorXd NormalizeLogits(const Eigen::VectorXd& x) {
  const double top = x.maxCoeff();
  if (!std::isfinite(top)) return x.array() - top;  // all -inf, or +inf/NaN present (LogSumExp's top)
  Eigen::VectorXd l = x;
  NormalizeLogitsInPlace(l);
  return l;
}

void NormalizeLogitsInPlace(Eigen::VectorXd& l) {
  const double top = l.maxCoeff();
  if (!std::isfinite(top)) return;  // a non-finite iterate is left for the driver to detect
  SubtractLogNormalizer(l.array(), top, (l.array() - top).exp().sum());
}

Eigen::VectorXd Softmax(const Eigen::VectorXd& x) {
  return Probabilities(NormalizeLogits(x));  // (subnormal and 0 where they are: not Eigen's 5.6e-309)
}

namespace {

// Elements per block of the vectorized kernels: their temporaries live on the stack.
constexpr Eigen::Index kBlock = 128;

// phi(d) = sum_{k>=2} (-d)^k / k! to k = 15, for |d| <= 1/2: the truncation is below 7e-18 of phi.
// Split into its even and odd powers, phi(d) = x (E(x) - d O(x)) with x = d^2,
// E = sum_j x^j / (2j+2)! and O = sum_j x^j / (2j+3)!: two independent Horner chains of 7 terms
// (half the latency of one chain of 14), and phi(-d) = x (E + d O) from the same E and O, bit for
// bit what PhiSeries(-d) computes (x, E and O depend on d^2 only; negating d is exact), so a KL and
// its reverse share one evaluation (KlBothWaysOf). The relative error is at most about 2 eps (1.84
// found against a 300-bit series, 1.37 for one chain of 14); tests/unit/logspace_test.cc checks
// each term to 4e-15 relative.
struct PhiParts {
  double x, even, odd;
};

inline PhiParts PhiSeriesParts(double d) {
  const double x = d * d;
  double e = 1.0 / 87178291200.0, o = 1.0 / 1307674368000.0;  // 1/14!, 1/15!
  e = e * x + 1.0 / 479001600.0;
  o = o * x + 1.0 / 6227020800.0;
  e = e * x + 1.0 / 3628800.0;
  o = o * x + 1.0 / 39916800.0;
  e = e * x + 1.0 / 40320.0;
  o = o * x + 1.0 / 362880.0;
  e = e * x + 1.0 / 720.0;
  o = o * x + 1.0 / 5040.0;
  e = e * x + 1.0 / 24.0;
  o = o * x + 1.0 / 120.0;
  e = e * x + 0.5;
  o = o * x + 1.0 / 6.0;
  return {x, e, o};
}

// phi(d) from the parts of d (or of -d).
inline double PhiFromParts(double d, const PhiParts& s) { return s.x * (s.even - d * s.odd); }

inline double PhiSeries(double d) { return PhiFromParts(d, PhiSeriesParts(d)); }

// One term of KlSumKnownQ: p phi(log p - log q), or q where p = 0.
inline double KlTermKnownQ(double log_p, double p, double log_q, double q) {
  // p = 0: the term is q's share outside p's support. (Eigen's exp returns 5.6e-309, not 0, for
  // arguments below -709.78, so the test is on log p.)
  if (log_p == -std::numeric_limits<double>::infinity()) return q;
  // q = 0 where p > 0 (even where p itself underflows to 0: log p is finite): the KL is infinite
  // (log p - log q = +inf; NaN for a NaN log p, which the driver reports).
  if (log_q == -std::numeric_limits<double>::infinity()) return log_p - log_q;
  const double d = log_p - log_q;
  // Beyond |d| = 1/2, q - p + p d loses < 3e-15 relative to cancellation, and never overflows.
  return std::abs(d) <= 0.5 ? p * PhiSeries(d) : q - p + p * d;
}

}  // namespace

double BregmanPhi(double d) {
  // The closed form cancels for small |d| (expm1(-d) + d loses 2e-16/|d| relative): the series there.
  return std::abs(d) <= 0.5 ? PhiSeries(d) : std::expm1(-d) + d;
}

double KlTerm(double log_p, double log_q) {
  if (log_p == -std::numeric_limits<double>::infinity()) return std::exp(log_q);  // p = 0: q's share
  // q = 0 where p > 0 (even where p underflows): infinite, as KlTermKnownQ (NaN for a NaN log p).
  if (log_q == -std::numeric_limits<double>::infinity()) return log_p - log_q;
  const double p = std::exp(log_p);
  const double d = log_p - log_q;
  // p phi(d) = q - p + p d; for d < -1, exp(-d) could overflow while q itself is fine.
  return d >= -1.0 ? p * BregmanPhi(d) : std::exp(log_q) - p + p * d;
}

double KlSumKnownQ(const double* log_p, const double* p, const double* log_q, const double* q, Eigen::Index n) {
  double sum = 0.0;
  for (Eigen::Index y = 0; y < n; ++y) sum += KlTermKnownQ(log_p[y], p[y], log_q[y], q[y]);
  return sum;
}

double KlSum(const double* log_p, const double* p, const double* log_q, Eigen::Index n) {
  alignas(64) double q[kBlock];
  double sum = 0.0;
  for (Eigen::Index start = 0; start < n; start += kBlock) {
    const Eigen::Index len = std::min(kBlock, n - start);
    for (Eigen::Index k = 0; k < len; ++k) q[k] = std::exp(log_q[start + k]);  // exactly 0 for -inf
    sum += KlSumKnownQ(log_p + start, p + start, log_q + start, q, len);
  }
  return sum;
}

namespace {

// KlSumUpperBound's term where |d| <= 1/2: KlSum's p * PhiSeries(d) is within 4e-15 relative of
// p phi(d) <= 0.5949 p d^2.
double QuadraticTerm(double p, double d) { return 0.6 * p * d * d; }

// KlSum adds its terms (each >= 0 up to rounding) in another order: n eps relative either way.
double WithSumRounding(double bound, Eigen::Index n) {
  return bound * (1.0 + (2.0 * static_cast<double>(n) + 8.0) * std::numeric_limits<double>::epsilon());
}

}  // namespace

double KlSumUpperBound(const double* log_p, const double* p, const double* log_q, Eigen::Index n) {
  double bound = 0.0;
  for (Eigen::Index y = 0; y < n; ++y) {
    const double d = log_p[y] - log_q[y];
    if (std::abs(d) <= 0.5) {
      bound += QuadraticTerm(p[y], d);
    } else {  // the term as KlSum computes it (NaN and -inf included)
      const double q = std::exp(log_q[y]);
      bound += KlSumKnownQ(log_p + y, p + y, log_q + y, &q, 1);
    }
  }
  return WithSumRounding(bound, n);
}

double KlSumQuadraticBound(const double* log_p, const double* p, const double* log_q, Eigen::Index n) {
  double bound = 0.0;
  for (Eigen::Index y = 0; y < n; ++y) {
    const double d = log_p[y] - log_q[y];
    if (!(std::abs(d) <= 0.5)) return std::isnan(d) ? d : std::numeric_limits<double>::infinity();
    bound += QuadraticTerm(p[y], d);
  }
  return WithSumRounding(bound, n);
}

namespace {

// KlBothWays with p's exps from `p_given` (entries start..) or, when it is null, taken here.
std::pair<double, double> KlBothWaysOf(const Eigen::VectorXd& log_p, const double* p_given,
                                       const Eigen::VectorXd& log_q) {
  NLHF_CHECK(log_p.size() == log_q.size(), "KL of vectors of different sizes");
  // The blocks, exps and sums of KlFromLogits (and its KlSum) in both directions.
  alignas(64) double p_block[kBlock];
  alignas(64) double q[kBlock];
  double pq = 0.0, qp = 0.0;
  for (Eigen::Index start = 0; start < log_p.size(); start += kBlock) {
    const Eigen::Index len = std::min(kBlock, log_p.size() - start);
    const double* p = p_given != nullptr ? p_given + start : p_block;
    if (p_given == nullptr)
      for (Eigen::Index k = 0; k < len; ++k) p_block[k] = std::exp(log_p[start + k]);
    for (Eigen::Index k = 0; k < len; ++k) q[k] = std::exp(log_q[start + k]);
    // KlSumKnownQ of the block both ways, term by term in the same order: where |d| <= 1/2 (both
    // supports, finite logs) one series serves both terms, each bit for bit its own KlTermKnownQ.
    const double* lp = log_p.data() + start;
    const double* lq = log_q.data() + start;
    double block_pq = 0.0, block_qp = 0.0;
    for (Eigen::Index k = 0; k < len; ++k) {
      const double d = lp[k] - lq[k];
      if (std::abs(d) <= 0.5) {
        const PhiParts parts = PhiSeriesParts(d);
        block_pq += p[k] * PhiFromParts(d, parts);
        block_qp += q[k] * PhiFromParts(-d, parts);
      } else {
        block_pq += KlTermKnownQ(lp[k], p[k], lq[k], q[k]);
        block_qp += KlTermKnownQ(lq[k], q[k], lp[k], p[k]);
      }
    }
    pq += block_pq;
    qp += block_qp;
  }
  return {pq, qp};
}

}  // namespace

std::pair<double, double> KlBothWays(const Eigen::VectorXd& log_p, const Eigen::VectorXd& log_q) {
  return KlBothWaysOf(log_p, nullptr, log_q);
}

std::pair<double, double> KlBothWays(const Eigen::VectorXd& log_p, const Eigen::VectorXd& p,
                                     const Eigen::VectorXd& log_q) {
  NLHF_CHECK(p.size() == log_p.size(), "exps of another vector");
  return KlBothWaysOf(log_p, p.data(), log_q);
}

Eigen::VectorXd ExpEach(const Eigen::VectorXd& x) {
  Eigen::VectorXd e(x.size());
  for (Eigen::Index k = 0; k < x.size(); ++k) e[k] = std::exp(x[k]);
  return e;
}

double KlFromLogits(const Eigen::VectorXd& log_p, const Eigen::VectorXd& log_q) {
  NLHF_CHECK(log_p.size() == log_q.size(), "KL of vectors of different sizes");
  alignas(64) double p[kBlock];
  double sum = 0.0;
  for (Eigen::Index start = 0; start < log_p.size(); start += kBlock) {
    const Eigen::Index len = std::min(kBlock, log_p.size() - start);
    for (Eigen::Index k = 0; k < len; ++k) p[k] = std::exp(log_p[start + k]);
    sum += KlSum(log_p.data() + start, p, log_q.data() + start, len);
  }
  return sum;
}

}  // namespace nlhf
