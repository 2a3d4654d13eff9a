// The spool that puts runs' trace rows in run order (lib/src/output/trace_spool.cc).
#include "nlhf/output/trace_spool.h"

#include <gtest/gtest.h>

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
        const TraceSpool::Lease lease = spool.Acquire();
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
}

}  // namespace
}  // namespace nlhf
