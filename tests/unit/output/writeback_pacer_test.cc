// Background syncs of a file while it is written (lib/src/output/writeback_pacer.cc).
#include "nlhf/output/writeback_pacer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <string>
#include <system_error>

#include "test_util.h"

namespace nlhf {
namespace {

bool HaveProc() { return std::filesystem::exists("/proc/self/fd"); }

// A sync (and so a flush of the stream) only once kBytes more have been written.
TEST(WritebackPacer, SyncsEveryKBytes) {
  if (!HaveProc()) GTEST_SKIP() << "no /proc: the pacer only starts the writeback";
  testing::TempDir dir;
  const std::string path = dir.Path("paced");
  std::FILE* out = std::fopen(path.c_str(), "wb");
  ASSERT_NE(out, nullptr);
  {
    WritebackPacer pacer;
    std::fputs("a", out);
    pacer.Reached(out, WritebackPacer::kBytes - 1);
    EXPECT_EQ(testing::ReadFile(path), "");  // still in stdio's buffer: no sync yet
    EXPECT_EQ(pacer.syncs(), 0);
    pacer.Reached(out, WritebackPacer::kBytes);
    EXPECT_EQ(testing::ReadFile(path), "a");
    EXPECT_EQ(pacer.syncs(), 1);
    pacer.Reset();  // waits for the sync, and forgets the count: the next is due at kBytes again
    std::fputs("b", out);
    pacer.Reached(out, WritebackPacer::kBytes - 1);
    EXPECT_EQ(testing::ReadFile(path), "a");
    pacer.Reached(out, 2 * WritebackPacer::kBytes);
    EXPECT_EQ(testing::ReadFile(path), "ab");
    EXPECT_EQ(pacer.syncs(), 2);
  }  // the destructor waits for the thread: nothing left running on a closed file
  std::fclose(out);
}

// After Reset the pacer syncs the next file, not the one it had open (the descriptor number of a
// closed file may come back for another).
TEST(WritebackPacer, ResetMovesToTheNextFile) {
  if (!HaveProc()) GTEST_SKIP() << "no /proc: the pacer only starts the writeback";
  testing::TempDir dir;
  WritebackPacer pacer;
  for (const char* name : {"first", "second"}) {
    const std::string path = dir.Path(name);
    std::FILE* out = std::fopen(path.c_str(), "wb");
    ASSERT_NE(out, nullptr);
    std::fputs(name, out);
    pacer.Reached(out, WritebackPacer::kBytes);
    EXPECT_EQ(testing::ReadFile(path), name);
    pacer.Reset();
    std::fclose(out);
  }
  EXPECT_EQ(pacer.syncs(), 2);
}

// Finish syncs a file now, however little has been written since the last sync; the next sync is
// then due kBytes after what Finish was told; and a sync still running is waited for first, not
// skipped (each Finish is a sync of its own).
TEST(WritebackPacer, FinishSyncsNowWhateverWasWritten) {
  if (!HaveProc()) GTEST_SKIP() << "no /proc: the pacer only starts the writeback";
  testing::TempDir dir;
  const std::string path = dir.Path("finished");
  std::FILE* out = std::fopen(path.c_str(), "wb");
  ASSERT_NE(out, nullptr);
  {
    WritebackPacer pacer;
    std::fputs("abc", out);
    std::fflush(out);
    pacer.Finish(::fileno(out), 3);
    EXPECT_EQ(pacer.syncs(), 1);
    EXPECT_EQ(pacer.Wait(), 0);
    pacer.Reached(out, WritebackPacer::kBytes);  // kBytes - 3 since Finish: not due
    EXPECT_EQ(pacer.syncs(), 1);
    pacer.Reached(out, WritebackPacer::kBytes + 3);
    EXPECT_EQ(pacer.syncs(), 2);
    pacer.Finish(::fileno(out), WritebackPacer::kBytes + 3);  // while that one may still run
    pacer.Finish(::fileno(out), WritebackPacer::kBytes + 3);
    EXPECT_EQ(pacer.syncs(), 4);
    EXPECT_EQ(pacer.Wait(), 0);
  }
  std::fclose(out);
  EXPECT_EQ(testing::ReadFile(path), "abc");
}

// A pipe is flushed, not synced: no thread, and no second reader that would keep the writer from
// seeing the real one go (EPIPE).
TEST(WritebackPacer, APipeIsFlushedNotSynced) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  std::FILE* pipe = ::fdopen(fds[1], "w");
  ASSERT_NE(pipe, nullptr);
  {
    WritebackPacer pacer;
    std::fputs("z", pipe);
    pacer.Reached(pipe, WritebackPacer::kBytes);
    EXPECT_EQ(pacer.syncs(), 0);
    char c = 0;
    EXPECT_EQ(::read(fds[0], &c, 1), 1);
    EXPECT_EQ(c, 'z');
    ::close(fds[0]);  // the only reader goes: a write must now fail, the pacer still alive
    const auto handler = std::signal(SIGPIPE, SIG_IGN);
    errno = 0;
    EXPECT_EQ(::write(fds[1], "y", 1), -1);
    EXPECT_EQ(errno, EPIPE);
    std::signal(SIGPIPE, handler);
  }
  std::fclose(pipe);
}

// A flush that fails throws: stdio drops the buffer, so the writer's later fsync would not know.
TEST(WritebackPacer, AFailedFlushThrows) {
  std::FILE* full = std::fopen("/dev/full", "wb");
  if (full == nullptr) GTEST_SKIP() << "no /dev/full";
  WritebackPacer pacer;
  std::fputs("lost", full);
  try {
    pacer.Reached(full, WritebackPacer::kBytes);
    ADD_FAILURE() << "no error";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().value(), ENOSPC);
  }
  EXPECT_EQ(pacer.syncs(), 0);
  std::fclose(full);
}

}  // namespace
}  // namespace nlhf
