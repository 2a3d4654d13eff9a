#include "nlhf/config.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "nlhf/metrics.h"
#include "nlhf/solver.h"
#include "nlhf/spec.h"
#include "nlhf/version.h"

namespace nlhf {

InputErrors::InputErrors(std::vector<InputError> errors)
    : InputError(errors.front()), errors_(std::move(errors)) {}

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

const std::vector<std::string> kTopKeys = {"name", "game", "reference", "beta", "seeds", "solvers",
                                           "stop", "log", "output", "nlhf"};

// Tables for the scalar keys outside the registries, so they get the same checks and messages.
ParamSpec BetaSpec() {
  return ParamSpec::Double("beta", 0.01, "regularization strength").AtLeast(0);
}
std::vector<ParamSpec> StopSpecs() {
  return {ParamSpec::Int("iterations", 1000, "iteration cap").Range(1, 1e12),
          ParamSpec::Int("oracle_calls", 0, "oracle-call budget (0: none)").AtLeast(0),
          ParamSpec::Int("queries", 0, "query budget (0: none)").AtLeast(0),
          ParamSpec::Double("wall_s", 0.0, "solver wall-time budget in seconds (0: none)").AtLeast(0)};
}
std::vector<ParamSpec> LogSpecs() {
  return {ParamSpec::Int("every", 1, "log every k iterations (linear spacing)").Range(1, 1e12),
          ParamSpec::String("spacing", "linear", "linear or log")
              .Check(
                  [](const ParamValue& v) {
                    const std::string& s = std::get<std::string>(v);
                    return s == "linear" || s == "log" ? "" : "is not allowed, expected linear or log";
                  },
                  "linear or log"),
          ParamSpec::Int("points_per_decade", 20, "log spacing: logged iterations per decade").Range(1, 1000)};
}

// A solver label: printable text without commas or quotes (it is a CSV cell and a table entry).
ParamSpec LabelSpec() {
  return ParamSpec::String("label", "", "the solver entry's name in outputs")
      .Check(
          [](const ParamValue& v) {
            const std::string& s = std::get<std::string>(v);
            if (s.empty()) return "is empty, expected a non-empty label";
            for (unsigned char c : s)
              if (c < 0x20 || c == 0x7f || c == '"') return "holds a control character or a quote, expected printable text";
            return "";
          },
          "printable text");
}

std::vector<std::string> MetricNames() {
  std::vector<std::string> names;
  for (const MetricInfo& m : MetricTable()) names.emplace_back(m.name);
  return names;
}

class Reader {
 public:
  Reader(std::string file, std::vector<std::pair<YAML::Node, std::string>> set_nodes, ExperimentConfig& config)
      : file_(std::move(file)), sets_(std::move(set_nodes)), config_(config) {}

  SourceLocation Where(const YAML::Node& n) const {
    for (const auto& [node, text] : sets_)
      if (node.is(n)) return SourceLocation{"--set " + text};
    const YAML::Mark m = n.Mark();
    if (m.is_null()) return SourceLocation{file_};
    return SourceLocation{file_, m.line + 1, m.column + 1};
  }
  void Note(const YAML::Node& n, const std::string& key) { config_.locations[key] = Where(n); }
  void Error(const YAML::Node& n, const std::string& key, const std::string& problem) {
    errors_.emplace_back(Where(n), key, problem);
  }
  void Error(const InputError& e, const YAML::Node& n) { errors_.emplace_back(Where(n), e.key(), e.problem()); }
  std::vector<InputError>& errors() { return errors_; }

  static std::string Join(const std::string& prefix, const std::string& key) {
    return prefix.empty() ? key : prefix + "." + key;
  }

  // A map whose keys are all in `allowed`; reports unknown keys. False if `n` is not a map.
  bool CheckMap(const YAML::Node& n, const std::string& key, const std::vector<std::string>& allowed) {
    if (!n.IsMap()) {
      Error(n, key, fmt::format("{}, expected a map with keys {}", Describe(n), JoinNames(allowed)));
      return false;
    }
    for (const auto& kv : n) {
      const std::string k = kv.first.Scalar();
      if (std::find(allowed.begin(), allowed.end(), k) == allowed.end()) {
        std::string problem = "unknown key '" + k + "'";
        const std::string guess = DidYouMean(k, allowed);
        if (!guess.empty()) problem += " (did you mean '" + guess + "'?)";
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

  std::string file_;
  std::vector<std::pair<YAML::Node, std::string>> sets_;
  ExperimentConfig& config_;
  std::vector<InputError> errors_;
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

// "a.b[2].c" -> navigates (creating maps) and returns the node to assign.
YAML::Node Navigate(YAML::Node root, const std::string& path, const std::string& set_text) {
  YAML::Node node = root;
  size_t pos = 0;
  while (pos < path.size()) {
    const size_t end = path.find_first_of(".[", pos);
    const std::string seg = path.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    if (seg.empty()) throw InputError(SourceLocation{"--set " + set_text}, path, "has an empty key, expected KEY.KEY[INDEX]=VALUE");
    if (!node.IsMap() && !node.IsNull())
      throw InputError(SourceLocation{"--set " + set_text}, path, "'" + seg + "' is inside a value that is not a map");
    node.reset(node[seg]);
    pos = end == std::string::npos ? path.size() : end;
    while (pos < path.size() && path[pos] == '[') {
      const size_t close = path.find(']', pos);
      if (close == std::string::npos)
        throw InputError(SourceLocation{"--set " + set_text}, path, "has an unclosed '[', expected KEY[INDEX]");
      const std::string idx = path.substr(pos + 1, close - pos - 1);
      size_t i = 0;
      try {
        i = std::stoul(idx);
      } catch (...) {
        throw InputError(SourceLocation{"--set " + set_text}, path, "'" + idx + "' is not an index, expected KEY[0], KEY[1], ...");
      }
      if (!node.IsSequence() || i >= node.size())
        throw InputError(SourceLocation{"--set " + set_text}, path,
                         fmt::format("index {} is out of range, the list has {} entries", i, node.IsSequence() ? node.size() : 0));
      node.reset(node[i]);
      pos = close + 1;
    }
    if (pos < path.size() && path[pos] == '.') ++pos;
  }
  return node;
}

std::string ResolvePath(const std::string& path, const std::string& base_dir) {
  if (path.empty() || std::filesystem::path(path).is_absolute() || base_dir.empty()) return path;
  return (std::filesystem::path(base_dir) / path).lexically_normal().string();
}

void ResolvePaths(ComponentConfig& c, const std::string& base_dir) {
  for (auto& [k, v] : c.params)
    if (k == "path") v = ResolvePath(std::get<std::string>(v), base_dir);
}

}  // namespace

ExperimentConfig ParseExperiment(const std::string& text, const std::string& source,
                                 const std::vector<std::string>& sets, const std::string& base_dir, bool sweep_file) {
  ExperimentConfig config;
  config.source = source;
  config.solvers.clear();
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    throw InputError(SourceLocation{source, e.mark.line + 1, e.mark.column + 1}, "",
                     "YAML syntax error: " + e.msg + ", expected a YAML map of experiment keys");
  }
  if (root.IsNull() && sets.empty())
    throw InputError(SourceLocation{source}, "", "the file is empty, expected an experiment with keys " + JoinNames(kTopKeys));

  // Overrides first: they are validated like everything else.
  std::vector<std::pair<YAML::Node, std::string>> set_nodes;
  if (root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  for (const std::string& s : sets) {
    const size_t eq = s.find('=');
    if (eq == std::string::npos || eq == 0)
      throw InputError(SourceLocation{"--set " + s}, "", "is not KEY=VALUE, expected for example --set game.n=100");
    const std::string key = s.substr(0, eq), value = s.substr(eq + 1);
    YAML::Node parsed;
    try {
      parsed = YAML::Load(value);
    } catch (const YAML::ParserException& e) {
      throw InputError(SourceLocation{"--set " + s}, key, "'" + value + "' is not a YAML value: " + e.msg);
    }
    if (!root.IsMap()) break;  // reported below
    YAML::Node target = Navigate(root, key, s);
    target = parsed;
    set_nodes.emplace_back(parsed, s);
  }

  Reader r(source, set_nodes, config);
  std::vector<std::string> top_keys = kTopKeys;
  top_keys.push_back("sweep");
  top_keys.push_back("zip");
  if (!r.CheckMap(root, "", top_keys)) throw InputErrors(r.errors());
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
      if (config.name.empty() || config.name.find('/') != std::string::npos)
        r.Error(n, "name", "'" + config.name + "' is not allowed, expected a non-empty name without '/'");
    }
  } else if (!source.empty()) {
    config.name = std::filesystem::path(source).stem().string();
  }

  if (const YAML::Node n = root["game"]) {
    ReadComponent(r, n, "game", GameRegistry(), "type", config.game);
  } else {
    r.Error(root, "game", "is missing, expected {type: GENERATOR, ...} (nlhf-run --list games)");
  }
  if (const YAML::Node n = root["reference"]) ReadComponent(r, n, "reference", ReferenceRegistry(), "type", config.reference);

  if (const YAML::Node n = root["beta"]) {
    if (auto v = r.Value(n, BetaSpec(), "beta")) config.beta = std::get<double>(*v);
  } else {
    r.Error(root, "beta", "is missing, expected a number >= 0");
  }

  if (const YAML::Node n = root["seeds"]) {
    r.Note(n, "seeds");
    const ParamSpec seed = ParamSpec::Int("seed", 0, "").Range(0, 9.0e18);
    config.seeds.clear();
    if (n.IsSequence()) {
      for (size_t i = 0; i < n.size(); ++i)
        if (auto v = r.Value(n[i], seed, fmt::format("seeds[{}]", i))) config.seeds.push_back(std::get<std::int64_t>(*v));
      if (n.size() == 0) r.Error(n, "seeds", "is an empty list, expected at least one seed");
    } else if (n.IsMap() && r.CheckMap(n, "seeds", {"from", "to"})) {
      std::optional<ParamValue> from, to;
      if (n["from"]) from = r.Value(n["from"], seed, "seeds.from");
      else r.Error(n, "seeds.from", "is missing, expected {from: FIRST, to: LAST}");
      if (n["to"]) to = r.Value(n["to"], seed, "seeds.to");
      else r.Error(n, "seeds.to", "is missing, expected {from: FIRST, to: LAST}");
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
        ReadComponent(r, n[i], key, SolverRegistry(), "name", c, {"label"});
        if (c.name.empty()) continue;
        if (const YAML::Node l = n[i]["label"]) {
          if (auto v = r.Value(l, LabelSpec(), key + ".label")) c.label = std::get<std::string>(*v);
        } else {
          ParamMap given;
          for (const auto& [k, v] : c.params) given.Set(k, v);
          c.label = FormatSpec(c.name, given);
        }
        if (!c.label.empty()) {
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
    r.Error(root, "solvers", "is missing, expected a list like - {name: nash_mp} (nlhf-run --list solvers)");
  }

  if (const YAML::Node n = root["stop"]) {
    r.Note(n, "stop");
    GivenParams given;
    r.Params(n, "stop", StopSpecs(), {"tolerance"}, given);
    for (const auto& [k, v] : given) {
      if (k == "iterations") config.stop.iterations = std::get<std::int64_t>(v);
      if (k == "oracle_calls") config.stop.oracle_calls = std::get<std::int64_t>(v);
      if (k == "queries") config.stop.queries = std::get<std::int64_t>(v);
      if (k == "wall_s") config.stop.wall_s = std::get<double>(v);
    }
    if (n.IsMap() && n["tolerance"]) {
      const YAML::Node t = n["tolerance"];
      r.Note(t, "stop.tolerance");
      if (r.CheckMap(t, "stop.tolerance", MetricNames())) {
        for (const MetricInfo& m : MetricTable()) {
          if (!t[std::string(m.name)]) continue;
          const std::string key = "stop.tolerance." + std::string(m.name);
          if (auto v = r.Value(t[std::string(m.name)], ParamSpec::Double(std::string(m.name), 0.0, "").AtLeast(0), key))
            config.stop.tolerances.emplace_back(m.id, std::get<double>(*v));
        }
      }
    }
  }

  if (const YAML::Node n = root["log"]) {
    r.Note(n, "log");
    GivenParams given;
    r.Params(n, "log", LogSpecs(), {"metrics"}, given);
    for (const auto& [k, v] : given) {
      if (k == "every") config.log.every = std::get<std::int64_t>(v);
      if (k == "spacing") config.log.spacing = std::get<std::string>(v) == "log" ? LogSpacing::kLog : LogSpacing::kLinear;
      if (k == "points_per_decade") config.log.points_per_decade = static_cast<int>(std::get<std::int64_t>(v));
    }
    if (n.IsMap() && n["metrics"]) {
      const YAML::Node m = n["metrics"];
      r.Note(m, "log.metrics");
      if (!m.IsSequence()) {
        r.Error(m, "log.metrics", "is not a list, expected a list of " + JoinNames(MetricNames()));
      } else {
        for (size_t i = 0; i < m.size(); ++i) {
          const std::string name = m[i].IsScalar() ? m[i].Scalar() : "";
          const auto& table = MetricTable();
          auto it = std::find_if(table.begin(), table.end(), [&](const MetricInfo& x) { return x.name == name; });
          if (it == table.end()) {
            std::string problem = "'" + name + "' is not a metric";
            const std::string guess = DidYouMean(name, MetricNames());
            if (!guess.empty()) problem += " (did you mean '" + guess + "'?)";
            r.Error(m[i], fmt::format("log.metrics[{}]", i), problem + ", valid: " + JoinNames(MetricNames()));
          } else {
            config.log.metrics.push_back(it->id);
          }
        }
      }
    }
  }

  if (const YAML::Node n = root["output"]) {
    if (auto v = r.Value(n, ParamSpec::String("output", "", ""), "output")) config.output = std::get<std::string>(*v);
  }

  // Cross-key checks.
  if (config.beta == 0.0) {
    for (size_t i = 0; i < config.solvers.size(); ++i) {
      const std::string& s = config.solvers[i].name;
      if (s != "mwu" && s != "omwu") {
        r.Error(root["beta"], "beta", fmt::format("0 is not allowed with solvers[{}] = {} (it regularizes toward mu), "
                                                  "expected beta > 0, or only mwu and omwu", i, s));
        break;
      }
    }
  }
  for (const auto& [metric, value] : config.stop.tolerances) {
    const MetricInfo& info = MetricTable()[static_cast<size_t>(metric)];
    if (info.needs_star && config.beta == 0.0)
      r.Error(root["stop"], "stop.tolerance." + std::string(info.name), "needs pi*_beta, which beta = 0 does not have");
  }

  if (!r.errors().empty()) throw InputErrors(r.errors());
  ResolvePaths(config.game, base_dir);
  ResolvePaths(config.reference, base_dir);
  return config;
}

ExperimentConfig LoadExperiment(const std::string& path, const std::vector<std::string>& sets) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(SourceLocation{path}, "", "cannot open the file, expected a readable experiment YAML file");
  if (std::filesystem::is_directory(path))
    throw InputError(SourceLocation{path}, "", "is a directory, expected an experiment YAML file");
  std::stringstream text;
  text << in.rdbuf();
  const std::string base = std::filesystem::path(path).parent_path().string();
  return ParseExperiment(text.str(), path, sets, base);
}

namespace {

void EmitValue(YAML::Emitter& out, const ParamValue& v) {
  if (const auto* list = std::get_if<std::vector<double>>(&v)) {
    out << YAML::Flow << YAML::BeginSeq;
    for (double x : *list) out << fmt::format("{}", x);
    out << YAML::EndSeq;
  } else {
    out << FormatParamValue(v);
  }
}

// All table parameters: given ones, else defaults; parameters without a default (seed follows the
// run seed, steps depend on beta) stay out unless given.
void EmitComponent(YAML::Emitter& out, const std::string& name_key, const ComponentConfig& c,
                   const std::vector<ParamSpec>& specs) {
  out << YAML::Flow << YAML::BeginMap << YAML::Key << name_key << YAML::Value << c.name;
  // Always explicit: the default label is the entry as written, which the resolved entry is not.
  if (!c.label.empty()) out << YAML::Key << "label" << YAML::Value << YAML::DoubleQuoted << c.label;
  for (const ParamSpec& s : specs) {
    auto it = std::find_if(c.params.begin(), c.params.end(), [&](const auto& kv) { return kv.first == s.name; });
    if (it != c.params.end()) {
      out << YAML::Key << s.name << YAML::Value;
      EmitValue(out, it->second);
    } else if (s.default_value) {
      out << YAML::Key << s.name << YAML::Value;
      EmitValue(out, *s.default_value);
    }
  }
  out << YAML::EndMap;
}

}  // namespace

std::string ResolvedYaml(const ExperimentConfig& c) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "nlhf" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key << "version" << YAML::Value
      << kVersion << YAML::Key << "git_commit" << YAML::Value << kGitCommit << YAML::EndMap;
  out << YAML::Key << "name" << YAML::Value << c.name;
  out << YAML::Key << "game" << YAML::Value;
  EmitComponent(out, "type", c.game, GameRegistry().Find(c.game.name, "game.type").params);
  out << YAML::Key << "reference" << YAML::Value;
  EmitComponent(out, "type", c.reference, ReferenceRegistry().Find(c.reference.name, "reference.type").params);
  out << YAML::Key << "beta" << YAML::Value << fmt::format("{}", c.beta);
  out << YAML::Key << "seeds" << YAML::Value << YAML::Flow << YAML::BeginSeq;
  for (auto s : c.seeds) out << s;
  out << YAML::EndSeq;
  out << YAML::Key << "solvers" << YAML::Value << YAML::BeginSeq;
  for (const ComponentConfig& s : c.solvers) EmitComponent(out, "name", s, SolverRegistry().Find(s.name, "solver").params);
  out << YAML::EndSeq;
  out << YAML::Key << "stop" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "iterations" << YAML::Value << c.stop.iterations;
  out << YAML::Key << "oracle_calls" << YAML::Value << c.stop.oracle_calls;
  out << YAML::Key << "queries" << YAML::Value << c.stop.queries;
  out << YAML::Key << "wall_s" << YAML::Value << fmt::format("{}", c.stop.wall_s);
  if (!c.stop.tolerances.empty()) {
    out << YAML::Key << "tolerance" << YAML::Value << YAML::Flow << YAML::BeginMap;
    for (const auto& [m, v] : c.stop.tolerances)
      out << YAML::Key << std::string(MetricTable()[static_cast<size_t>(m)].name) << YAML::Value << fmt::format("{}", v);
    out << YAML::EndMap;
  }
  out << YAML::EndMap;
  out << YAML::Key << "log" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "every" << YAML::Value << c.log.every;
  out << YAML::Key << "spacing" << YAML::Value << (c.log.spacing == LogSpacing::kLog ? "log" : "linear");
  out << YAML::Key << "points_per_decade" << YAML::Value << c.log.points_per_decade;
  out << YAML::Key << "metrics" << YAML::Value << YAML::Flow << YAML::BeginSeq;
  if (c.log.metrics.empty()) {
    for (const MetricInfo& m : MetricTable()) out << std::string(m.name);
  } else {
    for (Metric m : c.log.metrics) out << std::string(MetricTable()[static_cast<size_t>(m)].name);
  }
  out << YAML::EndSeq << YAML::EndMap;
  out << YAML::Key << "output" << YAML::Value << c.OutputDir();
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

std::string ExperimentFingerprint(const ExperimentConfig& config) {
  std::istringstream in(ResolvedYaml(config));
  std::string line, out;
  while (std::getline(in, line))
    if (line.rfind("nlhf:", 0) != 0 && line.rfind("output:", 0) != 0) out += line + "\n";
  return out;
}

}  // namespace nlhf
