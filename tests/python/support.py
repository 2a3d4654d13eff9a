"""What the Python module's tests share. Run by ctest with the interpreter the module was built for,
PYTHONPATH pointing at build/python, and two arguments: the tools' folder and the source tree. Checks
count as in the CLI tests (tests/cli/harness.py): the closing line is 'N passed, M failed'."""
import csv
import math
import os
import resource
import struct
import sys
import tempfile

BIN = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else ""
SRC = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else ""
sys.path.insert(0, os.path.join(SRC, "tests", "cli"))

from harness import Checks, call, write_in  # noqa: E402,F401 (re-exported)

import nlhf  # noqa: E402,F401


def scratch():
    """A fresh folder for one test script's files."""
    return tempfile.mkdtemp(prefix="nlhf-python-test-")


def tool(name):
    return os.path.join(BIN, name)


def bits(x):
    """The 64 bits of a double (NaN payloads aside, equal bits mean the same number)."""
    return struct.unpack("<q", struct.pack("<d", float(x)))[0]


def read_csv(path):
    """(header, rows) of a CSV file, cells as text."""
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def cell_equals(text, value):
    """Whether a trace.csv cell holds exactly `value` (an empty cell: NaN; "nan": a computed NaN)."""
    if isinstance(value, str):
        return text == value
    if text in ("", "nan"):
        return isinstance(value, float) and math.isnan(value)
    if isinstance(value, int):
        return str(value) == text
    return bits(float(text)) == bits(value)


def compare_table(columns, csv_path, skip=("wall_s",)):
    """Differences between a dict of arrays and a CSV file nlhf wrote: [] when every cell of every column
    but `skip` holds the same value, bit for bit, in the same order."""
    header, rows = read_csv(csv_path)
    problems = []
    if list(columns) != header:
        return [f"columns {list(columns)} != {header}"]
    for k, name in enumerate(header):
        if name in skip:
            continue
        values = columns[name]
        if len(values) != len(rows):
            return [f"{name}: {len(values)} values, {len(rows)} rows"]
        for r, row in enumerate(rows):
            v = values[r]
            v = v.item() if hasattr(v, "item") else v
            if not cell_equals(row[k], v):
                problems.append(f"{name} row {r}: {v!r} != {row[k]!r}")
                break
    return problems


def expect_value_errors(check, cases, prefix="bad"):
    """Each (function, expected text) of `cases` must raise ValueError whose message holds the text."""
    for i, (fn, expected) in enumerate(cases):
        try:
            fn()
            check(f"{prefix}.{i}", False, f"no error (expected {expected})")
        except ValueError as e:
            check(f"{prefix}.{i}", expected in str(e), f"{e} (expected {expected})")


def interrupted(program, wait_s, env, ready=None):
    """Runs `program` (Python text that prints a line when it has started) in a new interpreter, sends it
    SIGINT `wait_s` seconds after that line (and once `ready()` is true, if given: polled for up to
    10 minutes), and returns (stdout, stderr, exit code, seconds it took to end after the signal)."""
    import signal
    import subprocess
    import time
    p = subprocess.Popen([sys.executable, "-c", program], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env=env)
    first = p.stdout.readline()
    time.sleep(wait_s)
    deadline = time.monotonic() + 600
    while ready is not None and not ready() and p.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    sent = time.monotonic()
    p.send_signal(signal.SIGINT)
    try:
        out, err = p.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
    return first + out, err, p.returncode, time.monotonic() - sent


def rss_mb():
    """The resident set size now, in MB (Linux)."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * resource.getpagesize() / 2**20
