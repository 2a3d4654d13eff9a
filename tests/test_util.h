#pragma once
// Helpers shared by the test executables.
#include <gtest/gtest.h>

#include <Eigen/Core>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <fstream>
#include <iterator>
#include <limits>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <unistd.h>

#include "nlhf/equilibrium.h"
#include "nlhf/errors.h"
#include "nlhf/logspace.h"
#include "nlhf/metrics.h"
#include "nlhf/rng.h"
#include "nlhf/solver.h"

namespace nlhf::testing {

// A fresh directory under the system temp dir, removed at destruction.
class TempDir {
 public:
  TempDir() {
    const auto base = std::filesystem::temp_directory_path();
    for (int k = 0;; ++k) {
      path_ = base / ("nlhf_test_" + std::to_string(::getpid()) + "_" + std::to_string(k));
      if (std::filesystem::create_directory(path_)) break;
    }
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string File(const std::string& name, const std::string& contents) const {
    const auto p = path_ / name;
    std::ofstream(p) << contents;
    return p.string();
  }
  std::string Path(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// The [first, end) range that starts a line of /proc/self/maps or smaps ("lo-hi ..."), if it does.
inline std::optional<std::pair<std::uintptr_t, std::uintptr_t>> MappingRange(const std::string& line) {
  std::uintptr_t lo = 0, hi = 0;
  char dash = 0;
  std::istringstream range(line);
  if (range >> std::hex >> lo >> dash >> hi && dash == '-') return std::make_pair(lo, hi);
  return std::nullopt;
}

// The [first, end) of the mapping that holds `address` in /proc/self/maps ({0, 0} if none does).
inline std::pair<std::uintptr_t, std::uintptr_t> MappingAt(const void* address) {
  const auto at = reinterpret_cast<std::uintptr_t>(address);
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    const auto range = MappingRange(line);
    if (range && range->first <= at && at < range->second) return *range;
  }
  return {0, 0};
}

// Whether this system has transparent huge pages for memory advised for them (its mode is
// `always` or `madvise`).
inline bool HugePagesAdvisable() {
  std::ifstream mode("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string text;
  return std::getline(mode, text) && text.find("[never]") == std::string::npos;
}

// The VmFlags line of the mapping that holds `address` in /proc/self/smaps ("" if not found).
inline std::string VmFlagsAt(const void* address) {
  const auto at = reinterpret_cast<std::uintptr_t>(address);
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool inside = false;
  while (std::getline(smaps, line)) {
    if (const auto range = MappingRange(line)) {
      inside = range->first <= at && at < range->second;
    } else if (inside && line.rfind("VmFlags:", 0) == 0) {
      return line;
    }
  }
  return "";
}

// The whole contents of a file ("" if it cannot be read).
inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The whole contents of an open stream, read from its start.
inline std::string ReadStream(std::FILE* f) {
  std::string text;
  char buffer[4096];
  std::rewind(f);
  for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, f)) > 0;) text.append(buffer, n);
  return text;
}

// What `write` writes into a stream (a temporary file).
template <class Fn>
std::string Written(Fn&& write) {
  std::FILE* f = std::tmpfile();
  if (f == nullptr) throw std::runtime_error("no temporary file");
  write(f);
  std::string text = ReadStream(f);
  std::fclose(f);
  return text;
}

// Normalized logits of a random policy: Gaussian logits with the given spread (large spreads
// give nearly pure policies).
inline Eigen::VectorXd RandomLogits(Eigen::Index n, Rng& rng, double spread) {
  Eigen::VectorXd x(n);
  for (Eigen::Index i = 0; i < n; ++i) x[i] = spread * rng.Normal();
  return NormalizeLogits(x);
}

// Asserts that `fn` throws InputError whose message contains every one of `parts`.
template <class Fn>
void ExpectInputError(Fn&& fn, std::initializer_list<std::string> parts) {
  try {
    fn();
    ADD_FAILURE() << "expected an InputError";
  } catch (const InputError& e) {
    const std::string msg = e.what();
    for (const std::string& part : parts)
      EXPECT_NE(msg.find(part), std::string::npos) << "message: " << msg << "\nmissing: " << part;
  }
}

// A solver context on `game` at `beta` with `oracle` drawing from the run seed `seed` (rho unknown).
inline SolverContext SampledContext(const Game& game, double beta, OracleConfig oracle, std::uint64_t seed) {
  SolverContext c{&game, beta, {}, std::nullopt};
  c.oracle = oracle;
  c.seed = seed;
  return c;
}

// `spec` reset on `game` at `beta` with `oracle` (seed `seed`), from `init` (empty: mu), with `rho`.
inline std::unique_ptr<Solver> StartSolver(const std::string& spec, const Game& game, double beta,
                                           const OracleConfig& oracle = {}, std::uint64_t seed = 0,
                                           const Eigen::VectorXd& init = {}, std::optional<double> rho = std::nullopt) {
  auto s = MakeSolver(spec);
  SolverContext c = SampledContext(game, beta, oracle, seed);
  c.init = init;
  c.rho = rho;
  s->Reset(c);
  return s;
}

// The stability limit of `solver` in `s`; fails the test (and returns NaN) when it has none.
inline double LimitOf(const StabilityLimits& s, std::string_view solver) {
  const StepLimit* row = s.Find(solver);
  EXPECT_NE(row, nullptr) << solver << " has no stability limit";
  return row != nullptr ? row->limit : std::numeric_limits<double>::quiet_NaN();
}

// gap_beta of a solver's current iterate.
inline double GapOf(const Game& game, double beta, const Solver& s) {
  return GapBeta(game, beta, Evaluate(game, s.current()));
}

}  // namespace nlhf::testing
