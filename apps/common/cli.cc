#include "cli.h"

#include <fmt/format.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <iostream>
#include <new>

#include "nlhf/config.h"
#include "nlhf/errors.h"
#include "nlhf/listing.h"
#include "nlhf/version.h"

namespace nlhf::cli {

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
    po::store(po::command_line_parser(argc, argv).options(all).positional(positionals).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw InputError(fmt::format("{} (see --help)", e.what()));
  }
  if (vm.count("help")) {
    std::cout << options << "\n";
    return true;
  }
  if (vm.count("version")) {
    fmt::print("{} {} ({})\n", program, kVersion, kGitCommit);
    return true;
  }
  if (vm.count("list")) {
    PrintListing(vm["list"].as<std::string>(), std::cout);
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

int Main(const std::function<int()>& body) {
  // A file size limit (ulimit -f) then fails the write with EFBIG, reported like a full disk,
  // instead of killing the process.
  std::signal(SIGXFSZ, SIG_IGN);
  try {
    return body();
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
  } catch (const std::exception& e) {
    // A bug in nlhf (an InternalError from a failed check, or any other exception nothing expected).
    std::cerr << "error: internal: " << EscapeControl(e.what()) << "\n";
    return 3;
  } catch (...) {
    // Not a std::exception (nlhf throws none, but a dependency might): still a bug, never an abort.
    std::cerr << "error: internal: an exception of unknown type\n";
    return 3;
  }
}

}  // namespace nlhf::cli
