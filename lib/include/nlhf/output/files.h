#pragma once
// Writing output files safely: a failed write (full disk, file size limit, permissions) is an
// error naming the file, never a truncated file taken for a complete one; whole files are written
// atomically (temp file, fsync, rename); large files are concatenated in the kernel.
#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "nlhf/errors.h"

namespace nlhf {

// Writes one file's contents to an open stream (so large files stream without a full copy).
using FileWriter = std::function<void(std::FILE*)>;
// Throws std::system_error carrying errno on failure.
void WriteString(std::FILE* f, const std::string& text);

// A failed write of an output file (full disk, file size limit, permissions): an unusable
// environment, so main() prints "error: writing FILE: REASON" and exits 2. Its own type, so that
// layers which locate input errors (a sweep names the point) pass it on unchanged.
class WriteFailure : public InputError {
 public:
  using InputError::InputError;
  WriteFailure(const std::string& problem, int err) : InputError(problem), err_(err) {}
  WriteFailure(const SourceLocation& where, const std::string& key, const std::string& problem, int err)
      : InputError(where, key, problem), err_(err) {}
  // The errno of the failed write; 0 where none is known.
  int err() const { return err_; }
  // What must change before the same write can succeed: "once there is room" (a full disk or
  // quota), "once the file size limit (ulimit -f) allows" or "once the cause is fixed".
  std::string_view Remedy() const;

 private:
  int err_ = 0;
};
// `err` is an errno value.
WriteFailure WriteError(const std::string& file, int err);

// Creates `path`, runs `write`, flushes and fsyncs. On failure the file is removed and the error
// is WriteError(`shown`, errno) (an exception thrown by `write` itself passes through unchanged).
void WriteFileSynced(const std::string& path, const FileWriter& write, const std::string& shown);

// Writes `path` atomically: into a temp file beside it (".NAME.tmp-PID-THREAD"), flushed and fsynced,
// then renamed over it. A crash leaves either the old file or the complete new one; a failure removes
// the temp file and throws WriteError(path, errno).
void WriteFileAtomic(const std::string& path, const FileWriter& write);

// A file for WriteFilesAtomic: its path and what writes it.
struct AtomicFile {
  std::string path;
  FileWriter write;
};
// Several files (their paths all different) written atomically as WriteFileAtomic writes one, their
// syncs overlapped: each in turn into its temp file (its writeback started at once, so that the
// device takes it while the next one's `write` runs), then all synced together, then renamed in the
// order given. A failure before the renames renames none and removes every temp file (the first
// error is thrown, WriteError(path, errno) or what `write` threw); a rename that fails leaves the
// files before it renamed and removes the other temp files. Then the files' folders are synced, so
// that the renames survive a power loss (a folder that fails its sync: WriteError(folder, errno), the
// files renamed). A crash leaves each file either old or complete and new.
void WriteFilesAtomic(const std::vector<AtomicFile>& files);

// Writes a new file `path` atomically, never replacing one: the temp file beside it is linked to
// `path` with renameat2(RENAME_NOREPLACE) (or link(), where the filesystem lacks it), which fails if
// `path` exists. Then the error names the file and says it is not overwritten; on any failure no
// file is left at `path` (nor a temp file).
void WriteNewFileAtomic(const std::string& path, const FileWriter& write);

// WriteNewFileAtomic's checks, for a caller to make before its work: a WriteFailure if `path` exists
// or its folder is missing or not a folder.
void CheckNewFile(const std::string& path);

// fsyncs the folder `dir`, so that renames and links in it survive a power loss. Returns 0, or the
// errno of the failure (callers for whom it is best effort may ignore it).
int SyncDirectory(const std::string& dir);

// Appends `bytes` bytes of the file open as `from_fd`, starting at `offset`, to `to` (flushed
// first): copy_file_range, so the bytes need not pass through this process. Throws
// std::system_error (errno) on failure, also when `from_fd` ends early (EIO).
void AppendFileRange(int from_fd, std::int64_t offset, std::int64_t bytes, std::FILE* to);

// Starts writing `f`'s dirty pages to the device without waiting (Linux sync_file_range), so that
// a later fsync of a large file waits only for the rest. A hint: durability still needs the fsync,
// and where it is not supported nothing happens. Flushes `f` first; a failed flush throws
// std::system_error (errno), as AppendFileRange does.
void StartWriteback(std::FILE* f);
// StartWriteback of what has been written to the file descriptor `fd` (nothing to flush).
void StartWriteback(int fd);

// Gives the unnamed file `f` (UnnamedFile) the name `path` on the same filesystem and fsyncs it, so
// that its bytes need not be copied. Returns false, with nothing done, where that cannot be done (no
// /proc, another filesystem): then write the file another way. Other failures throw
// WriteError(`shown`, errno), with no file left at `path`.
bool LinkFileSynced(std::FILE* f, const std::string& path, const std::string& shown);

// A file with no name in `folder` (O_TMPFILE), unbuffered, that LinkFileSynced can name: then it
// has permissions `mode` less the umask (0666: those of a file fopen creates). nullptr where it
// cannot be made (a filesystem without O_TMPFILE). Throws WriteError(shown, errno) only when the
// stream cannot be opened on it.
std::FILE* UnnamedFile(const std::string& folder, const std::string& shown, int mode);

// An anonymous file in `folder` (O_TMPFILE, else created and unlinked at once), unbuffered: it
// holds data while the process runs and vanishes with it, whatever ends it (Ctrl-C, kill -9).
// Throws WriteError(shown, errno).
std::FILE* AnonymousFile(const std::string& folder, const std::string& shown);

}  // namespace nlhf
