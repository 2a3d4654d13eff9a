// references/file.cc: a user's reference policy file, read and validated; a value that is not a
// valid reference is reported where the file holds it (file:line:column, or the file for its size
// and sum).
#include <gtest/gtest.h>

#include <string>

#include "nlhf/errors.h"
#include "nlhf/generators.h"
#include "test_util.h"

namespace nlhf {
namespace {

constexpr const char* kGame = "matrix(path=";
constexpr const char* kThreeActions = "0.5,0.5,0.5\n0.5,0.5,0.5\n0.5,0.5,0.5\n";

std::string ErrorOf(testing::TempDir& dir, const std::string& mu) {
  const std::string game = std::string(kGame) + dir.File("P.csv", kThreeActions) + ")";
  try {
    MakeGame(game, "file(path=" + mu + ")", 0);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

// The error of a reference read from `mu` starts with `mu` then `rest` (":line:col: key: ...").
void ExpectErrorAt(testing::TempDir& dir, const std::string& mu, const std::string& rest) {
  EXPECT_EQ(ErrorOf(dir, mu).rfind(mu + rest, 0), 0u) << ErrorOf(dir, mu);
}

TEST(FileReference, ReadsTheFile) {
  testing::TempDir dir;
  const Game g = MakeGame(std::string(kGame) + dir.File("P.csv", kThreeActions) + ")",
                          "file(path=" + dir.File("mu.csv", "0.25\n0.25\n0.5\n") + ")", 0);
  EXPECT_EQ(g.mu()[2], 0.5);
}

TEST(FileReference, ABadValueIsReportedWhereTheFileHoldsIt) {
  testing::TempDir dir;
  const std::string negative = dir.File("negative.csv", "0.5\n  -0.2\n0.7\n");
  ExpectErrorAt(dir, negative, ":2:3: reference.path: mu[1] = -0.2 is not allowed");
  const std::string zero = dir.File("zero.csv", "\n0.5\n0.5\n0\n");
  ExpectErrorAt(dir, zero, ":4:1: reference.path: mu[2] = 0 is not allowed");
  const std::string bom_crlf = dir.File("bom_crlf.csv", "\xEF\xBB\xBF" "0.5\r\n0\r\n0.5\r\n");
  ExpectErrorAt(dir, bom_crlf, ":2:1: reference.path: mu[1] = 0 is not allowed");
  const std::string sum = dir.File("sum.csv", "0.5\n0.2\n0.7\n");
  ExpectErrorAt(dir, sum, ": reference.path: mu sums to 1.4, expected 1 within");
  const std::string size = dir.File("size.csv", "0.5\n0.5\n");
  ExpectErrorAt(dir, size, ": reference.path: has 2 entries but the game has 3 actions, expected 3, one per action");
}

}  // namespace
}  // namespace nlhf
