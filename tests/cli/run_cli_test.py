"""nlhf-run on good and bad input (docs/cli.md). Standard library only.

Usage: run_cli_test.py BIN_DIR SOURCE_DIR
"""
import csv
import io
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile

BIN, SRC = sys.argv[1], sys.argv[2]
RUN = os.path.join(BIN, "nlhf-run")
EQUILIBRIUM = os.path.join(BIN, "nlhf-equilibrium")
TMP = tempfile.mkdtemp(prefix="nlhf_run_test_")
HEADER = ("experiment,run_id,game,n,beta,reference,solver,label,params,seed,iter,oracle_calls,queries,wall_s,"
          "gap_beta,exploitability,gap_0,br_winrate,kl_to_star,kl_from_star,span,fp_residual,kl_to_ne,"
          "average_gap_0,average_kl_to_ne")
METRICS = HEADER.split(",")[HEADER.split(",").index("gap_beta"):HEADER.split(",").index("average_gap_0")]
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Checks, call, write_in  # noqa: E402  (the folder of this script)

check = Checks()


def run(*args, cwd=TMP):
    return call([RUN, *args], cwd)


def write(name, text):
    return write_in(TMP, name, text)


def read_trace(out):
    with open(os.path.join(out, "trace.csv")) as f:
        text = f.read()
    return text, list(csv.DictReader(io.StringIO(text)))


def without_wall(rows):
    return [{k: v for k, v in r.items() if k != "wall_s"} for r in rows]


GOOD = """
name: small
game: {type: random_uniform, n: 6}
reference: {type: softmax_normal, scale: 1}
beta: 0.05
seeds: [0, 1]
solvers:
  - {name: nash_mp}
  - {name: omd, eta: auto}
  - {name: mwu}
stop: {iterations: 300, tolerance: {gap_beta: 1.0e-12}}
log: {every: 7}
"""

# --- a good run ------------------------------------------------------------------------------
good = write("good.yaml", GOOD)
out = os.path.join(TMP, "out_good")
code, stdout, stderr = run(good, "--out", out, "--quiet")
check("good.exit", code == 0, stderr)
check("good.table", "nash_mp" in stdout and "wrote" in stdout, stdout)
text, rows = read_trace(out)
check("good.header", text.splitlines()[0] == HEADER, text.splitlines()[0])
runs = {}
for r in rows:
    runs.setdefault(r["run_id"], []).append(r)
check("good.one_run_per_solver_and_seed", len(runs) == 6, f"{len(runs)} runs")
pairs = {(rs[0]["solver"], rs[0]["seed"]) for rs in runs.values()}
check("good.pairs", pairs == {(s, d) for s in ("nash_mp", "omd", "mwu") for d in ("0", "1")}, str(pairs))
summary = json.load(open(os.path.join(out, "summary.json")))
check("good.summary_runs", len(summary) == 6, str(len(summary)))

# An undefined descriptor is null in summary.json, never 0: the Hodge ratio where every pair ties.
write("ties.csv", "0.5,0.5,0.5\n0.5,0.5,0.5\n0.5,0.5,0.5\n")
tied = write("tied.yaml", "game: {type: matrix, path: ties.csv}\nbeta: 0.1\nsolvers: [{name: nash_mp}]\n"
                          "stop: {iterations: 2}\n")
code, _, stderr = run(tied, "--out", os.path.join(TMP, "out_tied"), "--quiet")
check("tied.exit", code == 0, stderr)
if code == 0:
    d = json.load(open(os.path.join(TMP, "out_tied", "summary.json")))[0]["descriptors"]
    check("tied.hodge_null", d["hodge_cyclic_ratio"] is None and d["cyclic_triple_fraction"] == 0.0, str(d))
for s in summary:
    rs = runs[s["run_id"]]
    iters = [int(r["iter"]) for r in rs]
    check("good.iter0", iters[0] == 0, str(iters[:3]))
    check("good.last_logged", iters[-1] == s["iterations"], f"{iters[-1]} vs {s['iterations']}")
    check("good.increasing", iters == sorted(set(iters)), str(iters))
    last = rs[-1]
    for m in METRICS:
        cell, value = last[m], s["final"][m]
        if value is None:
            check("good.empty_cell", cell == "", f"{m}: {cell!r}")
        else:
            # The same double in both files: the CSV text reads back to exactly the summary's value.
            check("good.exact", float(cell) == value and repr(float(cell)) == repr(value), f"{m}: {cell} vs {value}")
    check("good.oracle_calls", int(last["oracle_calls"]) == s["oracle_calls"], s["run_id"])
    check("good.pi_star", s["pi_star"] is not None and abs(sum(s["pi_star"]) - 1) < 1e-12, s["run_id"])
    check("good.certificate", s["certificate"] <= 1e-12, str(s["certificate"]))
    if s["solver"] == "nash_mp":
        check("good.theory", s["theory"] is not None and not s["theory"]["violated"], str(s["theory"]))
        check("good.tolerance", s["termination"] == "tolerance" and s["final"]["gap_beta"] <= 1e-12, s["message"])
    if s["solver"] == "mwu":
        check("good.average", "final_average" in s, "mwu reports its average iterate")
    if s["solver"] == "omd":
        check("good.auto_resolved", "eta=auto" not in s["params"] and "eta=" in s["params"], s["params"])
check("good.strings_quoted", rows[0]["game"].startswith("random_uniform(n=6,seed="), rows[0]["game"])
check("good.no_staging_left", not any(n.startswith(".out_good.partial") for n in os.listdir(TMP)), str(os.listdir(TMP)))

# --- reproducibility: the resolved configuration reproduces the trace (but wall_s) -----------
out2 = os.path.join(TMP, "out_resolved")
code, _, stderr = run(os.path.join(out, "config.resolved.yaml"), "--out", out2, "--quiet")
check("resolved.exit", code == 0, stderr)
check("resolved.same_trace", without_wall(read_trace(out2)[1]) == without_wall(rows), "traces differ")

# --- --jobs does not change the output -------------------------------------------------------
outs = []
for jobs in ("1", "2"):
    o = os.path.join(TMP, f"out_jobs{jobs}")
    code, _, stderr = run(good, "--out", o, "--jobs", jobs, "--quiet")
    check(f"jobs{jobs}.exit", code == 0, stderr)
    outs.append(without_wall(read_trace(o)[1]))
check("jobs.identical", outs[0] == outs[1] == without_wall(rows), "traces differ between --jobs 1 and 2")

# --- --set overrides and --dry-run -----------------------------------------------------------
code, stdout, stderr = run(good, "--dry-run", "--set", "game.n=9", "--set", "solvers[1].eta=0.5", "--set", "beta=0.2")
check("dry_run.exit", code == 0, stderr)
check("dry_run.resolved", "n: 9" in stdout and "eta: 0.5" in stdout and "beta: 0.2" in stdout, stdout)
check("dry_run.no_output", not os.path.exists(os.path.join(TMP, "runs")), "dry run created output")

# --- user data: a matrix game with a file reference reproduces the library's pi* -------------
write("P.csv", "0.5,0.25,1\n0.75,0.5,0.45\n0,0.55,0.5\n")
write("mu.csv", "0.2\n0.3\n0.5\n")
user = write("user.yaml", """
game: {type: matrix, path: P.csv}
reference: {type: file, path: mu.csv}
beta: 0.1
solvers: [{name: egpo}]
stop: {iterations: 2000, tolerance: {gap_beta: 1.0e-13}}
log: {spacing: log}
""")
out_user = os.path.join(TMP, "out_user")
code, _, stderr = run(user, "--out", out_user, "--quiet", cwd="/")  # relative paths follow the YAML file
check("user.exit", code == 0, stderr)
s = json.load(open(os.path.join(out_user, "summary.json")))[0]
p = subprocess.run([EQUILIBRIUM, "--game", f"matrix(path={TMP}/P.csv)", "--reference", f"file(path={TMP}/mu.csv)",
                    "--beta", "0.1", "--top", "0"], capture_output=True, text=True)
lib_pi = {}
for line in p.stdout.splitlines():
    parts = line.split()
    if len(parts) == 3 and parts[0].isdigit():
        lib_pi[int(parts[0])] = float(parts[1])
check("user.pi_star", len(lib_pi) == 3 and all(abs(s["pi_star"][k] - v) < 1e-9 for k, v in lib_pi.items()),
      f"{s['pi_star']} vs {lib_pi}")
check("user.policy_converged", max(abs(a - b) for a, b in zip(s["policy"], s["pi_star"])) < 1e-6, str(s["policy"]))

# --- a numerical failure is recorded and exits 1 ---------------------------------------------
boom = write("boom.yaml", """
game: {type: random_uniform, n: 5}
beta: 0.1
solvers: [{name: mwu, eta: 1.0e308}, {name: nash_mp}]
stop: {iterations: 50}
""")
out_boom = os.path.join(TMP, "out_boom")
code, stdout, stderr = run(boom, "--out", out_boom, "--quiet")
check("failure.exit1", code == 1, f"{code} {stderr}")
sb = json.load(open(os.path.join(out_boom, "summary.json")))
check("failure.recorded", sb[0]["termination"] == "numerical_failure" and "non-finite iterate at iteration" in sb[0]["message"],
      str(sb[0]["message"]))
check("failure.others_run", sb[1]["termination"] == "iterations", sb[1]["termination"])

# --- bad input: exit 2, one error line naming the problem, no output --------------------------
def bad(name, yaml_text, expected, *extra, file_name=None):
    path = write(file_name or f"{name}.yaml", yaml_text) if yaml_text is not None else os.path.join(TMP, "missing.yaml")
    target = os.path.join(TMP, f"out_{name}")
    code, stdout, stderr = run(path, "--out", target, "--quiet", *extra)
    lines = stderr.strip().splitlines()
    check(f"bad.{name}.exit2", code == 2, f"exit {code}: {stderr}")
    check(f"bad.{name}.message", bool(lines) and lines[0].startswith("error: ") and expected in lines[0],
          f"expected {expected!r} in {stderr!r}")
    check(f"bad.{name}.no_output", not os.path.exists(target) and stdout == "", f"stdout {stdout!r}")
    check(f"bad.{name}.no_trace", "Traceback" not in stderr and "terminate" not in stderr, stderr)


# The solvers allowed at beta = 0, as nlhf-run names them: the registry's (a solver added there
# changes the messages below, not this test).
code, _, stderr = run(write("beta_zero.yaml", GOOD.replace("beta: 0.05", "beta: 0")), "--out",
                      os.path.join(TMP, "out_beta_zero"), "--quiet")
found = re.search(r"expected beta > 0, or only (.+)$", stderr.strip())
BETA_ZERO = found.group(1) if found else "?"
check("beta_zero.names", code == 2 and re.fullmatch(r"(\w+, )*(\w+ and )?\w+", BETA_ZERO) is not None and
      {"mwu", "omwu"} <= set(re.split(r", | and ", BETA_ZERO)), stderr)
bad("unknown_key", GOOD.replace("beta: 0.05", "beta: 0.05\nbetta: 1"),
    "bad_unknown_key.yaml:6:1: betta: unknown key 'betta' (did you mean 'beta'?)", file_name="bad_unknown_key.yaml")
bad("unknown_param", GOOD.replace("{type: random_uniform, n: 6}", "{type: random_uniform, nn: 6}"),
    "game.nn: unknown key 'nn' (did you mean 'n'?)")
bad("wrong_type", GOOD.replace("n: 6}", "n: six}"), "game.n: 'six' is not an integer, expected integer in [2, 100000]")
bad("out_of_range", GOOD.replace("n: 6}", "n: 1}"), "game.n: '1' is out of range, expected integer in [2, 100000]")
bad("negative_beta", GOOD.replace("beta: 0.05", "beta: -0.1"), f"beta: '-0.1' is out of range, expected 0 ({BETA_ZERO} only) or a number in [1e-08, 1e+06]")
bad("unknown_game", GOOD.replace("random_uniform", "random_unifrom"),
    "game.type: unknown game 'random_unifrom' (did you mean 'random_uniform'?)")
bad("unknown_solver", GOOD.replace("name: omd", "name: omdd"), "solvers[1].name: unknown solver 'omdd' (did you mean 'omd'?)")
bad("step_for_beta", GOOD.replace("{name: omd, eta: auto}", "{name: egpo, eta: 100}"),
    "solvers[1].eta: 100 gives eta*beta = 5 >= 2 (always unstable), expected eta < 2/beta = 40")
# A multiple of a limit this game's rho does not have, found when the run resets the solver: located
# at the key, naming the game (it was one unlocated line).
bad("limit_on_this_game", "game: {type: bradley_terry, n: 10}\nbeta: 0.1\nseeds: [0]\nsolvers: [{name: nash_mp, eta: 2*limit}]\n",
    "bad_limit_on_this_game.yaml:4:32: solvers[0].eta: on the game of seed 0 (bradley_terry(n=10,", file_name="bad_limit_on_this_game.yaml")
# A file that cannot be opened is located at the key naming it (the YAML's line:col), with its path.
bad("missing_csv", "game: {type: matrix, path: nope.csv}\nbeta: 0.1\nsolvers: [{name: nash_mp}]\n",
    "missing_csv.yaml:1:28: game.path: " + os.path.join(TMP, "nope.csv") + ": cannot open the file (No such file or directory)")
write("nan.csv", "0.5,x\n0.5,0.5\n")
bad("non_numeric_csv", "game: {type: matrix, path: nan.csv}\nbeta: 0.1\nsolvers: [{name: nash_mp}]\n",
    "nan.csv:1:5: game.path: 'x' is not a number")
# A huge value is echoed cut short: one short line, not 2 MB.
write("huge_cell.csv", "0.5," + "x" * 2_000_000 + "\n0.5,0.5\n")
bad("huge_cell", "game: {type: matrix, path: huge_cell.csv}\nbeta: 0.1\nsolvers: [{name: nash_mp}]\n",
    "huge_cell.csv:1:5: game.path: '" + "x" * 60 + "... (2000000 bytes)' is not a number, expected a finite number")
code, _, stderr = run(write("huge_beta.yaml", GOOD.replace("beta: 0.05", "beta: " + "9" * 100_000 + "x")), "--out",
                      os.path.join(TMP, "out_huge_beta"), "--quiet")
check("bad.huge_beta.short_line", code == 2 and len(stderr) < 1200 and stderr.count("\n") == 1 and
      "bytes left out" in stderr and stderr.rstrip().endswith(f"expected 0 ({BETA_ZERO} only) or a number in [1e-08, 1e+06]"),
      f"exit {code}, {len(stderr)} bytes: {stderr[:200]!r} ... {stderr[-200:]!r}")
bad("empty_file", "", "the file is empty")
bad("yaml_syntax", "game: {type: rps3\nbeta: [0.1\n", "YAML syntax error")
bad("missing_file", None, "missing.yaml: cannot open the file")
bad("tolerance_metric", GOOD.replace("gap_beta: 1.0e-12", "gap_bta: 1.0e-12"),
    "stop.tolerance.gap_bta: unknown key 'gap_bta' (did you mean 'gap_beta'?)")
bad("bad_set", GOOD, "--set game.n=abc: game.n: 'abc' is not an integer", "--set", "game.n=abc")
bad("sweep_file", GOOD + "sweep:\n  beta: [0.1, 0.2]\n", "sweep: belongs to a sweep file, expected nlhf-sweep")
bad("list_with_file", GOOD, "--list: reads no file, expected nlhf-run --list games|references|solvers|metrics without",
    "--list", "games")
# nlhf-run does not offer a sweep file's keys among the valid ones.
code, _, stderr = run(write("typo_key.yaml", GOOD + "sed: 1\n"), "--out", os.path.join(TMP, "out_typo_key"), "--quiet")
check("bad.unknown_key_lists_no_sweep_keys", code == 2 and "unknown key 'sed'" in stderr and "zip" not in stderr
      and "sweep" not in stderr, stderr)
bad("beta_zero", GOOD.replace("beta: 0.05", "beta: 0"), "beta: 0 is not allowed with solvers[0] = nash_mp")
bad("empty_output", GOOD + 'output: ""\n', "output: '' is empty, expected a directory")
bad("empty_metrics", GOOD.replace("log: {", "log: {metrics: [], "), "log.metrics: is empty, expected at least one of")
bad("twice_metric", GOOD.replace("log: {", "log: {metrics: [gap_beta, span, gap_beta], "),
    "log.metrics[2]: 'gap_beta' is listed twice")
# An empty flag value is refused, never taken as the default (`--out "$OUT"` with OUT unset would
# write to runs/<name>, and --force would replace it).
for flag in ("--out", "--set"):
    code, stdout, stderr = run(good, flag, "", "--quiet", "--force")
    check(f"bad.empty{flag}", code == 2 and stderr.startswith(f"error: {flag}: is empty") and stdout == "",
          f"exit {code}: {stderr}")
check("bad.empty_out.no_default_dir", not os.path.exists(os.path.join(TMP, "runs")), str(os.listdir(TMP)))
code, stdout, stderr = run(good, "--help", "--out", "")
check("help_before_empty_flag", code == 0 and "Usage: nlhf-run" in stdout, stderr)
# The dry run's memory line of a game whose size no parameter gives.
code, stdout, stderr = run(write("rps.yaml", "game: {type: rps3}\nbeta: 0.1\nsolvers: [{name: omd}]\n"), "--dry-run")
check("dry_run.fixed_size_game", code == 0 and "n set by the game" in stdout and "n = 0" not in stdout, stdout + stderr)
# Several problems are reported together, one line each.
code, _, stderr = run(write("two.yaml", GOOD.replace("n: 6}", "n: 1}").replace("beta: 0.05", "beta: x")), "--out",
                      os.path.join(TMP, "out_two"), "--quiet")
check("bad.all_at_once", code == 2 and len(stderr.strip().splitlines()) == 2, stderr)
# An existing non-empty output directory is refused without --force, replaced with it.
code, _, stderr = run(good, "--out", out, "--quiet")
check("bad.existing_dir", code == 2 and "exists and is not empty" in stderr and "--force" in stderr, stderr)
code, _, stderr = run(good, "--out", out, "--quiet", "--force")
check("force.replaces", code == 0, stderr)

# --- listings and help -----------------------------------------------------------------------
for what, word in (("games", "bradley_terry"), ("solvers", "nash_md_pg"), ("metrics", "fp_residual"),
                   ("references", "zipf")):
    code, stdout, _ = run("--list", what)
    check(f"list.{what}", code == 0 and word in stdout, stdout[:200])
code, stdout, _ = run("--help")
check("help", code == 0 and "Usage: nlhf-run" in stdout and "--set" in stdout, stdout[:200])
# The help's example experiment is a valid one (every key it shows is read as it says).
example = stdout.split("Experiment file:\n", 1)[1].split("All keys", 1)[0]
example_path = write("help_example.yaml", "".join(line[2:] + "\n" for line in example.splitlines()))
code, stdout, stderr = run(example_path, "--dry-run", "--out", os.path.join(TMP, "out_help_example"))
check("help.example_is_valid", code == 0 and "omd_fixed" in stdout and "equilibrium: certified" in stdout, stderr)

# --version and config.resolved.yaml name the commit the tools were built from.
code, stdout, stderr = run("--version")
version = re.fullmatch(r"nlhf-run (\S+) \((\S+)\)\n", stdout)
check("version.format", code == 0 and version is not None, stdout + stderr)
if version:
    with open(os.path.join(out, "config.resolved.yaml")) as f:
        resolved = f.read()
    check("version.commit_in_resolved_config", f"git_commit: {version.group(2)}" in resolved, resolved[:200])
# That commit is read at every build by cmake/GitCommit.cmake (not only when `cmake` configures):
# HEAD, "-modified" while a tracked file differs from it, "unknown" outside a git checkout.
repo = os.path.join(TMP, "repo")
os.makedirs(repo)
generated = os.path.join(TMP, "git_commit.cc")


GIT_ENV = dict(os.environ, GIT_CEILING_DIRECTORIES=TMP)  # TMP inside some work tree is not that tree
GIT_ENV.pop("GIT_DIR", None)
GIT_ENV.pop("GIT_WORK_TREE", None)


def commit_of_build():
    subprocess.run([shutil.which("cmake") or "cmake", f"-DSOURCE_DIR={repo}", f"-DOUT={generated}", "-P",
                    os.path.join(SRC, "cmake", "GitCommit.cmake")], check=True, capture_output=True, env=GIT_ENV)
    with open(generated) as f:
        return re.search(r'kGitCommit = "([^"]*)"', f.read()).group(1)


def git(*args):
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false", *args],
                          cwd=repo, check=True, capture_output=True, text=True, env=GIT_ENV).stdout.strip()


check("version.outside_git", commit_of_build() == "unknown")
try:
    git("init", "-q")
    have_git = True
except (OSError, subprocess.CalledProcessError):
    have_git = False
if have_git:
    write_in(repo, "a.txt", "1\n")
    git("add", "a.txt")
    git("commit", "-qm", "one")
    first = git("rev-parse", "--short=12", "HEAD")
    check("version.head", commit_of_build() == first, first)
    write_in(repo, "a.txt", "2\n")
    check("version.modified", commit_of_build() == first + "-modified")
    write_in(repo, "untracked.txt", "x\n")
    git("commit", "-qam", "two")
    second = git("rev-parse", "--short=12", "HEAD")
    check("version.moved_on", second != first and commit_of_build() == second, second)

check.finish(TMP)
