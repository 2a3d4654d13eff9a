"""storage: float32 (issue 13): nlhf-run on a game held as float32 margins runs, names its storage in the
game spec and the resolved file, keeps its descriptors and certified pi*, and its trace stays within
float rounding of the dense run's; nlhf-equilibrium on a float32 spec; the memory check names float32 for
a dense game that only fits as float32, and accepts that game as float32. Standard library only.

Usage: float32_game_test.py BIN_DIR SOURCE_DIR
"""
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile

BIN = sys.argv[1]
RUN = os.path.join(BIN, "nlhf-run")
EQUILIBRIUM = os.path.join(BIN, "nlhf-equilibrium")
TMP = tempfile.mkdtemp(prefix="nlhf_float32_")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Checks, call, write_in  # noqa: E402  (the folder of this script)

check = Checks()


def run(*args):
    return call([RUN, *args], TMP)


GAME = """
name: f32
game: {type: random_uniform, n: 300}
reference: {type: softmax_normal}
beta: 0.01
seeds: [0]
solvers:
  - {name: nash_mp}
  - {name: omd, eta: auto}
stop: {iterations: 100}
"""
game = write_in(TMP, "f32.yaml", GAME)

# --- the same experiment, dense and float32 -------------------------------------------------------
code, stdout, stderr = run(game, "--out", "dense", "--quiet")
check("dense.exit", code == 0, f"{code} {stderr}")
code, stdout, stderr = run(game, "--out", "f32", "--quiet", "--set", "game.storage=float32")
check("float32.exit", code == 0, f"{code} {stderr}")


def load(out):
    with open(os.path.join(TMP, out, "summary.json")) as f:
        runs = json.load(f)
    with open(os.path.join(TMP, out, "trace.csv")) as f:
        rows = list(csv.DictReader(f))
    return runs, rows


if code == 0:
    dense_runs, dense_rows = load("dense")
    runs, rows = load("f32")
    for r in runs:
        name = r["label"]
        check(f"float32.game {name}", r["game"] == "random_uniform(n=300,seed=0,storage=float32)", r["game"])
        check(f"float32.certified {name}", r["certificate"] is not None and r["certificate"] <= 1e-12, r["certificate"])
        check(f"float32.descriptors {name}", r["descriptors"] is not None, r["descriptors"])
        check(f"float32.iterations {name}", r["iterations"] == 100, r["iterations"])
    with open(os.path.join(TMP, "f32", "config.resolved.yaml")) as f:
        resolved = f.read()
    check("float32.resolved", "storage: float32" in resolved, resolved)
    # Row by row, the metrics of the float-rounded game's run against the double game's: entries moved
    # by <= 1.5e-8, so gap_beta and KL (to each game's own pi*) agree to about 1e-6 relative or 1e-9.
    check("trace.rows", len(rows) == len(dense_rows) and len(rows) > 0, f"{len(rows)} {len(dense_rows)}")
    worst = 0.0
    for a, b in zip(rows, dense_rows):
        for column in ("gap_beta", "kl_to_star", "kl_from_star"):
            if a[column] == "" or b[column] == "":
                check(f"trace.cell {column}", a[column] == b[column], f"{a[column]!r} {b[column]!r}")
                continue
            x, y = float(a[column]), float(b[column])
            worst = max(worst, abs(x - y) / (abs(y) + 1e-9))
    check("trace.close", worst <= 1e-4, worst)

# --- nlhf-equilibrium on a float32 spec: descriptors and a certified pi* --------------------------
code, stdout, stderr = call([EQUILIBRIUM, "--game", "random_uniform(n=200,storage=float32)", "--beta", "0.01"], TMP)
check("equilibrium.exit", code == 0, f"{code} {stderr}")
check("equilibrium.game", "game       random_uniform(n=200,seed=0,storage=float32)" in stdout, stdout)
check("equilibrium.descriptors", "descriptors: cyclic triples" in stdout, stdout)
check("equilibrium.certified", "equilibrium: gap_beta" in stdout, stdout)

# --- --list and errors ------------------------------------------------------------------------------
code, stdout, stderr = run("--list", "games")
check("list.games", code == 0 and "storage: auto, dense, float32 or implicit" in stdout
      and "float32   the n x n margins P - 1/2 in float" in stdout, stdout[-900:])
code, stdout, stderr = run(game, "--dry-run", "--set", "game.storage=float64")
check("storage.unknown", code == 2 and stderr.count("\n") == 1
      and "game.storage: 'float64' is not a storage, expected auto, dense, float32 or implicit" in stderr,
      f"{code} {stderr}")

# --- memory: a dense game that fits only as float32 -------------------------------------------------
# Sanitizer builds reserve terabytes of address space (the asan preset sets NLHF_SANITIZED=1): the
# memory-limited case runs in the release suite only.
if os.environ.get("NLHF_SANITIZED") == "1":
    check.skipped.append("memory limit (sanitized build)")
else:
    LIMIT = 1536 << 20  # an address-space limit: the check reads RLIMIT_AS

    def limited(*args):
        p = subprocess.run([RUN, *args], cwd=TMP, capture_output=True, text=True, timeout=300,
                           preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (LIMIT, LIMIT)))
        return p.returncode, p.stdout, p.stderr

    big = ["--set", "game.n=8000", "--set", "stop.iterations=2", "--set", "solvers=[{name: nash_mp}]",
           "--set", "seeds=[0, 1, 2]", "--jobs", "1"]
    # Dense with pi*: three seeds' P, 3 x 488 MiB, and the matrix-free pi*'s GMRES basis, over the limit.
    code, stdout, stderr = limited(game, "--out", "big_dense", *big)
    check("memory.dense.exit", code == 2 and stderr.count("\n") == 1, f"{code} {stderr}")
    check("memory.dense.names_float32", "game.n: 8000 needs about" in stderr
          and "or game.storage: float32 (about" in stderr, stderr)
    # float32: two games held at 244 MiB while the third is converted in its 488 MiB double matrix.
    code, stdout, stderr = limited(game, "--dry-run", *big, "--set", "game.storage=float32")
    check("memory.float32.exit", code == 0, f"{code} {stderr}")
    check("memory.float32.line", "P - 1/2 in float32, 244 MiB for each of 3 games held at once; building one peaks "
          "at 490 MiB (its double matrix)" in stdout, stdout[-1500:])

check.finish(TMP)
