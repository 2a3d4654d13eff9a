"""Oracles from the command line (oracle.h, config): a sampled omd run through nlhf-run and
nlhf-sweep, its determinism (same seed, any --jobs), the query budget, `--list solvers`, and one
`error:` line with exit 2 for each bad oracle configuration. Standard library only.

Usage: oracle_cli_test.py BIN_DIR SOURCE_DIR
"""
import csv
import io
import os
import re
import subprocess
import sys
import tempfile

BIN, SRC = sys.argv[1], sys.argv[2]
RUN = os.path.join(BIN, "nlhf-run")
SWEEP = os.path.join(BIN, "nlhf-sweep")
TMP = tempfile.mkdtemp(prefix="nlhf_oracle_test_")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Checks, call, write_in  # noqa: E402  (the folder of this script)

check = Checks()


def call_tool(tool, *args):
    return call([tool, *args], TMP)


def write(name, text):
    return write_in(TMP, name, text)


def rows(path):
    with open(path) as f:
        return [{k: v for k, v in r.items() if k != "wall_s"} for r in csv.DictReader(io.StringIO(f.read()))]


SAMPLED = """
name: sampled
game: {type: random_uniform, n: 6}
beta: 0.1
seeds: [0, 1, 2]
solvers:
  - {name: omd}
  - {name: omd, oracle: {type: sampled, batch: 32, sampler: iterate}}
  - {name: omd, oracle: {type: pairs, batch: 16, sampler: uniform}}
  - {name: omd, oracle: {type: sampled, batch: 8, sampler: reference}}
  - {name: egpo, oracle: {type: pairs, batch: 16, sampler: uniform}}
  - {name: nash_md_pg, oracle: {type: sampled, batch: 25}}
stop: {iterations: 200, queries: 1000}
log: {every: 10}
"""
good = write("sampled.yaml", SAMPLED)

# --- determinism: same seed -> same trace; --jobs 1 and 2 agree --------------------------------
traces = {}
for name, jobs in (("a", "1"), ("b", "1"), ("c", "2")):
    code, out, err = call_tool(RUN, good, "--out", os.path.join(TMP, name), "--jobs", jobs, "--quiet")
    check(f"run.{name}.exit", code == 0, err)
    traces[name] = rows(os.path.join(TMP, name, "trace.csv"))
check("run.repeat", traces["a"] == traces["b"], "two runs with the same seed differ")
check("run.jobs", traces["a"] == traces["c"], "--jobs 2 changed the trace")

# --- what the trace says: queries counted, the budget fires, the exact run is unaffected -------
last = {}
for r in traces["a"]:
    last[(r["label"], r["seed"])] = r
labels = sorted({r["label"] for r in traces["a"]})
check("labels", labels == ["egpo pairs(batch=16,sampler=uniform)", "nash_md_pg sampled(batch=25,sampler=iterate)",
                           "omd", "omd pairs(batch=16,sampler=uniform)", "omd sampled(batch=32,sampler=iterate)",
                           "omd sampled(batch=8,sampler=reference)"], labels)
for (label, seed), r in last.items():
    if label == "omd":
        check("exact.counts", r["iter"] == "200" and r["oracle_calls"] == "200" and r["queries"] == "0", r)
        continue
    batch = int(label.split("batch=")[1].split(",")[0])
    batch *= 2 if label.startswith("egpo") else 1  # egpo estimates g(pi_k) and g(pi_half)
    its = -(-1000 // batch)  # the first iteration at which batch * it >= 1000
    check(f"budget.{label}.{seed}", r["iter"] == str(its) and r["queries"] == str(its * batch)
          and r["oracle_calls"] == "0", r)
# Different seeds draw different samples.
s32 = [r["gap_beta"] for (label, _), r in sorted(last.items()) if label.startswith("omd sampled(batch=32")]
check("seeds.differ", len(set(s32)) == 3, s32)
key = lambda r: {k: v for k, v in r.items() if k != "experiment"}  # noqa: E731

# --- the resolved config reproduces the run ---------------------------------------------------
code, out, err = call_tool(RUN, os.path.join(TMP, "a", "config.resolved.yaml"), "--out", os.path.join(TMP, "again"),
                      "--quiet")
check("resolved.exit", code == 0, err)
again = rows(os.path.join(TMP, "again", "trace.csv"))
check("resolved.same", [key(r) for r in again] == [key(r) for r in traces["a"]], "config.resolved.yaml differs")

# --- nlhf-sweep over the batch, --jobs 1 and 2 -------------------------------------------------
grid = write("grid.yaml", SAMPLED + "sweep:\n  solvers[1].oracle.batch: [4, 64]\n")
sweeps = {}
for jobs in ("1", "2"):
    d = os.path.join(TMP, f"sweep{jobs}")
    code, out, err = call_tool(SWEEP, grid, "--out", d, "--jobs", jobs, "--quiet")
    check(f"sweep.jobs{jobs}.exit", code == 0, err)
    sweeps[jobs] = rows(os.path.join(d, "trace.csv")) if code == 0 else None
check("sweep.jobs", sweeps["1"] is not None and sweeps["1"] == sweeps["2"], "--jobs 2 changed the sweep trace")
swept = sorted({r["label"] for r in sweeps["1"] or []
                if r["label"].startswith("omd sampled(batch=") and "iterate" in r["label"]})
check("sweep.labels", swept == ["omd sampled(batch=4,sampler=iterate)", "omd sampled(batch=64,sampler=iterate)"], swept)

# --- --list solvers ----------------------------------------------------------------------------
code, out, err = call_tool(RUN, "--list", "solvers")
check("list.exit", code == 0, err)
# The list is the solvers' own (AcceptsSampledOracle), so a new solver joins it with no edit here:
# these are the ones known to accept an oracle, and to refuse one.
accepting = re.search(r"A sampled or pairs oracle is accepted by: ([a-z0-9_, ]+)", out)
oracle_solvers = re.split(r", | or ", accepting.group(1).strip()) if accepting else []
check("list.oracle", {"nash_mp", "nash_mp_pg", "nash_prox", "egpo", "omd", "mmd", "nash_md", "nash_md_pg"} <= set(oracle_solvers)
      and not {"prox", "mwu", "omwu"} & set(oracle_solvers), out[-600:])
ORACLE_SOLVERS = accepting.group(1).strip() if accepting else "(not listed)"

# --- one error line each, exit 2 ---------------------------------------------------------------
BASE = """
name: bad
game: {type: random_uniform, n: 4}
beta: 0.1
solvers:
  - SOLVER
stop: STOP
"""
CASES = [
    ("batch0", "{name: omd, oracle: {type: sampled, batch: 0}}", "{iterations: 5}",
     "solvers[0].oracle.batch: '0' is out of range"),
    ("batch_negative", "{name: omd, oracle: {type: pairs, batch: -3}}", "{iterations: 5}",
     "solvers[0].oracle.batch: '-3' is out of range"),
    ("unknown_type", "{name: omd, oracle: {type: bernoulli}}", "{iterations: 5}",
     "solvers[0].oracle.type: 'bernoulli' is not an oracle type, expected exact, sampled or pairs"),
    ("unknown_sampler", "{name: omd, oracle: {type: sampled, sampler: policy}}", "{iterations: 5}",
     "solvers[0].oracle.sampler: 'policy' is not a sampler, expected iterate, uniform or reference"),
    # A misspelled oracle reads as exact: the query budget is then not a second error.
    ("typo_with_budget", "{name: omd, oracle: {tpye: sampled, batch: 64}}", "{iterations: 5, queries: 100}",
     "solvers[0].oracle.tpye: unknown key 'tpye' (did you mean 'type'?)"),
    ("bad_type_with_budget", "{name: omd, oracle: {type: sampeld}}", "{iterations: 5, queries: 100}",
     "solvers[0].oracle.type: 'sampeld' is not an oracle type"),
    ("batch_without_type", "{name: omd, oracle: {batch: 8}}", "{iterations: 5}",
     "solvers[0].oracle.type: is missing (the default, exact, takes no batch), expected type: sampled or type: "
     "pairs with batch and sampler, or type: exact"),
    ("sampler_without_type", "{name: omd, oracle: {sampler: uniform}}", "{iterations: 5}",
     "solvers[0].oracle.type: is missing (the default, exact, takes no sampler)"),
    ("unknown_key", "{name: omd, oracle: {type: sampled, size: 3}}", "{iterations: 5}",
     "solvers[0].oracle.size: unknown key 'size'"),
    ("refused", "{name: prox, oracle: {type: sampled, batch: 8}}", "{iterations: 5}",
     "solvers[0].oracle.type: sampled is not available for prox (it needs the exact P pi), expected exact, "
     "or one of the solvers that accept a sampled oracle: " + ORACLE_SOLVERS),
    ("refused_mwu", "{name: mwu, oracle: {type: pairs}}", "{iterations: 5}",
     "solvers[0].oracle.type: pairs is not available for mwu (it needs the exact P pi), expected exact, or one of "
     "the solvers that accept a sampled oracle: "),
    ("scalar", "{name: omd, oracle: sampled}", "{iterations: 5}",
     "solvers[0].oracle: 'sampled' is a single value, expected a map with keys type, batch or sampler"),
    ("list", "{name: omd, oracle: [sampled, 8]}", "{iterations: 5}",
     "solvers[0].oracle: is a list, expected a map with keys type, batch or sampler"),
    ("empty", "{name: omd, oracle: }", "{iterations: 5}",
     "solvers[0].oracle: is empty, expected a map with keys type, batch or sampler"),
    ("batch_fraction", "{name: omd, oracle: {type: sampled, batch: 1.5}}", "{iterations: 5}",
     "solvers[0].oracle.batch: '1.5' is not an integer, expected integer in [1, 1000000000]"),
    ("batch_huge", "{name: omd, oracle: {type: sampled, batch: 1e12}}", "{iterations: 5}",
     "solvers[0].oracle.batch: '1e12' is out of range, expected integer in [1, 1000000000]"),
    ("exact_budget", "{name: omd}", "{iterations: 5, queries: 100}",
     "stop.queries: 100 can never be reached: no solver makes preference queries (every solver uses the exact "
     "oracle)"),
    ("reference_gap", "{name: omd, reference_gap: 0.001, oracle: {type: sampled}}", "{iterations: 5}",
     "solvers[0].reference_gap: 0.001 needs the exact subgame gap, which a sampled oracle does not give"),
    ("reference_gap_egpo", "{name: egpo, reference_gap: 0.001, oracle: {type: pairs}}", "{iterations: 5}",
     "solvers[0].reference_gap: 0.001 needs the exact subgame gap, which a pairs oracle does not give"),
]
for name, solver, stop, expected in CASES:
    path = write(f"{name}.yaml", BASE.replace("SOLVER", solver).replace("STOP", stop))
    code, out, err = call_tool(RUN, path, "--out", os.path.join(TMP, name), "--quiet")
    lines = err.splitlines()
    check(f"error.{name}.exit", code == 2, (code, err))
    check(f"error.{name}.one_line", len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0]
          and out == "", err)

# The same through nlhf-sweep, where one point of the grid is bad: one line naming the point.
SWEEP_CASES = [
    ("batch0", "{name: omd, oracle: {type: sampled, batch: 4}}", "solvers[0].oracle.batch: [4, 0]",
     "at sweep point 1 (solvers[0].oracle.batch=0): solvers[0].oracle.batch: '0' is out of range"),
    ("refused", "{name: omd, oracle: {type: sampled, batch: 4}}", "solvers[0].name: [omd, mwu]",
     "at sweep point 1 (solvers[0].name=mwu): solvers[0].oracle.type: sampled is not available for mwu"),
    ("sampler", "{name: omd, oracle: {type: sampled, batch: 4}}", "solvers[0].oracle.sampler: [uniform, policy]",
     "solvers[0].oracle.sampler: 'policy' is not a sampler, expected iterate, uniform or reference"),
    ("exact_budget", "{name: omd, oracle: {type: sampled, batch: 4}}", "solvers[0].oracle.type: [sampled, exact]",
     "at sweep point 1 (solvers[0].oracle.type=exact): stop.queries: 100 can never be reached"),
]
for name, solver, swept, expected in SWEEP_CASES:
    path = write(f"sweep_{name}.yaml", BASE.replace("SOLVER", solver).replace("STOP", "{iterations: 5, queries: 100}")
                 + f"sweep:\n  {swept}\n")
    code, out, err = call_tool(SWEEP, path, "--out", os.path.join(TMP, f"sweep_{name}"), "--quiet")
    lines = err.splitlines()
    check(f"sweep_error.{name}.exit", code == 2, (code, err))
    check(f"sweep_error.{name}.one_line", len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0],
          err)

check.finish(TMP)
