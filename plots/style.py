"""The house style of nlhf's figures and the helpers every plot script shares.

Figures are sized for a paper column (3.4 in wide, panels side by side make them wider, up to the
text width of 7 in: save() narrows a wider one, keeping its fonts' sizes), written as PNG and PDF
next to the data. Scripts read CSV only (never recompute a metric) and fail with one
`error:` line naming the file or column that is missing.
"""
from __future__ import annotations

import argparse
import logging
import math
import os
import sys
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

# fontTools, which embeds the fonts of the PDF, warns about the fonts' own old timestamps: noise.
logging.getLogger("fontTools").setLevel(logging.ERROR)

COLUMN_WIDTH = 3.4  # inches: one column of a two-column paper
TEXT_WIDTH = 7.0    # inches: the full text width (a figure* across both columns); no figure is wider
PANEL_HEIGHT = 2.5

# Axis labels name the metric exactly.
LABELS = {
    "gap_beta": r"gap$_\beta$ (duality gap of the $\beta$-regularized game)",
    "exploitability": r"exploitability (gap$_\beta$ / 2)",
    "gap_0": r"gap$_0$ (unregularized duality gap)",
    "kl_to_star": r"KL($\pi^*_\beta\,\Vert\,\pi$)",
    "kl_from_star": r"KL($\pi\,\Vert\,\pi^*_\beta$)",
    "span": r"span($\log\pi - \log\pi^*_\beta$)",
    "fp_residual": "fixed-point residual",
    "br_winrate": "best-response win rate",
    "oracle_calls": r"oracle calls $N$ (evaluations of $P\pi$)",
    "iter": "iterations (updates)",
}

# One colour per solver, the same in every figure.
COLORS = {
    "nash_mp": "#0072B2", "egpo": "#D55E00", "omd": "#009E73", "mmd": "#CC79A7", "nash_md": "#7B3294",
    "online_ipo2": "#56B4E9", "nash_md_pg": "#999999", "mwu": "#000000", "omwu": "#B8A200", "prox": "#8C564B",
}


def error(message: str, code: int = 2):
    print(f"error: {message}", file=sys.stderr)
    sys.exit(code)


def run(main):
    """Runs a script's main(). Input its own checks miss (the run directories of another experiment,
    say) surfaces as an exception deep in pandas or matplotlib: it becomes one `error:` line naming the
    inputs, exit 2, not a traceback. (With the right inputs, such a line is a bug of the script.)"""
    # numpy's RuntimeWarnings on such input would come first: held, and shown only if the figure is drawn.
    with warnings.catch_warnings(record=True) as held:
        warnings.simplefilter("default")
        try:
            main()
            failure = None
        except Exception as e:  # (not SystemExit or KeyboardInterrupt: those pass)
            failure = e
    if failure is None:
        for w in held:
            warnings.showwarning(w.message, w.category, w.filename, w.lineno)
    else:
        args = sys.argv[1:]
        # The arguments but --out and its value; the exception's text on one line.
        given = [a for i, a in enumerate(args) if a != "--out" and (i == 0 or args[i - 1] != "--out")]
        error(f"{Path(sys.argv[0]).name}: cannot draw the figure from {' '.join(given) or 'no arguments'} "
              f"({type(failure).__name__}: {' '.join(str(failure).split())}), expected the run directories "
              f"plots/README.md lists for it")


class _Parser(argparse.ArgumentParser):
    """Bad usage is one `error:` line and exit 2 (not argparse's usage block), as in the C++ tools."""

    def error(self, message):
        error(f"{self.prog}: {message} (see --help)")


def parser(description: str) -> argparse.ArgumentParser:
    p = _Parser(description=description)
    p.add_argument("--out", required=True, help="output base name: writes OUT.png and OUT.pdf")
    return p


def setup():
    plt.rcParams.update({
        "font.size": 8, "axes.titlesize": 8, "axes.labelsize": 8, "legend.fontsize": 7,
        "xtick.labelsize": 7, "ytick.labelsize": 7, "lines.linewidth": 1.2, "figure.dpi": 100,
        "savefig.dpi": 150, "axes.grid": True, "grid.alpha": 0.3, "grid.linewidth": 0.5,
        "legend.frameon": False, "pdf.fonttype": 42,
    })


def sweep_dir(path, names, source: str) -> Path:
    """The run directory `path`, checked to hold the sweep the script draws: its config.resolved.yaml
    names one of `names` (the sweep files' `name:`), else one `error:` line and exit 2. Another
    experiment's directory can have every column a script reads, and would draw a wrong figure.
    `source`: the sweep file(s), for the message."""
    d = Path(path)
    names = (names,) if isinstance(names, str) else tuple(names)
    config = d / "config.resolved.yaml"
    if not config.is_file():
        subs = sorted(p.parent.name for p in d.glob("*/config.resolved.yaml")) if d.is_dir() else []
        hint = (f" (it holds the run directories {', '.join(subs)}: give the one of {source})" if subs
                else " (run the experiment first)" if not d.exists() else "")
        error(f"{d}: is not an nlhf-sweep output directory (no config.resolved.yaml), expected the run directory "
              f"of {source}{hint}")
    name = next((line[len("name: "):].strip().strip("'\"") for line in config.read_text().splitlines()
                 if line.startswith("name: ")), "")
    if name not in names:
        error(f"{d}: holds the sweep '{name}', expected the run directory of {source} (a sweep named "
              f"{' or '.join(names)}: a variant of your own plots if it keeps that name)")
    return d


def read_csv(path, columns=(), nonempty=True) -> pd.DataFrame:
    """A CSV file as a DataFrame; one `error:` line and exit 2 if it or a column is missing, or (unless
    nonempty=False) if it has no rows (an interrupted or empty sweep)."""
    path = Path(path)
    if not path.is_file():
        error(f"{path}: no such file (run the experiment first)")
    try:
        df = pd.read_csv(path, float_precision="round_trip")  # exact doubles (the default parser is not)
    except Exception as e:  # pandas raises several types for a malformed file
        error(f"{path}: cannot read as CSV: {e}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        error(f"{path}: no column {', '.join(missing)} (columns: {', '.join(df.columns)})")
    if nonempty and df.empty:
        error(f"{path}: has no rows (did the sweep finish?)")
    return df


def fit_text_width(fig):
    """Narrows `fig` until its drawn extent (what bbox_inches="tight" writes) is at most TEXT_WIDTH,
    laying it out again each time, so that it goes into a paper at its own size: scaled down to fit,
    its 7-8 pt text would shrink below legibility. Fonts keep their size; the panels get narrower."""
    start = fig.get_figwidth()
    target = TEXT_WIDTH - 2 * plt.rcParams["savefig.pad_inches"]  # the file adds this margin around it
    width = target
    for _ in range(6):
        fig.canvas.draw()
        width = fig.get_tightbbox(fig.canvas.get_renderer()).width  # inches
        # (Panels are not made narrower than half of what the script asked for: text of a fixed
        # width, a legend of long labels side by side, does not narrow, and a script wraps it.)
        narrower = max(fig.get_figwidth() - (width - target) - 0.01, 0.5 * start)
        if width <= target + 0.005 or narrower >= fig.get_figwidth():
            break
        fig.set_figwidth(narrower)
        layout = getattr(fig, "_nlhf_tight_layout", None)
        if layout is not None:
            fig.tight_layout(**layout)
    if width > target + 0.005:
        print(f"note: the figure is {width + 2 * plt.rcParams['savefig.pad_inches']:.2f} in wide, more than a page's "
              f"text ({TEXT_WIDTH:g} in): its fixed-width text (a title, a legend, a footnote) needs wrapping",
              file=sys.stderr)


def power_of_ten(text: str) -> str:
    """A number as the figures write it: "1e-8" as $10^{-8}$ (a power of ten), else as given."""
    try:
        value = float(text)
    except ValueError:
        return text
    if not (value > 0 and math.isfinite(value)):
        return text
    exponent = math.log10(value)
    return rf"$10^{{{round(exponent)}}}$" if abs(exponent - round(exponent)) < 1e-12 else text


def wrap(text: str, width: int) -> str:
    """`text` broken into lines of at most `width` characters (a figure's footnote, which does not
    narrow with the figure), never inside a $...$ formula."""
    words, lines, line, math_open = text.split(" "), [], "", False
    for w in words:
        if line and len(line) + 1 + len(w) > width and not math_open:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}" if line else w
        math_open ^= w.count("$") % 2 == 1
    return "\n".join(lines + [line])


def tight_layout(fig, **kwargs):
    """fig.tight_layout(**kwargs), remembered for fit_text_width, which lays the figure out again when it
    narrows it. Scripts call this, not fig.tight_layout."""
    fig._nlhf_tight_layout = kwargs
    fig.tight_layout(**kwargs)


def save(fig, out: str):
    """Writes OUT.png and OUT.pdf atomically (temporary file, then rename), no wider than TEXT_WIDTH."""
    fit_text_width(fig)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    for ext in ("png", "pdf"):
        final = out.with_name(out.name + "." + ext)
        tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}.{ext}")
        try:
            fig.savefig(tmp, bbox_inches="tight")
            os.replace(tmp, final)
        except OSError as e:
            tmp.unlink(missing_ok=True)
            error(f"writing {final}: {e.strerror}")
    plt.close(fig)


def median_band(df: pd.DataFrame, x: str, y: str, by: str = "run_id"):
    """Median and quartiles of y over the curves `by` at each x, on the x values all curves share.

    Curves that stop early (a tolerance reached) are not carried on: the band covers only the x
    range where every curve has a value, so the median never runs over a shrinking set. Returns
    (x, median, q25, q75, n_curves, x_last) where x_last is the largest x any curve reaches.
    """
    wide = df.pivot_table(index=x, columns=by, values=y, aggfunc="first").sort_index()
    common = wide.dropna(axis=0, how="any")
    x_last = wide.index.max() if len(wide) else np.nan
    if common.empty:
        return (np.array([]),) * 4 + (wide.shape[1], x_last)
    return (common.index.to_numpy(), common.median(axis=1).to_numpy(), common.quantile(0.25, axis=1).to_numpy(),
            common.quantile(0.75, axis=1).to_numpy(), wide.shape[1], x_last)


def param(params: str, key: str) -> float:
    """The value of `key` in a runs.csv `params` cell, the canonical spec string of a solver (e.g.
    "omd(eta=0.8,reference_every=0)"); NaN if absent. Same parser as experiments/reproduction.param
    (plots do not import from experiments/)."""
    import re
    m = re.search(rf"\b{re.escape(key)}=([0-9.eE+-]+)", str(params))
    return float(m.group(1)) if m else np.nan


def oracle_batch(label: str) -> float:
    """B of a solver entry from its default label, which ends with its oracle
    (`omd sampled(batch=64,sampler=iterate)`, docs/file-formats.md); 0 for an exact run (no oracle in
    the label). Same parser as experiments/reproduction.oracle_batch (plots do not import from
    experiments/)."""
    import re
    m = re.search(r"\b(?:sampled|pairs)\(batch=(\d+)", str(label))
    return float(m.group(1)) if m else 0.0


def panel_titles(titles, runs) -> list:
    """`--titles` (one per run directory, checked) or the run directories' names."""
    if titles is not None and len(titles) != len(runs):
        error(f"--titles: {len(titles)} titles for {len(runs)} run directories")
    return titles or [Path(r).name for r in runs]


def positive(values):
    """Values for a log axis: zeros (exact convergence) become NaN so they are not drawn as -inf."""
    v = np.asarray(values, dtype=float)
    return np.where(v > 0, v, np.nan)
