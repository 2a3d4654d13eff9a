#pragma once
// Internal: advice to the kernel on the memory of a large matrix.
#include <cstddef>

namespace nlhf {

// Asks the kernel to back [data, data + bytes) with transparent huge pages (Linux, in `madvise`
// mode): an n x n matrix is otherwise faulted in 4 KiB at a time, which on a virtual machine costs
// more than writing it (a third of a dense game's build at n = 10^4). Call before the first write.
// Only whole 2 MiB pages inside the range are advised, and nothing under 8 MiB: glibc serves a
// block that small from its heap, where the advice would outlive the matrix (harmless, as advice
// is: it changes no contents). A no-op where the system has no such advice.
void AdviseHugePages(void* data, size_t bytes);

}  // namespace nlhf
