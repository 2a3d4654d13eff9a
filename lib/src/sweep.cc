#include "nlhf/sweep.h"

#include <fmt/format.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <system_error>
#include <thread>
#include <variant>

#include "config_tree.h"
#include "nlhf/experiment.h"
#include "nlhf/input_file.h"
#include "nlhf/output.h"
#include "nlhf/parallel.h"
#include "nlhf/rng.h"
#include "nlhf/run_directory.h"
#include "nlhf/shell.h"
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

// An input error found while running one task of the sweep (a file removed since validation): the
// same error, prefixed with the point's values and the seed.
InputError AtTask(const InputError& e, const SweepPoint& p, std::uint64_t seed) {
  std::string values;
  for (const auto& [k, v] : p.values) values += fmt::format(", {}={}", k, v);
  const std::string what = e.key().empty() ? e.problem() : e.key() + ": " + e.problem();
  // An error without a location of its own (a solver's step checked at run time) gets the key's.
  const SourceLocation where = e.where().file.empty() ? p.config.Locate(e.key()) : e.where();
  return InputError(where, "", fmt::format("running sweep point {} (seed={}{}): {}", p.index, seed, values, what));
}

void CopyRange(const fs::path& from, std::streamoff offset, std::size_t bytes, std::FILE* to) {
  std::ifstream in(from, std::ios::binary);
  in.seekg(offset);
  char buffer[1 << 16];
  while (bytes > 0) {
    const std::size_t chunk = std::min(bytes, sizeof buffer);
    if (!in.read(buffer, static_cast<std::streamsize>(chunk))) throw std::runtime_error("cannot read " + from.string());
    if (std::fwrite(buffer, 1, chunk, to) != chunk) throw std::system_error(errno, std::generic_category(), "write");
    bytes -= chunk;
  }
}

fs::path PartsDir(const std::string& dir) { return fs::path(dir) / ".parts"; }

MetricValues NanMetrics() {
  MetricValues v;
  v.fill(std::nan(""));
  return v;
}

// One line per run of a finished task.
struct RunRecord {
  std::string run_id;
  size_t solver_index = 0;
  std::string solver, params, status;
  std::uint64_t seed = 0;
  double wall_s = 0.0;
  std::int64_t iterations = 0, oracle_calls = 0, queries = 0;
  MetricValues final;
  // NaN where absent (an empty cell): rho and the limit need a certified pi*, the target gap a
  // certified target; the average iterate only for solvers that keep one (mwu, omwu).
  double rho = std::nan(""), stability_limit = std::nan(""), target_gap_beta = std::nan("");
  MetricValues average = NanMetrics();
};

// The numbers after a record's counters, in runs.csv order: final metrics, rho, stability limit,
// target gap, average-iterate metrics.
std::vector<double> RecordTail(const RunRecord& r) {
  std::vector<double> v(r.final.begin(), r.final.end());
  v.insert(v.end(), {r.rho, r.stability_limit, r.target_gap_beta});
  v.insert(v.end(), r.average.begin(), r.average.end());
  return v;
}
constexpr size_t kRecordTail = 2 * kNumMetrics + 3;

// A record's numbers from wall_s on, the same in a part file and in runs.csv: wall_s, iterations,
// oracle_calls, queries, then RecordTail.
void AppendRecordNumbers(std::string& s, const RunRecord& r) {
  AppendNumber(s, r.wall_s);
  fmt::format_to(std::back_inserter(s), ",{},{},{}", r.iterations, r.oracle_calls, r.queries);
  for (double x : RecordTail(r)) {
    s += ',';
    AppendNumber(s, x);
  }
}

std::string FormatRecord(const RunRecord& r) {
  std::string s = fmt::format("{},{},{},{},{},{},", r.run_id, r.solver_index, r.solver,
                              CsvField(r.params), r.seed, r.status);
  AppendRecordNumbers(s, r);
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

// A number of a part file as FormatRecord wrote it. Not std::stod: it throws on subnormal values
// (strtod's ERANGE on underflow), which metrics such as kl_to_star reach on games with a pure
// equilibrium; the part would then be taken for damaged and its tasks silently dropped.
double ParseNumber(const std::string& text, const fs::path& path) {
  if (text.empty()) return std::nan("");
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size()) throw std::runtime_error("corrupt part file " + path.string());
  return v;
}

std::vector<RunRecord> ParseRecords(std::istream& in, size_t count, const fs::path& path) {
  std::vector<RunRecord> out;
  std::string line;
  while (out.size() < count && std::getline(in, line)) {
    const std::vector<std::string> f = SplitCsv(line);
    // (A part file of an older version has fewer fields: its tasks run again.)
    if (f.size() != 10 + kRecordTail) throw std::runtime_error("corrupt part file " + path.string());
    RunRecord r;
    r.run_id = f[0];
    r.solver_index = std::stoul(f[1]);
    r.solver = f[2];
    r.params = f[3];
    r.seed = std::stoull(f[4]);
    r.status = f[5];
    r.wall_s = ParseNumber(f[6], path);
    r.iterations = std::stoll(f[7]);
    r.oracle_calls = std::stoll(f[8]);
    r.queries = std::stoll(f[9]);
    auto number = [&](size_t k) { return ParseNumber(f[10 + k], path); };
    for (size_t k = 0; k < kNumMetrics; ++k) r.final[k] = number(k);
    r.rho = number(kNumMetrics);
    r.stability_limit = number(kNumMetrics + 1);
    r.target_gap_beta = number(kNumMetrics + 2);
    for (size_t k = 0; k < kNumMetrics; ++k) r.average[k] = number(kNumMetrics + 3 + k);
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

// A swept input file (`game.path`, `reference.path`): its values are written as absolute paths, so
// the resolved sweep runs from any directory. In a zip group each gets its SHA-256 next to it
// (`game.sha256: [...]`), checked on load like the base's; a path swept in `sweep:` cannot be paired
// with its hash without changing the points' order, so there the hash is checked only through the
// fingerprint (a changed file gives other run ids).
bool IsPathKey(const std::string& key) { return key == "game.path" || key == "reference.path"; }

std::string ResolvedSweepYaml(const SweepConfig& s, const ExperimentConfig& given_base) {
  std::map<std::string, std::string> sha256;  // absolute path -> hash, from the points as loaded
  for (const SweepPoint& p : s.points)
    for (const InputFile& f : p.config.inputs) sha256.emplace(f.path, f.sha256);
  const auto absolute = [&](const std::string& flow) {
    const std::string raw = YAML::Load(flow).Scalar();
    fs::path path(raw);
    if (path.is_relative() && !s.base_dir.empty()) path = fs::path(s.base_dir) / path;
    return fs::absolute(path).lexically_normal().string();
  };
  // The base's hash of a swept file is that of one point's file: left out.
  ExperimentConfig base = given_base;
  for (const std::string& key : s.Keys())
    if (IsPathKey(key))
      base.inputs.erase(std::remove_if(base.inputs.begin(), base.inputs.end(),
                                       [&](const InputFile& f) { return f.key == key; }),
                        base.inputs.end());
  std::string out = ResolvedYaml(base);
  const auto emit_axis = [&](YAML::Emitter& e, const SweepAxis& a) {
    e << YAML::Key << a.key << YAML::Value << YAML::Flow << YAML::BeginSeq;
    for (const std::string& v : a.values) {
      if (IsPathKey(a.key)) e << absolute(v);
      else e << YAML::Load(v);
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

// An input file of a sweep as its manifest records it: the absolute path and "sha256:HEX" of the
// contents when the sweep was loaded (ExperimentConfig::inputs).
struct RecordedInput {
  std::string path, hash;
  bool operator==(const RecordedInput&) const = default;
};

// Every input file of every point, once each, sorted by path.
std::vector<RecordedInput> SweepInputs(const SweepConfig& s) {
  std::map<std::string, std::string> hashes;
  for (const SweepPoint& p : s.points)
    for (const InputFile& f : p.config.inputs) hashes.emplace(f.path, "sha256:" + f.sha256);
  std::vector<RecordedInput> out;
  for (const auto& [path, hash] : hashes) out.push_back({path, hash});
  return out;
}

// DIR/.parts/manifest.yaml: the sweep whose tasks the folder holds (its text, so --merge can expand
// it again) and the input files it read.
struct Manifest {
  std::string fingerprint, source, base_dir, text;
  std::vector<std::string> sets;
  std::vector<RecordedInput> inputs;
};

void WriteManifest(const SweepConfig& s, const fs::path& parts, const std::vector<RecordedInput>& inputs) {
  YAML::Emitter e;
  e << YAML::BeginMap << YAML::Key << "fingerprint" << YAML::Value << s.fingerprint << YAML::Key
    << "source" << YAML::Value << s.source << YAML::Key << "base_dir" << YAML::Value << s.base_dir
    << YAML::Key << "sets" << YAML::Value << YAML::BeginSeq;
  for (const std::string& set : s.sets) e << set;
  e << YAML::EndSeq << YAML::Key << "inputs" << YAML::Value << YAML::BeginSeq;
  for (const RecordedInput& f : inputs)
    e << YAML::BeginMap << YAML::Key << "path" << YAML::Value << f.path << YAML::Key << "hash" << YAML::Value
      << f.hash << YAML::EndMap;
  e << YAML::EndSeq << YAML::Key << "text" << YAML::Value << YAML::Literal << s.text << YAML::EndMap;
  const std::string text = std::string(e.c_str()) + "\n";
  WriteFileAtomic((parts / "manifest.yaml").string(), [&](std::FILE* f) { WriteString(f, text); });
}

// The manifest of a .parts folder; nullopt if there is none. A manifest that does not read is an
// InputError (nlhf wrote it atomically, so something else changed it).
std::optional<Manifest> ReadManifest(const fs::path& parts) {
  const fs::path file = parts / "manifest.yaml";
  if (!fs::exists(file)) return std::nullopt;
  try {
    const YAML::Node root = YAML::LoadFile(file.string());
    if (!root.IsMap()) throw std::runtime_error(root.IsNull() ? "it is empty" : "it is not a map");
    for (const char* key : {"fingerprint", "source", "base_dir", "text"})
      if (!root[key] || !root[key].IsScalar()) throw std::runtime_error(fmt::format("no '{}'", key));
    Manifest m;
    m.fingerprint = root["fingerprint"].as<std::string>();
    m.source = root["source"].as<std::string>();
    m.base_dir = root["base_dir"].as<std::string>();
    m.text = root["text"].as<std::string>();
    for (const auto& n : root["sets"]) m.sets.push_back(n.as<std::string>());
    if (const YAML::Node inputs = root["inputs"])  // absent in manifests written before nlhf recorded inputs
      for (const auto& n : inputs) m.inputs.push_back({n["path"].as<std::string>(), n["hash"].as<std::string>()});
    if (m.fingerprint.empty()) throw std::runtime_error("an empty fingerprint");
    return m;
  } catch (const std::exception& e) {
    throw InputError(SourceLocation{file.string()}, "",
                     fmt::format("is not a sweep manifest nlhf-sweep can read ({}; damaged or edited), expected "
                                 "the file nlhf-sweep wrote; remove the directory (or use --force) to start the "
                                 "sweep over",
                                 e.what()));
  }
}

std::string ManifestFingerprint(const fs::path& parts) {
  const std::optional<Manifest> m = ReadManifest(parts);
  return m ? m->fingerprint : "";
}

// The first input file that `then` and `now` both list with different contents: (then, now).
std::optional<std::pair<RecordedInput, RecordedInput>> ChangedInput(const std::vector<RecordedInput>& then,
                                                            const std::vector<RecordedInput>& now) {
  for (const RecordedInput& a : then)
    for (const RecordedInput& b : now)
      if (a.path == b.path && a.hash != b.hash) return std::make_pair(a, b);
  return std::nullopt;
}

// Refuses to reuse results computed from an input file that has changed since: a recorded file
// that the current sweep reads with other contents.
void RefuseChangedInputs(const std::vector<RecordedInput>& recorded, const std::vector<RecordedInput>& current,
                         const std::string& dir, const std::string& advice) {
  if (const auto changed = ChangedInput(recorded, current))
    throw InputError(SourceLocation{changed->second.path}, "",
                     fmt::format("has changed since the results in {} were computed from it (content hash {}, "
                                 "was {}), expected the same file to reuse them; {}",
                                 dir, changed->second.hash, changed->first.hash, advice));
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
// Throws (before anything is written) unless `index` holds every one of `tasks`.
void RequireComplete(const std::vector<SweepTask>& tasks, const std::map<std::string, Part>& index,
                     const std::string& out) {
  std::vector<std::string> missing;
  for (const SweepTask& t : tasks)
    if (index.count(t.id) == 0) missing.push_back(t.id);
  if (!missing.empty())
    throw InputError(SourceLocation{out}, "",
                     fmt::format("{} of {} tasks are missing (for example {}), expected every "
                                 "shard of the sweep to be complete; nothing was written",
                                 missing.size(), tasks.size(), missing.front()));
}

void Assemble(const SweepConfig& s, const std::map<std::string, Part>& index, const std::string& out) {
  const std::vector<SweepTask> tasks = SweepTasks(s);
  RequireComplete(tasks, index, out);
  std::vector<const Part*> where(tasks.size(), nullptr);
  for (size_t t = 0; t < tasks.size(); ++t) where[t] = &index.at(tasks[t].id);
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
  runs += ",solver,label,params,seed,status,wall_s,iterations,oracle_calls,queries";
  for (const MetricInfo& m : MetricTable()) runs += fmt::format(",{}", m.name);  // final values
  runs += ",rho,stability_limit,target_gap_beta";
  for (const MetricInfo& m : MetricTable()) runs += fmt::format(",average_{}", m.name);
  runs += "\n";
  std::string summary = "point";
  for (const std::string& k : keys) {
    summary += ',';
    summary += CsvField(k);
  }
  summary += ",solver,label,runs,iterations_median,oracle_calls_median,queries_median";
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
      AppendRecordNumbers(runs, r);
      runs += '\n';
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
    std::vector<double> it, calls, queries;
    for (const RunRecord& r : records) {
      it.push_back(static_cast<double>(r.iterations));
      calls.push_back(static_cast<double>(r.oracle_calls));
      queries.push_back(static_cast<double>(r.queries));
    }
    summary += fmt::format(",{},{},{},", records.front().solver,
                           CsvField(p.config.solvers[records.front().solver_index].label), records.size());
    AppendNumber(summary, Quantile(it, 0.5));
    summary += ',';
    AppendNumber(summary, Quantile(calls, 0.5));
    summary += ',';
    AppendNumber(summary, Quantile(queries, 0.5));
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
  ExperimentConfig base = ParseExperiment(s.text, s.source, s.sets, s.base_dir, true);
  base.output = out;  // where this sweep was written, as nlhf-run records its own
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
  if (!errors.empty()) throw InputErrors(errors);
  std::vector<const AxisNodes*> axes;  // column order: sweep axes, then zip groups' keys
  for (const AxisNodes& a : sweep_nodes) axes.push_back(&a);
  for (const auto& group : zip_nodes)
    for (const AxisNodes& a : group) axes.push_back(&a);
  // Each key varies in one place only: a key swept twice (in `sweep` and a `zip` group, or in two
  // groups), or together with a key inside it (`game` and `game.n`), would label points with values
  // that the run does not use.
  for (size_t i = 0; i < axes.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      const std::string& a = axes[j]->key;
      const std::string& b = axes[i]->key;
      const auto inside = [](const std::string& outer, const std::string& inner) {
        return inner.size() > outer.size() && inner.compare(0, outer.size(), outer) == 0 &&
               (inner[outer.size()] == '.' || inner[outer.size()] == '[');
      };
      if (a == b || inside(a, b) || inside(b, a))
        errors.emplace_back(origins.Where(axes[i]->key_node), b,
                            fmt::format("{}, expected each key to vary in one place (in sweep or in one zip group)",
                                        a == b ? "is swept twice" : "overlaps the swept key " + a));
    }
  }
  if (!errors.empty()) throw InputErrors(errors);
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
  std::map<std::string, size_t> seen_points;  // fingerprint -> point index
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
      ValidateExperiment(p.config, ResourcePlan{1, true});  // RunSweep checks again with its --jobs
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
        errors.push_back(AtPoint(InputError(fmt::format("is the same experiment as sweep point {}, expected "
                                                        "distinct points (is a value listed twice?)",
                                                        it->second)),
                                 p));
      } else {
        ExperimentConfig one_task = p.config;
        one_task.seeds.clear();
        p.task_fingerprint = ExperimentFingerprint(one_task);
        fingerprint_text += p.fingerprint + "\n--\n";
        s.points.push_back(std::move(p));
      }
    }
    for (size_t d = sizes.size(); d-- > 0;) {
      if (++digit[d] < sizes[d]) break;
      digit[d] = 0;
    }
  }
  for (const auto& [id, at] : repeated) {
    if (at.second == 0) continue;
    const InputError& first = errors[at.first];
    errors[at.first] = InputError(first.where(), first.key(),
                                  fmt::format("{} (the same at {} more point{})", first.problem(), at.second,
                                              at.second == 1 ? "" : "s"));
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
    const std::string& text = p.task_fingerprint;
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

namespace {

// The output directory of a sweep or a merge: checked, locked (for the whole run), cleaned of
// leftovers, marked; with `force` a directory nlhf-sweep wrote loses what nlhf-sweep wrote.
std::unique_ptr<OutputDirectory> ClaimSweepDirectory(const SweepConfig& s, const std::string& dir, bool force,
                                                     const std::vector<std::string>& accepted) {
  OutputDirectoryOptions o;
  o.tool = "nlhf-sweep";
  o.staged = false;
  o.force = force;
  o.owned = {".parts", "trace.csv", "runs.csv", "summary.csv", "config.resolved.yaml"};
  o.also_marked_by = ".parts/manifest.yaml";  // sweeps written before the marker existed
  o.accepted = accepted;
  o.inputs = SweepInputFiles(s);
  return std::make_unique<OutputDirectory>(dir, o);
}


}  // namespace

SweepReport RunSweep(const SweepConfig& s, const std::string& dir, const SweepOptions& options) {
  const auto start = Clock::now();
  // Memory for `jobs` workers, each holding one task's game, at the most demanding point.
  size_t task_count = 0;
  for (const SweepPoint& p : s.points) task_count += p.config.seeds.size();
  const ResourcePlan plan{static_cast<int>(std::min<size_t>(std::max(1, options.jobs), std::max<size_t>(1, task_count))),
                          true};
  const SweepPoint* largest = nullptr;
  MemoryEstimate most;
  for (const SweepPoint& p : s.points) {
    const MemoryEstimate e = EstimateMemory(p.config, plan);
    if (largest == nullptr || e.bytes > most.bytes) largest = &p, most = e;
  }
  if (largest != nullptr) CheckMemory(largest->config, plan, most);
  // Held until the sweep returns: a second writer of DIR is refused before doing any work.
  const std::unique_ptr<OutputDirectory> claim = ClaimSweepDirectory(s, dir, options.force, {});
  const fs::path parts = PartsDir(dir);
  // DIR may hold this sweep (resumed) or an earlier one (extended or changed): either way its
  // finished tasks whose ids are in this sweep are reused, unless an input file has changed.
  const std::optional<Manifest> previous = ReadManifest(parts);
  const std::vector<RecordedInput> inputs = SweepInputs(s);
  if (previous)
    RefuseChangedInputs(previous->inputs, inputs, dir,
                        "restore it, or write to another --out (or start over with nlhf-sweep --force)");
  fs::create_directories(parts);
  // The final files of an earlier, different sweep no longer match what DIR will hold: removed
  // before the new manifest is written, so no crash can leave them beside it looking current.
  if (previous && previous->fingerprint != s.fingerprint)
    for (const char* name : {"trace.csv", "runs.csv", "summary.csv", "config.resolved.yaml"})
      fs::remove(fs::path(dir) / name);
  if (!previous || previous->fingerprint != s.fingerprint || previous->inputs != inputs)
    WriteManifest(s, parts, inputs);

  const std::vector<SweepTask> all = SweepTasks(s);
  const std::map<std::string, Part> done_before = IndexParts(parts);
  std::vector<SweepTask> todo;
  SweepReport report;
  if (previous && previous->fingerprint != s.fingerprint) {
    report.changed_sweep = true;
    std::set<std::string> ids;
    for (const SweepTask& t : all) ids.insert(t.id);
    for (const auto& [id, part] : done_before) report.tasks_unused += ids.count(id) == 0 ? 1 : 0;
  }
  std::int64_t runs_total = 0, runs_skipped = 0;
  for (size_t i = 0; i < all.size(); ++i) {
    if (!options.shard.Holds(i)) continue;
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

  std::atomic<std::int64_t> runs_done{runs_skipped}, failures{0};
  std::mutex report_mutex;
  double solve_s = 0.0;
  std::string first_failure;
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
  // Finished tasks are buffered and written as one part file every kFlushSeconds (or kFlushTasks
  // tasks) and at the end: far fewer files and fsyncs than one per task, at the cost of rerunning
  // at most that much work after a kill -9. The thread that fills the buffer writes it, outside
  // the lock.
  constexpr double kFlushSeconds = 0.25;
  constexpr size_t kFlushTasks = 64;
  std::mutex buffer_mutex;
  std::vector<FinishedTask> buffer;
  auto last_flush = Clock::now();
  std::atomic<int> batch{0};
  auto flush = [&](bool now) {
    std::vector<FinishedTask> out;
    {
      std::lock_guard<std::mutex> lock(buffer_mutex);
      if (buffer.empty()) return;
      if (!now && buffer.size() < kFlushTasks &&
          std::chrono::duration<double>(Clock::now() - last_flush).count() < kFlushSeconds)
        return;
      out.swap(buffer);
      last_flush = Clock::now();
    }
    WriteBatch(parts / fmt::format("{}-{}-{}.part", out.front().id, ::getpid(), batch++), out);
  };
  auto run_task = [&](size_t i) {
    const SweepTask& task = todo[i];
    const SweepPoint& point = s.points[task.point];
    try {
      char* text = nullptr;
      size_t text_size = 0;
      std::FILE* memory = ::open_memstream(&text, &text_size);
      if (memory == nullptr) throw std::bad_alloc();
      GroupResult g;
      FinishedTask done;
      try {
        g = RunGroup(point.config, task.seed_index, point.task_fingerprint, memory, "trace.csv");
      } catch (...) {
        std::fclose(memory);
        std::free(text);
        throw;
      }
      std::fclose(memory);
      done.trace.assign(text, text_size);
      std::free(text);
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
        rec.queries = r.summary.queries;
        rec.final = r.summary.final_metrics;
        if (r.rho) rec.rho = *r.rho;
        if (r.stability_limit) rec.stability_limit = *r.stability_limit;
        if (r.target_gap_beta) rec.target_gap_beta = *r.target_gap_beta;
        if (r.summary.final_average_metrics) rec.average = *r.summary.final_average_metrics;
        done.records.push_back(std::move(rec));
        group_solve += r.summary.wall_s;
      }
      {
        std::lock_guard<std::mutex> lock(buffer_mutex);
        buffer.push_back(std::move(done));
      }
      std::lock_guard<std::mutex> lock(report_mutex);
      solve_s += group_solve;
      ++report.tasks_run;
    } catch (const InputError& e) {
      // Bad input found only at run time (an input file deleted since validation): it would fail
      // every task that reads it, so the sweep stops with it.
      throw AtTask(e, point, point.config.seeds[task.seed_index]);
    } catch (const InternalError&) {
      throw;  // a bug in nlhf: exit 3, not "retry"
    } catch (const std::bad_alloc&) {
      throw;  // not enough memory: exit 2, not "retry"
    } catch (const std::exception& e) {
      ++failures;  // not written: a later run of the same command retries it
      std::lock_guard<std::mutex> lock(report_mutex);
      if (first_failure.empty()) first_failure = e.what();
    }
    flush(false);  // outside the try: a part that cannot be written stops the sweep
    runs_done += static_cast<std::int64_t>(point.config.solvers.size());
    notify();
  };
  notify();
  try {
    ParallelFor(todo.size(), options.jobs, run_task);
  } catch (...) {
    try {
      flush(true);  // keep the tasks that did finish
    } catch (...) {
      // The first error is the one to report.
    }
    throw;
  }
  flush(true);

  report.runs = runs_total;
  report.solve_s = solve_s;
  // Assemble once the directory holds the whole sweep (an unsharded run, or the last shard run
  // into a shared directory).
  bool complete = failures == 0;
  const std::map<std::string, Part> on_disk = IndexParts(parts);
  for (const SweepTask& t : all) complete = complete && on_disk.count(t.id) > 0;
  // Every task of this shard that did not fail was written; one that cannot be read back is a bug
  // (a record this version cannot parse), never a sweep reported as written without its files.
  for (size_t i = 0; i < all.size(); ++i)
    if (options.shard.Holds(i) && on_disk.count(all[i].id) == 0 && failures == 0)
      throw InternalError(fmt::format("task {} was written to {} but cannot be read back; its part file is "
                                      "kept for a bug report",
                                      all[i].id, parts.string()));
  // Numerical failures among this shard's runs, kept ones included: resuming a finished sweep
  // reports (and exits with) the same outcome as the run that computed it.
  report.numerical_failures = 0;
  for (size_t i = 0; i < all.size(); ++i) {
    if (!options.shard.Holds(i)) continue;
    if (auto it = on_disk.find(all[i].id); it != on_disk.end()) {
      const StopRules& stop = s.points[all[i].point].config.stop;
      for (const RunRecord& r : it->second.records) {
        report.numerical_failures += r.status == TerminationName(Termination::kNumericalFailure) ? 1 : 0;
        const bool unspent = (stop.queries > 0 && r.queries > 0 && r.queries < stop.queries) ||
                             (stop.oracle_calls > 0 && r.oracle_calls > 0 && r.oracle_calls < stop.oracle_calls);
        report.capped_budgets += r.status == TerminationName(Termination::kIterations) && unspent ? 1 : 0;
      }
    }
  }
  if (complete) Assemble(s, on_disk, dir);
  report.wall_s = std::chrono::duration<double>(Clock::now() - start).count();
  report.task_failures = failures;
  report.first_failure = first_failure;
  return report;
}

void MergeSweep(const std::vector<std::string>& part_dirs, const std::string& out, bool force) {
  if (part_dirs.empty())
    throw InputError("--merge", "names no directory, expected --merge DIR... --out DIR");
  std::vector<fs::path> parts;
  std::optional<Manifest> first;
  for (const std::string& d : part_dirs) {
    const std::optional<Manifest> m = ReadManifest(PartsDir(d));
    if (!m)
      throw InputError(SourceLocation{d}, "--merge",
                       "holds no sweep results, expected an nlhf-sweep output directory");
    // Shards of one sweep that read different contents of an input file do not belong together.
    if (first) {
      if (const auto changed = ChangedInput(first->inputs, m->inputs))
        throw InputError(SourceLocation{changed->first.path}, "",
                         fmt::format("was read with other contents by the shard in {} than by the shard in {} "
                                     "(content hash {}, {}), expected shards of one sweep over the same inputs",
                                     d, part_dirs.front(), changed->second.hash, changed->first.hash));
    }
    if (first && m->fingerprint != first->fingerprint)
      throw InputError(
          SourceLocation{d}, "--merge",
          fmt::format("holds shards of a different sweep than {}, expected shards of one sweep",
                      part_dirs.front()));
    if (!first) first = m;
    parts.push_back(PartsDir(d));
  }
  // --out may hold the shard directories, but is none of them (--force would delete its parts).
  for (const std::string& d : part_dirs)
    if (NormalizePath(d) == NormalizePath(out))
      throw InputError(SourceLocation{out}, "--out",
                       "is one of the --merge directories, expected a new directory (or the folder holding the "
                       "shard directories)");
  const SweepConfig s = ParseSweep(first->text, first->source, first->sets, first->base_dir);
  // A changed input file is named (it also changes the fingerprint, so it is checked first).
  RefuseChangedInputs(first->inputs, SweepInputs(s), part_dirs.front(),
                      "restore it to merge these shards, or run the sweep again");
  if (s.fingerprint != first->fingerprint)
    throw InputError(SourceLocation{part_dirs.front()}, "--merge",
                     "its manifest no longer expands to the same sweep (was nlhf changed?)");
  // Nothing is written unless the shards are complete, and only into a new or empty directory, one
  // nlhf-sweep wrote (for the same sweep), or the folder holding the shards.
  const std::map<std::string, Part> index = IndexParts(parts);
  RequireComplete(SweepTasks(s), index, out);
  const std::unique_ptr<OutputDirectory> claim = ClaimSweepDirectory(s, out, force, part_dirs);
  const std::string existing = ManifestFingerprint(PartsDir(out));
  if (!existing.empty() && existing != s.fingerprint)
    throw InputError(SourceLocation{out}, "--out",
                     "holds the results of a different sweep, expected a new directory (or --force to replace it)");
  fs::create_directories(PartsDir(out));
  if (existing != s.fingerprint) WriteManifest(s, PartsDir(out), first->inputs);
  Assemble(s, index, out);
}

namespace {

// Text for a comment line of a script: control characters (a newline would end the comment and
// start a command) as \xNN.
std::string CommentText(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7f) out += fmt::format("\\x{:02x}", c);
    else out += static_cast<char>(c);
  }
  return out;
}

// An sbatch --output file name: sbatch replaces %-patterns (%a, %j, ...), so a literal % is %%.
std::string SlurmFilePattern(const std::string& path) {
  std::string out;
  for (char c : path) out += c == '%' ? std::string("%%") : std::string(1, c);
  return out;
}

}  // namespace

namespace {

// sbatch --time: M, M:S, H:M:S, D-H, D-H:M, D-H:M:S, or UNLIMITED / INFINITE. (Hand-written: GCC 12
// warns inside std::regex under the sanitizer build.)
bool IsSlurmTime(const std::string& t) {
  if (t == "UNLIMITED" || t == "INFINITE") return true;
  const size_t dash = t.find('-');
  const std::string clock = dash == std::string::npos ? t : t.substr(dash + 1);
  if (dash != std::string::npos) {
    if (dash == 0 || t.find_first_not_of("0123456789") != dash) return false;
  }
  // One to three groups of digits separated by ':'.
  int groups = 0;
  size_t start = 0;
  while (true) {
    const size_t colon = clock.find(':', start);
    const std::string group = clock.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    if (group.empty() || group.find_first_not_of("0123456789") != std::string::npos) return false;
    ++groups;
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  return groups <= 3;
}

}  // namespace

void ValidateSlurmOptions(const SlurmOptions& o) {
  if (o.shards < 1)
    throw InputError("--shards", fmt::format("{} is not allowed, expected an integer >= 1", o.shards));
  if (o.cpus_per_task < 1)
    throw InputError("--cpus-per-task",
                     fmt::format("{} is not allowed, expected an integer >= 1", o.cpus_per_task));
  // Partition names: letters, digits, _ - . (a comma-separated list is allowed by sbatch).
  const bool partition_ok = std::all_of(o.partition.begin(), o.partition.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' || c == ',';
  });
  if (!partition_ok)
    throw InputError("--partition", fmt::format("'{}' is not a partition name, expected letters, digits, _ - . "
                                                "(a comma-separated list of names)",
                                                CommentText(o.partition)));
  // sbatch --time: M, M:S, H:M:S, D-H, D-H:M, D-H:M:S, or UNLIMITED / INFINITE.
  if (!IsSlurmTime(o.time))
    throw InputError("--time", fmt::format("'{}' is not a SLURM time limit, expected MINUTES, HH:MM:SS, "
                                           "D-HH:MM:SS (or MM:SS, D-HH, D-HH:MM, UNLIMITED)",
                                           CommentText(o.time)));
  if (o.log_dir.empty()) throw InputError("--log-dir", "is empty, expected a directory for the job logs");
}

std::string EmitSlurm(const SweepConfig& s, const std::string& sweep_path, const std::string& out,
                      const SlurmOptions& o) {
  ValidateSlurmOptions(o);
  const std::string sweep = fs::absolute(sweep_path).lexically_normal().string();
  const std::string dir = fs::absolute(out).lexically_normal().string();
  const std::string logs = fs::absolute(o.log_dir).lexically_normal().string();
  // Every value is quoted for the shell that runs the script; the --wrap commands are quoted once
  // for the job's shell (sbatch runs them with sh) and again, whole, for the submitting shell.
  const std::string q_bin = ShellQuote(o.sweep_binary), q_dir = ShellQuote(dir);
  std::string sets;
  for (const std::string& set : s.sets) sets += " " + ShellQuote("--set=" + set);
  const std::string shard_command =
      fmt::format("{} {}{} --shard \"$SLURM_ARRAY_TASK_ID\"/{} --out {}/shard-\"$SLURM_ARRAY_TASK_ID\" --jobs {} --quiet",
                  q_bin, ShellQuote(sweep), sets, o.shards, q_dir, o.cpus_per_task);
  const std::string merge_command = fmt::format("{} --merge {}/shard-* --out {}", q_bin, q_dir, q_dir);
  const std::string common = fmt::format(
      "{} --time={}", o.partition.empty() ? "" : " --partition=" + ShellQuote(o.partition), ShellQuote(o.time));
  return fmt::format(
      R"(#!/usr/bin/env bash
# nlhf-sweep on SLURM: {shards} array tasks each run one shard of {sweep_text} ({runs} runs in all),
# then a merge job (started only if every shard succeeded) writes {dir_text}.
# Submit with: bash THIS_SCRIPT     (needs sbatch; generated by nlhf {version})
set -euo pipefail
mkdir -p -- {logs}
array=$(sbatch --parsable --job-name=nlhf-sweep --array=1-{shards}{common} \
  --cpus-per-task={cpus} --output={shard_log} \
  --wrap={shard_command})
merge=$(sbatch --parsable --job-name=nlhf-merge --dependency="afterok:$array"{common} \
  --output={merge_log} \
  --wrap={merge_command})
printf '%s\n' "submitted shards as job $array and the merge as job $merge; results in "{dir}
)",
      fmt::arg("shards", o.shards), fmt::arg("sweep_text", CommentText(sweep)), fmt::arg("runs", s.RunCount()),
      fmt::arg("dir_text", CommentText(dir)), fmt::arg("version", kVersion), fmt::arg("logs", ShellQuote(logs)),
      fmt::arg("common", common), fmt::arg("cpus", o.cpus_per_task),
      fmt::arg("shard_log", ShellQuote(SlurmFilePattern(logs) + "/shard-%a.out")),
      fmt::arg("merge_log", ShellQuote(SlurmFilePattern(logs) + "/merge.out")),
      fmt::arg("shard_command", ShellQuote(shard_command)), fmt::arg("merge_command", ShellQuote(merge_command)),
      fmt::arg("dir", q_dir));
}

}  // namespace nlhf
