"""nlhf.run and nlhf.sweep against nlhf-run and nlhf-sweep: the same trace, cell for cell and bit for
bit (every column but wall_s), the same summary, the same errors."""
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import warnings

from support import Checks, call, compare_table, nlhf, scratch, tool, write_in, SRC

check = Checks()
TMP = scratch()
QUICKSTART = os.path.join(SRC, "experiments", "quickstart", "experiment.yaml")


def without_wall(x):
    """summary.json without its timings (they differ between two runs)."""
    if isinstance(x, dict):
        return {k: without_wall(v) for k, v in x.items() if k not in ("wall_s", "eval_s")}
    if isinstance(x, list):
        return [without_wall(v) for v in x]
    return x


def cli_run(path, *flags):
    out = os.path.join(TMP, f"cli_{len(os.listdir(TMP))}")
    code, _, err = call([tool("nlhf-run"), path, "--out", out, "--quiet", *flags], TMP)
    return code, out, err


# --- the quickstart: five solvers on three games ----------------------------------------------
code, out, err = cli_run(QUICKSTART)
check("quickstart.cli", code == 0, err)
r = nlhf.run(QUICKSTART, jobs=2)
check("quickstart.trace", compare_table(r.trace, os.path.join(out, "trace.csv")) == [],
      compare_table(r.trace, os.path.join(out, "trace.csv")))
with open(os.path.join(out, "summary.json")) as f:
    cli_summary = json.load(f)
check("quickstart.summary", without_wall(r.summary) == without_wall(cli_summary), "summary.json differs")
check("quickstart.frame", r.frame is not None and list(r.frame.columns) == list(r.trace) and len(r.frame) == len(r.trace["iter"]),
      str(r.frame))
check("quickstart.frame_values", r.frame is not None and (r.frame["gap_beta"].to_numpy() == r.trace["gap_beta"]).all())
check("quickstart.config", r.config.startswith("# nlhf ") or "name: quickstart" in r.config, r.config[:200])
# The resolved config reproduces the run: nlhf-run on it gives the same trace.
resolved = write_in(TMP, "resolved.yaml", r.config)
code, out2, err = cli_run(resolved)
check("quickstart.resolved_reruns", code == 0 and compare_table(r.trace, os.path.join(out2, "trace.csv")) == [], err)
# jobs does not change the results.
r1 = nlhf.run(QUICKSTART, jobs=1)
check("quickstart.jobs", compare_table(r1.trace, os.path.join(out, "trace.csv")) == [])

# --- beta = 0 (the average's columns, pi* = the selected NE) and a sampled oracle, with --set ----
zero = write_in(TMP, "zero.yaml", """
name: zero
game: {type: tournament, n: 7, ties: 0.3}
beta: 0
seeds: [1, 2]
solvers: [{name: mwu, eta: 0.3}, {name: omwu, eta: 0.2}]
stop: {iterations: 300}
log: {spacing: log, points_per_decade: 10}
""")
code, out, err = cli_run(zero)
r = nlhf.run(zero)
check("beta0.trace", code == 0 and compare_table(r.trace, os.path.join(out, "trace.csv")) == [],
      f"{err} {compare_table(r.trace, os.path.join(out, 'trace.csv'))}")
check("beta0.average_columns", (r.trace["average_gap_0"][r.trace["solver"] == "mwu"] >= 0).all())
sampled = write_in(TMP, "sampled.yaml", """
name: sampled
game: {type: random_uniform, n: 6}
beta: 0.1
solvers: [{name: nash_mp_pg, oracle: {type: sampled, batch: 16}}, {name: nash_mp}]
stop: {iterations: 100}
""")
code, out, err = cli_run(sampled, "--set", "seeds=[4,5]", "--set", "game.n=8")
r = nlhf.run(sampled, overrides={"seeds": [4, 5], "game.n": 8})
check("sampled.trace", code == 0 and compare_table(r.trace, os.path.join(out, "trace.csv")) == [],
      f"{err} {compare_table(r.trace, os.path.join(out, 'trace.csv'))}")
pg = r.trace["solver"] == "nash_mp_pg"
check("sampled.queries", r.trace["queries"][pg].max() > 0 and r.trace["queries"][~pg].max() == 0,
      str(r.trace["queries"].max()))

# --- a dict is the same experiment as its YAML file (same run ids, same trace) ------------------
as_dict = {"name": "sampled", "game": {"type": "random_uniform", "n": 8}, "beta": 0.1, "seeds": [4, 5],
           "solvers": [{"name": "nash_mp_pg", "oracle": {"type": "sampled", "batch": 16}}, {"name": "nash_mp"}],
           "stop": {"iterations": 100}}
rd = nlhf.run(as_dict)
check("dict.same_trace", compare_table(rd.trace, os.path.join(out, "trace.csv")) == [],
      compare_table(rd.trace, os.path.join(out, "trace.csv")))

# The docstring's example runs as written.
example = nlhf.run.__doc__.split("e.g.", 1)[1].split("overrides:", 1)[0]
r = nlhf.run(eval(example.strip()))
check("docstring.example", len(r.summary) == 4 and r.summary[0]["termination"] == "iterations", str(r.summary[0]))

# --- bad input: ValueError with the tools' message ---------------------------------------------
bad = write_in(TMP, "bad.yaml", "game: {type: random_uniform, n: 1}\nbeta: 0.1\nsolvers: [{name: nash_mp}]\n")
code, _, err = call([tool("nlhf-run"), bad, "--out", os.path.join(TMP, "never"), "--quiet"], TMP)
try:
    nlhf.run(bad)
    check("bad.raises", False, "no error")
except ValueError as e:
    check("bad.same_message", code == 2 and err.strip() == f"error: {e}", f"{err!r} vs {str(e)!r}")
check("bad.no_output", not os.path.exists(os.path.join(TMP, "never")))
try:
    nlhf.run({"game": {"type": "rps3"}, "beta": 0.1, "solvers": [{"name": "nash_mp"}], "stop": {"iteratons": 3}})
    check("dict_bad.raises", False, "no error")
except ValueError as e:
    check("dict_bad.message", "stop.iteratons: unknown key 'iteratons' (did you mean 'iterations'?)" in str(e), str(e))
for bad_arg, expected in [(42, "expected a YAML file's path or a dict"), ("/nonexistent/x.yaml", "cannot open the file"),
                          ({"game": {"type": "rps3", "n": object()}}, "expected numbers, strings, bools, lists and dicts")]:
    try:
        nlhf.run(bad_arg)
        check(f"arg.{bad_arg}", False, "no error")
    except ValueError as e:
        check(f"arg.{bad_arg}", expected in str(e), str(e))
try:
    nlhf.run(QUICKSTART, jobs=0)
    check("jobs0", False, "no error")
except ValueError as e:
    check("jobs0", "jobs: 0 is not allowed" in str(e), str(e))

# --- a numerical failure: NumericalError, the result attached, the other runs kept --------------
boom = {"game": {"type": "random_uniform", "n": 5}, "beta": 0.1,
        "solvers": [{"name": "mwu", "eta": 1.0e308}, {"name": "nash_mp"}], "stop": {"iterations": 50}}
try:
    nlhf.run(boom)
    check("boom.raises", False, "no error")
except nlhf.NumericalError as e:
    check("boom.distinct_type", not isinstance(e, ValueError))
    s = e.result.summary
    check("boom.recorded", s[0]["termination"] == "numerical_failure" and s[1]["termination"] == "iterations", str(s))
r = nlhf.run(boom, raise_on_failure=False)
check("boom.no_raise", r.summary[0]["termination"] == "numerical_failure")

# --- sweep: the files nlhf-sweep writes, resumable ----------------------------------------------
sweep_file = write_in(TMP, "sweep.yaml", """
name: small_sweep
game: {type: random_uniform, n: 5}
beta: 0.1
seeds: [0, 1]
solvers: [{name: nash_mp}, {name: omd, eta: auto}]
stop: {iterations: 60}
log: {spacing: log, points_per_decade: 5}
sweep: {beta: [0.1, 0.01], game.n: [4, 6]}
""")
cli_dir, py_dir = os.path.join(TMP, "sweep_cli"), os.path.join(TMP, "sweep_py")
code, _, err = call([tool("nlhf-sweep"), sweep_file, "--out", cli_dir, "--quiet", "--jobs", "2"], TMP)
check("sweep.cli", code == 0, err)
s = nlhf.sweep(sweep_file, py_dir, jobs=2)
check("sweep.report", s.report["tasks"] == 8 and s.report["tasks_run"] == 8 and s.report["runs"] == 16, str(s.report))
# metrics_s is the metrics' part of eval_s (metrics and logging).
check("sweep.times", 0 < s.report["metrics_s"] <= s.report["eval_s"], str(s.report))
for name in ("trace", "runs", "summary"):
    table = s[name]
    columns = {c: table[c].to_numpy() for c in table.columns} if hasattr(table, "columns") else table
    skip = ("wall_s", "solve_s", "eval_s", "wall_s_median", "solve_s_median")
    check(f"sweep.{name}", compare_table(columns, os.path.join(cli_dir, f"{name}.csv"), skip=skip) == [],
          compare_table(columns, os.path.join(cli_dir, f"{name}.csv"), skip=skip))
# beta = 0 throughout is still a column of doubles, in every table (pandas would read "0" as int64).
zero_sweep = write_in(TMP, "zero_sweep.yaml", """
name: zero_sweep
game: {type: rps3}
beta: 0
solvers: [{name: mwu}]
stop: {iterations: 5}
sweep:
  solvers[0].eta: [0.1, 0.2]
""")
z = nlhf.sweep(zero_sweep, os.path.join(TMP, "zero_sweep"))
for name in ("trace", "runs", "summary"):
    if "beta" in z[name]:
        check(f"zero_sweep.{name}.beta", str(z[name]["beta"].dtype) == "float64", str(z[name]["beta"].dtype))
again = nlhf.sweep(sweep_file, py_dir)
check("sweep.resume", again.report["tasks_run"] == 0 and again.report["tasks_skipped"] == 8 and again.report["trace_kept"]
      and not s.report["trace_kept"], str(again.report))
# A switch is True or False: force="False" would be true and start the sweep over; the stored tasks stay.
for keyword, value in (("force", "False"), ("progress", 1), ("raise_on_failure", "no")):
    try:
        nlhf.sweep(sweep_file, py_dir, **{keyword: value})
        check(f"sweep.{keyword}_not_bool", False, "no error")
    except ValueError as e:
        check(f"sweep.{keyword}_not_bool", str(e) == f"{keyword}: {value!r} is not allowed, expected True or False", str(e))
kept = nlhf.sweep(sweep_file, py_dir)
check("sweep.not_bool_kept_the_tasks", kept.report["tasks_run"] == 0 and kept.report["tasks_skipped"] == 8, str(kept.report))
check("sweep.no_reused_builds", kept.report["reused_builds"] == [], str(kept.report["reused_builds"]))
# Tasks another build computed (its commit written into the store's task lines): reused, with a warning.
other = os.path.join(TMP, "sweep_other_build")
shutil.copytree(py_dir, other)
for part in glob.glob(os.path.join(other, ".parts", "*.part")):
    with open(part) as f:
        lines = f.read().split("\n")
    with open(part, "w") as f:
        f.write("\n".join(l.rsplit(",", 1)[0] + ",0123456789ab" if l.startswith("task,") else l for l in lines))
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    reused = nlhf.sweep(sweep_file, other)
check("sweep.reused_builds", reused.report["tasks_run"] == 0 and
      [(b["git_commit"], b["tasks"]) for b in reused.report["reused_builds"]] == [("0123456789ab", 8)],
      str(reused.report["reused_builds"]))
check("sweep.reused_builds_warned", any(issubclass(w.category, nlhf.RunWarning) and "8 by nlhf" in str(w.message) and
                                        "(git commit 0123456789ab)" in str(w.message) for w in caught),
      [str(w.message) for w in caught])
# shard= and jobs in the API's words, not the flags'.
for shard, expected in (("3/2", "shard: '3/2' is out of range, expected 1 <= K <= N"),
                        (1, "shard: '1' is not K/N, expected for example shard='2/8'")):
    try:
        nlhf.sweep(sweep_file, os.path.join(TMP, "sharded"), shard=shard)
        check(f"sweep.shard_{shard}", False, "no error")
    except ValueError as e:
        check(f"sweep.shard_{shard}", str(e) == expected, str(e))
user_dir = os.path.join(TMP, "users")
os.makedirs(user_dir)
write_in(user_dir, "thesis.tex", "precious")
try:
    nlhf.sweep(sweep_file, user_dir)
    check("sweep.user_dir", False, "no error")
except ValueError as e:
    check("sweep.user_dir", "out: exists and holds something other than nlhf-sweep's output (thesis.tex)" in str(e)
          and "--out" not in str(e), str(e))
with open(os.path.join(user_dir, "thesis.tex")) as f:
    check("sweep.user_file_kept", f.read() == "precious")
# An empty out is refused, not read as the default directory (which force=True would replace).
try:
    nlhf.sweep(sweep_file, "", force=True)
    check("sweep.empty_out", False, "no error")
except ValueError as e:
    check("sweep.empty_out", "out: is empty" in str(e), str(e))

# A write that fails (here a file size limit, in a child process): OSError naming the file, what is
# kept, and how to go on; the same call then finishes the sweep.
limited = os.path.join(TMP, "sweep_limited")
child = f"""
import resource, signal, nlhf
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (4096, resource.RLIM_INFINITY))
try:
    nlhf.sweep({sweep_file!r}, {limited!r})
    print("no error")
except OSError as e:
    print(e)
"""
done = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True)
said = re.search(r"File too large; (\d+) of 8 tasks are stored in " + re.escape(limited) +
                 r"; once the file size limit \(ulimit -f\) allows, call sweep again to finish$", done.stdout.strip())
check("sweep.write_failure", done.returncode == 0 and done.stdout.startswith("writing ") and said is not None,
      done.stdout + done.stderr)
finished = nlhf.sweep(sweep_file, limited).report
check("sweep.write_failure_then_finishes", finished["tasks"] == 8 and said is not None and
      finished["tasks_skipped"] == int(said.group(1)), str(finished))

check.finish(TMP)
