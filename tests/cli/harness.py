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
