#include "tolerance_check.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "nlhf/logspace.h"

namespace nlhf {

namespace {

size_t Index(Metric m) { return static_cast<size_t>(m); }

}  // namespace

ToleranceCheck::ToleranceCheck(const Game& game, double beta, const Eigen::VectorXd& log_pi_star,
                               const Eigen::VectorXd& log_pi_ne, std::vector<std::pair<Metric, double>> tolerances)
    : game_(game), beta_(beta), log_pi_star_(log_pi_star), log_pi_ne_(log_pi_ne), tolerances_(std::move(tolerances)) {
  values_.fill(std::numeric_limits<double>::quiet_NaN());
  for (const auto& [m, v] : tolerances_) {
    if (!MetricDefinedAt(m, beta_)) continue;  // never computed, never met (the YAML reader refuses it)
    mask_.set(Index(m));
    payoff_ = payoff_ || NeedsPayoff(m);
    bounded_ = bounded_ || (beta_ > 0.0 && (m == Metric::kGapBeta || m == Metric::kExploitability));
    covered_ = covered_ && beta_ > 0.0 && (m == Metric::kGapBeta || m == Metric::kExploitability);
    if (m == Metric::kGapBeta) unmet_above_ = std::min(unmet_above_, v);
    if (m == Metric::kExploitability) unmet_above_ = std::min(unmet_above_, 2.0 * v);
  }
  if (bounded_ && game_.n() < 32 && game_.dense() != nullptr) asymmetry_ = Asymmetry(*game_.dense());
  if (!std::isnan(asymmetry_) && log_pi_star_.size() == game_.n() && log_pi_star_.allFinite()) {
    // (Normalized again: the bound's rounding analysis takes 0 <= P pi* <= 1, and pi* may come
    // from a caller of the C++ API.)
    GapBetaAnchor at_star;
    GapBeta(game_, beta_, Evaluate(game_, NormalizeLogits(log_pi_star_)), at_star);
    LinearizeGapBetaBound(*game_.dense(), asymmetry_, beta_, at_star, star_);
    star_tried_ = star_.error <= unmet_above_;
  }
}

bool ToleranceCheck::ProvedUnmetOtherwise(std::int64_t it, const PolicyPoint& p) {
  if (!bounded_ || !anchored_ || Scheduled(it)) return false;
  // pi*'s bound failed the inline test where it went first (it has stopped deciding), else it is
  // tried after the last anchor's.
  const bool star_failed = star_first_;
  star_first_ = false;
  if (linear_tried_ && Unmet(GapBetaLinearLowerBound(beta_, p, linear_))) return true;
  if (star_tried_ && !star_failed && Unmet(GapBetaLinearLowerBound(beta_, p, star_))) {
    star_first_ = true;
    return true;
  }
  return Unmet(GapBetaLowerBound(beta_, p, anchor_));
}

void ToleranceCheck::Exact(std::int64_t it, const PolicyPoint& p) {
  values_.fill(std::numeric_limits<double>::quiet_NaN());
  if (bounded_) {  // gap_beta with its best response, exploitability = gap_beta / 2 as in metrics.cc
    const double gap = GapBeta(game_, beta_, p, anchor_);
    anchored_ = true;
    if (!std::isnan(asymmetry_)) {
      LinearizeGapBetaBound(*game_.dense(), asymmetry_, beta_, anchor_, linear_);
      linear_tried_ = linear_.error <= unmet_above_;
    }
    if (mask_[Index(Metric::kGapBeta)]) values_[Index(Metric::kGapBeta)] = gap;
    if (mask_[Index(Metric::kExploitability)]) values_[Index(Metric::kExploitability)] = 0.5 * gap;
  }
  for (const auto& [m, v] : tolerances_)
    if (mask_[Index(m)] && std::isnan(values_[Index(m)]))
      values_[Index(m)] = ComputeMetric(m, game_, beta_, p, log_pi_star_, log_pi_ne_);
  exact_it_ = it;
}

void ToleranceCheck::Adopt(std::int64_t it, const MetricValues& values) {
  values_ = values;
  exact_it_ = it;
}

bool ToleranceCheck::Met() const {
  for (const auto& [m, v] : tolerances_)
    if (!(values_[Index(m)] <= v)) return false;
  return true;
}

double ToleranceCheck::Peek(const PolicyPoint& p) const {
  const Metric m = watched();
  if (!mask_[Index(m)]) return std::numeric_limits<double>::quiet_NaN();
  return ComputeMetric(m, game_, beta_, p, log_pi_star_, log_pi_ne_);
}

}  // namespace nlhf
