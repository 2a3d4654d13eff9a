"""Reading input strictly and safely, through the binaries (issue 9): a fuzz sample of mutated
experiment files through `nlhf-run --dry-run` (exit 0, 1 or 2; on 2 only `error:` lines, each one
line of printable text, nothing on stdout, no output directory), inputs that are not regular files
(no hang), running out of memory (exit 2), input hashes in config.resolved.yaml (reproduction from
another directory, refusal of an edited input), and the sweep point count printed first.
Standard library only. Usage: input_safety_test.py BIN_DIR SOURCE_DIR"""
import csv
import os
import random
import resource
import subprocess
import sys
import tempfile

BIN = os.path.abspath(sys.argv[1])
RUN = os.path.join(BIN, "nlhf-run")
SWEEP = os.path.join(BIN, "nlhf-sweep")
TMP = tempfile.mkdtemp(prefix="nlhf_input_test_")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Checks  # noqa: E402  (the folder of this script)

check = Checks()


def limit_memory(megabytes):
    def apply():
        resource.setrlimit(resource.RLIMIT_AS, (megabytes << 20, megabytes << 20))
    return apply


# Sanitizer builds reserve terabytes of address space, so an address-space limit kills them at start
# (the asan test preset sets NLHF_SANITIZED=1): the memory-limited case runs in the release suite only.
SANITIZED = os.environ.get("NLHF_SANITIZED") == "1"


def run(binary, *args, cwd=TMP, memory_mb=None if SANITIZED else 2048, timeout=60):
    p = subprocess.run([binary, *args], cwd=cwd, capture_output=True, timeout=timeout,
                       preexec_fn=limit_memory(memory_mb) if memory_mb else None)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def write(name, data):
    path = os.path.join(TMP, name)
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())
    return path


def errors_ok(stderr):
    """Every line is one `error:` line of printable text."""
    lines = stderr.split("\n")
    if lines[-1] == "":
        lines.pop()
    return bool(lines) and all(l.startswith("error: ") and l.isprintable() for l in lines)


P = "0.5,0.7,0.2\n0.3,0.5,0.6\n0.8,0.4,0.5\n"
write("P.csv", P)
write("mu.csv", "0.25\n0.25\n0.5\n")
SEED = """name: fuzz
game: {type: matrix, path: P.csv}
reference: {type: file, path: mu.csv}
beta: 0.1
seeds: [0, 1]
solvers:
  - {name: nash_mp}
  - {name: omd, eta: auto}
stop: {iterations: 20, tolerance: {gap_beta: 1.0e-12}}
log: {every: 2, spacing: linear}
"""
ODD = ["1e400", "1e-400", "5e-324", "1e308", "-1", "99999999999999999999", "nan", "[]", "{}", "~", "auto",
       "\"\\e[2J\"", "\"a\\nerror: fake\"", "'\t'", "0x10", "[1],", "&a [*a]"]


def mutate(rng, text):
    lines = text.split("\n")
    for _ in range(rng.randint(1, 3)):
        if not lines:
            lines = [""]
        i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
        kind = rng.randrange(9)
        if kind == 0:
            del lines[i]
        elif kind == 1:
            lines.insert(i, lines[i])
        elif kind == 2:
            lines[i], lines[j] = lines[j], lines[i]
        elif kind == 3:
            at = rng.randrange(len(lines[i]) + 1)
            lines[i] = lines[i][:at] + "".join(chr(rng.randrange(32)) for _ in range(rng.randint(1, 3))) + lines[i][at:]
        elif kind == 4:
            lines[i] = "\t" + lines[i]
        elif kind == 5 and ": " in lines[i]:
            lines[i] = lines[i][:lines[i].index(": ") + 2] + rng.choice(ODD)
        elif kind == 6:
            lines.insert(i, rng.choice(["---", "beta: 0.5", "stop: {queries: 3}"]))
        elif kind == 7:
            lines[i] = lines[i][:rng.randrange(len(lines[i]) + 1)]
        else:
            lines[i] += rng.choice(",;:[]{}#'\"")
    return "\n".join(lines)


# A fuzz sample through the binary (the in-process fuzz test covers thousands more).
rng = random.Random(9)
for k in range(100):
    text = mutate(rng, SEED)
    path = write(f"fuzz{k}.yaml", text)
    out = os.path.join(TMP, f"out{k}")
    try:
        code, stdout, stderr = run(RUN, path, "--dry-run", "--out", out, timeout=30)
    except subprocess.TimeoutExpired:
        check(f"fuzz {k} finishes", False, repr(text))
        continue
    check(f"fuzz {k} exit code", code in (0, 1, 2), f"exit {code}: {stderr[-300:]!r} from {text!r}")
    if code == 2:
        check(f"fuzz {k} error lines", errors_ok(stderr), f"{stderr!r} from {text!r}")
        check(f"fuzz {k} nothing on stdout", stdout == "", repr(stdout[:200]))
    check(f"fuzz {k} no output directory", not os.path.exists(out))

# Inputs that are not regular files are refused before they are opened (no hang, even --dry-run).
os.mkfifo(os.path.join(TMP, "fifo"))
os.mkdir(os.path.join(TMP, "dir.csv"))
for name, args, expect in [
    ("experiment FIFO", ["fifo", "--dry-run"], "is a named pipe (FIFO)"),
    ("experiment /dev/zero", ["/dev/zero", "--dry-run"], "/dev/zero: is a device"),
    ("experiment directory", ["dir.csv", "--dry-run"], "is a directory"),
    ("game FIFO", [write("gf.yaml", SEED.replace("P.csv", "fifo")), "--dry-run"], f"gf.yaml:2:28: game.path: {TMP}/fifo: is a named pipe"),
    ("reference FIFO", [write("rf.yaml", SEED.replace("mu.csv", "fifo")), "--dry-run"], f"rf.yaml:3:31: reference.path: {TMP}/fifo: is a named pipe"),
    ("game directory", [write("gd.yaml", SEED.replace("P.csv", "dir.csv")), "--dry-run"], f"gd.yaml:2:28: game.path: {TMP}/dir.csv: is a directory"),
]:
    try:
        code, stdout, stderr = run(RUN, *args, timeout=20)
        check(name, code == 2 and expect in stderr and errors_ok(stderr), f"exit {code}: {stderr!r}")
    except subprocess.TimeoutExpired:
        check(name, False, "hangs")
try:
    code, _, stderr = run(SWEEP, "fifo", "--dry-run", timeout=20)
    check("sweep FIFO", code == 2 and "is a named pipe" in stderr, f"exit {code}: {stderr!r}")
except subprocess.TimeoutExpired:
    check("sweep FIFO", False, "hangs")

# Running out of memory is an environment problem (exit 2, one error line), not an internal error.
big = write("big.yaml", "game: {type: random_uniform, n: 100000}\nbeta: 0.1\nsolvers: [{name: nash_mp}]\n")
code, stdout, stderr = run(RUN, big, "--dry-run", memory_mb=None if SANITIZED else 1024)
# (The memory estimate refuses it before anything is allocated; a failed allocation would say
# "not enough memory", exit 2, too.)
check("out of memory is exit 2", code == 2 and errors_ok(stderr) and ("memory" in stderr or "needs about" in stderr),
      f"exit {code}: {stderr!r}")

# config.resolved.yaml records absolute input paths with their SHA-256 and reproduces the run from
# any working directory; an edited input is refused, naming the file and both hashes.
exp = write("mx.yaml", SEED)
r1 = os.path.join(TMP, "r1")
code, _, stderr = run(RUN, exp, "--out", r1, "--quiet")
check("matrix run", code == 0, stderr)
resolved = open(os.path.join(r1, "config.resolved.yaml")).read()
check("resolved has absolute path and hash",
      f"path: {os.path.join(TMP, 'P.csv')}, sha256: " in resolved, resolved)
elsewhere = tempfile.mkdtemp(prefix="nlhf_elsewhere_")
r2 = os.path.join(TMP, "r2")
code, _, stderr = run(RUN, os.path.join(r1, "config.resolved.yaml"), "--out", r2, "--quiet", cwd=elsewhere)
check("reproduces from another directory", code == 0, stderr)


def trace_without_wall(path):
    rows = list(csv.reader(open(path)))
    col = rows[0].index("wall_s")
    return [[c for i, c in enumerate(r) if i != col] for r in rows]


if code == 0:
    check("identical trace", trace_without_wall(os.path.join(r1, "trace.csv")) ==
          trace_without_wall(os.path.join(r2, "trace.csv")))
write("P.csv", P.replace("0.7", "0.6").replace("0.3", "0.4"))
r3 = os.path.join(TMP, "r3")
code, stdout, stderr = run(RUN, os.path.join(r1, "config.resolved.yaml"), "--out", r3, cwd=elsewhere)
check("edited input refused", code == 2 and "P.csv has changed" in stderr and stderr.count("sha256") >= 1
      and "now " in stderr and "records " in stderr and errors_ok(stderr), stderr)
check("edited input: no output", not os.path.exists(r3))
write("P.csv", P)

# A sweep reports its point count before validating the points; --set changes the sweep.
sweep = write("sw.yaml", "game: {type: rps3}\nbeta: 0.1\nsolvers: [{name: nash_mp}]\nsweep: {stop.iterations: [5, 6]}\n")
code, stdout, stderr = run(SWEEP, sweep, "--dry-run", "--set", "sweep.stop.iterations=[1, 2, 3]")
check("sweep count first", code == 0 and stdout.startswith("3 points x seeds x solvers"), stdout + stderr)

# An output path with control characters is shown escaped on stdout too, as error lines show it: a
# terminal sequence is not run, and the "wrote" line stays one line.
one = write("one.yaml", "game: {type: rps3}\nbeta: 0.1\nsolvers: [{name: nash_mp}]\nstop: {iterations: 5}\n")
code, stdout, stderr = run(RUN, one, "--out", "esc\x1b[2Jx", "--quiet")
check("wrote line escaped (nlhf-run)", code == 0 and "wrote esc\\x1b[2Jx/ " in stdout and "\x1b" not in stdout,
      stdout + stderr)
code, stdout, stderr = run(SWEEP, sweep, "--out", "new\nline", "--quiet")
check("wrote line escaped (nlhf-sweep)", code == 0 and "wrote new\\nline/ " in stdout and
      stdout.count("\n") == 2, stdout + stderr)

check.finish(TMP, elsewhere)
