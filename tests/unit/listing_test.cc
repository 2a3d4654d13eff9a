#include "nlhf/listing.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "nlhf/errors.h"
#include "nlhf/generators.h"
#include "nlhf/metrics.h"
#include "nlhf/solver.h"
#include "test_util.h"

namespace nlhf {
namespace {

std::string Listing(std::string_view what) {
  std::ostringstream out;
  PrintListing(what, out);
  return out.str();
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Every entry of a registry, at the start of a line, followed by its doc and one line per
// parameter (name, type, default, doc, allowed values), the defaults in one column.
template <class Registry>
void ExpectEveryEntry(const Registry& registry, std::string_view what) {
  const std::vector<std::string> lines = Lines(Listing(what));
  std::set<size_t> default_columns;
  for (const auto& e : registry.entries()) {
    const auto at = std::find(lines.begin(), lines.end(), e.name);
    ASSERT_NE(at, lines.end()) << what << ": no line for " << e.name;
    ASSERT_LT(at + 1 + e.params.size(), lines.end());
    EXPECT_EQ(*(at + 1), "    " + e.doc) << e.name;
    for (size_t k = 0; k < e.params.size(); ++k) {
      const ParamSpec& p = e.params[k];
      const std::string& line = *(at + 2 + k);
      EXPECT_EQ(line.rfind("    " + p.name + " ", 0), 0u) << e.name << ": " << line;
      EXPECT_NE(line.find(std::string(ParamTypeName(p.type))), std::string::npos) << line;
      EXPECT_NE(line.find(p.doc + "; allowed: " + p.AllowedText()), std::string::npos) << line;
      const size_t d = line.find("  default " + p.DefaultText());
      ASSERT_NE(d, std::string::npos) << line;
      default_columns.insert(d);
    }
  }
  EXPECT_LE(default_columns.size(), 1u) << what << ": the defaults are not in one column";
}

TEST(PrintListing, GamesReferencesAndSolversListEveryEntryAndParameter) {
  ExpectEveryEntry(GameRegistry(), "games");
  ExpectEveryEntry(ReferenceRegistry(), "references");
  ExpectEveryEntry(SolverRegistry(), "solvers");
  EXPECT_NE(Listing("games").find("Every game also takes storage"), std::string::npos);
  EXPECT_NE(Listing("solvers").find("Every solver entry also takes oracle"), std::string::npos);
}

TEST(PrintListing, MetricsListEveryMetricAndWhatItNeeds) {
  const std::vector<std::string> lines = Lines(Listing("metrics"));
  ASSERT_GE(lines.size(), MetricTable().size());
  for (size_t k = 0; k < MetricTable().size(); ++k) {
    const MetricInfo& m = MetricTable()[k];
    EXPECT_EQ(lines[k].rfind(std::string(m.name) + " ", 0), 0u) << lines[k];
    EXPECT_NE(lines[k].find(m.doc), std::string::npos) << lines[k];
    EXPECT_EQ(lines[k].find("[needs pi*]") != std::string::npos, m.needs_star) << lines[k];
  }
}

TEST(PrintListing, RefusesAnUnknownListingNamingTheChoices) {
  testing::ExpectInputError([] { Listing("game"); },
                            {"--list", "'game' is not a listing (did you mean 'games'?), expected games, references, solvers or metrics"});
}

}  // namespace
}  // namespace nlhf
