#include "nlhf/params.h"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include "test_util.h"

namespace nlhf {
namespace {

using testing::ExpectInputError;

std::vector<ParamSpec> Table() {
  return {ParamSpec::Int("n", 10, "actions").Range(2, 100),
          ParamSpec::Double("scale", 1.0, "scale").Above(0),
          ParamSpec::Bool("flag", false, "a flag"),
          ParamSpec::String("path", std::nullopt, "a file"),
          ParamSpec::DoubleList("w", "weights").AtLeast(0),
          ParamSpec::Int("seed", std::nullopt, "seed").AtLeast(0).DefaultDoc("run seed")};
}

TEST(ParamSpec, DescribesItsAllowedValues) {
  const auto t = Table();
  EXPECT_EQ(t[0].AllowedText(), "integer in [2, 100]");
  EXPECT_EQ(t[1].AllowedText(), "number > 0");
  EXPECT_EQ(t[2].AllowedText(), "true or false");
  EXPECT_EQ(t[5].DefaultText(), "run seed");
  EXPECT_EQ(t[3].DefaultText(), "required");
}

TEST(ParseParamValue, ParsesEachType) {
  const auto t = Table();
  EXPECT_EQ(std::get<std::int64_t>(ParseParamValue(t[0], "12", "k")), 12);
  EXPECT_EQ(std::get<std::int64_t>(ParseParamValue(t[0], "1e1", "k")), 10);  // integral double
  EXPECT_EQ(std::get<double>(ParseParamValue(t[1], "2.5e-3", "k")), 2.5e-3);
  EXPECT_EQ(std::get<double>(ParseParamValue(t[1], "+2.5", "k")), 2.5);
  EXPECT_EQ(std::get<std::int64_t>(ParseParamValue(t[0], "+12", "k")), 12);
  EXPECT_EQ(std::get<bool>(ParseParamValue(t[2], "true", "k")), true);
  EXPECT_EQ(std::get<std::string>(ParseParamValue(t[3], "a/b.csv", "k")), "a/b.csv");
  EXPECT_EQ(std::get<std::vector<double>>(ParseParamValue(t[4], "[1, 2.5,0]", "k")),
            (std::vector<double>{1, 2.5, 0}));
  EXPECT_TRUE(std::get<std::vector<double>>(ParseParamValue(t[4], "[]", "k")).empty());
}

TEST(ParseParamValue, RejectsBadValuesNamingKeyValueAndRange) {
  const auto t = Table();
  ExpectInputError([&] { ParseParamValue(t[0], "1", "game.n"); },
                   {"game.n", "'1'", "out of range", "integer in [2, 100]"});
  ExpectInputError([&] { ParseParamValue(t[0], "2.5", "game.n"); }, {"not an integer"});
  ExpectInputError([&] { ParseParamValue(t[1], "abc", "game.scale"); }, {"'abc'", "not a finite number"});
  ExpectInputError([&] { ParseParamValue(t[1], "nan", "game.scale"); }, {"not a finite number"});
  for (const char* bad : {"+-0.5", "++0.5", "+-1e30"})  // a sign after the '+' (it read "+-0.5" as -0.5)
    ExpectInputError([&] { ParseParamValue(t[1], bad, "game.scale"); }, {"not a finite number"});
  ExpectInputError([&] { ParseParamValue(t[0], "+-1e30", "game.n"); }, {"not an integer"});
  ExpectInputError([&] { ParseParamValue(t[1], "1e-400", "game.scale"); }, {"'1e-400' underflows"});
  ExpectInputError([&] { ParseParamValue(t[1], "1e400", "game.scale"); }, {"'1e400' overflows"});
  ExpectInputError([&] { ParseParamValue(t[4], "[1,1e999]", "w"); }, {"element '1e999' that overflows"});
  ExpectInputError([&] { ParseParamValue(t[1], "0", "game.scale"); }, {"number > 0"});
  ExpectInputError([&] { ParseParamValue(t[2], "yes", "f"); }, {"true or false"});
  ExpectInputError([&] { ParseParamValue(t[4], "[1,-1]", "w"); }, {"element -1 out of range"});
  ExpectInputError([&] { ParseParamValue(t[4], "1,2", "w"); }, {"not a list"});
}

// An integer's range is checked as an integer: as a double, 9000000000000000001 rounded to the
// bound 9e18 and passed.
TEST(ParseParamValue, ChecksAnIntegerRangeExactly) {
  const ParamSpec seed = ParamSpec::Int("seed", 0, "").Range(0, 9.0e18);
  EXPECT_EQ(std::get<std::int64_t>(ParseParamValue(seed, "9000000000000000000", "seeds[0]")), 9000000000000000000);
  ExpectInputError([&] { ParseParamValue(seed, "9000000000000000001", "seeds[0]"); },
                   {"'9000000000000000001' is out of range"});
}

// An integer's bounds are written in its own digits (the message said "[0, 9e+18]"); a number's in
// the shortest form.
TEST(ParamSpec, WritesAnIntegersBoundsAsIntegers) {
  EXPECT_EQ(ParamSpec::Int("seed", 0, "").Range(0, 9.0e18).AllowedText(), "integer in [0, 9000000000000000000]");
  EXPECT_EQ(ParamSpec::Int("n", 2, "").AtLeast(100000000).AllowedText(), "integer >= 100000000");
  EXPECT_EQ(ParamSpec::Double("x", 1.0, "").Range(0, 9.0e18).AllowedText(), "number in [0, 9e+18]");
}

// An integer in decimal notation is read exactly from its digits, at any size a 64-bit integer
// holds (as a double, 8e18 was refused as "not an integer" and 1.0000000000000001e16 would round).
TEST(ParseParamValue, ReadsIntegersInDecimalNotationExactly) {
  const ParamSpec seed = ParamSpec::Int("seed", 0, "").Range(0, 9.0e18);
  auto read = [&](const char* text) { return std::get<std::int64_t>(ParseParamValue(seed, text, "seeds[0]")); };
  EXPECT_EQ(read("8e18"), 8000000000000000000);
  EXPECT_EQ(read("8.5E+18"), 8500000000000000000);
  EXPECT_EQ(read("1.0000000000000001e16"), 10000000000000001);
  EXPECT_EQ(read("100e-2"), 1);
  EXPECT_EQ(read("2.50e1"), 25);
  EXPECT_EQ(read("0.0"), 0);
  EXPECT_EQ(read("+7"), 7);
  for (const char* bad : {"1.5", "2.5e0", "1e-1", "1e", "e5", "1e2.5", "0x10", "1_000", "inf", "1000e+-3", "1e+-0", "+-5", "++5"})
    ExpectInputError([&] { read(bad); }, {fmt::format("'{}' is not an integer", bad)});
  for (const char* big : {"1e19", "99999999999999999999"})
    ExpectInputError([&] { read(big); }, {fmt::format("'{}' is out of range", big)});
  ExpectInputError([&] { read("-1e3"); }, {"'-1e3' is out of range"});  // shown as written
}

// A refused value is echoed as the user wrote it, whichever check refuses it (a range, the spec's
// own check), so that it can be found in the file: '2e7', not the parsed 20000000.
TEST(ParseParamValue, EchoesARefusedValueAsWritten) {
  const ParamSpec beta = ParamSpec::Double("beta", 0.1, "").Check(
      [](const ParamValue& v) { return std::get<double>(v) > 1e6 ? "is too large" : ""; }, "at most 1e6");
  ExpectInputError([&] { ParseParamValue(beta, "2e7", "beta"); }, {"beta: '2e7' is too large"});
  ExpectInputError([&] { ParseParamValue(Table()[1], "-2.50E0", "scale"); }, {"'-2.50E0' is out of range"});
  ExpectInputError([&] { ParseParamValue(Table()[0], "1e3", "game.n"); }, {"'1e3' is out of range"});
  const ParamSpec eta = ParamSpec::Double("eta", std::nullopt, "").Above(0).AllowLimit();
  ExpectInputError([&] { ParseParamValue(eta, "-5e-1*limit", "eta"); }, {"eta: '-5e-1*limit' is not a positive"});
  // Checked after parsing (no text to echo): the value as read.
  ExpectInputError([&] { CheckParamValue(Table()[0], ParamValue{std::int64_t{1000}}, "game.n"); },
                   {"'1000' is out of range"});
}

TEST(ResolveParams, FillsDefaultsAndContextInTableOrder) {
  const ParamMap m = ResolveParams(Table(), {{"path", std::string("x.csv")}, {"n", std::int64_t{5}}},
                                   {{"seed", std::int64_t{9}}}, "game");
  ASSERT_EQ(m.items().size(), 6u);
  EXPECT_EQ(m.items()[0].first, "n");
  EXPECT_EQ(m.Int("n"), 5);
  EXPECT_EQ(m.Double("scale"), 1.0);
  EXPECT_EQ(m.Int("seed"), 9);
  EXPECT_EQ(m.String("path"), "x.csv");
}

TEST(ResolveParams, RejectsUnknownNamesWithASuggestion) {
  ExpectInputError(
      [] { ResolveParams(Table(), {{"scael", 1.0}, {"path", std::string("p")}}, {}, "game"); },
      {"game.scael", "unknown parameter", "did you mean 'scale'", "valid: n, scale"});
}

TEST(ResolveParams, RejectsMissingRequiredAndDuplicates) {
  ExpectInputError([] { ResolveParams(Table(), {}, {{"seed", std::int64_t{1}}}, "game"); },
                   {"game.path", "is required"});
  ExpectInputError(
      [] {
        ResolveParams(Table(), {{"n", std::int64_t{3}}, {"n", std::int64_t{4}}, {"path", std::string("p")}},
                      {}, "game");
      },
      {"game.n", "given twice"});
}

TEST(ResolveParams, ChecksTypedValues) {
  ExpectInputError([] { ResolveParams(Table(), {{"n", 3.5}, {"path", std::string("p")}}, {}, "g"); },
                   {"g.n", "not an integer"});
}

TEST(FormatParamValue, RoundTripsDoublesExactly) {
  const auto t = Table();
  for (double x : {0.1, 1.0 / 3.0, 1e-300, 123456789.125, 2.0}) {
    const std::string text = FormatParamValue(x);
    EXPECT_EQ(std::get<double>(ParseParamValue(t[1], text, "k")), x) << text;
  }
  EXPECT_EQ(FormatParamValue(1.0), "1");
  EXPECT_EQ(FormatParamValue(std::vector<double>{1, 0.5}), "[1,0.5]");
}

TEST(ParseParamValue, ReadsAMultipleOfTheStabilityLimitWhereAllowed) {
  const ParamSpec step = ParamSpec::Double("eta", std::nullopt, "step").Above(0).AllowLimit();
  EXPECT_EQ(std::get<LimitMultiple>(ParseParamValue(step, "0.9*limit", "k")).multiple, 0.9);
  EXPECT_EQ(std::get<LimitMultiple>(ParseParamValue(step, " 1.5 * limit ", "k")).multiple, 1.5);
  EXPECT_EQ(std::get<double>(ParseParamValue(step, "0.5", "k")), 0.5);
  EXPECT_EQ(FormatParamValue(LimitMultiple{0.9}), "0.9*limit");
  EXPECT_EQ(step.AllowedText(), "number > 0 or X*limit (X > 0 times the stability limit)");
  ExpectInputError([&] { ParseParamValue(step, "limit", "s.eta"); }, {"s.eta", "'limit'", "not of the form X*limit"});
  ExpectInputError([&] { ParseParamValue(step, "0*limit", "s.eta"); }, {"'0*limit' is not a positive multiple"});
  ExpectInputError([&] { ParseParamValue(step, "-1*limit", "s.eta"); }, {"not a positive multiple"});
  ExpectInputError([&] { ParseParamValue(step, "x*limit", "s.eta"); }, {"multiple that is not a finite number"});
  ExpectInputError([&] { ParseParamValue(step, "1e999*limit", "s.eta"); }, {"not a finite number"});
  ExpectInputError([&] { ParseParamValue(step, "0.9*limits", "s.eta"); }, {"not a finite number"});
  const auto t = Table();
  ExpectInputError([&] { ParseParamValue(t[1], "0.9*limit", "game.scale"); }, {"game.scale", "not available"});
  ExpectInputError([&] { CheckParamValue(t[1], LimitMultiple{0.9}, "game.scale"); }, {"not available"});
}

TEST(DidYouMean, SuggestsCloseNamesOnly) {
  EXPECT_EQ(DidYouMean("bradly_terry", {"bradley_terry", "cyclic"}), "bradley_terry");
  EXPECT_EQ(DidYouMean("zzzzzzzz", {"bradley_terry", "cyclic"}), "");
  // A one-letter key is no misspelling of another one-letter key (rps3's x, y, z for an n).
  EXPECT_EQ(DidYouMean("n", {"storage", "type", "x", "y", "z"}), "");
  EXPECT_EQ(DidYouMean("ab", {"xy"}), "");
  EXPECT_EQ(DidYouMean("nn", {"storage", "type", "n", "seed"}), "n");
  EXPECT_EQ(DidYouMean("m", {"mu", "beta"}), "mu");  // a completion is a suggestion
}

}  // namespace
}  // namespace nlhf
