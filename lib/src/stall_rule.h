#pragma once
// The stall rule of run.h: the first tolerance metric is "stalled since iteration K" when its best
// value has not improved by a relative kStallImprovement since K, over at least kStallMinIterations
// iterations and at least the last half of the run (counted after the solver's transient).
// It reads the metric at every kEvery-th iteration and at every iteration whose record logs it (so
// that no value in the trace contradicts its note), never elsewhere: not at the tolerance check's
// other exact evaluations (which depend on whether pi* is given) nor at the clock's. K is one of
// those iterations. Where the run has computed the value it gives it (Add); at a kEvery-th
// iteration where it has not, it gives the iterate (Defer), whose value is computed only when the
// rule could hold: the rule cannot hold before kStallMinIterations after the transient, so a run
// that ends sooner (most runs stopped by a tolerance) computes none of them, and a longer one
// computes each once, in order, when the rule is next asked (Stalled) or when what it keeps
// reaches kDeferredBytes (at 2^17 / n samples: from about 800 actions on, a run computes some of
// them before the rule could hold; their evaluation is then solver time, as the tolerance check's
// is). The answers do not depend on when that happens.
#include <Eigen/Core>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

namespace nlhf {

class StallRule {
 public:
  // The schedule of the samples: iterations kEvery, 2 kEvery, ... from the transient on.
  static constexpr std::int64_t kEvery = 64;
  // The most memory the kept iterates and queued values take before the values are computed.
  static constexpr std::size_t kDeferredBytes = std::size_t{1} << 20;

  // `transient`: the solver's TransientIterations(); `evaluate`: the watched metric of an iterate
  // given by its logits (the run's solver.current() at a deferred iteration).
  StallRule(std::int64_t transient, std::function<double(const Eigen::VectorXd& logits)> evaluate);

  // Whether iteration `it` is on the rule's schedule (a logged iteration may also be a sample).
  bool Samples(std::int64_t it) const { return Counts(it) && it % kEvery == 0; }
  // The metric's value at iteration `it`, one on the schedule or a logged one (ignored before the
  // transient, at or before the last iteration given, and where it is not finite: the run went on
  // from there, or ended with a numerical failure).
  void Add(std::int64_t it, double value);
  // The iterate at sample `it`, whose value is computed if the rule ever needs it (ignored if `it`
  // is not a sample or not after the last iteration given). A value that turns out not finite is
  // left out, as in Add.
  void Defer(std::int64_t it, const Eigen::VectorXd& logits);

  // Whether the metric has stalled at iteration `it` (at or after the last sample given), computing
  // the kept iterates' values first when it could have.
  bool Stalled(std::int64_t it);
  // Since which sample, and its value (after Stalled() said true).
  std::int64_t since() const { return best_it_; }
  double best() const { return best_; }
  // Kept iterates whose values have not been computed (for tests).
  std::size_t deferred() const { return pending_.size(); }

 private:
  struct Pending {
    std::int64_t it;
    double value;  // the value, when given (deferred: unused)
    bool deferred;
  };
  bool Counts(std::int64_t it) const { return it >= start_ && it > 0; }
  void Take(std::int64_t it, double value);
  void Resolve();
  // Resolve() once the kept iterates and the queue reach kDeferredBytes.
  void Bound();

  std::int64_t start_;
  std::function<double(const Eigen::VectorXd&)> evaluate_;
  std::vector<Pending> pending_;  // in iteration order, after every sample taken
  std::vector<double> logits_;    // the deferred iterates, one after another
  Eigen::Index n_ = 0;            // their size
  Eigen::VectorXd scratch_;
  std::int64_t last_ = 0;  // the last iteration given
  std::int64_t best_it_ = -1;
  double best_ = 0.0;
};

}  // namespace nlhf
