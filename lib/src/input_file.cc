#include "nlhf/input_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

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

std::string HashInputFile(const std::string& path, const std::string& key, const std::string& what,
                          std::uint64_t max_bytes) {
  FilePtr f = OpenInputFile(path, key, what, max_bytes);
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
  return h.HexDigest();
}

}  // namespace nlhf
