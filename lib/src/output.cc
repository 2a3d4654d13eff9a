#include "nlhf/output.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iterator>
#include <thread>

#include "nlhf/errors.h"

namespace nlhf {

namespace fs = std::filesystem;

const std::vector<std::string>& TraceColumns() {
  static const std::vector<std::string> columns = {
      "experiment", "run_id", "game", "n", "beta", "reference", "solver", "label", "params", "seed", "iter",
      "oracle_calls", "queries", "wall_s", "gap_beta", "exploitability", "gap_0", "br_winrate",
      "kl_to_star", "kl_from_star", "span", "fp_residual"};
  return columns;
}

std::string TraceHeader() { return fmt::format("{}\n", fmt::join(TraceColumns(), ",")); }

std::string CsvField(std::string_view text) {
  if (text.find_first_of(",\"\n\r") == std::string_view::npos) return std::string(text);
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string NumberText(double x) { return std::isnan(x) ? std::string() : fmt::format("{}", x); }

void AppendNumber(std::string& out, double x) {
  if (!std::isnan(x)) fmt::format_to(std::back_inserter(out), "{}", x);
}

void WriteString(std::FILE* f, const std::string& text) {
  if (std::fwrite(text.data(), 1, text.size(), f) != text.size()) throw std::runtime_error("write failed");
}

std::string JsonString(std::string_view text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20) out += fmt::format("\\u{:04x}", c);
        else out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string JsonNumber(double x) { return std::isfinite(x) ? fmt::format("{}", x) : "null"; }

namespace {

// Opens `path`, runs `write`, flushes and fsyncs; throws on any failure.
void WriteSynced(const fs::path& path, const FileWriter& write) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) throw std::runtime_error("cannot write " + path.string());
  bool ok = true;
  try {
    write(f);
  } catch (const std::exception&) {
    ok = false;
  }
  ok = ok && std::fflush(f) == 0 && ::fsync(::fileno(f)) == 0;
  std::fclose(f);
  if (!ok) throw std::runtime_error("cannot write " + path.string());
}

}  // namespace

void WriteFileAtomic(const std::string& path, const FileWriter& write) {
  const fs::path target(path);
  const fs::path tmp = target.parent_path() / fmt::format(".{}.tmp-{}-{}", target.filename().string(), ::getpid(),
                                                          std::hash<std::thread::id>()(std::this_thread::get_id()));
  WriteSynced(tmp, write);
  fs::rename(tmp, target);
}

void CheckOutputDirectory(const std::string& dir, bool force) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) return;
  if (!fs::is_directory(dir, ec))
    throw InputError(SourceLocation{dir}, "output", "exists and is not a directory, expected a new directory name");
  if (!force && !fs::is_empty(dir, ec))
    throw InputError(SourceLocation{dir}, "output", "exists and is not empty, expected a new directory (or --force to replace it)");
}

void WriteRunDirectory(const std::string& dir, const std::vector<std::pair<std::string, FileWriter>>& files,
                       bool force) {
  CheckOutputDirectory(dir, force);
  const fs::path target = fs::absolute(dir).lexically_normal();
  fs::create_directories(target.parent_path());
  const fs::path staging = target.parent_path() / fmt::format(".{}.partial-{}", target.filename().string(), ::getpid());
  fs::remove_all(staging);
  fs::create_directories(staging);
  for (const auto& [name, writer] : files) WriteSynced(staging / name, writer);
  if (fs::exists(target)) fs::remove_all(target);  // only reached with force (or an empty dir)
  fs::rename(staging, target);
}

}  // namespace nlhf
