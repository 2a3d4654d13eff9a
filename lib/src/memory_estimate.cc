#include "nlhf/memory_estimate.h"

#include <fmt/format.h>

#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <string>

#include "nlhf/descriptors.h"
#include "nlhf/equilibrium.h"
#include "nlhf/errors.h"
#include "nlhf/game_cache.h"
#include "nlhf/nash_set.h"
#include "nlhf/float32_operator.h"
#include "nlhf/generators.h"
#include "nlhf/input_file.h"
#include "nlhf/nfg.h"
#include "nlhf/params.h"
#include "nlhf/progress.h"

namespace nlhf {

namespace {

// The memory rule. A game being prepared holds P plus, one after the other, its descriptors' work
// and its equilibrium's, EquilibriumWorkBytes: below n = kKrylovFromN the dense path's Jacobian, its
// LU factors and a GMRES basis (1 + about 2.1 n x n matrices of doubles); from n = kKrylovFromN on,
// matrix-free Newton-Krylov's basis of vectors (1 + 0.67 matrices at n = 5000, 1 + 0.034 at n = 10^4).
// The descriptors need O(n) beyond P, except for a game with ties up to kCyclicTriplesMaxN, whose
// cyclic triples take two n x n float matrices (1 matrix of doubles); with `equilibrium: none` that
// is all. A prepared game keeps only P. Peak RSS of nlhf-run (one seed, nash_mp, random_uniform, /usr/bin/time -v, 2026-11-30): at
// beta = 0.01, 1.2, 1.04 and 1.0 x 8 n^2 bytes at n = 2000, 4000, 6000 (Newton without LU there);
// at beta = 1e-3 and 1e-4, 3.3 x 8 n^2 at n = 2000 (P, J and its LU). RunExperiment keeps every
// seed's game and prepares up to `jobs` at once, so its peak is seeds + (preparing - 1) min(jobs,
// seeds) n x n matrices; a sweep worker holds one game (`preparing` each). Trace rows are not held:
// they stream to files (output/trace.h).
// Bytes of Describe's work beyond P: two n x n float matrices when a game with ties may need them.
double DescriptorWorkBytes(Eigen::Index n) {
  return n <= kCyclicTriplesMaxN ? 8.0 * static_cast<double>(n) * static_cast<double>(n) : 0.0;
}
double MatricesWhilePreparing(const ExperimentConfig& config, Eigen::Index n) {
  if (n <= 0) return 1.0;
  const double entries = static_cast<double>(n) * static_cast<double>(n);
  const double equilibrium = std::max(config.SolvesEquilibrium() ? EquilibriumWorkBytes(n, EquilibriumMethod::kAuto) : 0.0,
                                      config.SolvesNash() ? NashWorkBytes(n) : 0.0);
  return 1.0 + std::max(DescriptorWorkBytes(n), equilibrium) / (8.0 * entries);
}
// The largest n in [lo, hi] with fits(n), for a `fits` that is monotone on each side of
// kKrylovFromN (where the estimate drops: pi* stops holding dense matrices); lo - 1 if none.
template <class Fits>
Eigen::Index LargestFitting(Eigen::Index lo, Eigen::Index hi, const Fits& fits) {
  Eigen::Index best = lo - 1;
  const auto search = [&](Eigen::Index a, Eigen::Index b) {  // monotone on [a, b]
    if (a > b || !fits(a)) return;
    while (a < b) {
      const Eigen::Index mid = a + (b - a + 1) / 2;
      if (fits(mid)) {
        a = mid;
      } else {
        b = mid - 1;
      }
    }
    best = std::max(best, a);
  };
  search(lo, std::min(hi, kKrylovFromN - 1));
  search(std::max(lo, kKrylovFromN), hi);
  return best;
}
double DenseMatrices(const ExperimentConfig& config, const ResourcePlan& plan, Eigen::Index n) {
  const double preparing = MatricesWhilePreparing(config, n);
  const auto seeds = static_cast<double>(config.seeds.size());
  const double workers = static_cast<double>(std::max(1, plan.jobs));
  return plan.one_game_per_worker ? preparing * workers : seeds + (preparing - 1.0) * std::min(workers, seeds);
}
// An implicit game (GameTraits::implicit) holds no n x n matrix and none is built for it: no
// descriptors, pi* without the dense Newton (SolveEquilibrium's Nash-MP path reads P only through
// products). Each game held costs its operator's bytes (GameTraits::implicit_bytes: O(n K) or
// O(n)); the rest is vectors of n doubles: each run keeps its results until the end (final policy,
// pi*, and their summary.json text and tree), each busy worker its solver's buffers, the driver's
// metric points and an equilibrium's Nash-MP iterates. Measured peak RSS of nlhf-run on
// low_rank_cyclic(n=10^6, k=1) (16 MB operator), beta = 0.1, in vectors of 8 MB beyond 6 MB and the
// operators: 24 for one run (nash_mp, egpo, prox; 29 for nash_md and mwu), 56.5 for 3 solvers,
// 101 for 6, 70.5 for 4 seeds, 89.5 for 4 seeds with --jobs 2, 223 for 4 seeds x 3 solvers with
// --jobs 2: about 16 per run and 20 per worker. The constants below keep a margin over those.
constexpr double kVectorsPerRun = 20.0;
constexpr double kVectorsPerWorker = 24.0;
// A sweep worker's data file holds up to a 2 MiB block of rows in memory (BlockFile), and its
// TraceWriter one of at most 64 KiB.
constexpr double kSweepWorkerBytes = 2.1 * 1024 * 1024;
constexpr double kBaseBytes = 64.0 * 1024 * 1024;  // code, thread stacks, buffers (a sweep's rows held for
                                                    // their turn: 40 MB at most); with margin
constexpr double kGiB = 1024.0 * 1024 * 1024;

// The program and its buffers: kBaseBytes, and a sweep's per-worker blocks and its kept games.
double BaseBytes(const ResourcePlan& plan) {
  return kBaseBytes +
         (plan.one_game_per_worker ? kSweepWorkerBytes * std::max(1, plan.jobs) + kSweepGameCacheBytes : 0.0);
}

// n of a matrix CSV without reading it whole: the fields of its first line, bounded by the size
// of the file (n lines of n numbers take at least 2 n^2 bytes). nullopt if it cannot be read
// (the reader reports that).
std::optional<Eigen::Index> MatrixFileN(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return std::nullopt;
  const std::uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec || size == 0) return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::int64_t fields = 1;
  char buffer[1 << 16];
  bool line_done = false;
  for (std::int64_t read = 0; !line_done && in && read < (std::int64_t{1} << 28); read += in.gcount()) {
    in.read(buffer, sizeof buffer);
    for (std::streamsize k = 0; k < in.gcount(); ++k) {
      if (buffer[k] == '\n') {
        line_done = true;
        break;
      }
      if (buffer[k] == ',') ++fields;
    }
  }
  const auto bound = static_cast<std::int64_t>(std::sqrt(static_cast<double>(size) / 2.0)) + 1;
  return static_cast<Eigen::Index>(std::min(fields, bound));
}

// A number from a "Key:   123 kB" line of a /proc file, in bytes; nullopt if absent.
std::optional<double> ProcKb(const char* file, const std::string& key) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + ":", 0) != 0) continue;
    try {
      return std::stod(line.substr(key.size() + 1)) * 1024.0;
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  return std::nullopt;
}

std::optional<double> FileNumber(const char* file) {
  std::ifstream in(file);
  std::string text;
  if (!(in >> text) || text == "max") return std::nullopt;
  try {
    return std::stod(text);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace

namespace {

// What a float32 game's memory depends on, besides n.
struct Float32MemoryPlan {
  double games = 0.0;     // held at once
  double building = 0.0;  // being built (or solved) at once
  bool from_matrix = true;  // built from the generator's double matrix (no implicit form)
  double implicit_bytes_per_action = 0.0;  // otherwise: the implicit form's bytes per action
  bool solves_equilibrium = false;
  bool solves_nash = false;
  double vectors = 0.0;  // of n doubles
  double base_bytes = 0.0;  // the program and its buffers (BaseBytes)
};

// A float32 game (float32_operator.h) holds its margins, 4 n^2 bytes, and no n x n double once
// built; its pi* takes EquilibriumWorkBytes (from n = kKrylovFromN on matrix-free, O(n) vectors;
// below, also the dense Jacobian and its LU, 2 n^2 doubles), its rho by Lanczos above n = 64. Building
// it from a dense generator's matrix peaks at that double matrix (the conversion runs in its memory;
// a generator that builds intermediate n x n matrices holds those too, as it does with storage:
// dense); from an implicit form's entries, at the float margins and the implicit operator. The
// rest are vectors of n doubles, counted as for an implicit game. RunExperiment holds every seed's
// game and builds up to `jobs` at once; a sweep worker holds and builds one.
Float32MemoryPlan Float32Plan(const ExperimentConfig& config, const ResourcePlan& plan, const GameRegistryEntry& entry,
                              Eigen::Index n) {
  Float32MemoryPlan p;
  p.base_bytes = BaseBytes(plan);
  const auto seeds = static_cast<double>(config.seeds.size());
  const double workers = static_cast<double>(std::max(1, plan.jobs));
  p.games = plan.one_game_per_worker ? workers : seeds;
  p.building = plan.one_game_per_worker ? workers : std::min(workers, seeds);
  p.from_matrix = !entry.traits.implicit;
  if (entry.traits.implicit && n > 0) {
    std::map<std::string, ParamValue> context;
    context.emplace("seed", static_cast<std::int64_t>(config.seeds.empty() ? 0 : config.seeds.front()));
    p.implicit_bytes_per_action =
        entry.traits.implicit_bytes(ResolveParams(entry.params, config.game.params, context, "game")) /
        static_cast<double>(n);
  }
  p.solves_equilibrium = config.SolvesEquilibrium();
  p.solves_nash = config.SolvesNash();
  const double solvers = std::max(1.0, static_cast<double>(config.solvers.size()));
  const double runs = p.games * solvers;
  p.vectors = kVectorsPerRun * runs + kVectorsPerWorker * std::min(workers, runs);
  return p;
}

void Float32Bytes(const Float32MemoryPlan& p, Eigen::Index n, MemoryEstimate& e) {
  e.operator_bytes = Float32Operator::StoredBytes(n);
  e.games = p.games;
  e.building = p.building;
  e.vectors = p.vectors;
  e.build_bytes = p.from_matrix ? Float32Operator::BuildPeakBytesFromMatrix(n)
                                : e.operator_bytes + p.implicit_bytes_per_action * static_cast<double>(n);
  e.equilibrium_bytes = std::max(p.solves_equilibrium ? EquilibriumWorkBytes(n, EquilibriumMethod::kAuto) : 0.0,
                                 p.solves_nash ? NashWorkBytes(n) : 0.0);
  const double preparing = std::max(e.build_bytes, e.operator_bytes + std::max(e.equilibrium_bytes, DescriptorWorkBytes(n)));
  e.bytes = p.base_bytes + (p.games - p.building) * e.operator_bytes + p.building * preparing +
            p.vectors * 8.0 * static_cast<double>(n);
  e.from_matrix = p.from_matrix;
}

}  // namespace

double AvailableMemoryBytes() {
  double available = ProcKb("/proc/meminfo", "MemAvailable").value_or(std::numeric_limits<double>::infinity());
  rlimit limit{};
  if (::getrlimit(RLIMIT_AS, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY)
    available = std::min(available, static_cast<double>(limit.rlim_cur) - ProcKb("/proc/self/status", "VmSize").value_or(0.0));
  if (::getrlimit(RLIMIT_DATA, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY)
    available = std::min(available, static_cast<double>(limit.rlim_cur) - ProcKb("/proc/self/status", "VmData").value_or(0.0));
  // A cgroup v2 memory limit (containers, SLURM jobs).
  if (const std::optional<double> max = FileNumber("/sys/fs/cgroup/memory.max"))
    available = std::min(available, *max - FileNumber("/sys/fs/cgroup/memory.current").value_or(0.0));
  return std::max(0.0, available);
}

MemoryEstimate EstimateMemory(const ExperimentConfig& config, const ResourcePlan& plan) {
  MemoryEstimate e;
  e.available_bytes = plan.available_bytes ? *plan.available_bytes : AvailableMemoryBytes();
  e.base_bytes = BaseBytes(plan);
  if (const auto* entry = GameRegistry().TryFind(config.game.name)) {
    for (const auto& [name, value] : config.game.params) {
      if (name == "n" && std::holds_alternative<std::int64_t>(value)) {
        e.n = static_cast<Eigen::Index>(std::get<std::int64_t>(value));
        e.n_key = "game.n";
      } else if (name == "path" && std::holds_alternative<std::string>(value)) {
        // A .nfg file names n in its header; a CSV matrix never starts like one.
        const std::string& path = std::get<std::string>(value);
        std::optional<Eigen::Index> n = NfgFileN(path);
        if (!n) n = MatrixFileN(path);
        if (n) {
          e.n = *n;
          e.n_key = "game.path";
        }
      }
    }
    if (e.n_key.empty()) {  // the generator's default n, if it has one
      for (const ParamSpec& spec : entry->params)
        if (spec.name == "n" && spec.default_value && std::holds_alternative<std::int64_t>(*spec.default_value)) {
          e.n = static_cast<Eigen::Index>(std::get<std::int64_t>(*spec.default_value));
          e.n_key = "game.n";
        }
    }
  }
  const auto seeds = static_cast<double>(config.seeds.size());
  const double workers = static_cast<double>(std::max(1, plan.jobs));
  const double n = static_cast<double>(e.n);
  if (const auto* entry = GameRegistry().TryFind(config.game.name);
      entry != nullptr && ResolveStorage(*entry, config.game.storage) == GameStorage::kImplicit) {
    std::map<std::string, ParamValue> context;
    context.emplace("seed", static_cast<std::int64_t>(config.seeds.empty() ? 0 : config.seeds.front()));
    e.implicit = true;
    e.operator_bytes = entry->traits.implicit_bytes(ResolveParams(entry->params, config.game.params, context, "game"));
    // A sweep worker holds one game and its solvers' results at a time; RunExperiment every seed's
    // game and every run's results, with up to `jobs` runs (or equilibria) in progress.
    const double solvers = std::max(1.0, static_cast<double>(config.solvers.size()));
    e.games = plan.one_game_per_worker ? workers : seeds;
    const double runs = e.games * solvers;
    e.vectors = kVectorsPerRun * runs + kVectorsPerWorker * std::min(workers, runs);
    e.bytes = e.base_bytes + e.games * e.operator_bytes + e.vectors * 8.0 * n;
    return e;
  }
  if (const auto* entry = GameRegistry().TryFind(config.game.name);
      entry != nullptr && ResolveStorage(*entry, config.game.storage) == GameStorage::kFloat32) {
    e.float32 = true;
    Float32Bytes(Float32Plan(config, plan, *entry, e.n), e.n, e);
    return e;
  }
  e.matrices = DenseMatrices(config, plan, e.n);
  e.bytes = e.base_bytes + e.matrices * 8.0 * n * n;
  return e;
}


std::string MemorySize(double bytes) {
  return bytes >= kGiB ? fmt::format("{:.1f} GiB", bytes / kGiB) : fmt::format("{:.0f} MiB", bytes / (1024.0 * 1024));
}

std::string MemoryText(const ExperimentConfig& config, const MemoryEstimate& e) {
  const double mib = 1024.0 * 1024;
  const auto size = MemorySize;
  // n is 0 for a game whose size no parameter gives (rps3): it is small, and set by the game.
  const std::string n = e.n > 0 ? fmt::format("n = {}", e.n) : std::string("n set by the game");
  const std::string games = Counted(static_cast<std::int64_t>(e.games), "game");  // held at once
  if (e.float32)
    return fmt::format("about {} at the peak (P - 1/2 in float32, {} for each of {} held at once; building one "
                       "peaks at {}{}, up to {} at once; {}{} vectors of n doubles, {}), {} available",
                       size(e.bytes), size(e.operator_bytes), games, size(e.build_bytes),
                       e.from_matrix ? " (its double matrix)" : "", e.building,
                       e.equilibrium_bytes > 0.0 ? fmt::format("pi*'s work {} per game; ", size(e.equilibrium_bytes))
                                                 : std::string(),
                       e.vectors, n, size(e.available_bytes));
  if (e.implicit)
    return fmt::format("about {} at the peak (the implicit game's operator, {} for each of {} held at once, and "
                       "{} vectors of n doubles, {}), {} available",
                       size(e.bytes), size(e.operator_bytes), games, e.vectors, n, size(e.available_bytes));
  const std::string matrices = fmt::format("{:.3g}", e.matrices);
  // Below a MiB the matrices are named by their size, so that the figure is read as the base's.
  const double matrix_bytes = e.bytes - e.base_bytes;
  const std::string of_which =
      matrix_bytes < 1024.0 * 1024 ? fmt::format(", {:.0f} KiB of them", std::max(1.0, matrix_bytes / 1024.0)) : "";
  return fmt::format("about {} at the peak ({:.0f} MiB for the program and its buffers; {}: {} n x n {} of doubles, {}{}), {} "
                     "available",
                     size(e.bytes), e.base_bytes / mib, config.SolvesEquilibrium() ? "P and the equilibrium's work" : "P",
                     matrices, matrices == "1" ? "matrix" : "matrices", n, of_which, size(e.available_bytes));
}

namespace {

// The last way out of a dense or float32 game that does not fit: its implicit form, or the generators
// that have one.
std::string ImplicitWay(const GameRegistryEntry* entry) {
  if (entry != nullptr && entry->traits.implicit) return "game.storage: implicit (P never stored)";
  std::vector<std::string> games;  // the low-rank ones first: implicit by default
  for (bool by_default : {true, false})
    for (const auto& g : GameRegistry().entries())
      if (g.traits.implicit && g.traits.implicit_by_default == by_default)
        games.push_back(by_default ? g.name : g.name + " with storage: implicit");
  return fmt::format("an implicit game, which stores no P ({})", fmt::join(games, ", "));
}

}  // namespace

void CheckMemory(const ExperimentConfig& config, const ResourcePlan& plan, const MemoryEstimate& e) {
  if (e.bytes <= e.available_bytes) return;
  // The need and what is available in GiB, with as many decimals as tell them apart ("needs about 0.2
  // GiB, this machine has 0.2 GiB available" read as if it fitted).
  const auto gib = [](double bytes, int digits) { return fmt::format("{:.{}f}", bytes / kGiB, digits); };
  int digits = 1;
  while (digits < 4 && gib(e.bytes, digits) == gib(e.available_bytes, digits)) ++digits;
  const std::string need = gib(e.bytes, digits) + " GiB";
  const std::string available = fmt::format("this machine has {} GiB available", gib(e.available_bytes, digits));
  const std::string games = Counted(static_cast<std::int64_t>(e.games), "game");  // held at once
  const std::string seeds = Counted(static_cast<std::int64_t>(config.seeds.size()), "seed");
  const double mib = 1024.0 * 1024.0;
  if (e.implicit) {
    // Linear in n: the largest n that fits scales the per-action bytes.
    const double per_action = (e.bytes - e.base_bytes) / std::max(1.0, static_cast<double>(e.n));
    const double n_max = std::floor(std::max(0.0, e.available_bytes - e.base_bytes) / per_action);
    throw InputError(e.n_key, fmt::format("{} needs about {} (estimate: the implicit game's operator, {:.3g} "
                                          "MiB for each of {} held at once, and {} vectors of n doubles for the "
                                          "runs' buffers and results, {} with --jobs {}), {}, expected n <= {:.0f} "
                                          "(or fewer seeds, solvers or --jobs)",
                                          e.n, need, e.operator_bytes / mib, games,
                                          e.vectors, seeds,
                                          std::max(1, plan.jobs), available, n_max));
  }
  const auto* entry = GameRegistry().TryFind(config.game.name);
  const std::string what = e.n_key == "game.path" ? fmt::format("a {} x {} matrix", e.n, e.n) : fmt::format("{}", e.n);
  // The ways out, from the cheapest for the user. Each of float32 and equilibrium: none is named only
  // when it alone would fit.
  const auto bytes_with = [&](GameStorage storage, EquilibriumMode mode) {
    ExperimentConfig other = config;
    other.game.storage = storage;
    other.equilibrium = mode;
    ResourcePlan same = plan;
    same.available_bytes = e.available_bytes;
    return EstimateMemory(other, same).bytes;
  };
  std::string ways = "fewer seeds or --jobs";
  if (e.float32) {
    // The largest n that fits with the same seeds and jobs (the bytes grow with n).
    const Float32MemoryPlan p = Float32Plan(config, plan, *entry, e.n);
    const Eigen::Index lo = LargestFitting(2, e.n - 1, [&](Eigen::Index n) {
      MemoryEstimate at;
      Float32Bytes(p, n, at);
      return at.bytes <= e.available_bytes;
    });
    if (config.SolvesEquilibrium() && bytes_with(GameStorage::kFloat32, EquilibriumMode::kNone) <= e.available_bytes)
      ways += ", or equilibrium: none (no pi*)";
    ways += ", or " + ImplicitWay(entry);
    throw InputError(
        e.n_key,
        fmt::format("{} needs about {} (estimate: P - 1/2 in float32, {:.0f} MiB for each of {} held at "
                    "once; building one peaks at {:.0f} MiB{}, up to {} at once; {}{} vectors of n doubles; {} "
                    "with --jobs {}), {}, expected n <= {} (or {})",
                    what, need, e.operator_bytes / mib, games, e.build_bytes / mib,
                    e.from_matrix ? " (its double matrix)" : "", e.building,
                    e.equilibrium_bytes > 0.0 ? fmt::format("pi*'s work {:.0f} MiB per game; ",
                                                            e.equilibrium_bytes / mib)
                                              : std::string(),
                    e.vectors, seeds, std::max(1, plan.jobs),
                    available, lo, ways));
  }
  // The largest n that fits with the same seeds and jobs (the bytes grow with n, though the matrices
  // counted fall where pi* turns matrix-free).
  const Eigen::Index n_max = LargestFitting(2, e.n - 1, [&](Eigen::Index n) {
    const double m = static_cast<double>(n);
    return e.base_bytes + DenseMatrices(config, plan, n) * 8.0 * m * m <= e.available_bytes;
  });
  // float32 halves P; without pi*, a game being prepared holds only P; an implicit game holds no
  // n x n matrix at all.
  if (const double f = entry != nullptr ? bytes_with(GameStorage::kFloat32, config.equilibrium) : 0.0;
      entry != nullptr && f <= e.available_bytes)
    ways += fmt::format(", or game.storage: float32 (about {:.1f} GiB: P - 1/2 held in float, 4 bytes per entry, the "
                        "game rounded by <= 1.5e-8)",
                        f / kGiB);
  if (config.SolvesEquilibrium() && entry != nullptr &&
      bytes_with(config.game.storage, EquilibriumMode::kNone) <= e.available_bytes)
    ways += ", or equilibrium: none (no pi*: P alone)";
  ways += ", or " + ImplicitWay(entry);
  const std::string matrices = fmt::format("{:.3g}", e.matrices);
  throw InputError(e.n_key, fmt::format("{} needs about {} (estimate: {}, {} n x n {} of doubles for {} "
                                        "with --jobs {}), {}, expected n <= {} (or {})",
                                        what, need,
                                        config.SolvesEquilibrium() ? "P and the equilibrium's work" : "P", matrices,
                                        matrices == "1" ? "matrix" : "matrices",
                                        seeds,
                                        std::max(1, plan.jobs), available, n_max, ways));
}

}  // namespace nlhf
