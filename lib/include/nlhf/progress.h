#pragma once
// A live progress line on a terminal (runs done, the latest run's iteration and gap, elapsed and
// remaining time), redrawn a few times a second by a thread of its own. Disabled, it prints
// nothing: pipes and CI stay quiet.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <ostream>
#include <thread>

#include "nlhf/experiment.h"

namespace nlhf {

class ProgressDisplay {
 public:
  ProgressDisplay(std::ostream& out, bool enabled);
  ~ProgressDisplay();  // stops and clears the line
  ProgressDisplay(const ProgressDisplay&) = delete;
  ProgressDisplay& operator=(const ProgressDisplay&) = delete;

  // Thread-safe; cheap (stores the event).
  void Update(const ProgressEvent& event);
  ProgressFn Callback() {
    return [this](const ProgressEvent& e) { Update(e); };
  }

 private:
  void Loop();
  void Draw();

  std::ostream& out_;
  const bool enabled_;
  const std::chrono::steady_clock::time_point start_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  bool drawn_ = false;
  ProgressEvent latest_;
  std::thread thread_;
};

}  // namespace nlhf
