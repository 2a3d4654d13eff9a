#pragma once
// What every nlhf command-line tool shares: the standard flags (--help, --version, --list) and the
// mapping of errors to exit codes (bad input or an unusable environment -- a refused output path,
// a lock, a full disk, a filesystem error: one `error:` line per problem, exit 2; anything else:
// an internal error, exit 3). Only main() catches. SIGXFSZ is ignored, so `ulimit -f` fails a write
// with "File too large" instead of killing the process.
#include <atomic>
#include <boost/program_options.hpp>
#include <chrono>
#include <functional>
#include <string>
#include <string_view>

namespace nlhf::cli {

namespace po = boost::program_options;

// Parses argv against `options`, plus one positional argument (the experiment or sweep file) stored
// in `*positional` when it is not null. Flag errors throw InputError. Returns true when --help,
// --version or --list was given and handled (printing `options` for --help): the caller then exits 0.
bool ParseFlags(int argc, char** argv, const po::options_description& options, std::string_view program,
                std::string* positional, po::variables_map& vm);

// While it lives, SIGINT (Ctrl-C), SIGTERM and SIGHUP no longer end the process: the first one sets
// flag(), which the library polls (nlhf/cancel.h), and prints "PROGRAM: stopping: STOPPING (...)"
// on stderr, so that the tool stops cleanly (nlhf-run writes nothing, nlhf-sweep stores its
// finished tasks, and neither leaves its lock file). Another one within a second is taken as the
// same request (a terminal's Ctrl-C reaches a driver script and the tool it runs, and the driver
// passes it on); one a second or more later ends the process at once. A signal the tool was started
// with ignored stays ignored. From the first signal on SIGPIPE is ignored too (a pipe's reader,
// `| tee`, gets the same Ctrl-C). Main() then ends the process by that signal, after one line
// "PROGRAM: interrupted by SIGINT: ...", which ends with OUTCOME.
class StopOnSignals {
 public:
  StopOnSignals(std::string_view program, std::string_view stopping, std::string_view outcome);
  ~StopOnSignals();
  StopOnSignals(const StopOnSignals&) = delete;
  StopOnSignals& operator=(const StopOnSignals&) = delete;

  // The work is done and no longer polls: a signal from now on says the files are being finished
  // and leaves flag() clear. A signal that came before sets flag() by the time this returns, so the
  // caller's poll right after it sees that one (exactly one of the two messages is printed).
  void WorkDone() const;
  const std::atomic<bool>* flag() const;
};

// How a refusal names an output directory whose path the experiment or sweep file gave (out_key
// "output" or "name", not --out): "the output directory DIR" (output:), "its output directory DIR
// (runs/<name>)" (name:), or "... (runs/<name>, with no name: the file's stem)" when `named` is false.
std::string OutputDirectoryText(std::string_view out_key, const std::string& dir, bool named);

// The interval between plain progress lines (in a pipe or a log file): 10 s, or the environment
// variable NLHF_PROGRESS_INTERVAL_S (seconds, > 0 and < 1e6; set but empty, as unset). Any other
// value is an InputError: called before any work, also with --quiet.
std::chrono::milliseconds ProgressIntervalFromEnv();

// Writes `text` to standard output and flushes it: WriteError("standard output", errno) if it
// cannot (a full disk: ENOSPC), reported at the write that failed. (Text written through
// std::cout in pieces loses the failed write's errno by the time Main checks the stream.)
void WriteStdout(std::string_view text);

// Runs `body` and maps its outcome to the process exit code. Work that stopped after SIGINT,
// SIGTERM or SIGHUP (StopOnSignals; the library threw Cancelled) ends by that signal, so that the
// shell sees 130, 143 or 129 and a script's loop stops: after `interrupted by SIGINT: WHAT`, WHAT
// being Cancelled's what() (nlhf-sweep: how many tasks are stored), or, when the signal came after
// the work was done (WorkDone, or no poll saw it), after a line saying so. An error that ends the
// work after a signal is reported, and the process still ends by the signal. Standard output is
// flushed after `body` returns: a report that cannot be written (a full disk, or its reader gone
// while SIGPIPE is ignored: EPIPE) is a write error, exit 2, like any failed write.
int Main(const std::function<int()>& body);

}  // namespace nlhf::cli
