// hodge: A = (1 - kappa) grad(r)/||grad(r)|| + kappa C/||C||, scaled so that max|A| = amplitude,
// P = 1/2 + A. grad(r)_ij = r_i - r_j is the transitive part; C is the cyclic part of a random
// skew matrix X (X minus its least-squares gradient, s_i = mean_j X_ij). The two parts are
// orthogonal, so the Hodge cyclic-energy ratio is exactly kappa^2 / ((1-kappa)^2 + kappa^2).
// Jiang, Lim, Yao and Ye, "Statistical ranking and combinatorial Hodge theory", Math. Prog. 2011.
#include "games.h"
#include "nlhf/rng.h"

namespace nlhf::games {

GameEntry HodgeEntry() {
  return {"hodge",
          "A = (1-kappa) gradient + kappa cyclic part (normalized), max|A| = amplitude; exact "
          "intransitivity knob",
          {ParamSpec::Int("n", 10, "number of actions").Range(3, 100000),
           ParamSpec::Double("kappa", 0.5, "weight of the cyclic part (0: transitive, 1: cyclic)").Range(0, 1),
           ParamSpec::Double("amplitude", 0.4, "max |P - 1/2|").Range(0, 0.5).Above(0),
           SeedParam()},
          [](const ParamMap& p) {
            const Eigen::Index n = p.Int("n");
            const double kappa = p.Double("kappa");
            Rng rng(static_cast<std::uint64_t>(p.Int("seed")), "hodge");
            Eigen::VectorXd r(n);
            for (Eigen::Index i = 0; i < n; ++i) r[i] = rng.Normal();
            Eigen::MatrixXd X(n, n);
            for (Eigen::Index i = 0; i < n; ++i)
              for (Eigen::Index j = 0; j < n; ++j) X(i, j) = rng.Normal();
            X = (X - X.transpose()).eval();
            const Eigen::VectorXd s = X.rowwise().mean();
            Eigen::MatrixXd G(n, n), C(n, n);
            for (Eigen::Index i = 0; i < n; ++i) {
              for (Eigen::Index j = 0; j < n; ++j) {
                G(i, j) = r[i] - r[j];
                C(i, j) = X(i, j) - (s[i] - s[j]);
              }
            }
            Eigen::MatrixXd A = (1.0 - kappa) * G / G.norm() + kappa * C / C.norm();
            A *= p.Double("amplitude") / A.cwiseAbs().maxCoeff();
            return PreferencesFromMargin(A);
          }};
}

}  // namespace nlhf::games
