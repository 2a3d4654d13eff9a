#include "nlhf/sweep.h"

#include <fmt/format.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "config_tree.h"
#include "nlhf/experiment.h"
#include "nlhf/input_file.h"
#include "nlhf/output.h"
#include "nlhf/rng.h"
#include "nlhf/version.h"
#include "yaml_tree.h"

namespace nlhf {

namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

std::string Hex(std::uint64_t h) { return fmt::format("{:016x}", h); }

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
  std::string values;
  for (const auto& [k, v] : p.values)
    values += fmt::format("{}{}={}", values.empty() ? "" : ", ", k, v);
  const std::string what = e.key().empty() ? e.problem() : e.key() + ": " + e.problem();
  return InputError(e.where(), "", fmt::format("at sweep point {} ({}): {}", p.index, values, what));
}

void CopyRange(const fs::path& from, std::streamoff offset, std::size_t bytes, std::FILE* to) {
  std::ifstream in(from, std::ios::binary);
  in.seekg(offset);
  char buffer[1 << 16];
  while (bytes > 0) {
    const std::size_t chunk = std::min(bytes, sizeof buffer);
    if (!in.read(buffer, static_cast<std::streamsize>(chunk))) throw std::runtime_error("cannot read " + from.string());
    if (std::fwrite(buffer, 1, chunk, to) != chunk) throw std::runtime_error("write failed");
    bytes -= chunk;
  }
}

fs::path PartsDir(const std::string& dir) { return fs::path(dir) / ".parts"; }

// One line per run of a finished task.
struct RunRecord {
  std::string run_id;
  size_t solver_index = 0;
  std::string solver, params, status;
  std::uint64_t seed = 0;
  double wall_s = 0.0;
  std::int64_t iterations = 0, oracle_calls = 0;
  MetricValues final;
};

std::string FormatRecord(const RunRecord& r) {
  std::string s = fmt::format("{},{},{},{},{},{},", r.run_id, r.solver_index, r.solver,
                              CsvField(r.params), r.seed, r.status);
  AppendNumber(s, r.wall_s);
  fmt::format_to(std::back_inserter(s), ",{},{}", r.iterations, r.oracle_calls);
  for (double m : r.final) {
    s += ',';
    AppendNumber(s, m);
  }
  return s + "\n";
}

// Splits one CSV line (fields may be quoted).
std::vector<std::string> SplitCsv(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        cur += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cur += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

// A finished task, waiting in a worker's buffer to be written.
struct FinishedTask {
  std::string id;
  std::vector<RunRecord> records;
  std::string trace;
};

// A part file holds one or more tasks, each "task ID", "runs K", K record lines, "trace BYTES", the
// trace rows, "end". It is written whole (temp file, fsync, rename), so it is complete or absent.
void WriteBatch(const fs::path& path, const std::vector<FinishedTask>& tasks) {
  WriteFileAtomic(path.string(), [&](std::FILE* f) {
    for (const FinishedTask& t : tasks) {
      std::string head = fmt::format("task {}\nruns {}\n", t.id, t.records.size());
      for (const RunRecord& r : t.records) head += FormatRecord(r);
      head += fmt::format("trace {}\n", t.trace.size());
      WriteString(f, head);
      WriteString(f, t.trace);
      WriteString(f, "end\n");
    }
  });
}

struct Part {
  fs::path file;
  std::vector<RunRecord> records;
  std::streamoff trace_offset = 0;
  std::size_t trace_bytes = 0;
};

std::vector<RunRecord> ParseRecords(std::istream& in, size_t count, const fs::path& path);

// Every task in a part file; empty if the file does not parse (then its tasks run again).
std::vector<std::pair<std::string, Part>> ReadParts(const fs::path& path) {
  std::vector<std::pair<std::string, Part>> out;
  std::ifstream in(path, std::ios::binary);
  std::string word, id;
  try {
    while (in >> word) {
      if (word != "task" || !(in >> id)) return {};
      size_t count = 0;
      if (!(in >> word >> count) || word != "runs") return {};
      in.ignore(1);
      Part part;
      part.file = path;
      part.records = ParseRecords(in, count, path);
      if (!(in >> word >> part.trace_bytes) || word != "trace") return {};
      in.ignore(1);
      part.trace_offset = in.tellg();
      in.seekg(part.trace_offset + static_cast<std::streamoff>(part.trace_bytes));
      std::string end;
      if (!std::getline(in, end) || end != "end") return {};
      out.emplace_back(id, std::move(part));
    }
  } catch (const std::exception&) {
    return {};
  }
  return out;
}

// The tasks stored in a .parts folder (the first copy of each).
std::map<std::string, Part> IndexParts(const fs::path& parts) {
  std::map<std::string, Part> index;
  if (!fs::is_directory(parts)) return index;
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(parts))
    if (entry.path().extension() == ".part") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  for (const fs::path& f : files)
    for (auto& [id, part] : ReadParts(f)) index.emplace(id, std::move(part));
  return index;
}

std::vector<RunRecord> ParseRecords(std::istream& in, size_t count, const fs::path& path) {
  std::vector<RunRecord> out;
  std::string line;
  while (out.size() < count && std::getline(in, line)) {
    const std::vector<std::string> f = SplitCsv(line);
    if (f.size() != 9 + kNumMetrics) throw std::runtime_error("corrupt part file " + path.string());
    RunRecord r;
    r.run_id = f[0];
    r.solver_index = std::stoul(f[1]);
    r.solver = f[2];
    r.params = f[3];
    r.seed = std::stoull(f[4]);
    r.status = f[5];
    r.wall_s = f[6].empty() ? std::nan("") : std::stod(f[6]);
    r.iterations = std::stoll(f[7]);
    r.oracle_calls = std::stoll(f[8]);
    for (size_t k = 0; k < kNumMetrics; ++k)
      r.final[k] = f[9 + k].empty() ? std::nan("") : std::stod(f[9 + k]);
    out.push_back(std::move(r));
  }
  if (out.size() != count) throw std::runtime_error("truncated part file " + path.string());
  return out;
}

// Linear-interpolation quantile (pandas' default) of the non-NaN values; NaN if none.
double Quantile(std::vector<double> v, double q) {
  v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return std::isnan(x); }), v.end());
  if (v.empty()) return std::nan("");
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (pos - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

std::string ResolvedSweepYaml(const SweepConfig& s, const ExperimentConfig& base) {
  std::string out = ResolvedYaml(base);
  YAML::Emitter e;
  e << YAML::BeginMap;
  if (!s.sweep.empty()) {
    e << YAML::Key << "sweep" << YAML::Value << YAML::BeginMap;
    for (const SweepAxis& a : s.sweep) {
      e << YAML::Key << a.key << YAML::Value << YAML::Flow << YAML::BeginSeq;
      for (const std::string& v : a.values) e << YAML::Load(v);
      e << YAML::EndSeq;
    }
    e << YAML::EndMap;
  }
  if (!s.zip.empty()) {
    e << YAML::Key << "zip" << YAML::Value << YAML::BeginSeq;
    for (const auto& group : s.zip) {
      e << YAML::Flow << YAML::BeginMap;
      for (const SweepAxis& a : group) {
        e << YAML::Key << a.key << YAML::Value << YAML::Flow << YAML::BeginSeq;
        for (const std::string& v : a.values) e << YAML::Load(v);
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

void WriteManifest(const SweepConfig& s, const fs::path& parts) {
  YAML::Emitter e;
  e << YAML::BeginMap << YAML::Key << "fingerprint" << YAML::Value << s.fingerprint << YAML::Key
    << "source" << YAML::Value << s.source << YAML::Key << "base_dir" << YAML::Value << s.base_dir
    << YAML::Key << "sets" << YAML::Value << YAML::BeginSeq;
  for (const std::string& set : s.sets) e << set;
  e << YAML::EndSeq << YAML::Key << "text" << YAML::Value << YAML::Literal << s.text
    << YAML::EndMap;
  const std::string text = std::string(e.c_str()) + "\n";
  WriteFileAtomic((parts / "manifest.yaml").string(), [&](std::FILE* f) { WriteString(f, text); });
}

std::string ManifestFingerprint(const fs::path& parts) {
  if (!fs::exists(parts / "manifest.yaml")) return "";
  return YAML::LoadFile((parts / "manifest.yaml").string())["fingerprint"].as<std::string>();
}

// The tasks stored in several .parts folders (the first copy of each).
std::map<std::string, Part> IndexParts(const std::vector<fs::path>& part_dirs) {
  std::map<std::string, Part> index;
  for (const fs::path& d : part_dirs)
    for (auto& [id, part] : IndexParts(d)) index.emplace(id, std::move(part));
  return index;
}

// Writes trace.csv, runs.csv, summary.csv and config.resolved.yaml of `out` from the indexed parts.
// Every task must be present.
void Assemble(const SweepConfig& s, const std::map<std::string, Part>& index, const std::string& out) {
  const std::vector<SweepTask> tasks = SweepTasks(s);
  std::vector<const Part*> where(tasks.size(), nullptr);
  std::vector<std::string> missing;
  for (size_t t = 0; t < tasks.size(); ++t) {
    auto it = index.find(tasks[t].id);
    if (it == index.end()) missing.push_back(tasks[t].id);
    else where[t] = &it->second;
  }
  if (!missing.empty())
    throw InputError(SourceLocation{out}, "",
                     fmt::format("{} of {} tasks are missing (for example {}), expected every "
                                 "shard of the sweep to be complete",
                                 missing.size(), tasks.size(), missing.front()));
  const fs::path dir = out;
  fs::create_directories(dir);
  WriteFileAtomic((dir / "trace.csv").string(), [&](std::FILE* f) {
    WriteString(f, TraceHeader());
    for (size_t t = 0; t < tasks.size(); ++t)
      CopyRange(where[t]->file, where[t]->trace_offset, where[t]->trace_bytes, f);
  });
  const std::vector<std::string> keys = s.Keys();
  std::string runs = "run_id,point";
  for (const std::string& k : keys) {
    runs += ',';
    runs += CsvField(k);
  }
  runs += ",solver,label,params,seed,status,wall_s,iterations,oracle_calls\n";
  std::string summary = "point";
  for (const std::string& k : keys) {
    summary += ',';
    summary += CsvField(k);
  }
  summary += ",solver,label,runs,iterations_median,oracle_calls_median";
  for (const MetricInfo& m : MetricTable())
    summary += fmt::format(",{0}_median,{0}_q25,{0}_q75", m.name);
  summary += "\n";
  // Per point: the records of all its seeds, grouped by solver.
  std::map<std::pair<size_t, size_t>, std::vector<RunRecord>> by_solver;
  for (size_t t = 0; t < tasks.size(); ++t) {
    const SweepPoint& p = s.points[tasks[t].point];
    for (const RunRecord& r : where[t]->records) {
      runs += fmt::format("{},{}", r.run_id, p.index);
      for (const auto& [k, v] : p.values) {
        runs += ',';
        runs += CsvField(v);
      }
      runs += fmt::format(",{},{},{},{},{},", r.solver, CsvField(p.config.solvers[r.solver_index].label),
                          CsvField(r.params), r.seed, r.status);
      AppendNumber(runs, r.wall_s);
      runs += fmt::format(",{},{}\n", r.iterations, r.oracle_calls);
      by_solver[{p.index, r.solver_index}].push_back(r);
    }
  }
  for (const auto& [key, records] : by_solver) {
    const SweepPoint& p = s.points[key.first];
    summary += fmt::format("{}", p.index);
    for (const auto& [k, v] : p.values) {
      summary += ',';
      summary += CsvField(v);
    }
    std::vector<double> it, calls;
    for (const RunRecord& r : records) {
      it.push_back(static_cast<double>(r.iterations));
      calls.push_back(static_cast<double>(r.oracle_calls));
    }
    summary += fmt::format(",{},{},{},", records.front().solver,
                           CsvField(p.config.solvers[records.front().solver_index].label), records.size());
    AppendNumber(summary, Quantile(it, 0.5));
    summary += ',';
    AppendNumber(summary, Quantile(calls, 0.5));
    for (size_t m = 0; m < kNumMetrics; ++m) {
      std::vector<double> v;
      for (const RunRecord& r : records) v.push_back(r.final[m]);
      for (double q : {0.5, 0.25, 0.75}) {
        summary += ',';
        AppendNumber(summary, Quantile(v, q));
      }
    }
    summary += "\n";
  }
  WriteFileAtomic((dir / "runs.csv").string(), [&](std::FILE* f) { WriteString(f, runs); });
  WriteFileAtomic((dir / "summary.csv").string(), [&](std::FILE* f) { WriteString(f, summary); });
  const ExperimentConfig base = ParseExperiment(s.text, s.source, s.sets, s.base_dir, true);
  WriteFileAtomic((dir / "config.resolved.yaml").string(),
                  [&](std::FILE* f) { WriteString(f, ResolvedSweepYaml(s, base)); });
}

}  // namespace

std::vector<std::string> SweepConfig::Keys() const {
  std::vector<std::string> keys;
  for (const SweepAxis& a : sweep) keys.push_back(a.key);
  for (const auto& group : zip)
    for (const SweepAxis& a : group) keys.push_back(a.key);
  return keys;
}

size_t SweepConfig::RunCount() const {
  size_t n = 0;
  for (const SweepPoint& p : points) n += p.config.seeds.size() * p.config.solvers.size();
  return n;
}

SweepConfig ParseSweep(const std::string& text, const std::string& source, const std::vector<std::string>& sets,
                       const std::string& base_dir, const std::function<void(size_t)>& on_count) {
  SweepConfig s;
  s.source = source;
  s.text = text;
  s.base_dir = base_dir;
  s.sets = sets;
  // Parsed once: the sets apply to the whole file (`--set sweep.game.n=[1,2]` changes the sweep).
  yaml::Origins origins(source);
  const YAML::Node document = yaml::LoadDocument(text, SourceLocation{source}, true);
  YAML::Node root = yaml::ApplySets(document, sets, origins);
  InputHashCache hashes;
  // The base experiment (sweep and zip keys allowed) must itself be valid.
  ParseExperimentTree(root, origins, base_dir, true, hashes);
  std::vector<InputError> errors;
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
  if (!errors.empty()) throw InputErrors(errors);
  std::vector<const AxisNodes*> axes;  // column order: sweep axes, then zip groups' keys
  for (const AxisNodes& a : sweep_nodes) axes.push_back(&a);
  for (const auto& group : zip_nodes)
    for (const AxisNodes& a : group) axes.push_back(&a);
  // Key paths are checked once, not at every point.
  for (const AxisNodes* a : axes) {
    yaml::Origins scratch(source);
    try {
      yaml::With(root, a->key, a->values.front(), origins.Where(a->key_node), scratch);
    } catch (const InputError& e) {
      errors.push_back(e);
    }
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
  s.points.reserve(total);
  std::vector<size_t> digit(sizes.size(), 0);
  std::string fingerprint_text;
  for (size_t index = 0; index < total; ++index) {
    SweepPoint p;
    p.index = index;
    bool valid = true;
    try {
      yaml::Origins point_origins(source);
      point_origins.SetLineShifts(line_shifts);
      YAML::Node point = yaml::LoadDocument(point_text, SourceLocation{source}, true);
      point = yaml::ApplySets(point, point_sets, point_origins);
      for (size_t a = 0; a < axes.size(); ++a) {
        const size_t d = a < sweep_nodes.size() ? a : sweep_nodes.size() + GroupOf(zip_nodes, a - sweep_nodes.size());
        const AxisNodes& axis = *axes[a];
        p.values.emplace_back(axis.key, axis.axis.values[digit[d]]);
        // The value again from its text, located where it is written (in the file or a --set).
        const SourceLocation at = origins.Where(axis.values[digit[d]]);
        const YAML::Node value = yaml::LoadDocument(axis.axis.values[digit[d]], at, false, axis.key);
        point_origins.AddTree(value, at);
        point = yaml::With(point, axis.key, value, origins.Where(axis.key_node), point_origins);
      }
      p.config = ParseExperimentTree(point, point_origins, base_dir, true, hashes);
      ValidateExperiment(p.config);
    } catch (const InputErrors& e) {
      for (const InputError& one : e.errors()) errors.push_back(AtPoint(one, p));
      valid = false;
    } catch (const InputError& e) {
      errors.push_back(AtPoint(e, p));
      valid = false;
    }
    if (errors.size() >= 10) break;  // enough to act on
    if (valid) {
      // Validated: the key locations (a map per point, most of its memory) are not needed again; an
      // error found while running names the sweep file.
      p.config.locations.clear();
      p.fingerprint = ExperimentFingerprint(p.config);
      fingerprint_text += p.fingerprint + "\n--\n";
      s.points.push_back(std::move(p));
    }
    for (size_t d = sizes.size(); d-- > 0;) {
      if (++digit[d] < sizes[d]) break;
      digit[d] = 0;
    }
  }
  if (!errors.empty()) throw InputErrors(errors);
  s.fingerprint = Hex(Fnv1a64(fingerprint_text));
  return s;
}

SweepConfig LoadSweep(const std::string& path, const std::vector<std::string>& sets,
                      const std::function<void(size_t)>& on_count) {
  const std::string text = ReadInputFile(path, "", "a sweep YAML file", kMaxYamlBytes);
  // Absolute, so that the manifest's base_dir resolves relative input paths from any directory.
  return ParseSweep(text, path, sets, fs::absolute(path).parent_path().string(), on_count);
}

std::vector<SweepTask> SweepTasks(const SweepConfig& s) {
  std::vector<SweepTask> tasks;
  for (const SweepPoint& p : s.points) {
    const std::string& text = p.fingerprint;
    double n = 10.0;
    for (const auto& [k, v] : p.config.game.params)
      if (k == "n") n = static_cast<double>(std::get<std::int64_t>(v));
    for (size_t i = 0; i < p.config.seeds.size(); ++i) {
      SweepTask t;
      t.point = p.index;
      t.seed_index = i;
      t.id = Hex(Fnv1a64(fmt::format("{}|seed={}", text, p.config.seeds[i])));
      t.cost = n * n * static_cast<double>(p.config.stop.iterations) *
               static_cast<double>(p.config.solvers.size());
      tasks.push_back(std::move(t));
    }
  }
  return tasks;
}

Shard ParseShard(const std::string& text) {
  Shard s;
  const size_t slash = text.find('/');
  try {
    if (slash == std::string::npos) throw std::invalid_argument("no slash");
    size_t used = 0;
    s.k = std::stoi(text.substr(0, slash), &used);
    if (used != slash) throw std::invalid_argument("trailing");
    s.n = std::stoi(text.substr(slash + 1), &used);
    if (used != text.size() - slash - 1) throw std::invalid_argument("trailing");
  } catch (const std::exception&) {
    throw InputError("--shard",
                     fmt::format("'{}' is not K/N, expected for example --shard 2/8", text));
  }
  if (s.n < 1 || s.k < 1 || s.k > s.n)
    throw InputError("--shard", fmt::format("'{}' is out of range, expected 1 <= K <= N", text));
  return s;
}

SweepReport RunSweep(const SweepConfig& s, const std::string& dir, const SweepOptions& options) {
  const auto start = Clock::now();
  const fs::path parts = PartsDir(dir);
  const std::string existing = ManifestFingerprint(parts);
  if (!existing.empty() && existing != s.fingerprint) {
    throw InputError(SourceLocation{dir}, "--out",
                     "holds the results of a different sweep, expected the same sweep to resume it "
                     "(or another --out)");
  }
  if (existing.empty() && fs::exists(dir) && !fs::is_empty(dir))
    throw InputError(SourceLocation{dir}, "--out",
                     "exists and holds something other than a sweep, expected a new directory");
  fs::create_directories(parts);
  if (existing.empty()) WriteManifest(s, parts);

  const std::vector<SweepTask> all = SweepTasks(s);
  const std::map<std::string, Part> done_before = IndexParts(parts);
  std::vector<SweepTask> todo;
  SweepReport report;
  std::int64_t runs_total = 0, runs_skipped = 0;
  for (size_t i = 0; i < all.size(); ++i) {
    if (static_cast<int>(i % static_cast<size_t>(options.shard.n)) != options.shard.k - 1) continue;
    const std::int64_t runs =
        static_cast<std::int64_t>(s.points[all[i].point].config.solvers.size());
    ++report.tasks;
    runs_total += runs;
    if (done_before.count(all[i].id) > 0) {
      ++report.tasks_skipped;
      runs_skipped += runs;
    } else {
      todo.push_back(all[i]);
    }
  }
  std::stable_sort(todo.begin(), todo.end(),
                   [](const SweepTask& a, const SweepTask& b) { return a.cost > b.cost; });

  std::atomic<size_t> next{0};
  std::atomic<std::int64_t> runs_done{runs_skipped}, failures{0}, numerical{0};
  std::mutex report_mutex;
  double solve_s = 0.0;
  auto notify = [&] {
    if (!options.progress) return;
    SweepProgress p;
    p.runs_done = runs_done;
    p.runs_total = runs_total;
    p.runs_skipped = runs_skipped;
    p.failures = failures;
    p.elapsed_s = std::chrono::duration<double>(Clock::now() - start).count();
    options.progress(p);
  };
  // Each worker buffers finished tasks and writes them as one part file every kFlushSeconds (or
  // kFlushTasks tasks) and when it stops: far fewer files and fsyncs than one per task, at the cost
  // of rerunning at most that much work after a kill -9.
  constexpr double kFlushSeconds = 0.25;
  constexpr size_t kFlushTasks = 64;
  std::atomic<int> worker_ids{0};
  auto worker = [&] {
    const int me = worker_ids++;
    int batch = 0;
    std::vector<FinishedTask> buffer;
    auto last_flush = Clock::now();
    auto flush = [&] {
      if (buffer.empty()) return;
      WriteBatch(parts / fmt::format("{}-{}-{}-{}.part", buffer.front().id, ::getpid(), me, batch++), buffer);
      buffer.clear();
      last_flush = Clock::now();
    };
    while (true) {
      const size_t i = next.fetch_add(1);
      if (i >= todo.size()) break;
      const SweepTask& task = todo[i];
      const ExperimentConfig& config = s.points[task.point].config;
      try {
        GroupResult g = RunGroup(config, task.seed_index, s.points[task.point].fingerprint);
        FinishedTask done;
        done.id = task.id;
        double group_solve = 0.0;
        for (size_t k = 0; k < g.runs.size(); ++k) {
          const RunResult& r = g.runs[k];
          RunRecord rec;
          rec.run_id = r.run_id;
          rec.solver_index = k;
          rec.solver = r.solver;
          rec.params = r.params;
          rec.seed = r.seed;
          rec.status = std::string(TerminationName(r.summary.termination));
          rec.wall_s = r.summary.wall_s;
          rec.iterations = r.summary.iterations;
          rec.oracle_calls = r.summary.oracle_calls;
          rec.final = r.summary.final_metrics;
          done.records.push_back(std::move(rec));
          done.trace += r.trace_rows;
          group_solve += r.summary.wall_s;
          if (r.summary.termination == Termination::kNumericalFailure) ++numerical;
        }
        buffer.push_back(std::move(done));
        if (buffer.size() >= kFlushTasks ||
            std::chrono::duration<double>(Clock::now() - last_flush).count() >= kFlushSeconds)
          flush();
        std::lock_guard<std::mutex> lock(report_mutex);
        solve_s += group_solve;
        ++report.tasks_run;
      } catch (const InputError&) {
        flush();
        throw;
      } catch (const std::exception&) {
        ++failures;  // not written: a later run of the same command retries it
      }
      runs_done += static_cast<std::int64_t>(config.solvers.size());
      notify();
    }
    flush();
  };
  notify();
  const size_t threads = std::max<size_t>(
      1, std::min<size_t>(static_cast<size_t>(std::max(1, options.jobs)), todo.size()));
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (std::thread& t : pool) t.join();

  report.runs = runs_total;
  report.numerical_failures = numerical;
  report.solve_s = solve_s;
  // Assemble once the directory holds the whole sweep (an unsharded run, or the last shard run
  // into a shared directory).
  bool complete = failures == 0;
  const std::map<std::string, Part> on_disk = IndexParts(parts);
  for (const SweepTask& t : all) complete = complete && on_disk.count(t.id) > 0;
  if (complete) Assemble(s, on_disk, dir);
  report.wall_s = std::chrono::duration<double>(Clock::now() - start).count();
  if (failures > 0)
    throw std::runtime_error(
        fmt::format("{} tasks failed; run the same command again to retry them", failures.load()));
  return report;
}

void MergeSweep(const std::vector<std::string>& part_dirs, const std::string& out) {
  if (part_dirs.empty())
    throw InputError("--merge", "names no directory, expected --merge DIR... --out DIR");
  std::vector<fs::path> parts;
  std::string fingerprint;
  for (const std::string& d : part_dirs) {
    const std::string fp = ManifestFingerprint(PartsDir(d));
    if (fp.empty())
      throw InputError(SourceLocation{d}, "--merge",
                       "holds no sweep results, expected an nlhf-sweep output directory");
    if (!fingerprint.empty() && fp != fingerprint)
      throw InputError(
          SourceLocation{d}, "--merge",
          fmt::format("holds shards of a different sweep than {}, expected shards of one sweep",
                      part_dirs.front()));
    fingerprint = fp;
    parts.push_back(PartsDir(d));
  }
  const YAML::Node manifest = YAML::LoadFile((parts.front() / "manifest.yaml").string());
  std::vector<std::string> sets;
  for (const auto& n : manifest["sets"]) sets.push_back(n.as<std::string>());
  const SweepConfig s =
      ParseSweep(manifest["text"].as<std::string>(), manifest["source"].as<std::string>(), sets,
                 manifest["base_dir"].as<std::string>());
  if (s.fingerprint != fingerprint)
    throw InputError(SourceLocation{part_dirs.front()}, "--merge",
                     "its manifest no longer expands to the same sweep (was nlhf changed?)");
  fs::create_directories(PartsDir(out));
  if (ManifestFingerprint(PartsDir(out)).empty()) WriteManifest(s, PartsDir(out));
  Assemble(s, IndexParts(parts), out);
}

std::string EmitSlurm(const SweepConfig& s, const std::string& sweep_path, const std::string& out,
                      const SlurmOptions& o) {
  std::string sets;
  for (const std::string& set : s.sets) sets += fmt::format(" --set '{}'", set);
  const std::string partition =
      o.partition.empty() ? "" : fmt::format(" --partition={}", o.partition);
  const std::string sweep = fs::absolute(sweep_path).string();
  const std::string dir = fs::absolute(out).string();
  const std::string logs = fs::absolute(o.log_dir).string();
  return fmt::format(
      R"(#!/usr/bin/env bash
# nlhf-sweep on SLURM: {shards} array tasks each run one shard of {sweep} ({runs} runs in all),
# then a merge job (started only if every shard succeeded) writes {dir}.
# Submit with: bash THIS_SCRIPT     (needs sbatch; generated by nlhf {version})
set -euo pipefail
mkdir -p '{logs}'
array=$(sbatch --parsable --job-name=nlhf-sweep --array=1-{shards}{partition} --time={time} \
  --cpus-per-task={cpus} --output='{logs}/shard-%a.out' \
  --wrap="'{bin}' '{sweep}'{sets} --shard \${{SLURM_ARRAY_TASK_ID}}/{shards} --out '{dir}'/shard-\${{SLURM_ARRAY_TASK_ID}} --jobs {cpus} --quiet")
merge=$(sbatch --parsable --job-name=nlhf-merge --dependency=afterok:${{array}}{partition} --time={time} \
  --output='{logs}/merge.out' \
  --wrap="'{bin}' --merge '{dir}'/shard-* --out '{dir}'")
echo "submitted shards as job $array and the merge as job $merge; results in {dir}"
)",
      fmt::arg("shards", o.shards), fmt::arg("sweep", sweep), fmt::arg("runs", s.RunCount()),
      fmt::arg("dir", dir), fmt::arg("version", kVersion), fmt::arg("logs", logs),
      fmt::arg("partition", partition), fmt::arg("time", o.time), fmt::arg("cpus", o.cpus_per_task),
      fmt::arg("bin", o.sweep_binary), fmt::arg("sets", sets));
}

}  // namespace nlhf
