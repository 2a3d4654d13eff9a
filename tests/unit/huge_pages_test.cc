// AdviseHugePages (lib/src/huge_pages.cc): the advice reaches the kernel for the whole 2 MiB pages
// inside a large block, and changes no contents.
#include <gtest/gtest.h>

#include <sys/mman.h>

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "huge_pages.h"

namespace nlhf {
namespace {

// The VmFlags line of the mapping that holds `address` in /proc/self/smaps ("" if not found).
std::string VmFlagsAt(const void* address) {
  const auto at = reinterpret_cast<std::uintptr_t>(address);
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool inside = false;
  while (std::getline(smaps, line)) {
    std::uintptr_t lo = 0, hi = 0;
    char dash = 0;
    std::istringstream range(line);
    if (range >> std::hex >> lo >> dash >> hi && dash == '-') {
      inside = lo <= at && at < hi;
    } else if (inside && line.rfind("VmFlags:", 0) == 0) {
      return line;
    }
  }
  return "";
}

TEST(AdviseHugePages, MarksTheBlocksMiddleAndKeepsItsContents) {
  std::vector<double> block(8u << 20);  // 64 MiB: mmap'ed by malloc
  for (size_t k = 0; k < block.size(); k += 4096) block[k] = static_cast<double>(k);
  AdviseHugePages(block.data(), block.size() * sizeof(double));
  for (size_t k = 0; k < block.size(); k += 4096) ASSERT_EQ(block[k], static_cast<double>(k));
#ifdef MADV_HUGEPAGE
  // "hg": advised with MADV_HUGEPAGE (the middle of the block is inside the advised 2 MiB pages).
  const std::string flags = VmFlagsAt(block.data() + block.size() / 2);
  if (flags.empty()) GTEST_SKIP() << "no /proc/self/smaps here";
  EXPECT_NE(flags.find(" hg"), std::string::npos) << flags;
#endif
}

TEST(AdviseHugePages, LeavesSmallBlocksAlone) {
  std::vector<double> small(1000, 1.5);
  AdviseHugePages(small.data(), small.size() * sizeof(double));
  EXPECT_EQ(small[999], 1.5);
  const std::string flags = VmFlagsAt(small.data());
  EXPECT_EQ(flags.find(" hg"), std::string::npos) << flags;
}

}  // namespace
}  // namespace nlhf
