#include "nlhf/logspace.h"

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
  return x.array() - LogSumExp(x);
}

void NormalizeLogitsInPlace(Eigen::VectorXd& l) {
  const double top = l.maxCoeff();
  if (!std::isfinite(top)) return;  // a non-finite iterate is left for the driver to detect
  l.array() -= top + std::log((l.array() - top).exp().sum());
}

Eigen::VectorXd Softmax(const Eigen::VectorXd& x) {
  return NormalizeLogits(x).array().exp();
}

double BregmanPhi(double d) {
  // exp(-d) - 1 + d = d^2/2 - d^3/6 + d^4/24 - d^5/120 + ...; the series avoids the cancellation
  // of the closed form for small |d| (truncation error < d^6/720, relative < 1e-15 here).
  if (std::abs(d) < 1e-3) {
    const double d2 = d * d;
    return d2 * (0.5 - d / 6.0 + d2 / 24.0 - d2 * d / 120.0);
  }
  return std::expm1(-d) + d;
}

double KlTerm(double log_p, double log_q) {
  if (log_p == -std::numeric_limits<double>::infinity()) return std::exp(log_q);  // p = 0: q's share
  const double p = std::exp(log_p);
  const double d = log_p - log_q;
  // p phi(d) = q - p + p d; for d < -1, exp(-d) could overflow while q itself is fine.
  return d >= -1.0 ? p * BregmanPhi(d) : std::exp(log_q) - p + p * d;
}

double KlFromLogits(const Eigen::VectorXd& log_p, const Eigen::VectorXd& log_q) {
  NLHF_CHECK(log_p.size() == log_q.size(), "KL of vectors of different sizes");
  double sum = 0.0;
  for (Eigen::Index y = 0; y < log_p.size(); ++y) sum += KlTerm(log_p[y], log_q[y]);
  return sum;
}

}  // namespace nlhf
