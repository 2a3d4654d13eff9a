// The one CSV writer and reader (lib/src/output/csv.cc).
#include "nlhf/output/csv.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace nlhf {
namespace {

TEST(CsvField, QuotesOnlyWhatMustBeQuotedAndSplitUndoesIt) {
  EXPECT_EQ(CsvField("plain"), "plain");
  EXPECT_EQ(CsvField("a,b"), "\"a,b\"");
  EXPECT_EQ(CsvField("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(CsvField("\""), "\"\"\"\"");            // a quote alone
  EXPECT_EQ(CsvField("\"\"a,"), "\"\"\"\"\"a,\"");  // quotes first, two in a row
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

// The reader of many lines reuses its fields' storage: a short line after a long one, a quoted
// field after a plain one, and an empty line each give exactly their own fields.
TEST(SplitCsvLine, IntoReusedStorageGivesEachLineItsOwnFields) {
  std::vector<std::string> fields;
  ASSERT_TRUE(SplitCsvLine("a,bb,ccc,dddd", fields));
  EXPECT_EQ(fields, (std::vector<std::string>{"a", "bb", "ccc", "dddd"}));
  ASSERT_TRUE(SplitCsvLine("x,\"y,\"\"z\"", fields));
  EXPECT_EQ(fields, (std::vector<std::string>{"x", "y,\"z"}));
  ASSERT_TRUE(SplitCsvLine("", fields));
  EXPECT_EQ(fields, (std::vector<std::string>{""}));
  ASSERT_TRUE(SplitCsvLine(",", fields));
  EXPECT_EQ(fields, (std::vector<std::string>{"", ""}));
  EXPECT_FALSE(SplitCsvLine("a,\"b", fields));
}

// The reader against its definition, a character at a time (a quote anywhere toggles quoting; ""
// inside quotes is a quote; a comma outside quotes ends a field), on random lines of commas,
// quotes, letters and spaces, into storage reused from line to line.
TEST(SplitCsvLine, IsTheCharacterAtATimeDefinition) {
  auto definition = [](std::string_view line, std::vector<std::string>& out) {
    out.assign(1, "");
    bool quoted = false;
    for (size_t i = 0; i < line.size(); ++i) {
      const char c = line[i];
      if (quoted) {
        if (c != '"') {
          out.back() += c;
        } else if (i + 1 < line.size() && line[i + 1] == '"') {
          out.back() += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else if (c == '"') {
        quoted = true;
      } else if (c == ',') {
        out.emplace_back();
      } else {
        out.back() += c;
      }
    }
    return !quoted;
  };
  std::mt19937_64 gen(3);
  const std::string alphabet = "ab ,\"";
  std::vector<std::string> fields, want;
  std::vector<std::string_view> views;  // the view version, into the line and its scratch
  std::string scratch;
  for (int k = 0; k < 50000; ++k) {
    std::string line(gen() % 12, 'a');
    for (char& c : line) c = alphabet[gen() % alphabet.size()];
    const bool ok = definition(line, want);
    ASSERT_EQ(SplitCsvLine(line, fields), ok) << line;
    ASSERT_EQ(SplitCsvLine(line, views, scratch), ok) << line;
    if (ok) {
      ASSERT_EQ(fields, want) << line;
      ASSERT_EQ(std::vector<std::string>(views.begin(), views.end()), want) << line;
    }
  }
}

// The view version points into the line where it can: no copy for plain and simply quoted fields.
TEST(SplitCsvLine, ViewsPointIntoTheLineWhereTheyCan) {
  const std::string line = "a,\"b,c\",\"d\"\"e\",f\"g\",";
  std::vector<std::string_view> views;
  std::string scratch;
  ASSERT_TRUE(SplitCsvLine(line, views, scratch));
  ASSERT_EQ(views.size(), 5u);
  EXPECT_EQ(views[0], "a");
  EXPECT_EQ(views[1], "b,c");
  EXPECT_EQ(views[2], "d\"e");
  EXPECT_EQ(views[3], "fg");
  EXPECT_EQ(views[4], "");
  for (size_t k : {0u, 1u}) EXPECT_TRUE(views[k].data() >= line.data() && views[k].data() < line.data() + line.size());
  for (size_t k : {2u, 3u}) EXPECT_TRUE(views[k].data() >= scratch.data() && views[k].data() < scratch.data() + scratch.size());
  EXPECT_FALSE(SplitCsvLine("a,\"b", views, scratch));
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

// AppendNumber places Dragonbox's digits itself; its text must be fmt's "{}" text for every double.
// Against fmt on random bit patterns (every exponent, subnormals included), every power of ten and
// its neighbours (where the notation switches and the digit count changes), and integers.
TEST(AppendNumber, IsFmtsTextForEveryKindOfDouble) {
  std::vector<double> values = {0.0, -0.0, 5e-324, -5e-324, std::numeric_limits<double>::max(),
                                std::numeric_limits<double>::min(), std::numeric_limits<double>::infinity(),
                                -std::numeric_limits<double>::infinity(), 9007199254740993.0, 1e-4, 1e-5,
                                9.9999999999999995e15, 1e16, 123456789012345678.0};
  std::mt19937_64 gen(11);
  for (int k = 0; k < 200000; ++k) {
    const std::uint64_t bits = gen();
    double x;
    std::memcpy(&x, &bits, sizeof x);
    if (!std::isnan(x)) values.push_back(x);
  }
  for (int e = -325; e <= 308; ++e) {
    const double p = std::pow(10.0, e);
    for (double x : {p, std::nextafter(p, 0.0), std::nextafter(p, 2 * p), 3 * p, -p}) values.push_back(x);
  }
  for (std::int64_t i = -1000; i <= 100000; i += 7) values.push_back(static_cast<double>(i));
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (int k = 0; k < 20000; ++k) values.push_back(unit(gen));  // the metrics' usual range
  for (double x : values) ASSERT_EQ(NumberText(x), fmt::format("{}", x)) << fmt::format("{:a}", x);
}

TEST(ParseCsvNumber, RefusesTextThatIsNotANumber) {
  for (const char* text : {"x", "1.5x", "1,5", " 1", "--1", "+1", "1e400", "0x1p3", "1 "})
    EXPECT_FALSE(ParseCsvNumber(text)) << text;
  EXPECT_EQ(*ParseCsvNumber("-inf"), -std::numeric_limits<double>::infinity());
  EXPECT_EQ(*ParseCsvNumber("4.9406564584124654e-324"), 5e-324);  // subnormal: read, not refused
}

}  // namespace
}  // namespace nlhf
