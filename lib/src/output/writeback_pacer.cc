// A thread that fdatasyncs a file while it is written (writeback_pacer.h).
#include "nlhf/output/writeback_pacer.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "nlhf/output/files.h"

namespace nlhf {

WritebackPacer::~WritebackPacer() { Reset(); }

void WritebackPacer::Join() {
  if (thread_.joinable()) thread_.join();
}

void WritebackPacer::Reset() {
  Join();
  if (own_ >= 0) ::close(own_);
  own_ = source_ = -1;
  sent_ = 0;
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

void WritebackPacer::Start(int fd) {
  Join();  // (finished: Due saw it idle)
  if (fd != source_) {
    if (own_ >= 0) ::close(own_);
    source_ = fd;
    // A new open file description, not a dup: a dup shares the writer's, and the writeback error a
    // sync of it reported would not be reported again to the writer's fsync.
    const std::string self = fmt::format("/proc/self/fd/{}", fd);
    own_ = ::open(self.c_str(), O_RDONLY | O_CLOEXEC);
    if (own_ < 0) own_ = ::open(self.c_str(), O_WRONLY | O_CLOEXEC);  // a file its owner cannot read
  }
  if (own_ >= 0) {
    busy_ = true;
    try {
      thread_ = std::thread([this] {
        ::fdatasync(own_);  // a hint: a failure is the writer's fsync's to report
        busy_ = false;
      });
      ++syncs_;
      return;
    } catch (const std::system_error&) {
      busy_ = false;  // no thread to be had: the writeback, at least
    }
  }
  StartWriteback(fd);
}

}  // namespace nlhf
