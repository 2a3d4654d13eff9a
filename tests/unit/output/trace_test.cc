// The trace writer and the spool that orders runs' rows (lib/src/output/trace.cc).
#include "nlhf/output/trace.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "nlhf/metrics.h"
#include "nlhf/output/csv.h"
#include "test_util.h"

namespace nlhf {
namespace {

Record MakeRecord(std::int64_t it) {
  Record r;
  r.iteration = it;
  r.oracle_calls = 2 * it;
  r.queries = 0;
  r.wall_s = 0.5 * static_cast<double>(it);
  r.metrics.fill(std::nan(""));
  r.metrics[0] = 1.0 / static_cast<double>(it + 1);
  r.computed.set(0);
  r.computed.set(1);  // computed and NaN: a numerical failure, written "nan"
  return r;
}

// A new metric needs its row in MetricTable() and kNumMetrics raised (run.h); its trace column
// follows from the table.
TEST(TraceColumns, HaveOneColumnPerMetricOfTheTable) {
  ASSERT_EQ(MetricTable().size(), kNumMetrics);
  ASSERT_EQ(TraceColumns().size(), 14 + kNumMetrics + kAverageTraceMetrics.size());
  for (size_t k = 0; k < kNumMetrics; ++k) EXPECT_EQ(TraceColumns()[14 + k], MetricTable()[k].name);
  EXPECT_EQ(TraceColumns()[14 + kNumMetrics], "average_gap_0");
  EXPECT_EQ(TraceColumns().back(), "average_kl_to_ne");
  EXPECT_EQ(TraceHeader().substr(0, 15), "experiment,run_");
}

TEST(TraceWriter, WritesTheConstantColumnsOnceFormattedThenEachRecordsNumbers) {
  testing::TempDir dir;
  const std::string path = dir.Path("t.csv");
  std::FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  const TraceRunColumns run{"exp,1", "abc", "rps3", 3, 0.1, "uniform", "omd", "my \"label\"", "omd(eta=0.1)", 7};
  {
    TraceWriter w(f, run, "t.csv");
    for (int it = 0; it < 3; ++it) w.OnRecord(MakeRecord(it));
    w.Flush();
    EXPECT_EQ(w.rows(), 3);
  }
  std::fclose(f);
  const std::string text = testing::ReadFile(path);
  std::vector<std::string> lines;
  for (size_t at = 0; at < text.size();) {
    const size_t end = text.find('\n', at);
    lines.push_back(text.substr(at, end - at));
    at = end + 1;
  }
  ASSERT_EQ(lines.size(), 3u);
  const auto fields = SplitCsvLine(lines[2]);
  ASSERT_TRUE(fields);
  ASSERT_EQ(fields->size(), TraceColumns().size());
  const std::vector<std::string> want = {"exp,1", "abc", "rps3", "3", "0.1", "uniform", "omd", "my \"label\"",
                                         "omd(eta=0.1)", "7", "2", "4", "0", "1", NumberText(1.0 / 3.0), "nan"};
  for (size_t k = 0; k < want.size(); ++k) EXPECT_EQ((*fields)[k], want[k]) << TraceColumns()[k];
  for (size_t k = want.size(); k < fields->size(); ++k) EXPECT_EQ((*fields)[k], "") << TraceColumns()[k];
}

TEST(TraceWriter, MemoryStaysBoundedWhateverTheRows) {
  // Rows reach the file in blocks: after many rows, what is not yet written is below one block.
  testing::TempDir dir;
  const std::string path = dir.Path("t.csv");
  std::FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  TraceWriter w(f, TraceRunColumns{}, "t.csv");
  for (int it = 0; it < 100000; ++it) w.OnRecord(MakeRecord(it));
  EXPECT_GT(w.bytes(), 0);
  const std::int64_t written_before_flush = w.bytes();
  w.Flush();
  std::fclose(f);
  EXPECT_LT(w.bytes() - written_before_flush, 1 << 17);  // what was still pending: below one block
  EXPECT_EQ(static_cast<std::int64_t>(testing::ReadFile(path).size()), w.bytes());
}

TEST(TraceWriter, AFailedWriteNamesTheFile) {
  std::FILE* full = std::fopen("/dev/full", "wb");
  if (full == nullptr) GTEST_SKIP() << "no /dev/full";
  std::setvbuf(full, nullptr, _IONBF, 0);
  TraceWriter w(full, TraceRunColumns{}, "out/trace.csv");
  w.OnRecord(MakeRecord(0));
  testing::ExpectInputError([&] { w.Flush(); }, {"writing out/trace.csv", "No space left on device"});
  std::fclose(full);
}

}  // namespace
}  // namespace nlhf
