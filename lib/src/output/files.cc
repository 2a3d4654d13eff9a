#include "nlhf/output/files.h"

#include <fcntl.h>
#include <stdio.h>  // renameat2
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <system_error>
#include <thread>
#include <vector>

namespace nlhf {

namespace fs = std::filesystem;

void WriteString(std::FILE* f, const std::string& text) {
  errno = 0;
  if (std::fwrite(text.data(), 1, text.size(), f) != text.size())
    throw std::system_error(errno != 0 ? errno : EIO, std::generic_category(), "write");
}

WriteFailure WriteError(const std::string& file, int err) {
  return WriteFailure(fmt::format("writing {}: {}", file, std::generic_category().message(err)), err);
}

std::string_view WriteFailure::Remedy() const {
  if (err_ == ENOSPC || err_ == EDQUOT) return "once there is room";
  if (err_ == EFBIG) return "once the file size limit (ulimit -f) allows";
  return "once the cause is fixed";
}

namespace {

// Creates `path`, runs `write` and flushes; returns the file, still open. On failure the file is
// closed and removed, and the error is WriteError(`shown`, errno) (an exception thrown by `write`
// itself passes through unchanged).
std::FILE* CreateWritten(const std::string& path, const FileWriter& write, const std::string& shown) {
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
  if (err != 0) {
    std::fclose(f);
    ::unlink(path.c_str());
    throw WriteError(shown, err);
  }
  return f;
}

}  // namespace

void WriteFileSynced(const std::string& path, const FileWriter& write, const std::string& shown) {
  std::FILE* f = CreateWritten(path, write, shown);
  int err = ::fsync(::fileno(f)) != 0 ? errno : 0;
  if (std::fclose(f) != 0 && err == 0) err = errno != 0 ? errno : EIO;
  if (err != 0) {
    ::unlink(path.c_str());
    throw WriteError(shown, err);
  }
}

bool LinkFileSynced(std::FILE* f, const std::string& path, const std::string& shown) {
  if (std::fflush(f) != 0) throw WriteError(shown, errno != 0 ? errno : EIO);
  // An O_TMPFILE file is linked through /proc (linkat's AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH).
  const std::string proc = fmt::format("/proc/self/fd/{}", ::fileno(f));
  if (::linkat(AT_FDCWD, proc.c_str(), AT_FDCWD, path.c_str(), AT_SYMLINK_FOLLOW) != 0) {
    // ENOENT: no /proc (or a file that had a name and lost it).
    if (errno == ENOENT || errno == EXDEV || errno == EPERM || errno == EOPNOTSUPP || errno == ENOSYS) return false;
    throw WriteError(shown, errno);
  }
  if (::fsync(::fileno(f)) != 0) {
    const int err = errno;
    ::unlink(path.c_str());
    throw WriteError(shown, err);
  }
  return true;
}

namespace {

// ".NAME.tmp-PID-THREAD" beside `target`: the temp file of the atomic writes, which a later run
// removes as a leftover should this process die.
fs::path TempBeside(const fs::path& target) {
  return target.parent_path() / fmt::format(".{}.tmp-{}-{}", target.filename().string(), ::getpid(),
                                            std::hash<std::thread::id>()(std::this_thread::get_id()));
}

}  // namespace

void WriteFileAtomic(const std::string& path, const FileWriter& write) {
  const fs::path target(path);
  const fs::path tmp = TempBeside(target);
  WriteFileSynced(tmp.string(), write, path);
  if (std::rename(tmp.c_str(), target.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    throw WriteError(path, err);
  }
}

void WriteFilesAtomic(const std::vector<AtomicFile>& files) {
  struct Temp {
    fs::path path;  // (empty: nothing of ours there to remove)
    std::FILE* f = nullptr;
    int err = 0;
  };
  std::vector<Temp> temps(files.size());
  try {
    for (size_t i = 0; i < files.size(); ++i) {
      Temp& t = temps[i];
      t.path = TempBeside(files[i].path);
      t.f = CreateWritten(t.path.string(), files[i].write, files[i].path);  // (removed by it if it fails)
      StartWriteback(::fileno(t.f));
    }
    // The syncs at once: the first here, the others in threads (here too where no thread is to be
    // had). Nothing between a thread's start and its join throws.
    auto sync = [](Temp& t) { t.err = ::fsync(::fileno(t.f)) != 0 ? errno : 0; };
    std::vector<std::thread> threads;
    threads.reserve(temps.size());
    for (size_t i = 1; i < temps.size(); ++i) {
      try {
        threads.emplace_back(sync, std::ref(temps[i]));
      } catch (const std::system_error&) {
        sync(temps[i]);
      }
    }
    if (!temps.empty()) sync(temps[0]);
    for (std::thread& th : threads) th.join();
    for (Temp& t : temps) {
      errno = 0;
      const int closed = std::fclose(t.f) != 0 ? (errno != 0 ? errno : EIO) : 0;
      t.f = nullptr;
      if (t.err == 0) t.err = closed;
    }
    for (size_t i = 0; i < temps.size(); ++i)
      if (temps[i].err != 0) throw WriteError(files[i].path, temps[i].err);
    for (size_t i = 0; i < temps.size(); ++i) {
      if (std::rename(temps[i].path.c_str(), files[i].path.c_str()) != 0) throw WriteError(files[i].path, errno);
      temps[i].path.clear();  // renamed: kept
    }
    // The renames made durable: each folder synced once, after all of them.
    std::vector<fs::path> folders;
    for (const AtomicFile& file : files) {
      const fs::path folder = fs::path(file.path).has_parent_path() ? fs::path(file.path).parent_path() : ".";
      if (std::find(folders.begin(), folders.end(), folder) == folders.end()) folders.push_back(folder);
    }
    for (const fs::path& folder : folders)
      if (const int err = SyncDirectory(folder.string()); err != 0) throw WriteError(folder.string(), err);
  } catch (...) {
    // Every temporary closed and removed (those renamed already are kept).
    for (Temp& t : temps) {
      if (t.f != nullptr) std::fclose(t.f);
      if (!t.path.empty()) ::unlink(t.path.c_str());
    }
    throw;
  }
}

namespace {

WriteFailure ExistsFailure(const std::string& path) {
  std::error_code e;
  const bool folder = fs::is_directory(fs::symlink_status(fs::path(path), e));
  return WriteFailure(fmt::format("writing {}: {}, and it is not overwritten (expected the name of a new file)", path,
                                  folder ? "a directory is there" : "the file exists"));
}

}  // namespace

void CheckNewFile(const std::string& path) {
  const fs::path target(path);
  std::error_code ec;
  if (fs::exists(fs::symlink_status(target, ec))) throw ExistsFailure(path);
  const fs::path folder = target.has_parent_path() ? target.parent_path() : fs::path(".");
  const fs::file_status status = fs::status(folder, ec);
  if (!fs::is_directory(status))
    throw WriteFailure(fmt::format("writing {}: its folder {} {}, expected the name of a new file in an existing folder",
                                   path, folder.string(), fs::exists(status) ? "is not a folder" : "does not exist"));
}

void WriteNewFileAtomic(const std::string& path, const FileWriter& write) {
  const fs::path target(path);
  // Refused before the work, and again, atomically, at the end.
  CheckNewFile(path);
  const fs::path tmp = TempBeside(target);
  WriteFileSynced(tmp.string(), write, path);
  int err = ::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, target.c_str(), RENAME_NOREPLACE) == 0 ? 0 : errno;
  if (err == EINVAL || err == ENOSYS) {  // no RENAME_NOREPLACE here: a hard link refuses an existing name too
    err = ::link(tmp.c_str(), target.c_str()) == 0 ? 0 : errno;
    ::unlink(tmp.c_str());
  }
  if (err != 0) {
    ::unlink(tmp.c_str());
    if (err == EEXIST) throw ExistsFailure(path);
    throw WriteError(path, err);
  }
}

int SyncDirectory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno;
  const int err = ::fsync(fd) != 0 ? errno : 0;
  ::close(fd);
  return err;
}

void StartWriteback(std::FILE* f) {
  // A failed flush is reported now: stdio drops the buffer, so a later fsync would succeed.
  if (std::fflush(f) != 0) throw std::system_error(errno != 0 ? errno : EIO, std::generic_category(), "flush");
  StartWriteback(::fileno(f));
}

void StartWriteback(int fd) {
  ::sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);  // a hint: its failure changes nothing
}

void AppendFileRange(int from_fd, std::int64_t offset, std::int64_t bytes, std::FILE* to) {
  auto fail = [](int err) { throw std::system_error(err != 0 ? err : EIO, std::generic_category(), "copy"); };
  if (std::fflush(to) != 0) fail(errno);
  const int to_fd = ::fileno(to);
  off_t in = static_cast<off_t>(offset);
  std::int64_t left = bytes;
  bool kernel_copy = true;
  std::vector<char> buffer;
  while (left > 0) {
    if (kernel_copy) {
      const ssize_t k = ::copy_file_range(from_fd, &in, to_fd, nullptr, static_cast<size_t>(left), 0);
      if (k > 0) {
        left -= k;
        continue;
      }
      if (k == 0) fail(EIO);  // the source ended early
      // Not supported between these files (another filesystem on old kernels): copy by hand.
      if (errno != EXDEV && errno != ENOSYS && errno != EOPNOTSUPP && errno != EINVAL) fail(errno);
      kernel_copy = false;
      buffer.resize(1 << 20);
    }
    const ssize_t r = ::pread(from_fd, buffer.data(), std::min<std::int64_t>(left, static_cast<std::int64_t>(buffer.size())), in);
    if (r <= 0) fail(r == 0 ? EIO : errno);
    for (ssize_t done = 0; done < r;) {  // a short write is not an error: write the rest
      const ssize_t w = ::write(to_fd, buffer.data() + done, static_cast<size_t>(r - done));
      if (w < 0) fail(errno);
      done += w;
    }
    in += r;
    left -= r;
  }
}

namespace {

// An unbuffered stream on `fd` (closed on failure): TraceWriter hands over whole blocks, and a run's
// rows must be in the kernel when the run ends.
std::FILE* Unbuffered(int fd, const std::string& shown) {
  std::FILE* f = ::fdopen(fd, "w+b");
  if (f == nullptr) {
    const int err = errno;
    ::close(fd);
    throw WriteError(shown, err);
  }
  std::setvbuf(f, nullptr, _IONBF, 0);
  return f;
}

}  // namespace

std::FILE* UnnamedFile(const std::string& folder, const std::string& shown, int mode) {
  const int fd = ::open(folder.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, static_cast<mode_t>(mode));
  return fd < 0 ? nullptr : Unbuffered(fd, shown);
}

std::FILE* AnonymousFile(const std::string& folder, const std::string& shown) {
  // O_TMPFILE: a file that never has a name. Where the filesystem lacks it, a named one unlinked at
  // once (only a kill in that instant would leave an empty ".nlhf-spool.tmp-PID-XXXXXX").
  if (std::FILE* f = UnnamedFile(folder, shown, 0600)) return f;
  std::string name = (fs::path(folder) / fmt::format(".nlhf-spool.tmp-{}-XXXXXX", ::getpid())).string();
  const int fd = ::mkostemp(name.data(), O_CLOEXEC);
  if (fd < 0) throw WriteError(shown, errno);
  ::unlink(name.c_str());
  return Unbuffered(fd, shown);
}

}  // namespace nlhf
