#include "nlhf/logspace.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "test_util.h"

namespace nlhf {
namespace {

TEST(LogSumExp, MatchesDirectSumAndSurvivesHugeLogits) {
  Eigen::VectorXd x(3);
  x << 0.1, -2.0, 1.5;
  EXPECT_NEAR(LogSumExp(x), std::log(std::exp(0.1) + std::exp(-2.0) + std::exp(1.5)), 1e-15);
  x << 1000.0, 1000.0, -1000.0;  // exp overflows; log-sum-exp does not
  EXPECT_NEAR(LogSumExp(x), 1000.0 + std::log(2.0), 1e-12);
}

TEST(Softmax, SumsToOneAndKeepsTinyProbabilities) {
  Eigen::VectorXd x(3);
  x << 0.0, -1e4, -700.0;
  const Eigen::VectorXd p = Softmax(x);
  EXPECT_NEAR(p.sum(), 1.0, 1e-15);
  EXPECT_GT(p[2], 0.0);  // exp(-700) is representable, never clamped
  EXPECT_NEAR(NormalizeLogits(x)[1], -1e4, 1e-9);
  EXPECT_EQ(p[1], 0.0);  // underflows to 0 (in a full packet: not Eigen's floor of 5.6e-309)
  // Subnormal probabilities are exp of their logits, ties alike, in every place of a vector (the
  // vectorized exp's floor hit all but the elements past the last full packet).
  Eigen::VectorXd tied = Eigen::VectorXd::Constant(5, -715.0);
  tied[0] = 0.0;
  const Eigen::VectorXd q = Softmax(tied);
  for (Eigen::Index y = 1; y < 5; ++y) EXPECT_EQ(q[y], std::exp(NormalizeLogits(tied)[y])) << y;
}

// Logits far from 0 (a step of 1e20 on a game with ties, beta = 1e-8): the largest goes to 0 before
// log sum exp comes off, so tied actions share the mass (they each got probability 1) and the sum is
// 1 at every scale; within kShiftFirst, the one-subtraction form, bit for bit.
TEST(NormalizeLogits, SumsToOneAtEveryScale) {
  for (double scale : {1e20, -1e20, 1e8, 5e3, 1.5e3}) {
    Eigen::VectorXd x(6);
    x << scale, scale, scale, scale, scale - 1.0, scale - std::abs(scale) * 1e-3;  // (at 1e20, scale - 1 = scale)
    Eigen::VectorXd in_place = x;
    NormalizeLogitsInPlace(in_place);
    const Eigen::VectorXd l = NormalizeLogits(x);
    EXPECT_EQ(l, in_place) << scale;
    EXPECT_NEAR(l.array().exp().sum(), 1.0, 4e-16) << scale;
    // log pi of a largest logit: -log sum exp(x - top), the differences exact (Sterbenz).
    double sum = 0.0;
    for (double v : x) sum += std::exp(v - scale);
    EXPECT_NEAR(l[0], -std::log(sum), 4e-16) << scale;
    EXPECT_EQ(l[0], l[3]) << scale;
  }
  Eigen::VectorXd x(3);
  x << 0.25, -3.0, 1000.0;
  const double top = 1000.0;
  const Eigen::VectorXd old = x.array() - (top + std::log((x.array() - top).exp().sum()));
  EXPECT_EQ(NormalizeLogits(x), old);
}

// Eigen's vectorized exp, except below kEigenExpFloor, where it gives 5.6e-309 for any argument and
// std::exp the subnormal or 0.
TEST(ExpProbabilities, IsStdExpBelowEigensFloorAndEigensAbove) {
  Eigen::ArrayXd x(9), out(9);
  x << 1.0, -1.0, -700.0, -707.9, -708.5, -720.0, -745.5, -1e5, -1e300;
  ExpProbabilities(x, out);
  for (Eigen::Index y = 0; y < x.size(); ++y) {
    if (x[y] < kEigenExpFloor)
      EXPECT_EQ(out[y], std::exp(x[y])) << x[y];  // a subnormal, or 0
    else
      EXPECT_NEAR(out[y], std::exp(x[y]), 4e-16 * std::exp(x[y])) << x[y];
  }
  EXPECT_EQ(out[7], 0.0);
  EXPECT_EQ(out[8], 0.0);
  // Probabilities: the same as a vector.
  const Eigen::VectorXd p = Probabilities(x.matrix());
  EXPECT_EQ(p, out.matrix());
}

TEST(BregmanPhi, MatchesClosedFormAndIsNonNegative) {
  for (double d : {-30.0, -1.0, -1e-2, -1e-4, -1e-9, 0.0, 1e-9, 1e-4, 1e-2, 1.0, 30.0}) {
    EXPECT_GE(BregmanPhi(d), 0.0);
    // Reference in long double, accurate for these arguments.
    const long double ld = static_cast<long double>(d);
    const long double ref = std::expm1(-ld) + ld;
    EXPECT_NEAR(BregmanPhi(d), static_cast<double>(ref), 1e-14 * std::max(1.0, static_cast<double>(ref)))
        << d;
  }
  EXPECT_NEAR(BregmanPhi(1e-6) / 5e-13, 1.0, 1e-6);  // d^2/2 to full relative precision
}

TEST(KlFromLogits, MatchesTheDefiningSum) {
  Rng rng(1, "kl");
  for (int trial = 0; trial < 20; ++trial) {
    const Eigen::VectorXd lp = testing::RandomLogits(8, rng, 2.0);
    const Eigen::VectorXd lq = testing::RandomLogits(8, rng, 2.0);
    double brute = 0.0;
    for (int y = 0; y < 8; ++y) brute += std::exp(lp[y]) * (lp[y] - lq[y]);
    EXPECT_NEAR(KlFromLogits(lp, lq), brute, 1e-13);
    EXPECT_GE(KlFromLogits(lp, lq), 0.0);
  }
}

TEST(KlFromLogits, IsFiniteWhenQHugelyExceedsP) {
  Eigen::VectorXd lp(2), lq(2);
  lp << -5000.0, 0.0;  // p_0 = exp(-5000) underflows to 0; d = -5000 would overflow exp(-d)
  lq << std::log(0.5), std::log(0.5);
  const double kl = KlFromLogits(lp, lq);
  EXPECT_TRUE(std::isfinite(kl));
  EXPECT_NEAR(kl, std::log(2.0), 1e-12);  // KL(e_1 || uniform) = log 2
}

// KlBothWays is the two KlFromLogits bit for bit: sizes within one block and across blocks (128),
// entries with p = 0 on either side, identical arguments (0 both ways), and close ones (every
// |log p - log q| within the series' 1/2, where one series serves both directions; the first
// trials have most terms beyond it).
TEST(KlBothWays, IsBothKlFromLogitsBitForBit) {
  Rng rng(2, "kl both");
  for (Eigen::Index n : {1, 2, 10, 127, 128, 129, 300}) {
    for (int trial = 0; trial < 7; ++trial) {
      Eigen::VectorXd lp = testing::RandomLogits(n, rng, 3.0);
      Eigen::VectorXd lq = testing::RandomLogits(n, rng, 3.0);
      if (trial == 1) lp[0] = -std::numeric_limits<double>::infinity();
      if (trial == 2) lq[n - 1] = -std::numeric_limits<double>::infinity();
      if (trial == 3) lq = lp;
      if (trial >= 5) {  // log q - log p within +-0.49 (trial 5) and +-5e-6 (trial 6)
        for (Eigen::Index y = 0; y < n; ++y)
          lq[y] = lp[y] + (trial == 5 ? 0.1 : 1e-6) * std::clamp(rng.Normal(), -4.9, 4.9);
      }
      const auto [pq, qp] = KlBothWays(lp, lq);
      const double want_pq = KlFromLogits(lp, lq), want_qp = KlFromLogits(lq, lp);
      EXPECT_EQ(std::memcmp(&pq, &want_pq, sizeof pq), 0) << n << " " << trial << ": " << pq << " vs " << want_pq;
      EXPECT_EQ(std::memcmp(&qp, &want_qp, sizeof qp), 0) << n << " " << trial << ": " << qp << " vs " << want_qp;
      // With p's exps given (a run's records share pi*'s): the same bits.
      const auto [pq_given, qp_given] = KlBothWays(lp, ExpEach(lp), lq);
      EXPECT_EQ(std::memcmp(&pq_given, &pq, sizeof pq), 0) << n << " " << trial;
      EXPECT_EQ(std::memcmp(&qp_given, &qp, sizeof qp), 0) << n << " " << trial;
    }
  }
}

TEST(KlFromLogits, IgnoresZeroProbabilityEntries) {
  Eigen::VectorXd lp(2), lq(2);
  lp << -std::numeric_limits<double>::infinity(), 0.0;
  lq << std::log(0.25), std::log(0.75);
  EXPECT_NEAR(KlFromLogits(lp, lq), -std::log(0.75), 1e-15);
}

}  // namespace
// KlSum against each term's definition in long double (p phi(d) = p (exp(-d) - 1 + d)), across
// |d| from 1e-12 to 40 on both sides of the polynomial's edge |d| = 1/2, and against KlTerm.
TEST(KlSum, MatchesEachTermToAFewUlps) {
  std::vector<double> log_p, p, log_q;
  std::vector<long double> reference;
  for (double log_py : {-3.0, -0.1, 0.0}) {
    for (double magnitude : {1e-12, 1e-6, 1e-3, 0.1, 0.4999, 0.5, 0.5001, 0.9, 1.0, 2.0, 40.0}) {
      for (double sign : {-1.0, 1.0}) {
        const double d = sign * magnitude;
        log_p.push_back(log_py);
        p.push_back(std::exp(log_py));
        log_q.push_back(log_py - d);
        const long double dl = static_cast<long double>(log_p.back()) - static_cast<long double>(log_q.back());
        // phi in long double: its series where the closed form would cancel.
        long double phi = 0.0L;
        if (std::abs(dl) < 1.0L) {
          long double power = dl * dl / 2.0L;
          for (int k = 2; k < 40; ++k, power *= -dl / static_cast<long double>(k)) phi += power;
        } else {
          phi = std::expm1(-dl) + dl;
        }
        reference.push_back(static_cast<long double>(p.back()) * phi);
      }
    }
  }
  for (size_t y = 0; y < p.size(); ++y) {
    const double term = KlSum(&log_p[y], &p[y], &log_q[y], 1);
    const double want = static_cast<double>(reference[y]);
    EXPECT_NEAR(term, want, 4e-15 * want) << "log p " << log_p[y] << ", log q " << log_q[y];
    EXPECT_NEAR(term, KlTerm(log_p[y], log_q[y]), 4e-15 * want) << "log p " << log_p[y] << ", log q " << log_q[y];
  }
  // The whole sum, in blocks (more terms than one block holds).
  long double total = 0.0L;
  for (long double r : reference) total += r;
  std::vector<double> lp, pp, lq;
  for (int copy = 0; copy < 5; ++copy) {
    lp.insert(lp.end(), log_p.begin(), log_p.end());
    pp.insert(pp.end(), p.begin(), p.end());
    lq.insert(lq.end(), log_q.begin(), log_q.end());
  }
  EXPECT_NEAR(KlSum(lp.data(), pp.data(), lq.data(), static_cast<Eigen::Index>(lp.size())),
              static_cast<double>(5.0L * total), 1e-14 * static_cast<double>(5.0L * total));
}

TEST(KlSum, TermsOutsideTheSupports) {
  const double inf = std::numeric_limits<double>::infinity();
  // p = 0 (log p = -inf, or so small that exp underflows): q's share.
  double log_p[] = {-inf, -800.0}, p[] = {0.0, 0.0}, log_q[] = {std::log(0.25), std::log(0.5)};
  EXPECT_EQ(KlSum(log_p, p, log_q, 2), 0.75);
  // q = 0 where p > 0: KL is infinite, never NaN.
  double log_p2[] = {0.0}, p2[] = {1.0}, log_q2[] = {-inf};
  EXPECT_EQ(KlSum(log_p2, p2, log_q2, 1), inf);
  // ... also where p > 0 underflows to 0 (log p finite): 0 * inf would make NaN.
  double log_p4[] = {0.0, -5000.0}, p4[] = {1.0, 0.0}, log_q4[] = {0.0, -inf};
  EXPECT_EQ(KlSum(log_p4, p4, log_q4, 2), inf);
  EXPECT_EQ(KlTerm(-5000.0, -inf), inf);
  // A NaN input gives NaN (the driver reports it), never a number.
  double log_p3[] = {std::nan("")}, p3[] = {std::nan("")}, log_q3[] = {0.0};
  EXPECT_TRUE(std::isnan(KlSum(log_p3, p3, log_q3, 1)));
}

// KlSumUpperBound is never below KlSum as computed: term by term over every kind of d (the grid
// of MatchesEachTermToAFewUlps, so both branches and the switch at |d| = 1/2), over random policy
// pairs from far apart to a few ulps apart, and outside the supports; and near p = q it is within
// the 0.6 / 0.5 of the KL that the theory check relies on.
TEST(KlSumUpperBound, IsNeverBelowKlSumAndTightNearZero) {
  for (double log_py : {-3.0, -0.1, 0.0}) {
    for (double magnitude : {0.0, 1e-12, 1e-6, 1e-3, 0.1, 0.4999, 0.5, 0.5001, 0.9, 1.0, 2.0, 40.0}) {
      for (double sign : {-1.0, 1.0}) {
        const double log_p = log_py, p = std::exp(log_py), log_q = log_py - sign * magnitude;
        EXPECT_GE(KlSumUpperBound(&log_p, &p, &log_q, 1), KlSum(&log_p, &p, &log_q, 1)) << log_p << " " << log_q;
      }
    }
  }
  Rng rng(3, "kl bound");
  for (Eigen::Index n : {1, 2, 10, 300}) {
    for (double spread : {3.0, 0.3, 1e-4, 1e-9, 1e-15}) {
      for (int trial = 0; trial < 20; ++trial) {
        const Eigen::VectorXd lp = testing::RandomLogits(n, rng, 2.0);
        const Eigen::VectorXd lq = NormalizeLogits(lp + testing::RandomLogits(n, rng, spread));
        const Eigen::VectorXd pp = lp.array().exp();
        const double kl = KlSum(lp.data(), pp.data(), lq.data(), n);
        const double bound = KlSumUpperBound(lp.data(), pp.data(), lq.data(), n);
        EXPECT_GE(bound, kl) << "n " << n << " spread " << spread;
        // 0.6 d^2 / phi(d): 1.2 as d -> 0, at most 1.41 for |d| <= 1/2.
        if (spread <= 0.3 && kl > 1e-300) {
          EXPECT_LE(bound, (spread <= 1e-4 ? 1.201 : 1.41) * kl + 1e-30) << "n " << n << " spread " << spread;
        }
      }
    }
  }
  const double inf = std::numeric_limits<double>::infinity();
  double log_p[] = {-inf, -800.0}, p[] = {0.0, 0.0}, log_q[] = {std::log(0.25), std::log(0.5)};
  EXPECT_EQ(KlSumUpperBound(log_p, p, log_q, 2), KlSum(log_p, p, log_q, 2) * (1.0 + 12.0 * 0x1p-52));
  double log_p2[] = {0.0}, p2[] = {1.0}, log_q2[] = {-inf};
  EXPECT_EQ(KlSumUpperBound(log_p2, p2, log_q2, 1), inf);
  double log_p3[] = {std::nan("")}, p3[] = {std::nan("")}, log_q3[] = {0.0};
  EXPECT_TRUE(std::isnan(KlSumUpperBound(log_p3, p3, log_q3, 1)));
}

// KlSumQuadraticBound is KlSumUpperBound, bit for bit, where every |d| <= 1/2, and +inf (no exp)
// as soon as one is not: over random pairs from far apart to a few ulps apart, with the far term
// first, last or alone.
TEST(KlSumQuadraticBound, IsKlSumUpperBoundNearPiAndInfiniteFarFromIt) {
  Rng rng(4, "quadratic bound");
  const double inf = std::numeric_limits<double>::infinity();
  int near = 0, far = 0;
  for (Eigen::Index n : {1, 2, 10, 300}) {
    for (double spread : {3.0, 0.3, 0.1, 1e-4, 1e-15}) {
      for (int trial = 0; trial < 20; ++trial) {
        const Eigen::VectorXd lp = testing::RandomLogits(n, rng, 2.0);
        Eigen::VectorXd lq = NormalizeLogits(lp + testing::RandomLogits(n, rng, spread));
        const Eigen::VectorXd pp = lp.array().exp();
        const double quadratic = KlSumQuadraticBound(lp.data(), pp.data(), lq.data(), n);
        if (((lp - lq).array().abs() <= 0.5).all()) {
          EXPECT_EQ(quadratic, KlSumUpperBound(lp.data(), pp.data(), lq.data(), n)) << "n " << n << " spread " << spread;
          ++near;
          for (Eigen::Index y : {Eigen::Index{0}, n - 1}) {  // one far term
            Eigen::VectorXd moved = lq;
            moved[y] = lp[y] + (trial % 2 == 0 ? 0.5000001 : -0.75);
            EXPECT_EQ(KlSumQuadraticBound(lp.data(), pp.data(), moved.data(), n), inf);
          }
        } else {
          EXPECT_EQ(quadratic, inf) << "n " << n << " spread " << spread;
          ++far;
        }
      }
    }
  }
  EXPECT_GT(near, 100);
  EXPECT_GT(far, 20);
  double log_p[] = {-inf}, p[] = {0.0}, log_q[] = {std::log(0.25)};
  EXPECT_EQ(KlSumQuadraticBound(log_p, p, log_q, 1), inf);
  double log_p2[] = {std::nan("")}, p2[] = {std::nan("")}, log_q2[] = {0.0};
  EXPECT_TRUE(std::isnan(KlSumQuadraticBound(log_p2, p2, log_q2, 1)));
}

}  // namespace nlhf
