#pragma once
// Output directories the tools own (docs/cli.md: "the tools delete only what they
// wrote"). An output path is normalized and checked before any work; the directory is locked
// against a second writer; leftovers of dead processes are removed; a marker file says which tool
// wrote the directory, and --force replaces only such a directory, deleting only the tool's files.
//
// Two layouts:
//   * staged (nlhf-run): the files are written into a staging folder `.NAME.partial-PID` beside the
//     directory and renamed into place at the end, so the lock file `.NAME.lock` lives beside it too
//     (and is removed on release; a waiter re-checks the inode it locked);
//   * in place (nlhf-sweep): the directory is created at once and written over time (parts, then the
//     final files); its lock file `.nlhf-lock` lives inside it and is never removed.
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nlhf/config.h"
#include "nlhf/output/files.h"

namespace nlhf {

inline constexpr const char* kMarkerFile = ".nlhf-output";
inline constexpr const char* kLockFile = ".nlhf-lock";

// `dir` absolute, with symlinks resolved where the path exists, `.` and `..` removed, and no
// trailing slash ("newdir/" is "newdir").
std::filesystem::path NormalizePath(const std::string& dir);

// Refuses `dir` as an output directory, before any work: the root, the home directory, the
// current directory or an ancestor of it, a directory holding one of `inputs`, a path under a
// regular file, a dangling symlink, an existing non-directory, or a place the user cannot write.
// `key` says where the path came from ("--out", "output", "name"); `beside`: files are also
// written beside the directory (staged), so its parent must be writable too. Returns
// NormalizePath(dir). Throws InputError naming the path and what is allowed.
std::filesystem::path CheckOutputPath(const std::string& dir, const std::string& key,
                                      const std::vector<std::string>& inputs, bool beside = false);

// The files an experiment reads: its YAML file and the `path` of its game and reference.
std::vector<std::string> ExperimentInputFiles(const ExperimentConfig& config);

// The marker: "tool: NAME", version and pid. HasMarker is true when `dir` holds one from `tool`.
bool HasMarker(const std::filesystem::path& dir, std::string_view tool);
void WriteMarker(const std::filesystem::path& dir, std::string_view tool);

// An advisory lock (flock) on `lock_file`, created if missing and holding the owner's pid. A second
// process gets InputError "<shown> is being written by process <pid>"; while readers only hold it
// (SharedDirectoryLock, or a dry run's probe for an instant) it waits up to 1 s, then InputError
// "<shown> is being read by another process ...". With `remove_on_release`
// the file is unlinked (while still locked) when released. A file by that name that is not a lock
// file (a user's) is refused (InputError, naming `tool`), never truncated or removed.
class DirectoryLock {
 public:
  DirectoryLock(const std::filesystem::path& lock_file, const std::string& shown, bool remove_on_release,
                std::string_view tool);
  ~DirectoryLock();
  DirectoryLock(const DirectoryLock&) = delete;
  DirectoryLock& operator=(const DirectoryLock&) = delete;

  // The pid recorded in a lock file, or 0 if it holds none.
  static long ReadPid(const std::filesystem::path& lock_file);

 private:
  std::filesystem::path file_;
  int fd_ = -1;
  bool remove_ = false;
};

// A shared lock on a directory's lock file (DIR/.nlhf-lock) while DIR is read (the shards of a
// merge): readers share it, and a writer (DirectoryLock, which takes it exclusively) is refused until
// they are done. InputError "<shown> is being written by process <pid> ..." while a writer holds it.
// The lock file is never created: a directory without one (no nlhf output) is read unlocked.
class SharedDirectoryLock {
 public:
  SharedDirectoryLock(const std::filesystem::path& dir, const std::string& shown);
  ~SharedDirectoryLock();
  SharedDirectoryLock(const SharedDirectoryLock&) = delete;
  SharedDirectoryLock& operator=(const SharedDirectoryLock&) = delete;

 private:
  int fd_ = -1;
};

// Leftovers of processes that are gone, removed only where they are the tool's own (`ours` judges
// each name). With `staging_for` empty: temp files ".NAME.tmp-PID-THREAD" (WriteFileAtomic's) in
// `folder` (an output directory or a folder it owns), each a regular file whose name `ours` accepts.
// Otherwise the staging folders ".STAGING_FOR.partial-PID" in `folder` (the user's folder around a
// staged output), each a directory (not a link) holding only regular files whose names `ours`
// accepts. A user's entry that happens to have such a name stays. Only call while holding the lock
// of the directory they belong to. Returns how many were removed.
int RemoveStaleLeftovers(const std::filesystem::path& folder, const std::function<bool(const std::string&)>& ours,
                         const std::string& staging_for = "");

struct OutputDirectoryOptions {
  std::string tool;                   // "nlhf-run" or "nlhf-sweep": written into the marker
  std::string key = "--out";          // where the path came from, for messages
  std::vector<std::string> inputs;    // files the tool reads: the directory may not hold them
  std::vector<std::string> owned;     // the entries the tool writes (besides marker and lock)
  // Those of `owned` that are folders (nlhf-sweep's .parts). The others are files: a folder by one of
  // their names is the user's, so a directory holding it is refused and the folder never deleted.
  std::vector<std::string> owned_folders;
  std::vector<std::string> accepted;  // in place: other entries allowed in an unmarked directory
  // In place: whether a directory without the marker is the tool's all the same (an output written
  // before the marker existed, recognized by a file the tool writes that reads as the tool's).
  std::function<bool(const std::filesystem::path& dir)> also_marked;
  bool force = false;                 // replace a directory this tool wrote
  // In place, with force: whether an entry `name` of the owned folder `folder` is one the tool
  // writes. An owned folder holding any other entry is refused, not emptied (the user's file put
  // there stays). Unset: every entry of an owned folder is the tool's.
  std::function<bool(const std::string& folder, const std::string& name)> writes_in;
  bool staged = true;                 // staged (nlhf-run) or in place (nlhf-sweep)
};

// The checks OutputDirectory makes before it takes the lock (the path, then the contents), with
// nothing created or locked: what a dry run reports. Throws the same InputErrors.
void CheckOutputDirectory(const std::string& dir, const OutputDirectoryOptions& options);

// Claims an output directory: checks the path, takes the lock, removes stale leftovers and checks
// the contents. Staged: the directory must be new or empty, or with `force` hold only `owned`
// entries and the tool's marker. In place: the directory is created; an unmarked directory must be
// empty or hold only `accepted` entries; with `force` a marked one has its `owned` entries and
// marker removed (nothing else); then the marker is written. Throws InputError before any work.
class OutputDirectory {
 public:
  OutputDirectory(const std::string& dir, const OutputDirectoryOptions& options);
  ~OutputDirectory();

  const std::filesystem::path& path() const { return path_; }  // normalized
  const std::string& shown() const { return shown_; }          // as the user wrote it
  // In place: true if the directory held this tool's results before (a resume).
  bool resumed() const { return resumed_; }

  // One file of a staged directory: `write` writes its contents, or `whole` (a file with no name,
  // UnnamedFile) already holds them and is linked in where the filesystem allows (else `write`).
  struct StagedFile {
    std::string name;
    FileWriter write;
    std::FILE* whole = nullptr;
  };
  // Staged: writes `files` and the marker into the staging folder and replaces the directory with
  // it. On failure the staging folder is removed and the error is "writing FILE: REASON" (or the
  // refusal of a staging folder's name taken by the user, with nothing written).
  void WriteStaged(const std::vector<StagedFile>& files);

 private:
  // Staged, at the claim: removes the tool's stale staging folders beside the directory
  // (RemoveStaleLeftovers).
  void RemoveStaleStaging() const;
  // Staged, at the claim: the previous results that a writer killed during WriteStaged's replacement
  // left moved aside (".NAME.old-PID", only the tool's files). Killed between its two renames (they
  // hold the marker, and nothing or an empty folder is at NAME), they are put back and their folder's
  // name is returned; killed after both (the tool's results at NAME), what is left of them is removed,
  // and "" returned. Anything else is left alone.
  [[nodiscard]] std::string RecoverMovedAside() const;
  // Staged: refuses (InputError) when this process's own staging or moved-aside name is taken by
  // something else (a user's entry: never removed).
  void RefuseTakenNames() const;
  void RemoveOwned() const;
  // The tool's entries and marker in `dir`; a failure throws WriteError unless `best_effort`.
  void RemoveOwnedIn(const std::filesystem::path& dir, bool best_effort = false) const;

  OutputDirectoryOptions options_;
  std::string shown_;
  std::filesystem::path path_;
  std::unique_ptr<DirectoryLock> lock_;
  bool resumed_ = false;
  bool written_ = false;
  std::vector<std::filesystem::path> created_;  // parent folders the claim created, deepest first
};

}  // namespace nlhf
