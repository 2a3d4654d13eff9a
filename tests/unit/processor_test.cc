// Tests of lib/src/processor.cc.
#include "nlhf/processor.h"

#include <gtest/gtest.h>

namespace nlhf {
namespace {

// The suite runs on a processor that has what its build uses (it could not run otherwise), so the
// tools' and the module's check lets them start.
TEST(MissingProcessorFeatures, NoneWhereTheBuildRuns) { EXPECT_EQ(MissingProcessorFeatures(), ""); }

}  // namespace
}  // namespace nlhf
