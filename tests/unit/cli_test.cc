// apps/common/cli.cc: how every tool maps an outcome to its exit code and its `error:` line
// (docs/cli.md, "Exit codes").
#include "cli.h"

#include <gtest/gtest.h>

#include <functional>
#include <new>
#include <stdexcept>
#include <string>

#include "nlhf/errors.h"

namespace nlhf::cli {
namespace {

struct Outcome {
  int code;
  std::string err;
};

Outcome RunMain(const std::function<int()>& body) {
  testing::internal::CaptureStderr();
  const int code = Main(body);
  return {code, testing::internal::GetCapturedStderr()};
}

TEST(Main, ReturnsTheBodysCode) {
  EXPECT_EQ(RunMain([] { return 0; }).code, 0);
  EXPECT_EQ(RunMain([] { return 1; }).code, 1);
}

TEST(Main, BadInputIsOneErrorLineAndExit2) {
  const Outcome o = RunMain([]() -> int { throw InputError("--jobs", "0 is not allowed, expected >= 1"); });
  EXPECT_EQ(o.code, 2);
  EXPECT_EQ(o.err, "error: --jobs: 0 is not allowed, expected >= 1\n");
}

TEST(Main, AnInternalErrorIsErrorInternalAndExit3) {
  const Outcome o = RunMain([]() -> int { throw InternalError("task 0 was written but cannot be read back"); });
  EXPECT_EQ(o.code, 3);
  EXPECT_EQ(o.err, "error: internal: task 0 was written but cannot be read back\n");
}

TEST(Main, AFailedCheckIsAnInternalErrorNotAnAbort) {
  const Outcome o = RunMain([]() -> int {
    volatile int one = 1;  // not a constant the compiler could fold
    NLHF_CHECK(one + one == 3, "a test of the check");
    return 0;
  });
  EXPECT_EQ(o.code, 3);
  EXPECT_EQ(o.err.rfind("error: internal: ", 0), 0u) << o.err;
}

TEST(Main, AnExceptionOfUnknownTypeIsAnInternalErrorNotAnAbort) {
  const Outcome o = RunMain([]() -> int { throw 42; });
  EXPECT_EQ(o.code, 3);
  EXPECT_EQ(o.err, "error: internal: an exception of unknown type\n");
}

TEST(Main, RunningOutOfMemoryIsAnEnvironmentProblemExit2) {
  const Outcome o = RunMain([]() -> int { throw std::bad_alloc(); });
  EXPECT_EQ(o.code, 2);
  EXPECT_EQ(o.err.rfind("error: not enough memory", 0), 0u) << o.err;
}

}  // namespace
}  // namespace nlhf::cli
