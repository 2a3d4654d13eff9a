#include "nlhf/errors.h"

#include <gtest/gtest.h>

namespace nlhf {
namespace {

TEST(InputError, ComposesLocationKeyAndProblem) {
  EXPECT_STREQ(InputError("bad").what(), "bad");
  EXPECT_STREQ(InputError("beta", "-1 is negative, expected > 0").what(), "beta: -1 is negative, expected > 0");
  const InputError e(SourceLocation{"exp.yaml", 3, 7}, "game.n", "'1' is out of range, expected >= 2");
  EXPECT_STREQ(e.what(), "exp.yaml:3:7: game.n: '1' is out of range, expected >= 2");
  EXPECT_EQ(SourceLocation({"f.csv", 2, 0}).ToString(), "f.csv:2");
  EXPECT_EQ(SourceLocation({"f.csv", 0, 0}).ToString(), "f.csv");
}

TEST(InputError, LocatedAddsTheFileAndKeyPrefix) {
  const InputError inner("n", "'1' is out of range, expected >= 2");
  const InputError outer = inner.Located(SourceLocation{"exp.yaml", 4, 3}, "game");
  EXPECT_STREQ(outer.what(), "exp.yaml:4:3: game.n: '1' is out of range, expected >= 2");
  // An error that already names its own file (a CSV cell) keeps that location.
  const InputError csv(SourceLocation{"P.csv", 2, 5}, "path", "'x' is not a number");
  EXPECT_STREQ(csv.Located(SourceLocation{"exp.yaml", 9, 1}, "game").what(),
               "P.csv:2:5: game.path: 'x' is not a number");
}

TEST(NlhfCheck, ThrowsInternalErrorWithTheCondition) {
  try {
    NLHF_CHECK(1 + 1 == 3, "arithmetic");
    FAIL() << "expected InternalError";
  } catch (const InternalError& e) {
    EXPECT_NE(std::string(e.what()).find("1 + 1 == 3"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("arithmetic"), std::string::npos);
  }
}

}  // namespace
}  // namespace nlhf
