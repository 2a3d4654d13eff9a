"""beta = 0 through the tools a user runs: nlhf-run states which Nash equilibrium pi* is and fills
kl_to_star / kl_to_ne / the average's columns against it; summary.json describes it; nlhf-sweep runs
beta = 0 and sweeps ne_selection; careless inputs get one error line and leave nothing behind.
Usage: beta_zero_cli_test.py BIN_DIR SOURCE_DIR"""
import csv
import json
import math
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Checks, call, write_in  # noqa: E402

BIN, _SRC = sys.argv[1], sys.argv[2]
TMP = tempfile.mkdtemp(prefix="nlhf_beta_zero_")
check = Checks()

# COMAL's game: its NE is (4/11, 3/11, 4/11), unique.
run_yaml = write_in(TMP, "zero.yaml", """name: zero
game: {type: rps3, x: 0.9, y: 0.9, z: 0.8}
reference: {type: softmax_normal, scale: 1}
beta: 0
solvers:
  - {name: mwu, eta: 0.1}
  - {name: omwu, eta: 0.5}
stop: {iterations: 3000}
log: {spacing: log, points_per_decade: 3}
""")
code, out, err = call([os.path.join(BIN, "nlhf-run"), run_yaml, "--out", "r"], TMP)
check("run.exit", code == 0, err)
check("run.states_the_rule", "selected by ne_selection: kl_projection" in out, out)
check("run.states_the_point", "unique, support 3/3 {0,1,2}, the Nash set is a point" in out, out)
with open(os.path.join(TMP, "r", "trace.csv")) as f:
    rows = list(csv.DictReader(f))
ne = [4 / 11, 3 / 11, 4 / 11]
last = {r["label"]: r for r in rows}
for label, r in last.items():
    check(f"run.{label}.kl_to_star_is_kl_to_ne", r["kl_to_star"] == r["kl_to_ne"] != "", str(r))
    check(f"run.{label}.undefined_cells_empty", r["kl_from_star"] == r["span"] == r["fp_residual"] == "", str(r))
    check(f"run.{label}.average_columns", r["average_gap_0"] != "" and r["average_kl_to_ne"] != "", str(r))
check("run.omwu_converges", float(last["omwu(eta=0.5)"]["kl_to_ne"]) < 1e-12, last["omwu(eta=0.5)"]["kl_to_ne"])
check("run.mwu_average_beats_last",
      float(last["mwu(eta=0.1)"]["average_kl_to_ne"]) < 0.01 * float(last["mwu(eta=0.1)"]["kl_to_ne"]),
      str(last["mwu(eta=0.1)"]))
with open(os.path.join(TMP, "r", "summary.json")) as f:
    summary = json.load(f)
s0 = summary[0]
check("summary.pi_star", all(abs(a - b) < 1e-14 for a, b in zip(s0["pi_star"], ne)), str(s0["pi_star"]))
check("summary.certificate_is_gap_0", s0["certificate"] is not None and s0["certificate"] <= 1e-9, str(s0["certificate"]))
nash = s0.get("nash_equilibrium", {})
check("summary.nash", nash.get("certified") is True and nash.get("selection") == "kl_projection" and
      nash.get("unique") is True and nash.get("support") == [0, 1, 2] and nash.get("lp_status") == "optimal", str(nash))
# The KL in the trace is KL(pi_NE || pi) of the logged policy.
pol = s0["policy"]
kl = sum(p * math.log(p / q) for p, q in zip(ne, pol))
check("summary.kl_matches", abs(kl - s0["final"]["kl_to_star"]) <= 1e-12 * max(1.0, kl), f"{kl} vs {s0['final']}")

# Careless inputs: one error line, exit 2, no output directory.
bad = [
    ("span", None, "'span' is not defined at beta = 0"),
    ("selection", "ne_selection: maxent\n", "ne_selection: 'maxent' is not allowed, expected kl_projection or max_entropy"),
    ("solver", None, "0 is not allowed with solvers[0] = nash_mp"),
    ("implicit", None, "0 needs the beta = 0 equilibrium, whose linear programs are not offered for an implicit game"),
]
for name, extra, message in bad:
    text = open(run_yaml).read()
    if name == "span":
        text = text.replace("log: {spacing: log, points_per_decade: 3}", "log: {metrics: [gap_0, span]}")
    elif name == "solver":
        text = text.replace("{name: mwu, eta: 0.1}", "{name: nash_mp}")
    elif name == "implicit":
        text = text.replace("{type: rps3, x: 0.9, y: 0.9, z: 0.8}", "{type: low_rank_cyclic, n: 300, k: 2}")
    else:
        text += extra
    path = write_in(TMP, f"bad_{name}.yaml", text)
    out_dir = os.path.join(TMP, f"bad_{name}")
    code, out, err = call([os.path.join(BIN, "nlhf-run"), path, "--out", out_dir], TMP)
    lines = err.strip().splitlines()
    check(f"bad.{name}", code == 2 and len(lines) == 1 and lines[0].startswith("error: ") and message in err and
          not os.path.exists(out_dir), f"{code} {err!r}")

# nlhf-sweep: beta = 0 with both selections on degenerate tournaments.
sweep_yaml = write_in(TMP, "sweep.yaml", """name: zs
game: {type: tournament, n: 9, ties: 0.3}
reference: {type: softmax_normal, scale: 1}
beta: 0
seeds: {from: 0, to: 3}
solvers: [{name: omwu, eta: 0.5}]
stop: {iterations: 200}
log: {spacing: log, points_per_decade: 2, metrics: [gap_0, kl_to_ne]}
sweep:
  ne_selection: [kl_projection, max_entropy]
""")
code, out, err = call([os.path.join(BIN, "nlhf-sweep"), sweep_yaml, "--out", "s", "--jobs", "2"], TMP)
check("sweep.exit", code == 0, err)
with open(os.path.join(TMP, "s", "runs.csv")) as f:
    runs = list(csv.DictReader(f))
check("sweep.runs", len(runs) == 8 and {r["ne_selection"] for r in runs} == {"kl_projection", "max_entropy"}, str(runs[:1]))
check("sweep.kl_to_ne_filled", all(r["kl_to_ne"] != "" and r["average_kl_to_ne"] != "" for r in runs), str(runs[:1]))
# Where the Nash set is not a point the two selections are different targets.
by = {(r["seed"], r["ne_selection"]): float(r["kl_to_ne"]) for r in runs}
check("sweep.selections_differ", any(by[(s, "kl_projection")] != by[(s, "max_entropy")] for s in "0123"), str(by))
code, out, err = call([os.path.join(BIN, "nlhf-sweep"), sweep_yaml, "--out", "s", "--jobs", "2"], TMP)
check("sweep.resume_runs_nothing", code == 0 and "0 tasks run now" in out, out + err)

check.finish(TMP)
