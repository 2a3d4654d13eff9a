// AdviseHugePages (lib/src/huge_pages.cc): the advice reaches the kernel for the whole 2 MiB pages
// inside a large block, and changes no contents. HugePageBlock: a zeroed, aligned, advised block of
// whole 2 MiB pages, unmapped when it goes.
#include <gtest/gtest.h>

#include <sys/mman.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <limits>
#include <new>
#include <utility>
#include <string>
#include <vector>

#include "huge_pages.h"
#include "test_util.h"

namespace nlhf {
namespace {

using testing::VmFlagsAt;

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

TEST(HugePageBlock, IsWholeAlignedZeroedHugePagesGuardedAndGoesAway) {
  constexpr size_t kHuge = size_t{2} << 20;
  void* where = nullptr;
  {
    HugePageBlock block(kHuge + 1);  // rounded up to two pages
    where = block.data();
    ASSERT_EQ(block.size(), 2 * kHuge);
    const auto first = reinterpret_cast<std::uintptr_t>(block.data());
    EXPECT_EQ(first % kHuge, 0u);
    for (size_t k = 0; k < block.size(); k += 4096) ASSERT_EQ(block.data()[k], 0) << k;
    std::memset(block.data(), 7, block.size());  // all of it writable
    EXPECT_EQ(block.data()[block.size() - 1], 7);
    // Then a page that cannot be read or written ("rd" and "wr" are smaps' flags for those).
    const std::string guard = VmFlagsAt(block.data() + block.size());
    if (guard.empty()) GTEST_SKIP() << "no /proc/self/smaps here";
    EXPECT_EQ(guard.find(" rd"), std::string::npos) << guard;
    EXPECT_EQ(guard.find(" wr"), std::string::npos) << guard;
#ifdef MADV_HUGEPAGE
    if (testing::HugePagesAdvisable()) {
      // Advised ("hg"), and a mapping of its own, exactly the block: nothing before it is left
      // mapped (advised memory does not merge with memory that is not).
      const std::string flags = VmFlagsAt(block.data());
      EXPECT_NE(flags.find(" hg"), std::string::npos) << flags;
      EXPECT_EQ(testing::MappingAt(block.data()), std::make_pair(first, first + block.size()));
    }
#endif
  }
  // Unmapped, with its guard page: mincore refuses an address that no mapping holds (nothing was
  // mapped since).
  unsigned char resident = 0;
  EXPECT_EQ(::mincore(where, 4096, &resident), -1);
  EXPECT_EQ(errno, ENOMEM);
  EXPECT_EQ(::mincore(static_cast<char*>(where) + 2 * kHuge, 4096, &resident), -1);
}

TEST(HugePageBlock, OfNoBytesOrOneIsOnePageAndOfTooManyIsBadAlloc) {
  for (const size_t bytes : {size_t{0}, size_t{1}}) {
    HugePageBlock block(bytes);
    EXPECT_EQ(block.size(), size_t{2} << 20);
    block.data()[0] = 'x';
    EXPECT_EQ(block.data()[0], 'x');
  }
  EXPECT_THROW(HugePageBlock(std::numeric_limits<size_t>::max()), std::bad_alloc);
  EXPECT_THROW(HugePageBlock(std::numeric_limits<size_t>::max() - (size_t{4} << 20)), std::bad_alloc);
}

}  // namespace
}  // namespace nlhf
