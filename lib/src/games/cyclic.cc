// cyclic: the balanced tournament C_n (n odd). A[i][j] = a/2 if (j - i) mod n is in
// [1, (n-1)/2], else -a/2: every action beats the (n-1)/2 actions after it on the circle.
// Every action has the same score, so with a uniform reference pi*_beta is uniform for all beta.
#include "games.h"

namespace nlhf::games {

GameEntry CyclicEntry() {
  return {"cyclic",
          "balanced tournament C_n: i beats the (n-1)/2 actions after it, margin a/2",
          {ParamSpec::Int("n", 5, "number of actions").Range(3, 100001).Check(
               [](const ParamValue& v) {
                 return std::get<std::int64_t>(v) % 2 == 1 ? std::string()
                                                            : std::string("is even, expected an odd n");
               },
               "odd"),
           ParamSpec::Double("a", 1.0, "strength: P is 1/2 +- a/2").Range(0, 1).Above(0)},
          [](const ParamMap& p) {
            const Eigen::Index n = p.Int("n");
            const double half = p.Double("a") / 2.0;
            Eigen::MatrixXd A = Eigen::MatrixXd::Zero(n, n);
            for (Eigen::Index i = 0; i < n; ++i) {
              for (Eigen::Index j = 0; j < n; ++j) {
                if (i == j) continue;
                const Eigen::Index ahead = ((j - i) % n + n) % n;
                A(i, j) = ahead <= (n - 1) / 2 ? half : -half;
              }
            }
            return PreferencesFromMargin(A);
          }};
}

}  // namespace nlhf::games
