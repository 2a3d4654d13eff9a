#pragma once
// Opening the user's input files safely: only regular files are read (a FIFO, a device such as
// /dev/zero, a directory or a socket is refused before it is opened for reading, so nothing hangs),
// and sizes are capped, each with one clear `error:` message.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

namespace nlhf {

// Size caps. A YAML experiment or sweep is hand-written: 16 MiB is far beyond any real one. A CSV
// matrix of 2 GiB holds about 10^8 numbers (n = 10^4), the largest game the solvers handle.
inline constexpr std::uint64_t kMaxYamlBytes = std::uint64_t{16} << 20;
inline constexpr std::uint64_t kMaxCsvBytes = std::uint64_t{2} << 30;

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

// Opens `path` for reading if it is a regular file of at most `max_bytes`; otherwise throws
// InputError(SourceLocation{path}, key, ...) saying what it is and what was expected (`what`, e.g.
// "a CSV file"). Never blocks on a FIFO.
FilePtr OpenInputFile(const std::string& path, const std::string& key, const std::string& what,
                      std::uint64_t max_bytes);

// The whole file, with the same checks.
std::string ReadInputFile(const std::string& path, const std::string& key, const std::string& what,
                          std::uint64_t max_bytes);

// SHA-256 of the file's content (64 hex digits), with the same checks. A file this process hashed
// before is not read again while it is provably unchanged (HashInputFileReusing): a sweep checks
// its input files before every task, and a 20 MB matrix took 0.1 s to hash each time.
std::string HashInputFile(const std::string& path, const std::string& key, const std::string& what,
                          std::uint64_t max_bytes);

// A content change always moves a file's change time (ctime, which no program can set back) to the
// file system's clock, and it may move its size and modification time. So a hash this process took
// is reused while the file at `path` has the same device, inode, size, modification and change
// times, provided those times were at least `settled` older than the moment the hash began: a
// write in the same tick of the file system's clock as an earlier write would leave them unchanged
// (1 ns on ext4 and XFS, up to 2 s on FAT), and a file written moments before it was hashed is read
// again every time. HashInputFile's `settled`.
inline constexpr std::chrono::seconds kInputHashSettled{3};
std::string HashInputFileReusing(const std::string& path, const std::string& key, const std::string& what,
                                 std::uint64_t max_bytes, std::chrono::nanoseconds settled);
// How many times this process has read a file to hash it (a reused hash reads none).
std::int64_t InputFilesHashed();

}  // namespace nlhf
