// A sweep's trace.csv written while its tasks run (sweep_ordered_trace.h).
#include "sweep_ordered_trace.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <new>
#include <optional>
#include <system_error>
#include <utility>

#include "nlhf/errors.h"
#include "nlhf/output/files.h"
#include "nlhf/output/trace.h"

namespace nlhf {

namespace fs = std::filesystem;

namespace {

// fwrite of all of `text` to an unbuffered stream; false with errno set if it failed.
bool Put(std::FILE* f, const char* data, size_t n) {
  errno = 0;
  if (std::fwrite(data, 1, n, f) == n) return true;
  if (errno == 0) errno = EIO;
  return false;
}

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

bool PutAll(std::FILE* f, const std::vector<std::string>& chunks) {
  for (const std::string& c : chunks)
    if (!Put(f, c.data(), c.size())) return false;
  return true;
}

}  // namespace

OrderedTrace::OrderedTrace(TaskStore& store, std::vector<std::string> ids, size_t flush_tasks,
                           double flush_seconds, std::int64_t budget_bytes)
    : store_(store),
      ids_(std::move(ids)),
      flush_tasks_(flush_tasks),
      flush_seconds_(flush_seconds),
      budget_(budget_bytes),
      trace_(store.BeginGrowing()),
      offsets_(ids_.size(), -1) {
  const std::string header = TraceHeader();
  if (!Put(trace_->trace(), header.data(), header.size())) throw WriteError(trace_->shown(), errno);
}

OrderedTrace::~OrderedTrace() = default;

OrderedTrace::Rows::Rows(OrderedTrace& owner, size_t index, TaskBatch& batch)
    : owner_(owner), index_(index), batch_(batch) {
  cookie_io_functions_t io{};
  io.write = [](void* self, const char* data, size_t n) -> ssize_t {
    // A failure is 0 bytes written (errno set), not -1: glibc's fwrite on an unbuffered cookie
    // stream counts a -1 as one byte more than asked and then reports the whole write done.
    const long written = static_cast<Rows*>(self)->Write(data, n);
    return written < 0 ? 0 : written;
  };
  errno = 0;
  file_ = fopencookie(this, "w", io);
  if (file_ == nullptr) throw std::bad_alloc();
  std::setvbuf(file_, nullptr, _IONBF, 0);  // each of TraceWriter's blocks arrives at Write whole
}

OrderedTrace::Rows::~Rows() {
  if (file_ != nullptr) std::fclose(file_);  // nothing buffered: nothing written here
  owner_.held_ -= held_;
}

long OrderedTrace::Rows::Write(const char* data, size_t n) {
  // Nothing may be thrown through glibc's fwrite: a failure is errno and -1.
  try {
    return WriteOrThrow(data, n);
  } catch (const std::bad_alloc&) {
    errno = ENOMEM;
  } catch (const std::system_error& e) {
    errno = e.code().value() != 0 ? e.code().value() : EIO;
  } catch (...) {
    errno = EIO;
  }
  return -1;
}

long OrderedTrace::Rows::WriteOrThrow(const char* data, size_t n) {
  if (mode_ == Mode::kWaiting && owner_.head_.load() == index_ && owner_.TakeTurn(index_)) {
    // Its turn came while it runs: what it holds goes in first, then it writes straight on.
    mode_ = Mode::kDirect;
    start_ = owner_.trace_->Position();
    if (!PutHeld(owner_.trace_->trace())) return -1;
  }
  if (mode_ == Mode::kDirect)
    return Put(owner_.trace_->trace(), data, n) ? static_cast<long>(n) : -1;
  if (mode_ == Mode::kWaiting && !owner_.broken_) {
    // Counted by the memory the chunk holds (a reused one may be larger than the rows).
    std::string chunk = owner_.Chunk(data, n);
    const std::int64_t k = static_cast<std::int64_t>(chunk.capacity());
    if (owner_.held_.fetch_add(k) + k <= owner_.budget_) {
      chunks_.push_back(std::move(chunk));
      held_ += k;
      return static_cast<long>(n);
    }
    owner_.held_ -= k;
  }
  if (mode_ == Mode::kWaiting) {
    // Beyond the budget (or the trace takes no more tasks): the rows go to the worker's batch, as
    // without an ordered trace, and this task will not be in the trace.
    owner_.broken_ = true;
    mode_ = Mode::kSpilled;
    start_ = batch_.Position();
    if (!PutHeld(batch_.trace())) return -1;
  }
  return Put(batch_.trace(), data, n) ? static_cast<long>(n) : -1;
}

bool OrderedTrace::Rows::PutHeld(std::FILE* to) {
  if (!PutAll(to, chunks_)) return false;
  owner_.Recycle(chunks_);
  owner_.held_ -= held_;
  held_ = 0;
  return true;
}

std::string OrderedTrace::Chunk(const char* data, size_t n) {
  std::string chunk;
  {
    std::lock_guard<std::mutex> lock(spare_mutex_);
    if (!spare_.empty()) {
      chunk = std::move(spare_.back());
      spare_.pop_back();
      spare_bytes_ -= static_cast<std::int64_t>(chunk.capacity());
    }
  }
  chunk.assign(data, n);
  return chunk;
}

void OrderedTrace::Recycle(std::vector<std::string>& chunks) {
  std::lock_guard<std::mutex> lock(spare_mutex_);
  for (std::string& c : chunks) {
    if (spare_bytes_ >= kSpareBytes) break;
    spare_bytes_ += static_cast<std::int64_t>(c.capacity());
    spare_.push_back(std::move(c));
  }
  chunks.clear();
}

std::unique_ptr<OrderedTrace::Rows> OrderedTrace::Start(size_t index, TaskBatch& batch) {
  NLHF_CHECK(index < ids_.size() && !closed_,
             "a task of the sweep starts before the trace is closed");
  return std::unique_ptr<Rows>(new Rows(*this, index, batch));
}

bool OrderedTrace::TakeTurn(size_t index) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (broken_ || writer_ != kNobody || head_ != index) return false;
  writer_ = index;
  return true;
}

void OrderedTrace::GiveUpTurn() {
  std::lock_guard<std::mutex> lock(mutex_);
  broken_ = true;
  writer_ = kNobody;
}

std::int64_t OrderedTrace::StoreRows(TaskBatch& batch, size_t index, std::vector<std::string>& chunks,
                                     std::vector<RunRecord> records) {
  const std::int64_t start = batch.Position();
  if (!PutAll(batch.trace(), chunks)) throw WriteError(batch.shown(), errno);
  Recycle(chunks);
  batch.Finish(ids_[index], std::move(records), start);
  return start;
}

void OrderedTrace::Append(size_t index, std::vector<std::string>& chunks, std::vector<RunRecord> records) {
  offsets_[index] = StoreRows(*trace_, index, chunks, std::move(records));
}

void OrderedTrace::Advance(size_t index) {
  try {
    std::unique_lock<std::mutex> lock(mutex_);
    head_ = index + 1;
    while (true) {
      const auto next = waiting_.find(head_);
      if (!broken_ && next != waiting_.end()) {
        Waiting w = std::move(next->second);
        waiting_.erase(next);
        const size_t k = head_;
        lock.unlock();
        held_ -= w.bytes;  // (its chunks are freed or kept as spares whatever Append does)
        Append(k, w.chunks, std::move(w.records));
        lock.lock();
        head_ = k + 1;
        continue;
      }
      const bool due = trace_->size() >= flush_tasks_ ||
                       (trace_->size() > 0 && trace_->age_s() >= flush_seconds_);
      if (due) {
        lock.unlock();
        store_.Commit(*trace_);
        lock.lock();
        continue;  // a task may have come to wait for its turn meanwhile
      }
      writer_ = kNobody;  // (checked for waiting tasks under the same lock: none is left behind)
      return;
    }
  } catch (...) {
    GiveUpTurn();
    throw;
  }
}

void OrderedTrace::Finish(std::unique_ptr<Rows> rows, std::vector<RunRecord> records) {
  Rows& r = *rows;
  const size_t index = r.index_;
  // Where a task that held its rows goes, decided under the lock.
  enum class Next { kWait, kAppend, kBatch } next = Next::kBatch;
  switch (r.mode_) {
    case Rows::Mode::kDirect:
      offsets_[index] = r.start_;
      try {
        trace_->Finish(ids_[index], std::move(records), r.start_);
      } catch (...) {
        GiveUpTurn();
        throw;
      }
      Advance(index);
      break;
    case Rows::Mode::kSpilled:
      r.batch_.Finish(ids_[index], std::move(records), r.start_);
      break;
    case Rows::Mode::kWaiting: {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (broken_) {
          next = Next::kBatch;
        } else if (head_ != index || writer_ != kNobody) {
          // Not its turn yet: it waits, holding its rows (already counted in the budget).
          waiting_[index] = Waiting{std::move(r.chunks_), r.held_, std::move(records), Now()};
          r.held_ = 0;
          next = Next::kWait;
        } else {
          writer_ = index;
          next = Next::kAppend;
        }
      }
      if (next == Next::kBatch) {
        // The trace takes no more tasks: into the worker's batch, as without one.
        StoreRows(r.batch_, index, r.chunks_, std::move(records));
      } else if (next == Next::kAppend) {
        try {
          Append(index, r.chunks_, std::move(records));
        } catch (...) {
          GiveUpTurn();
          throw;
        }
        Advance(index);
      }
      break;
    }
  }
  StoreWaitingIfDue();
}

void OrderedTrace::StoreWaitingIfDue() {
  std::map<size_t, Waiting> due;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (waiting_.empty()) return;
    double oldest = waiting_.begin()->second.since;
    for (const auto& [index, w] : waiting_) oldest = std::min(oldest, w.since);
    if (waiting_.size() < flush_tasks_ && Now() - oldest < flush_seconds_) return;
    broken_ = true;
    due.swap(waiting_);
  }
  StoreWaiting(std::move(due));
}

void OrderedTrace::StoreWaiting(std::map<size_t, Waiting> waiting) {
  if (waiting.empty()) return;
  std::int64_t bytes = 0;
  for (const auto& [index, w] : waiting) bytes += w.bytes;
  // Their memory is given back whatever happens (a task not stored runs again).
  const struct GiveBack {
    std::atomic<std::int64_t>& held;
    std::int64_t bytes;
    ~GiveBack() { held -= bytes; }
  } give_back{held_, bytes};
  const std::unique_ptr<TaskBatch> batch = store_.Begin();
  for (auto& [index, w] : waiting) StoreRows(*batch, index, w.chunks, std::move(w.records));
  store_.Commit(*batch, false);
}

void OrderedTrace::Fail(std::unique_ptr<Rows> rows) noexcept {
  std::lock_guard<std::mutex> lock(mutex_);
  broken_ = true;  // its turn can never pass: the tasks after it will not be in the trace
  if (writer_ == rows->index_) writer_ = kNobody;
}

void OrderedTrace::Close() {
  if (closed_) return;
  closed_ = true;
  std::exception_ptr first;
  try {
    StoreWaiting(std::move(waiting_));  // their turn never came
  } catch (...) {
    first = std::current_exception();
  }
  waiting_.clear();
  try {
    // Every task in, in turn: the store's index into the trace is written in its final form.
    if (AllIn())
      index_ = store_.CommitFinal(*trace_);
    else
      store_.Commit(*trace_, false);
  } catch (...) {
    if (!first) first = std::current_exception();
  }
  if (first) std::rethrow_exception(first);
}

bool OrderedTrace::AllIn() const { return !broken_ && head_ == ids_.size(); }

bool OrderedTrace::Complete() const { return closed_ && AllIn(); }

bool OrderedTrace::Compacted() const { return Complete() && store_.HoldsOnlyFinal(*trace_); }

std::unique_ptr<TaskIndex> OrderedTrace::TakeIndex() { return Compacted() ? std::move(index_) : nullptr; }

std::optional<std::vector<std::int64_t>> OrderedTrace::Publish(const std::string& dir) const {
  NLHF_CHECK(Complete(), "the ordered trace holds every task");
  const fs::path& data = TaskStore::GrowingData(*trace_);
  const fs::path target = fs::path(dir) / "trace.csv";
  // Named as WriteFileAtomic's temp files, so that a kill before the rename leaves a leftover that
  // the next writer of DIR removes.
  const fs::path temp = fs::path(dir) / fmt::format(".trace.csv.tmp-{}-0", ::getpid());
  ::unlink(temp.c_str());
  if (::link(data.c_str(), temp.c_str()) != 0) {
    // No hard links here: the caller copies the trace instead.
    if (errno == EPERM || errno == EOPNOTSUPP || errno == ENOSYS || errno == EXDEV ||
        errno == EMLINK)
      return std::nullopt;
    throw WriteError(target.string(), errno);
  }
  if (::rename(temp.c_str(), target.c_str()) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    throw WriteError(target.string(), err);
  }
  if (const int err = SyncDirectory(dir); err != 0) throw WriteError(dir, err);
  return offsets_;
}

}  // namespace nlhf
