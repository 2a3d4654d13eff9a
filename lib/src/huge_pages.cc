#include "huge_pages.h"

#include <sys/mman.h>

#include <cstdint>
#include <new>

namespace nlhf {

namespace {

constexpr std::uintptr_t kHuge = std::uintptr_t{2} << 20;
constexpr size_t kGuard = 4096;  // the page after a HugePageBlock, neither readable nor writable

}  // namespace

void AdviseHugePages([[maybe_unused]] void* data, [[maybe_unused]] size_t bytes) {
#ifdef MADV_HUGEPAGE
  if (bytes < 4 * kHuge) return;
  const auto begin = reinterpret_cast<std::uintptr_t>(data);
  const std::uintptr_t first = (begin + kHuge - 1) & ~(kHuge - 1),
                       last = (begin + bytes) & ~(kHuge - 1);
  if (last > first)
    (void)::madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);  // advice only
#endif
}

HugePageBlock::HugePageBlock(size_t bytes) {
  size_ = bytes == 0 ? kHuge : (bytes + kHuge - 1) & ~(kHuge - 1);
  if (size_ < bytes || size_ + kHuge < size_) throw std::bad_alloc();
  // One 2 MiB page more than needed, then the parts before the aligned block and after its guard
  // page unmapped.
  const size_t mapped_bytes = size_ + kHuge;
  void* const mapped =
      ::mmap(nullptr, mapped_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mapped == MAP_FAILED) throw std::bad_alloc();
  const auto begin = reinterpret_cast<std::uintptr_t>(mapped);
  const std::uintptr_t first = (begin + kHuge - 1) & ~(kHuge - 1);
  const std::uintptr_t guard = first + size_, end = begin + mapped_bytes;  // guard + kGuard <= end
  if (first > begin) (void)::munmap(mapped, first - begin);
  (void)::mprotect(reinterpret_cast<void*>(guard), kGuard, PROT_NONE);
  if (end > guard + kGuard)
    (void)::munmap(reinterpret_cast<void*>(guard + kGuard), end - guard - kGuard);
  data_ = reinterpret_cast<char*>(first);
#ifdef MADV_HUGEPAGE
  (void)::madvise(data_, size_, MADV_HUGEPAGE);  // advice only
#endif
}

HugePageBlock::~HugePageBlock() { (void)::munmap(data_, size_ + kGuard); }  // and its guard page

}  // namespace nlhf
