"""Gambit .nfg interop through the binaries (issue 14): `nlhf-equilibrium --export nfg|nfg-centered|openspiel`
to stdout and to a new --output file (written atomically, never over an existing file, never left half
written), and `game: {type: nfg, path: ...}` reading it back: the same game bit for bit, so nlhf-run's
trace and pi* and nlhf-equilibrium's report are identical to the original game's. Malformed files give one
`error:` line naming file:line:col; an edited .nfg input is refused on resume like a matrix CSV.
Standard library only. Usage: nfg_cli_test.py BIN_DIR SOURCE_DIR"""
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile

BIN = sys.argv[1]
RUN = os.path.join(BIN, "nlhf-run")
SWEEP = os.path.join(BIN, "nlhf-sweep")
EQUILIBRIUM = os.path.join(BIN, "nlhf-equilibrium")
TMP = tempfile.mkdtemp(prefix="nlhf_nfg_test_")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Checks, call, write_in  # noqa: E402  (the folder of this script)

check = Checks()


def eq(*args, **kw):
    return call([EQUILIBRIUM, *args], TMP, **kw)


def one_error(code, out, err):
    """Exit 2, nothing on stdout, exactly one `error:` line on stderr."""
    return code == 2 and out == "" and len(err.splitlines()) == 1 and err.startswith("error: ")


def leftovers():
    """Temp files of an atomic write (".NAME.tmp-PID-THREAD") anywhere under TMP."""
    return [n for _, _, files in os.walk(TMP) for n in files if ".tmp-" in n]


# --- export: stdout and --output give the same bytes --------------------------------------------------
GAME = "random_uniform(n=20,seed=3)"
code, text, err = eq("--export", "nfg", "--game", GAME)
check("export.exit", code == 0 and err == "", f"{code} {err}")
check("export.header", text.startswith('NFG 1 R "nlhf random_uniform(n=20,seed=3): u1 = P(i beats j), u2 = 1 - u1" '
                                       '{ "Player 1" "Player 2" } { 20 20 }\n\n'), text[:200])
check("export.profiles", len(text.splitlines()) == 2 + 400, str(len(text.splitlines())))
nfg = os.path.join(TMP, "g.nfg")
code, out, err = eq("--export", "nfg", "--game", GAME, "--output", nfg)
check("output.exit", code == 0 and out == "" and err == "", f"{code} {out} {err}")
check("output.same_bytes", os.path.exists(nfg) and open(nfg).read() == text, "stdout and --output differ")
code, centered, err = eq("--export", "nfg-centered", "--game", GAME)
code2, openspiel, err2 = eq("--export", "openspiel", "--game", GAME)
check("openspiel.is_the_centered_file", code == 0 and code2 == 0 and centered == openspiel and centered != text,
      err + err2)
check("centered.zero_sum_text", all(l == "0 0" or l.split()[1] == "-" + l.split()[0] or l.split()[0] == "-" + l.split()[1]
                                    for l in centered.splitlines()[2:]), centered[:300])

# --- nlhf-run: the exported game gives the same trace and pi*, bit for bit ---------------------------
EXPERIMENT = """name: rt
game: {GAME}
reference: {{type: softmax_normal, scale: 1}}
beta: 0.05
seeds: [0, 1]
solvers:
  - {{name: nash_mp}}
  - {{name: omd, eta: auto}}
  - {{name: mwu}}
stop: {{iterations: 200}}
log: {{every: 5}}
"""
write_in(TMP, "orig.yaml", EXPERIMENT.format(GAME="{type: random_uniform, n: 20, seed: 3}"))
write_in(TMP, "back.yaml", EXPERIMENT.format(GAME="{type: nfg, path: g.nfg}"))
results = {}
for name in ("orig", "back"):
    code, _, err = call([RUN, f"{name}.yaml", "--out", f"out_{name}", "--quiet"], TMP)
    check(f"run.{name}", code == 0, err)
    if code == 0:
        with open(os.path.join(TMP, f"out_{name}", "trace.csv")) as f:
            rows = [{k: v for k, v in r.items() if k not in ("experiment", "run_id", "game", "wall_s")}
                    for r in csv.DictReader(f)]
        with open(os.path.join(TMP, f"out_{name}", "summary.json")) as f:
            pis = [(s["solver"], s["seed"], s["pi_star"]) for s in json.load(f)]
        results[name] = (rows, pis)
if len(results) == 2:
    check("run.same_trace", results["orig"][0] == results["back"][0] and len(results["orig"][0]) > 20,
          "the traces differ")
    check("run.same_pi_star", results["orig"][1] == results["back"][1], "pi* differs")
    with open(os.path.join(TMP, "out_back", "trace.csv")) as f:
        game = next(csv.DictReader(f))["game"]
    check("run.game_spec", game == f"nfg(path={nfg})", game)
    resolved = open(os.path.join(TMP, "out_back", "config.resolved.yaml")).read()
    check("run.resolved_hash", f"path: {nfg}, sha256: " in resolved, resolved)

# --- nlhf-equilibrium on the file: the same report as on the original game ---------------------------
def report(spec):
    code, out, err = eq("--game", spec, "--beta", "0.01", "--top", "0")
    lines = [l for l in out.splitlines() if not l.startswith("game ") and not l.startswith("equilibrium:")]
    return code, lines, err


for original, form in ((GAME, "nfg"), ("rps3(x=0.9,y=0.9,z=0.8)", "nfg-centered"), ("tournament(n=9,seed=2)", "nfg-centered")):
    path = os.path.join(TMP, f"{form}.{original.split('(')[0]}.nfg")
    code, _, err = eq("--export", form, "--game", original, "--output", path)
    check(f"equilibrium.export.{form}", code == 0, err)
    a, b = report(original), report(f"nfg(path={path})")
    check(f"equilibrium.same_report.{original}.{form}", a[0] == 0 and a == b, f"{a}\n{b}")

# --- --output: never over an existing file, never half written --------------------------------------
with open(nfg, "rb") as f:
    before = f.read()
code, out, err = eq("--export", "nfg", "--game", "rps3", "--output", nfg)
check("refuse.existing", one_error(code, out, err) and f"writing {nfg}: the file exists, and it is not overwritten" in err,
      f"{code} {out} {err}")
check("refuse.untouched", open(nfg, "rb").read() == before, "the existing file changed")
code, out, err = eq("--export", "nfg", "--game", "rps3", "--output", os.path.join(TMP, "no", "such", "dir.nfg"))
check("refuse.missing_dir", one_error(code, out, err) and
      f"its folder {os.path.join(TMP, 'no', 'such')} does not exist, expected the name of a new file in an existing "
      "folder" in err, err)
# Refused before the game is built, which at large n takes seconds to minutes.
code, out, err = eq("--export", "nfg", "--game", "random_uniform(n=300)", "--output", os.path.join(nfg, "x.nfg"))
check("refuse.file_as_folder", one_error(code, out, err) and f"its folder {nfg} is not a folder" in err, err)


def limit_file_size():
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))


big = os.path.join(TMP, "big.nfg")
p = subprocess.run([EQUILIBRIUM, "--export", "nfg", "--game", "random_uniform(n=100)", "--output", big], cwd=TMP,
                   capture_output=True, text=True, preexec_fn=limit_file_size)
code, out, err = p.returncode, p.stdout, p.stderr
check("failed_write.error", one_error(code, out, err) and f"writing {big}: File too large" in err, f"{code} {err}")
check("failed_write.no_file", not os.path.exists(big), "a partial file was left")
check("no_temp_files", leftovers() == [], str(leftovers()))

# --- bad flags and games too large --------------------------------------------------------------------
code, out, err = eq("--export", "gambit")
check("bad_form", one_error(code, out, err) and "--export: 'gambit' is not a form, expected nfg, nfg-centered or "
                                                 "openspiel" in err, err)
code, out, err = eq("--output", os.path.join(TMP, "x.nfg"))
check("output_without_export", one_error(code, out, err) and "--output: is given without --export" in err, err)
# A flag only a solve uses is refused with --export, not silently ignored (nothing is written).
for flag, value in (("--beta", "0.5"), ("--selection", "max_entropy"), ("--top", "3"),
                    ("--reference", "softmax_normal(scale=1)")):
    path = os.path.join(TMP, "solve_flag.nfg")
    code, out, err = eq("--export", "nfg", flag, value, "--output", path)
    check(f"solve_flag{flag}", one_error(code, out, err) and f"{flag}: has no effect with --export" in err
          and not os.path.exists(path), err)
code, out, err = eq("--export", "nfg", "--game", "low_rank_cyclic(n=100000)")
check("too_large", one_error(code, out, err) and "game: has n = 100000 actions, expected at most 6000" in err, err)
# A dense game of that size is refused before it is built (80 GB: the build itself would fail).
code, out, err = eq("--export", "nfg", "--game", "random_uniform(n=100000)")
check("too_large.dense", one_error(code, out, err) and "game: has n = 100000 actions, expected at most 6000" in err, err)

# --- malformed files: one error line with file:line:col ---------------------------------------------
bad = write_in(TMP, "bad.nfg", 'NFG 1 R "" { "" "" } { 2 2 }\n0.5 0.5\n0.75 0.25\n0.3 0.75\n0.5 0.5\n')
code, out, err = eq("--game", f"nfg(path={bad})")
check("malformed.equilibrium", one_error(code, out, err) and f"{bad}:4:1: game.path: " in err, err)
write_in(TMP, "bad.yaml", "game: {type: nfg, path: bad.nfg}\nbeta: 0.1\nsolvers: [{name: nash_mp}]\n")
code, out, err = call([RUN, "bad.yaml", "--out", "out_bad"], TMP)
check("malformed.run", one_error(code, out, err) and f"{bad}:4:1: game.path: " in err, err)
check("malformed.run_no_output", not os.path.exists(os.path.join(TMP, "out_bad")), "an output directory was made")

# --- an edited .nfg input is refused on resume -------------------------------------------------------
write_in(TMP, "sweep.yaml", """name: s
game: {type: nfg, path: g.nfg}
beta: 0.1
seeds: [0]
solvers: [{name: nash_mp}]
stop: {iterations: 20}
sweep:
  beta: [0.1, 0.2]
""")
code, out, err = call([SWEEP, "sweep.yaml", "--out", "sweep_out", "--quiet"], TMP)
check("sweep.first", code == 0, err)
with open(nfg, "a") as f:
    f.write("\n")  # the same game, other bytes: another input
code, out, err = call([SWEEP, "sweep.yaml", "--out", "sweep_out", "--quiet"], TMP)
check("sweep.changed_refused", code == 2 and "g.nfg: has changed since" in err, f"{code} {out} {err}")

check.finish(TMP)
