#include "nlhf/metrics.h"

#include "nlhf/errors.h"
#include "nlhf/logspace.h"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cmath>
#include <limits>
#include <vector>

namespace nlhf {

const std::vector<MetricInfo>& MetricTable() {
  static const std::vector<MetricInfo> table = {
      {Metric::kGapBeta, "gap_beta",
       "2 beta KL(pi || BR_beta(pi)) = 2[beta LSE_mu(g/beta) + beta KL(pi||mu) - 1/2]: regularized "
       "duality gap (EGPO's dual gap)",
       false},
      {Metric::kExploitability, "exploitability", "gap_beta / 2 (Nash-MP's exploitability gap)",
       false},
      {Metric::kGap0, "gap_0", "2 max_y g_y - 1: unregularized duality gap", false},
      {Metric::kBrWinrate, "br_winrate", "max_y g_y: win rate of the best pure response (1/2 at NE)",
       false},
      {Metric::kKlToStar, "kl_to_star", "KL(pi*_beta || pi): the Lyapunov function of the rate proofs",
       true},
      {Metric::kKlFromStar, "kl_from_star", "KL(pi || pi*_beta)", true},
      {Metric::kSpan, "span", "max(l - l*) - min(l - l*): span of the log-probability error", true},
      {Metric::kFpResidual, "fp_residual", "span(l - log mu - g/beta): fixed-point residual, needs no pi*",
       false},
      {Metric::kKlToNe, "kl_to_ne",
       "KL(pi_NE || pi), pi_NE the selected Nash equilibrium of the beta = 0 game (ne_selection): the distance "
       "to the unregularized target at any beta",
       false, true},
  };
  return table;
}

void Evaluate(const Game& game, const Eigen::VectorXd& log_pi, PolicyPoint& out) {
  NLHF_CHECK(log_pi.size() == game.n(), "policy size differs from the game's");
  out.log_pi = log_pi;
  out.pi.resize(log_pi.size());
  ExpProbabilities(log_pi.array(), out.pi.array());  // (p log p: exactly 0 where it underflows)
  out.g.resize(game.n());
  game.Apply(out.pi, out.g);
}

PolicyPoint Evaluate(const Game& game, const Eigen::VectorXd& log_pi) {
  PolicyPoint p;
  Evaluate(game, log_pi, p);
  return p;
}

namespace {

// max_y x_y - min_y x_y of x = a - c b, without a temporary.
double SpanOf(const Eigen::VectorXd& a, const Eigen::VectorXd& b, double c = 1.0) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (Eigen::Index y = 0; y < a.size(); ++y) {
    const double x = a[y] - c * b[y];
    lo = std::min(lo, x);
    hi = std::max(hi, x);
  }
  return hi - lo;
}

// ln 2 times n's bit width: at least log n, the entropy bound of the gap_beta bounds' rounding.
double LogNBound(Eigen::Index n) {
  return 0.6931471805599453 * static_cast<double>(std::bit_width(static_cast<std::uint64_t>(n)));
}

}  // namespace

Eigen::VectorXd BestResponseLogits(const Game& game, double beta, const Eigen::VectorXd& g) {
  NLHF_CHECK(beta > 0.0, "the regularized best response needs beta > 0");
  return NormalizeLogits(game.log_mu() + g / beta);
}

namespace {

// GapBeta into the caller's buffers log_br and br (n each).
double GapBetaInto(const Game& game, double beta, const PolicyPoint& p, double* log_br, double* br) {
  // 2 beta KL(pi || BR), log BR = s - LSE(s) with s = log mu + g/beta: KlSumKnownQ with the pi that
  // Evaluate computed and BR = exp(s - top) / sum exp(s - top) from the log-sum-exp's own exps (one
  // exp per action in all).
  const Eigen::VectorXd& m = game.log_mu();
  const Eigen::Index n = m.size();
  NLHF_CHECK(p.pi.size() == n && p.g.size() == n, "policy point not evaluated on this game");
  Eigen::Map<Eigen::ArrayXd> s(log_br, n), e(br, n);
  s = m.array() + p.g.array() / beta;
  const double top = s.maxCoeff();
  ExpProbabilities(s - top, e);
  const double sum = e.sum();
  SubtractLogNormalizer(s, top, sum);  // (at beta = 1e-8, |s| reaches 1e8)
  e /= sum;
  return 2.0 * beta * KlSumKnownQ(p.log_pi.data(), p.pi.data(), log_br, br, n);
}

}  // namespace

double GapBeta(const Game& game, double beta, const PolicyPoint& p) {
  if (beta == 0.0) return Gap0(p);
  const Eigen::Index n = p.pi.size();
  constexpr Eigen::Index kStack = 256;
  alignas(64) double stack[2 * kStack];
  // log_br and br start aligned as GapBetaAnchor's vectors do (Eigen's allocation, at most 64
  // bytes; the stack buffer and the stride of 8 doubles keep 64): Eigen splits its vectorized exp
  // between packets and scalars by alignment, so the same alignment gives the same bits as the
  // anchored form.
  const Eigen::Index stride = (n + 7) & ~Eigen::Index{7};
  Eigen::VectorXd heap(n > kStack ? 2 * stride : 0);
  double* const log_br = n > kStack ? heap.data() : stack;
  return GapBetaInto(game, beta, p, log_br, log_br + stride);
}

double GapBeta(const Game& game, double beta, const PolicyPoint& p, GapBetaAnchor& anchor) {
  NLHF_CHECK(beta > 0.0, "a gap_beta anchor needs beta > 0");
  const Eigen::Index n = p.pi.size();
  anchor.g = p.g;
  anchor.log_br.resize(n);
  anchor.br.resize(n);
  return GapBetaInto(game, beta, p, anchor.log_br.data(), anchor.br.data());
}

GapBetaBound GapBetaLowerBound(double beta, const PolicyPoint& p, const GapBetaAnchor& anchor) {
  const Eigen::Index n = p.pi.size();
  NLHF_CHECK(beta > 0.0 && p.log_pi.size() == n && p.g.size() == n && anchor.g.size() == n &&
                 anchor.log_br.size() == n && anchor.br.size() == n,
             "gap_beta bound of points of different sizes");
  // Two dot products (gap_beta is bounded at every iteration). Below 32 actions in one pass over
  // pairs of actions, each sum in a two-lane accumulator (even actions in one lane, odd in the
  // other: one packed operation where scalar code spent two, a third less time at n = 10), where
  // Eigen's dynamic-size reductions cost more than the arithmetic; above, Eigen's vectorized ones
  // (a hand-unrolled loop gets vectorized by the compiler into shuffles and spills, three times
  // slower at n = 100).
  double kl = 0.0, dot = 0.0, t = 0.0;  // t = sum pi
  if (n < 32) {
    using Pair = Eigen::Map<const Eigen::Array2d>;
    const double *pi = p.pi.data(), *l = p.log_pi.data(), *g = p.g.data();
    const double *b = anchor.br.data(), *lb = anchor.log_br.data(), *g0 = anchor.g.data();
    Eigen::Array2d k = Eigen::Array2d::Zero(), d = Eigen::Array2d::Zero(), mass = Eigen::Array2d::Zero();
    Eigen::Index y = 0;
    for (; y + 1 < n; y += 2) {
      const Pair pi_y(pi + y);
      k += pi_y * (Pair(l + y) - Pair(lb + y));
      d += (pi_y - Pair(b + y)) * (Pair(g0 + y) - Pair(g + y));
      mass += pi_y;
    }
    if (y < n) {
      k[0] += pi[y] * (l[y] - lb[y]);
      d[0] += (pi[y] - b[y]) * (g0[y] - g[y]);
      mass[0] += pi[y];
    }
    kl = k[0] + k[1];
    dot = d[0] + d[1];
    t = mass[0] + mass[1];
  } else {
    kl = (p.pi.array() * (p.log_pi.array() - anchor.log_br.array())).sum();
    dot = ((p.pi.array() - anchor.br.array()) * (anchor.g.array() - p.g.array())).sum();
    t = p.pi.sum();
  }
  // 2 beta (kl + dot / beta), multiplied out: no division (its latency was a third of the bound's
  // cost at n = 10, which runs at every iteration of a tolerance-stopped run).
  const double value = 2.0 * beta * kl + 2.0 * dot;
  // Rounding, in units of the KL. A sum of n terms is within n eps of the sum of their magnitudes:
  // sum pi |log pi - log b| <= H(pi) + sum pi |log b| = 2 H(pi) + kl <= 2 log n + kl (log pi,
  // log b <= 0; log n <= ln 2 times n's bit width), and at most 2/beta for the second sum
  // (0 <= g <= 1). GapBeta's s = log mu + g/beta is rounded to eps (|log mu| + 1/beta) per action,
  // and sum pi |log mu| <= sum pi |log b| + 2/beta. A factor 4 over these first-order terms covers
  // their products. So the rounding is 2 beta (4n + 32) eps (2 log n + 2|kl| + 1 + 3/beta), here
  // with 2 beta multiplied in (no division either).
  // sum b = 1 to n eps (b is normalized by its own sum), but t = sum pi is 1 only to the rounding of
  // the logits' normalization, which grows with their size before it (1e-12 from logits near 1e4).
  // The bound's derivation with t: computed gap_beta = 2 beta [(1 - t) + sum pi (log pi - log BR)]
  // >= value + 2 beta (1 - t) + 2 (t - 1) <b, g - g0>, so 2 |t - 1| (beta + 1) more (with 1%
  // to spare), and no bound at all where t is off by more than 1e-3 (never, for normalized logits).
  const double terms = (4.0 * static_cast<double>(n) + 32.0) * std::numeric_limits<double>::epsilon();
  return {value, terms * (2.0 * beta * (2.0 * LogNBound(n) + 2.0 * std::abs(kl) + 1.0) + 6.0) +
                     SumPiAllowance(t, beta)};
}

void LinearizeGapBetaBound(const Eigen::MatrixXd& P, double asymmetry, double beta, const GapBetaAnchor& anchor,
                           GapBetaLinearBound& out) {
  const Eigen::Index n = P.rows();
  NLHF_CHECK(beta > 0.0 && P.cols() == n && anchor.g.size() == n && anchor.log_br.size() == n &&
                 anchor.br.size() == n,
             "gap_beta linear bound of points of different sizes");
  out.w.resize(n);
  out.w.noalias() = P.transpose() * anchor.br;  // P^T b
  out.w = (anchor.g + out.w) / beta - anchor.log_br;
  out.offset = -2.0 * anchor.br.dot(anchor.g);
  // The error. E, GapBetaLowerBound's error at any point, covers the rounding of its value V and
  // of a computed GapBeta; D bounds |V - value| here (both in exact arithmetic on the computed
  // inputs) plus the rounding of this value. Then error = 2E + D gives value - error <= V - E,
  // however each is rounded. With L = log n's bound, B = max |log b|, G = max |g0 + P^T b| (<= 2
  // to rounding), kl within [-L, B], and t = sum pi within 1e-3 of 1 (else there is no bound):
  //   E <= (4n + 32) eps (2 beta (2L + 2 max(L, B) + 1) + 6)      (GapBetaLowerBound's rounding, |kl| <= max(L, B))
  //      + 2.02 |t - 1| (beta + 1)                                (its term for t, added at each point)
  //   D <= the two forms' difference, 2 <b - pi, e> - 2 <pi, f> - 2 pi^T S pi for the rounding e of
  //        the iterate's P pi and f of P^T b (each entry within about n eps):
  //                                                             (10n + 10) eps + 1.01 asymmetry
  //      + this sum's rounding (terms of size <= L + B + G/beta, each w to 3 eps of that):
  //                                                             2.02 (n + 8) eps (beta (L + B) + G)
  //      + t^2's, offset's and the last operations':          (4n + 8) eps + 3 eps (2 beta (L + B) + 2G + 3)
  const double eps = std::numeric_limits<double>::epsilon();
  const double dn = static_cast<double>(n);
  const double log_n = LogNBound(n);
  const double big_b = anchor.log_br.cwiseAbs().maxCoeff();
  const double big_g = (out.w + anchor.log_br).cwiseAbs().maxCoeff() * beta * (1.0 + 4.0 * eps);
  const double lower =
      (4.0 * dn + 32.0) * eps * (2.0 * beta * (2.0 * log_n + 2.02 * std::max(log_n, big_b) + 1.0) + 6.0);
  const double forms = (10.0 * dn + 10.0) * eps + 1.01 * asymmetry;
  const double sum = 2.02 * (dn + 8.0) * eps * (beta * (log_n + big_b) + big_g);
  const double last = (4.0 * dn + 8.0) * eps + 3.0 * eps * (2.0 * beta * (log_n + big_b) + 2.0 * big_g + 3.0);
  out.error = 2.0 * lower + forms + sum + last;  // GapBetaLinearLowerBound adds 2E's terms for t
  if (!std::isfinite(big_b) || !std::isfinite(big_g) || !std::isfinite(out.offset))
    out.error = std::numeric_limits<double>::infinity();
}

double Exploitability(const Game& game, double beta, const PolicyPoint& p) {
  return 0.5 * GapBeta(game, beta, p);
}

double Gap0(const PolicyPoint& p) { return 2.0 * p.g.maxCoeff() - 1.0; }

double BrWinrate(const PolicyPoint& p) { return p.g.maxCoeff(); }

double KlToStar(const PolicyPoint& p, const Eigen::VectorXd& log_pi_star) {
  return KlFromLogits(log_pi_star, p.log_pi);
}

double KlFromStar(const PolicyPoint& p, const Eigen::VectorXd& log_pi_star) {
  return KlFromLogits(p.log_pi, log_pi_star);
}

double SpanToStar(const PolicyPoint& p, const Eigen::VectorXd& log_pi_star) {
  NLHF_CHECK(log_pi_star.size() == p.log_pi.size(), "pi* size differs from the policy's");
  return SpanOf(p.log_pi, log_pi_star);
}

double FpResidual(const Game& game, double beta, const PolicyPoint& p) {
  NLHF_CHECK(beta > 0.0, "fp_residual needs beta > 0");
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (Eigen::Index y = 0; y < p.log_pi.size(); ++y) {
    const double r = p.log_pi[y] - game.log_mu()[y] - p.g[y] / beta;
    lo = std::min(lo, r);
    hi = std::max(hi, r);
  }
  return hi - lo;
}

bool NeedsPayoff(Metric metric) {
  switch (metric) {
    case Metric::kKlToStar:
    case Metric::kKlFromStar:
    case Metric::kSpan:
    case Metric::kKlToNe: return false;
    case Metric::kGapBeta:
    case Metric::kExploitability:
    case Metric::kGap0:
    case Metric::kBrWinrate:
    case Metric::kFpResidual: return true;
  }
  throw InternalError("internal error: unknown metric");
}

bool MetricDefinedAt(Metric metric, double beta) {
  if (beta > 0.0) return true;
  return metric != Metric::kKlFromStar && metric != Metric::kSpan && metric != Metric::kFpResidual;
}

bool DefaultMetric(Metric metric, double beta) {
  return MetricDefinedAt(metric, beta) && (metric != Metric::kKlToNe || beta == 0.0);
}

double ComputeMetric(Metric metric, const Game& game, double beta, const PolicyPoint& p,
                     const Eigen::VectorXd& log_pi_star, const Eigen::VectorXd& log_pi_ne) {
  switch (metric) {
    case Metric::kGapBeta: return GapBeta(game, beta, p);
    case Metric::kExploitability: return Exploitability(game, beta, p);
    case Metric::kGap0: return Gap0(p);
    case Metric::kBrWinrate: return BrWinrate(p);
    case Metric::kKlToStar: return KlToStar(p, log_pi_star);
    case Metric::kKlFromStar: return KlFromStar(p, log_pi_star);
    case Metric::kSpan: return SpanToStar(p, log_pi_star);
    case Metric::kFpResidual: return FpResidual(game, beta, p);
    case Metric::kKlToNe: return KlToStar(p, log_pi_ne);
  }
  throw InternalError("internal error: unknown metric");
}

}  // namespace nlhf
