#include "nlhf/output.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iterator>
#include <system_error>
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
  if (std::fwrite(text.data(), 1, text.size(), f) != text.size())
    throw std::system_error(errno != 0 ? errno : EIO, std::generic_category(), "write");
}

InputError WriteError(const std::string& file, int err) {
  return InputError(fmt::format("writing {}: {}", file, std::generic_category().message(err)));
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

void WriteFileSynced(const std::string& path, const FileWriter& write, const std::string& shown) {
  errno = 0;
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) throw WriteError(shown, errno != 0 ? errno : EIO);
  int err = 0;
  try {
    write(f);
  } catch (const std::system_error& e) {
    err = e.code().value() != 0 ? e.code().value() : EIO;
  } catch (...) {
    std::fclose(f);
    ::unlink(path.c_str());
    throw;
  }
  if (err == 0 && std::fflush(f) != 0) err = errno != 0 ? errno : EIO;
  if (err == 0 && ::fsync(::fileno(f)) != 0) err = errno;
  if (std::fclose(f) != 0 && err == 0) err = errno != 0 ? errno : EIO;
  if (err != 0) {
    ::unlink(path.c_str());
    throw WriteError(shown, err);
  }
}

void WriteFileAtomic(const std::string& path, const FileWriter& write) {
  const fs::path target(path);
  const fs::path tmp = target.parent_path() / fmt::format(".{}.tmp-{}-{}", target.filename().string(), ::getpid(),
                                                          std::hash<std::thread::id>()(std::this_thread::get_id()));
  WriteFileSynced(tmp.string(), write, path);
  if (std::rename(tmp.c_str(), target.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    throw WriteError(path, err);
  }
}

}  // namespace nlhf
