#include "nlhf/progress.h"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <algorithm>
#include <cmath>

namespace nlhf {

std::string Counted(std::int64_t count, std::string_view noun) {
  return fmt::format("{} {}{}", count, noun, count == 1 ? "" : "s");
}

std::string HumanDuration(double s) {
  if (!std::isfinite(s)) return "?";
  if (s < 0.1) return fmt::format("{:.2g} ms", s * 1e3);
  if (s < 10.0) return fmt::format("{:.1f} s", s);
  if (s < 120.0) return fmt::format("{:.0f} s", s);
  if (s < 7200.0) return fmt::format("{:.1f} min", s / 60.0);
  if (s < 2.0 * 86400.0) return fmt::format("{:.1f} h", s / 3600.0);
  if (s < 730.0 * 86400.0) return fmt::format("{:.1f} days", s / 86400.0);
  return fmt::format("{:.2g} years", s / (365.25 * 86400.0));
}

ProgressDisplay::ProgressDisplay(std::ostream& out, ProgressMode mode, ProgressOptions options)
    : out_(out), mode_(mode), options_(options), start_(std::chrono::steady_clock::now()) {
  if (mode_ == ProgressMode::kOff) return;
  try {
    thread_ = std::thread([this] { Loop(); });
  } catch (...) {
    // No thread to be had (std::system_error under a process or thread limit, ulimit -u; std::bad_alloc):
    // the work goes on without progress lines rather than stopping for them.
    mode_ = ProgressMode::kOff;
  }
}

ProgressDisplay::~ProgressDisplay() {
  if (mode_ == ProgressMode::kOff) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
  if (drawn_ && mode_ == ProgressMode::kTerminal) out_ << "\r\x1b[K" << std::flush;
}

void ProgressDisplay::Update(const ProgressEvent& event) {
  if (mode_ == ProgressMode::kOff) return;
  std::lock_guard<std::mutex> lock(mutex_);
  latest_ = event;
  have_event_ = true;
  runs_done_ = std::max(runs_done_, event.runs_done);
  if (event.label.empty()) return;  // preparing the games
  if (event.finished)
    running_.erase(event.run_index);
  else
    running_[event.run_index] = event.fraction;
}

std::string ProgressDisplay::Line(double elapsed) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return LineLocked(elapsed);
}

std::string ProgressDisplay::LineLocked(double elapsed) const {
  if (!have_event_ || latest_.runs_total == 0) return "";
  const ProgressEvent& e = latest_;
  std::string line = fmt::format("[{}/{} runs] ", runs_done_, e.runs_total);
  if (e.label.empty()) {
    if (e.newton_iteration > 0) {  // short: a wrapped line would not be redrawn in place
      line += fmt::format("certifying pi*: seed {}, Newton iteration {} at beta {:g}, residual {:.1e}", e.seed,
                          e.newton_iteration, e.newton_beta, e.newton_residual);
    } else {
      line += e.certifying ? "building the games and certifying their equilibria" : "building the games";
    }
  } else {
    line += fmt::format("{} seed {}: iteration {}", e.label, e.seed, e.iteration);
    if (!e.finished && e.iterations_cap > 0) line += fmt::format("/{}", e.iterations_cap);
    if (!std::isnan(e.value)) line += fmt::format(", {} {:.2e}", e.metric, e.value);
    if (e.stalled_since >= 0)
      line += fmt::format(" (stalled: no progress since iteration {}, best {:.2e})", e.stalled_since, e.stalled_at);
  }
  line += fmt::format(" | {} elapsed", HumanDuration(elapsed));
  double done = static_cast<double>(runs_done_);
  for (const auto& [run, fraction] : running_) done += fraction;
  const double share = done / static_cast<double>(e.runs_total);
  if (share > 0.0 && elapsed > 0.0) line += fmt::format(", at most ~{} left", HumanDuration(elapsed * (1.0 - share) / share));
  return line;
}

void ProgressDisplay::Loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  const auto interval = mode_ == ProgressMode::kTerminal ? options_.redraw : options_.plain_interval;
  auto next = std::chrono::steady_clock::now() + interval;
  while (!stop_) {
    wake_.wait_until(lock, next);
    if (stop_) break;
    const auto now = std::chrono::steady_clock::now();
    if (now < next) continue;  // woken early
    next = now + interval;
    const std::string line = LineLocked(std::chrono::duration<double>(now - start_).count());
    if (line.empty()) continue;
    drawn_ = true;
    // Printed without the lock: a blocked stderr (a paused terminal, a full pipe) must not make the
    // runs, which update the state under this lock, wait for it.
    lock.unlock();
    if (mode_ == ProgressMode::kTerminal) {
      fmt::print(out_, "\r\x1b[K{}", line);
    } else {
      fmt::print(out_, "progress: {}\n", line);
    }
    out_ << std::flush;
    lock.lock();
  }
}

}  // namespace nlhf
