// apps/common/cli.cc: how every tool maps an outcome to its exit code and its `error:` line
// (docs/cli.md, "Exit codes").
#include "cli.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <new>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "nlhf/cancel.h"
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

// A write to standard output whose reader went away, SIGPIPE being ignored (by whoever started the
// tool, or after a stop signal), fails with EPIPE: the environment, exit 2, not an internal error.
TEST(Main, APipeWhoseReaderWentAwayIsAnEnvironmentProblemExit2) {
  const Outcome o = RunMain([]() -> int { throw std::system_error(EPIPE, std::generic_category(), "cannot write"); });
  EXPECT_EQ(o.code, 2);
  EXPECT_EQ(o.err, "error: writing standard output: Broken pipe\n");
  const Outcome other = RunMain([]() -> int { throw std::system_error(EIO, std::generic_category(), "cannot write"); });
  EXPECT_EQ(other.code, 3);
}

// A short report still buffered when the body returns is written by Main, and a failed write of it
// is that error, exit 2: never exit 0 with the report silently lost.
TEST(Main, AReportThatCannotBeWrittenIsAWriteErrorExit2) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        int fds[2];
        if (::pipe(fds) != 0) std::exit(5);
        ::close(fds[0]);  // the reader is gone
        std::signal(SIGPIPE, SIG_IGN);
        if (::dup2(fds[1], STDOUT_FILENO) < 0) std::exit(6);
        std::exit(Main([] {
          std::printf("the report\n");
          return 0;
        }));
      },
      ::testing::ExitedWithCode(2), "error: writing standard output: Broken pipe\n");
}

TEST(Main, RunningOutOfMemoryIsAnEnvironmentProblemExit2) {
  const Outcome o = RunMain([]() -> int { throw std::bad_alloc(); });
  EXPECT_EQ(o.code, 2);
  EXPECT_EQ(o.err.rfind("error: not enough memory", 0), 0u) << o.err;
}

void (*HandlerOf(int signal))(int) {
  struct sigaction now {};
  sigaction(signal, nullptr, &now);
  return now.sa_handler;
}

// While a StopOnSignals lives, SIGINT and SIGTERM set its flag instead of ending the process (the
// same signal again at once is the same request); afterwards the handlers are those from before.
TEST(StopOnSignals, ASignalSetsTheFlagInsteadOfEndingTheProcess) {
  for (const int signal : {SIGINT, SIGTERM, SIGHUP}) {
    const auto before = HandlerOf(signal);
    {
      testing::internal::CaptureStderr();  // first: on a terminal the message starts with a newline
      const StopOnSignals stop("t", "doing this", "outcome");
      EXPECT_FALSE(stop.flag()->load());
      std::raise(signal);
      std::raise(signal);
      std::raise(signal == SIGINT ? SIGTERM : SIGINT);  // another one at once: the same request
      const std::string err = testing::internal::GetCapturedStderr();
      EXPECT_TRUE(stop.flag()->load()) << signal;
      EXPECT_EQ(err, "t: stopping: doing this (another signal, a second later, ends it at once)\n");
    }
    EXPECT_EQ(HandlerOf(signal), before) << signal;
  }
  // Once the work is done, a signal says so and leaves the flag clear: nothing polls it, and the
  // caller's last poll (right after WorkDone) must not see it.
  {
    testing::internal::CaptureStderr();
    const StopOnSignals stop("t", "doing this", "outcome");
    stop.WorkDone();
    stop.WorkDone();  // twice changes nothing
    EXPECT_FALSE(stop.flag()->load());
    std::raise(SIGINT);
    EXPECT_EQ(testing::internal::GetCapturedStderr(),
              "t: the work is done: finishing its files first (another signal, a second later, "
              "ends it at once)\n");
    EXPECT_FALSE(stop.flag()->load());
  }
  // A signal at work is still one once the work is done: the poll after WorkDone sees it.
  testing::internal::CaptureStderr();
  const StopOnSignals stop("t", "doing this", "outcome");
  std::raise(SIGINT);
  stop.WorkDone();
  EXPECT_TRUE(stop.flag()->load());
  EXPECT_EQ(testing::internal::GetCapturedStderr(),
            "t: stopping: doing this (another signal, a second later, ends it at once)\n");
}

// From the first stop signal on, SIGPIPE is ignored: `tool 2>&1 | tee log` loses tee to the same
// Ctrl-C, and the next write to the pipe must fail (EPIPE) instead of ending the process before it
// cleans up.
TEST(StopOnSignals, ASignalMakesAWriteToAPipeWithNoReaderFailInsteadOfKill) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        std::signal(SIGPIPE, SIG_DFL);  // as a tool starts (an earlier test of this process ignored it)
        int fds[2];
        if (::pipe(fds) != 0) std::exit(5);
        ::close(fds[0]);  // the reader is gone
        const StopOnSignals stop("t", "doing this", "outcome");
        if (HandlerOf(SIGPIPE) == SIG_IGN) std::exit(6);  // not before a signal
        std::raise(SIGINT);
        const bool failed = ::write(fds[1], "x", 1) < 0 && errno == EPIPE;
        std::exit(failed && HandlerOf(SIGPIPE) == SIG_IGN ? 0 : 7);
      },
      ::testing::ExitedWithCode(0), "");
}

// A second signal a second or more after the first ends the process at once (a tool that does not
// stop soon enough), by that signal.
TEST(StopOnSignals, ASignalASecondLaterEndsTheProcessAtOnce) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        const StopOnSignals stop("t", "doing this", "outcome");
        std::raise(SIGINT);
        std::this_thread::sleep_for(std::chrono::milliseconds(1100));
        std::raise(SIGTERM);
        std::fprintf(stderr, "still here\n");
        std::exit(0);
      },
      ::testing::KilledBySignal(SIGTERM), "stopping: doing this");
}

// A signal ignored when the tool started (nohup, a background job) stays ignored.
TEST(StopOnSignals, LeavesAnIgnoredSignalIgnored) {
  const auto before = std::signal(SIGINT, SIG_IGN);
  {
    const StopOnSignals stop("t", "stopping", "outcome");
    EXPECT_EQ(HandlerOf(SIGINT), SIG_IGN);
    std::raise(SIGINT);
    EXPECT_FALSE(stop.flag()->load());
  }
  std::signal(SIGINT, before);
}

// Work stopped by a signal ends the process by that signal, after one line; Cancelled with no
// signal is a bug.
TEST(Main, WorkStoppedByASignalEndsTheProcessByThatSignal) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(Main([] {
                const StopOnSignals stop("t", "stopping", "run it again");
                std::raise(SIGTERM);
                ThrowIfCancelled(stop.flag());
                return 0;
              }),
              ::testing::KilledBySignal(SIGTERM), "t: interrupted by SIGTERM: run it again\n");
  EXPECT_EXIT(Main([] {
                const StopOnSignals stop("t", "stopping", "run it again");
                std::raise(SIGINT);
                throw Cancelled("3 of 4 tasks are stored in d");
                return 0;
              }),
              ::testing::KilledBySignal(SIGINT),
              "t: interrupted by SIGINT: 3 of 4 tasks are stored in d; run it again");
  // The signal came after the last poll: the work is done.
  EXPECT_EXIT(Main([] {
                const StopOnSignals stop("t", "stopping", "run it again");
                std::raise(SIGINT);
                return 0;
              }),
              ::testing::KilledBySignal(SIGINT), "t: SIGINT came after the work was done\n");
  // An error that ends the work after the signal is reported, and the process still ends by the
  // signal (a script's loop stops).
  EXPECT_EXIT(Main([]() -> int {
                const StopOnSignals stop("t", "stopping", "run it again");
                std::raise(SIGTERM);
                throw InputError("--out", "could not be written");
              }),
              ::testing::KilledBySignal(SIGTERM),
              "error: --out: could not be written\nt: interrupted by SIGTERM after the error above\n");
  const Outcome bug = RunMain([]() -> int { throw Cancelled(); });
  EXPECT_EQ(bug.code, 3);
  EXPECT_EQ(bug.err, "error: internal: the work was cancelled, but no signal came\n");
}

// ParseFlags' InputError for `argv`, or "no error" (and "force" when --force was given).
std::string ParseMessage(const po::options_description& options, std::vector<const char*> argv) {
  po::variables_map vm;
  try {
    ParseFlags(static_cast<int>(argv.size()), const_cast<char**>(argv.data()), options, "t", nullptr, vm);
  } catch (const InputError& e) {
    return e.what();
  }
  return vm.count("force") > 0 ? "force" : "no error";
}

// A misspelled flag gets the closest one, as a misspelled YAML key does; a flag like none gets
// none.
TEST(ParseFlags, AMisspelledFlagGetsADidYouMean) {
  po::options_description options("t");
  int jobs = 1;
  options.add_options()("force", "f")("jobs", po::value(&jobs), "j");
  const auto message = [&](std::vector<const char*> argv) { return ParseMessage(options, argv); };
  EXPECT_EQ(message({"t", "--froce"}),
            "unrecognised option '--froce' (did you mean '--force'?) (see --help)");
  EXPECT_EQ(message({"t", "--jbos", "2"}),
            "unrecognised option '--jbos' (did you mean '--jobs'?) (see --help)");
  EXPECT_EQ(message({"t", "--jbos=2"}),
            "unrecognised option '--jbos=2' (did you mean '--jobs'?) (see --help)");
  EXPECT_EQ(message({"t", "--zzzzzz"}), "unrecognised option '--zzzzzz' (see --help)");
  EXPECT_EQ(message({"t", "--jobs", "2"}), "no error");
}

// A prefix is not taken for the flag (Boost's default would run --f as --force): it is refused, with
// the flag it begins.
TEST(ParseFlags, APrefixOfAFlagIsRefusedNotGuessed) {
  po::options_description options("t");
  int jobs = 1;
  options.add_options()("force", "f")("jobs", po::value(&jobs), "j")("shard", po::value<std::string>(), "s")(
      "shards", po::value<std::string>(), "s");
  const auto message = [&](std::vector<const char*> argv) { return ParseMessage(options, argv); };
  EXPECT_EQ(message({"t", "--f"}), "unrecognised option '--f' (did you mean '--force'?) (see --help)");
  EXPECT_EQ(message({"t", "--forc"}), "unrecognised option '--forc' (did you mean '--force'?) (see --help)");
  EXPECT_EQ(message({"t", "--jo=2"}), "unrecognised option '--jo=2' (did you mean '--jobs'?) (see --help)");
  EXPECT_EQ(message({"t", "--shar", "1/2"}).rfind("unrecognised option '--shar'", 0), 0u);
  EXPECT_EQ(message({"t", "--force"}), "force");
}

// A value the flag's type cannot hold says what it can.
TEST(ParseFlags, AValueOfTheWrongTypeSaysWhatIsExpected) {
  po::options_description options("t");
  int jobs = 1;
  std::int64_t seed = 0;
  options.add_options()("jobs", po::value(&jobs)->value_name("N"), "parallel workers")(
      "seed", po::value(&seed)->value_name("S"), "run seed");
  const auto message = [&](std::vector<const char*> argv) { return ParseMessage(options, argv); };
  EXPECT_EQ(message({"t", "--jobs", "abc"}),
            "the argument ('abc') for option '--jobs' is invalid, expected a whole number (at most 2147483647) "
            "(--jobs N: parallel workers) (see --help)");
  EXPECT_EQ(message({"t", "--seed=1.5"}),
            "the argument ('1.5') for option '--seed' is invalid, expected a whole number (at most "
            "9223372036854775807) (--seed S: run seed) (see --help)");
}

}  // namespace
}  // namespace nlhf::cli
