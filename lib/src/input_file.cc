#include "nlhf/input_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <unordered_map>

#include "nlhf/errors.h"
#include "nlhf/sha256.h"

namespace nlhf {

namespace {

std::string Size(std::uint64_t bytes) {
  if (bytes >= (std::uint64_t{1} << 30)) return fmt::format("{:.3g} GiB", static_cast<double>(bytes) / (1 << 30));
  if (bytes >= (std::uint64_t{1} << 20)) return fmt::format("{:.3g} MiB", static_cast<double>(bytes) / (1 << 20));
  return fmt::format("{} bytes", bytes);
}

// "" when `st` is a regular file within the cap, else what is wrong.
std::string Problem(const struct stat& st, std::uint64_t max_bytes) {
  if (S_ISDIR(st.st_mode)) return "is a directory";
  if (S_ISFIFO(st.st_mode)) return "is a named pipe (FIFO)";
  if (S_ISSOCK(st.st_mode)) return "is a socket";
  if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) return "is a device";
  if (!S_ISREG(st.st_mode)) return "is not a regular file";
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (size > max_bytes) return fmt::format("is {}, more than the limit of {}", Size(size), Size(max_bytes));
  return "";
}

}  // namespace

FilePtr OpenInputFile(const std::string& path, const std::string& key, const std::string& what,
                      std::uint64_t max_bytes) {
  auto fail = [&](const std::string& problem) {
    throw InputError(SourceLocation{path}, key, fmt::format("{}, expected {}", problem, what));
  };
  if (path.empty()) fail("the path is empty");
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    fail(fmt::format("cannot open the file ({})", std::strerror(errno)));
  if (std::string p = Problem(st, max_bytes); !p.empty()) fail(p);
  // O_NONBLOCK: should the path have become a FIFO since the stat, opening it does not wait.
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) fail(fmt::format("cannot open the file ({})", std::strerror(errno)));
  if (::fstat(fd, &st) != 0 || !Problem(st, max_bytes).empty()) {
    ::close(fd);
    fail(Problem(st, max_bytes).empty() ? "cannot be read" : Problem(st, max_bytes));
  }
  // Regular files never block; clear O_NONBLOCK anyway so reads behave normally.
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  std::FILE* f = ::fdopen(fd, "rb");
  if (f == nullptr) {
    ::close(fd);
    fail(fmt::format("cannot open the file ({})", std::strerror(errno)));
  }
  return FilePtr(f);
}

std::string ReadInputFile(const std::string& path, const std::string& key, const std::string& what,
                          std::uint64_t max_bytes) {
  FilePtr f = OpenInputFile(path, key, what, max_bytes);
  std::string text;
  char buffer[1 << 16];
  std::size_t got = 0;
  while ((got = std::fread(buffer, 1, sizeof buffer, f.get())) > 0) {
    text.append(buffer, got);
    if (text.size() > max_bytes)  // it grew after the check
      throw InputError(SourceLocation{path}, key,
                       fmt::format("is more than the limit of {}, expected {}", Size(max_bytes), what));
  }
  if (std::ferror(f.get()))
    throw InputError(SourceLocation{path}, key, fmt::format("cannot be read ({}), expected {}", std::strerror(errno), what));
  return text;
}

namespace {

// What tells a file's contents apart without reading them (HashInputFileReusing).
struct FileIdentity {
  dev_t device = 0;
  ino_t inode = 0;
  off_t size = 0;
  std::int64_t mtime_ns = 0, ctime_ns = 0;
  bool operator==(const FileIdentity&) const = default;
};

FileIdentity IdentityOf(const struct stat& st) {
  auto ns = [](const timespec& t) { return std::int64_t{t.tv_sec} * 1'000'000'000 + t.tv_nsec; };
  return FileIdentity{st.st_dev, st.st_ino, st.st_size, ns(st.st_mtim), ns(st.st_ctim)};
}

struct KnownHash {
  FileIdentity identity;
  std::string sha256;
};

std::mutex known_mutex;
std::unordered_map<std::string, KnownHash> known;  // by the path as given
std::atomic<std::int64_t> files_hashed{0};

std::int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::string HashInputFile(const std::string& path, const std::string& key, const std::string& what,
                          std::uint64_t max_bytes) {
  return HashInputFileReusing(path, key, what, max_bytes, kInputHashSettled);
}

std::int64_t InputFilesHashed() { return files_hashed.load(); }

std::string HashInputFileReusing(const std::string& path, const std::string& key, const std::string& what,
                                 std::uint64_t max_bytes, std::chrono::nanoseconds settled) {
  struct stat st {};
  if (!path.empty() && ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
      static_cast<std::uint64_t>(st.st_size) <= max_bytes) {
    std::lock_guard<std::mutex> lock(known_mutex);
    if (const auto it = known.find(path); it != known.end() && it->second.identity == IdentityOf(st))
      return it->second.sha256;
  }
  const std::int64_t began_ns = NowNs();
  FilePtr f = OpenInputFile(path, key, what, max_bytes);
  struct stat before {};
  const bool identified = ::fstat(::fileno(f.get()), &before) == 0;
  files_hashed.fetch_add(1);
  Sha256 h;
  char buffer[1 << 16];
  std::size_t got = 0;
  std::uint64_t total = 0;
  while ((got = std::fread(buffer, 1, sizeof buffer, f.get())) > 0) {
    h.Update(buffer, got);
    total += got;
    if (total > max_bytes)  // it grew after the check (as in ReadInputFile)
      throw InputError(SourceLocation{path}, key,
                       fmt::format("is more than the limit of {}, expected {}", Size(max_bytes), what));
  }
  if (std::ferror(f.get()))
    throw InputError(SourceLocation{path}, key, fmt::format("cannot be read ({}), expected {}", std::strerror(errno), what));
  std::string sha256 = h.HexDigest();
  // Kept for reuse only if the file did not change while it was read and its times had settled.
  struct stat after {};
  const FileIdentity identity = IdentityOf(before);
  const bool reusable = identified && ::fstat(::fileno(f.get()), &after) == 0 && IdentityOf(after) == identity &&
                        std::max(identity.mtime_ns, identity.ctime_ns) <= began_ns - settled.count();
  std::lock_guard<std::mutex> lock(known_mutex);
  if (reusable)
    known.insert_or_assign(path, KnownHash{identity, sha256});
  else
    known.erase(path);
  return sha256;
}

}  // namespace nlhf
