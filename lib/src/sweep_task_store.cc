// The task store of a sweep directory (sweep_task_store.h): part files and the manifest in DIR/.parts.
#include "sweep_task_store.h"

#include <fmt/format.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <iterator>
#include <map>
#include <stdexcept>
#include <system_error>

#include "nlhf/errors.h"
#include "nlhf/output.h"

namespace nlhf {

namespace fs = std::filesystem;

namespace {

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

// The numbers after a record's counters, in runs.csv order: final metrics, rho, stability limit,
// target gap, average-iterate metrics.
std::vector<double> RecordTail(const RunRecord& r) {
  std::vector<double> v(r.final.begin(), r.final.end());
  v.insert(v.end(), {r.rho, r.stability_limit, r.target_gap_beta});
  v.insert(v.end(), r.average.begin(), r.average.end());
  return v;
}
constexpr size_t kRecordTail = 2 * kNumMetrics + 3;

}  // namespace

// The same numbers in a part file and in runs.csv.
void AppendRecordNumbers(std::string& s, const RunRecord& r) {
  AppendNumber(s, r.wall_s);
  fmt::format_to(std::back_inserter(s), ",{},{},{}", r.iterations, r.oracle_calls, r.queries);
  for (double x : RecordTail(r)) {
    s += ',';
    AppendNumber(s, x);
  }
}

namespace {

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

// A task of a part file as the index keeps it (the records, where its trace rows are).
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

}  // namespace

std::vector<std::string> TaskIndex::Ids() const {
  std::vector<std::string> ids;
  ids.reserve(tasks_.size());
  for (const auto& [id, task] : tasks_) ids.push_back(id);
  return ids;
}

const TaskIndex::Stored& TaskIndex::Find(const std::string& id) const {
  const auto it = tasks_.find(id);
  if (it == tasks_.end()) throw InternalError(fmt::format("task {} is not in the index", id));
  return it->second;
}

const std::vector<RunRecord>& TaskIndex::Records(const std::string& id) const { return Find(id).records; }

void TaskIndex::CopyTrace(const std::string& id, std::FILE* to) const {
  const Stored& t = Find(id);
  CopyRange(t.file, t.trace_offset, t.trace_bytes, to);
}

void TaskIndex::Merge(TaskIndex&& other) {
  for (auto& [id, task] : other.tasks_) tasks_.emplace(id, std::move(task));
}

TaskStore::TaskStore(const std::string& dir) : folder_(fs::path(dir) / ".parts") {}

void TaskStore::Create() const { fs::create_directories(folder_); }

void TaskStore::Add(const std::vector<FinishedTask>& tasks) {
  if (tasks.empty()) return;
  WriteBatch(folder_ / fmt::format("{}-{}-{}.part", tasks.front().id, ::getpid(), batch_++), tasks);
}

// Every part file, in name order; the first copy of a task wins.
TaskIndex TaskStore::Index() const {
  TaskIndex index;
  if (!fs::is_directory(folder_)) return index;
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(folder_))
    if (entry.path().extension() == ".part") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  for (const fs::path& f : files)
    for (auto& [id, part] : ReadParts(f))
      index.tasks_.emplace(id, TaskIndex::Stored{std::move(part.records), std::move(part.file), part.trace_offset,
                                                 part.trace_bytes});
  return index;
}

// Every input file of every point, once each, sorted by path.
std::vector<RecordedInput> RecordedInputs(const SweepConfig& s) {
  std::map<std::string, std::string> hashes;
  for (const SweepPoint& p : s.points)
    for (const InputFile& f : p.config.inputs) hashes.emplace(f.path, "sha256:" + f.sha256);
  std::vector<RecordedInput> out;
  for (const auto& [path, hash] : hashes) out.push_back({path, hash});
  return out;
}

// DIR/.parts/manifest.yaml.
void TaskStore::WriteManifest(const SweepConfig& s, const std::vector<RecordedInput>& inputs) const {
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
  WriteFileAtomic((folder_ / "manifest.yaml").string(), [&](std::FILE* f) { WriteString(f, text); });
}

std::optional<SweepManifest> TaskStore::ReadManifest() const {
  const fs::path file = folder_ / "manifest.yaml";
  if (!fs::exists(file)) return std::nullopt;
  try {
    const YAML::Node root = YAML::LoadFile(file.string());
    if (!root.IsMap()) throw std::runtime_error(root.IsNull() ? "it is empty" : "it is not a map");
    for (const char* key : {"fingerprint", "source", "base_dir", "text"})
      if (!root[key] || !root[key].IsScalar()) throw std::runtime_error(fmt::format("no '{}'", key));
    SweepManifest m;
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

std::string StoredSweepFingerprint(const std::string& dir) {
  const std::optional<SweepManifest> m = TaskStore(dir).ReadManifest();
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

}  // namespace nlhf
