// The task store of a sweep directory (sweep_task_store.h): part files and the manifest in DIR/.parts.
#include "sweep_task_store.h"

#include <fcntl.h>
#include <fmt/compile.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <type_traits>

#include "nlhf/errors.h"
#include "nlhf/output/csv.h"
#include "nlhf/output/files.h"
#include "nlhf/parallel.h"
#include "nlhf/sweep.h"

namespace nlhf {

namespace fs = std::filesystem;

namespace {

// How many numbers follow a record's counters, in runs.csv order: final metrics, rho, stability
// limit, target gap, average-iterate metrics.
constexpr size_t kRecordTail = 2 * kNumMetrics + 3;

}  // namespace

// The same numbers in a part file and in runs.csv.
void AppendRecordNumbers(std::string& s, const RunRecord& r) {
  // Written in place (WriteNumber): room for every number and its comma, then cut to the text.
  const size_t start = s.size();
  const size_t room = (4 + kRecordTail) * (1 + kNumberRoom);
  s.resize(start + room);
  char* p = WriteNumber(s.data() + start, r.wall_s);
  p = fmt::format_to(p, FMT_COMPILE(",{},{},{}"), r.iterations, r.oracle_calls, r.queries);
  auto number = [&p](double x) {
    *p++ = ',';
    p = WriteNumber(p, x);
  };
  for (double x : r.final) number(x);
  for (double x : {r.rho, r.stability_limit, r.target_gap_beta}) number(x);
  for (double x : r.average) number(x);
  NLHF_CHECK(static_cast<size_t>(p - s.data()) <= start + room, "a record is longer than the room counted for it");
  s.resize(static_cast<size_t>(p - s.data()));
}

namespace {

void AppendRecordLine(std::string& s, const RunRecord& r) {
  fmt::format_to(std::back_inserter(s), "{},{},{},", r.run_id, r.solver_index, r.solver);
  AppendCsvField(s, r.params);
  fmt::format_to(std::back_inserter(s), ",{},{},", r.seed, r.status);
  AppendRecordNumbers(s, r);
  s += '\n';
}

// A part file indexes the tasks of one committed batch; their trace rows are in a data file:
//   nlhf-part,4
//   data,FILE,SIZE,MTIME_NS     (FILE relative to .parts; MTIME_NS empty unless checked)
//   task,ID,RUNS,OFFSET,BYTES,VERSION,GIT_COMMIT   then RUNS record lines (runs.csv's numbers),
//                                                   for each task (VERSION, GIT_COMMIT: its build)
//   end
// It is written whole (temp file, fsync, rename), so it is complete or absent; the data file is
// durable before it. Anything else (a damaged file, an older version's) is ignored: its tasks run
// again. SIZE is the data file's size when the part was written: a data file shorter than that is
// damaged, one that is longer has grown since (a growing batch's, which several parts index; bytes
// after SIZE are no part's). With MTIME_NS (the compacted index into trace.csv) the size and time
// must both be equal: a trace.csv changed since is not read.
constexpr const char* kPartHeader = "nlhf-part,4";  // 4: each task's build
// Room kept at the front of a part's body for its head (the header and the data file's line).
constexpr size_t kPartHeadRoom = 256;
// Format 3 (nine metrics, tasks without their build) is read too: its tasks' build is unrecorded.
constexpr const char* kPartHeader3 = "nlhf-part,3";

struct DataFile {
  std::string name;  // relative to .parts
  std::int64_t size = 0;
  std::optional<std::int64_t> mtime_ns;  // checked when given (the compacted index into trace.csv)
};

std::int64_t MtimeNs(const struct stat& st) {
  return static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
}

// A part's lines after its head: each task's line and its record lines, then "end". `task_lines`
// (if given) gets where each task's record lines are in it (offset, length). Formatted apart from
// the head, which names the data file, so that a commit can format it while the data file syncs.
std::string PartBody(const std::vector<TaskBatch::Task>& tasks,
                     std::vector<std::pair<size_t, size_t>>* task_lines = nullptr) {
  std::string text;
  // Room for the usual lines: the text rarely grows again.
  size_t records = 0, lines = 0;
  for (const TaskBatch::Task& t : tasks) {
    records += t.records.size();
    lines += t.lines.size();
  }
  // (kPartHeadRoom: WritePart puts the head in front without growing the text.)
  text.reserve(kPartHeadRoom + 64 * tasks.size() + kRecordLineBytes * records + lines + 2 * kRecordLineBytes);
  for (const TaskBatch::Task& t : tasks) {
    const bool as_read = t.records.empty() && !t.lines.empty();
    const size_t runs = as_read ? static_cast<size_t>(std::count(t.lines.begin(), t.lines.end(), '\n'))
                                : t.records.size();
    fmt::format_to(std::back_inserter(text), "task,{},{},{},{},", t.id, runs, t.offset, t.bytes);
    AppendCsvField(text, t.build.version);
    text += ',';
    AppendCsvField(text, t.build.git_commit);
    text += '\n';
    const size_t first = text.size();
    if (as_read) text += t.lines;
    for (const RunRecord& r : t.records) AppendRecordLine(text, r);
    if (task_lines != nullptr) task_lines->emplace_back(first, text.size() - first);
  }
  text += "end\n";
  return text;
}

// Writes the part: its head (the header, the data file's line), then `body` (PartBody), whose
// storage becomes the part's text (the head goes in front of it, in place where PartBody left room).
// Returns that text; `task_lines` (PartBody's) are shifted to be offsets into it.
std::shared_ptr<const std::string> WritePart(const fs::path& path, const DataFile& data, std::string body,
                                             std::vector<std::pair<size_t, size_t>>* task_lines = nullptr) {
  std::string head = fmt::format("{}\ndata,", kPartHeader);
  AppendCsvField(head, data.name);
  head += fmt::format(",{},{}\n", data.size, data.mtime_ns ? fmt::format("{}", *data.mtime_ns) : "");
  if (task_lines != nullptr)
    for (auto& [offset, length] : *task_lines) offset += head.size();
  body.insert(0, head);
  auto shared = std::make_shared<const std::string>(std::move(body));
  WriteFileAtomic(path.string(), [&](std::FILE* f) { WriteString(f, *shared); });
  return shared;
}

// A number of a part file; throws (the part is then ignored) if it is not one.
double Number(std::string_view text) {
  const std::optional<double> v = ParseCsvNumber(text);
  if (!v) throw std::runtime_error("not a number");
  return *v;
}

std::int64_t Integer(std::string_view text) {
  std::int64_t v = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (error != std::errc() || end != text.data() + text.size()) throw std::runtime_error("not an integer");
  return v;
}

// The fields of a part's lines, as views (SplitCsvLine), with their storage reused from line to line.
struct Fields {
  std::vector<std::string_view> f;
  std::string scratch;
  bool Split(std::string_view line) { return SplitCsvLine(line, f, scratch); }
};

// A record line.
RunRecord ParseRecord(std::string_view line, Fields& fields) {
  if (!fields.Split(line) || fields.f.size() != 10 + kRecordTail) throw std::runtime_error("not a record");
  const std::vector<std::string_view>& f = fields.f;
  RunRecord r;
  r.run_id = f[0];
  r.solver_index = static_cast<size_t>(Integer(f[1]));
  r.solver = f[2];
  r.params = f[3];
  const std::int64_t seed = Integer(f[4]);
  if (seed < 0) throw std::runtime_error("not a seed");
  r.seed = static_cast<std::uint64_t>(seed);
  r.status = f[5];
  r.wall_s = Number(f[6]);
  r.iterations = Integer(f[7]);
  r.oracle_calls = Integer(f[8]);
  r.queries = Integer(f[9]);
  auto number = [&](size_t k) { return Number(f[10 + k]); };
  for (size_t k = 0; k < kNumMetrics; ++k) r.final[k] = number(k);
  r.rho = number(kNumMetrics);
  r.stability_limit = number(kNumMetrics + 1);
  r.target_gap_beta = number(kNumMetrics + 2);
  for (size_t k = 0; k < kNumMetrics; ++k) r.average[k] = number(kNumMetrics + 3 + k);
  return r;
}

// The data file a part file names, and its tasks; nullopt if the part does not read whole or its
// data file is not (or no longer) the one it indexed.
struct Part {
  std::shared_ptr<const fs::path> data;  // shared by the index's entries for its tasks
  std::shared_ptr<const std::string> text;  // the file's text, which the tasks' lines view (if kept)
  bool checked = false;  // the data file's size and time were recorded and are the same now
  std::vector<TaskBatch::Task> tasks;
};

// The first two lines of a part file: the data file it indexes, with the size (and time) recorded.
struct PartHead {
  bool with_builds = true;  // format 4 (format 3's tasks have no build)
  fs::path data;
  std::int64_t size = 0;
  std::optional<std::int64_t> mtime_ns;
};

// A part's lines one at a time: from a stream (readers of the head only), or from the whole file
// read at once (ReadPart). Next(line) gives the next line without its newline, as std::getline
// does (a last line may lack one); false at the end. A view lasts until the next call.
class StreamLines {
 public:
  explicit StreamLines(std::istream& in) : in_(in) {}
  bool Next(std::string_view& line) {
    if (!std::getline(in_, buffer_)) return false;
    line = buffer_;
    return true;
  }

 private:
  std::istream& in_;
  std::string buffer_;
};

class TextLines {
 public:
  explicit TextLines(std::string_view text) : rest_(text) {}
  bool Next(std::string_view& line) {
    if (rest_.empty()) return false;
    const size_t end = std::min(rest_.find('\n'), rest_.size());
    line = rest_.substr(0, end);
    ended_ = end < rest_.size();
    rest_.remove_prefix(std::min(end + 1, rest_.size()));
    return true;
  }
  bool ended() const { return ended_; }  // whether a newline followed the last line given

 private:
  std::string_view rest_;
  bool ended_ = false;
};

template <class Lines>
std::optional<PartHead> ParsePartHead(Lines& lines, const fs::path& path) {
  std::string_view line;
  if (!lines.Next(line) || (line != kPartHeader && line != kPartHeader3)) return std::nullopt;
  PartHead h;
  h.with_builds = line == kPartHeader;
  if (!lines.Next(line)) return std::nullopt;
  Fields head;
  if (!head.Split(line) || head.f.size() != 4 || head.f[0] != "data") return std::nullopt;
  h.data = path.parent_path() / head.f[1];
  h.size = Integer(head.f[2]);
  if (!head.f[3].empty()) h.mtime_ns = Integer(head.f[3]);
  return h;
}

std::optional<PartHead> ReadPartHead(std::istream& in, const fs::path& path) {
  StreamLines lines(in);
  return ParsePartHead(lines, path);
}

// Whether a part's data file is still the one it indexed: at least SIZE long, and for the index
// into trace.csv (MTIME recorded) exactly that long with that time.
bool DataReadable(const PartHead& head) {
  struct stat st {};
  if (::stat(head.data.c_str(), &st) != 0 || st.st_size < head.size) return false;
  return !head.mtime_ns || (MtimeNs(st) == *head.mtime_ns && st.st_size == head.size);
}

// A part's task lines after its head, up to its end line (nullopt if it has none or a line does not
// read), for `head`'s data file. With `records` false the run records are skipped, not parsed (the
// tasks then have none); with `lines` each task also keeps its record lines.
template <class Lines>
std::optional<std::vector<TaskBatch::Task>> ReadPartTasks(Lines& source, const PartHead& head, bool records,
                                                          bool lines) {
  const std::int64_t size = head.size;
  const size_t fields_per_task = head.with_builds ? 7 : 5;
  // (Lines are views into a text that outlives the tasks only when it was read whole.)
  if constexpr (!std::is_same_v<Lines, TextLines>)
    NLHF_CHECK(!lines, "record lines are kept only from a part read whole");
  std::vector<TaskBatch::Task> tasks;
  std::string_view line;
  Fields fields;
  while (source.Next(line)) {
    if (line == "end") return tasks;
    if (!fields.Split(line) || fields.f.size() != fields_per_task || fields.f[0] != "task") return std::nullopt;
    TaskBatch::Task task;
    task.id = fields.f[1];
    if (head.with_builds)
      task.build = Build{std::string(fields.f[5]), std::string(fields.f[6])};
    else
      task.build = Build{kUnrecordedBuild, kUnrecordedBuild};
    const std::int64_t runs = Integer(fields.f[2]);
    task.offset = Integer(fields.f[3]);
    task.bytes = Integer(fields.f[4]);
    if (runs < 0 || task.offset < 0 || task.bytes < 0 || task.offset > size ||
        task.bytes > size - task.offset)
      return std::nullopt;
    if (records) task.records.reserve(static_cast<size_t>(std::min<std::int64_t>(runs, 1024)));
    for (std::int64_t k = 0; k < runs; ++k) {
      if (!source.Next(line)) return std::nullopt;
      if (!records) continue;
      task.records.push_back(ParseRecord(line, fields));
      // The task's record lines are contiguous in the text: from the first one's start to the
      // newline after the last one.
      if constexpr (std::is_same_v<Lines, TextLines>)
        if (lines && !source.ended()) return std::nullopt;  // (and then no end line either)
      if (lines) {
        const char* first = k == 0 ? line.data() : task.lines.data();
        task.lines = std::string_view(first, static_cast<size_t>(line.data() + line.size() + 1 - first));
      }
    }
    tasks.push_back(std::move(task));
  }
  return std::nullopt;  // no end line
}

// With `records` false the run records are skipped, not parsed (the tasks then have none): for
// callers that need only which tasks a part holds. `lines`: as ReadPartTasks.
// (Read whole, then parsed in place: no line is copied.)
std::optional<Part> ReadPart(const fs::path& path, bool records = true, bool lines = false) {
  try {
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in) return std::nullopt;
    auto text = std::make_shared<std::string>(static_cast<size_t>(in.tellg()), '\0');
    in.seekg(0);
    if (!in.read(text->data(), static_cast<std::streamsize>(text->size()))) return std::nullopt;
    TextLines source(*text);
    const std::optional<PartHead> head = ParsePartHead(source, path);
    if (!head || !DataReadable(*head)) return std::nullopt;
    std::optional<std::vector<TaskBatch::Task>> tasks = ReadPartTasks(source, *head, records, lines);
    if (!tasks) return std::nullopt;
    return Part{std::make_shared<const fs::path>(head->data), lines ? std::move(text) : nullptr,
                head->mtime_ns.has_value(), std::move(*tasks)};
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::vector<fs::path> PartFiles(const fs::path& folder) {
  std::vector<fs::path> files;
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) return files;
  for (const auto& entry : fs::directory_iterator(folder))
    // (A file of the user's named *.part is neither read nor ever removed.)
    if (entry.path().extension() == ".part" && IsStoreFile(".parts", entry.path().filename().string()))
      files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  return files;
}

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

std::vector<std::string> TaskIndex::Ids() const {
  std::vector<std::string> ids;
  ids.reserve(tasks_.size());
  for (const auto& [id, task] : tasks_) ids.push_back(id);
  return ids;
}

std::int64_t TaskIndex::CountOutside(const std::set<std::string>& ids) const {
  std::int64_t outside = 0;
  for (const auto& [id, task] : tasks_) outside += ids.count(id) == 0 ? 1 : 0;
  return outside;
}

const TaskIndex::Stored& TaskIndex::Find(const std::string& id) const {
  const auto it = tasks_.find(id);
  if (it == tasks_.end()) throw InternalError(fmt::format("task {} is not in the index", id));
  return it->second;
}

const std::vector<RunRecord>& TaskIndex::Records(const std::string& id) const { return Find(id).records; }

std::vector<std::string_view> TaskIndex::RecordNumbers(const std::string& id) const {
  const Stored& t = Find(id);
  std::vector<std::string_view> numbers;
  if (t.lines.empty()) return numbers;
  Fields fields;
  TextLines lines(t.lines);
  std::string_view line;
  while (lines.Next(line)) {
    // A record line that read back whole (ParseRecord). AppendRecordNumbers writes its numbers,
    // field 6 on, as plain text; a part that wrote them otherwise (quoted: damaged, or not this
    // version's) has its numbers formatted again from the records instead.
    NLHF_CHECK(fields.Split(line) && fields.f.size() == 10 + kRecordTail, "a kept record line is a record");
    const std::less_equal<const char*> le;
    const char* from = fields.f[6].data();
    if (!le(line.data(), from) || !le(from, line.data() + line.size())) return {};  // unquoted into the scratch
    const std::string_view tail = line.substr(static_cast<size_t>(from - line.data()));
    if (tail.find('"') != std::string_view::npos) return {};
    numbers.push_back(tail);
  }
  NLHF_CHECK(numbers.size() == t.records.size(), "one kept line per record");
  return numbers;
}

void TaskIndex::CopyTrace(const std::string& id, std::FILE* to) const {
  const Stored& t = Find(id);
  const int fd = ::open(t.file->c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "open " + t.file->string());
  try {
    AppendFileRange(fd, t.trace_offset, t.trace_bytes, to);
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
}

std::int64_t TaskIndex::TraceBytes(const std::string& id) const { return Find(id).trace_bytes; }

bool TaskIndex::LaidOutIn(const fs::path& file, std::string_view header,
                          const std::vector<std::string>& ids,
                          const std::vector<std::int64_t>& offsets) const {
  NLHF_CHECK(offsets.size() == ids.size(), "one offset per task");
  struct stat want {};
  if (ids.empty() || ::stat(file.c_str(), &want) != 0) return false;
  // The tasks' data files, each compared once (an index into trace.csv names one for all).
  std::map<fs::path, bool> is_file;
  for (size_t i = 0; i < ids.size(); ++i) {
    const auto it = tasks_.find(ids[i]);
    if (it == tasks_.end() || !it->second.checked || it->second.trace_offset != offsets[i])
      return false;
    auto [at, fresh] = is_file.emplace(*it->second.file, false);
    if (fresh) {
      struct stat st {};
      at->second = ::stat(it->second.file->c_str(), &st) == 0 && st.st_dev == want.st_dev &&
                   st.st_ino == want.st_ino;
    }
    if (!at->second) return false;
  }
  if (want.st_size != offsets.back() + Find(ids.back()).trace_bytes) return false;
  std::ifstream in(file, std::ios::binary);
  std::string head(header.size(), '\0');
  return static_cast<bool>(in.read(head.data(), static_cast<std::streamsize>(head.size()))) &&
         head == header;
}

const fs::path& TaskIndex::DataFileOf(const std::string& id) const { return *Find(id).file; }

const Build& TaskIndex::BuildOf(const std::string& id) const { return Find(id).build; }

std::vector<BuildTasks> TaskIndex::OtherBuilds(const std::vector<std::string>& ids) const {
  const Build now = ThisBuild();
  std::map<Build, std::int64_t> count;
  for (const std::string& id : ids) {
    const auto it = tasks_.find(id);
    if (it != tasks_.end() && it->second.build != now) ++count[it->second.build];
  }
  std::vector<BuildTasks> builds;
  for (const auto& [build, tasks] : count) builds.push_back(BuildTasks{build, tasks});
  return builds;
}

void TaskIndex::Merge(TaskIndex&& other) {
  // (try_emplace: a task this index holds already is left in `other`, not moved from.)
  for (auto& [id, task] : other.tasks_) tasks_.try_emplace(id, std::move(task));
}

TaskStore::TaskStore(const std::string& dir)
    : folder_(fs::path(dir) / ".parts"), trace_shown_((fs::path(dir) / "trace.csv").string()) {}

void TaskStore::Create() const { fs::create_directories(folder_); }

TaskBatch::~TaskBatch() {
  if (file_ != nullptr) {
    // (After a final Commit the file is closed and the batch holds nothing.)
    file_.reset();
    // Not committed: its tasks run again. (A growing batch's committed file stays: parts name it.)
    if (!temp_.empty()) ::unlink(temp_.c_str());
  }
}

std::int64_t TaskBatch::Position() const { return file_->size(); }

int TaskBatch::Drain() {
  const int err = file_->Drain();
  if (err != 0) {
    // Only the tasks whose rows all reached the file can be committed; the others run again.
    const std::int64_t kept = file_->drained();
    std::erase_if(tasks_, [kept](const Task& t) { return t.offset + t.bytes > kept; });
  }
  return err;
}

void TaskBatch::Finish(std::string id, std::vector<RunRecord> records, std::int64_t offset) {
  const std::int64_t end = Position();
  tasks_.push_back(Task{std::move(id), std::move(records), offset, end - offset, {}, ThisBuild()});
  // The commit's fsync then waits only for what was written since the last background sync.
  pacer_.Reached(file_->fd(), file_->drained());
}

double TaskBatch::age_s() const { return Now() - started_; }

fs::path TaskStore::FreshName(std::string_view prefix, std::string_view extension) {
  // (The directory lock keeps other writers out, so a name found free stays free.)
  fs::path name;
  std::error_code ec;
  do name = folder_ / fmt::format("{}-{}-{}{}", prefix, ::getpid(), batch_++, extension);
  while (fs::exists(name, ec));
  return name;
}

fs::path TaskStore::LinkUnique(const fs::path& file) {
  // A name never used before in this folder: link() refuses an existing one (a recycled pid, or
  // an earlier store object of this process), so a committed data file is never overwritten.
  for (int tries = 0; tries < 1000; ++tries) {
    const fs::path name = folder_ / fmt::format("data-{}-{}.csv", ::getpid(), batch_++);
    if (::link(file.c_str(), name.c_str()) == 0) return name;
    if (errno != EEXIST) return {};
  }
  return {};
}

std::unique_ptr<TaskBatch> TaskStore::Begin() {
  std::unique_ptr<TaskBatch> b(new TaskBatch());
  const int k = batch_++;
  // Named as WriteFileAtomic's temp files, so that a killed process's is removed as a leftover.
  b->temp_ = folder_ / fmt::format(".data-{}.tmp-{}-{}", k, ::getpid(), k);
  b->shown_ = trace_shown_;
  // In blocks: a finished task's rows may still be held in memory, and a commit drains them first
  // (TaskBatch::Drain, which knows which tasks a failed write cuts off).
  b->file_ = std::make_unique<BlockFile>(b->temp_.string(), b->temp_.string());
  b->started_ = Now();
  return b;
}

std::unique_ptr<TaskBatch> TaskStore::BeginGrowing() {
  std::unique_ptr<TaskBatch> b = Begin();
  b->growing_ = true;
  return b;
}

namespace {

// Makes renames and links in `folder` durable (a power loss after it keeps them).
void SyncFolder(const fs::path& folder) {
  if (const int err = SyncDirectory(folder.string()); err != 0) throw WriteError(folder.string(), err);
}

}  // namespace

fs::path TaskStore::NameForGood(const fs::path& temp) {
  fs::path data = LinkUnique(temp);
  if (!data.empty()) {
    ::unlink(temp.c_str());
    return data;
  }
  // No hard links on this filesystem: a name not taken.
  if (errno != EPERM && errno != EOPNOTSUPP && errno != ENOSYS) throw WriteError(temp.string(), errno);
  data = FreshName("data", ".csv");
  if (::rename(temp.c_str(), data.c_str()) != 0) throw WriteError(data.string(), errno);
  return data;
}

// The fsync of a batch's data file: the error of a background sync first (writeback_pacer.h), then
// its own. Returns 0 or the errno.
int TaskStore::SyncData(TaskBatch& b) {
  if (const int err = b.pacer_.Wait(); err != 0) return err;
  return ::fsync(b.file_->fd()) != 0 ? errno : 0;
}

std::unique_ptr<TaskIndex> TaskStore::CommitFinal(TaskBatch& b) {
  NLHF_CHECK(b.growing_, "CommitFinal commits a growing batch");
  std::unique_ptr<TaskIndex> index;
  CommitGrowing(b, true, &index);
  return index;
}

bool TaskStore::HoldsOnlyFinal(const TaskBatch& b) const {
  if (b.final_part_.empty()) return false;
  const std::vector<fs::path> parts = PartFiles(folder_);
  return parts.size() == 1 && parts.front() == b.final_part_;
}

void TaskStore::CommitGrowing(TaskBatch& b, bool last, std::unique_ptr<TaskIndex>* final_index) {
  const int drain_error = b.tasks_.empty() ? 0 : b.Drain();
  if (!b.tasks_.empty()) {
    const std::int64_t size = b.file_->drained();
    // The last and only commit of a whole sweep's trace may write the index in its final form (below).
    const bool may_be_final = final_index != nullptr && b.commits_ == 0;
    // The data file syncs in the background while its part's records are formatted.
    b.pacer_.Finish(b.file_->fd(), size);
    std::vector<std::pair<size_t, size_t>> lines;
    std::string body = PartBody(b.tasks_, may_be_final ? &lines : nullptr);
    if (const int err = SyncData(b); err != 0) {
      b.tasks_.clear();  // never committed (see the header)
      throw WriteError(b.data_.empty() ? b.temp_.string() : b.data_.string(), err);
    }
    if (b.data_.empty()) {
      b.data_ = NameForGood(b.temp_);  // the open file goes on under it
      b.temp_.clear();
      SyncFolder(folder_);
    }
    // One part per commit, each indexing the tasks finished since the one before; or, for the
    // last and only commit of a whole sweep's trace, the index Compact would write (the data
    // file's size and time: it is written no more).
    fs::path part = b.data_;
    part.replace_extension(b.commits_ == 0 ? ".part" : fmt::format(".{}.part", b.commits_));
    std::optional<std::int64_t> mtime;
    if (may_be_final) {
      struct stat st {};
      if (::fstat(b.file_->fd(), &st) != 0) throw WriteError(b.data_.string(), errno);
      if (st.st_size == size) {
        mtime = MtimeNs(st);
        part = FreshName("0-trace", ".part");
      }
    }
    const std::shared_ptr<const std::string> text =
        WritePart(part, DataFile{b.data_.filename().string(), size, mtime}, std::move(body), mtime ? &lines : nullptr);
    if (mtime) {
      // The index of what was just written, as Index(true) would read it back (the records as
      // they are: their text reads back to the same values).
      b.final_part_ = part;
      *final_index = std::make_unique<TaskIndex>();
      const auto data = std::make_shared<const fs::path>(b.data_);
      for (size_t i = 0; i < b.tasks_.size(); ++i) {
        TaskBatch::Task& t = b.tasks_[i];
        const std::string_view record_lines = std::string_view(*text).substr(lines[i].first, lines[i].second);
        (*final_index)->tasks_.emplace(t.id, TaskIndex::Stored{std::move(t.records), record_lines, text, data, t.offset,
                                                               t.bytes, /*checked=*/true, std::move(t.build)});
      }
    }
    SyncFolder(folder_);
    ++b.commits_;
    b.tasks_.clear();
    b.started_ = Now();  // age_s() counts from the last commit, as for a batch in a new file
  }
  if (last) {
    b.file_.reset();
    if (!b.temp_.empty()) ::unlink(b.temp_.c_str());  // never committed: nothing refers to it
  }
  if (drain_error != 0)
    throw WriteError(b.shown_, drain_error);  // (the tasks it did hold are committed)
}

void TaskStore::Commit(TaskBatch& b, bool reopen) {
  if (b.growing_) return CommitGrowing(b, !reopen);
  if (b.tasks_.empty()) return;
  // The next data file first: if it cannot be opened, nothing has changed yet.
  std::unique_ptr<TaskBatch> next = reopen ? Begin() : nullptr;
  // Every finished task's rows to the kernel first. If a write fails (a full disk), the tasks it
  // cut off run again, the others are committed, and then the error stops the sweep.
  const int drain_error = b.Drain();
  if (!b.tasks_.empty()) {
    const std::int64_t size = b.file_->drained();
    b.pacer_.Finish(b.file_->fd(), size);  // (as in CommitGrowing)
    std::string body = PartBody(b.tasks_);
    if (const int err = SyncData(b); err != 0) {
      b.tasks_.clear();  // never committed (see the header)
      throw WriteError(b.temp_.string(), err);
    }
    // The data file is durable under its final name before any part refers to it; a kill between
    // the two leaves an orphan (RemoveOrphans), never a part without its rows.
    const fs::path data = NameForGood(b.temp_);
    SyncFolder(folder_);
    WritePart(fs::path(data).replace_extension(".part"), DataFile{data.filename().string(), size, std::nullopt},
              std::move(body));
    SyncFolder(folder_);
  } else {
    ::unlink(b.temp_.c_str());  // nothing in it is committed
  }
  // The committed data file is never written again; the batch goes on in the next one.
  b.file_.reset();
  b.tasks_.clear();
  b.pacer_.Reset();
  if (next) {
    b.temp_ = next->temp_;
    b.file_ = std::move(next->file_);  // now b's
    b.started_ = next->started_;
  }
  if (drain_error != 0) throw WriteError(b.shown_, drain_error);
}

void TaskStore::Add(const std::vector<FinishedTask>& tasks) {
  if (tasks.empty()) return;
  const std::unique_ptr<TaskBatch> b = Begin();
  for (const FinishedTask& t : tasks) {
    const std::int64_t offset = b->Position();
    try {
      WriteString(b->trace(), t.trace);
    } catch (const std::system_error& e) {
      throw WriteError(b->temp_.string(), e.code().value());
    }
    b->Finish(t.id, t.records, offset);
  }
  Commit(*b, false);
}

// Every part file, in name order; the first copy of a task wins.
TaskIndex TaskStore::Index(bool with_lines) const {
  TaskIndex index;
  for (const fs::path& f : PartFiles(folder_)) {
    std::optional<Part> part = ReadPart(f, /*records=*/true, with_lines);
    if (!part) continue;
    for (TaskBatch::Task& t : part->tasks)
      index.tasks_.emplace(t.id, TaskIndex::Stored{std::move(t.records), t.lines, part->text, part->data,
                                                   t.offset, t.bytes, part->checked, std::move(t.build)});
  }
  return index;
}

void TaskStore::Compact(const std::vector<std::string>& tasks, const std::vector<std::int64_t>& trace_offsets,
                        const TaskIndex& index) {
  const fs::path trace = folder_.parent_path() / "trace.csv";
  // The store's data becomes a second name of trace.csv (a hard link: no copy, no extra disk), so
  // it outlives a trace.csv deleted or replaced later, e.g. by a changed sweep in the same
  // directory. Where links are not supported it points to trace.csv itself.
  const fs::path link = LinkUnique(trace);
  const std::string data = !link.empty() ? link.filename().string() : "../trace.csv";
  struct stat st {};
  if (::stat(trace.c_str(), &st) != 0) throw WriteError(trace.string(), errno);
  std::vector<TaskBatch::Task> all;
  all.reserve(tasks.size());
  for (size_t i = 0; i < tasks.size(); ++i) {
    // The record lines as the store holds them, not formatted again (an Index(true) has them all).
    const TaskIndex::Stored& stored = index.Find(tasks[i]);
    NLHF_CHECK(static_cast<size_t>(std::count(stored.lines.begin(), stored.lines.end(), '\n')) == stored.records.size(),
               "the index given to Compact keeps every task's record lines");
    all.push_back(TaskBatch::Task{tasks[i], {}, trace_offsets[i], stored.trace_bytes, stored.lines, stored.build});
  }
  // Named to sort before the batches' parts ("0-" < "data-"), so its copies of the tasks are the
  // ones read; unique, so the index of an earlier, different sweep is not overwritten. Then every
  // other part whose tasks are all in this index goes, with its data file (an earlier sweep's
  // index stays while it holds tasks this sweep does not have: a later sweep may want them back).
  NLHF_CHECK(trace_offsets.size() == tasks.size(), "one trace offset per task");
  const fs::path compact = FreshName("0-trace", ".part");
  WritePart(compact, DataFile{data, static_cast<std::int64_t>(st.st_size), MtimeNs(st)}, PartBody(all));
  SyncFolder(folder_);
  const std::set<std::string> compacted(tasks.begin(), tasks.end());
  for (const fs::path& f : PartFiles(folder_)) {
    if (f == compact) continue;
    // Which tasks it holds (its records are read only if it holds one of another sweep, so that a
    // part that does not read whole goes, as Index() ignores it).
    const std::optional<Part> part = ReadPart(f, /*records=*/false);
    const bool other = part && std::any_of(part->tasks.begin(), part->tasks.end(), [&](const TaskBatch::Task& t) {
                         return compacted.count(t.id) == 0;
                       });
    if (!other || !ReadPart(f)) fs::remove(f);
  }
  RemoveOrphans();
}

std::set<std::string> TaskStore::StaleTraceIndexTasks() const {
  std::set<std::string> tasks;
  for (const fs::path& f : PartFiles(folder_)) {
    std::ifstream in(f, std::ios::binary);
    try {
      const std::optional<PartHead> head = ReadPartHead(in, f);
      if (!head || !head->mtime_ns || DataReadable(*head)) continue;
      StreamLines rest(in);
      if (const auto held = ReadPartTasks(rest, *head, /*records=*/false, /*lines=*/false))
        for (const TaskBatch::Task& t : *held) tasks.insert(t.id);
    } catch (const std::exception&) {
      // A damaged part: what it held is not known.
    }
  }
  return tasks;
}

void TaskStore::RemoveFinalFiles() const {
  for (const char* name : kSweepFinalFiles) fs::remove(folder_.parent_path() / name);
}

void TaskStore::RemoveOrphans() const {
  // Only the parts' first lines are read: a data file some part names stays (a damaged part and
  // its data file go together, when a finished sweep compacts the store).
  std::set<fs::path> used;
  for (const fs::path& f : PartFiles(folder_)) {
    std::ifstream in(f, std::ios::binary);
    try {
      if (const std::optional<PartHead> head = ReadPartHead(in, f)) used.insert(head->data.filename());
    } catch (const std::exception&) {
      // An unreadable head names no data file.
    }
  }
  std::error_code ec;
  if (!fs::is_directory(folder_, ec)) return;
  std::vector<fs::path> orphans;
  for (const auto& entry : fs::directory_iterator(folder_)) {
    const std::string name = entry.path().filename().string();
    // Only the store's own data files: a user's data-final.csv put here stays.
    if (name.rfind("data-", 0) == 0 && entry.path().extension() == ".csv" && IsStoreFile(".parts", name) &&
        used.count(entry.path().filename()) == 0)
      orphans.push_back(entry.path());
  }
  // Removing a large file frees its page cache in the unlink (20 ms for the EGPO sweep's 61 MB):
  // two threads halve it when a compacted store drops its workers' data files.
  ParallelFor(orphans.size(), 2, [&](size_t i) {
    std::error_code remove_ec;
    fs::remove(orphans[i], remove_ec);
  });
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

std::vector<std::pair<RecordedInput, RecordedInput>> MovedInputs(const std::vector<RecordedInput>& then,
                                                                 const std::vector<RecordedInput>& now) {
  std::set<std::string> read_now;
  for (const RecordedInput& b : now) read_now.insert(b.path);
  std::vector<std::pair<RecordedInput, RecordedInput>> moved;
  for (const RecordedInput& b : now) {
    bool recorded = false;
    for (const RecordedInput& a : then) recorded = recorded || a.path == b.path;
    if (recorded) continue;
    for (const RecordedInput& a : then)
      if (a.hash == b.hash && read_now.count(a.path) == 0) {
        moved.emplace_back(a, b);
        break;
      }
  }
  return moved;
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

namespace {

// "1234": digits only, at least one.
bool Digits(std::string_view s) { return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos; }

// A task id: lowercase hex (16 digits today).
bool TaskId(std::string_view s) {
  return s.size() >= 8 && s.size() <= 64 && s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

// "D-D" with `min` to `max` dash-separated groups of digits.
bool DigitGroups(std::string_view s, int min, int max) {
  int groups = 0;
  for (size_t from = 0;; ++groups) {
    const size_t dash = s.find('-', from);
    if (!Digits(s.substr(from, dash == std::string_view::npos ? dash : dash - from))) return false;
    if (dash == std::string_view::npos) return groups + 1 >= min && groups + 1 <= max;
    from = dash + 1;
  }
}

// `s` without `prefix`, or nullopt.
std::optional<std::string_view> After(std::string_view s, std::string_view prefix) {
  if (s.substr(0, prefix.size()) != prefix) return std::nullopt;
  return s.substr(prefix.size());
}

// `s` without `suffix`, or nullopt.
std::optional<std::string_view> Before(std::string_view s, std::string_view suffix) {
  if (s.size() < suffix.size() || s.substr(s.size() - suffix.size()) != suffix) return std::nullopt;
  return s.substr(0, s.size() - suffix.size());
}

}  // namespace

bool IsStoreFile(const std::string& folder, const std::string& file) {
  if (folder != ".parts") return false;
  const std::string_view name = file;
  if (name == "manifest.yaml") return true;
  // A writer's temp file ".NAME.tmp-PID-K" of a store file NAME (WriteFileAtomic's), or a batch's
  // ".data-K.tmp-PID-K".
  if (const size_t at = name.rfind(".tmp-"); !name.empty() && name[0] == '.' && at != std::string_view::npos && at > 1) {
    const std::string_view of = name.substr(1, at - 1);
    const auto batch = After(of, "data-");
    return DigitGroups(name.substr(at + 5), 2, 2) &&
           ((batch && Digits(*batch)) || (of[0] != '.' && IsStoreFile(folder, std::string(of))));
  }
  // A data file "data-PID-K.csv".
  if (const auto stem = Before(name, ".csv")) {
    const auto rest = After(*stem, "data-");
    return rest && DigitGroups(*rest, 2, 2);
  }
  if (const auto stem = Before(name, ".part")) {
    // A batch's part "data-PID-K.part" (a growing batch's later commits "data-PID-K.N.part").
    if (const auto rest = After(*stem, "data-")) {
      const size_t dot = rest->find('.');
      return DigitGroups(rest->substr(0, dot), 2, 2) && (dot == std::string_view::npos || Digits(rest->substr(dot + 1)));
    }
    // A compacted index "0-trace-PID-K.part" ("0-trace.part" in earlier releases).
    if (*stem == "0-trace") return true;
    if (const auto rest = After(*stem, "0-trace-")) return DigitGroups(*rest, 2, 2);
    // Earlier releases: "ID.part", "ID-PID-K.part", "ID-PID-W-K.part".
    const size_t dash = stem->find('-');
    return TaskId(stem->substr(0, dash)) && (dash == std::string_view::npos || DigitGroups(stem->substr(dash + 1), 2, 3));
  }
  // The first releases' per-task files "ID.runs" and "ID.trace".
  for (std::string_view extension : {".runs", ".trace"})
    if (const auto stem = Before(name, extension)) return TaskId(*stem);
  return false;
}

namespace {

OutputDirectoryOptions SweepDirectoryOptions(const SweepConfig& s, bool force, const std::vector<std::string>& accepted) {
  OutputDirectoryOptions o;
  o.tool = "nlhf-sweep";
  o.staged = false;
  o.force = force;
  o.owned = {".parts"};
  o.owned.insert(o.owned.end(), std::begin(kSweepFinalFiles), std::end(kSweepFinalFiles));
  o.owned_folders = {".parts"};
  // Sweeps written before the marker existed: by a .parts/manifest.yaml that reads as a sweep's
  // manifest. (Any file by that name would mark a user's directory, whose files --force would delete.)
  o.also_marked = [](const fs::path& dir) {
    try {
      return TaskStore(dir.string()).ReadManifest().has_value();
    } catch (const std::exception&) {  // not a manifest (InputError), or a folder that cannot be read
      return false;
    }
  };
  o.writes_in = IsStoreFile;
  o.accepted = accepted;
  o.inputs = SweepInputFiles(s);
  return o;
}

}  // namespace

std::unique_ptr<OutputDirectory> ClaimSweepDirectory(const SweepConfig& s, const std::string& dir, bool force,
                                                     const std::vector<std::string>& accepted) {
  return std::make_unique<OutputDirectory>(dir, SweepDirectoryOptions(s, force, accepted));
}

void CheckSweepDirectory(const SweepConfig& s, const std::string& dir, bool force, bool stored_results,
                         const std::vector<std::string>& accepted) {
  CheckOutputDirectory(dir, SweepDirectoryOptions(s, force, accepted));
  // What RunSweep refuses next (with --force the store is deleted first, so nothing is read): a
  // manifest that does not read, and an input file that changed since DIR's results were computed.
  if (force || !stored_results) return;
  if (const std::optional<SweepManifest> previous = TaskStore(dir).ReadManifest())
    RefuseChangedInputs(previous->inputs, RecordedInputs(s), dir, kChangedInputAdvice);
}

}  // namespace nlhf
