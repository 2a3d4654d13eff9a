#pragma once
// Internal: transparent huge pages, for memory that is written soon after it is taken: advice for
// memory already allocated, and a block taken in them. On a virtual machine a 4 KiB page fault
// costs ~10 µs (512 of them, one 2 MiB block written a page at a time, took 5 ms here), while one
// 2 MiB huge page is faulted in about 0.15 ms.
#include <cstddef>

namespace nlhf {

// Asks the kernel to back [data, data + bytes) with transparent huge pages (Linux, in `madvise`
// mode): an n x n matrix is otherwise faulted in 4 KiB at a time, which on a virtual machine costs
// more than writing it (a third of a dense game's build at n = 10^4). Call before the first write.
// Only whole 2 MiB pages inside the range are advised, and nothing under 8 MiB: glibc serves a
// block that small from its heap (in the tools, blocks up to 32 MiB: apps/common/allocator.h),
// where the advice outlives the matrix (harmless, as advice is: it changes no contents). A no-op
// where the system has no such advice.
void AdviseHugePages(void* data, size_t bytes);

// A block of zeroed memory of its own (not the heap's), `bytes` rounded up to whole 2 MiB pages
// (one at least), aligned to 2 MiB and advised as above: a buffer filled again and again (a file's
// write block) costs one fault per 2 MiB instead of 512. Where the kernel has no huge page to give,
// the block is faulted in 4 KiB at a time, as any memory. A page that cannot be read or written
// follows it: a write past its end is a crash, never a silent overwrite. Throws std::bad_alloc when
// it cannot be mapped.
class HugePageBlock {
 public:
  explicit HugePageBlock(size_t bytes);
  ~HugePageBlock();
  HugePageBlock(const HugePageBlock&) = delete;
  HugePageBlock& operator=(const HugePageBlock&) = delete;

  char* data() { return data_; }
  const char* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  char* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace nlhf
