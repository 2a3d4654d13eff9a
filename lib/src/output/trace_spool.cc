#include "nlhf/output/trace_spool.h"

#include <cerrno>
#include <system_error>

#include "nlhf/errors.h"
#include "nlhf/output/files.h"

namespace nlhf {

TraceSpool::TraceSpool(std::string folder, std::string shown) : folder_(std::move(folder)), shown_(std::move(shown)) {}

TraceSpool::~TraceSpool() {
  for (std::FILE* f : spools_) std::fclose(f);
}

TraceSpool::Lease TraceSpool::Acquire() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (free_.empty()) {
    spools_.push_back(AnonymousFile(folder_, shown_));
    sizes_.push_back(0);
    free_.push_back(spools_.size() - 1);
  }
  const size_t s = free_.back();
  free_.pop_back();
  return Lease{spools_[s], s};
}

void TraceSpool::Release(const Lease& lease, size_t run, std::int64_t bytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (ranges_.size() <= run) ranges_.resize(run + 1);
  ranges_[run] = Range{lease.spool, sizes_[lease.spool], bytes};
  sizes_[lease.spool] += bytes;
  free_.push_back(lease.spool);
}

void TraceSpool::AppendTo(std::FILE* out, size_t runs) const {
  std::lock_guard<std::mutex> lock(mutex_);
  for (std::FILE* f : spools_)
    if (std::fflush(f) != 0) throw std::system_error(errno != 0 ? errno : EIO, std::generic_category(), "flush");
  WritebackPacer pacer;  // the caller's fsync then waits for the last few megabytes only
  std::int64_t written = 0;
  for (size_t k = 0; k < runs; ++k) {
    NLHF_CHECK(k < ranges_.size() && ranges_[k].offset >= 0, "a run's trace rows were not spooled");
    AppendFileRange(::fileno(spools_[ranges_[k].spool]), ranges_[k].offset, ranges_[k].bytes, out);
    written += ranges_[k].bytes;
    pacer.Reached(out, written);
  }
}

}  // namespace nlhf
