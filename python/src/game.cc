// Games, their descriptors, the closed-form metrics and the certified equilibria, in Python.
// A Game is immutable and shared: numpy views of its P and mu keep it alive (zero-copy).
#include <pybind11/stl.h>
#include <fmt/format.h>

#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>

#include "bindings.h"
#include "nlhf/config.h"
#include "nlhf/descriptors.h"
#include "nlhf/equilibrium.h"
#include "nlhf/game.h"
#include "nlhf/generators.h"
#include "nlhf/logspace.h"
#include "nlhf/memory_estimate.h"
#include "nlhf/metrics.h"
#include "nlhf/nash_set.h"
#include "nlhf/preference_operator.h"
#include "nlhf/run.h"
#include "nlhf/sha256.h"
#include "nlhf/spec.h"

namespace nlhf::python {

namespace {

// `solve(cancel)` with the GIL released, where Ctrl-C sets `cancel` (the library's solvers poll it and
// throw Cancelled, raised as KeyboardInterrupt): pi* and the Nash equilibrium take seconds to minutes
// at n in the thousands.
template <class Solve>
auto SolveInterruptibly(Solve&& solve) {
  InterruptScope interrupt;
  decltype(solve(CancelFlag{})) result;
  {
    py::gil_scoped_release release;
    result = solve(interrupt.flag());
  }
  interrupt.ThrowIfInterrupted();
  return result;
}

std::string HashOf(const double* data, size_t count) {
  return Sha256Hex(std::string_view(reinterpret_cast<const char*>(data), count * sizeof(double)));
}

// mu for n actions from a reference spec string ("softmax_normal(scale=1)") or a numpy array.
std::pair<Eigen::VectorXd, std::string> ReferenceFor(Eigen::Index n, const std::string& reference, const py::object& mu,
                                                     std::uint64_t seed) {
  if (!mu.is_none()) {
    Eigen::VectorXd m = ToVector(mu, "mu");
    ValidateReference(m, n, "mu");
    std::string spec = fmt::format("array(sha256={})", HashOf(m.data(), static_cast<size_t>(m.size())));
    return {std::move(m), std::move(spec)};
  }
  const SpecCall call = ParseSpec(reference);
  const auto& entry = ReferenceRegistry().Find(call.name, "reference.type");
  BuiltReference built = MakeReference(call.name, ParseGivenParams(entry.params, call.args, "reference"), n, seed, "reference");
  return {std::move(built.mu), std::move(built.spec)};
}

// Refuses, before anything is allocated, a game this machine cannot hold: nlhf-run's estimate
// (memory_estimate.h) for one game and no pi*. Without it P's allocation ends in a bare
// MemoryError, or, where the kernel overcommits, in the OOM killer ending the Python process.
void CheckGameMemory(const GameCall& game, std::uint64_t seed) {
  ExperimentConfig c;
  c.game.name = game.name;
  c.game.params = game.params;
  c.game.storage = game.storage;
  c.equilibrium = EquilibriumMode::kNone;
  c.seeds = {seed};
  const MemoryEstimate e = EstimateMemory(c, ResourcePlan{});
  if (e.n_key.empty()) return;
  if (e.implicit) {
    // Building an implicit game takes its operator and mu, not the runs' buffers that nlhf-run's
    // estimate adds (44 vectors of n doubles, which refused low_rank_cyclic at n = 10^8, built in
    // 1.6 GB): those are the run's, and pi*'s work is checked by equilibrium().
    constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
    const double need = e.base_bytes + e.operator_bytes + 2.0 * 8.0 * static_cast<double>(e.n);
    if (need <= e.available_bytes) return;
    throw InputError(e.n_key, fmt::format("{} needs about {:.1f} GiB (the implicit game's operator, {:.1f} GiB, and "
                                          "mu), {:.1f} GiB available: more than this machine can give, expected a "
                                          "smaller n",
                                          e.n, need / kGiB, e.operator_bytes / kGiB, e.available_bytes / kGiB));
  }
  if (e.bytes <= e.available_bytes) return;
  // float32 is named only where it would fit (nlhf-run's rule): its build peaks above 4 n^2 bytes.
  std::string float32_way;
  if (!e.float32) {
    ExperimentConfig f = c;
    f.game.storage = GameStorage::kFloat32;
    if (const MemoryEstimate ef = EstimateMemory(f, ResourcePlan{}); ef.bytes <= ef.available_bytes)
      float32_way = fmt::format("storage='float32', about {:.1f} GiB, or ", ef.bytes / (1024.0 * 1024.0 * 1024.0));
  }
  throw InputError(e.n_key, fmt::format("{} needs {}: more than this machine can give, expected a smaller n (or {}an "
                                        "implicit game: nlhf.games)",
                                        e.n, MemoryText(c, e), float32_way));
}

// A registered game from a spec string ("random_uniform(n=10)" or a bare name) plus keyword
// parameters and, optionally, the storage; mu from a reference spec or a numpy array.
std::shared_ptr<Game> GameFromSpec(const std::string& spec, const RawParams& params, const std::string& storage,
                                   const std::string& reference, const py::object& mu, std::uint64_t seed) {
  SpecCall call = ParseEntrySpec(spec, GameRegistry(), "game.type");
  for (const auto& [k, v] : params) {
    for (const auto& [given, value] : call.args)
      if (given == k)
        throw InputError("game." + k, fmt::format("is given twice, in the spec ('{}') and as a keyword ('{}'), expected "
                                                  "one of them", value, v));
    call.args.emplace_back(k, v);
  }
  if (!storage.empty()) call.args.emplace_back("storage", storage);
  const GameCall game = ReadGameCall(call);
  CheckGameMemory(game, seed);
  if (mu.is_none()) return std::make_shared<Game>(MakeGame(game, reference, seed));
  const Game built = MakeGame(game, "uniform", seed);
  auto [m, reference_spec] = ReferenceFor(built.n(), reference, mu, seed);
  return std::make_shared<Game>(built.shared_preferences(), std::move(m), built.game_spec(), std::move(reference_spec));
}

// P from numpy (any layout, any real dtype), validated by Game's constructor.
std::shared_ptr<Game> GameFromMatrix(const py::handle& matrix, const py::object& mu, const std::string& reference,
                                     std::uint64_t seed) {
  const auto a = RealArray<py::array::f_style>(matrix, "P");
  if (a.ndim() != 2 || a.shape(0) != a.shape(1))
    throw InputError("P", fmt::format("has shape {}, expected a square n x n matrix",
                                      a.ndim() == 2 ? fmt::format("({}, {})", a.shape(0), a.shape(1))
                                                    : fmt::format("of {} dimensions", a.ndim())));
  const Eigen::Index n = a.shape(0);
  Eigen::MatrixXd P(n, n);
  std::memcpy(P.data(), a.data(), sizeof(double) * static_cast<size_t>(n * n));
  ValidatePreferenceMatrix(P, "P");
  const std::string game_spec = fmt::format("array(n={},sha256={})", n, HashOf(P.data(), static_cast<size_t>(n * n)));
  auto [m, reference_spec] = ReferenceFor(n, reference, mu, seed);
  return std::make_shared<Game>(std::move(P), std::move(m), game_spec, reference_spec);
}

// A policy given as probabilities: finite entries >= 0 that sum to 1 within 1e-9.
void CheckProbabilities(const Eigen::VectorXd& v, const std::string& key) {
  for (Eigen::Index i = 0; i < v.size(); ++i)
    if (!std::isfinite(v[i]) || v[i] < 0.0)
      throw InputError(key, fmt::format("entry {} is {}, expected a probability >= 0", i, v[i]));
  const double sum = v.sum();
  if (!(std::abs(sum - 1.0) <= 1e-9))
    throw InputError(key, fmt::format("sums to {}, expected a probability vector (sum 1 within 1e-9)", sum));
}

// Normalized logits of a policy given as probabilities (zeros allowed: -inf) or as logits.
Eigen::VectorXd PolicyLogits(const py::handle& policy, bool is_logits, Eigen::Index n) {
  const std::string key = is_logits ? "logits" : "pi";
  Eigen::VectorXd v = ToVector(policy, key);
  if (v.size() != n) throw InputError(key, fmt::format("has {} entries, expected n = {}", v.size(), n));
  if (is_logits) {
    for (Eigen::Index i = 0; i < n; ++i)
      if (std::isnan(v[i]) || v[i] == std::numeric_limits<double>::infinity())
        throw InputError(key, fmt::format("entry {} is {}, expected a finite number or -inf", i, v[i]));
    if (!(v.maxCoeff() > -std::numeric_limits<double>::infinity()))
      throw InputError(key, "is -inf everywhere, expected at least one finite entry");
    // Shifted to a maximum of 0 first: at |max| >= 1e16 the log-sum-exp term (at most log n) is
    // below the rounding of max + LSE, and the result summed to more than 1.
    v.array() -= v.maxCoeff();
    return NormalizeLogits(v);
  }
  CheckProbabilities(v, key);
  return v.array().log() - std::log(v.sum());
}

py::dict DescriptorsDict(const GameDescriptors& d) {
  py::dict out;
  out["cyclic_triples"] = d.cyclic_triples ? py::object(py::int_(*d.cyclic_triples)) : py::object(py::none());
  out["triples"] = d.triples;
  out["cyclic_triple_fraction"] =
      d.cyclic_triple_fraction ? py::object(py::float_(*d.cyclic_triple_fraction)) : py::object(py::none());
  out["condorcet_winner"] = d.condorcet_winner ? py::object(py::int_(*d.condorcet_winner)) : py::object(py::none());
  out["max_abs_margin"] = d.max_abs_margin;
  out["hodge_cyclic_ratio"] =
      d.hodge_cyclic_ratio ? py::object(py::float_(*d.hodge_cyclic_ratio)) : py::object(py::none());
  return out;
}

py::list LimitsList(const StabilityLimits& limits) {
  py::list out;
  for (const StepLimit& s : limits.steps) {
    py::dict d;
    d["solver"] = s.solver;
    d["step"] = s.step;
    d["limit"] = s.limit;
    d["best"] = s.best ? py::object(py::float_(*s.best)) : py::object(py::none());
    out.append(d);
  }
  return out;
}

EquilibriumMethod ParseMethod(const std::string& method) {
  if (method == "auto") return EquilibriumMethod::kAuto;
  if (method == "dense") return EquilibriumMethod::kDense;
  if (method == "krylov") return EquilibriumMethod::kKrylov;
  throw InputError("method", fmt::format("'{}' is not a method, expected auto, dense or krylov", method));
}

// Refuses, before anything is allocated, an equilibrium whose work this machine cannot hold (a
// dense Jacobian and its LU factors, 16 n^2 bytes; below n = 4096 the matrix-free method's GMRES
// basis and Hessenberg matrix take as much): a ValueError that says how much and what fits, not a
// bare MemoryError or the OOM killer. An implicit game is always solved matrix-free
// (SolveEquilibrium), whatever was asked.
void CheckEquilibriumMemory(const Game& g, const std::string& name, EquilibriumMethod method) {
  method = ResolveEquilibriumMethod(g, method);  // (Krylov for an implicit game, whatever was asked)
  const double available = AvailableMemoryBytes();
  const double need = EquilibriumWorkBytes(g.n(), method);
  const double krylov = EquilibriumWorkBytes(g.n(), EquilibriumMethod::kKrylov);
  if (need <= available) return;
  constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
  const bool dense = method == EquilibriumMethod::kDense;
  throw InputError("method", fmt::format("'{}' at n = {} needs about {:.2f} GiB for pi*'s work, more than this machine "
                                         "can give ({:.2f} GiB available), expected {}",
                                         name, g.n(), need / kGiB, available / kGiB,
                                         dense && krylov <= available
                                             ? fmt::format("method='krylov' (about {:.2f} GiB)", krylov / kGiB)
                                             : std::string("a smaller game")));
}

}  // namespace

namespace {

// What identifies the P of a game read from a file (a game's P is immutable), once per preference
// operator: the SHA-256 of a stored P; for one not stored in doubles (implicit, float32) the
// operator's own serial number, never reused (never materialized: that is the O(n^2) memory such a
// game avoids; a second read of the same file is then another game).
std::string PreferencesIdentity(const Game& game) {
  static std::mutex mutex;
  static std::uint64_t serial = 0;
  static std::map<const PreferenceOperator*, std::pair<std::weak_ptr<const PreferenceOperator>, std::string>> cache;
  const std::shared_ptr<const PreferenceOperator>& op = game.shared_preferences();
  std::lock_guard<std::mutex> lock(mutex);
  for (auto it = cache.begin(); it != cache.end();)  // forget operators that are gone
    it = it->second.first.expired() ? cache.erase(it) : std::next(it);
  if (const auto it = cache.find(op.get()); it != cache.end()) return it->second.second;
  std::string id = game.dense() ? HashOf(game.dense()->data(), static_cast<size_t>(game.dense()->size())).substr(0, 16)
                                : fmt::format("object {}", ++serial);
  cache.emplace(op.get(), std::pair{std::weak_ptr<const PreferenceOperator>(op), id});
  return id;
}

}  // namespace

std::string GameKey(const Game& game) {
  std::string key = game.game_spec() + " | " + game.reference_spec();
  // A spec that reads a file names its path, not its contents: the contents join the key (P's for
  // the game's spec, mu's for the reference's).
  if (game.game_spec().find("path=") != std::string::npos) key += " | P " + PreferencesIdentity(game);
  if (game.reference_spec().find("path=") != std::string::npos)
    key += " | mu " + HashOf(game.mu().data(), static_cast<size_t>(game.mu().size())).substr(0, 16);
  return key;
}

std::shared_ptr<GameEquilibrium> SolveGameEquilibrium(const Game& game, double beta, const EquilibriumOptions& options) {
  auto eq = std::make_shared<GameEquilibrium>();
  static_cast<Equilibrium&>(*eq) = SolveEquilibrium(game, beta, options);
  eq->game = GameKey(game);
  return eq;
}

std::shared_ptr<GameNash> SolveGameNash(const Game& game, const NashSetOptions& options) {
  auto ne = std::make_shared<GameNash>();
  static_cast<NashEquilibrium&>(*ne) = SolveNashEquilibrium(game, options);
  ne->game = GameKey(game);
  return ne;
}

void CheckEquilibriumOf(const GameEquilibrium& e, const Game& game, double beta, const std::string& key) {
  if (e.game != GameKey(game))
    throw InputError(key, fmt::format("is pi* of another game ({}), expected one of {}", e.game, GameKey(game)));
  if (!std::isnan(beta) && e.beta != beta)
    throw InputError(key, fmt::format("is pi* at beta = {}, expected beta = {}", e.beta, beta));
}

void CheckNashOf(const GameNash& e, const Game& game, const std::string& key) {
  if (e.game != GameKey(game))
    throw InputError(key, fmt::format("is the Nash equilibrium of another game ({}), expected one of {}", e.game,
                                      GameKey(game)));
}

void CheckRho(double rho) {
  if (!(rho >= 0.0 && rho <= 0.5))
    throw InputError("rho", fmt::format("{} is not allowed, expected a number in [0, 1/2] (every game's bound)", rho));
}

void BindGame(py::module_& m) {
  py::class_<Game, std::shared_ptr<Game>> game(m, "Game", "A preference game: P, the reference policy mu, and the spec strings that made them.");
  game.def_property_readonly("n", &Game::n, "The number of actions.")
      .def_property_readonly("spec", &Game::game_spec, "The canonical game spec string (what trace.csv's game column holds).")
      .def_property_readonly("reference_spec", &Game::reference_spec, "The canonical reference spec string.")
      .def_property_readonly(
          "P",
          [](py::object self) {
            const Game& g = self.cast<const Game&>();
            if (g.dense() == nullptr)
              throw InputError("P", fmt::format("the game {} stores no matrix of doubles (storage float32 or implicit); "
                                                "use entry(i, j) or payoff(pi), or build it with storage='dense'",
                                                g.game_spec()));
            return View(*g.dense(), self);
          },
          "P as a read-only numpy view (no copy; it keeps the game alive). Dense games only.")
      .def_property_readonly("mu", [](py::object self) { return View(self.cast<const Game&>().mu(), self); },
                             "The reference policy mu (read-only view).")
      .def("entry", [](const Game& g, Eigen::Index i, Eigen::Index j) {
        if (i < 0 || i >= g.n() || j < 0 || j >= g.n())
          throw InputError("entry", fmt::format("({}, {}) is out of range, expected 0 <= i, j < n = {}", i, j, g.n()));
        return g.Entry(i, j);
      }, py::arg("i"), py::arg("j"), "P[i, j] = P(i beats j).")
      .def("payoff", [](const Game& g, const py::handle& pi) {
        const Eigen::VectorXd x = ToVector(pi, "pi");
        if (x.size() != g.n()) throw InputError("pi", fmt::format("has {} entries, expected n = {}", x.size(), g.n()));
        CheckProbabilities(x, "pi");  // a win rate against a policy (NaN would come back as a result)
        Eigen::VectorXd out(g.n());
        {
          py::gil_scoped_release release;
          g.Apply(x, out);
        }
        return Copy(out);
      }, py::arg("pi"), "g = P pi: g[y] is the win rate of action y against the policy pi (one oracle call).")
      .def("describe", [](const Game& g) {
        if (!g.preferences().stores_entries())
          throw InputError("describe", fmt::format("the game {} is implicit: its entries are not stored, and the "
                                                   "descriptors read every triple", g.game_spec()));
        GameDescriptors d;
        {
          py::gil_scoped_release release;
          d = Describe(g.preferences());
        }
        return DescriptorsDict(d);
      }, "The game's descriptors: cyclic triples, Condorcet winner, max |P - 1/2|, Hodge cyclic ratio.")
      .def("_equilibrium", [](const Game& g, double beta, double tolerance, const std::string& method) {
        // pi*_beta is for beta > 0 only: not CheckBeta, whose message offers 0 (nash_equilibrium()'s).
        if (beta == 0.0)
          throw InputError("beta", "0 is the unregularized game, whose equilibrium is nash_equilibrium(), expected beta > 0");
        if (!(beta >= kMinBeta && beta <= kMaxBeta))
          throw InputError("beta", fmt::format("{} is not allowed, expected a number in [{:g}, {:g}] (where pi*_beta "
                                               "can be certified in double precision)",
                                               beta, kMinBeta, kMaxBeta));
        if (!(tolerance > 0.0) || !std::isfinite(tolerance))
          throw InputError("tolerance", fmt::format("{} is not allowed, expected a number > 0", tolerance));
        EquilibriumOptions options;
        options.certify_tolerance = tolerance;
        options.method = ParseMethod(method);
        CheckEquilibriumMemory(g, method, options.method);
        return SolveInterruptibly([&](CancelFlag cancel) {
          options.cancel = cancel;
          return SolveGameEquilibrium(g, beta, options);
        });
      }, py::arg("beta"), py::arg("tolerance"), py::arg("method"))
      .def("_nash_equilibrium", [](const Game& g, const std::string& selection, double tolerance) {
        if (!(tolerance > 0.0) || !std::isfinite(tolerance))
          throw InputError("tolerance", fmt::format("{} is not allowed, expected a number > 0", tolerance));
        NashSetOptions options;
        options.selection = ParseNashSelection(selection, "selection");
        options.certify_tolerance = tolerance;
        return SolveInterruptibly([&](CancelFlag cancel) {
          options.cancel = cancel;
          return SolveGameNash(g, options);
        });
      }, py::arg("selection"), py::arg("tolerance"))
      .def("__repr__", [](const Game& g) {
        return fmt::format("nlhf.Game('{}', reference='{}', n={})", g.game_spec(), g.reference_spec(), g.n());
      });

  m.def("_game", &GameFromSpec, py::arg("spec"), py::arg("params"), py::arg("storage"), py::arg("reference"),
        py::arg("mu"), py::arg("seed"));
  m.def("_game_from_matrix", &GameFromMatrix, py::arg("P"), py::arg("mu"), py::arg("reference"), py::arg("seed"));

  py::class_<GameEquilibrium, std::shared_ptr<GameEquilibrium>>(m, "Equilibrium",
      "The certified regularized equilibrium pi*_beta (Newton-Krylov with a certificate gap_beta(pi*) <= tolerance).")
      .def_readonly("beta", &GameEquilibrium::beta)
      .def_readonly("game", &GameEquilibrium::game, "The game it belongs to (its spec strings).")
      .def_property_readonly("pi", [](py::object self) { return View(self.cast<const GameEquilibrium&>().pi, self); }, "pi* (read-only view).")
      .def_property_readonly("log_pi", [](py::object self) { return View(self.cast<const GameEquilibrium&>().log_pi, self); }, "log pi*, normalized (read-only view).")
      .def_property_readonly("certified", &GameEquilibrium::certified)
      .def_readonly("certificate", &GameEquilibrium::certificate, "gap_beta(pi*), recomputed with the game's P.")
      .def_readonly("method", &GameEquilibrium::method)
      .def_readonly("message", &GameEquilibrium::message)
      .def_readonly("newton_iterations", &GameEquilibrium::newton_iterations)
      .def_property_readonly("rho", [](const GameEquilibrium& e) -> std::optional<double> {
        return e.stability ? std::optional(e.stability->rho) : std::nullopt;
      }, "The spectral radius of A D(pi*): what every method's stability limit depends on (None if not certified).")
      .def_property_readonly("stability_limits", [](const GameEquilibrium& e) -> py::object {
        if (!e.stability) return py::none();
        return LimitsList(*e.stability);
      }, "Each method's largest stable step at this game (in its own step convention) and, where known, its best step.")
      .def("__repr__", [](const GameEquilibrium& e) {
        return fmt::format("<nlhf.Equilibrium beta={} {}: {}>", e.beta, e.certified() ? "certified" : "NOT certified", e.message);
      });

  py::class_<GameNash, std::shared_ptr<GameNash>>(m, "NashEquilibrium",
      "The certified Nash equilibrium of the beta = 0 game (linear programs by COIN-OR CLP), the selected point of its Nash set.")
      .def_readonly("game", &GameNash::game, "The game it belongs to (its spec strings).")
      .def_property_readonly("pi", [](py::object self) { return View(self.cast<const GameNash&>().pi, self); })
      .def_property_readonly("log_pi", [](py::object self) { return View(self.cast<const GameNash&>().log_pi, self); }, "-inf off the support.")
      .def_readonly("certified", &GameNash::certified)
      .def_property_readonly("selection", [](const GameNash& e) { return std::string(NashSelectionName(e.selection)); })
      .def_property_readonly("support", [](const GameNash& e) { return std::vector<Eigen::Index>(e.support); },
                             "The actions some equilibrium plays.")
      .def_readonly("dimension", &GameNash::dimension, "The Nash set's dimension (0: the equilibrium is unique).")
      .def_property_readonly("unique", &GameNash::unique)
      .def_readonly("certificate", &GameNash::certificate, "gap_0(pi), recomputed in double.")
      .def_readonly("support_bound", &GameNash::support_bound)
      .def_readonly("value", &GameNash::value)
      .def_readonly("lp_status", &GameNash::lp_status)
      .def_readonly("message", &GameNash::message)
      .def("__repr__", [](const GameNash& e) {
        return fmt::format("<nlhf.NashEquilibrium {}: {}>", e.certified ? "certified" : "NOT certified", e.message);
      });

  m.def("_metrics", [](const Game& g, double beta, const py::handle& policy, bool is_logits,
                       const std::shared_ptr<GameEquilibrium>& star, const std::shared_ptr<GameNash>& ne,
                       const std::vector<std::string>& which) {
    CheckBeta(beta);
    const Eigen::VectorXd logits = PolicyLogits(policy, is_logits, g.n());
    std::vector<Metric> metrics;
    for (const std::string& name : which) metrics.push_back(MetricByName(name, "which"));
    if (star) {
      CheckEquilibriumOf(*star, g, beta, "star");
      if (!star->certified()) throw InputError("star", "was not certified, expected a certified pi*");
    }
    if (ne) {
      CheckNashOf(*ne, g, "ne");
      if (!ne->certified) throw InputError("ne", "was not certified, expected a certified Nash equilibrium");
    }
    // pi* is pi*_beta, and at beta = 0 the selected Nash equilibrium (as in nlhf-run).
    const Eigen::VectorXd empty;
    const Eigen::VectorXd& log_pi_star = star ? star->log_pi : beta == 0.0 && ne ? ne->log_pi : empty;
    const Eigen::VectorXd& log_pi_ne = ne ? ne->log_pi : empty;
    const MetricMask mask = ComputedMetrics(beta, log_pi_star.size() != 0, metrics, log_pi_ne.size() != 0);
    for (const Metric metric : metrics)
      if (!mask[static_cast<size_t>(metric)]) {
        const MetricInfo& info = MetricTable()[static_cast<size_t>(metric)];
        const std::string problem = MetricUnavailable(metric, beta, EquilibriumMode::kCertified, false);
        throw InputError("which", fmt::format("'{}' {}", info.name,
                                              !problem.empty() ? problem
                                              : info.needs_ne  ? "needs the beta = 0 equilibrium, expected ne=game.nash_equilibrium()"
                                                               : "needs pi*, expected star=game.equilibrium(beta)"));
      }
    PolicyPoint workspace;
    const MetricValues values = EvaluateMetrics(g, beta, logits, log_pi_star, mask, workspace, log_pi_ne);
    py::dict out;
    for (size_t k = 0; k < kNumMetrics; ++k) {
      if (!mask[k]) continue;
      // +inf is a value (a KL to a policy with zeros); NaN is a failure.
      if (std::isnan(values[k])) throw NumericalFailure(fmt::format("{} is NaN for this policy", MetricTable()[k].name));
      out[py::str(std::string(MetricTable()[k].name))] = values[k];
    }
    return out;
  }, py::arg("game"), py::arg("beta"), py::arg("policy"), py::arg("is_logits"), py::arg("star").none(true),
     py::arg("ne").none(true), py::arg("which"));

  m.def("stability_limits", [](double beta, double rho) {
    CheckBeta(beta);
    if (beta == 0.0) throw InputError("beta", "0 has no stability limits (no method regularizes there), expected beta > 0");
    CheckRho(rho);
    return LimitsList(ComputeStabilityLimits(beta, rho));
  }, py::arg("beta"), py::arg("rho"),
     "Each method's largest stable step (and best step, where known) at strength beta for a game with spectral radius rho.");
}

}  // namespace nlhf::python
