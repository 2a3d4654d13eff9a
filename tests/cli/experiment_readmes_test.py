"""Each experiment's README gives the commands that run it by hand, and they are the ones
scripts/reproduce.py runs: every sweep into the run directory reproduce.sh uses (so that it reuses
them), every figure with its plot script, inputs and arguments. Built from each experiment's
reproduce.py (SWEEPS, FIGURES), so a README that drifts from it fails here.
Usage: experiment_readmes_test.py BIN_DIR SOURCE_DIR (run again through scripts/python.sh if this
interpreter lacks numpy, which the experiments' modules import)."""
import importlib.util
import os
import re
import sys

SRC = sys.argv[2]
try:  # the experiments' modules import numpy: under an interpreter that has it (scripts/python.sh)
    import numpy  # noqa: F401
except ImportError:
    if os.environ.get("NLHF_READMES_REEXEC"):
        raise
    os.environ["NLHF_READMES_REEXEC"] = "1"
    os.execvp("bash", ["bash", os.path.join(SRC, "scripts", "python.sh"), os.path.abspath(__file__), *sys.argv[1:]])
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(SRC, "experiments"))
from harness import Checks  # noqa: E402

check = Checks()


def quoted(arg):
    return arg if re.fullmatch(r"[\w./=:,+-]+", arg) else '"' + arg + '"'


EXPERIMENTS = os.path.join(SRC, "experiments")
names = sorted(n for n in os.listdir(EXPERIMENTS) if os.path.isfile(os.path.join(EXPERIMENTS, n, "reproduce.py")))
check("found", len(names) >= 10, str(names))
for name in names:
    spec = importlib.util.spec_from_file_location(f"exp_{name}", os.path.join(EXPERIMENTS, name, "reproduce.py"))
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except ImportError as e:
        check(f"{name}.loads", False, str(e))
        continue
    with open(os.path.join(EXPERIMENTS, name, "README.md")) as f:
        readme = f.read().split("\n")
    for s in module.SWEEPS:
        want = f"build/bin/nlhf-sweep experiments/{name}/{s.config} --out results/{name}/{s.out}"
        check(f"{name}.sweep.{s.out}", want in readme, want)
    for fig in module.FIGURES:
        want = (f"bash scripts/python.sh {fig.script} --out results/{name}/{fig.out} "
                + " ".join(f"results/{name}/{i}" for i in fig.inputs)
                + "".join(" " + quoted(a) for a in fig.args))
        check(f"{name}.figure.{fig.out}", want in readme, want)
    # No run directory elsewhere (runs/...), which reproduce.sh would not reuse.
    stray = [line for line in readme if re.match(r"(build/bin/nlhf-sweep|bash scripts/python.sh plots/).*\bruns/", line)]
    check(f"{name}.no_other_directories", not stray, "\n".join(stray))
check.finish()
