#include "nlhf/progress.h"

#include <gtest/gtest.h>

#include <sstream>

namespace nlhf {
namespace {

ProgressEvent Running(size_t run, double fraction) {
  ProgressEvent e;
  e.runs_total = 4;
  e.run_index = run;
  e.label = "omd(eta=auto)";
  e.seed = 3;
  e.iteration = 250;
  e.iterations_cap = 1000;
  e.fraction = fraction;
  e.value = 1.5e-3;
  return e;
}

TEST(ProgressDisplay, TheLineShowsTheRunAndTheTimeLeft) {
  std::ostringstream out;
  ProgressDisplay d(out, ProgressMode::kOff);
  EXPECT_EQ(d.Line(1.0), "");  // nothing yet (and kOff stores nothing)

  std::ostringstream sink;
  ProgressDisplay p(sink, ProgressMode::kPlain, ProgressOptions{std::chrono::milliseconds(200), std::chrono::hours(1)});
  ProgressEvent prep;
  prep.runs_total = 4;
  p.Update(prep);
  EXPECT_EQ(p.Line(2.0), "[0/4 runs] building the games and certifying their equilibria | 2.0 s elapsed");
  // A long pi* shows its Newton iterations.
  prep.seed = 7;
  prep.newton_iteration = 12;
  prep.newton_beta = 1e-3;
  prep.newton_residual = 3.14e-9;
  p.Update(prep);
  EXPECT_EQ(p.Line(3.0), "[0/4 runs] certifying pi*: seed 7, Newton iteration 12 at beta 0.001, residual 3.1e-09 | "
                         "3.0 s elapsed");
  // Two of four runs finished, one half way through its cap: 2.5 of 4 runs' work in 10 s.
  ProgressEvent done = Running(0, 1.0);
  done.finished = true;
  done.runs_done = 2;
  p.Update(Running(2, 0.5));
  p.Update(done);
  EXPECT_EQ(p.Line(10.0), "[2/4 runs] omd(eta=auto) seed 3: iteration 250, gap_beta 1.50e-03 | 10 s elapsed, "
                          "at most ~6.0 s left");
  ProgressEvent stalled = Running(2, 0.75);
  stalled.runs_done = 2;
  stalled.stalled_since = 120;
  stalled.stalled_at = 1.25e-3;
  p.Update(stalled);
  EXPECT_EQ(p.Line(11.0), "[2/4 runs] omd(eta=auto) seed 3: iteration 250/1000, gap_beta 1.50e-03 (stalled: no "
                          "progress since iteration 120, best 1.25e-03) | 11 s elapsed, at most ~5.0 s left");
  // Events of parallel runs arrive out of order: one counting fewer finished runs (sent by a run
  // that began earlier) does not take the count back.
  ProgressEvent late = Running(2, 0.75);
  late.runs_done = 1;
  p.Update(late);
  EXPECT_EQ(p.Line(12.0).substr(0, 11), "[2/4 runs] ");
  EXPECT_EQ(sink.str(), "");  // the plain interval (an hour) has not passed
}

TEST(ProgressDisplay, HumanDurations) {
  EXPECT_EQ(HumanDuration(0.42), "0.4 s");
  EXPECT_EQ(HumanDuration(0.0123), "12 ms");
  EXPECT_EQ(HumanDuration(75), "75 s");
  EXPECT_EQ(HumanDuration(600), "10.0 min");
  EXPECT_EQ(HumanDuration(3 * 3600), "3.0 h");
  EXPECT_EQ(HumanDuration(10 * 86400), "10.0 days");
  EXPECT_EQ(HumanDuration(1e12), "3.2e+04 years");
}

}  // namespace
}  // namespace nlhf
