#pragma once
// A file written in large blocks: writers see an unbuffered stdio stream, their bytes gather in
// memory, and the kernel gets them a block at a time. A sweep's data files take one run's rows per
// write (about 13 kB at n = 10); on ext4 such writes cost the kernel about three times what the
// same bytes cost in 1 MiB writes (a page-cache folio allocated and partly zeroed per write).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

namespace nlhf {

class HugePageBlock;

class BlockFile {
 public:
  // Writes of 1 MiB or more cost the kernel no more per byte (256 KiB came within 10%); it holds up
  // to twice this (a block and a write short of one), in one 2 MiB huge page taken at once: it
  // never grows, and filling it costs one page fault, not 512.
  static constexpr size_t kBlockBytes = size_t{1} << 20;

  // Creates (or truncates) `path` with fopen's permissions (0666 less the umask). Throws
  // WriteError(`shown`, errno) if it cannot, std::bad_alloc without the memory for its block (then
  // no file is left).
  BlockFile(const std::string& path, const std::string& shown);
  // Closes the file; bytes not yet drained are dropped (a writer that needs them calls Drain).
  ~BlockFile();
  BlockFile(const BlockFile&) = delete;
  BlockFile& operator=(const BlockFile&) = delete;

  // The stream to write to (unbuffered: each fwrite arrives whole). A write fails, as a short
  // fwrite with errno set, only when the block it fills cannot be handed to the kernel, or after an
  // earlier failure.
  std::FILE* stream() const { return stream_; }
  int fd() const { return fd_; }

  // Bytes written to stream() so far (by the writes reported done), drained or not.
  std::int64_t size() const { return size_; }
  // The file's first drained() bytes are in the kernel (not yet synced): the first drained() of
  // size(), or, after a failed write, size() and part of the write that failed (more than size()).
  std::int64_t drained() const { return drained_; }
  // Hands every byte held to the kernel. Returns 0, or the errno of the first failed write (then
  // and ever after: bytes past drained() are lost, and later writes fail with the same errno).
  int Drain();

 private:
  long Write(const char* data, size_t n);
  int WriteOut(const char* data, size_t n);  // write(2) of all of it; 0 or errno

  int fd_ = -1;
  std::FILE* stream_ = nullptr;
  std::unique_ptr<HugePageBlock> block_;  // holds the bytes not yet drained: its first held_
  size_t held_ = 0;
  std::int64_t size_ = 0, drained_ = 0;
  int error_ = 0;
};

}  // namespace nlhf
