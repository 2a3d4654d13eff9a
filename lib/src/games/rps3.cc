// rps3: generalized rock-paper-scissors over actions (a, b, c): P(b > a) = x, P(c > b) = y,
// P(a > c) = z, all > 1/2. Its unregularized Nash equilibrium is proportional to
// (y - 1/2, z - 1/2, x - 1/2). With (x, y, z) = (0.9, 0.9, 0.8) it is the game of COMAL
// (Liu et al., "COMAL: A Convergent Meta-Algorithm for Aligning LLMs with General Preferences",
// arXiv:2410.23223), whose equilibrium is (4/11, 3/11, 4/11).
#include "games.h"

namespace nlhf::games {

GameEntry Rps3Entry() {
  return {"rps3",
          "rock-paper-scissors: P(b>a)=x, P(c>b)=y, P(a>c)=z; NE ~ (y-1/2, z-1/2, x-1/2)",
          {ParamSpec::Double("x", 0.9, "P(b beats a)").Range(0.5, 1).Above(0.5),
           ParamSpec::Double("y", 0.9, "P(c beats b)").Range(0.5, 1).Above(0.5),
           ParamSpec::Double("z", 0.8, "P(a beats c)").Range(0.5, 1).Above(0.5)},
          [](const ParamMap& p) {
            Eigen::MatrixXd A = Eigen::MatrixXd::Zero(3, 3);
            A(1, 0) = p.Double("x") - 0.5;  // b over a
            A(2, 1) = p.Double("y") - 0.5;  // c over b
            A(0, 2) = p.Double("z") - 0.5;  // a over c
            A(0, 1) = -A(1, 0);
            A(1, 2) = -A(2, 1);
            A(2, 0) = -A(0, 2);
            return PreferencesFromMargin(A);
          }};
}

}  // namespace nlhf::games
