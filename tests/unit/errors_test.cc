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

TEST(Excerpt, KeepsShortValuesAndCutsLongOnesWithTheirLength) {
  EXPECT_EQ(Excerpt("0.5"), "0.5");
  EXPECT_EQ(Excerpt(std::string(60, 'x')), std::string(60, 'x'));
  EXPECT_EQ(Excerpt(std::string(61, 'x')), std::string(60, 'x') + "... (61 bytes)");
  EXPECT_EQ(Excerpt("abcdef", 3), "abc... (6 bytes)");
  // Never inside a UTF-8 sequence: "é" is two bytes, and a cut after its first one moves back.
  EXPECT_EQ(Excerpt("a\xc3\xa9" "b", 2), "a... (4 bytes)");
  EXPECT_EQ(Excerpt("a\xc3\xa9" "b", 3), "a\xc3\xa9... (4 bytes)");
}

// A value echoed from a huge input (a 2 MB CSV cell, a 100 KB scalar) cannot make a huge error
// line: the message keeps its head (place, key) and tail (what is allowed) and says what it left out.
TEST(InputError, AHugeMessageKeepsItsHeadAndTail) {
  const std::string value(100000, '9');
  const std::string head = "exp.yaml:4:7: beta: '", tail = "x' is not a number, expected > 0";
  const InputError e(SourceLocation{"exp.yaml", 4, 7}, "beta", "'" + value + tail);
  const std::string what = e.what();
  EXPECT_LE(what.size(), kMaxMessageChars + kMessageCutMarkerRoom);
  EXPECT_EQ(what.rfind(head + "999", 0), 0u) << what.substr(0, 40);
  EXPECT_TRUE(what.ends_with("999" + tail)) << what.substr(what.size() - 40);
  // It says exactly how much it left out: all but kMaxMessageChars bytes of the message.
  const size_t left_out = head.size() + value.size() + tail.size() - kMaxMessageChars;
  EXPECT_NE(what.find(" ... (" + std::to_string(left_out) + " bytes left out) ... 999"), std::string::npos)
      << what.substr(480, 80);
  // A message is cut only where that saves more than the marker costs: never made longer.
  const std::string whole(kMaxMessageChars + kMessageCutMarkerRoom, 'a');
  EXPECT_EQ(std::string(InputError(whole).what()), whole);
  EXPECT_LT(std::string(InputError(whole + "a").what()).size(), whole.size());
}

// The cut splits neither a UTF-8 sequence nor an escape (\x01, \n) of EscapeControl, wherever
// it falls.
TEST(LimitMessage, CutsBetweenCharactersAndEscapes) {
  const std::string e_acute = "\xc3\xa9";
  for (size_t shift = 0; shift < 8; ++shift) {
    const std::string text = std::string(shift, 'a') + [&] {
      std::string s;
      for (int k = 0; k < 1000; ++k) s += e_acute;
      return s;
    }();
    const std::string cut = LimitMessage(text);
    ASSERT_LT(cut.size(), text.size());
    const size_t mark = cut.find(" ... (");
    const size_t after = cut.find(") ... ") + 6;
    // Head and tail are whole characters: the head ends with a whole "é" (or the a's), the tail
    // starts with one.
    EXPECT_EQ(cut.substr(after, 2), e_acute) << shift;
    EXPECT_TRUE(cut.substr(0, mark).ends_with(e_acute) || mark == shift) << shift;
  }
  for (const std::string escape : {"\\x01", "\\n"}) {
    for (size_t shift = 0; shift < 4; ++shift) {
      std::string text(shift, 'a');
      while (text.size() < 3000) text += escape;
      const std::string cut = LimitMessage(text);
      const size_t mark = cut.find(" ... (");
      const size_t after = cut.find(") ... ") + 6;
      EXPECT_TRUE(cut.substr(0, mark).ends_with(escape) || mark == shift) << escape << " " << shift;
      EXPECT_EQ(cut.substr(after, escape.size()), escape) << escape << " " << shift;
    }
  }
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
