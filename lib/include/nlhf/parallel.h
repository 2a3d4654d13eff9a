#pragma once
// The one thread pool of nlhf. An exception
// thrown inside a std::thread would end the process with `terminate called`; here the first one is
// kept, no further work is handed out, and it is rethrown on the calling thread after every worker
// has finished its current item and joined.
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace nlhf {

// Runs fn(i) for every i in [0, count) on min(jobs, count) threads (the calling thread is one of
// them; jobs < 1 counts as 1; fewer where the system gives no more). Items are handed out in
// increasing order. If fn throws, items not yet started are skipped and, once all threads have
// joined, the exception of the lowest-numbered item that threw is rethrown here (so which error is
// reported does not depend on timing when one item fails; items already running may also fail).
template <class Fn>
void ParallelFor(std::size_t count, int jobs, Fn&& fn) {
  std::atomic<std::size_t> next{0};
  std::exception_ptr failure;
  std::size_t failed_item = count;
  std::mutex failure_mutex;
  auto worker = [&] {
    while (true) {
      const std::size_t i = next.fetch_add(1);
      if (i >= count) return;
      try {
        fn(i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(failure_mutex);
        if (!failure || i < failed_item) failure = std::current_exception(), failed_item = i;
        next = count;
      }
    }
  };
  const std::size_t threads = std::min<std::size_t>(static_cast<std::size_t>(std::max(1, jobs)), count);
  std::vector<std::thread> pool;
  pool.reserve(threads);
  for (std::size_t t = 1; t < threads; ++t) {
    try {
      pool.emplace_back(worker);
    } catch (...) {
      // No further thread to be had (std::system_error under a process or thread limit, ulimit -u;
      // std::bad_alloc for its state): the work goes on, on the threads that did start; the results
      // do not depend on how many there are.
      break;
    }
  }
  worker();
  for (std::thread& t : pool) t.join();
  if (failure) std::rethrow_exception(failure);
}

}  // namespace nlhf
