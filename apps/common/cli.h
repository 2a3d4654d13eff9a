#pragma once
// What every nlhf command-line tool shares: the standard flags (--help, --version, --list) and the
// mapping of errors to exit codes (bad input or an unusable environment -- a refused output path,
// a lock, a full disk, a filesystem error: one `error:` line per problem, exit 2; anything else:
// an internal error, exit 3). Only main() catches. SIGXFSZ is ignored, so `ulimit -f` fails a write
// with "File too large" instead of killing the process.
#include <boost/program_options.hpp>
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

// Runs `body` and maps its outcome to the process exit code.
int Main(const std::function<int()>& body);

}  // namespace nlhf::cli
