// The spool that puts runs' trace rows in run order (lib/src/output/trace_spool.cc).
#include "nlhf/output/trace_spool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "test_util.h"

namespace nlhf {
namespace {

TEST(TraceSpool, ConcatenatesRunsInRunOrderWhateverOrderTheyFinished) {
  testing::TempDir dir;
  TraceSpool spool(dir.Path(""), "trace.csv");
  // Run k writes "k\n" k+1 times; runs finish in reverse order, two at a time on two spools.
  const size_t runs = 6;
  std::vector<std::thread> threads;
  for (size_t half = 0; half < 2; ++half)
    threads.emplace_back([&, half] {
      for (size_t j = 0; j < runs / 2; ++j) {
        const size_t k = runs - 1 - (2 * j + half);
        const TraceSpool::Lease lease = spool.Acquire(k);
        EXPECT_FALSE(lease.direct);  // not ordered
        std::string text;
        for (size_t r = 0; r <= k; ++r) text += std::to_string(k) + "\n";
        ASSERT_EQ(std::fwrite(text.data(), 1, text.size(), lease.file), text.size());
        spool.Release(lease, k, static_cast<std::int64_t>(text.size()));
      }
    });
  for (std::thread& t : threads) t.join();
  const std::string path = dir.Path("trace.csv");
  std::FILE* out = std::fopen(path.c_str(), "wb");
  ASSERT_NE(out, nullptr);
  std::fputs("header\n", out);
  spool.AppendTo(out, runs);
  std::fclose(out);
  std::string want = "header\n";
  for (size_t k = 0; k < runs; ++k)
    for (size_t r = 0; r <= k; ++r) want += std::to_string(k) + "\n";
  EXPECT_EQ(testing::ReadFile(path), want);
  // The spool files are anonymous: nothing of them is left in the folder.
  size_t entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.Path(""))) ++entries;
  EXPECT_EQ(entries, 1u);  // trace.csv only
  EXPECT_EQ(spool.Ordered(runs), nullptr);  // not ordered
}

// Run k's rows: "k,r\n" for r < k % 5 + 1 (run 3 has none when `empty3`).
std::string RowsOf(size_t k, bool empty3 = false) {
  std::string text;
  if (empty3 && k == 3) return text;
  for (size_t r = 0; r <= k % 5; ++r) text += std::to_string(k) + "," + std::to_string(r) + "\n";
  return text;
}

// Run k, holding `lease`, writes its rows (in two writes, as a TraceWriter's blocks) and releases it.
void Finish(TraceSpool& spool, const TraceSpool::Lease& lease, size_t k, bool empty3 = false) {
  const std::string text = RowsOf(k, empty3);
  const size_t half = text.size() / 2;
  EXPECT_EQ(std::fwrite(text.data(), 1, half, lease.file), half);
  EXPECT_EQ(std::fwrite(text.data() + half, 1, text.size() - half, lease.file), text.size() - half);
  spool.Release(lease, k, static_cast<std::int64_t>(text.size()));
}

// One run: acquire, write, release.
TraceSpool::Lease RunOnce(TraceSpool& spool, size_t k, bool empty3 = false) {
  const TraceSpool::Lease lease = spool.Acquire(k);
  Finish(spool, lease, k, empty3);
  return lease;
}

TEST(TraceSpool, OrderedRunsOneAtATimeAllWriteStraightIntoTheTrace) {
  testing::TempDir dir;
  TraceSpool spool(dir.Path(""), "trace.csv", std::string("header\n"));
  const size_t runs = 7;
  std::string want = "header\n";
  for (size_t k = 0; k < runs; ++k) {
    EXPECT_EQ(spool.Ordered(runs), nullptr) << "before run " << k;
    EXPECT_TRUE(RunOnce(spool, k, true).direct) << k;
    want += RowsOf(k, true);
  }
  std::FILE* trace = spool.Ordered(runs);
  ASSERT_NE(trace, nullptr);
  EXPECT_EQ(testing::ReadStream(trace), want);
}

TEST(TraceSpool, OrderedRunsFinishingOutOfOrderAreCopiedInWhenTheirTurnComes) {
  testing::TempDir dir;
  TraceSpool spool(dir.Path(""), "trace.csv", std::string("header\n"));
  // Runs 1, 2 and 4 start while run 0 writes the trace; 4 finishes first, then 2, then 0 (which
  // lets 1 in only once it finishes), then 1, which brings 2 in; 3 then writes straight, bringing 4.
  const TraceSpool::Lease l0 = spool.Acquire(0), l1 = spool.Acquire(1), l2 = spool.Acquire(2), l4 = spool.Acquire(4);
  EXPECT_TRUE(l0.direct);
  EXPECT_FALSE(l1.direct || l2.direct || l4.direct);
  Finish(spool, l4, 4);
  Finish(spool, l2, 2);
  Finish(spool, l0, 0);
  EXPECT_EQ(spool.Ordered(5), nullptr);
  Finish(spool, l1, 1);
  const TraceSpool::Lease l3 = spool.Acquire(3);
  EXPECT_TRUE(l3.direct);  // runs 0-2 are in: its turn
  Finish(spool, l3, 3);
  std::string want = "header\n";
  for (size_t k = 0; k < 5; ++k) want += RowsOf(k);
  std::FILE* trace = spool.Ordered(5);
  ASSERT_NE(trace, nullptr);
  EXPECT_EQ(testing::ReadStream(trace), want);
  // AppendTo gives the same rows, whichever file each run is in.
  const std::string path = dir.Path("copy.csv");
  std::FILE* out = std::fopen(path.c_str(), "wb");
  ASSERT_NE(out, nullptr);
  std::fputs("header\n", out);
  spool.AppendTo(out, 5);
  std::fclose(out);
  EXPECT_EQ(testing::ReadFile(path), want);
}

TEST(TraceSpool, OrderedRunsOnFourThreadsComeOutInRunOrder) {
  for (int trial = 0; trial < 20; ++trial) {
    testing::TempDir dir;
    TraceSpool spool(dir.Path(""), "trace.csv", std::string("h\n"));
    const size_t runs = 40;
    std::atomic<size_t> next{0}, direct{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
      threads.emplace_back([&] {
        for (size_t k; (k = next++) < runs;) {
          if ((k * 7 + trial) % 3 == 0) std::this_thread::yield();
          if (RunOnce(spool, k, true).direct) ++direct;
        }
      });
    for (std::thread& t : threads) t.join();
    std::string want = "h\n";
    for (size_t k = 0; k < runs; ++k) want += RowsOf(k, true);
    std::FILE* trace = spool.Ordered(runs);
    ASSERT_NE(trace, nullptr) << trial;
    EXPECT_EQ(testing::ReadStream(trace), want) << trial;
    EXPECT_GE(direct.load(), 1u);  // run 0 at least
  }
}

TEST(TraceSpool, AnAbandonedRunStopsTheOrderedTrace) {
  for (bool direct : {true, false}) {
    testing::TempDir dir;
    TraceSpool spool(dir.Path(""), "trace.csv", std::string("header\n"));
    if (!direct) RunOnce(spool, 0);
    const TraceSpool::Lease lease = spool.Acquire(direct ? 0 : 2);
    EXPECT_EQ(lease.direct, direct);
    std::fputs("half a ro", lease.file);
    spool.Abandon(lease);
    if (!direct) RunOnce(spool, 1);
    EXPECT_FALSE(spool.Acquire(direct ? 0 : 2).direct);  // the trace takes no more runs
    EXPECT_EQ(spool.Ordered(direct ? 1 : 3), nullptr) << direct;
  }
}

}  // namespace
}  // namespace nlhf
