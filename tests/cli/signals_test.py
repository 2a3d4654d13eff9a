"""Ctrl-C and SIGTERM (docs/cli.md, "Stopping a tool"): nlhf-run stops its runs and writes nothing, nor
leaves its lock; nlhf-sweep stores the tasks that finished and says how many, and the same command
runs only the rest, giving an uninterrupted sweep's files. Both end by the signal (the shell's 130,
143 or 129 for SIGHUP). Two signals at once are one request; a signal ignored at start stays
ignored; a stderr pipe whose reader the same Ctrl-C ends does not kill the tool by SIGPIPE before it
cleans up. Standard library only.

Usage: signals_test.py BIN_DIR SOURCE_DIR
"""
import csv
import filecmp
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

BIN = sys.argv[1]
RUN = os.path.join(BIN, "nlhf-run")
SWEEP = os.path.join(BIN, "nlhf-sweep")
TMP = os.path.realpath(tempfile.mkdtemp(prefix="nlhf_signals_test_"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Checks, write_in  # noqa: E402  (the folder of this script)

check = Checks()

# Runs that never end by themselves (10^12 iterations; 120 s of wall time should a signal be missed).
FOREVER = """name: forever
game: {type: random_uniform, n: 100}
reference: {type: uniform}
beta: 0.1
seeds: [0, 1, 2]
solvers: [{name: omd}, {name: nash_mp}]
stop: {iterations: 1000000000000, wall_s: 120}
log: {spacing: log}
"""
# 24 tasks of ~0.1-0.3 s each, two of them at a time (a sanitizer build runs them ~19x slower: there
# 1/16 of the iterations take about as long, which keeps the suite's time and the test's timing).
SLOW_ITERATIONS = 2500 if os.environ.get("NLHF_SANITIZED") == "1" else 40000
SLOW_SWEEP = """name: slow
game: {type: random_uniform, n: 60}
reference: {type: uniform}
beta: 0.1
seeds: {from: 0, to: 5}
solvers: [{name: omd}, {name: nash_mp}]
stop: {iterations: %d}
log: {spacing: log}
sweep:
  beta: [0.05, 0.1, 0.2, 0.5]
""" % SLOW_ITERATIONS
forever = write_in(TMP, "forever.yaml", FOREVER)
slow = write_in(TMP, "slow.yaml", SLOW_SWEEP)


def start(command, ignore_sigint=False):
    def ignore():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    return subprocess.Popen(command, cwd=TMP, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=ignore if ignore_sigint else None)


def wait_for(path, p, seconds=60):
    """Waits until `path` exists (the tool is at work) or the process ended."""
    deadline = time.monotonic() + seconds
    while not os.path.exists(path) and p.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)


def wait_for_a_stored_task(out, p):
    """Waits until the sweep writing `out` has stored a task (a .part file in its store), however slow
    the build (ASan), or the process ended. Returns the store's path."""
    deadline = time.monotonic() + 600
    parts = os.path.join(out, ".parts")
    while p.poll() is None and time.monotonic() < deadline and not (
            os.path.isdir(parts) and any(f.endswith(".part") for f in os.listdir(parts))):
        time.sleep(0.02)
    return parts


def finish(p, seconds=60):
    try:
        out, err = p.communicate(timeout=seconds)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        err += "\n(killed: it did not stop)"
    return p.returncode, out, err


def without_times(path):
    """A CSV's rows without its time columns (the only cells that differ between two runs)."""
    with open(path) as f:
        return [{k: v for k, v in r.items() if k not in ("wall_s", "solve_s")} for r in csv.DictReader(f)]


# --- nlhf-run: each signal stops the runs; nothing is written, no lock is left -------------------------
for sig, name in ((signal.SIGINT, "SIGINT"), (signal.SIGTERM, "SIGTERM"), (signal.SIGHUP, "SIGHUP")):
    out = os.path.join(TMP, f"run_{name}")
    p = start([RUN, forever, "--out", out, "--jobs", "2"])
    wait_for(os.path.join(TMP, f".run_{name}.lock"), p)
    time.sleep(0.5)
    p.send_signal(sig)
    code, stdout, err = finish(p)
    check(f"run.{name}.ends_by_the_signal", code == -sig, f"{code}: {err}")
    check(f"run.{name}.says_so", f"nlhf-run: interrupted by {name}: nothing was written to {out}" in err and
          "nlhf-run: stopping: nothing will be written" in err, err)
    check(f"run.{name}.nothing_left", sorted(os.listdir(TMP)) == ["forever.yaml", "slow.yaml"], os.listdir(TMP))

# --- nlhf-run --force: the earlier output is kept as it was ---------------------------------------------
kept = os.path.join(TMP, "kept")
small = write_in(TMP, "small.yaml", FOREVER.replace("iterations: 1000000000000, wall_s: 120", "iterations: 50"))
code, _, err = finish(start([RUN, small, "--out", kept, "--quiet"]))
check("force.first_run", code == 0, err)
before = {f: open(os.path.join(kept, f), "rb").read() for f in os.listdir(kept)}
p = start([RUN, forever, "--out", kept, "--force", "--quiet"])
wait_for(os.path.join(TMP, ".kept.lock"), p)
time.sleep(0.5)
p.send_signal(signal.SIGINT)
code, _, err = finish(p)
check("force.ends_by_the_signal", code == -signal.SIGINT, f"{code}: {err}")
check("force.earlier_output_kept",
      {f: open(os.path.join(kept, f), "rb").read() for f in os.listdir(kept)} == before, os.listdir(kept))
check("force.no_lock_left", not os.path.exists(os.path.join(TMP, ".kept.lock")), os.listdir(TMP))
os.remove(small)

# --- two signals at once are one request (the kernel may merge them: the unit tests of StopOnSignals
# raise them one by one); an ignored SIGINT stays ignored -----------------------------------------------
out = os.path.join(TMP, "twice")
p = start([RUN, forever, "--out", out])
wait_for(os.path.join(TMP, ".twice.lock"), p)
time.sleep(0.5)
p.send_signal(signal.SIGINT)
p.send_signal(signal.SIGTERM)  # as a terminal's Ctrl-C reaching a driver script that passes on SIGTERM
code, _, err = finish(p)
# Either may be handled first (on different threads), and that one ends the process.
first = {-signal.SIGINT: "SIGINT", -signal.SIGTERM: "SIGTERM"}.get(code)
check("twice.one_request", first is not None and f"interrupted by {first}: nothing was written" in err and
      err.count("stopping") == 1, f"{code}: {err}")
check("twice.nothing_left", not os.path.exists(out) and not os.path.exists(os.path.join(TMP, ".twice.lock")),
      os.listdir(TMP))
out = os.path.join(TMP, "ignored")
p = start([RUN, forever, "--out", out], ignore_sigint=True)
wait_for(os.path.join(TMP, ".ignored.lock"), p)
time.sleep(0.5)
p.send_signal(signal.SIGINT)
time.sleep(0.5)
check("ignored.sigint_ignored", p.poll() is None, "it ended")
p.send_signal(signal.SIGTERM)
code, _, err = finish(p)
check("ignored.sigterm_stops", code == -signal.SIGTERM and "interrupted by SIGTERM" in err, f"{code}: {err}")

# --- nlhf-sweep: the finished tasks are stored and counted; the same command runs the rest --------------
ref = os.path.join(TMP, "ref")
code, _, err = finish(start([SWEEP, slow, "--out", ref, "--jobs", "2", "--quiet"]), 600)
check("sweep.reference", code == 0, err)
# (The SIGTERM case runs with --force: the advice is then to run it again without --force, which
# would start over and drop the stored tasks.)
for sig, name in ((signal.SIGINT, "SIGINT"), (signal.SIGTERM, "SIGTERM")):
    out = os.path.join(TMP, f"sweep_{name}")
    force = ["--force"] if sig == signal.SIGTERM else []
    p = start([SWEEP, slow, "--out", out, "--jobs", "2", *force])
    wait_for_a_stored_task(out, p)
    p.send_signal(sig)
    code, stdout, err = finish(p)
    again = "same command again without --force" if force else "same command again"
    m = re.search(rf"nlhf-sweep: interrupted by {name}: (\d+) of 24 tasks are stored in {re.escape(out)}; run the "
                  rf"{again} to finish", err)
    check(f"sweep.{name}.ends_by_the_signal", code == -sig, f"{code}: {err}")
    check(f"sweep.{name}.says_how_many", m is not None and 0 < int(m.group(1)) < 24, err)
    check(f"sweep.{name}.no_final_files", not any(os.path.exists(os.path.join(out, f)) for f in
                                                  ("trace.csv", "runs.csv", "summary.csv")), os.listdir(out))
    stored = int(m.group(1)) if m else -1
    p = start([SWEEP, slow, "--out", out, "--jobs", "2", "--quiet"])
    code, stdout, err = finish(p, 600)
    check(f"sweep.{name}.resumes", code == 0 and f"{24 - stored} tasks run now, {stored} kept from before" in stdout,
          stdout + err)
    for f in ("trace.csv", "runs.csv"):
        check(f"sweep.{name}.{f}_as_uninterrupted",
              os.path.exists(os.path.join(out, f)) and without_times(os.path.join(out, f)) ==
              without_times(os.path.join(ref, f)), f)
    check(f"sweep.{name}.summary_as_uninterrupted",
          filecmp.cmp(os.path.join(out, "summary.csv"), os.path.join(ref, "summary.csv"), shallow=False))

# --- stderr piped to a reader that the same Ctrl-C ends (`tool 2>&1 | tee log`): the tool's next write
# to the pipe fails instead of killing it by SIGPIPE before it cleans up -------------------------------
def reader_gone(p):
    """Closes the only reader of p's stderr, sends SIGINT, and waits: (exit code, stdout)."""
    p.stderr.close()
    p.send_signal(signal.SIGINT)
    try:
        out = p.stdout.read()
        p.wait(timeout=60)
    except subprocess.TimeoutExpired:
        p.kill()
        out = ""
    return p.returncode, out


out = os.path.join(TMP, "piped")
p = start([RUN, forever, "--out", out])
wait_for(os.path.join(TMP, ".piped.lock"), p)
time.sleep(0.5)
code, _ = reader_gone(p)
check("piped.run_ends_by_sigint", code == -signal.SIGINT, code)
check("piped.run_nothing_left", not os.path.exists(out) and not os.path.exists(os.path.join(TMP, ".piped.lock")),
      os.listdir(TMP))
out = os.path.join(TMP, "piped_sweep")
p = start([SWEEP, slow, "--out", out, "--jobs", "2"])
parts = wait_for_a_stored_task(out, p)
code, _ = reader_gone(p)
check("piped.sweep_ends_by_sigint", code == -signal.SIGINT, code)
check("piped.sweep_no_temporary_files", os.path.isdir(parts) and not any(".tmp" in f for f in os.listdir(parts)),
      os.listdir(parts) if os.path.isdir(parts) else "no store")
code, stdout, err = finish(start([SWEEP, slow, "--out", out, "--jobs", "2", "--quiet"]), 600)
m = re.search(r"(\d+) tasks run now, (\d+) kept from before", stdout)
check("piped.sweep_resumes", code == 0 and m is not None and int(m.group(2)) > 0, stdout + err)
check("piped.sweep_as_uninterrupted", os.path.exists(os.path.join(out, "trace.csv")) and
      without_times(os.path.join(out, "trace.csv")) == without_times(os.path.join(ref, "trace.csv")))

check.finish(TMP)
