#include "allocator.h"

#include <cstdint>
#include <cstdlib>  // (before the test below: it defines __GLIBC__ on glibc)
#include <fstream>
#include <string>

#if defined(__GLIBC__)
#include <linux/mman.h>  // (MADV_COLLAPSE, which glibc's own headers lack)
#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>
#endif

namespace nlhf::cli {

#if defined(__GLIBC__) && defined(MADV_HUGEPAGE)
namespace {

// Whether the system gives transparent huge pages to memory advised for them (its `enabled` mode
// is `always` or `madvise`, not `never`, and the kernel has them at all).
bool HugePagesAllowed() {
  std::ifstream mode("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string text;
  return std::getline(mode, text) && text.find("[never]") == std::string::npos;
}

}  // namespace
#endif

void TuneAllocator() {
#if defined(__GLIBC__)
  constexpr int kMiB = 1 << 20;
  (void)mallopt(M_MMAP_THRESHOLD, 32 * kMiB);
  (void)mallopt(M_TRIM_THRESHOLD, 64 * kMiB);
  (void)mallopt(M_TOP_PAD, 32 * kMiB);
#ifdef MADV_HUGEPAGE
  if (!HugePagesAllowed()) return;
  // The break first moved up to a 2 MiB boundary (glibc treats memory that another caller of sbrk
  // took as a gap it keeps out of), then a block larger than the heap's free top (at most glibc's
  // 128 KiB pad at start-up) makes the heap grow, by the block and the pad, from that boundary;
  // the whole 2 MiB pages of what it grew by are advised. (Without the first step, the part from
  // the break to the next boundary, 1 MiB on average, is where the next blocks come from, a 4 KiB
  // fault at a time.)
  constexpr std::uintptr_t kHuge = std::uintptr_t{2} << 20;
  constexpr auto kFailed = static_cast<std::uintptr_t>(-1);  // sbrk's error
  const auto end = reinterpret_cast<std::uintptr_t>(sbrk(0));
  if (end == kFailed) return;
  const std::uintptr_t first = (end + kHuge - 1) & ~(kHuge - 1);
  if (first > end &&
      reinterpret_cast<std::uintptr_t>(sbrk(static_cast<intptr_t>(first - end))) == kFailed)
    return;
  void* volatile block = std::malloc(kMiB);  // (volatile: the pair is not optimised away)
  std::free(block);
  const auto after = reinterpret_cast<std::uintptr_t>(sbrk(0));
  const std::uintptr_t last = after & ~(kHuge - 1);
  if (after == kFailed || last <= first) return;  // (no growth: glibc's allocator is not the one)
  (void)madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);  // advice only
#ifdef MADV_COLLAPSE
  // The block's header and the free top's, written before the advice, put two 4 KiB pages into the
  // first 2 MiB, which the advice then cannot make one huge page: it is made one here (Linux 6.1
  // on; refused, harmlessly, before).
  (void)madvise(reinterpret_cast<void*>(first), kHuge, MADV_COLLAPSE);
#endif
#endif
#endif
}

}  // namespace nlhf::cli
