#pragma once
// Keeps a large file moving to the device while it is written, so that the writer's final fsync
// waits only for the last few megabytes.
//
// Starting the writeback is not enough: on the machine measured, most of an fsync's wait after a
// large write is the device flushing its own cache (27 MB written, all of it written back by
// sync_file_range: the fsync still took 14-16 ms; fdatasyncs every megabyte on the way left it
// 0.1 ms, but each took the writer 1 ms). So every kBytes the pacer has a thread of its own
// fdatasync the file while the writer goes on (a sweep's 27 MB trace: the final fsync 14 ms ->
// 2.5 ms). Only for a regular file, where a second open description of it can be opened (through
// /proc/self/fd) and a thread started; otherwise the pacer only starts the writeback
// (StartWriteback).
//
// A write error the thread meets must not be lost. Linux reports a writeback error once to each
// open description of the file (since 4.13; before, and on filesystems that do otherwise, once
// only), so the thread syncs its own description, not a dup of the writer's, and the writer calls
// Wait() before its own fsync and takes an error from it as that fsync's.
//
// Durability still needs the writer's fsync. Not thread-safe: one writer per pacer.
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <thread>

namespace nlhf {

class WritebackPacer {
 public:
  static constexpr std::int64_t kBytes = std::int64_t{4} << 20;

  WritebackPacer() = default;
  ~WritebackPacer();  // waits for the sync it started, if one is running
  WritebackPacer(const WritebackPacer&) = delete;
  WritebackPacer& operator=(const WritebackPacer&) = delete;

  // The file `fd` (or the stream `f`) holds `written` bytes: once kBytes more than at the last sync
  // have come, a sync starts (unless the last one is still running: then at a later call). The
  // stream is flushed first, and only then; a failed flush throws std::system_error (errno), as
  // stdio drops the buffer and a later fsync would not know.
  void Reached(std::FILE* f, std::int64_t written);
  void Reached(int fd, std::int64_t written);
  // The file `fd` holds `written` bytes and the writer is about to fsync it: its sync starts now in
  // the thread (after a running one ends), so that the writer can do other work first and its own
  // fsync then finds little left to wait for (a sweep's commit formats its part meanwhile). The next
  // sync is due kBytes after `written`; Wait() reports its error as for the others.
  void Finish(int fd, std::int64_t written);
  // Waits for a running sync; returns the errno of the first sync that met a write error (EIO,
  // ENOSPC, EDQUOT) since the last Reset, else 0 (a sync the file does not support is no error).
  int Wait();
  // Before the writer goes on to another file: waits for a running sync and forgets the file (and
  // its error).
  void Reset();

  // Syncs started in a thread so far (for tests).
  int syncs() const { return syncs_; }

 private:
  bool Due(std::int64_t written) const { return written - sent_ >= kBytes && !busy_.load(); }
  void Start(int fd);
  void Join();

  std::int64_t sent_ = 0;  // `written` at the last sync (or writeback) started
  int source_ = -1;        // the writer's descriptor that `own_` reopens
  int own_ = -1;           // the pacer's own open description of the file (-1: none)
  std::thread thread_;
  std::atomic<bool> busy_{false};
  std::atomic<int> error_{0};
  int syncs_ = 0;
};

}  // namespace nlhf
