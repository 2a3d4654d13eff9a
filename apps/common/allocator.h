#pragma once
// The tools' settings for glibc's allocator: a choice for the whole process, so the tools make it
// in main(), not the library (a program that links nlhf keeps its own).
namespace nlhf::cli {

// Keeps the memory a tool frees for its next use, and backs the heap with transparent huge pages.
// A sweep runs thousands of small runs, each taking and freeing the same buffers (a trace writer's
// rows, a solver's vectors). By default glibc gives free memory at the heap's top back to the kernel
// once it passes 128 KiB, and serves blocks from 128 KiB up with mappings of their own, so each use
// faults its pages in again; on a virtual machine a 4 KiB fault costs about 10 µs. After this call:
// - blocks under 32 MiB come from the heap (a game's matrix of 32 MiB or more is mapped, as before);
// - up to 64 MiB free at the heap's top is kept;
// - the heap grows 32 MiB at a time, and the 32 MiB grown now are advised as huge pages (Linux in
//   `madvise` mode), so filling them faults in 2 MiB at a time.
// Threads other than the main one keep glibc's own arenas (the thresholds apply to them too). The
// settings change no result. Call first in main(); a no-op where the C library is not glibc.
void TuneAllocator();

}  // namespace nlhf::cli
