// Tests of lib/src/output/block_file.cc: bytes arrive in the file whole and in order, in blocks
// that end on 64 KiB boundaries; a failed write says how much got there and fails every later
// write.
#include "nlhf/output/block_file.h"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>

#include "nlhf/errors.h"
#include "nlhf/output/files.h"
#include "test_util.h"

namespace nlhf {
namespace {

constexpr std::int64_t kBlock = static_cast<std::int64_t>(BlockFile::kBlockBytes);

// Random printable bytes, so that a byte out of place shows.
std::string Bytes(size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::string s(n, ' ');
  for (char& c : s) c = static_cast<char>('a' + gen() % 26);
  return s;
}

TEST(BlockFile, SmallWritesAreHeldUntilABlockFillsThenGoOutToA64KiBBoundary) {
  testing::TempDir tmp;
  const std::string path = tmp.Path("f.csv");
  BlockFile f(path, "f.csv");
  const std::string text = Bytes(3 * BlockFile::kBlockBytes + 12345, 1);
  std::mt19937 gen(2);
  size_t at = 0;
  while (at < text.size()) {
    const size_t n = std::min<size_t>(text.size() - at, 1 + gen() % 20000);  // a run's rows
    ASSERT_EQ(std::fwrite(text.data() + at, 1, n, f.stream()), n);
    at += n;
    EXPECT_EQ(f.size(), static_cast<std::int64_t>(at));
    EXPECT_EQ(f.drained() % 65536, 0) << "a drained block ends on a boundary";
    EXPECT_GT(f.drained(), f.size() - kBlock) << "less than a block is held";
    EXPECT_LE(f.drained(), f.size());
    EXPECT_EQ(static_cast<std::int64_t>(std::filesystem::file_size(path)), f.drained());
  }
  EXPECT_GE(f.drained(), 2 * kBlock);
  EXPECT_EQ(f.Drain(), 0);
  EXPECT_EQ(f.drained(), f.size());
  EXPECT_EQ(testing::ReadFile(path), text);
}

TEST(BlockFile, AWriteOfABlockOrMoreGoesOutAtOnceAfterWhatIsHeld) {
  testing::TempDir tmp;
  const std::string path = tmp.Path("f.csv");
  BlockFile f(path, "f.csv");
  const std::string small = Bytes(1000, 3), big = Bytes(BlockFile::kBlockBytes + 7, 4);
  ASSERT_EQ(std::fwrite(small.data(), 1, small.size(), f.stream()), small.size());
  EXPECT_EQ(f.drained(), 0);
  ASSERT_EQ(std::fwrite(big.data(), 1, big.size(), f.stream()), big.size());
  EXPECT_EQ(f.drained(), f.size());
  EXPECT_EQ(testing::ReadFile(path), small + big);
}

// The most it ever holds: a block short of one byte, then a write short of a block (its memory is a
// 2 MiB page followed by one that faults: a byte past it would crash).
TEST(BlockFile, HoldsTwoWritesJustShortOfABlockEach) {
  testing::TempDir tmp;
  const std::string path = tmp.Path("f.csv");
  BlockFile f(path, "f.csv");
  const std::string first = Bytes(BlockFile::kBlockBytes - 1, 5), second = Bytes(BlockFile::kBlockBytes - 1, 6);
  ASSERT_EQ(std::fwrite(first.data(), 1, first.size(), f.stream()), first.size());
  EXPECT_EQ(f.drained(), 0);
  ASSERT_EQ(std::fwrite(second.data(), 1, second.size(), f.stream()), second.size());
  EXPECT_EQ(f.drained(), (2 * kBlock - 2) / (std::int64_t{1} << 16) * (std::int64_t{1} << 16));
  ASSERT_EQ(f.Drain(), 0);
  EXPECT_EQ(testing::ReadFile(path), first + second);
}

TEST(BlockFile, BytesNotDrainedAreDroppedWhenItCloses) {
  testing::TempDir tmp;
  const std::string path = tmp.Path("f.csv");
  {
    BlockFile f(path, "f.csv");
    ASSERT_EQ(std::fputs("held\n", f.stream()), 1);  // (fputs returns a non-negative number)
    EXPECT_EQ(testing::ReadFile(path), "");
  }
  EXPECT_EQ(testing::ReadFile(path), "");
}

TEST(BlockFile, AFileThatCannotBeCreatedIsAWriteErrorNamingIt) {
  testing::TempDir tmp;
  try {
    BlockFile f(tmp.Path("no/such/folder/f.csv"), "shown.csv");
    ADD_FAILURE() << "no error";
  } catch (const WriteFailure& e) {
    EXPECT_STREQ(e.what(), "writing shown.csv: No such file or directory");
  }
}

// A Drain between blocks (a commit) writes what is held; the blocks after it still end on 64 KiB
// boundaries, and the file is every byte in order.
TEST(BlockFile, WritesGoOnAfterADrain) {
  testing::TempDir tmp;
  const std::string path = tmp.Path("f.csv");
  BlockFile f(path, "f.csv");
  const std::string text = Bytes(3 * BlockFile::kBlockBytes, 6);
  size_t at = 0;
  std::int64_t drained_by_hand = 0;  // where the last Drain left the file
  for (size_t n : {size_t{1000}, size_t{70000}, BlockFile::kBlockBytes - 5, size_t{3}, BlockFile::kBlockBytes / 2,
                   BlockFile::kBlockBytes / 2 + 77}) {
    ASSERT_EQ(std::fwrite(text.data() + at, 1, n, f.stream()), n);
    at += n;
    if (n == 70000 || n == 3) {
      EXPECT_EQ(f.Drain(), 0);
      EXPECT_EQ(f.drained(), static_cast<std::int64_t>(at));
      drained_by_hand = f.drained();
    } else {
      EXPECT_TRUE(f.drained() == drained_by_hand || f.drained() % 65536 == 0)
          << "a block ends on a boundary: " << f.drained();
    }
  }
  EXPECT_GT(f.drained(), drained_by_hand) << "a block went out after the second drain";
  EXPECT_EQ(f.drained() % 65536, 0);
  EXPECT_EQ(f.Drain(), 0);
  EXPECT_EQ(testing::ReadFile(path), text.substr(0, at));
}

// A file size limit below a block: the block's write is cut short at the limit, drained() says
// where, the fwrite that filled the block fails with EFBIG (a short fwrite, never one reported
// done), and so does every later write and Drain.
TEST(BlockFile, AFailedWriteSaysHowMuchGotThereAndFailsEveryLaterWrite) {
  testing::TempDir tmp;
  const std::string path = tmp.Path("f.csv");
  BlockFile f(path, "f.csv");
  const std::string text = Bytes(BlockFile::kBlockBytes, 5);
  const std::string half = text.substr(0, text.size() / 2);
  struct rlimit before {};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &before), 0);
  struct rlimit small = before;
  small.rlim_cur = 100000;
  const auto handler = std::signal(SIGXFSZ, SIG_IGN);
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  const size_t first = std::fwrite(half.data(), 1, half.size(), f.stream());
  errno = 0;
  const size_t second = std::fwrite(half.data(), 1, half.size(), f.stream());
  const int err = errno;
  errno = 0;
  const size_t third = std::fwrite("x", 1, 1, f.stream());
  const int err3 = errno;
  const int drain = f.Drain();
  ::setrlimit(RLIMIT_FSIZE, &before);
  std::signal(SIGXFSZ, handler);
  EXPECT_EQ(first, half.size()) << "held: nothing written yet";
  EXPECT_LT(second, half.size());
  EXPECT_EQ(err, EFBIG);
  EXPECT_EQ(third, 0u);
  EXPECT_EQ(err3, EFBIG);
  EXPECT_EQ(drain, EFBIG);
  EXPECT_EQ(f.drained(), 100000);
  EXPECT_EQ(f.size(), static_cast<std::int64_t>(half.size()))
      << "the failed writes are not counted";
  EXPECT_EQ(testing::ReadFile(path), text.substr(0, 100000));
}

}  // namespace
}  // namespace nlhf
