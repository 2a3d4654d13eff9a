#include "nlhf/run_directory.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <set>
#include <system_error>
#include <variant>

#include "nlhf/errors.h"
#include "nlhf/version.h"

namespace nlhf {

namespace fs = std::filesystem;

namespace {

// The refusal of a second writer: "DIR is being written by process PID; wait for it to finish"
// (PID 0: "another process"), with ", or choose another --out" where the user chose DIR to write.
InputError BeingWritten(const std::string& shown, long pid, bool writer) {
  return InputError(fmt::format("{} is being written by {}; wait for it to finish{}", shown,
                                pid > 0 ? fmt::format("process {}", pid) : std::string("another process"),
                                writer ? ", or choose another --out" : ""));
}

// The refusal of a writer while readers hold the lock for longer than a dry run's probe takes: a
// merge reading DIR as one of its shards.
InputError BeingRead(const std::string& shown) {
  return InputError(fmt::format("{} is being read by another process (nlhf-sweep --merge reads its shards); wait for "
                                "it to finish, or choose another --out",
                                shown));
}

// True when `p` is `dir` or lies below it (both normalized).
bool IsWithin(const fs::path& p, const fs::path& dir) {
  auto a = p.begin(), b = dir.begin();
  for (; b != dir.end(); ++a, ++b)
    if (a == p.end() || *a != *b) return false;
  return true;
}

bool ProcessAlive(long pid) { return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM; }

// The digits of `text` as a pid; 0 if `text` is not all digits.
long ParsePid(std::string_view text) {
  if (text.empty() || text.size() > 9) return 0;
  long pid = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return 0;
    pid = pid * 10 + (c - '0');
  }
  return pid;
}

// The pid in a temp file name ".NAME.tmp-PID-THREAD" (WriteFileAtomic); 0 for any other name.
long TempFilePid(std::string_view name) {
  const size_t at = name.rfind(".tmp-");
  if (name.empty() || name[0] != '.' || at == std::string_view::npos) return 0;
  const std::string_view rest = name.substr(at + 5);
  const size_t dash = rest.find('-');
  if (dash == std::string_view::npos || dash + 1 == rest.size() ||
      rest.find_first_not_of("0123456789", dash + 1) != std::string_view::npos)
    return 0;
  return ParsePid(rest.substr(0, dash));
}

// What a lock file holds: its owner's pid and a newline, or nothing (one just created, or a reader's
// SharedDirectoryLock on a directory whose writer never wrote one).
bool IsLockText(std::string_view text) {
  if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  return text.empty() || ParsePid(text) > 0;
}

// Why the file `path` (through `fd` when it is open, >= 0) is not a lock file of nlhf's, or "" when
// it is one (a regular file holding a pid and a newline, or nothing) or does not exist. Looked at
// without following a link, creating or changing anything.
std::string NotALock(const fs::path& path, int fd = -1) {
  struct stat st {};
  if ((fd >= 0 ? ::fstat(fd, &st) : ::lstat(path.c_str(), &st)) != 0)
    return errno == ENOENT && fd < 0 ? "" : fmt::format("cannot be examined ({})", std::strerror(errno));
  if (S_ISLNK(st.st_mode)) return "is a symlink";
  if (S_ISDIR(st.st_mode)) return "is a directory";
  if (!S_ISREG(st.st_mode)) return "is not a regular file";
  const int read_fd = fd >= 0 ? fd : ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (read_fd < 0) return fmt::format("cannot be read ({})", std::strerror(errno));
  char text[32];
  const ssize_t got = ::pread(read_fd, text, sizeof text, 0);
  const int err = errno;
  if (fd < 0) ::close(read_fd);
  if (got < 0) return fmt::format("cannot be read ({})", std::strerror(err));
  return IsLockText(std::string_view(text, static_cast<size_t>(got))) ? "" : "holds something other than a process id";
}

// The refusal by `tool` of a file with a lock file's name that is not one (NotALock says `what`).
InputError NotALockError(const fs::path& file, std::string_view what, const std::string& shown, std::string_view tool) {
  return InputError(SourceLocation{file.string()}, "",
                    fmt::format("{}, so {} will not take it for the lock file that keeps two copies from writing {} "
                                "at once, expected no file by that name (move it away)",
                                what, tool, shown));
}

std::string MarkerText(std::string_view tool) {
  return fmt::format(
      "# This directory was written by {0}. {0} --force replaces it, deleting only the files {0} wrote.\n"
      "tool: {0}\nversion: {1}\npid: {2}\n",
      tool, kVersion, ::getpid());
}

// The entries of `dir` (names), sorted, without `skip`.
std::vector<std::string> Entries(const fs::path& dir, std::string_view skip = "") {
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name != skip) names.push_back(std::move(name));
  }
  std::sort(names.begin(), names.end());
  return names;
}

// "thesis.tex" or "thesis.tex and 3 more".
std::string Example(const std::vector<std::string>& names) {
  if (names.size() == 1) return names.front();
  return fmt::format("{} and {} more", names.front(), names.size() - 1);
}

// Whether `dir` is a folder (not a link to one) whose entries are all regular files that `ours`
// accepts; their names go to `held`.
bool HoldsOnly(const fs::path& dir, const std::function<bool(const std::string&)>& ours, std::vector<std::string>& held) {
  std::error_code ec;
  if (!fs::is_directory(fs::symlink_status(dir, ec))) return false;
  held = Entries(dir);
  return std::all_of(held.begin(), held.end(), [&](const std::string& e) {
    return fs::is_regular_file(fs::symlink_status(dir / e, ec)) && ours(e);
  });
}

// Removes the folder `dir` whose files `held` were checked (HoldsOnly): exactly those are unlinked,
// then the folder is rmdir'ed, so nothing put there meanwhile (or missed by the listing) goes with
// it. Whether the folder went.
bool RemoveCheckedFolder(const fs::path& dir, const std::vector<std::string>& held) {
  for (const std::string& e : held) ::unlink((dir / e).c_str());
  return ::rmdir(dir.c_str()) == 0;
}

// Whether the pid in a leftover's name is of a process that is gone. This process's own pid counts
// as gone: the leftover is from an earlier process that had the same number.
bool Gone(long pid) { return pid > 0 && (pid == ::getpid() || !ProcessAlive(pid)); }

}  // namespace

fs::path NormalizePath(const std::string& dir) {
  const fs::path absolute = fs::absolute(dir);
  std::error_code ec;
  fs::path p = fs::weakly_canonical(absolute, ec);
  if (ec) p = absolute;
  p = p.lexically_normal();
  while (!p.has_filename() && p.has_relative_path()) p = p.parent_path();
  return p;
}

fs::path CheckOutputPath(const std::string& dir, const std::string& key, const std::vector<std::string>& inputs,
                         bool beside) {
  if (dir.empty()) throw InputError(key, "is empty, expected a directory name such as runs/NAME");
  const SourceLocation where{dir};
  // A shell expands ~ only at the start of a word (not in --out=~/x), and a YAML file never: the
  // directory would be a folder named "~" here, reported as "~/x", which reads as the home
  // directory (and `rm -rf ~` to tidy it up would delete that).
  if (dir.front() == '~') {
    const char* home = std::getenv("HOME");
    const std::string spelled = dir.rfind("~/", 0) == 0 && home != nullptr && *home != '\0'
                                    ? fmt::format(" ({}{})", home, dir.substr(1))
                                    : "";
    throw InputError(where, key,
                     fmt::format("starts with ~, which is not expanded here (a shell expands it only at the start "
                                 "of a word, not after --out=, and a YAML file never), expected the path written "
                                 "out{}",
                                 spelled));
  }
  std::error_code ec;
  // Walk the path as written: every component before the last must be a directory, and no
  // component may be a dangling symlink.
  const fs::path absolute = fs::absolute(dir);
  std::vector<fs::path> parts;
  for (const fs::path& part : absolute)
    if (!part.empty() && part != ".") parts.push_back(part);
  fs::path prefix;
  for (size_t i = 0; i < parts.size(); ++i) {
    prefix /= parts[i];
    const fs::file_status link = fs::symlink_status(prefix, ec);
    if (ec || !fs::exists(link)) break;  // nothing below exists
    const fs::file_status target = fs::status(prefix, ec);
    if (fs::is_symlink(link) && !fs::exists(target)) {
      const std::string to = fs::read_symlink(prefix, ec).string();
      throw InputError(where, key,
                       i + 1 == parts.size()
                           ? fmt::format("is a symlink to {}, which does not exist, expected a directory or a new name", to)
                           : fmt::format("goes through {}, a symlink to {}, which does not exist, expected a path "
                                         "through existing directories",
                                         prefix.string(), to));
    }
    if (i + 1 < parts.size() && !fs::is_directory(target))
      throw InputError(where, key,
                       fmt::format("is under {}, which is a file, not a directory, expected a path whose "
                                   "parent folders are directories",
                                   prefix.string()));
  }

  const fs::path path = NormalizePath(dir);
  const std::string allowed = "expected a new directory such as runs/NAME, or one an nlhf tool wrote";
  if (path == path.root_path())
    throw InputError(where, key, fmt::format("is the root directory, {}", allowed));
  const fs::path cwd = NormalizePath(fs::current_path(ec).string());
  if (!ec && path == cwd)
    throw InputError(where, key, fmt::format("is the current directory, {}", allowed));
  if (!ec && IsWithin(cwd, path))
    throw InputError(where, key, fmt::format("is {}, which holds the current directory, {}", path.string(), allowed));
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    const fs::path h = NormalizePath(home);
    if (path == h) throw InputError(where, key, fmt::format("is your home directory, {}", allowed));
    if (IsWithin(h, path))
      throw InputError(where, key, fmt::format("is {}, which holds your home directory, {}", path.string(), allowed));
  }
  const fs::file_status status = fs::status(path, ec);
  if (fs::exists(status) && !fs::is_directory(status))
    throw InputError(where, key, "exists and is not a directory, expected a new directory name");
  for (const std::string& input : inputs) {
    if (input.empty()) continue;
    if (IsWithin(NormalizePath(input), path))
      throw InputError(where, key,
                       fmt::format("is {}, which holds the input file {}, expected a directory that holds none "
                                   "of the inputs, such as runs/NAME",
                                   path.string(), input));
  }
  // The nearest existing ancestor must be writable (the directory itself when it exists; and its
  // parent too when the files are staged beside it).
  auto check_writable = [&](fs::path p) {
    while (!fs::exists(p, ec) && p.has_relative_path()) p = p.parent_path();
    if (::access(p.c_str(), W_OK | X_OK) != 0)
      throw InputError(where, key,
                       fmt::format("cannot be written ({}: {}), expected a directory you can write",
                                   p.string(), std::generic_category().message(errno)));
  };
  check_writable(path);
  if (beside) {
    check_writable(path.parent_path());
    // The names written beside NAME (".NAME.partial-PID", ".NAME.old-PID", ".NAME.lock") must be file
    // names too: 17 bytes more than NAME with a 7-digit pid. (Found otherwise only after all the work,
    // when the results are staged.)
    const size_t name = path.filename().string().size();
    const long name_max = ::pathconf(path.parent_path().c_str(), _PC_NAME_MAX);
    const size_t most = name_max > 0 ? static_cast<size_t>(name_max) : 255;
    if (name + 17 > most)
      throw InputError(where, key,
                       fmt::format("has a last component of {} bytes; the results are written beside it as "
                                   ".NAME.partial-PID first, which would exceed the {} bytes a file name may have "
                                   "here, expected a name of at most {} bytes",
                                   name, most, most - 17));
    // An existing NAME is replaced by a rename, which a sticky folder (such as /tmp) refuses for a
    // NAME owned by someone else, unless the folder is one's own. (Found otherwise only at the end.)
    struct stat dir_st {}, parent_st {};
    if (::geteuid() != 0 && ::stat(path.c_str(), &dir_st) == 0 && ::stat(path.parent_path().c_str(), &parent_st) == 0 &&
        (parent_st.st_mode & S_ISVTX) != 0 && dir_st.st_uid != ::geteuid() && parent_st.st_uid != ::geteuid())
      throw InputError(where, key,
                       fmt::format("belongs to another user in {}, a folder with the sticky bit (as /tmp), where only "
                                   "its owner may replace it, expected a new name or a directory of your own",
                                   path.parent_path().string()));
  }
  return path;
}

std::vector<std::string> ExperimentInputFiles(const ExperimentConfig& config) {
  std::vector<std::string> files;
  if (!config.source.empty()) files.push_back(config.source);
  for (const InputFile& f : config.inputs) files.push_back(f.path);  // found and hashed by the parser
  return files;
}

bool HasMarker(const fs::path& dir, std::string_view tool) {
  std::ifstream in(dir / kMarkerFile);
  std::string line;
  const std::string want = fmt::format("tool: {}", tool);
  for (int n = 0; n < 20 && std::getline(in, line); ++n)
    if (line == want) return true;
  return false;
}

// The other nlhf tool whose output `dir` is (its marker names it), or "".
std::string OtherToolsOutput(const fs::path& dir, std::string_view tool) {
  for (const std::string_view other : {"nlhf-run", "nlhf-sweep"})
    if (other != tool && HasMarker(dir, other)) return std::string(other);
  return "";
}

void WriteMarker(const fs::path& dir, std::string_view tool) {
  const std::string text = MarkerText(tool);
  WriteFileAtomic((dir / kMarkerFile).string(), [&](std::FILE* f) { WriteString(f, text); });
}

DirectoryLock::DirectoryLock(const fs::path& lock_file, const std::string& shown, bool remove_on_release,
                             std::string_view tool)
    : file_(lock_file), remove_(remove_on_release) {
  // Named with what it is for: the user gave `shown`, not the lock's name.
  const auto failure = [&](int err) {
    return WriteFailure(fmt::format("writing {}: {} (the lock file that keeps two copies from writing {} at once)",
                                    file_.string(), std::generic_category().message(err), shown),
                        err);
  };
  // A file of the user's that happens to have the lock's name is neither truncated nor removed.
  const auto not_a_lock = [&](std::string_view what) { return NotALockError(file_, what, shown, tool); };
  int gone = 0;        // refusals whose holder had ended by the time its pid was read
  int read_waits = 0;  // waits while readers only held the lock
  while (fd_ < 0) {
    // (Not through a symlink: a link of the user's named like the lock is not followed to its file.)
    const int fd = ::open(file_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0 && errno == ELOOP) throw not_a_lock("is a symlink");
    if (fd < 0 && errno == EISDIR) throw not_a_lock("is a directory");
    if (fd < 0) throw failure(errno);
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int err = errno;
      // Held by readers only, when a shared lock is granted: a dry run's probe (CheckOutputDirectory,
      // for an instant) or a merge reading this shard. Their file holds an earlier writer's pid, or
      // none: waited for (up to 1 s), never named as the writer.
      bool readers = false;
      if (err == EWOULDBLOCK) {
        int shared = 0;
        while ((shared = ::flock(fd, LOCK_SH | LOCK_NB)) != 0 && errno == EINTR) {
        }
        readers = shared == 0;
      }
      ::close(fd);  // (releases the shared lock too)
      if (err == EINTR) continue;
      if (err != EWOULDBLOCK) throw failure(err);
      if (readers) {
        if (++read_waits > 100) throw BeingRead(shown);
        ::usleep(10000);
        continue;
      }
      // The holder writes its pid right after locking; give it a moment.
      // A file that is gone meanwhile: its holder released it and removed it (the staged lock, and
      // a sweep's claim holding it for a moment, do): the lock is free, try again.
      const auto removed = [&] {
        struct stat still {};
        return ::lstat(file_.c_str(), &still) != 0 && errno == ENOENT;
      };
      long pid = 0;
      bool gone_now = false;
      for (int k = 0; k < 100 && pid == 0 && !gone_now; ++k) {  // up to 1 s: a loaded machine can take longer than 0.1 s
        pid = ReadPid(file_);
        gone_now = pid == 0 && removed();
        if (pid == 0 && !gone_now) ::usleep(10000);
      }
      // A pid that names no process: the holder ended since (the lock is free: try again), or it is
      // an earlier writer's pid left in the file, read before the new holder wrote its own.
      if (gone_now || (pid > 0 && !ProcessAlive(pid))) {
        if (++gone <= 3) {
          ::usleep(10000);
          continue;
        }
        pid = 0;
      }
      throw BeingWritten(shown, pid, true);
    }
    // A holder that released the lock removes the file: if the path no longer names the file we
    // locked, lock the new one.
    struct stat ours {}, now {};
    if (::fstat(fd, &ours) == 0 && ::stat(file_.c_str(), &now) == 0 && ours.st_ino == now.st_ino &&
        ours.st_dev == now.st_dev) {
      if (const std::string why = NotALock(file_, fd); !why.empty()) {
        ::close(fd);
        throw not_a_lock(why);
      }
      fd_ = fd;
    } else {
      ::close(fd);
    }
  }
  const std::string pid = fmt::format("{}\n", ::getpid());
  errno = 0;
  if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    const int err = errno != 0 ? errno : EIO;  // a short write sets none
    // (A full disk: the file, created or left empty, is not left behind. It is still locked, and a
    // waiter checks that the path names the file it locked.)
    ::unlink(file_.c_str());
    ::close(fd_);
    throw failure(err);
  }
}

DirectoryLock::~DirectoryLock() {
  if (remove_) ::unlink(file_.c_str());  // still locked: a waiter then sees a new inode
  ::close(fd_);
}

namespace {

// A shared lock on `file` (opened for reading, never created or followed through a link): its fd, or
// -1 where there is no such file or the file system has no locks. A writer holding it: InputError
// BeingWritten(`shown`, its pid, `writer`).
int LockShared(const fs::path& file, const std::string& shown, bool writer) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return -1;
  while (::flock(fd, LOCK_SH | LOCK_NB) != 0) {
    const int err = errno;
    if (err == EINTR) continue;
    ::close(fd);
    if (err != EWOULDBLOCK) return -1;  // no locks on this file system: read as before
    // (A pid that names no process is an earlier writer's, read before the holder wrote its own.)
    const long pid = DirectoryLock::ReadPid(file);
    throw BeingWritten(shown, pid > 0 && ProcessAlive(pid) ? pid : 0, writer);
  }
  return fd;
}

}  // namespace

// Opened for reading, never created: a folder without one is no nlhf output (or was never written by
// a tool that locks), and a read-only one can be locked too.
SharedDirectoryLock::SharedDirectoryLock(const fs::path& dir, const std::string& shown)
    : fd_(LockShared(dir / kLockFile, shown, false)) {}

SharedDirectoryLock::~SharedDirectoryLock() {
  if (fd_ >= 0) ::close(fd_);
}

long DirectoryLock::ReadPid(const fs::path& lock_file) {
  std::ifstream in(lock_file);
  std::string text;
  std::getline(in, text);
  return ParsePid(text);
}

int RemoveStaleLeftovers(const fs::path& folder, const std::function<bool(const std::string&)>& ours,
                         const std::string& staging_for) {
  int removed = 0;
  const std::string staging_prefix = "." + staging_for + ".partial-";
  for (const std::string& name : Entries(folder)) {
    if (name.size() < 2 || name[0] != '.') continue;
    long pid = 0;
    if (!staging_for.empty()) {
      // The folder around a staged output is the user's: only our staging folders for this output.
      if (name.rfind(staging_prefix, 0) == 0) pid = ParsePid(std::string_view(name).substr(staging_prefix.size()));
    } else {
      pid = TempFilePid(name);
    }
    if (!Gone(pid)) continue;
    // Only what the tool writes, as it writes it: a staging folder (not a link) holding only the
    // tool's files, a temp file (not a folder) of one of the tool's files. A user's entry that
    // happens to have such a name stays. Each is removed as what it was checked to be.
    if (!staging_for.empty()) {
      std::vector<std::string> held;
      if (HoldsOnly(folder / name, ours, held)) removed += RemoveCheckedFolder(folder / name, held) ? 1 : 0;
      continue;
    }
    std::error_code ec;
    if (fs::is_regular_file(fs::symlink_status(folder / name, ec)) && ours(name))
      removed += ::unlink((folder / name).c_str()) == 0 ? 1 : 0;
  }
  return removed;
}

namespace {

// Whether `name` is a file the tool writes into its output directory: an owned one or the marker.
bool WritesFile(const OutputDirectoryOptions& options, const std::string& name) {
  return name == kMarkerFile || std::find(options.owned.begin(), options.owned.end(), name) != options.owned.end();
}

// Whether `name` is the temp file ".NAME.tmp-PID-THREAD" of one of them (WriteFileAtomic's).
bool WritesTempOf(const OutputDirectoryOptions& options, const std::string& name) {
  return TempFilePid(name) > 0 && WritesFile(options, name.substr(1, name.rfind(".tmp-") - 1));
}

bool Marked(const fs::path& path, const OutputDirectoryOptions& options) {
  return HasMarker(path, options.tool) || (options.also_marked && options.also_marked(path));
}

bool IsOwnedFolder(const OutputDirectoryOptions& options, const std::string& name) {
  return std::find(options.owned_folders.begin(), options.owned_folders.end(), name) != options.owned_folders.end();
}

// Whether the entry `name` of `path` is one the tool writes: an owned name, a folder where the tool
// writes a folder and not one where it writes a file (a user's folder called trace.csv is not the
// tool's file).
bool IsOwnedEntry(const fs::path& path, const OutputDirectoryOptions& options, const std::string& name) {
  if (std::find(options.owned.begin(), options.owned.end(), name) == options.owned.end()) return false;
  std::error_code ec;
  return IsOwnedFolder(options, name) == fs::is_directory(fs::symlink_status(path / name, ec));
}

// The entries of `path` that are not the tool's (its owned entries, marker and, in place, lock).
std::vector<std::string> ForeignEntries(const fs::path& path, const OutputDirectoryOptions& options) {
  std::vector<std::string> foreign;
  std::error_code ec;
  for (const std::string& e : Entries(path, kMarkerFile)) {
    // A temporary of one of the tool's files whose writer is gone (a kill) is the tool's: removed
    // once the lock is held (RemoveStaleLeftovers), not a reason to refuse the directory.
    const bool stale_temp = WritesTempOf(options, e) && Gone(TempFilePid(e)) &&
                            fs::is_regular_file(fs::symlink_status(path / e, ec));
    if (!IsOwnedEntry(path, options, e) && !stale_temp && (options.staged || e != kLockFile)) foreign.push_back(e);
  }
  return foreign;
}

// A folder's name in a message: "trace.csv/" (Example's entries are names).
std::vector<std::string> FolderNames(const fs::path& path, std::vector<std::string> names) {
  std::error_code ec;
  for (std::string& name : names)
    if (fs::is_directory(fs::symlink_status(path / name, ec))) name += '/';
  return names;
}

// Whether the directory `path` is where a file system is mounted (statx's STATX_ATTR_MOUNT_ROOT where
// the kernel reports it, Linux >= 5.8, else a device other than its parent's): rename() cannot move
// it (EBUSY), so a staged output cannot replace it.
bool IsMountPoint(const fs::path& path) {
  struct statx sx {};
  if (::statx(AT_FDCWD, path.c_str(), 0, STATX_BASIC_STATS, &sx) == 0 &&
      (sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) != 0)
    return (sx.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0;
  struct stat self {}, parent {};
  const fs::path up = path.has_parent_path() ? fs::absolute(path).parent_path() : fs::current_path();
  return ::stat(path.c_str(), &self) == 0 && ::stat(up.c_str(), &parent) == 0 && self.st_dev != parent.st_dev;
}

// Refuses a directory that may not be written (OutputDirectory's rules); `shown` names it.
void CheckContents(const fs::path& path, const std::string& shown, const OutputDirectoryOptions& options) {
  std::error_code ec;
  if (!fs::is_directory(path, ec)) return;
  const std::string& tool = options.tool;
  const SourceLocation where{shown};
  if (options.staged && IsMountPoint(path))
    throw InputError(where, options.key,
                     fmt::format("is a mount point, which {} cannot replace (it writes its files into a new "
                                 "directory and renames that into place), expected a directory inside it, such as "
                                 "{}/NAME",
                                 tool, (fs::path(shown) / "").parent_path().string()));
  std::vector<std::string> entries = Entries(path, options.staged ? "" : kLockFile);
  // In place, a temp file of ours (a writer's marker, say) is no reason to refuse: the lock decides.
  if (!options.staged)
    entries.erase(std::remove_if(entries.begin(), entries.end(), [&](const std::string& e) { return WritesTempOf(options, e); }),
                  entries.end());
  if (entries.empty()) return;
  // Another tool's output is named as such, rather than by the files it holds.
  if (!Marked(path, options))
    if (const std::string other = OtherToolsOutput(path, tool); !other.empty())
      throw InputError(where, options.key,
                       fmt::format("is an {0} output directory, which {1} does not write into, expected a new "
                                   "directory or one {1} wrote",
                                   other, tool));
  if (options.staged) {
    if (!options.force)
      throw InputError(where, options.key,
                       fmt::format("exists and is not empty, expected a new directory (or --force to replace "
                                   "a directory {} wrote)",
                                   tool));
    if (!HasMarker(path, tool))
      throw InputError(where, options.key,
                       fmt::format("holds files {0} did not write ({1}), so --force will not replace it, expected "
                                   "a new directory or one {0} wrote",
                                   tool, Example(entries)));
    if (const std::vector<std::string> foreign = ForeignEntries(path, options); !foreign.empty())
      throw InputError(where, options.key,
                       fmt::format("holds {1}, which {0} did not write, so --force will not replace it, expected "
                                   "a directory holding only {0}'s files (move the others away)",
                                   tool, Example(FolderNames(path, foreign))));
    return;
  }
  if (Marked(path, options)) {
    // A folder where the tool writes a file (or a file where it writes a folder) is the user's:
    // neither replaced nor written over.
    for (const std::string& o : options.owned) {
      const fs::file_status status = fs::symlink_status(path / o, ec);
      if (!fs::exists(status) || IsOwnedEntry(path, options, o)) continue;
      const bool folder = fs::is_directory(status);
      const char* what = folder ? "folder" : fs::is_symlink(status) ? "link" : "file";
      throw InputError(where, options.key,
                       fmt::format("holds {1}{2}, a {3} {0} did not write (it writes a {4} by that name), so {0} "
                                   "will not {5} it, expected {0}'s {4} or nothing there (move the {3} away)",
                                   tool, o, folder ? "/" : "", what, folder ? "file" : "folder",
                                   options.force ? "replace" : "write into"));
    }
    if (!options.force || !options.writes_in) return;
    // --force deletes the owned folders: only when they hold nothing but the tool's files (regular
    // files by the tool's names: a folder called manifest.yaml is the user's).
    for (const std::string& o : options.owned_folders) {
      if (!fs::is_directory(path / o, ec)) continue;
      std::vector<std::string> foreign;
      for (const std::string& e : Entries(path / o)) {
        const fs::file_status status = fs::symlink_status(path / o / e, ec);
        if (!options.writes_in(o, e) || !fs::is_regular_file(status))
          foreign.push_back(o + "/" + e + (fs::is_directory(status) ? "/" : ""));
      }
      // (Worded for a merge too, which replaces a changed sweep's store without --force.)
      if (!foreign.empty())
        throw InputError(where, options.key,
                         fmt::format("holds {1}, which {0} did not write, so {0} will not delete {2}/ to start over, "
                                     "expected {2}/ to hold only {0}'s files (move the others away)",
                                     tool, Example(foreign), o));
    }
    return;
  }
  std::set<fs::path> accepted;
  for (const std::string& a : options.accepted) {
    const fs::path p = NormalizePath(a);
    accepted.insert(p);
    // The lock a claim of that directory holds beside it for a moment (left by a kill -9 then).
    accepted.insert(p.parent_path() / fmt::format(".{}.lock", p.filename().string()));
  }
  std::vector<std::string> other;
  for (const std::string& e : entries)
    if (accepted.count(path / e) == 0) other.push_back(e);
  if (other.empty()) return;
  throw InputError(where, options.key,
                   options.force
                       ? fmt::format("holds files {0} did not write ({1}), so --force will not replace it, "
                                     "expected a new or empty directory, or one {0} wrote",
                                     tool, Example(other))
                       : fmt::format("exists and holds something other than {0}'s output ({1}), expected a "
                                     "new or empty directory, or one {0} wrote",
                                     tool, Example(other)));
}

// The lock file of the output directory `path`: beside it when staged, inside it in place.
fs::path LockFileOf(const fs::path& path, bool staged) {
  return staged ? path.parent_path() / fmt::format(".{}.lock", path.filename().string()) : path / kLockFile;
}

// The staging folder of this process for the output directory `path`.
fs::path StagingOf(const fs::path& path) {
  return path.parent_path() / fmt::format(".{}.partial-{}", path.filename().string(), ::getpid());
}

std::string Shown(std::string dir) {
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir;
}

// The folder ".NAME.old-PID" that WriteStaged of process `pid` moves the previous results of the
// staged output `path` aside into.
fs::path MovedAsideOf(const fs::path& path, long pid) {
  return path.parent_path() / fmt::format(".{}.old-{}", path.filename().string(), pid);
}

// A folder ".NAME.old-PID" beside a staged output that a writer killed during WriteStaged's
// replacement left: a folder (not a link) of a process that is gone, holding only the tool's files.
// WriteStaged deletes the marker first, so one holding it holds the previous results whole.
struct MovedAsideFolder {
  std::string name;
  std::vector<std::string> held;
  bool whole = false;
};
std::vector<MovedAsideFolder> MovedAside(const fs::path& path, const OutputDirectoryOptions& options) {
  const std::string prefix = fmt::format(".{}.old-", path.filename().string());
  std::vector<MovedAsideFolder> found;
  for (const std::string& e : Entries(path.parent_path())) {
    MovedAsideFolder f{e, {}, false};
    if (e.rfind(prefix, 0) == 0 && Gone(ParsePid(std::string_view(e).substr(prefix.size()))) &&
        HoldsOnly(path.parent_path() / e, [&](const std::string& name) { return WritesFile(options, name); }, f.held)) {
      f.whole = std::find(f.held.begin(), f.held.end(), kMarkerFile) != f.held.end() &&
                HasMarker(path.parent_path() / e, options.tool);
      found.push_back(std::move(f));
    }
  }
  return found;
}

// The folder of `aside` (MovedAside(path)) to put back at `path` (shown as `shown`), or "": the
// previous results whole, moved aside by a writer killed between WriteStaged's two renames, when
// nothing (or an empty folder) is at `path`. More than one such folder is refused: which results are
// the latest cannot be told.
std::string ToPutBack(const fs::path& path, const std::vector<MovedAsideFolder>& aside, const std::string& shown,
                      const OutputDirectoryOptions& options) {
  std::error_code ec;
  const fs::file_status status = fs::symlink_status(path, ec);
  if (fs::exists(status) && !(fs::is_directory(status) && Entries(path).empty())) return "";
  std::vector<std::string> whole;
  for (const MovedAsideFolder& f : aside)
    if (f.whole) whole.push_back(f.name);
  if (whole.size() > 1)
    throw InputError(SourceLocation{shown}, options.key,
                     fmt::format("has results hidden in each of {0} (left by {1} processes killed while replacing "
                                 "it), so {1} cannot tell which to put back, expected one of them (move the others "
                                 "away)",
                                 fmt::join(whole, ", "), options.tool));
  return whole.empty() ? "" : whole.front();
}

// The refusal of a run without --force into a directory whose previous results a killed writer left
// moved aside as `aside` (`back`: they have been put back by this claim).
InputError MovedAsideError(const std::string& shown, const std::string& aside, bool back,
                           const OutputDirectoryOptions& options) {
  return InputError(SourceLocation{shown}, options.key,
                    fmt::format("{0} {1} by an {2} killed while replacing it{3}, expected a new directory (or --force "
                                "to replace a directory {2} wrote)",
                                back ? "was left in" : "is hidden in", aside, options.tool,
                                back ? ", and is back in place now" : " (a run puts it back)"));
}

}  // namespace

void CheckOutputDirectory(const std::string& dir, const OutputDirectoryOptions& options) {
  const fs::path path = CheckOutputPath(dir, options.key, options.inputs, options.staged);
  CheckContents(path, Shown(dir), options);
  if (options.staged)
    if (const std::string aside = ToPutBack(path, MovedAside(path, options), Shown(dir), options);
        !aside.empty() && !options.force)
      throw MovedAsideError(Shown(dir), aside, false, options);
  // A file of the user's with the lock's name, which the claim would refuse (DirectoryLock), and a
  // writer at work: its lock, probed without creating or holding it. In place, also nlhf-run's lock
  // beside, which the claim of a directory not yet marked takes for a moment.
  std::vector<fs::path> locks = {LockFileOf(path, options.staged)};
  if (!options.staged && !Marked(path, options)) locks.push_back(LockFileOf(path, true));
  for (const fs::path& lock : locks) {
    if (const std::string why = NotALock(lock); !why.empty()) throw NotALockError(lock, why, Shown(dir), options.tool);
    if (const int fd = LockShared(lock, Shown(dir), true); fd >= 0) ::close(fd);  // (a probe: released at once)
  }
}

OutputDirectory::OutputDirectory(const std::string& dir, const OutputDirectoryOptions& options)
    : options_(options), shown_(Shown(dir)) {
  path_ = CheckOutputPath(dir, options_.key, options_.inputs, options_.staged);
  const std::string& tool = options_.tool;
  std::error_code ec;
  // Refuses a directory that may not be written: before taking the lock (so a refusal leaves
  // nothing behind) and again once it is held.
  auto check_contents = [&] { CheckContents(path_, shown_, options_); };
  // What a killed writer may have left that is the tool's: its temp files (and RemoveStaleStaging).
  const auto temp_file = [&](const std::string& e) { return WritesTempOf(options_, e); };
  check_contents();
  if (options_.staged) {
    const fs::path parent = path_.parent_path();
    for (fs::path p = parent; !fs::exists(p, ec) && p.has_relative_path(); p = p.parent_path()) created_.push_back(p);
    fs::create_directories(parent, ec);
    if (ec) throw WriteError(parent.string(), ec.value());
    try {
      lock_ = std::make_unique<DirectoryLock>(LockFileOf(path_, true), shown_, true, tool);
      RemoveStaleStaging();
      if (const std::string back = RecoverMovedAside(); !back.empty() && !options_.force)
        throw MovedAsideError(shown_, back, true, options_);
      RefuseTakenNames();
      if (HasMarker(path_, tool)) RemoveStaleLeftovers(path_, temp_file);
      check_contents();
    } catch (...) {
      // A refused or failed claim (a full disk, another writer) leaves no parent folder it made
      // (the destructor, which does this for a run that wrote nothing, does not run for it; one
      // that is not empty, as another writer's with its lock, stays).
      lock_.reset();
      for (const fs::path& p : created_)
        if (::rmdir(p.c_str()) != 0) break;
      throw;
    }
    return;
  }
  // nlhf-run locks `.NAME.lock` beside NAME until it renames its results into place, and would find
  // a sweep that claimed NAME meanwhile only then, after all its work. So this claim holds that lock
  // too while it creates NAME and marks it: either tool is refused by the other at its start (once
  // NAME is marked, nlhf-run refuses it by its contents, so a marked NAME needs no such lock). Only
  // where it can be had: a parent folder this process cannot write (a resume in a shared folder,
  // where nlhf-run could not write either), or a stale lock file of another user's, skips it.
  // The folders this claim makes (NAME and missing parents, deepest first): a claim that fails to
  // write before NAME is locked (a full disk) leaves none of them. (Not after a refusal: the other
  // writer may be creating them.)
  std::vector<fs::path> made;
  for (fs::path p = path_; !fs::exists(fs::symlink_status(p, ec)) && p.has_relative_path(); p = p.parent_path())
    made.push_back(p);
  std::unique_ptr<DirectoryLock> beside;
  try {
    if (!Marked(path_, options_)) {
      fs::create_directories(path_.parent_path(), ec);  // (as NAME's creation below would)
      const fs::path lock_file = LockFileOf(path_, true);
      if (::access(path_.parent_path().c_str(), W_OK) == 0 &&
          (::access(lock_file.c_str(), F_OK) != 0 || ::access(lock_file.c_str(), W_OK) == 0))
        beside = std::make_unique<DirectoryLock>(lock_file, shown_, true, tool);
    }
    fs::create_directories(path_, ec);
    if (ec) throw WriteError(shown_, ec.value());
    lock_ = std::make_unique<DirectoryLock>(LockFileOf(path_, false), shown_, false, tool);
  } catch (const WriteFailure&) {
    beside.reset();
    for (const fs::path& p : made)  // (one not made yet is skipped; one not empty is someone's: it stays)
      if (::rmdir(p.c_str()) != 0 && errno != ENOENT) break;
    throw;
  }
  check_contents();
  RemoveStaleLeftovers(path_, temp_file);
  if (Marked(path_, options_)) {
    for (const std::string& o : options_.owned_folders)
      if (fs::is_directory(path_ / o, ec))
        RemoveStaleLeftovers(path_ / o, [&](const std::string& e) { return !options_.writes_in || options_.writes_in(o, e); });
    if (options_.force) RemoveOwned();
    else resumed_ = true;
  }
  WriteMarker(path_, tool);
}

OutputDirectory::~OutputDirectory() {
  lock_.reset();
  // A run that wrote nothing leaves no folders behind (deepest first; a non-empty one stays).
  if (written_) return;
  for (const fs::path& p : created_)
    if (::rmdir(p.c_str()) != 0) break;
}

void OutputDirectory::RemoveStaleStaging() const {
  RemoveStaleLeftovers(
      path_.parent_path(), [&](const std::string& e) { return WritesFile(options_, e); }, path_.filename().string());
}

std::string OutputDirectory::RecoverMovedAside() const {
  const fs::path parent = path_.parent_path();
  const std::vector<MovedAsideFolder> aside = MovedAside(path_, options_);
  // Killed between the two renames: the previous results are whole and nothing is at NAME.
  if (const std::string back = ToPutBack(path_, aside, shown_, options_); !back.empty()) {
    if (::rename((parent / back).c_str(), path_.c_str()) != 0) throw WriteError(shown_, errno);  // (and they stay)
    return back;
  }
  // Killed after both, while deleting them: the new results are at NAME (marked), and what is left
  // of the old ones goes. (An empty one, too: it held nothing.)
  std::error_code ec;
  const bool replaced = fs::is_directory(fs::symlink_status(path_, ec)) && HasMarker(path_, options_.tool);
  for (const MovedAsideFolder& f : aside)
    if (replaced || f.held.empty()) RemoveCheckedFolder(parent / f.name, f.held);
  return "";
}

void OutputDirectory::RefuseTakenNames() const {
  std::error_code ec;
  for (const bool aside : {false, true}) {
    const fs::path own = aside ? MovedAsideOf(path_, ::getpid()) : StagingOf(path_);
    if (fs::exists(fs::symlink_status(own, ec)))
      throw InputError(SourceLocation{own.string()}, "",
                       fmt::format("is not {0}'s (it holds files {0} does not write, or is not a folder), so {0} "
                                   "will not {1}, expected no entry by that name (move it away)",
                                   options_.tool,
                                   aside ? fmt::format("move {} aside into it", shown_) : fmt::format("stage {} in it", shown_)));
  }
}

void OutputDirectory::RemoveOwned() const { RemoveOwnedIn(path_); }

void OutputDirectory::RemoveOwnedIn(const fs::path& dir, bool best_effort) const {
  std::error_code ec;
  for (const std::string& o : options_.owned) {
    // A file by itself (a folder by a file's name was refused: should one appear since, it is not
    // emptied, and removing it fails).
    if (IsOwnedFolder(options_, o))
      fs::remove_all(dir / o, ec);
    else
      fs::remove(dir / o, ec);
    if (ec && !best_effort) throw WriteError((fs::path(shown_) / o).string(), ec.value());
  }
  fs::remove(dir / kMarkerFile, ec);
}

void OutputDirectory::WriteStaged(const std::vector<StagedFile>& files) {
  NLHF_CHECK(options_.staged, "WriteStaged needs a staged output directory");
  const fs::path staging = StagingOf(path_);
  const fs::path shown(shown_);
  std::error_code ec;
  RefuseTakenNames();  // (again: one made since the claim, by the user)
  if (!fs::create_directory(staging, ec) || ec) throw WriteError(shown_, ec ? ec.value() : EEXIST);
  try {
    for (const StagedFile& file : files) {
      const fs::path path = staging / file.name;
      if (file.whole == nullptr || !LinkFileSynced(file.whole, path.string(), (shown / file.name).string()))
        WriteFileSynced(path.string(), file.write, (shown / file.name).string());
    }
    const std::string marker = MarkerText(options_.tool);
    WriteFileSynced((staging / kMarkerFile).string(), [&](std::FILE* f) { WriteString(f, marker); },
                    (shown / kMarkerFile).string());
    SyncDirectory(staging.string());  // best effort: the files themselves are synced
    // Replace what is there: checked at the start, checked again in case someone wrote into it since.
    // The old directory is moved aside first and deleted only once the new one is in place, so a
    // failure or a kill at any point leaves the old results or the new ones (never neither).
    fs::path old;
    if (fs::exists(fs::symlink_status(path_, ec))) {
      if (!fs::is_directory(path_, ec))
        throw InputError(SourceLocation{shown_}, options_.key, "exists and is not a directory, expected a new directory name");
      if (!Entries(path_).empty() && (!options_.force || !HasMarker(path_, options_.tool) ||
                                          !ForeignEntries(path_, options_).empty()))
        throw InputError(SourceLocation{shown_}, options_.key,
                         fmt::format("was filled by someone else while {} ran, expected it to stay as it was; "
                                     "nothing was replaced",
                                     options_.tool));
      // The new directory keeps the permissions, owner and group of the one it replaces (a private
      // one stays private, a group's stays the group's), as far as this process may give them: its
      // owner only as root, its group where it is one of this process's. Its files go to that owner
      // too (as root), and in a setgid directory to its group, as files created in it would.
      // (chown first: it may clear setgid.)
      struct stat st {};
      if (::stat(path_.c_str(), &st) == 0) {
        const gid_t any_group = static_cast<gid_t>(-1);
        const uid_t any_owner = static_cast<uid_t>(-1);
        if (::chown(staging.c_str(), st.st_uid, st.st_gid) != 0) (void)!::chown(staging.c_str(), any_owner, st.st_gid);
        const uid_t owner = ::geteuid() == 0 ? st.st_uid : any_owner;
        const gid_t group = (st.st_mode & S_ISGID) != 0 ? st.st_gid : any_group;
        if (owner != any_owner || group != any_group)
          for (const auto& entry : fs::directory_iterator(staging, ec))
            (void)!::lchown(entry.path().c_str(), owner, group);
        ::chmod(staging.c_str(), st.st_mode & 07777);
      }
      old = MovedAsideOf(path_, ::getpid());
      if (::rename(path_.c_str(), old.c_str()) != 0) throw WriteError(shown_, errno);
    }
    if (::rename(staging.c_str(), path_.c_str()) != 0) {
      const int error = errno;
      if (!old.empty()) ::rename(old.c_str(), path_.c_str());  // put the old results back
      throw WriteError(shown_, error);
    }
    written_ = true;
    if (!old.empty()) {
      // The marker first: a kill from here on leaves an unmarked folder, which the next claim never
      // takes for results to put back (RecoverMovedAside).
      ::unlink((old / kMarkerFile).c_str());
      // Only nlhf's files, and as far as it goes: the new results are in place, so what someone put
      // into the old folder meanwhile keeps it (unmarked), and the run still succeeded.
      RemoveOwnedIn(old, /*best_effort=*/true);
      ::rmdir(old.c_str());
    }
  } catch (...) {
    fs::remove_all(staging, ec);
    throw;
  }
  SyncDirectory(path_.parent_path().string());  // best effort, as above
}

}  // namespace nlhf
