#include "nlhf/progress.h"

#include <fmt/format.h>
#include <fmt/ostream.h>

namespace nlhf {

ProgressDisplay::ProgressDisplay(std::ostream& out, bool enabled)
    : out_(out), enabled_(enabled), start_(std::chrono::steady_clock::now()) {
  if (enabled_) thread_ = std::thread([this] { Loop(); });
}

ProgressDisplay::~ProgressDisplay() {
  if (!enabled_) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
  if (drawn_) out_ << "\r\x1b[K" << std::flush;
}

void ProgressDisplay::Update(const ProgressEvent& event) {
  if (!enabled_) return;
  std::lock_guard<std::mutex> lock(mutex_);
  latest_ = event;
}

void ProgressDisplay::Loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stop_) {
    wake_.wait_for(lock, std::chrono::milliseconds(200));
    if (!stop_) Draw();
  }
}

void ProgressDisplay::Draw() {
  if (latest_.runs_total == 0) return;
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  std::string eta = "";
  if (latest_.runs_done > 0) {
    const double left = elapsed / static_cast<double>(latest_.runs_done) *
                        static_cast<double>(latest_.runs_total - latest_.runs_done);
    eta = fmt::format(", ~{:.1f} s left", left);
  }
  fmt::print(out_, "\r\x1b[K[{}/{} runs] {} seed {}: iteration {}, gap_beta {:.2e} | {:.1f} s{}", latest_.runs_done,
             latest_.runs_total, latest_.solver, latest_.seed, latest_.iteration, latest_.gap_beta, elapsed, eta);
  out_ << std::flush;
  drawn_ = true;
}

}  // namespace nlhf
