"""scripts/reproduce.py, the paper-reproduction driver, on two made-up experiments: the claims table,
resuming, failing claims and figures, missing data, and the output-directory rules.
Standard library only (the driver itself runs under scripts/python.sh). Usage: reproduce_test.py BIN_DIR SOURCE_DIR"""
import csv
import fcntl
import os
import subprocess
import sys
import tempfile

BIN, SRC = sys.argv[1], sys.argv[2]
TMP = tempfile.mkdtemp(prefix="nlhf_reproduce_test_")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Checks  # noqa: E402

check = Checks()
EXPERIMENTS = os.path.join(TMP, "experiments")


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def driver(*args):
    p = subprocess.run(["bash", os.path.join(SRC, "scripts", "python.sh"), os.path.join(SRC, "scripts", "reproduce.py"),
                        "--bin", BIN, "--experiments", EXPERIMENTS, "--jobs", "2", *args],
                       cwd=TMP, capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def table(path):
    with open(path) as f:
        return list(csv.DictReader(f))


SWEEP = """
name: tiny
game: {type: random_uniform, n: 4}
beta: 0.1
seeds: [0, 1]
solvers: [{name: nash_mp}]
stop: {iterations: 40}
sweep: {beta: [0.1, 1.0]}
"""
PLOT = """
import sys
out = sys.argv[sys.argv.index("--out") + 1]
if "--break" in sys.argv:
    print("error: no column gap_beta in x.csv", file=sys.stderr)
    sys.exit(2)
for ext in ("png", "pdf"):
    open(out + "." + ext, "wb").write(b"figure")
"""
GOOD = """
from reproduction import Sweep, Figure, Claim
TITLE = "a good experiment"
SWEEPS = [Sweep("sweep.yaml", out="main", quick=["stop.iterations=20"])]
FIGURES = [Figure("{plot}", out="fig", inputs=["main"])]
def claims(results, quick):
    runs = results.runs("main", ["gap_beta", "iterations"])
    worst = runs["gap_beta"].max()
    return [Claim("nash_mp's final gap_beta is below 1", "made up", "< 1", f"{{worst:.3g}}", worst < 1),
            Claim("iterations", "made up", "20 quick, 40 full", str(runs["iterations"].max()),
                  runs["iterations"].max() == (20 if quick else 40))]
"""
BAD = """
from reproduction import Sweep, Figure, Claim
TITLE = "a bad experiment"
SWEEPS = [Sweep("sweep.yaml", out="main")]
FIGURES = [Figure("{plot}", out="fig", inputs=["main"], args=["--break"])]
def claims(results, quick):
    runs = results.runs("main", ["gap_beta"])
    return [Claim("gap_beta is negative", "made up", "< 0", str(runs["gap_beta"].max()), False)]
"""
MISSING = """
from reproduction import Sweep, Figure, Claim
TITLE = "claims on a column that does not exist"
SWEEPS = [Sweep("sweep.yaml", out="main")]
FIGURES = []
def claims(results, quick):
    results.runs("main", ["no_such_column"])
    return [Claim("never reached", "made up", "", "", True)]
"""
BROKEN = """
from reproduction import Sweep, Figure, Claim
TITLE = "a sweep file with a bad value"
SWEEPS = [Sweep("sweep.yaml", out="main")]
FIGURES = []
def claims(results, quick):
    return [Claim("never reached", "made up", "", "", True)]
"""
LONG = BROKEN.replace("a sweep file with a bad value", "a long sweep")
plot = os.path.join(TMP, "plot.py")
write(plot, PLOT)
for name, module in (("good", GOOD), ("bad", BAD), ("missing", MISSING)):
    write(os.path.join(EXPERIMENTS, name, "sweep.yaml"), SWEEP)
    write(os.path.join(EXPERIMENTS, name, "reproduce.py"), module.format(plot=plot))
OTHERS = os.path.join(TMP, "others")  # experiments for the failure cases, apart from the listed ones
write(os.path.join(OTHERS, "broken", "sweep.yaml"), SWEEP.replace("iterations: 40", "iterations: -5"))
write(os.path.join(OTHERS, "broken", "reproduce.py"), BROKEN)
write(os.path.join(OTHERS, "long", "sweep.yaml"),
      SWEEP.replace("n: 4", "n: 300").replace("iterations: 40", "iterations: 1000000").replace("seeds: [0, 1]", "seeds: {from: 0, to: 7}"))
write(os.path.join(OTHERS, "long", "reproduce.py"), LONG)

# --- --list teaches what there is ---------------------------------------------------------------------
code, out, err = driver("--list")
check("list", code == 0 and "good" in out and "a bad experiment" in out, out + err)

# --- a passing experiment: figure, claims table, exit 0 ----------------------------------------------
res = os.path.join(TMP, "results")
code, out, err = driver("good", "--out", res)
check("good.exit", code == 0, out + err)
rows = table(os.path.join(res, "claims.csv"))
check("good.claims", [r["result"] for r in rows] == ["PASS", "PASS"] and rows[0]["experiment"] == "good", str(rows))
check("good.columns", list(rows[0]) == ["experiment", "claim", "source", "expected", "measured", "result"], str(rows))
check("good.per_experiment", table(os.path.join(res, "good", "claims.csv")) == rows, "")
check("good.figure", os.path.isfile(os.path.join(res, "good", "fig.png")) and
      os.path.isfile(os.path.join(res, "good", "fig.pdf")), str(os.listdir(os.path.join(res, "good"))))
md = open(os.path.join(res, "claims.md")).read()
check("good.markdown", "| good | nash_mp's final gap_beta is below 1 |" in md and "PASS |" in md, md)
check("good.table_printed", "2 of 2 claims passed" in out and "[1/1] good: a good experiment" in out, out)

# --- a second call resumes: the sweep reuses every finished run --------------------------------------
code, out, err = driver("good", "--out", res)
check("resume.exit", code == 0, out + err)
check("resume.kept", "0 tasks run now, 4 kept from before" in out + err, out + err)
commit = subprocess.run([os.path.join(BIN, "nlhf-sweep"), "--version"], capture_output=True, text=True).stdout
commit = commit.strip().rsplit("(", 1)[-1].rstrip(")")
check("resume.header_names_the_build", f"\n\nCommit {commit}, " in open(os.path.join(res, "claims.md")).read() and
      "reused the results" not in open(os.path.join(res, "claims.md")).read(), commit)
# Results another build of nlhf computed (its commit written into the store's task lines) are reused,
# and the driver says so, per sweep and in the table's header.
parts = os.path.join(res, "good", "main", ".parts")
for name in os.listdir(parts):
    if name.endswith(".part"):
        with open(os.path.join(parts, name)) as f:
            lines = f.read().split("\n")
        with open(os.path.join(parts, name), "w") as f:
            f.write("\n".join(l.rsplit(",", 1)[0] + ",0123456789ab" if l.startswith("task,") else l for l in lines))
code, out, err = driver("good", "--out", res)
check("resume.other_build_said", code == 0 and "sweep main: done in " in out and
      "; 4 tasks computed by nlhf at commit 0123456789ab reused (another --out computes them with this build)" in out,
      out + err)
check("resume.other_build_in_header", "It reused the results of 4 tasks computed at commit 0123456789ab. " in
      open(os.path.join(res, "claims.md")).read(), open(os.path.join(res, "claims.md")).read()[:600])

# --- --quiet hides nlhf-sweep's output, its progress lines (stderr) too ------------------------------
code, out, err = driver("good", "--out", os.path.join(TMP, "quiet"))
check("quiet.progress_without", code == 0 and "progress: [sweep]" in err, err[-300:])
code, out, err = driver("good", "--out", os.path.join(TMP, "quiet2"), "--quiet")
check("quiet.progress_hidden", code == 0 and "progress:" not in err and "runs in" not in out, out + err)

# --- --quick applies the experiment's overrides; its default place is apart from the full one -------
code, out, err = driver("good", "--quick", "--out", os.path.join(TMP, "quick"))
check("quick.exit", code == 0, out + err)
check("quick.claims", all(r["result"] == "PASS" for r in table(os.path.join(TMP, "quick", "claims.csv"))), out)

# --- the full results may go where a quick reproduction already wrote its own folder -----------------
nested = os.path.join(TMP, "nested")
code, out, err = driver("good", "--quick", "--out", os.path.join(nested, "quick"))
check("nested.quick", code == 0, out + err)
code, out, err = driver("good", "--out", nested)
check("nested.full", code == 0, out + err)

# --- a directory holds one mode's results: a quick call into a full one (or the reverse) is refused --
before = open(os.path.join(res, "claims.md")).read()
code, out, err = driver("good", "--quick", "--out", res)
check("modes.quick_into_full", code == 2 and out == "" and
      err.strip().endswith("holds the results of a full reproduction, expected a directory for quick results (the "
                            "default is results/quick/): one directory, one claims table, one mode"), out + err)
check("modes.untouched", open(os.path.join(res, "claims.md")).read() == before, "")
code, out, err = driver("good", "--out", os.path.join(TMP, "quick"))
check("modes.full_into_quick", code == 2 and "holds the results of a quick reproduction" in err, out + err)
# A marker written before it held the mode: the mode is read from claims.md's title.
legacy = os.path.join(TMP, "legacy")
write(os.path.join(legacy, ".nlhf-reproduction"), "")
write(os.path.join(legacy, "claims.md"), "# Claims of the full reproduction\n\nCommit x\n")
code, out, err = driver("good", "--quick", "--out", legacy)
check("modes.legacy", code == 2 and "holds the results of a full reproduction" in err, out + err)
# An empty marker, no claims.md and results: their mode is unknown, so nothing is added to them.
unknown = os.path.join(TMP, "unknown_mode")
write(os.path.join(unknown, ".nlhf-reproduction"), "")
write(os.path.join(unknown, "good", "claims.csv"), "experiment,claim,source,expected,measured,result\n")
code, out, err = driver("good", "--out", unknown)
check("modes.unknown", code == 2 and "did not record whether they are quick or full" in err, out + err)
# A legacy marker whose mode is read from claims.md is rewritten with it: the mode outlives claims.md.
code, out, err = driver("good", "--out", legacy)
check("modes.legacy_kept", code == 0 and open(os.path.join(legacy, ".nlhf-reproduction")).read() == "full\n", out + err)

# --- a failing claim and a figure that cannot be drawn: exit 1, each said ----------------------------
code, out, err = driver("bad", "--out", res)
check("bad.exit", code == 1, out + err)
check("bad.figure", "figure fig could not be drawn: error: no column gap_beta in x.csv" in err, err)
check("bad.claim", "1 claims failed: bad: gap_beta is negative" in err, err)
check("bad.no_stale_figure", not os.path.exists(os.path.join(res, "bad", "fig.png")), "")
rows = table(os.path.join(res, "claims.csv"))
# The table keeps the other experiments' latest claims (good's, from the calls above).
check("bad.table", [(r["experiment"], r["result"]) for r in rows] == [("bad", "FAIL"), ("good", "PASS"), ("good", "PASS")],
      str(rows))
check("bad.printed", "0 of 1 claims passed" in out, out)

# --- a claim on missing data fails, naming the file and the column -------------------------------------
code, out, err = driver("missing", "--out", res)
rows = table(os.path.join(res, "claims.csv"))
check("missing.exit", code == 1, out + err)
mine = [r for r in rows if r["experiment"] == "missing"]
check("missing.reason", len(mine) == 1 and mine[0]["result"] == "FAIL" and "no column no_such_column" in mine[0]["measured"],
      str(rows))

# --- bad usage and unusable output directories: exit 2, one error line, nothing written --------------
code, out, err = driver("nope", "--out", res)
check("unknown.exit", code == 2 and "error: unknown experiment nope, expected one of: bad, good, missing" in err, err)
check("unknown.one_line", len(err.strip().splitlines()) == 1, err)
# reproduce.sh checks its arguments before it builds: a typo, --list or --help never starts a build.
# (A copy of the scripts whose build.sh only leaves a mark; the experiments are the made-up ones.)
shell_root = os.path.join(TMP, "shell_root")
for name in ("reproduce.sh", "python.sh", "reproduce.py"):
    write(os.path.join(shell_root, "scripts", name), open(os.path.join(SRC, "scripts", name)).read())
built = os.path.join(TMP, "built")
write(os.path.join(shell_root, "scripts", "build.sh"), f"touch '{built}'\n")
os.makedirs(os.path.join(shell_root, "experiments"))
for name in os.listdir(EXPERIMENTS):
    os.symlink(os.path.join(EXPERIMENTS, name), os.path.join(shell_root, "experiments", name))
os.symlink(os.path.join(SRC, "experiments", "reproduction.py"), os.path.join(shell_root, "experiments", "reproduction.py"))
for name, args, code_wanted in [("typo", ["--bogus"], 2), ("bad_jobs", ["--jobs", "0"], 2), ("unknown", ["nope"], 2),
                                ("empty_out", ["--out", ""], 2), ("list", ["--list"], 0), ("help", ["--help"], 0)]:
    p = subprocess.run(["bash", os.path.join(shell_root, "scripts", "reproduce.sh"), *args], cwd=TMP,
                       capture_output=True, text=True)
    lines = p.stderr.strip().splitlines()
    check(f"shell.{name}.no_build", p.returncode == code_wanted and not os.path.exists(built) and
          (code_wanted == 0 or (len(lines) == 1 and lines[0].startswith("error: ") and p.stdout == "")),
          f"exit {p.returncode}, built {os.path.exists(built)}: {p.stdout!r} {p.stderr!r}")
# With good arguments it builds first (here: the mark, then the driver refuses the missing binary).
p = subprocess.run(["bash", os.path.join(shell_root, "scripts", "reproduce.sh"), "good", "--out", os.path.join(TMP, "o")],
                   cwd=TMP, capture_output=True, text=True)
check("shell.good_args_build", os.path.exists(built) and p.returncode == 2 and "nlhf-sweep is missing" in p.stderr,
      f"exit {p.returncode}: {p.stderr!r}")
# A bad flag is one error line too (not argparse's usage block), exit 2, nothing on stdout.
for name, args, says in [("bad_flag", ["--bogus"], "unrecognized arguments: --bogus"),
                         ("bad_jobs", ["--jobs", "abc"], "argument --jobs: invalid int value: 'abc'")]:
    code, out, err = driver(*args)
    check(f"{name}.one_line", code == 2 and out == "" and
          err == f"error: {says} (see scripts/reproduce.sh --help)\n", f"exit {code}: {out!r} {err!r}")
# A sweep run by hand into results/<name>/<sweep>/ (as an experiment's README shows) is nlhf's, not
# the user's: the first reproduction into that directory accepts it and resumes it.
# So are the figures its README draws by hand into results/<name>/ (the figure's own file names).
by_hand = os.path.join(TMP, "by_hand")
p = subprocess.run([os.path.join(BIN, "nlhf-sweep"), os.path.join(EXPERIMENTS, "good", "sweep.yaml"), "--out",
                    os.path.join(by_hand, "good", "main"), "--quiet"], capture_output=True, text=True)
for ext in ("png", "pdf"):
    write(os.path.join(by_hand, "good", "fig." + ext), "drawn by hand")
code, out, err = driver("good", "--out", by_hand)
check("by_hand.accepted", p.returncode == 0 and code == 0 and "0 tasks run now, 4 kept from before" in out + err, out + err)
# An experiment's folder that is itself a run directory (nlhf-run --out results/good) is not filled.
taken = os.path.join(TMP, "taken")
p = subprocess.run([os.path.join(BIN, "nlhf-sweep"), os.path.join(EXPERIMENTS, "good", "sweep.yaml"), "--out",
                    os.path.join(taken, "good"), "--quiet"], capture_output=True, text=True)
listed = sorted(os.listdir(os.path.join(taken, "good")))
code, out, err = driver("good", "--out", taken)
check("taken.exit", p.returncode == 0 and code == 2 and
      "--out: its folder good/ is an nlhf-run or nlhf-sweep output directory" in err, out + err)
check("taken.untouched", sorted(os.listdir(os.path.join(taken, "good"))) == listed, str(listed))
foreign = os.path.join(TMP, "mine")
write(os.path.join(foreign, "notes.txt"), "a user's file")
code, out, err = driver("good", "--out", foreign)
check("foreign.exit", code == 2 and "holds files this script did not write (notes.txt)" in err, err)
code, out, err = driver("god", "--out", res)
check("unknown.hint", code == 2 and "unknown experiment god (did you mean good?)" in err, err)
check("foreign.untouched", sorted(os.listdir(foreign)) == ["notes.txt"], str(os.listdir(foreign)))
code, out, err = driver("good", "--out", os.path.join(TMP, "plot.py"))
check("file.exit", code == 2 and "is not a directory" in err, err)
# --- --publish copies the figures and the claims into the experiment folder, and the whole table ----
code, out, err = driver("good", "--publish", "--out", res)
check("publish.exit", code == 0, out + err)
check("publish.figure", os.path.isfile(os.path.join(EXPERIMENTS, "good", "figures", "fig.png")), "")
check("publish.claims", "| nash_mp's final gap_beta is below 1 |" in open(os.path.join(EXPERIMENTS, "good", "claims.md")).read(), "")
whole = open(os.path.join(EXPERIMENTS, "claims.md")).read()
check("publish.whole_table", "| good | iterations |" in whole and "| bad | gap_beta is negative |" in whole and
      "2 of 4 claims passed. This call ran good" in whole, whole)
# A call into a directory without the other experiments' results publishes its own experiment but
# leaves the whole table, which would lose their rows.
before = open(os.path.join(EXPERIMENTS, "claims.md")).read()
code, out, err = driver("good", "--publish", "--out", os.path.join(TMP, "partial"))
check("publish_partial.exit", code == 0, out + err)
check("publish_partial.kept", open(os.path.join(EXPERIMENTS, "claims.md")).read() == before and
      "it would lose the rows of bad, missing" in out, out)
code, out, err = driver("good", "--quick", "--publish", "--out", res)
check("publish_quick.exit", code == 2 and "--publish" in err, err)
code, out, err = driver("good", "--jobs", "0", "--out", res)
check("jobs.exit", code == 2 and "--jobs" in err, err)

# --- a sweep that refuses its input: a FAIL row saying so, nothing published, exit 1 --------------------
code, out, err = driver("broken", "--publish", "--experiments", OTHERS, "--out", os.path.join(TMP, "broken_out"))
rows = table(os.path.join(TMP, "broken_out", "claims.csv"))
check("broken.exit", code == 1 and "sweep sweep.yaml exited with 2" in err, out + err)
check("broken.row", len(rows) == 1 and rows[0]["result"] == "FAIL" and "not evaluated" in rows[0]["measured"], str(rows))
check("broken.not_published", not os.path.exists(os.path.join(OTHERS, "broken", "claims.md")) and
      "not published" in out, out)

# --- a name given twice runs once ---------------------------------------------------------------------
code, out, err = driver("good", "good", "--out", res)
check("twice.once", code == 0 and out.count("] good:") == 1 and
      len([r for r in table(os.path.join(res, "claims.csv")) if r["experiment"] == "good"]) == 2, out)

# --- SIGTERM to the driver alone stops its nlhf-sweep too, and exits 143 -------------------------------
import signal  # noqa: E402
import time  # noqa: E402
long_out = os.path.join(TMP, "long_out")
proc = subprocess.Popen(["bash", os.path.join(SRC, "scripts", "python.sh"), os.path.join(SRC, "scripts", "reproduce.py"),
                         "--bin", BIN, "--experiments", OTHERS, "--jobs", "1", "--out", long_out, "long"],
                        cwd=TMP, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
deadline = time.monotonic() + 30
while time.monotonic() < deadline and not os.path.exists(os.path.join(long_out, "long", "main", ".nlhf-lock")):
    time.sleep(0.1)
time.sleep(0.5)
proc.send_signal(signal.SIGTERM)
try:
    out, err = proc.communicate(timeout=60)
except subprocess.TimeoutExpired:
    os.killpg(proc.pid, signal.SIGKILL)
    out, err = proc.communicate()
check("sigterm.exit", proc.returncode == 143 and "interrupted" in err, f"{proc.returncode}: {err}")
left = subprocess.run(["pgrep", "-f", long_out], capture_output=True, text=True).stdout.split()
check("sigterm.child_stopped", left == [], f"still running: {left}")

# --- a second writer of the same results directory is refused ----------------------------------------
with open(os.path.join(res, ".lock"), "w") as held:
    fcntl.flock(held, fcntl.LOCK_EX)
    code, out, err = driver("good", "--out", res)
check("lock.exit", code == 2 and "another reproduction is writing it now" in err, err)
# So is one that comes while the first has taken the lock of a new directory but not yet marked it.
fresh = os.path.join(TMP, "fresh")
os.makedirs(fresh)
with open(os.path.join(fresh, ".lock"), "w") as held:
    fcntl.flock(held, fcntl.LOCK_EX)
    code, out, err = driver("good", "--out", fresh)
check("lock.unmarked", code == 2 and "another reproduction is writing it now" in err, err)

check.finish(TMP)
