#pragma once
// The tools' settings for glibc's allocator: a choice for the whole process, so the tools make it
// in main(), not the library (a program that links nlhf keeps its own).
namespace nlhf::cli {

// Keeps the memory a tool frees for its next use, and puts the first 32 MiB of the heap in
// transparent huge pages. A sweep runs thousands of small runs, each taking and freeing the same
// buffers (a trace writer's rows, a solver's vectors). By default glibc gives free memory at the
// heap's top back to the kernel once it passes 128 KiB, and serves larger blocks (from 128 KiB up,
// a threshold that rises as such blocks are freed) with mappings of their own, so uses fault their
// pages in again; on a virtual machine a 4 KiB fault costs about 10 µs. After this call:
// - blocks under 32 MiB come from the heap (a matrix of 32 MiB or more is mapped, as before);
// - up to 64 MiB free at the top of a heap is kept;
// - the heap grows 32 MiB at a time, and the 32 MiB it grows by now are advised as huge pages
//   (where the system allows them: /sys/kernel/mm/transparent_hugepage/enabled not `never`), so
//   filling them faults in 2 MiB at a time. Later growth is not advised.
// Threads other than the main one keep glibc's arenas, not advised (the thresholds apply to them
// too). The heap's growth is address space (VmSize), not memory, until it is written. The settings
// change no result. Call first in main(). Only glibc's allocator is tuned: with another one (a
// sanitizer's), the advice finds no growth to give it to.
void TuneAllocator();

}  // namespace nlhf::cli
