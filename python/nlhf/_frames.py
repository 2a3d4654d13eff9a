"""Tables as a dict of numpy arrays, and as pandas DataFrames when pandas is installed.

The CSV files nlhf writes (trace.csv, runs.csv, summary.csv) hold every double in its shortest
round-trip form, so reading them with Python's float() (correctly rounded) gives the same bits the
tools computed. pandas' default parser is not always correctly rounded: frames are read with
float_precision="round_trip".
"""
from __future__ import annotations

import csv
import math

import numpy as np

# Columns that hold text even when every value looks like a number (a hex run id made of digits).
TEXT_COLUMNS = frozenset(
    {"experiment", "run_id", "game", "reference", "solver", "label", "params", "status", "termination", "message",
     "task", "point"})

# Columns of doubles even when every value is written as an integer (beta = 0 throughout a sweep),
# so that tables from different sweeps concatenate without mixing int64 and float64.
FLOAT_COLUMNS = frozenset({"beta", "wall_s", "rho", "stability_limit", "target_gap_beta"})


def pandas():
    """The pandas module, or None when it is not installed."""
    try:
        import pandas as pd  # noqa: PLC0415 (optional dependency)
    except ImportError:
        return None
    return pd


def frame(columns: dict):
    """A DataFrame of `columns` (a dict of equal-length arrays), or None without pandas."""
    pd = pandas()
    return None if pd is None else pd.DataFrame(columns)


def _column(name: str, cells: list[str]):
    if name in TEXT_COLUMNS:
        return np.array(cells, dtype=object)
    try:
        if name in FLOAT_COLUMNS:
            return np.array([float(c) if c != "" else math.nan for c in cells], dtype=np.float64)
        if all(c.lstrip("-").isdigit() for c in cells) and cells:
            values = [int(c) for c in cells]
            return np.array(values, dtype=np.uint64 if max(values) >= 2**63 else np.int64)
        return np.array([float(c) if c != "" else math.nan for c in cells], dtype=np.float64)
    except (ValueError, OverflowError):
        return np.array(cells, dtype=object)


def read_csv_columns(path: str) -> dict:
    """A CSV file nlhf wrote, as a dict of numpy arrays (empty cells: NaN in numeric columns)."""
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader, [])
        cells = [[] for _ in header]
        for row in reader:
            for k, value in enumerate(row):
                cells[k].append(value)
    return {name: _column(name, cells[k]) for k, name in enumerate(header)}


def read_csv_frame(path: str):
    """A CSV file nlhf wrote, as a DataFrame with exact doubles (None without pandas)."""
    pd = pandas()
    if pd is None:
        return None
    with open(path, encoding="utf-8") as f:
        header = f.readline().strip().split(",")
    dtypes = {name: str for name in header if name in TEXT_COLUMNS}
    dtypes.update({name: "float64" for name in header if name in FLOAT_COLUMNS})
    return pd.read_csv(path, float_precision="round_trip", dtype=dtypes)
