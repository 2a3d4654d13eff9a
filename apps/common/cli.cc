#include "cli.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <limits>
#include <new>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <vector>

#include "nlhf/cancel.h"
#include "nlhf/config.h"
#include "nlhf/errors.h"
#include "nlhf/listing.h"
#include "nlhf/output/files.h"
#include "nlhf/params.h"
#include "nlhf/processor.h"
#include "nlhf/version.h"

namespace nlhf::cli {

namespace {

// What a typed flag's value may be, for a value Boost could not convert: empty for another type.
template <class T>
std::string ExpectedIf(const po::value_semantic* semantic) {
  if (dynamic_cast<const po::typed_value<T>*>(semantic) == nullptr) return "";
  if constexpr (std::is_floating_point_v<T>) return "a number";
  else return fmt::format("a whole number (at most {})", std::numeric_limits<T>::max());
}

std::string ExpectedFlagValue(const po::option_description& option) {
  const po::value_semantic* semantic = option.semantic().get();
  for (const std::string& text : {ExpectedIf<int>(semantic), ExpectedIf<std::int64_t>(semantic),
                                  ExpectedIf<std::uint64_t>(semantic), ExpectedIf<double>(semantic)})
    if (!text.empty()) return text + fmt::format(" (--{} {}: {})", option.long_name(), semantic->name(), option.description());
  return "";
}

}  // namespace

bool ParseFlags(int argc, char** argv, const po::options_description& options, std::string_view program,
                std::string* positional, po::variables_map& vm) {
  po::options_description all;
  all.add(options);
  po::positional_options_description positionals;
  if (positional != nullptr) {
    all.add_options()("positional-file", po::value(positional));
    positionals.add("positional-file", 1);
  }
  try {
    // No guessing: Boost would take an unambiguous prefix for the flag (--f for --force), so a typo
    // could replace a directory. A prefix is an unknown flag, answered with the closest one.
    const int style = po::command_line_style::default_style & ~po::command_line_style::allow_guessing;
    po::store(po::command_line_parser(argc, argv).options(all).positional(positionals).style(style).run(), vm);
    po::notify(vm);
  } catch (const po::unknown_option& e) {
    // A misspelled flag: the closest one, as for misspelled YAML keys.
    std::string name = e.get_option_name();
    name.erase(0, name.find_first_not_of('-'));
    name = name.substr(0, name.find('='));  // --jbos=2
    std::vector<std::string> known;
    for (const auto& option : options.options())
      if (!option->long_name().empty()) known.push_back(option->long_name());
    // A prefix of exactly one flag (--forc) is that flag; otherwise the closest by spelling.
    std::vector<std::string> extending;
    for (const std::string& k : known)
      if (k.size() > name.size() && k.compare(0, name.size(), name) == 0) extending.push_back(k);
    const std::string guess = extending.size() == 1 ? extending.front() : DidYouMean(name, known);
    throw InputError(
        fmt::format("{}{} (see --help)", e.what(),
                    guess.empty() ? "" : fmt::format(" (did you mean '--{}'?)", guess)));
  } catch (const po::invalid_option_value& e) {
    // "the argument ('abc') for option '--jobs' is invalid": and what is.
    std::string name = e.get_option_name();
    name.erase(0, name.find_first_not_of('-'));
    const po::option_description* option = all.find_nothrow(name, false);
    const std::string expected = option != nullptr ? ExpectedFlagValue(*option) : "";
    throw InputError(fmt::format("{}{} (see --help)", e.what(), expected.empty() ? "" : ", expected " + expected));
  } catch (const po::error& e) {
    throw InputError(fmt::format("{} (see --help)", e.what()));
  }
  if (vm.count("help")) {
    std::ostringstream text;
    text << options << "\n";
    WriteStdout(text.str());
    return true;
  }
  if (vm.count("version")) {
    fmt::print("{} {} ({})\n", program, kVersion, kGitCommit);
    return true;
  }
  if (vm.count("list")) {
    // Printed and done: a file given with it would be silently ignored.
    if (positional != nullptr && !positional->empty())
      throw InputError("--list", fmt::format("reads no file, expected {} --list games|references|solvers|metrics "
                                             "without {}",
                                             program, *positional));
    std::ostringstream text;
    PrintListing(vm["list"].as<std::string>(), text);
    WriteStdout(text.str());
    return true;
  }
  // An empty value is a mistake, never a request for the default (`--out "$OUT"` with OUT unset
  // would otherwise write to the default directory, which --force then replaces).
  for (const auto& [name, value] : vm) {
    const po::option_description* option = all.find_nothrow(name, false);
    if (name == "positional-file" || value.defaulted() || option == nullptr ||
        option->semantic()->max_tokens() == 0)
      continue;  // a switch (--quiet) holds an empty string
    const auto* one = boost::any_cast<std::string>(&value.value());
    const auto* many = boost::any_cast<std::vector<std::string>>(&value.value());
    const auto empty = [](const std::string& v) { return v.empty(); };
    if ((one != nullptr && one->empty()) || (many != nullptr && std::any_of(many->begin(), many->end(), empty)))
      throw InputError("--" + name, "is empty, expected a value");
  }
  return false;
}

namespace {

// Written by the signal handler: only lock-free atomics (and write(2), clock_gettime) are safe
// there.
static_assert(std::atomic<bool>::is_always_lock_free && std::atomic<int>::is_always_lock_free &&
              std::atomic<std::int64_t>::is_always_lock_free);
std::atomic<bool> g_stop{false};
std::atomic<int> g_signal{0};              // the first stop signal, 0 before
std::atomic<std::int64_t> g_signal_ns{0};  // when it came (CLOCK_MONOTONIC, > 0), 0 before
// 0: at work; 1: the work is done (WorkDone); 2: a signal came at work. The handler and WorkDone
// switch it from 0 by compare-and-swap, so exactly one of them decides what a signal means.
std::atomic<int> g_phase{0};
// What the handler writes on the first signal, by phase: "\nPROGRAM: stopping: ...\n".
char g_message[2][320] = {};
std::size_t g_message_size[2] = {0, 0};
std::string g_program;  // for Main's last line
std::string g_outcome;  // StopOnSignals' `outcome`

constexpr std::int64_t kSameRequestNs = 1'000'000'000;
constexpr int kStopSignals[3] = {SIGINT, SIGTERM, SIGHUP};
struct sigaction g_previous[3];
bool g_installed[3] = {false, false, false};

std::int64_t MonotonicNs() {
  timespec t{};
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<std::int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec + 1;  // > 0
}

void OnStopSignal(int signal) {
  const std::int64_t now = MonotonicNs();
  std::int64_t first = 0;
  // The first signal claims its time and the signal together (another one, on another thread,
  // sees the time at once).
  if (g_signal_ns.compare_exchange_strong(first, now)) {
    g_signal.store(signal);
    int at_work = 0;
    const bool stop = g_phase.compare_exchange_strong(at_work, 2);
    if (stop) g_stop.store(true);  // after the work is done, nothing polls it: the files are finished
    // From now on a write to a pipe whose reader is gone fails with EPIPE instead of killing the
    // process before it cleans up (`tool 2>&1 | tee log`: Ctrl-C ends tee too).
    std::signal(SIGPIPE, SIG_IGN);
    [[maybe_unused]] const ssize_t written =
        ::write(STDERR_FILENO, g_message[stop ? 0 : 1], g_message_size[stop ? 0 : 1]);
    return;
  }
  if (now - first < kSameRequestNs) return;  // the same request, delivered twice
  std::signal(signal, SIG_DFL);
  std::raise(signal);
}

const char* SignalName(int signal) {
  switch (signal) {
    case SIGINT:
      return "SIGINT";
    case SIGTERM:
      return "SIGTERM";
    case SIGHUP:
      return "SIGHUP";
    default:
      return "a signal";
  }
}

// Ends the process by the signal that stopped the work (its default action); returns only if that
// did not end it.
int EndBySignal(int signal) {
  std::cerr << std::flush;
  std::signal(signal, SIG_DFL);
  std::raise(signal);
  return 128 + signal;
}

void SetMessage(int phase, const std::string& text) {
  g_message_size[phase] = std::min(text.size(), sizeof g_message[phase]);
  std::copy_n(text.data(), g_message_size[phase], g_message[phase]);
}

}  // namespace

std::chrono::milliseconds ProgressIntervalFromEnv() {
  const char* text = std::getenv("NLHF_PROGRESS_INTERVAL_S");
  if (text == nullptr || *text == '\0') return std::chrono::milliseconds(10000);
  char* end = nullptr;
  const double s = std::strtod(text, &end);
  // Set but not a usable interval: refused, as a YAML value would be, not silently ignored.
  if (!(end != text && *end == '\0' && s > 0.0 && s < 1e6))
    throw InputError("NLHF_PROGRESS_INTERVAL_S",
                     fmt::format("'{}' is not allowed, expected a number of seconds > 0 and < 1e6 (or the variable "
                                 "unset: 10 s)",
                                 text));
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::ceil(s * 1000.0)));
}

StopOnSignals::StopOnSignals(std::string_view program, std::string_view stopping,
                             std::string_view outcome) {
  g_program = program;
  g_outcome = outcome;
  constexpr const char* kAgain = "(another signal, a second later, ends it at once)";
  // On a terminal, below the progress line being drawn.
  const char* start = ::isatty(STDERR_FILENO) ? "\n" : "";
  SetMessage(0, fmt::format("{}{}: stopping: {} {}\n", start, program, stopping, kAgain));
  SetMessage(1, fmt::format("{}{}: the work is done: finishing its files first {}\n", start,
                            program, kAgain));
  g_phase.store(0);
  g_stop.store(false);
  g_signal.store(0);
  g_signal_ns.store(0);
  struct sigaction action {};
  action.sa_handler = OnStopSignal;
  sigemptyset(&action.sa_mask);
  for (const int signal : kStopSignals) sigaddset(&action.sa_mask, signal);  // never nested
  action.sa_flags = SA_RESTART;  // a write in progress goes on instead of failing with EINTR
  for (int k = 0; k < 3; ++k) {
    struct sigaction current {};
    // A signal ignored by whoever started the tool (nohup, a background job) stays ignored.
    if (sigaction(kStopSignals[k], nullptr, &current) != 0 || current.sa_handler == SIG_IGN)
      continue;
    g_installed[k] = sigaction(kStopSignals[k], &action, &g_previous[k]) == 0;
  }
}

StopOnSignals::~StopOnSignals() {
  for (int k = 0; k < 3; ++k)
    if (g_installed[k]) sigaction(kStopSignals[k], &g_previous[k], nullptr), g_installed[k] = false;
}

void StopOnSignals::WorkDone() const {
  int at_work = 0;
  // A signal came at work: the caller's next poll must see it (the handler may still be setting it
  // on another thread).
  if (!g_phase.compare_exchange_strong(at_work, 1) && at_work == 2) g_stop.store(true);
}

const std::atomic<bool>* StopOnSignals::flag() const { return &g_stop; }

std::string OutputDirectoryText(std::string_view out_key, const std::string& dir, bool named) {
  if (out_key != "name") return fmt::format("the output directory {}", dir);
  return named ? fmt::format("its output directory {} (runs/<name>)", dir)
               : fmt::format("its output directory {} (runs/<name>, with no name: the file's stem)", dir);
}

void WriteStdout(std::string_view text) {
  std::cout.flush();  // (synced with stdio: nothing of its own held, but order is kept either way)
  errno = 0;
  if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() || std::fflush(stdout) != 0)
    throw WriteError("standard output", errno != 0 ? errno : EIO);
}

int Main(const std::function<int()>& body) {
  // A build for SSE4.1 on a processor without it: refused before any work, never an illegal
  // instruction.
  if (const std::string missing = MissingProcessorFeatures(); !missing.empty()) {
    std::cerr << "error: " << missing << "\n";
    return 2;
  }
  // A file size limit (ulimit -f) then fails the write with EFBIG, reported like a full disk,
  // instead of killing the process.
  std::signal(SIGXFSZ, SIG_IGN);
  g_signal.store(0);  // a signal before is not this work's (tests call Main more than once)
  g_signal_ns.store(0);
  // How the work ended, for a stop signal that came: it returned (0, or 1 for a numerical
  // failure), the signal stopped it (Cancelled, reported), or an error did (reported).
  enum class Ended { kReturned, kInterrupted, kFailed } ended = Ended::kFailed;
  const int code = [&] {
    try {
      const int c = body();
      // The report's end may still be buffered: a failed write of it (a full disk, or its reader
      // gone while SIGPIPE is ignored) is an error like any failed write, never a silent loss.
      errno = 0;
      // std::cout shares stdout's buffer: this flushes it, and sets errno on failure.
      std::cout.flush();
      if (std::fflush(stdout) != 0 || !std::cout || std::ferror(stdout))
        throw WriteError("standard output", errno != 0 ? errno : EIO);
      ended = Ended::kReturned;
      return c;
    } catch (const Cancelled& e) {
      const int signal = g_signal.load();
      if (signal == 0) {  // only a signal sets the flag: a bug
        std::cerr << "error: internal: the work was cancelled, but no signal came\n";
        return 3;
      }
      const std::string what = e.what();
      std::vector<std::string> parts;
      if (what != Cancelled().what()) parts.push_back(EscapeControl(what));
      if (!g_outcome.empty()) parts.push_back(g_outcome);
      std::cerr << fmt::format("{}: interrupted by {}{}{}\n", g_program, SignalName(signal),
                               parts.empty() ? "" : ": ", fmt::join(parts, "; "));
      ended = Ended::kInterrupted;
      return 0;  // the process ends by the signal, below
    } catch (const InputErrors& e) {
      for (const InputError& one : e.errors()) std::cerr << "error: " << EscapeControl(one.what()) << "\n";
      return 2;
    } catch (const InputError& e) {
      std::cerr << "error: " << EscapeControl(e.what()) << "\n";
      return 2;
    } catch (const std::bad_alloc&) {
      // An unusable environment, not a bug: exit 2 like other environment problems (docs/cli.md).
      std::cerr << "error: not enough memory (an allocation failed), expected a smaller problem or more "
                   "memory (check ulimit -v)\n";
      return 2;
    } catch (const std::filesystem::filesystem_error& e) {
      // The environment (a path, permissions, a full disk), not a bug.
      std::cerr << "error: " << EscapeControl(e.path1().string()) << ": " << e.code().message() << "\n";
      return 2;
    } catch (const std::system_error& e) {
      if (e.code() == std::errc::broken_pipe ||
          (std::string_view(e.what()).starts_with("cannot write to file") && std::ferror(stdout) != 0)) {
        // A write to standard output that failed (fmt::print's exception, and stdout's error flag
        // set): its reader went away while SIGPIPE was ignored (by whoever started the tool, or
        // after a stop signal), or a full disk (ENOSPC) or device: the environment, not a bug.
        std::cerr << "error: writing standard output: " << e.code().message() << "\n";
        return 2;
      }
      std::cerr << "error: internal: " << EscapeControl(e.what()) << "\n";
      return 3;
    } catch (const std::exception& e) {
      // A bug in nlhf (an InternalError from a failed check, or any other exception nothing expected).
      std::cerr << "error: internal: " << EscapeControl(e.what()) << "\n";
      return 3;
    } catch (...) {
      // Not a std::exception (nlhf throws none, but a dependency might): still a bug, never an abort.
      std::cerr << "error: internal: an exception of unknown type\n";
      return 3;
    }
  }();
  const int signal = g_signal.load();
  if (signal == 0) return code;
  // A stop signal came: whatever else happened (reported above), the process ends by it, so that a
  // script's loop stops.
  if (ended == Ended::kReturned) {  // after the work's last poll: its report above says how it went
    std::cerr << fmt::format("{}: {} came after the work was done\n", g_program, SignalName(signal));
  } else if (ended == Ended::kFailed) {  // an error, reported above, ended the work first
    std::cerr << fmt::format("{}: interrupted by {} after the error above\n", g_program, SignalName(signal));
  }
  return EndBySignal(signal);
}

}  // namespace nlhf::cli
