#pragma once
// A preference game: the matrix P of pairwise preference probabilities over n actions and the
// reference policy mu, with the canonical spec strings that produced them. Immutable once built;
// construction validates everything and throws an InputError naming the offending entry.
#include <Eigen/Core>
#include <string>

namespace nlhf {

// Tolerance of the invariants P + P^T = 1 and sum(mu) = 1.
inline constexpr double kGameTolerance = 1e-12;

class Game {
 public:
  Game(Eigen::MatrixXd P, Eigen::VectorXd mu, std::string game_spec, std::string reference_spec);

  Eigen::Index n() const { return P_.rows(); }
  const Eigen::MatrixXd& P() const { return P_; }
  const Eigen::VectorXd& mu() const { return mu_; }
  const Eigen::VectorXd& log_mu() const { return log_mu_; }
  const std::string& game_spec() const { return game_spec_; }
  const std::string& reference_spec() const { return reference_spec_; }

  // g(pi) = P pi, g_y = P(y > pi): one oracle call.
  Eigen::VectorXd Payoff(const Eigen::VectorXd& pi) const { return P_ * pi; }

 private:
  Eigen::MatrixXd P_;
  Eigen::VectorXd mu_;
  Eigen::VectorXd log_mu_;
  std::string game_spec_;
  std::string reference_spec_;
};

// Throw InputError(key, ...) naming the first offending entry. `key` prefixes messages ("game").
// P: square, n >= 2, finite, entries in [0, 1], |P + P^T - 1| <= kGameTolerance.
void ValidatePreferenceMatrix(const Eigen::MatrixXd& P, const std::string& key);
// mu: size n, finite, strictly positive, |sum - 1| <= kGameTolerance.
void ValidateReference(const Eigen::VectorXd& mu, Eigen::Index n, const std::string& key);

}  // namespace nlhf
