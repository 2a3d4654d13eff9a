#pragma once
// Opening the user's input files safely: only regular files are read (a FIFO, a device such as
// /dev/zero, a directory or a socket is refused before it is opened for reading, so nothing hangs),
// and sizes are capped, each with one clear `error:` message.
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

// SHA-256 of the file's content (64 hex digits), with the same checks.
std::string HashInputFile(const std::string& path, const std::string& key, const std::string& what,
                          std::uint64_t max_bytes);

}  // namespace nlhf
