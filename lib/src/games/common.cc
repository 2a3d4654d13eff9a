#include <cmath>

#include "games.h"

namespace nlhf::games {

ParamSpec SizeParam(std::int64_t def) {
  return ParamSpec::Int("n", def, "number of actions (responses)").Range(2, 100000);
}

ParamSpec SeedParam() {
  return ParamSpec::Int("seed", std::nullopt, "random seed; omitted: follows the run seed")
      .AtLeast(0)
      .DefaultDoc("run seed");
}

double Sigmoid(double x) {
  if (x >= 0.0) return 1.0 / (1.0 + std::exp(-x));
  const double e = std::exp(x);
  return e / (1.0 + e);
}

Eigen::MatrixXd PreferencesFromLogits(const Eigen::MatrixXd& S) {
  const Eigen::Index n = S.rows();
  Eigen::MatrixXd P(n, n);
  for (Eigen::Index i = 0; i < n; ++i) {
    P(i, i) = 0.5;
    for (Eigen::Index j = 0; j < i; ++j) {
      const double x = S(i, j);
      if (x <= 0.0) {
        P(i, j) = Sigmoid(x);
        P(j, i) = 1.0 - P(i, j);
      } else {
        P(j, i) = Sigmoid(-x);
        P(i, j) = 1.0 - P(j, i);
      }
    }
  }
  return P;
}

Eigen::MatrixXd PreferencesFromMargin(const Eigen::MatrixXd& A) {
  const Eigen::Index n = A.rows();
  Eigen::MatrixXd P(n, n);
  for (Eigen::Index i = 0; i < n; ++i) {
    P(i, i) = 0.5;
    for (Eigen::Index j = 0; j < i; ++j) {
      P(i, j) = 0.5 + A(i, j);
      P(j, i) = 1.0 - P(i, j);
    }
  }
  return P;
}

}  // namespace nlhf::games
