// TuneAllocator (apps/common/allocator.cc), each check in a process of its own (a death test's
// child, started afresh), as a tool's main() calls it: blocks under 32 MiB then come from the heap,
// the memory they free stays in it, and the heap is advised as huge pages.
#include "allocator.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "test_util.h"

namespace nlhf::cli {
namespace {

TEST(TuneAllocator, ServesBlocksFromAHugePageHeapThatKeepsWhatIsFreed) {
#if !defined(__GLIBC__) || defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "glibc's own allocator only (a sanitizer's replaces it)";
#else
  static const int probe = 0;
  if (testing::VmFlagsAt(&probe).empty()) GTEST_SKIP() << "no /proc/self/smaps here";
  if (!testing::HugePagesAdvisable()) GTEST_SKIP() << "no transparent huge pages here";
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        TuneAllocator();
        const auto heap_end = reinterpret_cast<std::uintptr_t>(sbrk(0));
        constexpr size_t kBytes = size_t{4} << 20;  // glibc maps a block this large by default
        char* const block = static_cast<char*>(std::malloc(kBytes));
        if (block == nullptr) std::_Exit(3);
        const auto at = reinterpret_cast<std::uintptr_t>(block);
        if (at >= heap_end) std::_Exit(4);  // not from the heap (glibc maps it apart by default)
        std::memset(block, 1, kBytes);
        // Its middle is inside a whole 2 MiB page of the advised part ("hg").
        if (testing::VmFlagsAt(block + kBytes / 2).find(" hg") == std::string::npos) std::_Exit(5);
        std::free(block);
        if (reinterpret_cast<std::uintptr_t>(sbrk(0)) != heap_end) std::_Exit(6);  // heap changed
        std::_Exit(0);
      },
      ::testing::ExitedWithCode(0), "");
#endif
}

TEST(TuneAllocator, WithoutItGlibcMapsTheSameBlockApart) {
  // The control: the check above fails where the settings are not made.
#if !defined(__GLIBC__) || defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "glibc's own allocator only (a sanitizer's replaces it)";
#else
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        const auto heap_end = reinterpret_cast<std::uintptr_t>(sbrk(0));
        char* const block = static_cast<char*>(std::malloc(size_t{4} << 20));
        std::_Exit(block != nullptr && reinterpret_cast<std::uintptr_t>(block) >= heap_end ? 0 : 4);
      },
      ::testing::ExitedWithCode(0), "");
#endif
}

}  // namespace
}  // namespace nlhf::cli
