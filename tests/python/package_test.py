"""The package as a user meets it: importable from the build tree with PYTHONPATH (the README's line),
installable with `cmake --install`, and the notebook example runs and draws its figure."""
import os
import subprocess
import sys

from support import Checks, SRC, scratch

check = Checks()
TMP = scratch()
BUILD = os.environ["NLHF_BUILD_DIR"]
INSTALL_DIR = os.environ.get("NLHF_PYTHON_INSTALL_DIR", "")  # empty: built with NLHF_INSTALL=OFF
clean = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}

# The README's line, from another folder.
p = subprocess.run([sys.executable, "-c", "import nlhf; print(nlhf.__file__); print(nlhf.game('rps3').equilibrium(0.1).certified)"],
                   capture_output=True, text=True, cwd=TMP, env=dict(clean, PYTHONPATH=os.path.join(BUILD, "python")))
check("build_tree.import", p.returncode == 0 and p.stdout.split()[1:] == ["True"], p.stdout + p.stderr)

# cmake --install into a fresh prefix; the installed package imports without the build tree.
if INSTALL_DIR:
    prefix = os.path.join(TMP, "prefix")
    p = subprocess.run(["cmake", "--install", BUILD, "--prefix", prefix], capture_output=True, text=True)
    check("install.ran", p.returncode == 0, p.stdout + p.stderr)
    site = os.path.join(prefix, INSTALL_DIR)
    p = subprocess.run([sys.executable, "-c", "import nlhf; print(nlhf.__file__); r = nlhf.run_solver('nash_mp', "
                        "nlhf.game('rps3'), 0.1, iterations=10); print(r.summary['termination'])"],
                       capture_output=True, text=True, cwd=TMP, env=dict(clean, PYTHONPATH=site))
    lines = p.stdout.split()
    check("install.import", p.returncode == 0 and len(lines) == 2 and lines[0].startswith(site) and lines[1] == "iterations",
          p.stdout + p.stderr)
else:
    check.skipped.append("cmake --install (configured with NLHF_INSTALL=OFF)")

# The notebook example (its own check: Nash-MP's bound holds at every logged point).
out = os.path.join(TMP, "example")
p = subprocess.run([sys.executable, os.path.join(SRC, "experiments", "notebook_example.py"), "--out", out],
                   capture_output=True, text=True, cwd=TMP, env=dict(clean, PYTHONPATH=os.path.join(BUILD, "python"),
                                                                      MPLBACKEND="Agg"))
try:
    import matplotlib  # noqa: F401
    have_mpl = True
except ImportError:
    have_mpl = False
if have_mpl:
    check("example.ran", p.returncode == 0, p.stdout + p.stderr[-2000:])
    for ext in ("png", "pdf"):
        path = os.path.join(out, f"notebook_example.{ext}")
        check(f"example.{ext}", os.path.exists(path) and os.path.getsize(path) > 10000, path)
    check("example.prints", "Nash-MP (eta = 2 beta)   tolerance" in p.stdout, p.stdout)
else:
    check.skipped.append("the notebook example (no matplotlib for this interpreter)")
# The README's "From Python" block runs as written (from a folder where experiments/ is the source's).
readme = open(os.path.join(SRC, "README.md"), encoding="utf-8").read()
block = readme.split("## From Python", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
work = os.path.join(TMP, "readme")
os.makedirs(work)
os.symlink(os.path.join(SRC, "experiments"), os.path.join(work, "experiments"))
p = subprocess.run([sys.executable, "-c", block + "\nprint('ok', r.report['runs'])\n"], capture_output=True, text=True,
                   cwd=work, env=dict(clean, PYTHONPATH=os.path.join(BUILD, "python"), MPLBACKEND="Agg"))
check("readme.block", p.returncode == 0 and p.stdout.split()[-2:] == ["ok", "4"], p.stdout + p.stderr[-2000:])
check.finish(TMP)
