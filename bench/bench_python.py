"""What the Python module costs over the C++ it calls (scripts/bench.sh python).

1. nlhf.run on bench/egpo_workload.yaml (50 runs, 250 000 trace rows) against the whole nlhf-run command
   on the same file (which also writes trace.csv), and the DataFrame's share.
2. One iteration at a time from Python (solver.step() in a Python loop) against step(K) in one call and
   against run_solver (the driver, metrics every iteration), at n = 10 and n = 1000.
3. Zero-copy: game.P of a 4000 x 4000 game against a copy of it.
Each figure is the median of 5 repetitions, all in one run (compare ratios, not absolute times).
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

import nlhf

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
WORKLOAD = os.path.join(ROOT, "bench", "egpo_workload.yaml")


def median_time(fn, reps=5):
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main():
    jobs = 1
    with tempfile.TemporaryDirectory() as tmp:
        cli = median_time(lambda: subprocess.run(
            [os.path.join(ROOT, "build", "bin", "nlhf-run"), WORKLOAD, "--out", os.path.join(tmp, "o"), "--force",
             "--quiet", "--jobs", str(jobs)], check=True, stdout=subprocess.DEVNULL))
    py = median_time(lambda: nlhf.run(WORKLOAD, jobs=jobs))
    columns = nlhf.run(WORKLOAD, jobs=jobs).trace
    frame = median_time(lambda: nlhf._frames.frame(columns))
    print(f"egpo_workload (250 000 rows, --jobs {jobs}): nlhf-run {cli:.3f} s, nlhf.run {py:.3f} s "
          f"({py / cli:.2f}x), of which the DataFrame {frame:.3f} s")

    for n, K in ((10, 20000), (1000, 2000)):
        game = nlhf.game("random_uniform", n=n, seed=1)
        star = game.equilibrium(0.01)

        def one_at_a_time():
            s = nlhf.make_solver("nash_mp")
            s.reset(game, 0.01, equilibrium=star)
            for _ in range(K):
                s.step()

        def in_one_call():
            s = nlhf.make_solver("nash_mp")
            s.reset(game, 0.01, equilibrium=star)
            s.step(K)

        loop, bulk = median_time(one_at_a_time), median_time(in_one_call)
        driver = median_time(lambda: nlhf.run_solver("nash_mp", game, 0.01, iterations=K, equilibrium=star))
        print(f"nash_mp n = {n}, {K} iterations: step(K) {bulk * 1e6 / K:.2f} us/iteration; step() from a Python "
              f"loop {loop * 1e6 / K:.2f} us/iteration ({loop / bulk:.2f}x); run_solver with every metric at "
              f"every iteration {driver * 1e6 / K:.2f} us/iteration")

    big = nlhf.game("random_uniform", n=4000, seed=1)
    view = median_time(lambda: big.P)
    copy = median_time(lambda: np.array(big.P))
    print(f"game.P at n = 4000 (128 MB): view {view * 1e6:.1f} us, copy {copy * 1e3:.1f} ms")


if __name__ == "__main__":
    sys.exit(main())
