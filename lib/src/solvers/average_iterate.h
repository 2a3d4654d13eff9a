#pragma once
// Internal: the running average (1/(k+1)) sum_{j<=k} pi_j of a solver's iterates, in probability
// space, exposed as normalized logits. Allocation-free after Reset.
//
// Cheap per step: a step adds the probabilities pi_k = exp(l_k) it has already computed for its
// oracle call (n additions, no exp, no log); the logits of the average, which need n logs, are
// computed only when asked for (at the run's records), from the sum of the added iterates plus
// exp(l) of the current one. The sums are the same additions in the same order as summing
// exp(l_0), ..., exp(l_k) at every step, so the result is bit-identical to that naive definition.
// Probabilities in [0, 1] summed over k iterations stay below k: no overflow, and the relative
// rounding of the sum grows only as k eps; an action whose probability underflows to 0 at every
// iterate has average 0 (logit -inf), exactly as in the naive sum.
#include <Eigen/Core>

#include "nlhf/logspace.h"

namespace nlhf::solvers {

class AverageIterate {
 public:
  // An empty average over policies of size n.
  void Reset(Eigen::Index n) {
    sum_ = Eigen::VectorXd::Zero(n);
    logits_ = Eigen::VectorXd::Zero(n);
    count_ = 0;
    fresh_ = false;
  }
  // Adds a past iterate, given by its probabilities pi_j = exp(l_j).
  void Add(const Eigen::VectorXd& pi) {
    sum_ += pi;
    ++count_;
    fresh_ = false;
  }
  // The normalized logits of the average of the added iterates and the current one, exp(current)
  // (`current` must be the solver's iterate since the last Add or Reset); before any Add, `current`
  // itself. Cached until the next Add (a record and the final summary ask for the same average).
  const Eigen::VectorXd& Logits(const Eigen::VectorXd& current) const {
    if (count_ == 0) return current;
    if (!fresh_) {
      // (ExpProbabilities: exp(current) is 0 where it underflows, as in the sum, not Eigen's 5.6e-309.)
      ExpProbabilities(current.array(), logits_.array());
      logits_ += sum_;
      logits_ = (logits_.array() / logits_.sum()).log();
      fresh_ = true;
    }
    return logits_;
  }
  long count() const { return count_; }  // iterates added (the current one not included)

 private:
  Eigen::VectorXd sum_;
  mutable Eigen::VectorXd logits_;
  mutable bool fresh_ = false;
  long count_ = 0;
};

}  // namespace nlhf::solvers
