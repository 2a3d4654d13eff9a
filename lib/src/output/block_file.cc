#include "nlhf/output/block_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <new>

#include "huge_pages.h"
#include "nlhf/output/files.h"

namespace nlhf {

namespace {

// A drained block ends on this boundary (the rest stays held): the kernel's page-cache folios are
// then written whole, not allocated by one write and completed by the next.
constexpr std::int64_t kAlignBytes = std::int64_t{1} << 16;

}  // namespace

BlockFile::BlockFile(const std::string& path, const std::string& shown) {
  // (Before the file: a bad_alloc leaves none.)
  block_ = std::make_unique<HugePageBlock>(2 * kBlockBytes);
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd_ < 0) throw WriteError(shown, errno != 0 ? errno : EIO);
  cookie_io_functions_t io{};
  io.write = [](void* self, const char* data, size_t n) -> ssize_t {
    // A failure is 0 bytes written (errno set), not -1: glibc's fwrite on an unbuffered cookie
    // stream counts a -1 as one byte more than asked and then reports the whole write done.
    const long written = static_cast<BlockFile*>(self)->Write(data, n);
    return written < 0 ? 0 : written;
  };
  stream_ = fopencookie(this, "w", io);
  if (stream_ == nullptr) {
    ::close(fd_);
    ::unlink(path.c_str());
    throw std::bad_alloc();
  }
  std::setvbuf(stream_, nullptr, _IONBF, 0);
}

BlockFile::~BlockFile() {
  std::fclose(stream_);  // unbuffered: nothing of its own to write
  ::close(fd_);
}

int BlockFile::WriteOut(const char* data, size_t n) {
  while (n > 0) {
    const ssize_t w = ::write(fd_, data, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return errno != 0 ? errno : EIO;
    }
    if (w == 0) return EIO;
    data += w;
    n -= static_cast<size_t>(w);
    drained_ += w;
  }
  return 0;
}

long BlockFile::Write(const char* data, size_t n) {
  // (Nothing here throws, and the block never overflows: before a write it holds less than
  // kBlockBytes, and it has room for twice that.)
  if (error_ == 0) {
    if (n >= kBlockBytes) {
      // A large write goes straight on, after what is held.
      error_ = Drain();
      if (error_ == 0) error_ = WriteOut(data, n);
    } else {
      char* const held = block_->data();
      std::memcpy(held + held_, data, n);
      held_ += n;
      if (held_ >= kBlockBytes) {
        // A full block: out up to its last boundary, the rest held for the next.
        const std::int64_t end = (drained_ + static_cast<std::int64_t>(held_)) & ~(kAlignBytes - 1);
        const size_t out = static_cast<size_t>(end - drained_);
        error_ = WriteOut(held, out);
        std::memmove(held, held + out, held_ - out);
        held_ -= out;
      }
    }
    if (error_ == 0) {
      size_ += static_cast<std::int64_t>(n);
      return static_cast<long>(n);
    }
    held_ = 0;
  }
  errno = error_;
  return -1;
}

int BlockFile::Drain() {
  if (error_ != 0) return error_;
  error_ = WriteOut(block_->data(), held_);
  held_ = 0;
  return error_;
}

}  // namespace nlhf
