#pragma once
// The clock the library times its work with (run and sweep reports), and the seconds elapsed on it.
#include <chrono>

namespace nlhf {

using Clock = std::chrono::steady_clock;

inline double SecondsSince(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

}  // namespace nlhf
