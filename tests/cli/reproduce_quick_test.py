"""The quick paper reproduction (bash scripts/reproduce.sh --quick), end to end: every experiment of
the issue runs, every figure is drawn, and every claim passes, so a regression in a solver turns a
claim red here. Standard library only. Usage: reproduce_quick_test.py BIN_DIR SOURCE_DIR"""
import csv
import os
import subprocess
import sys
import tempfile

BIN, SRC = sys.argv[1], sys.argv[2]
TMP = tempfile.mkdtemp(prefix="nlhf_reproduce_quick_")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Checks  # noqa: E402

check = Checks()
EXPECTED = ["egpo_tabular", "nash_mp_rates", "beta_scaling", "action_space", "action_space_huge", "step_sizes",
            "intransitive", "sampled_feedback", "self_play_stability", "egpo_empirical"]
out = os.path.join(TMP, "results")
p = subprocess.run(["bash", os.path.join(SRC, "scripts", "python.sh"), os.path.join(SRC, "scripts", "reproduce.py"),
                    "--quick", "--quiet", "--bin", BIN, "--out", out, "--jobs", "2"], capture_output=True, text=True)
print(p.stdout[-6000:])
check("exit", p.returncode == 0, p.stderr[-4000:])
rows = list(csv.DictReader(open(os.path.join(out, "claims.csv")))) if os.path.isfile(os.path.join(out, "claims.csv")) else []
check("experiments", sorted({r["experiment"] for r in rows}) == sorted(EXPECTED),
      f"claims cover {sorted({r['experiment'] for r in rows})}")
for name in EXPECTED:
    mine = [r for r in rows if r["experiment"] == name]
    check(f"{name}.claims", len(mine) >= 1, "no claims")
    for r in mine:
        check(f"{name}.{r['claim']}", r["result"] == "PASS", f"expected {r['expected']}, measured {r['measured']}")
    folder = os.path.join(out, name)
    pngs = [f for f in os.listdir(folder) if f.endswith(".png")] if os.path.isdir(folder) else []
    check(f"{name}.figures", len(pngs) >= 1 and all(os.path.getsize(os.path.join(folder, f)) > 1000 for f in pngs) and
          all(os.path.isfile(os.path.join(folder, f[:-4] + ".pdf")) for f in pngs), str(pngs))
check("markdown", os.path.isfile(os.path.join(out, "claims.md")), "")
# A figure script given another experiment's run directory (which may have every column it reads,
# and drew a figure of the wrong data, exit 0): one `error:` line naming the sweep it holds and the
# one expected, exit 2; given an experiment's folder, the run directories in it.
for script in sorted(os.listdir(os.path.join(SRC, "plots"))):
    if not script.endswith(".py") or script == "style.py":
        continue
    other = "nash_mp_rates" if script == "step_sizes.py" else "step_sizes"
    for given, words in ((os.path.join(out, other, "rates" if other == "nash_mp_rates" else "main"),
                          f"holds the sweep '{other}', expected the run directory of experiments/"),
                         (os.path.join(out, other), "is not an nlhf-sweep output directory (no config.resolved.yaml)")):
        p = subprocess.run(["bash", os.path.join(SRC, "scripts", "python.sh"), os.path.join(SRC, "plots", script),
                            "--out", os.path.join(TMP, "wrong_" + script)] +
                           [given] * (3 if script in ("egpo_empirical.py", "intransitive_dynamics.py") else 1),
                           capture_output=True, text=True)
        lines = p.stderr.strip().splitlines()
        check(f"wrong_input.{script}.{os.path.basename(given)}",
              p.returncode == 2 and len(lines) == 1 and lines[0].startswith("error: ") and words in lines[0] and
              not os.path.exists(os.path.join(TMP, "wrong_" + script + ".png")), f"exit {p.returncode}: {p.stderr[-600:]!r}")
# Past that check, a script's own checks of what it reads still speak: another experiment's run
# directory relabelled as the sweep the script draws (its config's name changed) is refused by them.
import shutil  # noqa: E402
fake = os.path.join(TMP, "relabelled")
shutil.copytree(os.path.join(out, "nash_mp_rates", "rates"), fake)
with open(os.path.join(fake, "config.resolved.yaml")) as f:
    config = f.read()
with open(os.path.join(fake, "config.resolved.yaml"), "w") as f:
    f.write(config.replace("\nname: nash_mp_rates\n", "\nname: step_sizes\n"))
p = subprocess.run(["bash", os.path.join(SRC, "scripts", "python.sh"), os.path.join(SRC, "plots", "step_sizes.py"),
                    "--out", os.path.join(TMP, "relabelled_fig"), fake], capture_output=True, text=True)
lines = p.stderr.strip().splitlines()
check("wrong_input.own_check", p.returncode == 2 and len(lines) == 1 and "has no finite step / stability_limit" in lines[0],
      f"exit {p.returncode}: {p.stderr[-600:]!r}")
check.finish(TMP)
