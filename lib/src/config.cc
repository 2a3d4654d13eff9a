#include "nlhf/config.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <string>

#include "config_tree.h"
#include "nlhf/input_file.h"
#include "nlhf/metrics.h"
#include "run_option_table.h"
#include "nlhf/rng.h"
#include "nlhf/sha256.h"
#include "nlhf/solver.h"
#include "nlhf/spec.h"
#include "yaml_emitter.h"
#include "yaml_tree.h"

namespace nlhf {

bool ExperimentConfig::SolvesNash() const {
  if (equilibrium != EquilibriumMode::kCertified) return false;
  if (beta == 0.0) return true;
  return std::find(log.metrics.begin(), log.metrics.end(), Metric::kKlToNe) != log.metrics.end() ||
         std::any_of(stop.tolerances.begin(), stop.tolerances.end(),
                     [](const auto& t) { return t.first == Metric::kKlToNe; });
}

bool ExperimentConfig::AnySampled() const {
  return std::any_of(solvers.begin(), solvers.end(), [](const ComponentConfig& c) { return !c.oracle.exact(); });
}

SourceLocation ExperimentConfig::Locate(const std::string& key) const {
  std::string k = key;
  while (!k.empty()) {
    if (auto it = locations.find(k); it != locations.end()) return it->second;
    const size_t cut = k.find_last_of(".[");
    if (cut == std::string::npos) break;
    k = k.substr(0, cut);
  }
  return SourceLocation{source};
}

namespace {

const std::vector<std::string> kTopKeys = {"name",    "game", "reference", "beta", "equilibrium", "ne_selection",
                                           "seeds",   "solvers", "stop", "log", "output", "nlhf"};

// "mwu and omwu": the solvers whose traits allow beta = 0, for messages.
std::string BetaZeroSolverText() {
  const std::vector<std::string> names = BetaZeroSolvers();
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += (i + 1 == names.size()) ? " and " : ", ";
    out += names[i];
  }
  return out.empty() ? "no solver" : out;
}

// Why beta = 0 is refused for `solver` (named as the input names it: "solvers[1] = nash_mp").
std::string BetaZeroRefusal(const std::string& solver) {
  return fmt::format("0 is not allowed with {} (it regularizes toward mu), expected beta > 0, or only {}", solver,
                     BetaZeroSolverText());
}

// Tables for the scalar keys outside the registries, so they get the same checks and messages.

// A string key that is one of two words, the first its default.
ParamSpec ChoiceSpec(const char* key, const char* first, const char* second) {
  const std::string allowed = fmt::format("{} or {}", first, second);
  return ParamSpec::String(key, first, "").Check(
      [first = std::string(first), second = std::string(second), allowed](const ParamValue& v) -> std::string {
        const std::string& word = std::get<std::string>(v);
        return word == first || word == second ? "" : "is not allowed, expected " + allowed;
      },
      allowed);
}

ParamSpec BetaSpec() {
  return ParamSpec::Double("beta", 0.01, "regularization strength")
      .AtLeast(0)
      .AllowedDoc(fmt::format("0 ({} only) or a number in [{:g}, {:g}]", BetaZeroSolverText(), kMinBeta, kMaxBeta))
      .Check(
          [](const ParamValue& v) -> std::string {
            const double beta = std::get<double>(v);
            const std::string allowed =
                fmt::format("expected 0 ({} only) or a beta in [{:g}, {:g}]", BetaZeroSolverText(), kMinBeta, kMaxBeta);
            if (beta > 0.0 && beta < kMinBeta)
              return fmt::format("is below the smallest supported beta {:g} (pi*_beta can no longer be certified in "
                                 "double precision), {}",
                                 kMinBeta, allowed);
            if (beta > kMaxBeta)
              return fmt::format("is above the largest supported beta {:g} (pi*_beta equals mu to machine "
                                 "precision and gap_beta is rounding noise), {}",
                                 kMaxBeta, allowed);
            return "";
          },
          "");
}
// A solver label: printable text without commas or quotes (it is a CSV cell and a table entry).
ParamSpec LabelSpec() {
  return ParamSpec::String("label", "", "the solver entry's name in outputs")
      .Check(
          [](const ParamValue& v) {
            const std::string& s = std::get<std::string>(v);
            if (s.empty()) return "is empty, expected a non-empty label";
            // EscapeControl changes only control characters and bytes that are not valid UTF-8 (which
            // summary.json and the resolved config would write as U+FFFD, and trace.csv raw).
            if (s.find('"') != std::string::npos || EscapeControl(s) != s)
              return "holds a control character, a quote or bytes that are not UTF-8, expected printable UTF-8 text";
            return "";
          },
          "printable text");
}

// The keys of a solver entry's `oracle:` map.
std::vector<ParamSpec> OracleSpecs() {
  return {ParamSpec::String("type", "exact", "how the solver gets P pi")
              .Check(
                  [](const ParamValue& v) -> std::string {
                    return ParseOracleType(std::get<std::string>(v)) ? ""
                                                                     : "is not an oracle type, expected " + OracleTypeNames();
                  },
                  OracleTypeNames()),
          ParamSpec::Int("batch", 64, "queries per estimate of P pi (each solver's description says how many estimates an iteration makes)").Range(1, 1e9),
          ParamSpec::String("sampler", "iterate", "the policy y is drawn from")
              .Check(
                  [](const ParamValue& v) -> std::string {
                    return ParseOracleSampler(std::get<std::string>(v)) ? ""
                                                                        : "is not a sampler, expected " + OracleSamplerNames();
                  },
                  OracleSamplerNames())};
}

std::vector<std::string> MetricNames() {
  std::vector<std::string> names;
  for (const MetricInfo& m : MetricTable()) names.emplace_back(m.name);
  return names;
}

class Reader {
 public:
  Reader(const yaml::Origins& origins, ExperimentConfig& config) : origins_(origins), config_(config) {}

  SourceLocation Where(const YAML::Node& n) const { return origins_.Where(n); }
  void Note(const YAML::Node& n, const std::string& key) { config_.locations[key] = Where(n); }
  void Error(const YAML::Node& n, const std::string& key, const std::string& problem) {
    errors_.emplace_back(Where(n), key, problem);
  }
  void Error(const InputError& e, const YAML::Node& n) { errors_.emplace_back(Where(n), e.key(), e.problem()); }
  std::vector<InputError>& errors() { return errors_; }
  // A required key that is absent, unless an unknown key was taken for a misspelling of it (`betta:`
  // is reported once, as "did you mean 'beta'?", not again as beta missing).
  void Missing(const YAML::Node& n, const std::string& key, const std::string& expected) {
    if (guessed_.count(key) == 0) Error(n, key, "is missing, expected " + expected);
  }

  static std::string Join(const std::string& prefix, const std::string& key) {
    return prefix.empty() ? key : prefix + "." + key;
  }

  // A map whose keys are all in `allowed`; reports unknown keys. False if `n` is not a map.
  // `unlisted`: keys that pass here but are not listed as valid (a later check refuses them with a
  // reason of their own); a misspelling of one is still guessed.
  bool CheckMap(const YAML::Node& n, const std::string& key, const std::vector<std::string>& allowed,
                const std::vector<std::string>& unlisted = {}) {
    if (!n.IsMap()) {
      Error(n, key, fmt::format("{}, expected a map with keys {}", Describe(n), JoinNames(allowed)));
      return false;
    }
    for (const auto& kv : n) {
      const std::string k = kv.first.Scalar();
      if (std::find(allowed.begin(), allowed.end(), k) == allowed.end() &&
          std::find(unlisted.begin(), unlisted.end(), k) == unlisted.end()) {
        std::string problem = "unknown key '" + k + "'";
        std::vector<std::string> known = allowed;
        known.insert(known.end(), unlisted.begin(), unlisted.end());
        const std::string guess = DidYouMean(k, known);
        if (!guess.empty()) {
          problem += " (did you mean '" + guess + "'?)";
          guessed_.insert(Join(key, guess));
        }
        Error(kv.first, Join(key, k), problem + ", valid: " + JoinNames(allowed));
      }
    }
    return true;
  }

  // A value of spec's type from a YAML node; nullopt after reporting an error.
  std::optional<ParamValue> Value(const YAML::Node& n, const ParamSpec& spec, const std::string& key) {
    Note(n, key);
    try {
      if (spec.type == ParamType::kDoubleList) {
        if (!n.IsSequence()) {
          Error(n, key, fmt::format("{}, expected {}", Describe(n), spec.AllowedText()));
          return std::nullopt;
        }
        std::vector<double> list;
        for (size_t i = 0; i < n.size(); ++i) {
          const ParamValue v = ParseParamValue(ParamSpec::Double(spec.name, 0.0, ""), Scalar(n[i], key), key);
          list.push_back(std::get<double>(v));
        }
        ParamValue value = std::move(list);
        CheckParamValue(spec, value, key);
        return value;
      }
      if (n.IsNull()) throw InputError(key, "is empty, expected " + spec.AllowedText());
      return ParseParamValue(spec, Scalar(n, key), key);
    } catch (const InputError& e) {
      Error(e, n);
      return std::nullopt;
    }
  }

  // Reads `n[k]` for every spec present in map `n` into `given` (typed; defaults are not filled).
  void Params(const YAML::Node& n, const std::string& prefix, const std::vector<ParamSpec>& specs,
              const std::vector<std::string>& skip, GivenParams& given) {
    std::vector<std::string> allowed = skip;
    for (const ParamSpec& s : specs) allowed.push_back(s.name);
    if (!CheckMap(n, prefix, allowed)) return;
    for (const ParamSpec& s : specs) {
      if (!n[s.name]) continue;
      if (auto v = Value(n[s.name], s, Join(prefix, s.name))) given.emplace_back(s.name, *v);
    }
  }

 private:
  static std::string Describe(const YAML::Node& n) {
    if (n.IsNull()) return "is empty";
    if (n.IsScalar()) return "'" + n.Scalar() + "' is a single value";
    if (n.IsSequence()) return "is a list";
    return "is a map";
  }
  std::string Scalar(const YAML::Node& n, const std::string& key) {
    if (n.IsScalar()) return n.Scalar();
    throw InputError(key, Describe(n) + ", expected a single value");
  }

  const yaml::Origins& origins_;
  ExperimentConfig& config_;
  std::vector<InputError> errors_;
  std::set<std::string> guessed_;  // keys an unknown key was taken for (CheckMap's "did you mean")
};

template <class Registry>
void ReadComponent(Reader& r, const YAML::Node& n, const std::string& key, const Registry& registry,
                   const std::string& name_key, ComponentConfig& out, std::vector<std::string> extra_keys = {}) {
  r.Note(n, key);
  if (!n.IsMap()) {
    r.Error(n, key, fmt::format("is not a map, expected {{{}: NAME, ...parameters}}", name_key));
    return;
  }
  const YAML::Node name = n[name_key];
  if (!name || !name.IsScalar()) {
    r.Error(n, key + "." + name_key, "is missing, expected one of " + JoinNames(registry.Names()));
    return;
  }
  r.Note(name, key + "." + name_key);
  const auto* entry = registry.TryFind(name.Scalar());
  if (entry == nullptr) {
    try {
      registry.Find(name.Scalar(), key + "." + name_key);
    } catch (const InputError& e) {
      r.Error(e, name);
    }
    return;
  }
  out.name = entry->name;
  extra_keys.push_back(name_key);
  r.Params(n, key, entry->params, extra_keys, out.params);
}

// Absolute and normalized, so that config.resolved.yaml reproduces the run from any directory.
std::string ResolvePath(const std::string& path, const std::string& base_dir) {
  if (path.empty()) return path;
  std::filesystem::path p(path);
  if (!p.is_absolute()) p = std::filesystem::path(base_dir) / p;
  return std::filesystem::absolute(p).lexically_normal().string();
}

// Resolves the component's `path` and hashes the file it names into config.inputs, checking a
// recorded `sha256:` (`recorded`, with its node for the message).
void ResolveInput(Reader& r, ComponentConfig& c, const std::string& key, const std::string& base_dir,
                  const YAML::Node& component, const YAML::Node& recorded, InputHashCache& hashes,
                  ExperimentConfig& config) {
  for (auto& [k, v] : c.params) {
    if (k != "path") continue;
    const std::string path_key = key + ".path";
    if (std::get<std::string>(v).empty()) {  // OpenInputFile's words, at the key
      r.Error(component["path"], path_key, std::string("the path is empty, expected ") + ExpectedInputFile(path_key));
      return;
    }
    const std::string path = ResolvePath(std::get<std::string>(v), base_dir);
    v = path;
    // A file that cannot be opened or read is reported at the key that names it (the place to fix),
    // with the path it resolved to: `exp.yaml:3:9: game.path: /abs/P.csv: cannot open the file (...)`.
    auto at_key = [&](const InputError& e) {
      r.Error(component["path"], path_key, fmt::format("{}: {}", path, e.problem()));
    };
    // With other errors, only whether the file can be opened (its problem reported with them): the
    // content is hashed, a read of up to the size limit, once the keys are valid.
    if (!r.errors().empty()) {
      try {
        OpenInputFile(path, path_key, ExpectedInputFile(path_key), kMaxCsvBytes);
      } catch (const InputError& e) {
        at_key(e);
      }
      return;
    }
    auto it = hashes.sha256.find(path);
    if (it == hashes.sha256.end()) {
      try {
        it = hashes.sha256
                 .emplace(path,
                          HashInputFile(path, path_key, ExpectedInputFile(path_key), kMaxCsvBytes))
                 .first;
      } catch (const InputError& e) {
        at_key(e);
        return;
      }
    }
    if (recorded && recorded.IsScalar() && recorded.Scalar() != it->second) {
      r.Error(recorded, key + ".sha256",
              fmt::format("{} has changed since it was recorded: its SHA-256 is now {} but the experiment records {}, "
                          "expected the same file content (or remove sha256: to accept the new content)",
                          path, it->second, recorded.Scalar()));
    }
    config.inputs.push_back(InputFile{key + ".path", path, it->second});
  }
}

// A component's recorded content hash: `sha256: HEX` (64 lowercase hex digits), allowed next to a
// `path`. Returns the node, or a null node after reporting a malformed value.
YAML::Node RecordedHash(Reader& r, const YAML::Node& component, const std::string& key) {
  if (!component.IsMap() || !component["sha256"]) return YAML::Node();
  const YAML::Node h = component["sha256"];
  const std::string text = h.IsScalar() ? h.Scalar() : "";
  const bool ok = text.size() == 64 && text.find_first_not_of("0123456789abcdef") == std::string::npos;
  if (!ok) {
    r.Error(h, key + ".sha256", "is not a SHA-256 digest, expected 64 lowercase hex digits");
    return YAML::Node();
  }
  return h;
}

// The game-level `storage:` key: a storage name, available for the game's generator (ResolveStorage).
void ReadStorage(Reader& r, const YAML::Node& node, ComponentConfig& game) {
  const ParamSpec spec =
      ParamSpec::String("storage", "auto", "how P is held")
          .Check(
              [](const ParamValue& v) -> std::string {
                return ParseGameStorage(std::get<std::string>(v))
                           ? ""
                           : fmt::format("is not a storage, expected {}", kGameStorageNames);
              },
              std::string(kGameStorageNames));
  const std::optional<ParamValue> v = r.Value(node, spec, "game.storage");
  const auto* entry = GameRegistry().TryFind(game.name);
  if (!v || entry == nullptr) return;  // reported already (a bad value, an unknown generator)
  const GameStorage asked = *ParseGameStorage(std::get<std::string>(*v));
  try {
    const GameStorage used = ResolveStorage(*entry, asked, "game.storage");
    game.storage = used == ResolveStorage(*entry, GameStorage::kAuto) ? GameStorage::kAuto : used;
  } catch (const InputError& e) {
    r.Error(e, node);
  }
}

// True when the registry entry takes a `path` (then `sha256` is allowed next to it).
template <class Registry>
bool TakesPath(const Registry& registry, const YAML::Node& n, const std::string& name_key) {
  if (!n.IsMap() || !n[name_key] || !n[name_key].IsScalar()) return false;
  const auto* entry = registry.TryFind(n[name_key].Scalar());
  if (entry == nullptr) return false;
  return std::any_of(entry->params.begin(), entry->params.end(), [](const ParamSpec& s) { return s.name == "path"; });
}

}  // namespace

ExperimentConfig ParseExperimentTree(const YAML::Node& root, const yaml::Origins& origins,
                                     const std::string& base_dir, bool sweep_file, InputHashCache& hashes) {
  ExperimentConfig config;
  const std::string& source = origins.file();
  config.source = source;
  config.solvers.clear();
  if (root.IsNull())
    throw InputError(SourceLocation{source}, "", "the file is empty, expected an experiment with keys " + JoinNames(kTopKeys));

  Reader r(origins, config);
  // A sweep file's own keys; nlhf-run refuses them below with a reason, and does not offer them.
  const std::vector<std::string> sweep_keys = {"sweep", "zip"};
  std::vector<std::string> top_keys = kTopKeys;
  if (sweep_file) top_keys.insert(top_keys.end(), sweep_keys.begin(), sweep_keys.end());
  if (!r.CheckMap(root, "", top_keys, sweep_file ? std::vector<std::string>{} : sweep_keys))
    throw InputErrors(r.errors());
  if (!sweep_file) {
    for (const char* k : {"sweep", "zip"}) {
      if (root[k]) {
        r.Error(root[k], k, "belongs to a sweep file, expected nlhf-sweep for it (nlhf-run runs one experiment)");
      }
    }
  }

  if (const YAML::Node n = root["name"]) {
    if (auto v = r.Value(n, ParamSpec::String("name", "", ""), "name")) {
      config.name = std::get<std::string>(*v);
      // Printable UTF-8 (EscapeControl leaves it as it is): the name is a CSV cell, a JSON string
      // and a directory name.
      const bool printable = EscapeControl(config.name) == config.name;
      // ("." or ".." as runs/<name> would be runs/ itself or the current directory.)
      if (config.name.empty() || config.name.find('/') != std::string::npos || !printable || config.name == "." ||
          config.name == "..")
        r.Error(n, "name", "'" + EscapeControl(config.name) + "' is not allowed, expected a non-empty name of printable "
                           "UTF-8 characters without '/', other than . and ..");
    }
  } else if (!source.empty()) {
    config.name = std::filesystem::path(source).stem().string();
  }

  YAML::Node game_hash, reference_hash;
  if (const YAML::Node n = root["game"]) {
    const bool path = TakesPath(GameRegistry(), n, "type");
    std::vector<std::string> extra = {"storage"};
    if (path) extra.push_back("sha256");
    ReadComponent(r, n, "game", GameRegistry(), "type", config.game, extra);
    if (path) game_hash = RecordedHash(r, n, "game");
    if (n.IsMap() && n["storage"]) ReadStorage(r, n["storage"], config.game);
  } else {
    r.Missing(root, "game", "{type: GENERATOR, ...} (nlhf-run --list games)");
  }
  if (const YAML::Node n = root["reference"]) {
    const bool path = TakesPath(ReferenceRegistry(), n, "type");
    ReadComponent(r, n, "reference", ReferenceRegistry(), "type", config.reference,
                  path ? std::vector<std::string>{"sha256"} : std::vector<std::string>{});
    if (path) reference_hash = RecordedHash(r, n, "reference");
  }

  if (const YAML::Node n = root["beta"]) {
    if (auto v = r.Value(n, BetaSpec(), "beta")) config.beta = std::get<double>(*v);
  } else {
    r.Missing(root, "beta", BetaSpec().AllowedText());
  }

  if (const YAML::Node n = root["equilibrium"]) {
    if (auto v = r.Value(n, ChoiceSpec("equilibrium", "certified", "none"), "equilibrium"))
      config.equilibrium = std::get<std::string>(*v) == "none" ? EquilibriumMode::kNone : EquilibriumMode::kCertified;
  }

  if (const YAML::Node n = root["ne_selection"]) {
    if (auto v = r.Value(n, ChoiceSpec("ne_selection", "kl_projection", "max_entropy"), "ne_selection"))
      config.ne_selection = ParseNashSelection(std::get<std::string>(*v), "ne_selection");
  }

  if (const YAML::Node n = root["seeds"]) {
    r.Note(n, "seeds");
    const ParamSpec seed = RunSeedSpec();
    config.seeds.clear();
    if (n.IsSequence()) {
      std::map<std::int64_t, size_t> first;  // seed -> its first index
      for (size_t i = 0; i < n.size(); ++i) {
        const std::string key = fmt::format("seeds[{}]", i);
        const std::optional<ParamValue> v = r.Value(n[i], seed, key);
        if (!v) continue;
        const std::int64_t value = std::get<std::int64_t>(*v);
        if (const auto [at, fresh] = first.emplace(value, i); !fresh) {
          // The same seed is the same run: twice, it would be two rows of one run_id.
          r.Error(n[i], key, fmt::format("{} is listed twice (also seeds[{}]), expected distinct seeds", value, at->second));
          continue;
        }
        config.seeds.push_back(value);
      }
      if (n.size() == 0) r.Error(n, "seeds", "is an empty list, expected at least one seed");
    } else if (n.IsMap() && r.CheckMap(n, "seeds", {"from", "to"})) {
      std::optional<ParamValue> from, to;
      if (n["from"]) from = r.Value(n["from"], seed, "seeds.from");
      else r.Missing(n, "seeds.from", "{from: FIRST, to: LAST}");
      if (n["to"]) to = r.Value(n["to"], seed, "seeds.to");
      else r.Missing(n, "seeds.to", "{from: FIRST, to: LAST}");
      if (from && to) {
        const auto a = std::get<std::int64_t>(*from), b = std::get<std::int64_t>(*to);
        if (b < a) r.Error(n["to"], "seeds.to", fmt::format("{} is below from = {}, expected to >= from", b, a));
        else if (b - a >= 1000000) r.Error(n, "seeds", fmt::format("has {} seeds, expected at most 1000000", b - a + 1));
        else for (auto s = a; s <= b; ++s) config.seeds.push_back(static_cast<std::uint64_t>(s));
      }
    } else if (!n.IsMap()) {
      r.Error(n, "seeds", "is not a list, expected [0, 1, 2] or {from: 0, to: 9}");
    }
  }

  if (const YAML::Node n = root["solvers"]) {
    r.Note(n, "solvers");
    if (!n.IsSequence() || n.size() == 0) {
      r.Error(n, "solvers", "is not a non-empty list, expected - {name: SOLVER, ...} (nlhf-run --list solvers)");
    } else {
      std::map<std::string, std::string> label_owner;  // label -> the key of the entry that has it
      for (size_t i = 0; i < n.size(); ++i) {
        ComponentConfig c;
        const std::string key = fmt::format("solvers[{}]", i);
        const size_t errors_before_entry = r.errors().size();
        ReadComponent(r, n[i], key, SolverRegistry(), "name", c, {"label", "oracle"});
        if (c.name.empty()) continue;
        if (const YAML::Node o = n[i]["oracle"]) {
          r.Note(o, key + ".oracle");
          GivenParams given;
          const size_t before = r.errors().size();
          r.Params(o, key + ".oracle", OracleSpecs(), {}, given);
          for (const auto& [k, v] : given) {
            if (k == "batch") c.oracle.batch = std::get<std::int64_t>(v);
            // The values passed the specs' checks, so they parse.
            if (k == "type") c.oracle.type = *ParseOracleType(std::get<std::string>(v));
            if (k == "sampler") c.oracle.sampler = *ParseOracleSampler(std::get<std::string>(v));
          }
          if (r.errors().size() == before && !c.oracle.exact() && !AcceptsOracle(c.name))
            r.Error(o["type"] ? o["type"] : o, key + ".oracle.type", OracleRefusal(c.oracle.type, c.name));
          // batch or sampler without a type would silently run the exact oracle they do not apply to.
          if (r.errors().size() == before && o.IsMap() && !o["type"] && (o["batch"] || o["sampler"]))
            r.Error(o, key + ".oracle.type", OracleTypeMissing(o["batch"] ? "batch" : "sampler"));
        }
        if (const YAML::Node l = n[i]["label"]) {
          if (auto v = r.Value(l, LabelSpec(), key + ".label")) c.label = std::get<std::string>(*v);
        } else {
          c.label = DefaultLabel(c);
        }
        // An entry already in error (a value that did not parse took its default) gets no label
        // clash on top: that would be a consequence, not a second mistake.
        if (!c.label.empty() && r.errors().size() == errors_before_entry) {
          auto [it, fresh] = label_owner.emplace(c.label, key);
          if (!fresh)
            r.Error(n[i]["label"] ? n[i]["label"] : n[i], key + ".label",
                    fmt::format("'{}' is already the label of {}, expected labels unique within an experiment "
                                "(add label: NAME to one of them)",
                                c.label, it->second));
        }
        config.solvers.push_back(std::move(c));
      }
    }
  } else {
    r.Missing(root, "solvers", "a list like - {name: nash_mp} (nlhf-run --list solvers)");
  }

  if (const YAML::Node n = root["stop"]) {
    r.Note(n, "stop");
    GivenParams given;
    r.Params(n, "stop", OptionSpecs(StopOptionRows()), {"tolerance"}, given);
    for (const auto& [k, v] : given) FindOptionRow(StopOptionRows(), k)->set(config.stop, v);
    if (n.IsMap() && n["tolerance"]) {
      const YAML::Node t = n["tolerance"];
      r.Note(t, "stop.tolerance");
      if (r.CheckMap(t, "stop.tolerance", MetricNames())) {
        for (const MetricInfo& m : MetricTable()) {
          if (!t[std::string(m.name)]) continue;
          const std::string key = "stop.tolerance." + std::string(m.name);
          if (auto v = r.Value(t[std::string(m.name)], ToleranceSpec(std::string(m.name)), key))
            config.stop.tolerances.emplace_back(m.id, std::get<double>(*v));
        }
      }
    }
  }

  if (const YAML::Node n = root["log"]) {
    r.Note(n, "log");
    GivenParams given;
    r.Params(n, "log", OptionSpecs(LogOptionRows()), {"metrics"}, given);
    for (const auto& [k, v] : given) FindOptionRow(LogOptionRows(), k)->set(config.log, v);
    // A key the spacing does not read would be silently ignored. (The resolved config writes all
    // three, the unused one at its default, which is accepted.)
    if (const std::string problem = UnusedEveryProblem(config.log); n.IsMap() && n["every"] && !problem.empty())
      r.Error(n["every"], "log.every", problem);
    if (const std::string problem = UnusedPointsPerDecadeProblem(config.log);
        n.IsMap() && n["points_per_decade"] && !problem.empty())
      r.Error(n["points_per_decade"], "log.points_per_decade", problem);
    if (n.IsMap() && n["metrics"]) {
      const YAML::Node m = n["metrics"];
      r.Note(m, "log.metrics");
      if (!m.IsSequence()) {
        r.Error(m, "log.metrics", "is not a list, expected a list of " + JoinNames(MetricNames()));
      } else if (m.size() == 0) {
        r.Error(m, "log.metrics", "is empty, expected at least one of " + JoinNames(MetricNames()) +
                                      " (or no log.metrics key for the default set)");
      } else {
        for (size_t i = 0; i < m.size(); ++i) {
          const std::string name = m[i].IsScalar() ? m[i].Scalar() : "";
          const auto& table = MetricTable();
          auto it = std::find_if(table.begin(), table.end(), [&](const MetricInfo& x) { return x.name == name; });
          if (it == table.end()) {
            std::string problem = "'" + name + "' is not a metric";
            problem += DidYouMeanSuffix(name, MetricNames());
            r.Error(m[i], fmt::format("log.metrics[{}]", i), problem + ", valid: " + JoinNames(MetricNames()));
          } else if (std::find(config.log.metrics.begin(), config.log.metrics.end(), it->id) !=
                     config.log.metrics.end()) {
            r.Error(m[i], fmt::format("log.metrics[{}]", i),
                    fmt::format("'{}' is listed twice, expected each metric once", name));
          } else {
            config.log.metrics.push_back(it->id);
          }
        }
      }
    }
  }

  if (const YAML::Node n = root["output"]) {
    const ParamSpec output = ParamSpec::String("output", "", "").Check(
        [](const ParamValue& v) {
          return std::get<std::string>(v).empty() ? "is empty, expected a directory (or no output key for runs/<name>)"
                                                  : "";
        },
        "a directory");
    if (auto v = r.Value(n, output, "output")) config.output = std::get<std::string>(*v);
  }

  // Cross-key checks.
  if (config.beta == 0.0) {
    for (size_t i = 0; i < config.solvers.size(); ++i) {
      const std::string& s = config.solvers[i].name;
      const auto* entry = SolverRegistry().TryFind(s);  // an unknown name is already an error
      if (entry != nullptr && !entry->traits.allows_beta_zero) {
        r.Error(root["beta"], "beta", BetaZeroRefusal(fmt::format("solvers[{}] = {}", i, s)));
        break;
      }
    }
  }
  for (const auto& [metric, value] : config.stop.tolerances) {
    const std::string problem = MetricUnavailable(metric, config.beta, config.equilibrium, true);
    const std::string name(MetricTable()[static_cast<size_t>(metric)].name);
    if (!problem.empty()) r.Error(root["stop"]["tolerance"][name], "stop.tolerance." + name, problem);
  }
  for (size_t i = 0; i < config.log.metrics.size(); ++i) {
    const Metric metric = config.log.metrics[i];
    const std::string problem = MetricUnavailable(metric, config.beta, config.equilibrium, false);
    if (!problem.empty())
      r.Error(root["log"]["metrics"][i], fmt::format("log.metrics[{}]", i),
              fmt::format("'{}' {}", MetricTable()[static_cast<size_t>(metric)].name, problem));
  }

  // Not when a solver entry is already in error (a misspelled oracle key or type reads as exact):
  // the budget is then a consequence, not a second mistake.
  const bool solver_errors = std::any_of(r.errors().begin(), r.errors().end(),
                                         [](const InputError& e) { return e.key().rfind("solvers", 0) == 0; });
  if (config.stop.queries > 0 && !config.AnySampled() && !solver_errors)
    r.Error(root["stop"]["queries"], "stop.queries",
            fmt::format("{} can never be reached: no solver makes preference queries (every solver uses the exact "
                        "oracle), expected 0, or a solver with oracle: {{type: sampled}} or {{type: pairs}}",
                        config.stop.queries));

  // Input files last: each is checked (a regular file of bounded size) and hashed before anything
  // opens it for its content. Also when other keys are in error, so that a missing file is reported
  // with them (a `path` that was itself refused is not here, and is not looked at again).
  ResolveInput(r, config.game, "game", base_dir, root["game"], game_hash, hashes, config);
  ResolveInput(r, config.reference, "reference", base_dir, root["reference"], reference_hash, hashes, config);
  if (!r.errors().empty()) throw InputErrors(r.errors());
  return config;
}

ExperimentConfig ParseExperiment(const std::string& text, const std::string& source,
                                 const std::vector<std::string>& sets, const std::string& base_dir, bool sweep_file) {
  yaml::Origins origins(source);
  YAML::Node root = yaml::LoadDocument(text, SourceLocation{source}, true);
  origins.PlaceEmptyValuesAtKeys(root);
  root.reset(yaml::ApplySets(root, sets, origins));  // (reset: a Node's = writes through to its node)
  InputHashCache hashes;
  return ParseExperimentTree(root, origins, base_dir, sweep_file, hashes);
}

ExperimentConfig LoadExperiment(const std::string& path, const std::vector<std::string>& sets) {
  const std::string text = ReadInputFile(path, "", "an experiment YAML file", kMaxYamlBytes);
  const std::string base = std::filesystem::path(path).parent_path().string();
  return ParseExperiment(text, path, sets, base);
}

std::string DefaultLabel(const ComponentConfig& solver) {
  ParamMap given;
  for (const auto& [k, v] : solver.params) given.Set(k, v);
  std::string label = FormatSpec(solver.name, given);
  if (!solver.oracle.exact()) label += " " + solver.oracle.Spec();
  return label;
}

namespace {

void EmitValue(yaml::Emitter& out, const ParamValue& v) {
  if (const auto* list = std::get_if<std::vector<double>>(&v)) {
    out << YAML::Flow << YAML::BeginSeq;
    for (double x : *list) out << fmt::format("{}", x);
    out << YAML::EndSeq;
  } else {
    out << FormatParamValue(v);
  }
}

// A stop: or log: map's scalar keys, every one at its value (defaults included), in table order.
template <class Options>
void EmitOptionRows(yaml::Emitter& out, const std::vector<OptionRow<Options>>& rows, const Options& options) {
  for (const OptionRow<Options>& row : rows) {
    out << YAML::Key << row.spec.name << YAML::Value;
    EmitValue(out, row.get(options));
  }
}

// All table parameters: given ones, else defaults; parameters without a default (seed follows the
// run seed, steps depend on beta) stay out unless given.
// With `fingerprint`, a `path` is left out (the content hash identifies the file, wherever it is).
// With `as_written`, only the parameters given and no label (ResolvedYaml's as_written).
void EmitComponent(yaml::Emitter& out, const std::string& name_key, const ComponentConfig& c,
                   const std::vector<ParamSpec>& specs, const std::string& key, const std::vector<InputFile>& inputs,
                   bool fingerprint, bool as_written = false) {
  out << YAML::Flow << YAML::BeginMap << YAML::Key << name_key << YAML::Value << c.name;
  // Explicit (but as_written): the default label is the entry as written, which the resolved entry
  // is not.
  if (!c.label.empty() && !as_written) out << YAML::Key << "label" << YAML::Value << YAML::DoubleQuoted << c.label;
  for (const ParamSpec& s : specs) {
    auto it = std::find_if(c.params.begin(), c.params.end(), [&](const auto& kv) { return kv.first == s.name; });
    if (fingerprint && s.name == "path") continue;
    if (it != c.params.end()) {
      out << YAML::Key << s.name << YAML::Value;
      EmitValue(out, it->second);
    } else if (s.default_value && !as_written) {
      out << YAML::Key << s.name << YAML::Value;
      EmitValue(out, *s.default_value);
    }
  }
  if (c.storage != GameStorage::kAuto)
    out << YAML::Key << "storage" << YAML::Value << std::string(GameStorageName(c.storage));
  for (const InputFile& f : inputs)
    if (f.key == key + ".path") out << YAML::Key << "sha256" << YAML::Value << f.sha256;
  if (!c.oracle.exact()) {
    out << YAML::Key << "oracle" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key << "type" << YAML::Value
        << std::string(OracleTypeName(c.oracle.type)) << YAML::Key << "batch" << YAML::Value << c.oracle.batch
        << YAML::Key << "sampler" << YAML::Value << std::string(OracleSamplerName(c.oracle.sampler)) << YAML::EndMap;
  }
  out << YAML::EndMap;
}

std::string Emit(const ExperimentConfig& c, bool fingerprint, const std::vector<bool>& as_written = {},
                 bool metrics_as_written = false, const std::vector<BuildTasks>& reused = {}) {
  yaml::Emitter out;  // yaml-cpp's text, each scalar's form asked once (yaml_emitter.h)
  out << YAML::BeginMap;
  if (!fingerprint) {
    // One line, but for a sweep that reused other builds' tasks: then one line for each of them.
    const Build now = ThisBuild();
    out << YAML::Key << "nlhf" << YAML::Value;
    if (reused.empty()) out << YAML::Flow;
    out << YAML::BeginMap << YAML::Key << "version" << YAML::Value << now.version << YAML::Key << "git_commit"
        << YAML::Value << now.git_commit;
    if (!reused.empty()) {
      out << YAML::Key << "reused" << YAML::Value << YAML::BeginSeq;
      for (const BuildTasks& b : reused)
        out << YAML::Flow << YAML::BeginMap << YAML::Key << "version" << YAML::Value << b.build.version << YAML::Key
            << "git_commit" << YAML::Value << b.build.git_commit << YAML::Key << "tasks" << YAML::Value << b.tasks
            << YAML::EndMap;
      out << YAML::EndSeq;
    }
    out << YAML::EndMap;
  }
  out << YAML::Key << "name" << YAML::Value << c.name;
  out << YAML::Key << "game" << YAML::Value;
  EmitComponent(out, "type", c.game, GameRegistry().Find(c.game.name, "game.type").params, "game", c.inputs,
                fingerprint);
  out << YAML::Key << "reference" << YAML::Value;
  EmitComponent(out, "type", c.reference, ReferenceRegistry().Find(c.reference.name, "reference.type").params,
                "reference", c.inputs, fingerprint);
  out << YAML::Key << "beta" << YAML::Value << fmt::format("{}", c.beta);
  if (!fingerprint || c.equilibrium == EquilibriumMode::kNone)
    out << YAML::Key << "equilibrium" << YAML::Value
        << (c.equilibrium == EquilibriumMode::kNone ? "none" : "certified");
  if (c.SolvesNash()) out << YAML::Key << "ne_selection" << YAML::Value << std::string(NashSelectionName(c.ne_selection));
  out << YAML::Key << "seeds" << YAML::Value << YAML::Flow << YAML::BeginSeq;
  for (auto s : c.seeds) out << s;
  out << YAML::EndSeq;
  out << YAML::Key << "solvers" << YAML::Value << YAML::BeginSeq;
  for (size_t i = 0; i < c.solvers.size(); ++i)
    EmitComponent(out, "name", c.solvers[i], SolverRegistry().Find(c.solvers[i].name, "solver").params, "", {},
                  fingerprint, i < as_written.size() && as_written[i]);
  out << YAML::EndSeq;
  out << YAML::Key << "stop" << YAML::Value << YAML::BeginMap;
  EmitOptionRows(out, StopOptionRows(), c.stop);
  if (!c.stop.tolerances.empty()) {
    out << YAML::Key << "tolerance" << YAML::Value << YAML::Flow << YAML::BeginMap;
    for (const auto& [m, v] : c.stop.tolerances)
      out << YAML::Key << std::string(MetricTable()[static_cast<size_t>(m)].name) << YAML::Value << fmt::format("{}", v);
    out << YAML::EndMap;
  }
  out << YAML::EndMap;
  out << YAML::Key << "log" << YAML::Value << YAML::BeginMap;
  EmitOptionRows(out, LogOptionRows(), c.log);
  if (!metrics_as_written || !c.log.metrics.empty()) {
    out << YAML::Key << "metrics" << YAML::Value << YAML::Flow << YAML::BeginSeq;
    for (Metric m : LoggedMetrics(c)) out << std::string(MetricTable()[static_cast<size_t>(m)].name);
    out << YAML::EndSeq;
  }
  out << YAML::EndMap;
  if (!fingerprint) out << YAML::Key << "output" << YAML::Value << c.OutputDir();
  out << YAML::EndMap;
  return out.str() + "\n";
}

}  // namespace

std::string ResolvedYaml(const ExperimentConfig& config, const std::vector<bool>& as_written, bool metrics_as_written,
                         const std::vector<BuildTasks>& reused) {
  return Emit(config, false, as_written, metrics_as_written, reused);
}

std::vector<Metric> LoggedMetrics(const ExperimentConfig& config) {
  if (!config.log.metrics.empty()) return config.log.metrics;
  std::vector<Metric> metrics;
  for (const MetricInfo& m : MetricTable())
    if (DefaultMetric(m.id, config.beta) &&
        !((m.needs_star || m.needs_ne) && config.equilibrium == EquilibriumMode::kNone))
      metrics.push_back(m.id);
  return metrics;
}

std::string ExperimentFingerprint(const ExperimentConfig& config) { return Sha256Hex(Emit(config, true)); }

ParamSpec RunSeedSpec() { return ParamSpec::Int("seed", 0, "").Range(0, static_cast<double>(kMaxSeed)); }

void CheckBeta(double beta, const std::string& solver, const std::string& key) {
  CheckParamValue(BetaSpec(), beta, key);
  if (beta != 0.0 || solver.empty()) return;
  const auto* entry = SolverRegistry().TryFind(solver);
  if (entry != nullptr && !entry->traits.allows_beta_zero)
    throw InputError(key, BetaZeroRefusal(solver));
}

std::string OracleTypeMissing(std::string_view given) {
  return fmt::format("is missing (the default, exact, takes no {}), expected type: sampled or type: pairs with batch "
                     "and sampler, or type: exact",
                     given);
}

OracleConfig MakeOracleConfig(const std::vector<std::pair<std::string, std::string>>& raw, const std::string& solver,
                              const std::string& key) {
  const std::vector<ParamSpec> specs = OracleSpecs();
  const ParamMap p = ResolveParams(specs, ParseGivenParams(specs, raw, key), {}, key);
  OracleConfig oracle;
  oracle.type = *ParseOracleType(p.String("type"));
  oracle.batch = p.Int("batch");
  oracle.sampler = *ParseOracleSampler(p.String("sampler"));
  bool has_type = false;
  std::string other;
  for (const auto& [k, v] : raw) {
    has_type = has_type || k == "type";
    if (other.empty() && (k == "batch" || k == "sampler")) other = k;
  }
  if (!has_type && !other.empty()) throw InputError(key + ".type", OracleTypeMissing(other));
  if (!oracle.exact() && !AcceptsOracle(solver)) throw InputError(key + ".type", OracleRefusal(oracle.type, solver));
  return oracle;
}

std::string MetricUnavailable(Metric metric, double beta, EquilibriumMode mode, bool tolerance) {
  const MetricInfo& info = MetricTable()[static_cast<size_t>(metric)];
  // The metrics that would do, from the table: "gap_beta, exploitability, ... or kl_to_ne".
  const auto metrics_where = [](auto&& keep) {
    std::vector<std::string> names;
    for (const MetricInfo& m : MetricTable())
      if (keep(m)) names.emplace_back(m.name);
    return JoinNames(names);
  };
  if (!MetricDefinedAt(metric, beta))
    return "is not defined at beta = 0, where pi* is the selected Nash equilibrium, which may put no mass on some "
           "actions (the metric is then infinite), expected " +
           metrics_where([&](const MetricInfo& m) { return MetricDefinedAt(m.id, beta); });
  if ((info.needs_star || info.needs_ne) && mode == EquilibriumMode::kNone) {
    const char* what = info.needs_ne ? "the beta = 0 equilibrium" : "pi*_beta";
    return tolerance ? fmt::format("needs {}, which equilibrium: none does not compute, expected a tolerance on a metric "
                                   "that needs no equilibrium ({}) or equilibrium: certified",
                                   what, metrics_where([](const MetricInfo& m) { return !m.needs_star && !m.needs_ne; }))
                     : fmt::format("needs {}, which equilibrium: none does not compute, expected a metric that needs no "
                                   "equilibrium, or equilibrium: certified",
                                   what);
  }
  return "";
}

const char* ExpectedInputFile(std::string_view key) {
  return key.rfind("game.", 0) == 0 ? "a readable input file (CSV or .nfg)"
                                    : "a readable input file (CSV)";
}

}  // namespace nlhf
