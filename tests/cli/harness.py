"""What the CLI test scripts share: checks that count, and the closing line that ctest and CI read
('N passed, M failed'). Standard library only."""
import os
import shutil
import subprocess
import sys


def call(command, cwd, env=None):
    """Runs command (a list) in cwd; returns (exit code, stdout, stderr). `env` adds variables."""
    p = subprocess.run(command, cwd=cwd, capture_output=True, text=True,
                       env=dict(os.environ, **env) if env else None)
    return p.returncode, p.stdout, p.stderr


def quick_sweep(bin_dir, sweep_file, out, sets, cwd):
    """Runs nlhf-sweep on sweep_file into out (2 jobs, quiet) with the --set overrides `sets` (an
    experiment's --quick grid); returns (exit code, stdout, stderr)."""
    command = [os.path.join(bin_dir, "nlhf-sweep"), sweep_file, "--out", out, "--jobs", "2", "--quiet"]
    for s in sets:
        command += ["--set", s]
    return call(command, cwd)


def runs_as_nobody(binary):
    """Whether root can run `binary` as user nobody (setpriv): not where the checkout sits under a
    folder only root may enter (a mktemp -d folder, mode 700)."""
    setpriv = shutil.which("setpriv")
    if os.geteuid() != 0 or not setpriv:
        return False
    # (Through env, as the tests run it: setpriv's own exec still has root's capabilities.)
    p = subprocess.run([setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", "env", binary, "--version"],
                       capture_output=True)
    return p.returncode == 0


def write_in(folder, name, text):
    """Writes text to folder/name and returns the path."""
    path = os.path.join(folder, name)
    with open(path, "w") as f:
        f.write(text)
    return path


class Checks:
    """check(name, condition, detail) records one check (printing FAIL and the detail when it fails);
    check.skipped collects the cases that could not run here; finish() removes the scratch folders,
    prints the closing line and exits 1 if any check failed."""

    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.skipped = []

    def __call__(self, name, condition, detail=""):
        if condition:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL {name}: {detail}")

    def finish(self, *scratch):
        for folder in scratch:
            shutil.rmtree(folder, ignore_errors=True)
        for s in self.skipped:
            print(f"skipped: {s}")
        print(f"{self.passed} passed, {self.failed} failed")
        sys.exit(1 if self.failed else 0)


def reproduce_value(src, experiment, expression):
    """Imports experiments/<experiment>/reproduce.py with the interpreter that has the plotting
    packages (scripts/python.sh) and evaluates `expression` (with the module as `m`), which must give
    JSON-able data: (exit code, the value or None, stderr). The claims tests follow the experiment's
    own sweeps and --quick grid this way."""
    program = ("import importlib.util, json, sys; sys.path.insert(0, sys.argv[1] + '/experiments'); "
               "s = importlib.util.spec_from_file_location('m', sys.argv[1] + '/experiments/' + sys.argv[2] + "
               "'/reproduce.py'); m = importlib.util.module_from_spec(s); s.loader.exec_module(m); "
               "print(json.dumps(eval(sys.argv[3])))")
    code, out, err = call(["bash", os.path.join(src, "scripts", "python.sh"), "-c", program, src, experiment,
                           expression], src)
    import json
    return code, (json.loads(out) if code == 0 else None), err
