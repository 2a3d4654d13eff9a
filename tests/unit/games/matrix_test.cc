// games/matrix.cc: a user's matrix file, read and validated; a value that is not a valid game is
// reported at the file that holds it.
#include <gtest/gtest.h>

#include <string>

#include "nlhf/errors.h"
#include "nlhf/generators.h"
#include "test_util.h"

namespace nlhf {
namespace {

std::string ErrorOf(const std::string& path) {
  try {
    MakeGame("matrix(path=" + path + ")", "uniform", 0);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(MatrixGame, ReadsTheFile) {
  testing::TempDir dir;
  const Game g = MakeGame("matrix(path=" + dir.File("P.csv", "0.5,0.75\n0.25,0.5\n") + ")", "uniform", 0);
  EXPECT_EQ(g.P()(0, 1), 0.75);
  EXPECT_EQ(g.P()(1, 0), 0.25);
}

TEST(MatrixGame, ABadValueIsReportedAtItsFile) {
  testing::TempDir dir;
  const std::string margins = dir.File("margins.csv", "0,0.5\n-0.5,0\n");
  EXPECT_EQ(ErrorOf(margins).rfind(margins + ": game.path: P[1][0] = -0.5 is outside [0, 1]", 0), 0u)
      << ErrorOf(margins);
  const std::string skew = dir.File("skew.csv", "0.5,0.6\n0.3,0.5\n");
  EXPECT_EQ(ErrorOf(skew).rfind(skew + ": game.path: P[0][1] + P[1][0] = 0.6 + 0.3", 0), 0u) << ErrorOf(skew);
}

}  // namespace
}  // namespace nlhf
