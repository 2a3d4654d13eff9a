#pragma once
// Internal: the running average (1/(k+1)) sum_{j<=k} pi_j of a solver's iterates, in probability
// space, exposed as normalized logits. Allocation-free after Reset.
#include <Eigen/Core>

namespace nlhf::solvers {

class AverageIterate {
 public:
  void Reset(const Eigen::VectorXd& first_logits) {
    sum_ = first_logits.array().exp();
    count_ = 1;
    logits_ = first_logits;
  }
  void Add(const Eigen::VectorXd& logits) {
    sum_.array() += logits.array().exp();
    ++count_;
    logits_ = (sum_.array() / sum_.sum()).log();
  }
  const Eigen::VectorXd& logits() const { return logits_; }

 private:
  Eigen::VectorXd sum_;
  Eigen::VectorXd logits_;
  long count_ = 0;
};

}  // namespace nlhf::solvers
