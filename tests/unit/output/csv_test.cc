// The one CSV writer and reader (lib/src/output/csv.cc).
#include "nlhf/output/csv.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

namespace nlhf {
namespace {

TEST(CsvField, QuotesOnlyWhatMustBeQuotedAndSplitUndoesIt) {
  EXPECT_EQ(CsvField("plain"), "plain");
  EXPECT_EQ(CsvField("a,b"), "\"a,b\"");
  EXPECT_EQ(CsvField("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(CsvField("two\nlines"), "\"two\nlines\"");
  const std::vector<std::string> fields = {"plain", "a,b", "say \"hi\"", "", "nash_mp(eta=0.2,reference_every=0)"};
  std::string line;
  for (size_t k = 0; k < fields.size(); ++k) {
    if (k > 0) line += ',';
    AppendCsvField(line, fields[k]);
  }
  const auto back = SplitCsvLine(line);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, fields);
}

TEST(SplitCsvLine, RefusesAnUnbalancedQuote) {
  EXPECT_FALSE(SplitCsvLine("a,\"b,c"));
  EXPECT_EQ(SplitCsvLine(",")->size(), 2u);
}

TEST(AppendNumber, ReadsBackExactlyAndNanIsAnEmptyCell) {
  std::mt19937_64 gen(7);
  std::uniform_real_distribution<double> exponent(-320.0, 300.0);
  std::vector<double> values = {0.0, -0.0, 1.0, 0.1 + 0.2, 5e-324, std::numeric_limits<double>::max(), 1e16, 100000.0,
                                std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity()};
  for (int k = 0; k < 2000; ++k) values.push_back(std::pow(10.0, exponent(gen)) * (k % 2 ? -1.0 : 1.0));
  for (double x : values) {
    const std::string text = NumberText(x);
    const std::optional<double> back = ParseCsvNumber(text);
    ASSERT_TRUE(back) << text;
    EXPECT_EQ(std::signbit(*back), std::signbit(x)) << text;
    EXPECT_EQ(*back, x) << text;
  }
  EXPECT_EQ(NumberText(std::nan("")), "");
  EXPECT_TRUE(std::isnan(*ParseCsvNumber("")));
  EXPECT_TRUE(std::isnan(*ParseCsvNumber("nan")));
  // The same text fmt's "{}" gives (the contract's format, unchanged by the faster path).
  EXPECT_EQ(NumberText(1e-05), "1e-05");
  EXPECT_EQ(NumberText(100000.0), "100000");
  EXPECT_EQ(NumberText(0.30000000000000004), "0.30000000000000004");
}

TEST(ParseCsvNumber, RefusesTextThatIsNotANumber) {
  for (const char* text : {"x", "1.5x", "1,5", " 1", "--1"}) EXPECT_FALSE(ParseCsvNumber(text)) << text;
}

}  // namespace
}  // namespace nlhf
