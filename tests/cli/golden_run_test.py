"""The tiny golden experiment reproduces its committed trace (tests/golden/tiny): text columns
exactly, numbers to a relative 1e-9 (room for last-digit differences between math libraries),
wall_s ignored. Standard library only. Usage: golden_run_test.py BIN_DIR SOURCE_DIR"""
import csv
import math
import os
import shutil
import subprocess
import sys
import tempfile

BIN, SRC = sys.argv[1], sys.argv[2]
golden = os.path.join(SRC, "tests", "golden", "tiny")
scratch = tempfile.mkdtemp(prefix="nlhf_golden_")
out = os.path.join(scratch, "tiny")
p = subprocess.run([os.path.join(BIN, "nlhf-run"), os.path.join(golden, "experiment.yaml"), "--out", out, "--quiet"],
                   capture_output=True, text=True)
failures = []
if p.returncode != 0:
    failures.append(f"exit {p.returncode}: {p.stderr}")
else:
    got = list(csv.DictReader(open(os.path.join(out, "trace.csv"))))
    want = list(csv.DictReader(open(os.path.join(golden, "expected_trace.csv"))))
    if len(got) != len(want):
        failures.append(f"{len(got)} rows, expected {len(want)}")
    text_columns = {"experiment", "run_id", "game", "reference", "solver", "label", "params"}
    for i, (g, w) in enumerate(zip(got, want)):
        for col in w:
            if col == "wall_s":
                continue
            if col in text_columns or w[col] == "":
                ok = g[col] == w[col]
            else:
                a, b = float(g[col]), float(w[col])
                ok = math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-300)
            if not ok:
                failures.append(f"row {i + 2} {col}: got {g[col]!r}, expected {w[col]!r}")
for f in failures[:20]:
    print("FAIL", f)
print(f"{0 if failures else 1} passed, {1 if failures else 0} failed")
shutil.rmtree(scratch, ignore_errors=True)
sys.exit(1 if failures else 0)
