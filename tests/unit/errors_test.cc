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

TEST(EscapeControl, EscapesEveryNonPrintableCharacter) {
  EXPECT_EQ(EscapeControl("plain text: a-z 0-9 ~"), "plain text: a-z 0-9 ~");
  EXPECT_EQ(EscapeControl("a\nb\rc\td"), "a\\nb\\rc\\td");
  EXPECT_EQ(EscapeControl("\x1b[2J\x7f\x01"), "\\x1b[2J\\x7f\\x01");
  EXPECT_EQ(EscapeControl(std::string("a\0b", 3)), "a\\x00b");
  EXPECT_EQ(EscapeControl("caf\xc3\xa9 \xce\xb2"), "caf\xc3\xa9 \xce\xb2");  // valid UTF-8 passes
  EXPECT_EQ(EscapeControl("\xc2\x9b" "1m"), "\\xc2\\x9b1m");                   // C1 CSI
  EXPECT_EQ(EscapeControl("\xff\xc3"), "\\xff\\xc3");                         // not UTF-8
  EXPECT_EQ(EscapeControl("\xf8\x80\x80"), "\\xf8\\x80\\x80");
  EXPECT_EQ(EscapeControl("\xe2\x80\xa8"), "\\xe2\\x80\\xa8");             // line separator
}

TEST(InputError, WhatIsOneEscapedLine) {
  const InputError e(SourceLocation{"a\nb.yaml", 1, 2}, "k\x1b", "'x\nerror: fake' is bad");
  EXPECT_STREQ(e.what(), "a\\nb.yaml:1:2: k\\x1b: 'x\\nerror: fake' is bad");
  EXPECT_EQ(e.problem(), "'x\nerror: fake' is bad");  // the parts stay raw for re-composition
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
