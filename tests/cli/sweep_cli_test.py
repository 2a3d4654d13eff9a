"""nlhf-sweep: expansion, validation, determinism, shards, resume after SIGKILL (docs/cli.md).
Standard library only. Usage: sweep_cli_test.py BIN_DIR SOURCE_DIR"""
import csv
import fcntl
import os
import pty
import re
import signal
import subprocess
import sys
import tempfile
import time

BIN = sys.argv[1]
SWEEP = os.path.join(BIN, "nlhf-sweep")
TMP = tempfile.mkdtemp(prefix="nlhf_sweep_test_")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Checks, call, write_in  # noqa: E402  (the folder of this script)

check = Checks()


def run(*args):
    return call([SWEEP, *args], TMP)


def write(name, text):
    return write_in(TMP, name, text)


def rows(path, drop=("wall_s",)):
    with open(path) as f:
        return [{k: v for k, v in r.items() if k not in drop} for r in csv.DictReader(f)]


def outputs(d):
    return {name: rows(os.path.join(d, name)) for name in ("trace.csv", "runs.csv", "summary.csv")}


BASE = """
name: grid
game: {type: random_uniform, n: 5}
reference: {type: softmax_normal}
beta: 0.1
seeds: [0, 1]
solvers:
  - {name: nash_mp}
  - {name: omd, eta: 0.3}
stop: {iterations: 60, tolerance: {gap_beta: 1.0e-12}}
log: {every: 10}
"""
GRID = BASE + """
sweep:
  game.n: [4, 6]
  solvers[1].eta: [0.2, 0.4]
zip:
  - {beta: [0.05, 0.5], stop.iterations: [80, 40]}
"""

# --- expansion ----------------------------------------------------------------------------------
grid = write("grid.yaml", GRID)
code, out, err = run(grid, "--dry-run")
check("dry_run.exit", code == 0, err)
check("dry_run.count_first", out.splitlines()[0].startswith("8 points x seeds x solvers"), out)
# 2 (n) x 2 (eta) x 2 (zip) = 8 points; x 2 seeds x 2 solvers = 32 runs in 16 tasks.
check("dry_run.counts", "8 points x seeds x solvers = 32 runs in 16 tasks" in out, out)
check("dry_run.points", "point 0: game.n=4, solvers[1].eta=0.2, beta=0.05, stop.iterations=80" in out, out)
# A large sweep says how many points it is validating before it validates them (on stderr, so
# stdout stays empty when a point turns out invalid).
big = write("big.yaml", BASE + "sweep:\n  solvers[1].eta: [" + ", ".join(str(0.01 + k * 1e-4) for k in range(1500)) + "]\n")
code, out, err = run(big, "--dry-run")
check("dry_run.big_count_first", code == 0 and err.startswith("nlhf-sweep: 1500 points; validating each"), err)
bad = write("big_bad.yaml", BASE + "sweep:\n  solvers[1].eta: [" + ", ".join([str(0.01 + k * 1e-4) for k in range(1499)] + ["-1"]) + "]\n")
code, out, err = run(bad, "--dry-run")
check("dry_run.big_invalid", code == 2 and out == "" and "at sweep point 1499" in err, f"{code} {out!r} {err}")
check("dry_run.no_output", not os.path.exists(os.path.join(TMP, "runs")), "dry run wrote output")

bad_point = write("bad_point.yaml", BASE + "sweep:\n  game.n: [4, 1]\n")
code, out, err = run(bad_point, "--out", os.path.join(TMP, "never"))
check("invalid_point.exit2", code == 2, err)
check("invalid_point.message", "at sweep point 1 (game.n=1)" in err and "game.n: '1' is out of range" in err, err)
check("invalid_point.nothing_ran", not os.path.exists(os.path.join(TMP, "never")), "output created")
# The same error at every point (a swept value the base cannot take) is one line, with the count.
same_bad = write("same_bad.yaml", BASE + "sweep:\n  solvers[0].oracle.batch: [1, 2, 3, 4]\n")
code, out, err = run(same_bad, "--dry-run")
check("same_error.one_line", code == 2 and out == "" and len(err.strip().splitlines()) == 1
      and "at sweep point 0" in err and "oracle.type: is missing" in err and "(the same at 3 more points)" in err,
      f"{code} {out!r} {err}")
bad_zip = write("bad_zip.yaml", BASE + "zip:\n  - {beta: [0.1, 0.2], stop.iterations: [10]}\n")
code, _, err = run(bad_zip, "--dry-run")
check("zip_lengths", code == 2 and "expected lists of equal length" in err, err)
bad_key = write("bad_key.yaml", BASE + "sweep:\n  game.nn: [4]\n")
code, _, err = run(bad_key, "--dry-run")
check("swept_unknown_key", code == 2 and "unknown key 'nn' (did you mean 'n'?)" in err, err)
# Swept values written in block style are labelled on one line, in flow style (they were written as
# they stood: "type: cyclic\nn: 3" in a runs.csv cell and "\n" in the error line).
BLOCK = BASE.replace("stop: {iterations: 60, tolerance: {gap_beta: 1.0e-12}}", "stop: {iterations: 5}") + """
sweep:
  game:
    - type: cyclic
      n: 3
    - type: random_uniform
      n: NNN
"""
code, _, err = run(write("block_bad.yaml", BLOCK.replace("NNN", "1")), "--dry-run")
check("block_values.error_one_line", code == 2 and "at sweep point 1 (game={type: random_uniform, n: 1})" in err
      and "\\n" not in err, err)
code, _, err = run(write("block.yaml", BLOCK.replace("NNN", "4")), "--out", os.path.join(TMP, "block"), "--quiet")
block_games = [r["game"] for r in rows(os.path.join(TMP, "block", "runs.csv"))]
check("block_values.flow_labels", code == 0 and block_games[:1] + block_games[-1:] ==
      ["{type: cyclic, n: 3}", "{type: random_uniform, n: 4}"], f"{code} {err} {block_games}")

# --- a full run; --jobs does not change the output -----------------------------------------------
outs = {}
for jobs in ("1", "2"):
    d = os.path.join(TMP, f"jobs{jobs}")
    code, out, err = run(grid, "--out", d, "--jobs", jobs, "--quiet")
    check(f"run.jobs{jobs}.exit", code == 0, err)
    outs[jobs] = outputs(d)
check("jobs.identical", outs["1"] == outs["2"], "outputs differ between --jobs 1 and 2")
o = outs["1"]
check("runs.count", len(o["runs.csv"]) == 32, str(len(o["runs.csv"])))
check("runs.unique_ids", len({r["run_id"] for r in o["runs.csv"]}) == 32, "duplicate run ids")
check("runs.columns", list(o["runs.csv"][0].keys())[:6] == ["run_id", "point", "game.n", "solvers[1].eta", "beta",
                                                            "stop.iterations"], str(list(o["runs.csv"][0].keys())))
check("trace.runs", {r["run_id"] for r in o["trace.csv"]} == {r["run_id"] for r in o["runs.csv"]}, "trace/runs mismatch")
eta_params = {r["params"] for r in o["runs.csv"] if r["solver"] == "omd"}
check("key_path_into_solvers", any("eta=0.2" in p for p in eta_params) and any("eta=0.4" in p for p in eta_params),
      str(eta_params))
ns = {r["game"].split(",")[0] for r in o["trace.csv"]}
check("swept_n", ns == {"random_uniform(n=4", "random_uniform(n=6"}, str(ns))
check("summary.rows", len(o["summary.csv"]) == 16, str(len(o["summary.csv"])))  # 8 points x 2 solvers
s0 = o["summary.csv"][0]
check("summary.quartiles", float(s0["gap_beta_q25"]) <= float(s0["gap_beta_median"]) <= float(s0["gap_beta_q75"]),
      str(s0))
check("summary.runs_per_cell", all(r["runs"] == "2" for r in o["summary.csv"]), "two seeds per cell")

# --- shards merged equal the single-process run --------------------------------------------------
shard_dirs = []
for k in (1, 2, 3):
    d = os.path.join(TMP, f"shard{k}")
    code, out, err = run(grid, "--out", d, "--shard", f"{k}/3", "--quiet")
    check(f"shard{k}.exit", code == 0, err)
    shard_dirs.append(d)
    check(f"shard{k}.partial", not os.path.exists(os.path.join(d, "trace.csv")), "a shard assembled alone")
code, out, err = run("--merge", *shard_dirs, "--out", os.path.join(TMP, "merged"))
check("merge.exit", code == 0, err)
check("merge.equals_single", outputs(os.path.join(TMP, "merged")) == o, "merged output differs")
# The merged directory is a finished sweep: the sweep run into it runs nothing, and keeps trace.csv.
merged_trace = os.path.join(TMP, "merged", "trace.csv")
before = os.stat(merged_trace)
code, out, err = run(grid, "--out", os.path.join(TMP, "merged"), "--quiet")
after = os.stat(merged_trace)
check("merge.then_run_reuses_every_task", code == 0 and " 0 tasks run now" in out and
      (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns), out + err)
check("merge.then_run_same_output", outputs(os.path.join(TMP, "merged")) == o, "output changed")
# A finished sweep whose trace.csv was touched (or copied without cp -a) cannot be merged: the error
# says why, not only that its tasks are missing.
touched = os.path.join(TMP, "touched_merged")
subprocess.run(["cp", "-r", os.path.join(TMP, "merged"), touched], check=True)
code, _, err = run("--merge", touched, "--out", os.path.join(TMP, "from_touched"))
check("merge.touched_says_why", code == 2 and "trace.csv is not the file it finished with" in err and
      "copy without cp -a" in err and not os.path.exists(os.path.join(TMP, "from_touched")), err)
code, _, err = run("--merge", shard_dirs[0], shard_dirs[1], "--out", os.path.join(TMP, "incomplete"))
# The missing tasks are named with their place, which tells the shard to run again (here 3/3 holds
# tasks 3, 6, ...), and each directory's count is given.
check("merge.incomplete", code == 2 and " tasks are missing: sweep point " in err and " (task 3 of " in err and
      "(task 1 of" not in err and "(task 2 of" not in err and
      "; the 2 directories given hold " in err and "--shard K/N runs task P when" in err, err)
# A shard directory holding none of the tasks (its run stopped before one finished) is named.
empty_shard = os.path.join(TMP, "empty_shard")
subprocess.run(["cp", "-a", shard_dirs[2], empty_shard], check=True)
for name in os.listdir(empty_shard):
    if name in ("trace.csv", "runs.csv", "summary.csv", "config.resolved.yaml"):
        os.remove(os.path.join(empty_shard, name))
for name in os.listdir(os.path.join(empty_shard, ".parts")):
    if name != "manifest.yaml":
        os.remove(os.path.join(empty_shard, ".parts", name))
code, _, err = run("--merge", shard_dirs[0], shard_dirs[1], empty_shard, "--out", os.path.join(TMP, "incomplete"))
check("merge.names_an_empty_shard", code == 2 and "the 3 directories given hold " in err and
      f"({empty_shard} holds none)" in err and not os.path.exists(os.path.join(TMP, "incomplete")), err)
# A shard directory that is not there, or is a file, is named for what it is (not "holds no results").
for label, path, says in [("missing", os.path.join(TMP, "no_such_shard"), "does not exist"),
                          ("file", write("a_file", "x\n"), "is not a directory"),
                          ("under_file", os.path.join(TMP, "a_file", "sub"), "cannot be read (Not a directory)"),
                          ("empty", os.path.join(TMP, "empty_dir"), "holds no sweep results")]:
    if label == "empty":
        os.makedirs(path, exist_ok=True)
    code, out, err = run("--merge", path, "--out", os.path.join(TMP, "from_" + label))
    check(f"merge.{label}_shard", code == 2 and out == "" and err.count("\n") == 1 and
          err == f"error: {path}: --merge: {says}, expected an nlhf-sweep output directory\n" and
          not os.path.exists(os.path.join(TMP, "from_" + label)), err)
# A shard directory named twice (here as shard1 and shard1/) is refused, not merged as two.
code, out, err = run("--merge", shard_dirs[0], shard_dirs[1], shard_dirs[0] + "/", shard_dirs[2], "--out",
                     os.path.join(TMP, "twice"))
check("merge.same_shard_twice", code == 2 and out == "" and
      err == f"error: {shard_dirs[0]}/: --merge: is {shard_dirs[0]} again, expected each shard directory once\n" and
      not os.path.exists(os.path.join(TMP, "twice")), err)
other = os.path.join(TMP, "other")
run(write("other.yaml", BASE), "--out", other, "--quiet")
code, _, err = run("--merge", shard_dirs[0], other, "--out", os.path.join(TMP, "mixed"))
check("merge.refuses_other_sweep", code == 2 and "different sweep" in err, err)
# A shard being written is not merged (a lock held as nlhf-sweep holds it), and a merge reading a
# shard keeps a sweep from writing it (a shared lock, as the merge takes).
lock_path = os.path.join(shard_dirs[0], ".nlhf-lock")
with open(lock_path, "r+") as lock:
    fcntl.flock(lock, fcntl.LOCK_EX)
    lock.seek(0)
    lock.truncate()
    lock.write(f"{os.getpid()}\n")
    lock.flush()
    code, _, err = run("--merge", *shard_dirs, "--out", os.path.join(TMP, "while_written"))
check("merge.waits_for_a_writer", code == 2 and f"is being written by process {os.getpid()}" in err and
      not os.path.exists(os.path.join(TMP, "while_written")), err)
gone = subprocess.Popen(["true"])
gone.wait()
with open(lock_path, "r+") as lock:
    lock.truncate()
    lock.write(f"{gone.pid}\n")  # the last writer's pid, left in the file; that process is gone
    lock.flush()
    fcntl.flock(lock, fcntl.LOCK_SH)
    code, _, err = run(grid, "--out", shard_dirs[0], "--shard", "1/3", "--quiet")
check("merge.keeps_writers_out", code == 2 and "is being read by another process (nlhf-sweep --merge" in err and
      str(gone.pid) not in err, err)
# --force replaces a merged directory whose manifest no longer reads (without reading it).
damaged = os.path.join(TMP, "damaged_merge")
code, _, err = run("--merge", *shard_dirs, "--out", damaged)
with open(os.path.join(damaged, ".parts", "manifest.yaml"), "w") as f:
    f.write("fingerprint: [\n")
code, _, err = run("--merge", *shard_dirs, "--out", damaged)
check("merge.damaged_manifest_refused", code == 2 and "--force" in err, err)
code, _, err = run("--merge", *shard_dirs, "--out", damaged, "--force")
check("merge.damaged_manifest_forced", code == 0 and outputs(damaged) == o, err)
# A directory holding another sweep's results is not merged into without --force, and is left as it was.
other_only = os.path.join(TMP, "other_only")
run(write("other.yaml", BASE), "--out", other_only, "--quiet")
listing = sorted(os.listdir(other_only))
code, _, err = run("--merge", *shard_dirs, "--out", other_only)
check("merge.refuses_other_results", code == 2 and "holds the results of a different sweep" in err and
      sorted(os.listdir(other_only)) == listing, err)
# The SLURM layout (shards in OUT/shard-K): a merge of an extended sweep replaces the results there, as
# the sweep run into its own directory does.
layout = os.path.join(TMP, "layout")
for seeds in ("[0, 1]", "[0, 1, 2]"):
    for k in (1, 2):
        code, _, err = run(grid, "--set", f"seeds={seeds}", "--shard", f"{k}/2", "--out",
                           os.path.join(layout, f"shard-{k}"), "--quiet")
        check(f"layout.shard{k}.seeds{seeds}", code == 0, err)
    code, _, err = run("--merge", os.path.join(layout, "shard-1"), os.path.join(layout, "shard-2"), "--out", layout)
    check(f"layout.merge.seeds{seeds}", code == 0, err)
run(grid, "--set", "seeds=[0, 1, 2]", "--out", os.path.join(TMP, "three_seeds"), "--quiet")
check("layout.extended_equals_single", outputs(layout) == outputs(os.path.join(TMP, "three_seeds")),
      "the merged extension differs from a single run")
# ... and the earlier sweep's finished tasks stay there (a merge deleted them): the first sweep run
# into the folder again runs nothing, as after a changed sweep run in one process.
code, out, err = run(grid, "--set", "seeds=[0, 1]", "--out", layout, "--quiet")
check("layout.earlier_tasks_kept", code == 0 and " 0 tasks run now, 16 kept from before" in out, out + err)
other_layout = os.path.join(TMP, "other_layout")
code, out, err = run(grid, "--out", other_layout, "--quiet")
for k in (1, 2):
    run(grid, "--set", "seeds=[5, 6]", "--shard", f"{k}/2", "--out", os.path.join(other_layout, f"shard-{k}"), "--quiet")
code, out, err = run("--merge", os.path.join(other_layout, "shard-1"), os.path.join(other_layout, "shard-2"),
                     "--out", other_layout)
check("layout.merge_says_what_stays", code == 0 and "its 16 tasks that this sweep lacks stay unused in" in out,
      out + err)
code, out, err = run(grid, "--out", other_layout, "--quiet")
check("layout.other_sweep_kept", code == 0 and " 0 tasks run now, 16 kept from before" in out, out + err)
# A shard's end line says what its directory holds; the one that completes a shared directory, that
# it now holds the whole sweep. --force with --shard would delete the other shards' tasks: refused.
shared = os.path.join(TMP, "shared_shards")
code, out, _ = run(grid, "--shard", "1/2", "--out", shared, "--quiet")
check("shared.first_line", "(shard parts: 8 of the sweep's 16 tasks are stored here; run the other shards" in out, out)
code, out, err = run(grid, "--shard", "1/2", "--out", shared, "--quiet", "--force")
check("shared.force_alone", code == 0, err)  # only its own tasks there: --force starts it over
code, out, err = run(grid, "--shard", "2/2", "--out", shared, "--quiet")
check("shared.last_line", "(shard 2/2; the directory now holds every task of the sweep: trace.csv" in out, out)
code, out, err = run(grid, "--shard", "2/2", "--out", shared, "--quiet", "--force")
check("shared.force_refused", code == 2 and out == "" and err.count("\n") == 1 and
      "error: --force: with --shard 2/2 would delete the 8 tasks that other shards" in err and
      outputs(shared) == o, err)
# A directory holding another sweep is taken over: nothing of `other` is part of grid.
code, out, err = run(grid, "--out", other, "--quiet")
check("changed_sweep.takes_over", code == 0 and "16 tasks run now, 0 kept from before" in out and "2 others stay unused" in out,
      out + err)
check("changed_sweep.output_is_the_current_sweep", outputs(other) == o, "output differs from a fresh run of grid")
code, _, err = run(grid, "--shard", "4/3", "--dry-run")
check("shard.range", code == 2 and "--shard: '4/3' is out of range" in err, err)

# --- runs.csv carries the final value of every metric, named as in trace.csv -----------------------
with open(os.path.join(TMP, "jobs1", "trace.csv")) as f:
    trace_header = next(csv.reader(f))
# The metric columns, then the average iterate's few (average_gap_0, average_kl_to_ne), which runs.csv
# has for every metric.
metric_columns = [c for c in trace_header[trace_header.index("wall_s") + 1:] if not c.startswith("average_")]
with open(os.path.join(TMP, "jobs1", "runs.csv")) as f:
    runs_header = next(csv.reader(f))
check("runs.counters", runs_header[runs_header.index("iterations"):runs_header.index("iterations") + 3] ==
      ["iterations", "oracle_calls", "queries"], str(runs_header))
tail = runs_header[runs_header.index("queries") + 1:]
check("runs.metric_columns", tail == metric_columns + ["rho", "stability_limit", "target_gap_beta"] +
      ["average_" + m for m in metric_columns], str(runs_header))
last_row = {}
for r in o["trace.csv"]:
    last_row[r["run_id"]] = r  # rows of a run are in iteration order
check("runs.final_metrics", all(r[m] == last_row[r["run_id"]][m] for r in o["runs.csv"] for m in metric_columns),
      "a runs.csv metric differs from the run's last trace row")

# --- runs.csv's game and target columns agree with nlhf-run's summary.json ---------------------------
TARGETS = """
name: targets
game: {type: random_uniform, n: 6}
reference: {type: softmax_normal}
beta: 0.05
seeds: [0, 1]
solvers:
  - {name: nash_mp}
  - {name: mwu}
  - {name: nash_md, schedule: constant, anchor: iterate, eta: 2, mixture: 0.05}
  - {name: nash_md_pg, lr: 0.5}
stop: {iterations: 4000}
log: {spacing: log}
"""
import json  # noqa: E402
targets_yaml = write("targets.yaml", TARGETS)
code, out, err = run(targets_yaml, "--out", os.path.join(TMP, "targets_sweep"), "--quiet")
check("targets.sweep", code == 0, err)
p = subprocess.run([os.path.join(BIN, "nlhf-run"), targets_yaml, "--out", os.path.join(TMP, "targets_run"), "--quiet"],
                   cwd=TMP, capture_output=True, text=True)
check("targets.run", p.returncode == 0, p.stderr)
summary = {(r["solver"], str(r["seed"])): r for r in json.load(open(os.path.join(TMP, "targets_run", "summary.json")))}
target_runs = rows(os.path.join(TMP, "targets_sweep", "runs.csv"))


def num(cell):
    return float(cell) if cell != "" else None


for r in target_runs:
    js = summary[(r["solver"], r["seed"])]
    name = f"{r['solver']}/{r['seed']}"
    check(f"targets.rho.{name}", num(r["rho"]) == js["rho"] and js["rho"] > 0, f"{r['rho']} vs {js['rho']}")
    check(f"targets.limit.{name}", num(r["stability_limit"]) == js["stability_limit"],
          f"{r['stability_limit']} vs {js['stability_limit']}")
    check(f"targets.gap.{name}", num(r["target_gap_beta"]) == js["target_gap_beta"],
          f"{r['target_gap_beta']} vs {js['target_gap_beta']}")
    average = js.get("final_average")
    check(f"targets.average.{name}",
          all(num(r["average_" + m]) == (average[m] if average else None) for m in metric_columns),
          f"{[r['average_' + m] for m in metric_columns]} vs {average}")
by = {(r["solver"], r["seed"]): r for r in target_runs}
for seed in ("0", "1"):
    star, mwu = by[("nash_mp", seed)], by[("mwu", seed)]
    check(f"targets.pi_star.{seed}", 0 <= float(star["target_gap_beta"]) <= 1e-12, star["target_gap_beta"])
    check(f"targets.unregularized.{seed}", mwu["target_gap_beta"] == "" and mwu["average_gap_0"] != "",
          str(mwu))
    # The EGPO-code Nash-MD at a stable step converges to its biased point: its final gap_beta is
    # the predicted one, which is far from 0.
    md = by[("nash_md", seed)]
    predicted, final = float(md["target_gap_beta"]), float(md["gap_beta"])
    check(f"targets.biased.{seed}", predicted > 1e-8 and abs(final - predicted) <= 1e-8 * predicted,
          f"final {final} vs predicted {predicted}")
    check(f"targets.biased_pg.{seed}", float(by[("nash_md_pg", seed)]["target_gap_beta"]) > 1e-8,
          str(by[("nash_md_pg", seed)]))

# --- extending a finished sweep reuses its tasks ------------------------------------------------------
SMALL = BASE.replace("seeds: [0, 1]", "seeds: [0, 1]") + "sweep:\n  game.n: [4, 6]\n"
BIGGER = BASE.replace("seeds: [0, 1]", "seeds: [0, 1, 2]") + "sweep:\n  game.n: [4, 6, 8]\n"
ONE = BASE.replace("seeds: [0, 1]", "seeds: [1]") + "sweep:\n  game.n: [6]\n"
ext = os.path.join(TMP, "extended")
code, out, err = run(write("ext.yaml", SMALL), "--out", ext, "--quiet")
check("extend.first_run", code == 0 and "4 tasks run now, 0 kept from before" in out, out + err)
write("ext.yaml", BIGGER)  # the same file, edited: one more seed and one more point
code, out, err = run("ext.yaml", "--out", ext, "--quiet")
check("extend.reuses_finished_tasks", code == 0 and "5 tasks run now, 4 kept from before" in out and "extended or changed" in out
      and "0 others stay unused" in out, out + err)
fresh = os.path.join(TMP, "extended_fresh")
run(write("ext_fresh.yaml", BIGGER), "--out", fresh, "--quiet")
check("extend.equals_fresh_run", outputs(ext) == outputs(fresh), "extended output differs from a fresh run")


def manifest_fingerprint(d):
    with open(os.path.join(d, ".parts", "manifest.yaml")) as f:
        return re.search(r"^fingerprint: (\S+)", f.read(), re.M).group(1)


check("extend.manifest_is_current", manifest_fingerprint(ext) == manifest_fingerprint(fresh), "manifest not updated")
code, out, err = run("ext.yaml", "--out", ext, "--quiet")
check("extend.then_resumes", code == 0 and "0 tasks run now, 9 kept from before" in out and "extended or changed" not in out, out + err)
check("rerun.rate_counts_runs_done_now", "(0.0 runs/s," in out, out)
os.utime(os.path.join(ext, "trace.csv"))  # a touch: the store's index into trace.csv no longer reads
code, out, err = run("ext.yaml", "--out", ext, "--quiet")
check("touched_trace.reruns_and_says_why", code == 0 and "9 tasks run now" in out and
      "trace.csv is not the file the sweep finished with" in out, out + err)
write("ext.yaml", ONE)  # shrink it: one task left; the other 8 stay in .parts, out of the output
code, out, err = run("ext.yaml", "--out", ext, "--quiet")
check("shrink.reuses", code == 0 and "0 tasks run now, 1 kept from before" in out and "8 others stay unused" in out, out + err)
run(write("one_fresh.yaml", ONE), "--out", os.path.join(TMP, "one_fresh"), "--quiet")
check("shrink.output_is_current_only", outputs(ext) == outputs(os.path.join(TMP, "one_fresh")),
      "shrunk output differs from a fresh run")
code, _, err = run("--merge", ext, fresh, "--out", os.path.join(TMP, "mixed2"))
check("merge.still_one_sweep", code == 2 and "different sweep" in err, err)

# --- an edited input file is refused on resume -------------------------------------------------------
MATRIX = """name: m
game: {type: matrix, path: P.csv}
beta: 0.1
seeds: [0, 1]
solvers: [{name: nash_mp}, {name: omd, eta: 0.3}]
stop: {iterations: 40}
sweep:
  beta: [0.1, 0.2]
"""
write("P.csv", "0.5,0.7,0.2\n0.3,0.5,0.6\n0.8,0.4,0.5\n")
msweep = write("matrix.yaml", MATRIX)
md = os.path.join(TMP, "matrix_out")
code, out, err = run(msweep, "--out", md, "--quiet")
check("input.first_run", code == 0, err)
# A SLURM layout's first shard, run before the edit below.
code, out, err = run(msweep, "--shard", "1/2", "--out", os.path.join(TMP, "mslurm", "shard-1"), "--quiet")
check("input.slurm_shard", code == 0, err)
before = {name: open(os.path.join(md, name), "rb").read() for name in ("trace.csv", "runs.csv", "summary.csv")}
parts_before = sorted(os.listdir(os.path.join(md, ".parts")))
write("P.csv", "0.5,0.9,0.2\n0.1,0.5,0.6\n0.8,0.4,0.5\n")
code, out, err = run(msweep, "--out", md, "--quiet")
check("input.changed_refused", code == 2 and err.startswith("error: ") and len(err.splitlines()) == 1 and
      "P.csv: has changed since" in err and "--force" in err and out == "", f"{code} {out} {err}")
# A dry run into that directory is refused the same way; so is a SLURM script whose shard directory
# holds results of the old contents (its job would fail). A SLURM script into a directory of results
# but no shards is not: its merge replaces them.
code, out, err = run(msweep, "--out", md, "--dry-run")
check("input.changed_refused--dry-run", code == 2 and "P.csv: has changed since" in err and out == "", f"{code} {out} {err}")
code, out, err = run(msweep, "--out", os.path.join(TMP, "mslurm"), "--emit-slurm", "--shards", "2")
check("input.changed_refused--emit-slurm", code == 2 and "P.csv: has changed since the results in" in err and
      "shard-1" in err and out == "", f"{code} {out} {err}")
code, out, err = run(msweep, "--out", md, "--emit-slurm")
check("input.slurm_replaces_results", code == 0 and out.startswith("#!/usr/bin/env bash"), f"{code} {err}")
check("input.old_result_untouched",
      before == {name: open(os.path.join(md, name), "rb").read() for name in ("trace.csv", "runs.csv", "summary.csv")}
      and parts_before == sorted(os.listdir(os.path.join(md, ".parts"))), "the earlier result changed")
write("P.csv", "0.5,0.7,0.2\n0.3,0.5,0.6\n0.8,0.4,0.5\n")  # restored: resumes
code, out, err = run(msweep, "--out", md, "--quiet")
check("input.restored_resumes", code == 0 and "0 tasks run now, 4 kept from before" in out, out + err)
# A manifest that does not read is refused by a dry run as by the run.
manifest = os.path.join(md, ".parts", "manifest.yaml")
kept = open(manifest, "rb").read()
with open(manifest, "w") as f:
    f.write("fingerprint: [\n")
for flag in ((), ("--dry-run",)):
    code, out, err = run(msweep, "--out", md, "--quiet", *flag)
    check(f"manifest.damaged_refused{''.join(flag)}", code == 2 and err.startswith("error: ") and out == "",
          f"{code} {out} {err}")
with open(manifest, "wb") as f:
    f.write(kept)
# The same contents at another path (a copy of the inputs): the kept tasks are reused, and a note says
# that their rows name the old path.
os.makedirs(os.path.join(TMP, "copy"), exist_ok=True)
write(os.path.join("copy", "P.csv"), "0.5,0.7,0.2\n0.3,0.5,0.6\n0.8,0.4,0.5\n")
code, out, err = run(write(os.path.join("copy", "matrix.yaml"), MATRIX), "--out", md, "--quiet")
check("input.moved_note", code == 0 and "4 kept from before" in out and
      f"note: {os.path.join(TMP, 'copy', 'P.csv')} has the contents {os.path.join(TMP, 'P.csv')} had" in out, out + err)
code, out, err = run(msweep, "--out", md, "--quiet")  # back to the first path
mshards = []
for k in (1, 2):
    d = os.path.join(TMP, f"mshard{k}")
    if k == 2:
        write("P.csv", "0.5,0.9,0.2\n0.1,0.5,0.6\n0.8,0.4,0.5\n")
    run(msweep, "--out", d, "--shard", f"{k}/2", "--quiet")
    mshards.append(d)
code, _, err = run("--merge", *mshards, "--out", os.path.join(TMP, "mmerged"))
check("input.merge_refuses_mixed_shards", code == 2 and "P.csv: was read with other contents by the shard in" in err, err)
# Shards that read the same contents at two paths merge, with a note that the game column names both.
write(os.path.join("copy", "P.csv"), "0.5,0.9,0.2\n0.1,0.5,0.6\n0.8,0.4,0.5\n")
run(msweep, "--out", os.path.join(TMP, "pshard1"), "--shard", "1/2", "--quiet")
run(os.path.join(TMP, "copy", "matrix.yaml"), "--out", os.path.join(TMP, "pshard2"), "--shard", "2/2", "--quiet")
code, out, err = run("--merge", os.path.join(TMP, "pshard1"), os.path.join(TMP, "pshard2"), "--out",
                     os.path.join(TMP, "pmerged"))
check("input.merge_moved_note", code == 0 and f"note: one shard read {os.path.join(TMP, 'copy', 'P.csv')} where the "
      f"first read {os.path.join(TMP, 'P.csv')}" in out, out + err)

# --- results of another build of nlhf: reused, and said so -----------------------------------------
# The task store records the build (version, git commit) that computed each task. A rebuilt nlhf
# reuses the tasks, says which build computed them, and config.resolved.yaml lists them; --force
# computes them again. (Another build's tasks are made by editing the commit in the store's parts,
# the last field of each task line.)
def set_stored_build(d, commit):
    parts = os.path.join(d, ".parts")
    for f in os.listdir(parts):
        if f.endswith(".part"):
            path = os.path.join(parts, f)
            with open(path) as fh:
                lines = fh.read().split("\n")
            lines = [line.rsplit(",", 1)[0] + "," + commit if line.startswith("task,") else line for line in lines]
            with open(path, "w") as fh:
                fh.write("\n".join(lines))


bsweep = write("builds.yaml", BASE + "sweep:\n  beta: [0.1, 0.2]\n")
bd = os.path.join(TMP, "builds")
code, out, err = run(bsweep, "--out", bd, "--quiet")
with open(os.path.join(bd, "config.resolved.yaml")) as f:
    first_line = f.readline()
check("builds.none_reused", code == 0 and "were computed by" not in out and
      re.fullmatch(r"nlhf: \{version: [^,]+, git_commit: [^,}]+\}\n", first_line) is not None, out + first_line)
before = outputs(bd)
set_stored_build(bd, "0123456789ab")
code, out, err = run(bsweep, "--out", bd, "--quiet")
check("builds.other_build_noted", code == 0 and "0 tasks run now, 4 kept from before" in out and
      "note: 4 of the tasks kept from before were computed by nlhf " in out and "(git commit 0123456789ab), not by "
      "this build, nlhf " in out and "--force computes every task again with this build" in out, out + err)
with open(os.path.join(bd, "config.resolved.yaml")) as f:
    resolved = f.read()
check("builds.resolved_lists_them", re.search(r"^nlhf:\n  version: .+\n  git_commit: .+\n  reused:\n"
                                             r"    - \{version: .+, git_commit: 0123456789ab, tasks: 4\}\nname: ",
                                             resolved) is not None, resolved[:300])
check("builds.results_unchanged", outputs(bd) == before)
# The resolved file still runs (nlhf: is not read).
code, out, err = run(os.path.join(bd, "config.resolved.yaml"), "--out", os.path.join(TMP, "builds_again"), "--quiet")
check("builds.resolved_runs", code == 0 and outputs(os.path.join(TMP, "builds_again")) == before, out + err)
# A dry run says which stored tasks a run would keep, and which other build computed them; --force
# keeps none; nothing is written.
set_stored_build(bd, "0123456789ab")
listing = sorted(os.listdir(os.path.join(bd, ".parts")))
code, out, err = run(bsweep, "--out", bd, "--dry-run")
check("builds.dry_run_stored", code == 0 and f"stored in {bd}: all of the 4 tasks; a run computes none of them\n"
      "then it writes the final files (trace.csv, runs.csv, summary.csv, config.resolved.yaml) from them, keeping "
      "trace.csv if unchanged\n" in out and "note: 4 of the stored tasks were computed by nlhf " in out
      and "(git commit 0123456789ab)" in out, out + err)
code, out, err = run(bsweep, "--out", bd, "--dry-run", "--force")
check("builds.dry_run_force", code == 0 and
      f"--force: 4 tasks to run; anything stored in {bd} is deleted first\n" in out and
      "were computed by" not in out, out + err)
check("builds.dry_run_writes_nothing", sorted(os.listdir(os.path.join(bd, ".parts"))) == listing and
      outputs(bd) == before)
# Two builds among the tasks, extended by two new ones (this build's).
set_stored_build(bd, "0123456789ab")
ext = write("builds2.yaml", BASE.replace("seeds: [0, 1]", "seeds: [0, 1, 2]") + "sweep:\n  beta: [0.1, 0.2]\n")
code, out, err = run(ext, "--out", bd, "--dry-run")
check("builds.dry_run_extension", code == 0 and f"stored in {bd}: 4 of the 6 tasks; a run keeps them and computes the "
      f"other 2\n" in out and f"note: {bd} holds an earlier, different sweep: a run replaces its final files\n" in out,
      out + err)
code, out, err = run(ext, "--out", bd, "--dry-run", "--shard", "2/2")
check("builds.dry_run_shard", code == 0 and f"stored in {bd}: 2 of the 3 tasks of this shard; a run keeps them and "
      f"computes the other 1\nthen {bd} holds 5 of the sweep's 6 tasks: the final files are written once it holds "
      "every one" in out, out + err)
run(bsweep, "--out", os.path.join(TMP, "builds_half"), "--shard", "1/2", "--quiet")
code, out, err = run(bsweep, "--out", os.path.join(TMP, "builds_half"), "--dry-run", "--shard", "1/2")
check("builds.dry_run_shard_done", code == 0 and "all of the 2 tasks of this shard; a run computes none of them\n"
      "then " in out and "holds 2 of the sweep's 4 tasks" in out and "writes the final files" not in out, out + err)
code, out, err = run(bsweep, "--out", os.path.join(TMP, "builds_half"), "--dry-run", "--shard", "2/2")
check("builds.dry_run_shard_completes", code == 0 and "none of the 2 tasks of this shard; a run computes all of them\n"
      "then it writes the final files" in out, out + err)
code, out, err = run(ext, "--out", os.path.join(TMP, "builds_none"), "--dry-run")
check("builds.dry_run_none", code == 0 and "none of the 6 tasks; a run computes all of them" in out and
      not os.path.exists(os.path.join(TMP, "builds_none")), out + err)
code, out, err = run(ext, "--out", bd, "--quiet")
check("builds.extension_counts_only_the_kept", code == 0 and "2 tasks run now, 4 kept from before" in out and
      "note: 4 of the tasks kept from before were computed by" in out, out + err)
# Two other builds, and tasks of the format before builds were recorded: each named, counted.
def edit_parts(d, edit, header=None):
    parts = os.path.join(d, ".parts")
    for f in os.listdir(parts):
        if f.endswith(".part"):
            with open(os.path.join(parts, f)) as fh:
                lines = fh.read().split("\n")
            lines = [header if header and k == 0 else edit(line) if line.startswith("task,") else line
                     for k, line in enumerate(lines)]
            with open(os.path.join(parts, f), "w") as fh:
                fh.write("\n".join(lines))


run(bsweep, "--out", bd, "--quiet", "--force")
seen = []
edit_parts(bd, lambda line: line.rsplit(",", 1)[0] + ("," + ("aaaaaaaaaaaa" if seen.append(1) or len(seen) <= 3
                                                              else "bbbbbbbbbbbb")))
code, out, err = run(bsweep, "--out", bd, "--quiet")
check("builds.two_others", code == 0 and "note: 3 of the tasks kept from before were computed by nlhf " in out and
      "(git commit aaaaaaaaaaaa) and 1 by nlhf " in out and "(git commit bbbbbbbbbbbb), not by this build" in out,
      out + err)
edit_parts(bd, lambda line: line.rsplit(",", 2)[0], header="nlhf-part,3")
code, out, err = run(bsweep, "--out", bd, "--quiet")
check("builds.unrecorded", code == 0 and "0 tasks run now, 4 kept from before" in out and
      "note: 4 of the tasks kept from before were computed by a release that did not record its build, not by "
      "this build" in out, out + err)
with open(os.path.join(bd, "config.resolved.yaml")) as f:
    check("builds.unrecorded_listed", "    - {version: unrecorded, git_commit: unrecorded, tasks: 4}\n" in f.read())

# A merge of shards computed by another build says so too.
for k in (1, 2):
    run(bsweep, "--out", os.path.join(TMP, f"bshard{k}"), "--shard", f"{k}/2", "--quiet")
set_stored_build(os.path.join(TMP, "bshard2"), "fedcba987654")
code, out, err = run("--merge", os.path.join(TMP, "bshard1"), os.path.join(TMP, "bshard2"), "--out",
                     os.path.join(TMP, "bmerged"))
check("builds.merge_noted", code == 0 and "note: 2 of the merged tasks were computed by nlhf " in out and
      "(git commit fedcba987654)" in out and outputs(os.path.join(TMP, "bmerged")) == before, out + err)
# --force computes them again: no note.
code, out, err = run(bsweep, "--out", bd, "--quiet", "--force")
check("builds.force_recomputes", code == 0 and "4 tasks run now" in out and "were computed by" not in out, out + err)

# --- an empty flag value is an error, never the default directory ------------------------------------
for args, flag in [((grid, "--out", "", "--force"), "--out"), (("--merge", ext, "--out", ""), "--out"),
                   ((grid, "--emit-slurm", "--log-dir", ""), "--log-dir")]:
    code, out, err = run(*args)
    check(f"empty_flag.{flag}", code == 2 and err.startswith(f"error: {flag}: is empty") and out == "", f"{code} {err}")
code, out, err = run("--merge", "--out", os.path.join(TMP, "m2"))
check("merge.out_after_merge", code == 2 and "--out included, as shard directories" in err and
      not os.path.exists(os.path.join(TMP, "m2")), err)
# --- options that would be ignored are errors ------------------------------------------------------
for args, flag in [((grid, "--shards", "3"), "--shards"), ((grid, "--partition", "x"), "--partition"),
                   ((grid, "--time", "1:00"), "--time"), ((grid, "--cpus-per-task", "2"), "--cpus-per-task"),
                   ((grid, "--log-dir", "l"), "--log-dir"), ((grid, "--emit-slurm", "--shard", "1/2"), "--shard"),
                   ((grid, "--emit-slurm", "--jobs", "2"), "--jobs"), ((grid, "--emit-slurm", "--dry-run"), "--dry-run"),
                   (("--merge", ext, "--out", "m", "--shard", "1/2"), "--shard"),
                   (("--merge", ext, "--out", "m", "--set", "beta=0.1"), "--set"),
                   (("--merge", ext, "--out", "m", "--jobs", "2"), "--jobs"),
                   (("--merge", ext, "--out", "m", "--dry-run"), "--dry-run"),
                   (("--merge", ext, "--out", "m", "--shards", "2"), "--shards"),
                   ((grid, "--merge", ext, "--out", "m"), "--merge"),
                   ((grid, "--emit-slurm", "--partition", "a b"), "--partition"),
                   ((grid, "--emit-slurm", "--time", "1h"), "--time")]:
    code, out, err = run(*args)
    check(f"ignored_flag.{' '.join(args[1:])}", code == 2 and len(err.splitlines()) == 1 and
          err.startswith(f"error: {flag}: ") and out == "" and not os.path.exists(os.path.join(TMP, "m")),
          f"{code} {out} {err}")

# --- resume after SIGKILL -------------------------------------------------------------------------
# Long enough that the kill comes between the store's first commit (after about a second) and the
# last task: at 20000 iterations the whole sweep took 0.2 s, its first commit held 21-31 of the 40
# tasks and the last came 5-15 ms later, a window the 5 ms poll below could miss under load.
LONG = BASE.replace("stop: {iterations: 60, tolerance: {gap_beta: 1.0e-12}}", "stop: {iterations: 100000}") \
    .replace("log: {every: 10}", "log: {every: 1000}") + \
    "sweep:\n  game.n: [20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39]\n"
long_sweep = write("long.yaml", LONG)
d = os.path.join(TMP, "killed")
proc = subprocess.Popen([SWEEP, long_sweep, "--out", d, "--jobs", "2", "--quiet"], cwd=TMP,
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
parts = os.path.join(d, ".parts")


def tasks_on_disk():
    # Part files index one or more tasks; each starts with a line "task,ID,...".
    count = 0
    for f in (os.listdir(parts) if os.path.isdir(parts) else []):
        if f.endswith(".part"):
            with open(os.path.join(parts, f), "rb") as fh:
                count += sum(1 for line in fh if line.startswith(b"task,"))
    return count


deadline = time.time() + 60
while time.time() < deadline and tasks_on_disk() < 4:
    time.sleep(0.005)
proc.send_signal(signal.SIGKILL)
proc.wait()
done_before = tasks_on_disk()
check("kill.mid_way", 4 <= done_before < 40, f"{done_before} of 40 tasks done when killed")
check("kill.no_final_files", not os.path.exists(os.path.join(d, "trace.csv")), "final files after a kill")
code, out, err = run(long_sweep, "--out", d, "--quiet")
check("resume.exit", code == 0, err)
m = re.search(r"(\d+) tasks run now, (\d+) kept from before", out)
check("resume.kept", m is not None and int(m.group(2)) == done_before and int(m.group(1)) == 40 - done_before, out)
ref = os.path.join(TMP, "uninterrupted")
run(long_sweep, "--out", ref, "--quiet", "--jobs", "2")
got, want = outputs(d), outputs(ref)
check("resume.equals_uninterrupted", got == want, "resumed output differs")
check("resume.no_duplicates", len(got["runs.csv"]) == 80 and len({r["run_id"] for r in got["runs.csv"]}) == 80,
      str(len(got["runs.csv"])))
check("resume.no_tmp_left", not any(".tmp-" in f for f in os.listdir(parts)), "temporary files left behind")

# --- a numerical failure exits 1, and so does resuming the finished sweep -----------------------
boom = write("boom.yaml", """
game: {type: random_uniform, n: 5}
beta: 0.1
solvers: [{name: mwu, eta: 1.0e308}, {name: nash_mp}]
stop: {iterations: 20}
sweep: {seeds: [[0], [1]]}
""")
d = os.path.join(TMP, "boom")
code, out, err = run(boom, "--out", d, "--quiet")
check("numerical.exit1", code == 1, f"{code} {err}")
# ... and says why (the exit status alone did not).
why = "note: 2 of the 4 runs ended in a numerical failure"
check("numerical.note", why in out and "status numerical_failure in runs.csv" in out, out)
code, out, err = run(boom, "--out", d, "--quiet")
check("numerical.resumed_exit1", code == 1 and "0 tasks run now" in out and why in out, f"{code} {out} {err}")

# --- on a terminal the progress line is erased before the report starts -------------------------
# (Output and progress share the terminal; the report used to start on the progress line.)
def run_on_terminal(*args):
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(TMP)
        os.execv(SWEEP, [SWEEP, *args])
    chunks = []
    while True:
        try:
            data = os.read(fd, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(fd)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), b"".join(chunks).decode("utf-8", "replace")


code, screen = run_on_terminal(boom, "--out", os.path.join(TMP, "boom_tty"))
report = screen.find(" runs in ")
line_start = max(screen.rfind("\n", 0, report), screen.rfind("\x1b[K", 0, report))
check("terminal.progress_drawn", "[sweep] 4/4 runs" in screen, repr(screen))
check("terminal.report_on_a_clean_line", report > 0 and "[sweep]" not in screen[line_start:report], repr(screen))

# --- in a pipe: plain lines "progress: [sweep] ...", as nlhf-run's, every NLHF_PROGRESS_INTERVAL_S -------
grid = write("progress.yaml", GRID)
code, out, err = call([SWEEP, grid, "--out", os.path.join(TMP, "progress_pipe"), "--jobs", "1"], TMP,
                      env={"NLHF_PROGRESS_INTERVAL_S": "0.001"})
lines = [line for line in err.splitlines() if line]
check("pipe.progress_lines", code == 0 and len(lines) >= 2 and all(line.startswith("progress: [sweep] ") for line in lines)
      and lines[-1].startswith("progress: [sweep] 32/32 runs"), err)
# A value that is no interval is refused before any work, with --quiet too (as nlhf-run refuses it).
for value in ("abc", "0", "-1", "1e6"):
    code, out, err = call([SWEEP, grid, "--out", os.path.join(TMP, "progress_bad"), "--quiet"], TMP,
                          env={"NLHF_PROGRESS_INTERVAL_S": value})
    check(f"progress_interval.{value}", code == 2 and out == "" and not os.path.exists(os.path.join(TMP, "progress_bad"))
          and err == f"error: NLHF_PROGRESS_INTERVAL_S: '{value}' is not allowed, expected a number of seconds > 0 "
                     "and < 1e6 (or the variable unset: 10 s)\n", err)

# --- memory is checked for the --jobs workers before any work ----------------------------------
# 10 000 tasks of n = 2000: one worker needs about 0.1 GiB, 10 000 at once about 1.2 TiB.
mem = write("mem.yaml", """
game: {type: random_uniform, n: 2000}
beta: 0.1
seeds: {from: 0, to: 9999}
solvers: [{name: nash_mp}]
stop: {iterations: 1}
""")
code, out, err = run(mem, "--out", os.path.join(TMP, "mem"), "--jobs", "10000")
check("memory.refused_for_all_workers", code == 2 and "needs about" in err and "--jobs 10000" in err
      and not os.path.exists(os.path.join(TMP, "mem")), f"{code} {err}")
# The point that does not fit is named, and located where its value is swept.
mem_swept = write("mem_swept.yaml", """
game: {type: random_uniform, n: 10}
beta: 0.1
seeds: {from: 0, to: 9999}
solvers: [{name: nash_mp}]
stop: {iterations: 1}
sweep:
  game.n: [10, 2000]
""")
code, out, err = run(mem_swept, "--out", os.path.join(TMP, "mem_swept"), "--jobs", "10000")
check("memory.refused_at_the_point", code == 2 and err.count("\n") == 1 and
      err.startswith("error: " + mem_swept + ":8:16: at sweep point 1 (game.n=2000): game.n: 2000 needs about")
      and not os.path.exists(os.path.join(TMP, "mem_swept")), f"{code} {err}")

# --- a sweep over input files: its config.resolved.yaml reproduces it from elsewhere -------------
os.makedirs(os.path.join(TMP, "files"), exist_ok=True)
os.makedirs(os.path.join(TMP, "elsewhere"), exist_ok=True)
P2 = "0.5,0.6,0.2\n0.4,0.5,0.6\n0.8,0.4,0.5\n"
for name, text in (("P1.csv", "0.5,0.7,0.2\n0.3,0.5,0.6\n0.8,0.4,0.5\n"), ("P2.csv", P2)):
    write(os.path.join("files", name), text)
files_sweep = write(os.path.join("files", "s.yaml"), """
game: {type: matrix, path: P1.csv}
reference: {type: file, path: mu1.csv}
beta: 0.1
solvers: [{name: nash_mp}]
stop: {iterations: 20}
sweep: {game.path: [P1.csv, P2.csv]}
zip: [{reference.path: [mu1.csv, mu2.csv], stop.iterations: [10, 20]}]
""")
write(os.path.join("files", "mu1.csv"), "0.2\n0.3\n0.5\n")
write(os.path.join("files", "mu2.csv"), "0.5\n0.3\n0.2\n")
d = os.path.join(TMP, "files_out")
code, out, err = run(files_sweep, "--out", d, "--quiet")
check("files.run", code == 0, err)
resolved = os.path.join(d, "config.resolved.yaml")
p = subprocess.run([SWEEP, resolved, "--out", "again", "--quiet"], cwd=os.path.join(TMP, "elsewhere"),
                   capture_output=True, text=True)
check("files.reproduced_elsewhere", p.returncode == 0 and outputs(os.path.join(TMP, "elsewhere", "again"))["trace.csv"]
      == outputs(d)["trace.csv"], p.stderr)
write(os.path.join("files", "mu2.csv"), "0.4\n0.3\n0.3\n")  # edited after the sweep
p = subprocess.run([SWEEP, resolved, "--out", "again2", "--quiet"], cwd=os.path.join(TMP, "elsewhere"),
                   capture_output=True, text=True)
check("files.edited_refused", p.returncode == 2 and "mu2.csv" in p.stderr, p.stderr)

# --- a swept solver parameter: config.resolved.yaml gives every point the label (and run id) it had --
# omd has no label: the points label it omd(eta=0.1) and omd(eta=0.2); the resolved file writes it
# as given, and a rerun from it writes the same runs.csv, summary.csv and trace.csv (but wall_s).
labels_sweep = write("labels.yaml", """
name: labels
game: {type: random_uniform, n: 5}
beta: 0.1
seeds: [0, 1]
solvers: [{name: omd}, {name: nash_mp, label: mp}]
stop: {iterations: 20}
sweep:
  solvers[0].eta: [0.1, 0.2]
""")
d = os.path.join(TMP, "labels_out")
code, out, err = run(labels_sweep, "--out", d, "--quiet")
check("labels.run", code == 0, err)
p = subprocess.run([SWEEP, os.path.join(d, "config.resolved.yaml"), "--out", "labels_again", "--quiet"], cwd=TMP,
                   capture_output=True, text=True)
again = outputs(os.path.join(TMP, "labels_again")) if p.returncode == 0 else {}
first = outputs(d) if code == 0 else {}
check("labels.rerun", p.returncode == 0 and again == first, p.stderr)
check("labels.per_point", code == 0 and {r["label"] for r in first.get("runs.csv", [])} ==
      {"omd(eta=0.1)", "omd(eta=0.2)", "mp"}, [r["label"] for r in first.get("runs.csv", [])])

# --- steps as multiples of the stability limit (eta: X*limit) ------------------------------------
# Resolved per game from its rho: the label and the swept column keep what was written, params
# holds the number, which is X times the run's stability_limit.
# Seeds 2 and 3 have rho = 0.14 and 0.13 > beta (on seed 1, rho = 0.056 < beta: omd's limit is then
# 1/beta, and 1.1*limit is refused at run time as outside eta*beta <= 1).
limit_sweep = write("limit.yaml", BASE.replace("{name: omd, eta: 0.3}", "{name: omd, eta: 0.5*limit}").replace(
    "seeds: [0, 1]", "seeds: [2, 3]") + """
sweep:
  solvers[1].eta: [0.5*limit, 1.1*limit]
""")
d = os.path.join(TMP, "limit_out")
code, out, err = run(limit_sweep, "--out", d, "--quiet", "--set", "solvers[0]={name: egpo, eta: 0.9*limit}")
check("limit.run", code == 0, err)
limit_runs = rows(os.path.join(d, "runs.csv")) if code == 0 else []
check("limit.count", len(limit_runs) == 8, str(len(limit_runs)))
for r in limit_runs:
    written = r["solvers[1].eta"] if r["solver"] == "omd" else "0.9*limit"
    x = float(written.split("*")[0])
    eta = float(re.search(r"\beta=([0-9.eE+-]+)", r["params"]).group(1))
    check(f"limit.{r['solver']}.{written}.seed{r['seed']}",
          r["label"] == f"{r['solver']}(eta={written})" and abs(eta - x * float(r["stability_limit"])) <= 1e-12 * eta,
          f"{r['label']} {r['params']} {r['stability_limit']}")
# A multiple refused at run time (1.1*limit on seed 1's game, where omd's limit is 1/beta) is located
# at the swept value that gave it, though a validated point keeps no key locations.
late_text = BASE.replace("{name: omd, eta: 0.3}", "{name: omd, eta: 0.5*limit}") + """
sweep:
  solvers[1].eta: [0.5*limit, 1.1*limit]
"""
late_line = late_text.lstrip("\n").split("\n").index("  solvers[1].eta: [0.5*limit, 1.1*limit]") + 1
late_col = "  solvers[1].eta: [0.5*limit, 1.1*limit]".index("1.1") + 1
late_yaml = write("limit_late.yaml", late_text.lstrip("\n"))
code, out, err = run(late_yaml, "--out", os.path.join(TMP, "late_out"), "--quiet")
check("limit.late_located", code == 2 and err.startswith(f"error: {late_yaml}:{late_line}:{late_col}: running sweep "
      "point 1 (seed=1, solvers[1].eta=1.1*limit): solvers[1].eta: on the game of seed 1") and err.count("\n") == 1, err)
# No limit to multiply: beta above every game's rho (rho <= 1/2) gives mmd an infinite limit.
code, out, err = run(write("limit_inf.yaml", BASE.replace("beta: 0.1", "beta: 0.6").replace(
    "{name: omd, eta: 0.3}", "{name: mmd, eta: 0.9*limit}")), "--dry-run")
check("limit.infinite", code == 2 and "limit_inf.yaml:9:" in err and "solvers[1].eta: '0.9*limit': every step of mmd"
      " is stable even at the largest rho any game has (0.5) at beta = 0.6" in err, err)
code, out, err = run(write("limit_prox.yaml", BASE.replace("{name: omd, eta: 0.3}", "{name: prox, eta: 0.9*limit}")),
                     "--dry-run")
check("limit.not_available", code == 2 and "solvers[1].eta: '0.9*limit' is not available for this parameter" in err, err)

check.finish(TMP)
