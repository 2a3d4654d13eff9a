"""Ctrl-C during long work ends it with KeyboardInterrupt (the GIL is released while solvers run, and
SIGINT is watched): run_solver, run, step and sweep; the next call runs normally; a sweep keeps its
finished tasks and resumes. The runs asked for would never end (10^12 iterations), so ending at all is
the check; how fast is printed, not asserted."""
import os
import re
import subprocess
import sys

from support import Checks, interrupted, scratch, write_in

check = Checks()
TMP = scratch()
env = dict(os.environ)

PROGRAMS = {
    "run_solver": "nlhf.run_solver('nash_mp', nlhf.game('random_uniform', n=200), 0.01, iterations=10**12, log='log')",
    "run": ("nlhf.run({'game': {'type': 'random_uniform', 'n': 200}, 'beta': 0.01, 'seeds': [0, 1, 2], "
            "'solvers': [{'name': 'nash_mp'}], 'stop': {'iterations': 10**12}, 'log': {'spacing': 'log'}}, jobs=2)"),
    "step": "s = nlhf.make_solver('nash_mp'); s.reset(nlhf.game('random_uniform', n=200), 0.01); s.step(10**12)",
}
for name, program in PROGRAMS.items():
    code = (f"import sys, nlhf\nprint('started', flush=True)\ntry:\n    {program}\nexcept KeyboardInterrupt:\n"
            "    r = nlhf.run_solver('nash_mp', nlhf.game('rps3'), 0.1, iterations=10)\n"
            "    print('next call', r.summary['termination'], flush=True)\n    raise\n")
    out, err, code, took = interrupted(code, 1.5, env)
    check(f"{name}.interrupted", "KeyboardInterrupt" in err and code != 0, err[-500:])
    check(f"{name}.next_call_runs", "next call iterations" in out, out + err[-500:])
    print(f"{name}: ended {took:.2f} s after SIGINT")

# The Nash equilibrium's LPs (several minutes at n = 3000 here, uninterrupted: about a minute and a
# half at n = 2000) poll the flag too: the call ends soon after the signal (the bound is loose: a
# tenth of a second is typical, and a solve that ignored the signal would end minutes later).
code = ("import nlhf\ng = nlhf.game('random_uniform', n=3000)\nprint('started', flush=True)\n"
        "g.nash_equilibrium()\nprint('finished', flush=True)\n")
out, err, code, took = interrupted(code, 1.0, env)
check("nash_equilibrium.interrupted", "KeyboardInterrupt" in err and "finished" not in out and took < 45,
      f"{took:.1f} s; " + err[-500:])
print(f"nash_equilibrium: ended {took:.2f} s after SIGINT")

# A Solver whose run_solver was interrupted is left at its start: its counters (0) and its iterate agree.
code = ("import nlhf, numpy as np\ng = nlhf.game('random_uniform', n=50)\ns = nlhf.make_solver('mwu')\n"
        "s.reset(g, 0.0); start = np.array(s.policy)\nprint('started', flush=True)\ntry:\n"
        "    nlhf.run_solver(s, g, 0.0, iterations=10**12, log='log')\nexcept KeyboardInterrupt:\n"
        "    print('after', s.iterations, s.oracle_calls, bool((np.array(s.policy) == start).all()), flush=True)\n")
out, err, code, _ = interrupted(code, 0.5, env)
check("run_solver.interrupted_solver_at_start", "after 0 0 True" in out, out + err[-500:])

# A SIGINT handler of the user's is theirs: the call is not cut short, no KeyboardInterrupt is raised,
# and their handler runs (when the call returns, as Python runs handlers around any call into C).
code = ("import signal, nlhf\ngot = []\nsignal.signal(signal.SIGINT, lambda *a: got.append(1))\n"
        "s = nlhf.make_solver('nash_mp'); s.reset(nlhf.game('random_uniform', n=50), 0.01)\n"
        "print('started', flush=True)\ns.step(1000000)\nprint('handler calls', len(got), s.iterations, flush=True)\n")
out, err, code, _ = interrupted(code, 0.2, env)
check("own_handler.runs", code == 0 and "handler calls 1 1000000" in out and "KeyboardInterrupt" not in err,
      out + err[-500:])

# A sweep starts no further task and stops the running one; the finished ones are kept (the
# KeyboardInterrupt says how many) and the same call runs only the rest. (A sanitizer build runs its
# tasks ~16x slower: there 1/16 of the iterations take about as long, which keeps the suite's time
# and the test's timing.)
sweep = write_in(TMP, "sweep.yaml", """
name: slow_sweep
game: {type: random_uniform, n: 100}
beta: 0.01
seeds: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]
solvers: [{name: nash_mp}]
stop: {iterations: %d}
""" % (1600 if os.environ.get("NLHF_SANITIZED") == "1" else 25000))


def a_task_stored(out):
    """Whether the sweep writing `out` has stored a task (a .part file in its store): the signal is
    sent then, however slow the build (ASan)."""
    stored = os.path.join(out, ".parts")
    return lambda: os.path.isdir(stored) and any(f.endswith(".part") for f in os.listdir(stored))


out = os.path.join(TMP, "sweep_out")
code = f"import nlhf\nprint('started', flush=True)\nnlhf.sweep({sweep!r}, {out!r}, jobs=1)\n"
_, err, _, _ = interrupted(code, 0.5, env, ready=a_task_stored(out))
check("sweep.interrupted", "KeyboardInterrupt" in err, err[-500:])
check("sweep.says_how_many_are_stored",
      re.search(r"KeyboardInterrupt: \d+ of 16 tasks are stored in .*; call sweep again to finish", err), err[-500:])
code = f"import nlhf\nr = nlhf.sweep({sweep!r}, {out!r}, jobs=2)\nprint(r.report['tasks_skipped'], r.report['tasks_run'])\n"
p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=600)
parts = p.stdout.split()
check("sweep.resumed", p.returncode == 0 and len(parts) == 2 and int(parts[0]) > 0 and int(parts[0]) + int(parts[1]) == 16,
      p.stdout + p.stderr[-500:])
# With force=True, the same call would start over: the KeyboardInterrupt says to call it without.
forced = os.path.join(TMP, "forced_out")
code = f"import nlhf\nprint('started', flush=True)\nnlhf.sweep({sweep!r}, {forced!r}, jobs=1, force=True)\n"
_, err, _, _ = interrupted(code, 0.5, env, ready=a_task_stored(forced))
check("sweep.force_says_without_force", re.search(
    r"KeyboardInterrupt: \d+ of 16 tasks are stored in .*; call sweep again without force=True to finish", err),
    err[-500:])
check.finish(TMP)
