// games/matrix.cc: a user's matrix file, read and validated; a value that is not a valid game is
// reported where the file holds it (file:line:column).
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

// The error of a game read from `path` starts with `path` then `rest` (":line:col: key: ...").
void ExpectErrorAt(const std::string& path, const std::string& rest) {
  EXPECT_EQ(ErrorOf(path).rfind(path + rest, 0), 0u) << ErrorOf(path);
}

TEST(MatrixGame, ReadsTheFile) {
  testing::TempDir dir;
  const Game g = MakeGame("matrix(path=" + dir.File("P.csv", "0.5,0.75\n0.25,0.5\n") + ")", "uniform", 0);
  EXPECT_EQ(g.P()(0, 1), 0.75);
  EXPECT_EQ(g.P()(1, 0), 0.25);
}

TEST(MatrixGame, ABadValueIsReportedWhereTheFileHoldsIt) {
  testing::TempDir dir;
  // file:line:column of the entry (for a sum, of P[i][j], the first of its pair in row order).
  const std::string margins = dir.File("margins.csv", "0,0.5\n-0.5,0\n");
  ExpectErrorAt(margins, ":2:1: game.path: P[1][0] = -0.5 is outside [0, 1]");
  const std::string skew = dir.File("skew.csv", "0.5,0.6\n0.3,0.5\n");
  ExpectErrorAt(skew, ":1:5: game.path: P[0][1] + P[1][0] = 0.6 + 0.3");
  // Columns count the line as written, blanks before a value included; a byte order mark is not
  // counted (ReadRows drops it); blank lines at the top move the rows' line numbers.
  const std::string spaced = dir.File("spaced.csv", "0.5,0.5,0.5\n0.5,0.5,  1.5\n0.5,0.5,0.5\n");
  ExpectErrorAt(spaced, ":2:11: game.path: P[1][2] = 1.5 is outside [0, 1]");
  const std::string bom = dir.File("bom.csv", "\xEF\xBB\xBF" "0.5,0.7\n0.4,0.5\n");
  ExpectErrorAt(bom, ":1:5: game.path: P[0][1] + P[1][0] = 0.7 + 0.4");
  const std::string blank_top = dir.File("blank_top.csv", "\n\n0.5,0.5\n0.5,0.4\n");
  ExpectErrorAt(blank_top, ":4:5: game.path: P[1][1] + P[1][1] = 0.4 + 0.4");
  const std::string crlf_tabs = dir.File("crlf_tabs.csv", "0.5,\t0.5\r\n0.5,\t-0.5\r\n");
  ExpectErrorAt(crlf_tabs, ":2:6: game.path: P[1][1] = -0.5");
  // An error about the whole matrix: at the file.
  const std::string one = dir.File("one.csv", "0.5\n");
  ExpectErrorAt(one, ": game.path: P has 1 action(s), expected at least 2");
}

}  // namespace
}  // namespace nlhf
