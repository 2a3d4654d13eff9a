#include "cli.h"

#include <fmt/format.h>

#include <iostream>

#include "nlhf/config.h"
#include "nlhf/errors.h"
#include "nlhf/listing.h"
#include "nlhf/version.h"

namespace nlhf::cli {

bool ParseFlags(int argc, char** argv, const po::options_description& visible, const po::options_description& all,
                const po::positional_options_description& positional, std::string_view program, po::variables_map& vm) {
  try {
    po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw InputError(fmt::format("{} (see --help)", e.what()));
  }
  if (vm.count("help")) {
    std::cout << visible << "\n";
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
  return false;
}

int Main(const std::function<int()>& body) {
  try {
    return body();
  } catch (const InputErrors& e) {
    for (const InputError& one : e.errors()) std::cerr << "error: " << one.what() << "\n";
    return 2;
  } catch (const InputError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "error: internal: " << e.what() << "\n";
    return 3;
  }
}

}  // namespace nlhf::cli
