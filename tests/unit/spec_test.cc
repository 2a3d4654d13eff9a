#include "nlhf/spec.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace nlhf {
namespace {

using testing::ExpectInputError;

TEST(ParseSpec, ParsesNameOnlyAndArguments) {
  EXPECT_EQ(ParseSpec("uniform").name, "uniform");
  EXPECT_TRUE(ParseSpec("uniform").args.empty());
  const SpecCall c = ParseSpec(" bradley_terry( n=20 , scale=1.5,ratings=[1,2], path=\"a,b.csv\") ");
  EXPECT_EQ(c.name, "bradley_terry");
  ASSERT_EQ(c.args.size(), 4u);
  EXPECT_EQ(c.args[0], (std::pair<std::string, std::string>{"n", "20"}));
  EXPECT_EQ(c.args[1].second, "1.5");
  EXPECT_EQ(c.args[2].second, "[1,2]");
  EXPECT_EQ(c.args[3].second, "a,b.csv");
  EXPECT_TRUE(ParseSpec("cyclic()").args.empty());
}

TEST(ParseSpec, RejectsMalformedSpecsNamingTheColumn) {
  ExpectInputError([] { ParseSpec("rps3(x=0.9"); }, {"rps3(x=0.9", "missing ')'"});
  ExpectInputError([] { ParseSpec("rps3(x)"); }, {"unexpected ')'", "column 7"});
  ExpectInputError([] { ParseSpec("rps3(x=)"); }, {"missing value"});
  ExpectInputError([] { ParseSpec(""); }, {"missing a name"});
  ExpectInputError([] { ParseSpec("rps3(x=1) extra"); }, {"unexpected text after ')'"});
}

TEST(FormatSpec, QuotesStringsThatNeedIt) {
  ParamMap m;
  m.Set("n", std::int64_t{3});
  m.Set("path", std::string("my file,1.csv"));
  const std::string spec = FormatSpec("matrix", m);
  EXPECT_EQ(spec, "matrix(n=3,path=\"my file,1.csv\")");
  EXPECT_EQ(ParseSpec(spec).args[1].second, "my file,1.csv");
  EXPECT_EQ(FormatSpec("uniform", ParamMap{}), "uniform");
}

}  // namespace
}  // namespace nlhf
