// nlhf-equilibrium: build one preference game, describe it and certify its regularized Nash
// equilibrium pi*_beta. A thin main: parse flags, call the library, map errors to exit codes.
#include <fmt/format.h>

#include <boost/program_options.hpp>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <optional>
#include <iostream>
#include <string>
#include <system_error>
#include <utility>
#include <variant>
#include <unistd.h>

#include "allocator.h"
#include "cli.h"
#include "nlhf/config.h"
#include "nlhf/descriptors.h"
#include "nlhf/equilibrium.h"
#include "nlhf/errors.h"
#include "nlhf/generators.h"
#include "nlhf/logspace.h"
#include "nlhf/memory_estimate.h"
#include "nlhf/metrics.h"
#include "nlhf/nash_set.h"
#include "nlhf/nfg.h"
#include "nlhf/output/files.h"
#include "nlhf/params.h"
#include "nlhf/rng.h"
#include "nlhf/spec.h"

namespace po = boost::program_options;

namespace {

constexpr const char* kUsage =
    "Usage: nlhf-equilibrium [--game SPEC] [--reference SPEC] [--beta B] [--seed S] [--top K]\n"
    "       nlhf-equilibrium --beta 0 [--selection kl_projection|max_entropy] [--game SPEC] ...\n"
    "       nlhf-equilibrium --export nfg|nfg-centered|openspiel [--game SPEC] [--output FILE]\n"
    "       nlhf-equilibrium --list games|references|solvers|metrics\n"
    "\n"
    "Builds a preference game from a spec string, prints its descriptors and its certified\n"
    "regularized Nash equilibrium pi*_beta (certificate: gap_beta(pi*) <= 1e-12).\n"
    "--beta 0 gives the Nash equilibrium of the unregularized game instead (linear programs, COIN-OR\n"
    "CLP; certificate gap_0 <= 1e-9), with its support, whether it is unique and, when the Nash set\n"
    "is not a point, which of its points it is: --selection kl_projection (default: the point of the\n"
    "Nash set closest to mu in KL(. || mu), which pi*_beta tends to as beta -> 0) or max_entropy.\n"
    "Spec strings name a registered entry and its parameters, e.g.\n"
    "  --game 'rps3(x=0.9,y=0.9,z=0.8)'   --game 'bradley_terry(n=20,scale=2)'\n"
    "  --game 'matrix(path=P.csv)'        --reference 'softmax_normal(scale=1)'\n"
    "  --game 'low_rank_cyclic(n=1000000,k=8)'   (implicit: P is never stored)\n"
    "  --game 'random_uniform(n=8000,storage=float32)'   (storage=auto|dense|float32|implicit)\n"
    "`--list games` shows every generator with its parameters, defaults and ranges.\n"
    "\n"
    "--export writes the game instead of solving it, as a Gambit strategic-form file (.nfg, payoff\n"
    "version) to stdout or to a new --output FILE (never overwritten): nfg with payoffs u1 = P,\n"
    "u2 = 1 - P; nfg-centered and openspiel with u1 = P - 1/2, u2 = -u1 (zero-sum; openspiel is the\n"
    "same file, the one pyspiel.load_nfg_game(text) turns into a ZERO_SUM MatrixGame). Games of up to\n"
    "6000 actions. --game 'nfg(path=FILE)' (YAML: game: {type: nfg, path: FILE}) reads it back, and\n"
    "Gambit's or OpenSpiel's .nfg files of symmetric constant-sum games too (docs/interop.md).\n"
    "\n"
    "Exit codes: 0 certified, 1 not certified (the achieved gap is printed), 2 bad input, 3 an internal\n"
    "error (a bug in nlhf).\n"
    "\n"
    "Options";

// --export: the game as a .nfg file, to stdout or to a new file (atomically), instead of solving it.
int ExportGame(const std::string& form, const std::string& output, const std::string& game_spec,
               const std::string& reference_spec, std::uint64_t seed) {
  if (form.empty()) throw nlhf::InputError("--output", "is given without --export, expected --export FORM with it");
  if (form != "nfg" && form != "nfg-centered" && form != "openspiel")
    throw nlhf::InputError("--export", fmt::format("'{}' is not a form, expected nfg, nfg-centered or openspiel", form));
  const nlhf::NfgForm f = form == "nfg" ? nlhf::NfgForm::kP : nlhf::NfgForm::kCentered;
  if (!output.empty()) nlhf::CheckNewFile(output);  // before the game is built: that may take long
  // An n the spec gives that no .nfg file takes is refused before the game is built, which at
  // n = 100 000 would not even fit in memory.
  const nlhf::GameCall call = nlhf::ReadGameCall(nlhf::ParseSpec(game_spec));
  for (const auto& [name, value] : call.params)
    if (name == "n" && std::holds_alternative<std::int64_t>(value)) nlhf::CheckNfgWritable(std::get<std::int64_t>(value));
  const nlhf::Game game = nlhf::MakeGame(call, reference_spec, seed);
  const std::string title = fmt::format("nlhf {}: {}", game.game_spec(),
                                        f == nlhf::NfgForm::kP ? "u1 = P(i beats j), u2 = 1 - u1"
                                                               : "u1 = P(i beats j) - 1/2, u2 = -u1");
  auto write = [&](std::FILE* out) { nlhf::WriteNfg(out, game.preferences(), f, title); };
  if (output.empty()) {
    try {
      write(stdout);
      if (std::fflush(stdout) != 0) throw std::system_error(errno, std::generic_category(), "write");
    } catch (const std::system_error& e) {
      throw nlhf::WriteError("standard output", e.code().value());
    }
  } else {
    nlhf::WriteNewFileAtomic(output, write);
  }
  return 0;
}

// The game's lines: its specs, n, beta and descriptors.
void PrintGame(const nlhf::Game& game, const std::optional<nlhf::GameDescriptors>& d, const std::string& beta) {
  fmt::print("game       {}\n", game.game_spec());
  fmt::print("reference  {}\n", game.reference_spec());
  fmt::print("n          {}\nbeta       {}\n", game.n(), beta);
  if (d) {
    fmt::print("descriptors: cyclic triples {}, Condorcet winner {}, max|A| {:.4g}, Hodge cyclic ratio {}\n",
               !d->cyclic_triples            ? fmt::format("not counted (ties, n > {})", nlhf::kCyclicTriplesMaxN)
               : d->cyclic_triple_fraction ? fmt::format("{}/{} ({:.3f})", *d->cyclic_triples, d->triples,
                                                           *d->cyclic_triple_fraction)
                                           : fmt::format("{}/{}", *d->cyclic_triples, d->triples),
               d->condorcet_winner ? std::to_string(*d->condorcet_winner) : std::string("none"), d->max_abs_margin,
               d->hodge_cyclic_ratio ? fmt::format("{:.4f}", *d->hodge_cyclic_ratio)
                                     : std::string("undefined (every pair tied: A = 0)"));
  } else {
    fmt::print("descriptors: not computed for an implicit game (they read every entry of a stored P; "
               "storage=dense or storage=float32 computes them)\n");
  }
}

// The K most likely actions of `pi` (0: all), with mu.
void PrintPolicy(const nlhf::Game& game, const Eigen::VectorXd& pi, const char* name, int top) {
  std::vector<Eigen::Index> order(static_cast<size_t>(game.n()));
  for (Eigen::Index y = 0; y < game.n(); ++y) order[static_cast<size_t>(y)] = y;
  std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return pi[a] > pi[b]; });
  const size_t shown = top == 0 ? order.size() : std::min(order.size(), static_cast<size_t>(top));
  fmt::print("\n{:>8}  {:>16}  {:>16}\n", "action", name, "mu");
  for (size_t k = 0; k < shown; ++k) {
    const Eigen::Index y = order[k];
    fmt::print("{:>8}  {:>16.10g}  {:>16.10g}\n", y, pi[y], game.mu()[y]);
  }
  if (shown < order.size()) fmt::print("{:>8}  ({} more; --top 0 shows all)\n", "...", order.size() - shown);
}

// --beta 0: the selected Nash equilibrium of the unregularized game, with what makes it the one.
int PrintNash(const nlhf::Game& game, const std::optional<nlhf::GameDescriptors>& d, nlhf::NashSelection selection,
              int top) {
  const auto start = std::chrono::steady_clock::now();
  const nlhf::NashEquilibrium ne = nlhf::SolveNashEquilibrium(game, {.selection = selection});
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  PrintGame(game, d, "0 (the unregularized game)");
  fmt::print("value LP   {} (COIN-OR CLP), v = {:.17g} (must be 1/2); {} simplex iterations over the LPs\n",
             ne.lp_status, ne.value, ne.lp_iterations);
  if (!ne.certified) {
    fmt::print("equilibrium: NOT certified: {} ({:.3g} s)\n", ne.message, seconds);
    return 1;
  }
  fmt::print("equilibrium: the Nash equilibrium of the beta = 0 game, certified in {:.3g} s\n", seconds);
  fmt::print("  unique     {}\n",
             ne.unique() ? "yes: the Nash set is a point"
                         : fmt::format("no: the Nash set has dimension {} (singular values of [A_SS; 1] kept >= {:.2e}, "
                                       "dropped <= {:.2e}, relative)",
                                       ne.dimension, ne.rank_margin_kept, ne.rank_margin_dropped));
  fmt::print("  selection  {}\n",
             ne.unique() ? fmt::format("none needed ({} would give the same point)", nlhf::NashSelectionName(selection))
             : selection == nlhf::NashSelection::kKlProjection
                 ? std::string("kl_projection: argmin KL(pi || mu) over the Nash set, the limit of pi*_beta as beta -> 0")
                 : std::string("max_entropy: argmin KL(pi || uniform) over the Nash set"));
  if (!ne.unique())
    fmt::print("  optimality on the face: reduced gradient {:.2e}, {} Newton iterations\n", ne.selection_residual,
               ne.newton_iterations);
  fmt::print("  support    {}/{} actions {{{}}} (every equilibrium plays only these)\n", ne.support.size(), game.n(),
             nlhf::SupportText(ne, 50));
  const nlhf::PolicyPoint p = nlhf::Evaluate(game, ne.log_pi);
  fmt::print("at pi_NE: gap_0 {:.3e} (certificate, <= 1e-9)  br_winrate {:.6f}  KL(pi_NE||mu) {:.6f}\n",
             ne.certificate, nlhf::BrWinrate(p),
             // (Its terms p log(p/q) - p + q are each >= 0: the plain sum printed -0.000000 at mu.)
             nlhf::KlSum(ne.log_pi.data(), ne.pi.data(), game.log_mu().data(), game.n()));
  PrintPolicy(game, ne.pi, "pi_NE", top);
  return 0;
}

int Run(int argc, char** argv) {
  po::options_description opts(kUsage);
  std::string game_spec, reference_spec, list, export_form, output, selection, beta_text, seed_text;
  int top = 10;
  opts.add_options()
      ("help,h", "print this help")
      ("version", "print the version")
      ("list", po::value(&list)->value_name("WHAT"), "list games, references, solvers or metrics")
      ("game", po::value(&game_spec)->default_value("rps3(x=0.9,y=0.9,z=0.8)")->value_name("SPEC"),
       "game generator spec")
      ("reference", po::value(&reference_spec)->default_value("uniform")->value_name("SPEC"),
       "reference policy spec")
      ("beta", po::value(&beta_text)->default_value("0.01")->value_name("B"),
       fmt::format("regularization beta in [{:g}, {:g}], or 0 for the unregularized game's Nash equilibrium",
                   nlhf::kMinBeta, nlhf::kMaxBeta)
           .c_str())
      ("selection", po::value(&selection)->default_value("kl_projection")->value_name("RULE"),
       "with --beta 0: the point of the Nash set, kl_projection (of mu) or max_entropy")
      ("seed", po::value(&seed_text)->default_value("0")->value_name("S"),
       fmt::format("run seed (used by specs without their own seed), an integer in [0, {}]", nlhf::kMaxSeed).c_str())
      ("top", po::value(&top)->default_value(10)->value_name("K"),
       "print the K most likely actions of pi* (0: all)")
      ("export", po::value(&export_form)->value_name("FORM"),
       "write the game as nfg, nfg-centered or openspiel instead of solving it")
      ("output", po::value(&output)->value_name("FILE"), "with --export: write to this new file, not stdout");
  po::variables_map vm;
  if (nlhf::cli::ParseFlags(argc, argv, opts, "nlhf-equilibrium", nullptr, vm)) return 0;
  // Read as the YAML reader reads `seeds`: the same words for a value out of range or not an integer.
  const auto seed = static_cast<std::uint64_t>(
      std::get<std::int64_t>(nlhf::ParseParamValue(nlhf::RunSeedSpec(), seed_text, "--seed")));
  if (top < 0) throw nlhf::InputError("--top", fmt::format("{} is negative, expected an integer >= 0", top));
  if (vm.count("export") || vm.count("output")) {
    // The exported game does not depend on what only a solve uses: a flag given for it is a mistake.
    for (const char* flag : {"beta", "selection", "top", "reference"})
      if (vm.count(flag) && !vm[flag].defaulted())
        throw nlhf::InputError(fmt::format("--{}", flag), "has no effect with --export (the game is written, not solved), "
                                                          "expected it without --export");
    return ExportGame(export_form, output, game_spec, reference_spec, seed);
  }
  // Read as a YAML value is, not by Boost, whose conversion takes a value that underflows (1e-400)
  // as 0 and would silently solve the unregularized game.
  const std::string allowed = fmt::format("expected 0 or a number in [{:g}, {:g}] (where pi*_beta can be certified "
                                          "in double precision)",
                                          nlhf::kMinBeta, nlhf::kMaxBeta);
  const std::optional<double> read = nlhf::ParseDouble(beta_text);
  if (!read)
    throw nlhf::InputError("--beta", fmt::format("'{}' {}, {}", beta_text, nlhf::NotANumberWhy(beta_text), allowed));
  const double beta = *read;
  // The experiments' range: outside it pi*_beta cannot be certified in double precision (a
  // certificate that rounds below 0 near beta = 1e-30), and the stability limits overflow (beta^2).
  if (beta < 0.0 || (beta > 0.0 && (beta < nlhf::kMinBeta || beta > nlhf::kMaxBeta)))
    throw nlhf::InputError("--beta", fmt::format("'{}' is not allowed, {}", beta_text, allowed));
  const nlhf::NashSelection rule = nlhf::ParseNashSelection(selection, "--selection");
  if (vm.count("selection") && !vm["selection"].defaulted() && beta > 0.0)
    throw nlhf::InputError("--selection", "is for --beta 0 only (pi*_beta is unique for beta > 0), expected --beta 0");

  const nlhf::Game game = nlhf::MakeGame(game_spec, reference_spec, seed);
  // Descriptors read every entry of a stored P (dense or float32): not for an implicit game.
  std::optional<nlhf::GameDescriptors> d;
  if (game.preferences().stores_entries()) d = nlhf::Describe(game.preferences());
  if (beta == 0.0)
    return PrintNash(game, d, rule, top);
  // pi*'s work at its worst (every GMRES direction of a restart kept): more than is available gets a
  // warning, not a refusal. It usually takes less (low_rank_cyclic at n = 10^8: 16.4 GB measured,
  // 35 GiB at worst), but where it does take it all the kernel may kill the process, which a
  // ulimit -v turns into the clean "not enough memory" (exit 2).
  {
    const double need = nlhf::EquilibriumWorkBytes(
        game.n(), nlhf::ResolveEquilibriumMethod(game, nlhf::EquilibriumMethod::kAuto));
    const double available = nlhf::AvailableMemoryBytes();
    if (need > available)
      fmt::print(stderr,
                 "warning: pi*'s work may need up to {} at n = {} (at worst), more than the {} available: the "
                 "system may stop this process for memory (ulimit -v makes that a clean error)\n",
                 nlhf::MemorySize(need), game.n(), nlhf::MemorySize(available));
  }
  const auto start = std::chrono::steady_clock::now();
  // Progress of long solves (after 1 s), on a terminal only: one line, rewritten per Newton iteration.
  nlhf::EquilibriumOptions options;
  bool progress_shown = false;
  if (::isatty(STDERR_FILENO)) {
    options.progress = [&](const nlhf::EquilibriumProgress& p) {
      if (std::chrono::steady_clock::now() - start < std::chrono::seconds(1)) return;
      fmt::print(stderr, "\r\033[Kpi*: {} stage {} (beta {:.3g}), Newton iteration {}, residual {:.2e}{}",
                 p.method == nlhf::EquilibriumMethod::kKrylov ? "krylov" : "dense", p.stage, p.beta,
                 p.newton_iteration, p.residual,
                 p.linear_iterations > 0 ? fmt::format(", {} GMRES iterations", p.linear_iterations) : "");
      progress_shown = true;
    };
  }
  const nlhf::Equilibrium eq = nlhf::SolveEquilibrium(game, beta, options);
  if (progress_shown) fmt::print(stderr, "\r\033[K");
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  PrintGame(game, d, fmt::format("{}", beta));
  fmt::print("equilibrium: {} in {:.3g} s\n", eq.message, seconds);

  if (eq.stability) {
    // One entry per registered solver with a stability limit, in registry order.
    std::string steps;
    for (const nlhf::StepLimit& row : eq.stability->steps) {
      if (!steps.empty()) steps += ", ";
      steps += fmt::format("{} {} < {:.4g}", row.solver, row.step, row.limit);
      if (row.best) steps += fmt::format(" (best {:.4g})", *row.best);
    }
    fmt::print("rho = {:.6g} (spectral radius of A D(pi*)); stable steps: {}\n", eq.stability->rho, steps);
  }
  const nlhf::PolicyPoint p = nlhf::Evaluate(game, eq.log_pi);
  fmt::print("at pi*: gap_beta {:.3e}  gap_0 {:.3e}  br_winrate {:.6f}  KL(pi*||mu) {:.6f}\n",
             eq.certificate, nlhf::Gap0(p), nlhf::BrWinrate(p),
             nlhf::KlFromStar(nlhf::Evaluate(game, eq.log_pi), game.log_mu()));

  PrintPolicy(game, eq.pi, "pi*", top);
  return eq.certified() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  nlhf::cli::TuneAllocator();
  return nlhf::cli::Main([&] { return Run(argc, argv); });
}
