#include "nlhf/output/trace_spool.h"

#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "nlhf/errors.h"

namespace nlhf {

TraceSpool::TraceSpool(std::string folder, std::string shown, std::optional<std::string> ordered_header)
    : folder_(std::move(folder)), shown_(std::move(shown)) {
  if (!ordered_header) return;
  // Only a file that can be linked into place is worth writing: without O_TMPFILE, runs go to
  // spools only, and trace.csv is their concatenation at the end.
  ordered_ = UnnamedFile(folder_, shown_, 0666);  // trace.csv's permissions, as fopen gives them
  if (ordered_ == nullptr) return;
  try {
    WriteString(ordered_, *ordered_header);
  } catch (const std::system_error& e) {
    std::fclose(ordered_);
    throw WriteError(shown_, e.code().value());
  }
  ordered_size_ = static_cast<std::int64_t>(ordered_header->size());
}

TraceSpool::~TraceSpool() {
  for (std::FILE* f : spools_) std::fclose(f);
  if (ordered_ != nullptr) std::fclose(ordered_);
}

TraceSpool::Lease TraceSpool::Acquire(size_t run) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (ordered_ != nullptr && !broken_ && !writing_ && run == next_) {
    writing_ = true;
    return Lease{ordered_, kOrdered, true};
  }
  if (free_.empty()) {
    spools_.push_back(AnonymousFile(folder_, shown_));
    sizes_.push_back(0);
    free_.push_back(spools_.size() - 1);
  }
  const size_t s = free_.back();
  free_.pop_back();
  return Lease{spools_[s], s, false};
}

void TraceSpool::Release(const Lease& lease, size_t run, std::int64_t bytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (ranges_.size() <= run) ranges_.resize(run + 1);
  if (lease.direct) {
    NLHF_CHECK(writing_ && run == next_, "a run wrote the ordered trace out of turn");
    ranges_[run] = Range{kOrdered, ordered_size_, bytes};
    ordered_size_ += bytes;
    writing_ = false;
    ++next_;
  } else {
    ranges_[run] = Range{lease.spool, sizes_[lease.spool], bytes};
    sizes_[lease.spool] += bytes;
    free_.push_back(lease.spool);
  }
  Drain();
}

void TraceSpool::Abandon(const Lease& lease) {
  std::lock_guard<std::mutex> lock(mutex_);
  broken_ = true;
  if (lease.direct) writing_ = false;
  // A spool's position is past its recorded size now: it is not handed out again.
}

void TraceSpool::Drain() {
  if (ordered_ == nullptr) return;
  try {
    while (!broken_ && !writing_ && next_ < ranges_.size() && ranges_[next_].offset >= 0) {
      const Range& r = ranges_[next_];
      NLHF_CHECK(r.spool != kOrdered, "a run in the ordered trace was not its next");
      AppendFileRange(::fileno(spools_[r.spool]), r.offset, r.bytes, ordered_);
      ordered_size_ += r.bytes;
      ++next_;
    }
    pacer_.Reached(ordered_, ordered_size_);
  } catch (const std::system_error& e) {
    broken_ = true;
    throw WriteError(shown_, e.code().value());
  }
}

std::FILE* TraceSpool::Ordered(size_t runs) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (ordered_ == nullptr || broken_ || writing_ || next_ != runs) return nullptr;
  if (const int err = pacer_.Wait(); err != 0) throw WriteError(shown_, err);
  // (lseek, not ftell: stdio's cached offset does not see copy_file_range's writes.)
  const off_t position = ::lseek(::fileno(ordered_), 0, SEEK_CUR);
  NLHF_CHECK(position == ordered_size_, "the ordered trace is not the size of its runs");
  return ordered_;
}

void TraceSpool::AppendTo(std::FILE* out, size_t runs) const {
  std::lock_guard<std::mutex> lock(mutex_);
  for (std::FILE* f : spools_)
    if (std::fflush(f) != 0) throw std::system_error(errno != 0 ? errno : EIO, std::generic_category(), "flush");
  WritebackPacer pacer;  // the caller's fsync then waits for the last few megabytes only
  std::int64_t written = 0;
  for (size_t k = 0; k < runs; ++k) {
    NLHF_CHECK(k < ranges_.size() && ranges_[k].offset >= 0, "a run's trace rows were not spooled");
    AppendFileRange(::fileno(FileOf(ranges_[k].spool)), ranges_[k].offset, ranges_[k].bytes, out);
    written += ranges_[k].bytes;
    pacer.Reached(out, written);
  }
  if (const int err = pacer.Wait(); err != 0) throw std::system_error(err, std::generic_category(), "sync");
}

}  // namespace nlhf
