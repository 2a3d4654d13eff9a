"""Implicit games (issue 13): nlhf-run on a game whose P is never stored, at n = 10^5, where the dense
matrix is refused before it is spent; the `storage:` key and its errors; nlhf-equilibrium and --list on
implicit games. Standard library only.

Usage: implicit_game_test.py BIN_DIR SOURCE_DIR
"""
import csv
import json
import os
import re
import sys
import tempfile

BIN = sys.argv[1]
RUN = os.path.join(BIN, "nlhf-run")
EQUILIBRIUM = os.path.join(BIN, "nlhf-equilibrium")
TMP = tempfile.mkdtemp(prefix="nlhf_implicit_")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Checks, call, write_in  # noqa: E402  (the folder of this script)

check = Checks()


def run(*args):
    return call([RUN, *args], TMP)


HUGE = """
name: huge
game: {type: low_rank_cyclic, n: 100000, k: 8}
reference: {type: uniform}
beta: 0.1
seeds: [0]
solvers:
  - {name: nash_mp}
  - {name: omd, oracle: {type: sampled, batch: 256}}
stop: {iterations: 20}
"""
huge = write_in(TMP, "huge.yaml", HUGE)

# --- a hundred thousand actions, P never stored ---------------------------------------------------
code, stdout, stderr = run(huge, "--out", "huge", "--quiet")
check("run.exit", code == 0, f"{code} {stderr}")
if code == 0:
    with open(os.path.join(TMP, "huge", "summary.json")) as f:
        runs = json.load(f)
    check("run.count", len(runs) == 2, len(runs))
    for r in runs:
        name = r["label"]
        check(f"run.game {name}", r["game"] == "low_rank_cyclic(n=100000,k=8,strength=1,weights=[],seed=0)", r["game"])
        check(f"run.iterations {name}", r["iterations"] == 20, r["iterations"])
        check(f"run.certified {name}", r["certificate"] is not None and r["certificate"] <= 1e-12, r["certificate"])
        check(f"run.descriptors {name}", r["descriptors"] is None, r["descriptors"])  # not computed without P
        check(f"run.policy {name}", len(r["policy"]) == 100000 and abs(sum(r["policy"]) - 1.0) < 1e-9, len(r["policy"]))
    nash_mp = [r for r in runs if r["solver"] == "nash_mp"][0]
    # Nash-MP at its default step contracts KL by (1 + 2 beta)^-1 per iteration at least.
    check("run.converges", nash_mp["final"]["kl_to_star"] < 1e-3, nash_mp["final"])
    with open(os.path.join(TMP, "huge", "trace.csv")) as f:
        rows = list(csv.DictReader(f))
    check("run.trace_rows", len(rows) == 42, len(rows))
    with open(os.path.join(TMP, "huge", "config.resolved.yaml")) as f:
        resolved = f.read()
    check("run.resolved_default_storage", "storage" not in resolved, resolved)

code, stdout, stderr = run(huge, "--dry-run")
check("dry_run.exit", code == 0, f"{code} {stderr}")

# --- the same n stored densely is refused before anything is built --------------------------------
for extra in [["--set", "game.storage=dense"], ["--set", "game={type: random_uniform, n: 100000}"]]:
    name = extra[1]
    code, stdout, stderr = run(huge, "--out", "dense", *extra)
    check(f"dense.exit {name}", code == 2, f"{code} {stderr}")
    check(f"dense.one_line {name}", stderr.count("\n") == 1 and stderr.startswith("error: "), stderr)
    check(f"dense.message {name}", "game.n: 100000 needs about" in stderr and "P and the equilibrium's work" in stderr
          and "GiB available, expected n <= " in stderr, stderr)
    check(f"dense.no_output {name}", not os.path.exists(os.path.join(TMP, "dense")), "output written")

# --- storage: errors are one line naming the key ----------------------------------------------------
code, stdout, stderr = run(huge, "--dry-run", "--set", "game={type: random_uniform, n: 10, storage: implicit}")
check("storage.no_implicit_form.exit", code == 2, f"{code} {stderr}")
# The generators it offers are those --list games names as having an implicit form (the registry's).
code_list, listing, _ = call([RUN, "--list", "games"], TMP)
offered = re.search(r"implicit  P is never stored: .*; available for: (.+)", listing)
check("storage.no_implicit_form.listed", code_list == 0 and offered is not None, listing)
check("storage.no_implicit_form.message",
      stderr.count("\n") == 1 and "game.storage: implicit is not available for random_uniform" in stderr
      and offered is not None and "a generator with an implicit form: " + offered.group(1) in stderr, stderr)
code, stdout, stderr = run(huge, "--dry-run", "--set", "game.storage=sparse")
check("storage.unknown.exit", code == 2 and "game.storage: 'sparse' is not a storage" in stderr, f"{code} {stderr}")
code, stdout, stderr = run(huge, "--out", "bt", "--quiet", "--set",
                           "game={type: bradley_terry, n: 300, storage: implicit}", "--set", "stop.iterations=5")
check("storage.bradley_terry_implicit", code == 0, f"{code} {stderr}")
if code == 0:
    with open(os.path.join(TMP, "bt", "summary.json")) as f:
        game = json.load(f)[0]["game"]
    check("storage.bradley_terry_spec", game.endswith(",storage=implicit)"), game)

# --- nlhf-equilibrium and --list -------------------------------------------------------------------
code, stdout, stderr = call([EQUILIBRIUM, "--game", "low_rank_disc(n=3000,dim=2)", "--beta", "0.05", "--top", "3"], TMP)
check("equilibrium.exit", code == 0, f"{code} {stderr}")
check("equilibrium.descriptors", "descriptors: not computed for an implicit game" in stdout, stdout)
check("equilibrium.certified", "equilibrium: gap_beta" in stdout, stdout)
code, stdout, stderr = run("--list", "games")
check("list.games", code == 0 and "low_rank_cyclic" in stdout and "low_rank_disc" in stdout
      and "Every game also takes storage: auto, dense, float32 or implicit" in stdout, stdout[-600:])

check.finish(TMP)
