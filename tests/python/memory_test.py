"""References are not leaked: memory stays flat over 10^4 runs in a loop (games, solvers, the driver,
numpy columns, results), and over 10^3 experiments through nlhf.run."""
import gc
import os

import numpy as np

from support import Checks, nlhf, rss_mb

check = Checks()


def one(i):
    g = nlhf.game("random_uniform", n=6, seed=i % 5)
    r = nlhf.run_solver("nash_mp", g, 0.1, iterations=20)
    s = nlhf.make_solver("omd", eta=0.5)
    s.reset(g, 0.1)
    s.step(5)
    return float(r.trace["gap_beta"][-1] + s.policy.sum() + g.P[0, 1] + g.equilibrium(0.1).pi[0])


def experiment(i):
    r = nlhf.run({"game": {"type": "rps3"}, "beta": 0.1, "seeds": [i % 3],
                  "solvers": [{"name": "nash_mp"}], "stop": {"iterations": 10}}, jobs=1)
    return float(r.trace["gap_beta"][-1])


if os.environ.get("NLHF_SANITIZED"):  # ASan keeps freed memory in quarantine: RSS is not a leak measure
    check.skipped.append("memory: not measured under the sanitizers")
    check.finish()
for _ in range(500):
    one(0)
for _ in range(100):
    experiment(0)
gc.collect()
before = rss_mb()
total = 0.0
for i in range(10_000):
    total += one(i)
for i in range(1_000):
    total += experiment(i)
gc.collect()
after = rss_mb()
# A leak of one small object per run (100 bytes) would show as ~1 MB; of a trace's arrays, as tens.
check("memory.flat", after - before < 4.0, f"RSS {before:.1f} MB -> {after:.1f} MB")
check("memory.finite", np.isfinite(total))
print(f"RSS {before:.1f} MB -> {after:.1f} MB over 10^4 run_solver loops and 10^3 experiments")
check.finish()
