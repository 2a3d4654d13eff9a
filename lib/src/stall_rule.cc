#include "stall_rule.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "nlhf/errors.h"
#include "nlhf/run.h"

namespace nlhf {

StallRule::StallRule(std::int64_t transient, std::function<double(const Eigen::VectorXd& logits)> evaluate)
    : start_(std::max<std::int64_t>(0, transient)), evaluate_(std::move(evaluate)) {}

void StallRule::Add(std::int64_t it, double value) {
  if (!Counts(it) || it <= last_ || !std::isfinite(value)) return;
  last_ = it;
  if (pending_.empty()) {
    Take(it, value);
  } else {
    pending_.push_back({it, value, false});
    Bound();
  }
}

void StallRule::Defer(std::int64_t it, const Eigen::VectorXd& logits) {
  if (!Samples(it) || it <= last_) return;
  last_ = it;
  if (n_ == 0) n_ = logits.size();
  NLHF_CHECK(logits.size() == n_, "stall rule: iterates of different sizes");
  pending_.push_back({it, 0.0, true});
  logits_.insert(logits_.end(), logits.data(), logits.data() + logits.size());
  Bound();
}

void StallRule::Bound() {
  if (logits_.size() * sizeof(double) + pending_.size() * sizeof(Pending) >= kDeferredBytes) Resolve();
}

bool StallRule::Stalled(std::int64_t it) {
  // best_it_ >= start_, so nothing can have stalled before start_ + kStallMinIterations.
  if (it - start_ < kStallMinIterations) return false;
  Resolve();
  return best_it_ >= 0 && it - best_it_ >= kStallMinIterations && 2 * (it - best_it_) >= it - start_;
}

void StallRule::Take(std::int64_t it, double value) {
  if (best_it_ < 0 || value < best_ * (1.0 - kStallImprovement)) {
    best_ = value;
    best_it_ = it;
  }
}

void StallRule::Resolve() {
  std::size_t offset = 0;
  for (const Pending& p : pending_) {
    if (!p.deferred) {
      Take(p.it, p.value);
      continue;
    }
    scratch_ = Eigen::Map<const Eigen::VectorXd>(logits_.data() + offset, n_);
    offset += static_cast<std::size_t>(n_);
    const double value = evaluate_(scratch_);
    if (std::isfinite(value)) Take(p.it, value);
  }
  pending_.clear();
  logits_.clear();
}

}  // namespace nlhf
