// Expansion of a sweep file into validated points (nlhf/sweep_config.h).
#include "nlhf/sweep_config.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <limits>
#include <optional>
#include <set>

#include "config_tree.h"
#include "nlhf/experiment.h"
#include "nlhf/game_cache.h"
#include "nlhf/input_file.h"
#include "nlhf/rng.h"
#include "nlhf/run_directory.h"
#include "yaml_tree.h"

namespace nlhf {

namespace fs = std::filesystem;

std::string PointName(const SweepPoint& p) {
  std::string values;
  for (const auto& [k, v] : p.values) values += fmt::format("{}{}={}", values.empty() ? "" : ", ", k, v);
  return fmt::format("sweep point {} ({})", p.index, values.empty() ? "no swept keys" : values);
}

namespace {

// A swept key with its values as parsed (nodes of the sweep file or of a --set, so that an error
// in a value is located where the value is written).
struct AxisNodes {
  std::string key;
  YAML::Node key_node;
  std::vector<YAML::Node> values;
  SweepAxis axis;  // the same values as flow-style text
};

std::vector<AxisNodes> ReadAxes(const YAML::Node& map, const std::string& key, const yaml::Origins& origins,
                                std::vector<InputError>& errors) {
  std::vector<AxisNodes> axes;
  if (!map.IsMap()) {
    errors.emplace_back(origins.Where(map), key, "is not a map, expected KEY.PATH: [VALUE, VALUE, ...]");
    return axes;
  }
  for (const auto& kv : map) {
    AxisNodes axis;
    axis.key = kv.first.Scalar();
    axis.key_node = kv.first;
    axis.axis.key = axis.key;
    const std::string top = axis.key.substr(0, axis.key.find_first_of(".["));
    if (top == "sweep" || top == "zip") {
      errors.emplace_back(origins.Where(kv.first), key + "." + axis.key,
                          "sweeps the sweep itself, expected a key path of the experiment (game.n, beta, ...)");
      continue;
    }
    if (!kv.second.IsSequence() || kv.second.size() == 0) {
      errors.emplace_back(origins.Where(kv.second), key + "." + axis.key,
                          "is not a non-empty list, expected [VALUE, VALUE, ...]");
      continue;
    }
    for (const auto& v : kv.second) {
      axis.values.push_back(v);
      axis.axis.values.push_back(yaml::FlowText(v));
    }
    axes.push_back(std::move(axis));
  }
  return axes;
}

// The zip group of the k-th zip key (in column order).
size_t GroupOf(const std::vector<std::vector<AxisNodes>>& zip, size_t k) {
  for (size_t g = 0; g < zip.size(); ++g) {
    if (k < zip[g].size()) return g;
    k -= zip[g].size();
  }
  return zip.size();
}

// A parse or validation error of one point, prefixed with its values.
InputError AtPoint(const InputError& e, const SweepPoint& p) {
  const std::string what = e.key().empty() ? e.problem() : e.key() + ": " + e.problem();
  return InputError(e.where(), "", fmt::format("at {}: {}", PointName(p), what));
}

// A swept input file (`game.path`, `reference.path`): its values are written as absolute paths, so
// the resolved sweep runs from any directory. In a zip group each gets its SHA-256 next to it
// (`game.sha256: [...]`), checked on load like the base's; a path swept in `sweep:` cannot be paired
// with its hash without changing the points' order, so there the hash is checked only through the
// fingerprint (a changed file gives other run ids).
bool IsPathKey(const std::string& key) { return key == "game.path" || key == "reference.path"; }
// A swept key whose values are whole component maps, which may hold a `path`.
bool IsComponentKey(const std::string& key) { return key == "game" || key == "reference"; }

}  // namespace

std::string ResolvedSweepYaml(const SweepConfig& s, const std::string& out_dir, const std::vector<BuildTasks>& reused) {
  // The base as the sweep read it, not read again: its input files' hashes are those of the
  // contents the points were built from, even if a file has changed since.
  ExperimentConfig base = s.base;
  base.output = out_dir;  // where this sweep was written, as nlhf-run records its own
  std::map<std::string, std::string> sha256;  // absolute path -> hash, from the points as loaded
  for (const SweepPoint& p : s.points)
    for (const InputFile& f : p.config.inputs) sha256.emplace(f.path, f.sha256);
  const auto absolute_path = [&](const std::string& raw) {
    fs::path path(raw);
    if (path.is_relative() && !s.base_dir.empty()) path = fs::path(s.base_dir) / path;
    return fs::absolute(path).lexically_normal().string();
  };
  const auto absolute = [&](const std::string& flow) { return absolute_path(YAML::Load(flow).Scalar()); };
  // The base's hash of a swept file is that of one point's file: left out.
  for (const std::string& key : s.Keys())
    if (IsPathKey(key))
      base.inputs.erase(std::remove_if(base.inputs.begin(), base.inputs.end(),
                                       [&](const InputFile& f) { return f.key == key; }),
                        base.inputs.end());
  // A solver entry with a default label (no `label:` written) that the swept values change at some
  // point is written as given, without defaults or label, so that each point labels it as this
  // sweep did; written resolved, its explicit label would label every point alike. (A label the
  // user wrote, swept or not, stays: the points' labels come from it.)
  std::vector<bool> as_written(base.solvers.size(), false);
  for (size_t i = 0; i < base.solvers.size(); ++i) {
    if (base.solvers[i].label != DefaultLabel(base.solvers[i])) continue;
    for (const SweepPoint& p : s.points)
      as_written[i] = as_written[i] ||
                      (i < p.config.solvers.size() && p.config.solvers[i].label != base.solvers[i].label);
  }
  // The default metric set, where the swept values change it at some point (beta = 0, equilibrium:
  // none), is left out: written as the base's, it would be refused at those points.
  const std::vector<Metric> base_metrics = LoggedMetrics(base);
  const bool metrics_as_written =
      base.log.metrics.empty() && std::any_of(s.points.begin(), s.points.end(), [&](const SweepPoint& p) {
        return p.config.log.metrics.empty() && LoggedMetrics(p.config) != base_metrics;
      });
  std::string out = ResolvedYaml(base, as_written, metrics_as_written, reused);
  const auto emit_axis = [&](YAML::Emitter& e, const SweepAxis& a) {
    e << YAML::Key << a.key << YAML::Value << YAML::Flow << YAML::BeginSeq;
    for (const std::string& v : a.values) {
      if (IsPathKey(a.key)) {
        e << absolute(v);
        continue;
      }
      YAML::Node value = YAML::Load(v);
      // A whole `game` or `reference` map swept: its file's path absolute and, unless written,
      // its SHA-256 beside it, as the base's are.
      if (IsComponentKey(a.key) && value.IsMap() && value["path"] && value["path"].IsScalar()) {
        const std::string path = absolute_path(value["path"].Scalar());
        value["path"] = path;
        if (const auto it = sha256.find(path); !value["sha256"] && it != sha256.end()) value["sha256"] = it->second;
      }
      e << value;
    }
    e << YAML::EndSeq;
  };
  YAML::Emitter e;
  e << YAML::BeginMap;
  if (!s.sweep.empty()) {
    e << YAML::Key << "sweep" << YAML::Value << YAML::BeginMap;
    for (const SweepAxis& a : s.sweep) emit_axis(e, a);
    e << YAML::EndMap;
  }
  if (!s.zip.empty()) {
    e << YAML::Key << "zip" << YAML::Value << YAML::BeginSeq;
    for (const auto& group : s.zip) {
      e << YAML::Flow << YAML::BeginMap;
      for (const SweepAxis& a : group) {
        emit_axis(e, a);
        if (!IsPathKey(a.key)) continue;
        e << YAML::Key << a.key.substr(0, a.key.size() - 4) + "sha256" << YAML::Value << YAML::Flow << YAML::BeginSeq;
        for (const std::string& v : a.values) {
          const auto it = sha256.find(absolute(v));
          e << (it == sha256.end() ? std::string() : it->second);
        }
        e << YAML::EndSeq;
      }
      e << YAML::EndMap;
    }
    e << YAML::EndSeq;
  }
  e << YAML::EndMap;
  if (!s.sweep.empty() || !s.zip.empty()) out += std::string(e.c_str()) + "\n";
  return out;
}

std::vector<std::string> SweepConfig::Keys() const {
  std::vector<std::string> keys;
  for (const SweepAxis& a : sweep) keys.push_back(a.key);
  for (const auto& group : zip)
    for (const SweepAxis& a : group) keys.push_back(a.key);
  return keys;
}

std::vector<std::string> SweepInputFiles(const SweepConfig& s) {
  std::set<std::string> inputs{s.source};
  for (const SweepPoint& p : s.points)
    for (std::string& f : ExperimentInputFiles(p.config)) inputs.insert(std::move(f));
  return {inputs.begin(), inputs.end()};
}

size_t SweepConfig::RunCount() const {
  size_t n = 0;
  for (const SweepPoint& p : points) n += p.config.seeds.size() * p.config.solvers.size();
  return n;
}

namespace {

// `locate` for every point (a plain index, not std::optional: GCC's split copy of a disengaged
// optional left valgrind reporting its unset value at `index != *locate`).
constexpr size_t kEveryPoint = std::numeric_limits<size_t>::max();

// ParseSweep; with `locate` (not kEveryPoint), only that point is built, unvalidated and with its
// key locations (LocatePointKey), and nothing about the others is checked.
SweepConfig ParseSweepImpl(const std::string& text, const std::string& source, const std::vector<std::string>& sets,
                           const std::string& base_dir, const std::function<void(size_t)>& on_count,
                           size_t locate) {
  const bool only_one = locate != kEveryPoint;
  SweepConfig s;
  s.source = source;
  s.text = text;
  s.base_dir = base_dir;
  s.sets = sets;
  // Parsed once: the sets apply to the whole file (`--set sweep.game.n=[1,2]` changes the sweep).
  yaml::Origins origins(source);
  const YAML::Node document = yaml::LoadDocument(text, SourceLocation{source}, true);
  origins.PlaceEmptyValuesAtKeys(document);
  YAML::Node root = yaml::ApplySets(document, sets, origins);
  InputHashCache hashes;
  std::optional<double> available;  // AvailableMemoryBytes, read once (below)
  LastGame validated;  // the last point's game: the next point with the same game is checked on it
  // The problems of `tree` read as the base experiment (sweep and zip keys allowed); the experiment
  // itself into `parsed`, when given, if it has none.
  const auto problems = [&](const YAML::Node& tree, const yaml::Origins& at, ExperimentConfig* parsed) {
    std::vector<InputError> found;
    try {
      ExperimentConfig config = ParseExperimentTree(tree, at, base_dir, true, hashes);
      if (parsed != nullptr) *parsed = std::move(config);
    } catch (const InputErrors& e) {
      found = e.errors();
    } catch (const InputError& e) {
      found.push_back(e);
    }
    return found;
  };
  // The base experiment must itself be valid. Its problems are reported together with those of the
  // sweep and zip keys; the points are expanded (and their own problems found) once both are right.
  std::vector<InputError> errors = problems(root, origins, &s.base);
  s.base.locations.clear();  // (as the points': ResolvedSweepYaml needs none)
  const size_t base_errors = errors.size();
  // The same error at several points (a swept value the base cannot take) is reported once, at
  // its first point, with the number of others.
  std::map<std::string, std::pair<size_t, size_t>> repeated;  // error -> (index in errors, other points)
  const auto add_error = [&](const InputError& e, const SweepPoint& p) {
    const std::string id = e.where().ToString() + "\n" + e.key() + "\n" + e.problem();
    if (const auto it = repeated.find(id); it != repeated.end()) {
      ++it->second.second;
      return;
    }
    repeated.emplace(id, std::make_pair(errors.size(), size_t{0}));
    errors.push_back(AtPoint(e, p));
  };
  std::vector<AxisNodes> sweep_nodes;
  std::vector<std::vector<AxisNodes>> zip_nodes;
  if (root["sweep"]) sweep_nodes = ReadAxes(root["sweep"], "sweep", origins, errors);
  if (const YAML::Node zip = root["zip"]) {
    if (!zip.IsSequence()) {
      errors.emplace_back(origins.Where(zip), "zip",
                          "is not a list, expected - {KEY: [...], KEY: [...]} groups of equal length");
    } else {
      for (size_t g = 0; g < zip.size(); ++g) {
        std::vector<AxisNodes> group = ReadAxes(zip[g], fmt::format("zip[{}]", g), origins, errors);
        for (const AxisNodes& a : group) {
          if (a.values.size() != group.front().values.size()) {
            errors.emplace_back(origins.Where(a.key_node), fmt::format("zip[{}].{}", g, a.key),
                                fmt::format("has {} values but {} has {}, expected lists of equal length",
                                            a.values.size(), group.front().key, group.front().values.size()));
          }
        }
        zip_nodes.push_back(std::move(group));
      }
    }
  }
  std::vector<const AxisNodes*> axes;  // column order: sweep axes, then zip groups' keys
  for (const AxisNodes& a : sweep_nodes) axes.push_back(&a);
  for (const auto& group : zip_nodes)
    for (const AxisNodes& a : group) axes.push_back(&a);
  // A key the base lacks because the sweep gives it its values (`beta:` swept, none in the base)
  // is still an error, which says why.
  for (size_t k = 0; k < base_errors; ++k) {
    const InputError& e = errors[k];
    const bool swept = std::any_of(axes.begin(), axes.end(), [&](const AxisNodes* a) {
      return a->key == e.key() || a->key.rfind(e.key() + ".", 0) == 0;
    });
    if (swept && e.problem().rfind("is missing", 0) == 0)
      errors[k] = InputError(e.where(), e.key(),
                             fmt::format("{}; the base experiment must be complete on its own, so give {} a value "
                                         "there too (every sweep point replaces it)",
                                         e.problem(), e.key()));
  }
  // Each key varies in one place only: a key swept twice (in `sweep` and a `zip` group, or in two
  // groups), or together with a key inside it (`game` and `game.n`), would label points with values
  // that the run does not use.
  const auto inside = [](const std::string& outer, const std::string& inner) {
    return inner.size() > outer.size() && inner.compare(0, outer.size(), outer) == 0 &&
           (inner[outer.size()] == '.' || inner[outer.size()] == '[');
  };
  std::vector<bool> overlapping(axes.size(), false);
  for (size_t i = 0; i < axes.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      const std::string& a = axes[j]->key;
      const std::string& b = axes[i]->key;
      if (a == b || inside(a, b) || inside(b, a)) {
        overlapping[i] = overlapping[j] = true;
        errors.emplace_back(origins.Where(axes[i]->key_node), b,
                            fmt::format("{}, expected each key to vary in one place (in sweep or in one zip group)",
                                        a == b ? "is swept twice" : "overlaps the swept key " + a));
      }
    }
  }
  // Key paths are checked once, not at every point (and not in a base that is itself wrong: a
  // swept game.n in a base whose game is not a map would repeat that problem).
  for (const AxisNodes* a : base_errors == 0 ? axes : std::vector<const AxisNodes*>{}) {
    yaml::Origins scratch(source);
    try {
      yaml::With(root, a->key, a->values.front(), origins.Where(a->key_node), scratch);
    } catch (const InputError& e) {
      errors.push_back(e);
    }
  }
  // A swept key the experiment does not have (`game.nn`) is otherwise found only with the points,
  // once these problems are fixed: it is looked for now too, in the first point (the base with each
  // key's first value, which the points would reject first), and reported with them.
  if (!errors.empty()) {
    yaml::Origins scratch = origins;
    YAML::Node first = root;
    for (size_t i = 0; i < axes.size(); ++i) {
      const AxisNodes* a = axes[i];
      if (overlapping[i]) continue;  // (reported above; applied both, one would be the other's problem)
      try {
        // (reset, not =: a yaml-cpp Node's = writes through to the node it refers to, here root.)
        first.reset(yaml::With(first, a->key, a->values.front(), origins.Where(a->key_node), scratch));
      } catch (const InputError&) {
        // A path error, reported above.
      }
    }
    const std::vector<InputError> found = problems(first, scratch, nullptr);
    const auto same = [](const InputError& a, const InputError& b) {
      return a.where().ToString() == b.where().ToString() && a.key() == b.key() && a.problem() == b.problem();
    };
    for (const InputError& e : found)
      if (e.problem().rfind("unknown key", 0) == 0 &&
          std::any_of(axes.begin(), axes.end(), [&](const AxisNodes* a) { return a->key == e.key(); }) &&
          std::none_of(errors.begin(), errors.end(), [&](const InputError& known) { return same(known, e); }))
        errors.push_back(e);
  }
  if (!errors.empty()) throw InputErrors(errors);
  // Each point is parsed from the file's text with `sweep` and `zip` cut out (its marks mapped back
  // to the file's lines), plus the other sets and its values. Small independent trees: yaml-cpp merges
  // the node pools of trees that share nodes, so reusing one parsed tree for every point would cost
  // time and memory growing with the number of points already built.
  std::vector<std::pair<int, int>> line_shifts;
  const std::string point_text = yaml::CutTopLevelKeys(text, document, {"sweep", "zip"}, line_shifts);
  std::vector<std::string> point_sets;
  for (const std::string& set : sets) {
    const std::string top = set.substr(0, set.find_first_of(".[="));
    if (top != "sweep" && top != "zip") point_sets.push_back(set);
  }
  for (const AxisNodes& a : sweep_nodes) s.sweep.push_back(a.axis);
  for (const auto& group : zip_nodes) {
    s.zip.emplace_back();
    for (const AxisNodes& a : group) s.zip.back().push_back(a.axis);
  }

  // Expand: sweep axes (Cartesian, the first slowest), then zip groups (crossed, each by index).
  std::vector<size_t> sizes;
  for (const AxisNodes& a : sweep_nodes) sizes.push_back(a.values.size());
  for (const auto& group : zip_nodes) sizes.push_back(group.empty() ? 1 : group.front().values.size());
  size_t total = 1;
  for (size_t n : sizes) {
    total *= n;
    if (total > kMaxSweepPoints) break;
  }
  if (total > kMaxSweepPoints)
    throw InputError(SourceLocation{source}, "sweep",
                     fmt::format("expands to more than {} points, expected at most {}", kMaxSweepPoints,
                                 kMaxSweepPoints));
  if (on_count) on_count(total);
  s.points.reserve(only_one ? 1 : total);
  std::vector<size_t> digit(sizes.size(), 0);
  // The digit of axis a (a column of `axes`): its own for a sweep axis, its group's in a zip group.
  const auto digit_of = [&](size_t a) {
    return a < sweep_nodes.size() ? a : sweep_nodes.size() + GroupOf(zip_nodes, a - sweep_nodes.size());
  };
  std::string fingerprint_text;
  std::map<std::string, size_t> seen_points;  // fingerprint -> point index
  // Task fingerprint -> the points with it and their seeds: points that differ only in their seed
  // lists share task ids, so a seed in two of them would be one task of two points.
  std::map<std::string, std::vector<std::pair<size_t, std::set<std::uint64_t>>>> seen_tasks;
  // Where point `index` (the current digits) differs from point `other`: its value of the first
  // axis where the two differ (the value listed twice, in the file or a --set).
  const auto where_differs = [&](size_t other_index) {
    std::vector<size_t> other(sizes.size());
    for (size_t d = sizes.size(), q = other_index; d-- > 0; q /= sizes[d]) other[d] = q % sizes[d];
    for (size_t a = 0; a < axes.size(); ++a) {
      const size_t d = digit_of(a);
      if (digit[d] != other[d]) return origins.Where(axes[a]->values[digit[d]]);
    }
    return SourceLocation{source};
  };
  const auto next_digits = [&] {
    for (size_t d = sizes.size(); d-- > 0;) {
      if (++digit[d] < sizes[d]) break;
      digit[d] = 0;
    }
  };
  for (size_t index = 0; index < total; ++index) {
    if (only_one && index != locate) {
      next_digits();
      continue;
    }
    SweepPoint p;
    p.index = index;
    bool valid = true;
    try {
      yaml::Origins point_origins(source);
      point_origins.SetLineShifts(line_shifts);
      YAML::Node point = yaml::LoadDocument(point_text, SourceLocation{source}, true);
      point_origins.PlaceEmptyValuesAtKeys(point);
      point.reset(yaml::ApplySets(point, point_sets, point_origins));  // (reset: = writes through)
      for (size_t a = 0; a < axes.size(); ++a) {
        const size_t d = digit_of(a);
        const AxisNodes& axis = *axes[a];
        p.values.emplace_back(axis.key, axis.axis.values[digit[d]]);
        // The value again from its text, located where it is written (in the file or a --set).
        const SourceLocation at = origins.Where(axis.values[digit[d]]);
        const YAML::Node value = yaml::LoadDocument(axis.axis.values[digit[d]], at, false, axis.key);
        point_origins.AddTree(value, at);
        point.reset(yaml::With(point, axis.key, value, origins.Where(axis.key_node), point_origins));
      }
      p.config = ParseExperimentTree(point, point_origins, base_dir, true, hashes);
      if (only_one) {
        s.points.push_back(std::move(p));
        return s;
      }
      // What the machine has, read for the first point only (/proc and the cgroup files per point
      // were a tenth of a 10 000-point expansion). RunSweep checks again with its --jobs.
      if (!available) available = AvailableMemoryBytes();
      validated.Keep(p.config, ValidateExperiment(p.config, ResourcePlan{1, true, available}, validated.Take(p.config)));
    } catch (const InputErrors& e) {
      for (const InputError& one : e.errors()) add_error(one, p);
      valid = false;
    } catch (const InputError& e) {
      add_error(e, p);
      valid = false;
    }
    if (errors.size() >= 10) break;  // enough to act on
    if (valid) {
      // Validated: the key locations (a map per point, most of its memory) are not needed again; an
      // error found while running names the sweep file.
      p.config.locations.clear();
      p.fingerprint = ExperimentFingerprint(p.config);
      // Two points that are the same experiment (a value listed twice) would be one run under two labels.
      if (const auto [it, fresh] = seen_points.emplace(p.fingerprint, p.index); !fresh) {
        errors.push_back(AtPoint(InputError(where_differs(it->second), "",
                                            fmt::format("is the same experiment as sweep point {}, expected "
                                                        "distinct points (is a value listed twice?)",
                                                        it->second)),
                                 p));
      } else {
        ExperimentConfig one_task = p.config;
        one_task.seeds.clear();
        p.task_fingerprint = ExperimentFingerprint(one_task);
        std::set<std::uint64_t> seeds(p.config.seeds.begin(), p.config.seeds.end());
        auto& same_task = seen_tasks[p.task_fingerprint];
        std::optional<std::pair<size_t, std::uint64_t>> shared;  // (an earlier point, a seed both run)
        for (const auto& [other, other_seeds] : same_task) {
          for (const std::uint64_t seed : p.config.seeds)
            if (other_seeds.count(seed) > 0) {
              shared = std::pair{other, seed};
              break;
            }
          if (shared) break;
        }
        if (shared) {
          errors.push_back(AtPoint(
              InputError(where_differs(shared->first), "",
                         fmt::format("runs seed {}, which sweep point {} runs too (the two points differ only in "
                                     "their seeds, so that would be one run of two points), expected seed lists "
                                     "that do not overlap",
                                     shared->second, shared->first)),
              p));
        } else {
          same_task.emplace_back(p.index, std::move(seeds));
          fingerprint_text += p.fingerprint + "\n--\n";
          s.points.push_back(std::move(p));
        }
      }
    }
    next_digits();
  }
  for (const auto& [id, at] : repeated) {
    if (at.second == 0) continue;
    const InputError& first = errors[at.first];
    errors[at.first] = InputError(first.where(), first.key(),
                                  fmt::format("{} (the same at {} more point{})", first.problem(), at.second,
                                              at.second == 1 ? "" : "s"));
  }
  if (!errors.empty()) throw InputErrors(errors);
  s.fingerprint = fmt::format("{:016x}", Fnv1a64(fingerprint_text));
  return s;
}

}  // namespace

SweepConfig ParseSweep(const std::string& text, const std::string& source, const std::vector<std::string>& sets,
                       const std::string& base_dir, const std::function<void(size_t)>& on_count) {
  return ParseSweepImpl(text, source, sets, base_dir, on_count, kEveryPoint);
}

SourceLocation LocatePointKey(const SweepConfig& sweep, size_t point, const std::string& key) {
  try {
    const SweepConfig one = ParseSweepImpl(sweep.text, sweep.source, sweep.sets, sweep.base_dir, {}, point);
    if (!one.points.empty()) return one.points.front().config.Locate(key);
  } catch (const std::exception&) {
    // The point no longer builds (an input file it reads is gone): the file is all there is to say.
  }
  return SourceLocation{sweep.source};
}

SweepConfig LoadSweep(const std::string& path, const std::vector<std::string>& sets,
                      const std::function<void(size_t)>& on_count) {
  const std::string text = ReadInputFile(path, "", "a sweep YAML file", kMaxYamlBytes);
  // Absolute, so that the manifest's base_dir resolves relative input paths from any directory.
  return ParseSweep(text, path, sets, fs::absolute(path).parent_path().string(), on_count);
}

}  // namespace nlhf
