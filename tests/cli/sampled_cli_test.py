"""Sampled runs as first-class citizens of nlhf-run and nlhf-sweep: the end-of-run table shows each
solver's queries, both cost estimates (nlhf-run --dry-run, nlhf-sweep --dry-run) turn a budget in
queries into iterations with the solver's queries per iteration, and a sweep over every solver that
accepts a sampled oracle (read from `nlhf-run --list solvers`, so a new one is covered at once) and
several seeds writes byte-identical CSVs with --jobs 1 and 2 (the wall_s columns aside). Standard
library only.

Usage: sampled_cli_test.py BIN_DIR SOURCE_DIR
"""
import csv
import io
import math
import os
import re
import sys
import tempfile

BIN, SRC = sys.argv[1], sys.argv[2]
RUN = os.path.join(BIN, "nlhf-run")
SWEEP = os.path.join(BIN, "nlhf-sweep")
TMP = tempfile.mkdtemp(prefix="nlhf_sampled_cli_test_")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Checks, call, write_in  # noqa: E402  (the folder of this script)

check = Checks()


def tool(*args):
    return call(list(args), TMP)


def write(name, text):
    return write_in(TMP, name, text)


EXPERIMENT = """
name: sampled
game: {type: random_uniform, n: 6}
beta: 0.1
seeds: [0, 1, 2]
solvers:
  - {name: omd}
  - {name: omd, oracle: {type: sampled, batch: 32, sampler: iterate}}
  - {name: egpo, oracle: {type: pairs, batch: 16, sampler: uniform}}
stop: {iterations: 200, queries: 1000}
log: {every: 10}
"""
LABELS = ["omd", "omd sampled(batch=32,sampler=iterate)", "egpo pairs(batch=16,sampler=uniform)"]
# Queries per iteration: omd estimates g once, egpo twice (g(pi_k) and g(pi_half)).
PER_ITERATION = {LABELS[1]: 32, LABELS[2]: 32}
# A run stops at the first iteration whose queries reach the budget: ceil(1000 / 32) = 32 iterations.
BUDGET_ITERATIONS = math.ceil(1000 / 32)
experiment = write("sampled.yaml", EXPERIMENT)


def table(stdout):
    """The end-of-run table: {label: {column: cell}} (labels may contain spaces; the columns do not)."""
    lines = stdout.splitlines()
    head = next((i for i, l in enumerate(lines) if l.startswith("solver ")), None)
    if head is None:
        return {}, []
    columns = lines[head].split()[1:]
    rows = {}
    for line in lines[head + 1:]:
        if not line.strip():
            break
        label = next((x for x in sorted(LABELS, key=len, reverse=True) if line.startswith(x + " ")), None)
        if label is not None:
            rows[label] = dict(zip(columns, line[len(label):].split()))
    return rows, columns


# --- nlhf-run: the end-of-run table shows queries -------------------------------------------------
code, out, err = tool(RUN, experiment, "--out", os.path.join(TMP, "run"), "--quiet")
check("run.exit", code == 0, err)
rows, columns = table(out)
check("table.columns", columns[:3] == ["iterations", "oracle_calls", "queries"], out)
check("table.rows", sorted(rows) == sorted(LABELS), out)
if sorted(rows) == sorted(LABELS):
    check("table.exact", rows["omd"]["iterations"] == "200" and rows["omd"]["oracle_calls"] == "200"
          and rows["omd"]["queries"] == "0", rows["omd"])
    for label, per in PER_ITERATION.items():
        r = rows[label]
        check(f"table.{label}", r["iterations"] == str(BUDGET_ITERATIONS) and r["oracle_calls"] == "0"
              and r["queries"] == str(BUDGET_ITERATIONS * per), r)
    # The columns are aligned (right-aligned cells end under their header, whatever the label's length).
    lines = out.splitlines()
    header = next(l for l in lines if l.startswith("solver "))
    ends = {header.index("kl_to_star") + len("kl_to_star")}
    for label in LABELS:
        line = next(l for l in lines if l.startswith(label + " ") and l[len(label):].split()[0].isdigit())
        ends.add(line.index(rows[label]["kl_to_star"], len(label)) + len(rows[label]["kl_to_star"]))
    check("table.aligned", len(ends) == 1, out)

# Without a sampled solver, no queries column.
exact = write("exact.yaml", EXPERIMENT.replace("  - {name: omd, oracle: {type: sampled, batch: 32, sampler: iterate}}\n", "")
              .replace("  - {name: egpo, oracle: {type: pairs, batch: 16, sampler: uniform}}\n", "")
              .replace("queries: 1000", "oracle_calls: 50"))
code, out, err = tool(RUN, exact, "--out", os.path.join(TMP, "exact"), "--quiet")
check("exact.exit", code == 0, err)
_, columns = table(out)
check("exact.no_queries_column", columns[:2] == ["iterations", "oracle_calls"] and "queries" not in columns, out)

# --- nlhf-run --dry-run: the query budget bounds the sampled solvers' iterations ------------------
code, out, err = tool(RUN, experiment, "--dry-run")
check("dry_run.exit", code == 0, err)
comments = [l for l in out.splitlines() if l.startswith("# ")]
for label, per in PER_ITERATION.items():
    line = next((l for l in comments if l.startswith(f"#   {label} ")), "")
    check(f"dry_run.{label}", f"<= {BUDGET_ITERATIONS} iterations, <= {BUDGET_ITERATIONS * per} queries "
          f"({per} per iteration)" in line and "oracle calls" not in line, comments)
line = next((l for l in comments if l.startswith("#   omd ")), "")
check("dry_run.exact", "<= 200 iterations, <= 200 oracle calls (1 per iteration)" in line and "queries" not in line,
      comments)
total_queries = 3 * sum(BUDGET_ITERATIONS * per for per in PER_ITERATION.values())
check("dry_run.total", any(l.startswith(f"# total: 9 runs, 600 oracle calls and {total_queries} queries at most")
                           for l in comments), comments)

# --- nlhf-sweep --dry-run: budgets in queries, swept ----------------------------------------------
grid = write("grid.yaml", EXPERIMENT + "sweep:\n  stop.queries: [1000, 4000, 1000000]\n")
code, out, err = tool(SWEEP, grid, "--dry-run", "--out", os.path.join(TMP, "grid"))
check("sweep_dry_run.exit", code == 0, err)
# Per point and seed: omd 200 calls; each sampled solver min(200, ceil(budget / 32)) x 32 queries.
calls = 3 * 3 * 200
queries = sum(3 * 2 * min(200, math.ceil(b / 32)) * 32 for b in (1000, 4000, 1000000))
m = re.search(r"at most (\S+) oracle calls and (\S+) queries", out)
check("sweep_dry_run.figures", m is not None and float(m.group(1)) == float(f"{calls:.3g}")
      and float(m.group(2)) == float(f"{queries:.3g}"), (out, calls, queries))
check("sweep_dry_run.first_line", out.startswith("3 points x seeds x solvers = 27 runs in 9 tasks"), out)

# The estimate is what the sweep then does (no tolerance: every run goes to its cap or budget).
code, out, err = tool(SWEEP, grid, "--out", os.path.join(TMP, "grid"), "--jobs", "1", "--quiet")
check("sweep.exit", code == 0, err)
if code == 0:
    with open(os.path.join(TMP, "grid", "trace.csv")) as f:
        last = {}
        for r in csv.DictReader(f):
            last[r["run_id"]] = r
    check("sweep.spent", sum(int(r["oracle_calls"]) for r in last.values()) == calls
          and sum(int(r["queries"]) for r in last.values()) == queries,
          (sum(int(r["oracle_calls"]) for r in last.values()), sum(int(r["queries"]) for r in last.values())))

# --- determinism across --jobs: every solver that accepts a sampled oracle --------------------------
code, out, err = tool(RUN, "--list", "solvers")
m = re.search(r"A sampled or pairs oracle is accepted by: ([a-z0-9_, ]+)", out)
check("list.oracle_solvers", code == 0 and m is not None, out[-600:])
names = re.split(r", | or ", m.group(1).strip()) if m else ["omd"]
check("list.includes_omd", "omd" in names, names)
entries = []
for name in names:
    entries.append(f"  - {{name: {name}, oracle: {{type: sampled, batch: 8, sampler: iterate}}}}")
    entries.append(f"  - {{name: {name}, oracle: {{type: pairs, batch: 4, sampler: uniform}}}}")
SWEPT = f"""
name: jobs
game: {{type: random_uniform, n: 5}}
beta: 0.1
seeds: {{from: 0, to: 3}}
solvers:
{chr(10).join(entries)}
stop: {{iterations: 40}}
log: {{every: 5}}
sweep:
  beta: [0.05, 0.2]
"""
swept = write("jobs.yaml", SWEPT)


def without_wall(path):
    """The file's text with every column whose name ends in wall_s emptied."""
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    wall = [i for i, c in enumerate(rows[0]) if c.endswith("wall_s")]
    for r in rows[1:]:
        for i in wall:
            r[i] = ""
    s = io.StringIO()
    csv.writer(s, lineterminator="\n").writerows(rows)
    return s.getvalue()


outputs = {}
for jobs in ("1", "2"):
    d = os.path.join(TMP, f"jobs{jobs}")
    code, out, err = tool(SWEEP, swept, "--out", d, "--jobs", jobs, "--quiet")
    check(f"jobs{jobs}.exit", code == 0, err)
    if code == 0:
        outputs[jobs] = {name: without_wall(os.path.join(d, name)) for name in ("trace.csv", "runs.csv", "summary.csv")}
if len(outputs) == 2:
    for name in ("trace.csv", "runs.csv", "summary.csv"):
        check(f"jobs.{name}", outputs["1"][name] == outputs["2"][name], f"{name} differs between --jobs 1 and 2")
    trace = list(csv.DictReader(io.StringIO(outputs["1"]["trace.csv"])))
    check("jobs.rows", len(trace) == 2 * 4 * len(entries) * 9, len(trace))  # points x seeds x solvers x logged iterations
    check("jobs.all_solvers", {r["solver"] for r in trace} == set(names), {r["solver"] for r in trace})
    # The seeds draw different samples: a solver's final gap differs across seeds.
    finals = {}
    for r in trace:
        if r["iter"] == "40" and r["beta"] == "0.05":
            finals.setdefault(r["label"], set()).add(r["gap_beta"])
    check("jobs.seeds_differ", all(len(v) == 4 for v in finals.values()), finals)

# --- a budget the iteration cap cuts short: nlhf-sweep's end line counts those runs --------------
CAPPED = """
name: capped
game: {type: random_uniform, n: 6}
beta: 0.1
seeds: [0, 1]
solvers:
  - {name: omd, oracle: {type: sampled, batch: 16}}
  - {name: omd}
stop: {queries: 200000}
sweep:
  solvers[0].oracle.batch: [16, 4096]
"""
code, out, err = tool(SWEEP, write("capped.yaml", CAPPED), "--out", os.path.join(TMP, "capped"), "--quiet")
# B = 16 spends 16 000 queries in the 1000 default iterations (2 seeds); B = 4096 reaches the budget;
# the exact omd spends no queries.
check("capped.note", code == 0 and "note: the iteration cap (stop.iterations) ended 2 of the 8 runs before their "
      "query or oracle-call budget" in out, f"{code} {out} {err}")
code, out, err = tool(SWEEP, write("uncapped.yaml", CAPPED.replace("{queries: 200000}",
                                                                    "{queries: 200000, iterations: 20000}")),
                      "--out", os.path.join(TMP, "uncapped"), "--quiet")
check("uncapped.no_note", code == 0 and "note:" not in out, out)

code, out, err = tool(RUN, write("capped_run.yaml", CAPPED.split("sweep:")[0]), "--dry-run")
check("capped.dry_run_note", code == 0 and "note: the iteration cap stop.iterations = 1000 ends this run before its "
      "budget of 200000 queries" in out, f"{code} {out} {err}")

check.finish(TMP)
