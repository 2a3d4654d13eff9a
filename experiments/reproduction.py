"""What a paper reproduction is made of, shared by experiments/<name>/reproduce.py and the driver
(scripts/reproduce.py).

An experiment folder holds its sweep files, a README and a module `reproduce.py` that declares:

    TITLE = "one line: the question"
    SWEEPS = [Sweep("sweep.yaml", out="main", quick=["seeds={from: 0, to: 2}"])]
    FIGURES = [Figure("plots/<script>.py", out="<base name>", inputs=["main"])]
    def claims(results: Results, quick: bool) -> list[Claim]: ...

The driver runs every sweep with nlhf-sweep into results/<name>/<out>/ (a second call resumes),
draws every figure with its plot script (which reads CSV only), then evaluates the claims from the
sweeps' CSV files. Claims compare a measured number with a paper's statement or bound; a claim
whose data are missing is a failure with the reason, never a silent pass.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Sweep:
    config: str                                  # a sweep (or experiment) YAML in the experiment folder
    out: str                                     # its run directory: results/<name>/<out>/
    quick: list[str] = field(default_factory=list)  # --set overrides for --quick
    # A sweep whose runs may fail at run time by design (divergent steps): nlhf-sweep's exit 1 is
    # then expected and the claims read the `status` column.
    failures_expected: bool = False


@dataclass
class Figure:
    script: str                  # plots/<script>.py (repository-relative)
    out: str                     # base name: results/<name>/<out>.png and .pdf
    inputs: list[str]            # sweep outs (run directories) given to the script, in order
    args: list[str] = field(default_factory=list)  # extra arguments


@dataclass
class Claim:
    claim: str       # what is claimed, in words
    source: str      # the paper (arXiv id, section/figure) or theorem it comes from
    expected: str    # the value the paper states, or the bound
    measured: str    # what this run measured
    passed: bool

    def row(self) -> dict:
        return {"claim": self.claim, "source": self.source, "expected": self.expected,
                "measured": self.measured, "result": "PASS" if self.passed else "FAIL"}


class MissingData(Exception):
    """A file or column a claim needs is missing: the claim fails with this message."""


class Results:
    """The run directories of one experiment: results/<name>/<out>/ for each sweep."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self._cache: dict[tuple[str, str], object] = {}

    def csv(self, out: str, name: str, columns: list[str] = ()):
        """results/<name>/<out>/<name>.csv as a pandas DataFrame, checking that `columns` exist."""
        import pandas as pd
        key = (out, name)
        if key not in self._cache:
            path = self.root / out / f"{name}.csv"
            if not path.is_file():
                raise MissingData(f"{path} is missing (did the sweep '{out}' run?)")
            # Exact doubles: pandas' default parser misreads some 17-digit numbers (by up to thousands of ulps).
            self._cache[key] = pd.read_csv(path, keep_default_na=True, float_precision="round_trip")
        df = self._cache[key]
        missing = [c for c in columns if c not in df.columns]
        if missing:
            raise MissingData(f"{self.root / out / (name + '.csv')} has no column {', '.join(missing)}")
        return df

    def runs(self, out: str, columns: list[str] = ()):
        return self.csv(out, "runs", columns)

    def trace(self, out: str, columns: list[str] = ()):
        return self.csv(out, "trace", columns)

    def summary(self, out: str, columns: list[str] = ()):
        return self.csv(out, "summary", columns)


def fmt(x: float, digits: int = 3) -> str:
    """A number for a claims table: 3 significant digits, 'nan' spelled out."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "nan"
    if isinstance(x, (int,)) or (isinstance(x, float) and x.is_integer() and abs(x) < 1e7):
        return f"{int(x)}"
    return f"{x:.{digits}g}"


def fmt_range(lo: float, hi: float, digits: int = 3) -> str:
    """'lo-hi' for a claims table, or one number when both print the same."""
    a, b = fmt(lo, digits), fmt(hi, digits)
    return a if a == b else f"{a}-{b}"


def fit_slope(x, y, what: str = "a slope"):
    """Least-squares slope of y against x (numpy arrays or lists). Fewer than two points, or a NaN or
    infinite value (log of a missing or zero value), is MissingData: never a silent partial fit."""
    import numpy as np
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if len(x) < 2:
        raise MissingData(f"{what} needs at least two points ({len(x)} given)")
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise MissingData(f"{what}: {int((~np.isfinite(x) | ~np.isfinite(y)).sum())} of {len(x)} points "
                          "are NaN or infinite")
    return float(np.polyfit(x, y, 1)[0])


# Comparisons of measured values with a bound. pandas' max()/min()/median() skip NaN, `NaN > bound` is
# False and `.all()` of nothing is True: a claim built on them passes on missing data. These count
# NaN as a failure and, unless allow_empty, an empty set too. `bound` is a number or an array of the
# same length and order as `values`. They return (ok, n_bad): n_bad counts the failing values,
# NaN included, for the claim's measured text.

def _all(values, test, allow_empty: bool) -> tuple[bool, int]:
    import numpy as np
    v = np.asarray(values, dtype=float).ravel()
    with np.errstate(invalid="ignore"):
        good = np.asarray(test(v), dtype=bool).ravel()  # NaN compares False: a failure
    n_bad = int((~good).sum())
    return bool(n_bad == 0 and (allow_empty or len(v) > 0)), n_bad


def all_le(values, bound, allow_empty: bool = False) -> tuple[bool, int]:
    """Every value <= bound (NaN fails)."""
    import numpy as np
    return _all(values, lambda v: v <= np.asarray(bound, dtype=float).ravel(), allow_empty)


def all_lt(values, bound, allow_empty: bool = False) -> tuple[bool, int]:
    """Every value < bound (NaN fails)."""
    import numpy as np
    return _all(values, lambda v: v < np.asarray(bound, dtype=float).ravel(), allow_empty)


def all_ge(values, bound, allow_empty: bool = False) -> tuple[bool, int]:
    """Every value >= bound (NaN fails)."""
    import numpy as np
    return _all(values, lambda v: v >= np.asarray(bound, dtype=float).ravel(), allow_empty)


def all_gt(values, bound, allow_empty: bool = False) -> tuple[bool, int]:
    """Every value > bound (NaN fails)."""
    import numpy as np
    return _all(values, lambda v: v > np.asarray(bound, dtype=float).ravel(), allow_empty)


def nans(values) -> str:
    """' (k NaN)' for a claim's measured text when k of `values` are NaN, else ''."""
    import numpy as np
    k = int(np.isnan(np.asarray(values, dtype=float)).sum())
    return f" ({k} NaN)" if k else ""


def require_values(values, what: str):
    """MissingData if `values` (a Series, DataFrame or array) is empty or holds a NaN; returns them.
    For columns a claim aggregates with median/mean, which would skip the NaN."""
    import numpy as np
    v = np.asarray(values, dtype=float)
    if v.size == 0:
        raise MissingData(f"{what}: no values")
    k = int(np.isnan(v).sum())
    if k:
        raise MissingData(f"{what}: {k} of {v.size} values are NaN (empty in the CSV)")
    return values


def require_count(frame_or_groups, expected: int, what: str) -> int:
    """MissingData unless `frame_or_groups` holds exactly `expected` items: rows of a DataFrame or
    Series, groups of a groupby, elements of a list, or an int. For "on every game/run" claims, whose
    filters would otherwise drop a missing or broken run silently."""
    obj = frame_or_groups
    n = obj if isinstance(obj, int) else obj.ngroups if hasattr(obj, "ngroups") else len(obj)
    if n != expected:
        raise MissingData(f"{what}: {n} where the sweep should have produced {expected}")
    return n


def param(params: str, key: str) -> float:
    """The value of `key` in a runs.csv `params` cell, the canonical spec string of a solver (e.g.
    "omd(eta=0.8,reference_every=0)"); NaN if absent. plots/style.py has the same parser (plots do
    not import from experiments/)."""
    import re
    m = re.search(rf"\b{re.escape(key)}=([0-9.eE+-]+)", str(params))
    return float(m.group(1)) if m else math.nan


def oracle_batch(label: str) -> int:
    """B of a solver entry from its default label, which ends with its oracle
    (`omd sampled(batch=64,sampler=iterate)`); 0 for an exact run. plots/style.py has the same parser
    (plots do not import from experiments/)."""
    import re
    m = re.search(r"\b(?:sampled|pairs)\(batch=(\d+)", str(label))
    return int(m.group(1)) if m else 0
