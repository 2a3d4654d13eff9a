#pragma once
// The progress of nlhf-run on stderr. On a terminal: one line redrawn a few times a second (runs
// done, the latest run's iteration and watched metric, a stall if the stall rule holds, elapsed
// time and an upper estimate of the time left). In a pipe or a log file: the same line as plain
// text every 10 s, so batch logs show life. Off (--quiet): nothing. A thread of its own draws, so
// the runs never wait for the output.
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <ostream>
#include <string>
#include <string_view>
#include <thread>

#include "nlhf/experiment.h"

namespace nlhf {

enum class ProgressMode { kOff, kTerminal, kPlain };

struct ProgressOptions {
  std::chrono::milliseconds redraw{200};           // kTerminal: redraw interval
  std::chrono::milliseconds plain_interval{10000};  // kPlain: one line per interval
};

class ProgressDisplay {
 public:
  ProgressDisplay(std::ostream& out, ProgressMode mode, ProgressOptions options = {});
  ~ProgressDisplay();  // stops; clears the terminal line
  ProgressDisplay(const ProgressDisplay&) = delete;
  ProgressDisplay& operator=(const ProgressDisplay&) = delete;

  // Thread-safe; cheap (stores the event).
  void Update(const ProgressEvent& event);
  ProgressFn Callback() {
    return [this](const ProgressEvent& e) { Update(e); };
  }

  // The line for the latest event after `elapsed_s` seconds ("" before any event). The time left
  // extrapolates the work done so far (finished runs, plus each running run's share of its
  // iteration cap or budgets) to all runs; as caps are upper bounds, so is the estimate.
  std::string Line(double elapsed_s) const;

 private:
  void Loop();
  std::string LineLocked(double elapsed_s) const;  // with mutex_ held

  std::ostream& out_;
  ProgressMode mode_;  // (kOff when no thread could be started for it)
  const ProgressOptions options_;
  const std::chrono::steady_clock::time_point start_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  bool drawn_ = false;
  bool have_event_ = false;
  ProgressEvent latest_;
  std::int64_t runs_done_ = 0;  // the most any event said: events of parallel runs arrive out of order
  std::map<size_t, double> running_;  // run index -> share of its largest possible work done
  std::thread thread_;
};

// "0.4 s", "12 s", "3.5 min", "2.1 h", "4.0 days", "3.2e+04 years".
std::string HumanDuration(double seconds);

// "1 task", "2 tasks", "0 tasks": a count and its noun, plural (an added "s") unless the count is 1.
std::string Counted(std::int64_t count, std::string_view noun);

}  // namespace nlhf
