// A thread that fdatasyncs a file while it is written (writeback_pacer.h).
#include "nlhf/output/writeback_pacer.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string>
#include <system_error>

#include "nlhf/output/files.h"

namespace nlhf {

WritebackPacer::~WritebackPacer() { Reset(); }

void WritebackPacer::Join() {
  if (thread_.joinable()) thread_.join();
}

int WritebackPacer::Wait() {
  Join();
  return error_.load();
}

void WritebackPacer::Reset() {
  Join();
  if (own_ >= 0) ::close(own_);
  own_ = source_ = -1;
  sent_ = 0;
  error_ = 0;
}

void WritebackPacer::Reached(std::FILE* f, std::int64_t written) {
  if (!Due(written)) return;
  if (std::fflush(f) != 0) throw std::system_error(errno != 0 ? errno : EIO, std::generic_category(), "flush");
  Start(::fileno(f));
  sent_ = written;
}

void WritebackPacer::Reached(int fd, std::int64_t written) {
  if (!Due(written)) return;
  Start(fd);
  sent_ = written;
}

void WritebackPacer::Finish(int fd, std::int64_t written) {
  Start(fd);
  sent_ = written;
}

void WritebackPacer::Start(int fd) {
  Join();  // (finished where Due saw it idle; Finish may wait here)
  if (fd != source_) {
    if (own_ >= 0) ::close(own_);
    own_ = -1;
    source_ = fd;
    // Only a regular file: reopening a pipe would add a reader that keeps its writer from ever
    // seeing the real one go, and reopening a device may do anything.
    struct stat st {};
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
      // A new open file description, not a dup: a dup shares the writer's, and the writeback error
      // a sync of it reported would not be reported again to the writer's fsync.
      const std::string self = fmt::format("/proc/self/fd/{}", fd);
      own_ = ::open(self.c_str(), O_RDONLY | O_CLOEXEC);
      if (own_ < 0) own_ = ::open(self.c_str(), O_WRONLY | O_CLOEXEC);  // a file its owner cannot read
    }
  }
  if (own_ >= 0) {
    busy_ = true;
    try {
      thread_ = std::thread([this] {
        if (::fdatasync(own_) != 0 && (errno == EIO || errno == ENOSPC || errno == EDQUOT)) {
          int none = 0;
          error_.compare_exchange_strong(none, errno);  // the first one
        }
        busy_ = false;
      });
      ++syncs_;
      return;
    } catch (...) {  // no thread to be had (std::system_error, or std::bad_alloc for its state)
      busy_ = false;
    }
  }
  StartWriteback(fd);  // the writeback, at least
}

}  // namespace nlhf
