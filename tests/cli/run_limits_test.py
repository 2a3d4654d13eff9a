"""nlhf-run where runs can go wrong in silence (issue 9): `eta: auto` on games with a Condorcet
winner, progress in a pipe, a tolerance that cannot be met, the dry run's cost estimate, and the
memory estimate made before anything is built. Standard library only.

Usage: run_limits_test.py BIN_DIR SOURCE_DIR
"""
import json
import os
import subprocess
import sys
import tempfile

BIN = sys.argv[1]
RUN = os.path.join(BIN, "nlhf-run")
TMP = tempfile.mkdtemp(prefix="nlhf_run_limits_")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Checks, call, runs_as_nobody, write_in  # noqa: E402  (the folder of this script)

check = Checks()


def run(*args, env=None):
    return call([RUN, *args], TMP, env)


def write(name, text):
    return write_in(TMP, name, text)


def summary(out):
    with open(os.path.join(TMP, out, "summary.json")) as f:
        return json.load(f)


# --- eta: auto on games with a Condorcet winner (rho ~ 1e-19) --------------------------------------
# Before: "eta: 1000.0000000000001 gives eta*beta = 1.0000000000000002 > 1" mid-run, after --dry-run
# had passed.
CONDORCET = """
name: condorcet
game: {type: random_uniform, n: 10}
reference: {type: softmax_normal, scale: 1}
beta: 0.001
seeds: [57]
solvers:
  - {name: omd, eta: auto}
  - {name: egpo, eta: auto}
  - {name: mmd, eta: auto}
  - {name: nash_mp, eta: auto}
stop: {iterations: 50}
"""
condorcet = write("condorcet.yaml", CONDORCET)
code, stdout, stderr = run(condorcet, "--dry-run")
check("condorcet.dry_run", code == 0, stderr)
check("condorcet.dry_run_note", "note (seed 57): eta: auto gave 1000.0000000000001" in stdout, stdout)
# Above n = 1000 the dry run does not solve pi*, which the run will: its auto note says that, not
# that pi* is uncertified (it said "no certified pi*: not certified, or equilibrium: none").
code, stdout, stderr = run(condorcet, "--dry-run", "--set", "game.n=1100", "--set", "solvers=[{name: omd, eta: auto}]")
check("large_n.dry_run", code == 0, stderr)
check("large_n.dry_run_note", "eta: auto is resolved from the game's spectral radius rho once the run has solved pi*, "
      "which this estimate does not solve" in stdout and "not certified" not in stdout, stdout)
# So is X*limit, which the dry run refused (exit 2) although the run resolves it.
code, stdout, stderr = run(condorcet, "--dry-run", "--set", "game.n=1100", "--set", "solvers=[{name: omd, eta: 0.5*limit}]")
check("large_n.dry_run_limit", code == 0 and "eta: 0.5*limit is resolved from the game's spectral radius rho once the "
      "run has solved pi*" in stdout, stdout + stderr)
for game in ["{type: random_uniform, n: 10}", "{type: bradley_terry, n: 20}"]:
    code, stdout, stderr = run(condorcet, "--out", "condorcet", "--force", "--quiet", "--set", f"game={game}")
    check(f"condorcet.exit {game}", code == 0, stderr)
    if code == 0:
        runs = summary("condorcet")
        omd = [r for r in runs if r["label"] == "omd(eta=auto)"][0]
        check(f"condorcet.omd_warning {game}", any("auto gave" in w and "clamped to" in w for w in omd["warnings"]),
              omd["warnings"])
        check(f"condorcet.omd_step {game}", omd["params"].startswith("omd(eta=1000,"), omd["params"])
        check(f"condorcet.notes {game}", "notes:" in stdout and "clamped to" in stdout, stdout)

# --- progress in a pipe: a plain line every interval (10 s; 0.05 s here) ---------------------------
STALL = """
name: stall
game: {type: random_uniform, n: 10}
reference: {type: softmax_normal, scale: 1}
beta: 0.05
seeds: [0]
solvers: [{name: nash_mp}]
stop: {iterations: 1000000000000, wall_s: 1.0, tolerance: {gap_beta: 1.0e-300}}
log: {spacing: log}
"""
stall = write("stall.yaml", STALL)
code, stdout, stderr = run(stall, "--out", "stall", "--force", env={"NLHF_PROGRESS_INTERVAL_S": "0.05"})
lines = [l for l in stderr.splitlines() if l.startswith("progress: ")]
check("pipe.exit", code == 0, stderr)
check("pipe.lines", len(lines) >= 2, stderr)
check("pipe.plain", "\r" not in stderr and "\x1b" not in stderr, repr(stderr[:200]))
check("pipe.content", any("[0/1 runs] nash_mp seed 0: iteration" in l and "left" in l for l in lines), stderr)
# The tolerance 1e-300 cannot be met: the line and the summary say the metric has stalled.
check("stall.progress", any("stalled: no progress since iteration" in l for l in lines), stderr)
if code == 0:
    warnings = summary("stall")[0]["warnings"]
    check("stall.summary", any(w.startswith("gap_beta has not improved since iteration") and " at the end; the tolerance" in w
                               for w in warnings), warnings)
    check("stall.table", "has not improved since iteration" in stdout, stdout)
code, stdout, stderr = run(stall, "--out", "stall", "--force", "--quiet", "--set", "stop.wall_s=0.3",
                           env={"NLHF_PROGRESS_INTERVAL_S": "0.05"})
check("quiet.silent", code == 0 and stderr == "", stderr)
# An interval that is not a positive number is refused before any work, not silently ignored.
for value in ("0", "-1", "abc", "nan"):
    code, stdout, stderr = run(stall, "--out", "bad_interval", "--quiet", env={"NLHF_PROGRESS_INTERVAL_S": value})
    check(f"interval.{value}", code == 2 and stderr == f"error: NLHF_PROGRESS_INTERVAL_S: '{value}' is not allowed, "
          "expected a number of seconds > 0 and < 1e6 (or the variable unset: 10 s)\n"
          and not os.path.exists(os.path.join(TMP, "bad_interval")), stderr)

# --- the dry run estimates the cost -------------------------------------------------------------
code, stdout, stderr = run(stall, "--dry-run", "--set", "stop.wall_s=0")
check("estimate.exit", code == 0, stderr)
comments = [l for l in stdout.splitlines() if l.startswith("# ")]
check("estimate.bound", any("nash_mp" in l and "<= 1e+12 iterations, <= 2e+12 oracle calls" in l for l in comments),
      stdout)
check("estimate.total", any(l.startswith("# total: 1 run, 2e+12 oracle calls at most, <= ~") for l in comments), stdout)
check("estimate.no_output", not os.path.exists(os.path.join(TMP, "runs")), "dry run wrote output")

# --- memory: refused before it is spent ------------------------------------------------------------
# Before: n = 100 000 was accepted and died with "error: internal: std::bad_alloc", exit 3.
BIG = """
name: big
game: {type: random_uniform, n: 100000}
reference: {type: uniform}
beta: 0.01
seeds: [0]
solvers: [{name: nash_mp}]
"""
big = write("big.yaml", BIG)


def mem_available_gib():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 2**20
    return float("inf")


# No address-space limit here (sanitizer builds reserve terabytes of it): one seed needs ~300 GiB,
# checked where less is available; a hundred seeds (~7.7 TiB) are refused everywhere.
cases = [["--set", "seeds={from: 0, to: 99}", "--jobs", "1"]]
if mem_available_gib() < 200:
    cases.append([])
for extra in cases:
    for dry in [[], ["--dry-run"]]:
        code, stdout, stderr = run(big, "--out", "big", *extra, *dry)
        name = " ".join(extra + dry)
        check(f"memory.exit {name}", code == 2, f"{code} {stderr}")
        check(f"memory.one_line {name}", stderr.count("\n") == 1 and stderr.startswith("error: "), stderr)
        check(f"memory.message {name}",
              "game.n: 100000 needs about" in stderr and "GiB available, expected n <= " in stderr, stderr)
        check(f"memory.no_output {name}", not os.path.exists(os.path.join(TMP, "big")), "output written")

# --- a process limit (ulimit -u) that leaves no thread to start: the work goes on with fewer -----------
# (It was "error: internal: Resource temporarily unavailable", exit 3, a bug's code.) Root ignores
# the limit, so the tools run as nobody (setpriv); each tool, asked for 2 jobs, with no thread to be had.
import shutil  # noqa: E402
setpriv = shutil.which("setpriv")
if runs_as_nobody(os.path.join(BIN, "nlhf-run")):
    folder = tempfile.mkdtemp(prefix="nlhf_threads_")
    os.chmod(folder, 0o777)
    exp = write_in(folder, "exp.yaml", "name: t\ngame: {type: rps3}\nbeta: 0.1\nseeds: [0, 1, 2]\n"
                   "solvers: [{name: nash_mp}, {name: omd}]\nstop: {iterations: 100}\n")
    sweep = write_in(folder, "sweep.yaml", "name: ts\ngame: {type: rps3}\nbeta: 0.1\nseeds: [0, 1, 2]\n"
                     "solvers: [{name: nash_mp}]\nstop: {iterations: 100}\nsweep: {beta: [0.1, 0.2]}\n")
    for tool, file, out in (("nlhf-run", exp, "r"), ("nlhf-sweep", sweep, "s")):
        p = subprocess.run(["bash", "-c", f'ulimit -u 1 && exec "$@"', "-", setpriv, "--reuid=65534", "--regid=65534",
                            "--clear-groups", "env", f"HOME={folder}",
                            # (LeakSanitizer's check at exit needs a thread of its own: none under this limit)
                            "ASAN_OPTIONS=" + ":".join(filter(None, [os.environ.get("ASAN_OPTIONS"), "detect_leaks=0"])),
                            os.path.join(BIN, tool), file, "--out", out,
                            "--jobs", "2"], cwd=folder, capture_output=True, text=True)
        check(f"thread_limit.{tool}", p.returncode == 0 and "error" not in p.stderr and
              os.path.isfile(os.path.join(folder, out, "trace.csv")), f"exit {p.returncode}: {p.stderr[-400:]}")
    shutil.rmtree(folder, ignore_errors=True)
else:
    check.skipped.append("thread limit (not root, no setpriv, or nobody cannot run the tools here)")

check.finish(TMP)
