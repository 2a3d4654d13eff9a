"""The stability picture: iterations to gap_beta <= tolerance over (step / stability limit) x beta.

One panel per solver (omd, mmd, nash_mp, egpo by default). A cell is one step multiple and one beta;
its colour is the median number of iterations over the games (seeds) when every run of the cell
reached the tolerance. A cell where some run did not (status other than `tolerance`: the budget ran
out, or numerical_failure) is drawn grey with an x when none converged, or keeps its colour with
"k/n" (converged out of runs) when some did; its median then counts the failures as infinite. The
dashed line is the predicted boundary: multiple = 1, the stability limit from rho.

The multiple of a run is its step (the eta in `params`) divided by its `stability_limit`, both
from runs.csv, rounded to 3 significant digits.

    python plots/step_sizes.py --out results/step_sizes/step_sizes results/step_sizes/main
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import style  # noqa: E402

COLUMNS = ["solver", "params", "beta", "seed", "status", "iterations", "stability_limit"]
STEP = {"omd": r"$\eta$", "mmd": r"$\eta$", "nash_mp": r"$\eta$", "egpo": r"$\eta'$"}


def multiples(df):
    """step / stability_limit per run, rounded to 3 significant digits; NaN where the limit is not
    finite (no limit: a step has no multiple of it, and eta / inf = 0 would place it at 0)."""
    eta = df.params.map(lambda p: style.param(p, "eta"))
    ratio = (eta / df.stability_limit).where(np.isfinite(df.stability_limit))
    return ratio.map(lambda r: float(f"{r:.3g}") if np.isfinite(r) else np.nan)


def main():
    p = style.parser(__doc__.splitlines()[0])
    p.add_argument("runs", nargs="+", help="run directories (each with runs.csv)")
    p.add_argument("--solvers", nargs="+", default=["omd", "mmd", "nash_mp", "egpo"])
    p.add_argument("--tolerance", default="1e-8", help="the tolerance the runs stopped at (for the label)")
    a = p.parse_args()
    for d in a.runs:
        style.sweep_dir(d, ('step_sizes',), "experiments/step_sizes/sweep.yaml")
    style.setup()
    import matplotlib.pyplot as plt
    from matplotlib.colors import LogNorm
    import pandas as pd

    df = pd.concat([style.read_csv(Path(d) / "runs.csv", COLUMNS) for d in a.runs], ignore_index=True)
    df = df[df.solver.isin(a.solvers)].copy()
    if df.empty:
        style.error(f"no runs of {', '.join(a.solvers)} in {', '.join(a.runs)}")
    df["multiple"] = multiples(df)
    if df.multiple.isna().any():
        bad = df[df.multiple.isna()].iloc[0]
        style.error(f"run of {bad.solver} at beta {bad.beta} has no finite step / stability_limit "
                    f"(params {bad.params}, stability_limit {bad.stability_limit})")
    df["converged"] = df.status == "tolerance"
    # Failures count as infinitely many iterations in the median.
    df["count"] = np.where(df.converged, df.iterations.astype(float), np.inf)
    cells = df.groupby(["solver", "beta", "multiple"]).agg(
        median=("count", "median"), converged=("converged", "sum"), runs=("converged", "size")).reset_index()
    finite = cells["median"][np.isfinite(cells["median"])]
    norm = LogNorm(vmin=max(1.0, finite.min()), vmax=finite.max()) if len(finite) else LogNorm(1, 10)
    cmap = plt.get_cmap("viridis").copy()
    cmap.set_bad("#d9d9d9")

    solvers = [s for s in a.solvers if s in set(df.solver)]
    fig, axes = plt.subplots(1, len(solvers), figsize=(1.75 * len(solvers) + 0.6, 2.3), sharey=True,
                             squeeze=False, constrained_layout=True)
    xs_all, betas_all = sorted(cells.multiple.unique()), sorted(cells.beta.unique())
    # One equal cell per multiple and per beta that was run (labelled with its value), so every
    # cell is a measured point; the predicted limit (multiple 1) is placed between its neighbours on
    # a log scale.
    xe, ye = np.arange(len(xs_all) + 1) - 0.5, np.arange(len(betas_all) + 1) - 0.5
    logs = np.log(xs_all)
    boundary = float(np.interp(0.0, logs, np.arange(len(xs_all)))) if logs[0] <= 0.0 <= logs[-1] else None
    mesh = None
    for ax, solver in zip(axes[0], solvers):
        c = cells[cells.solver == solver]
        grid = np.full((len(betas_all), len(xs_all)), np.nan)
        for r in c.itertuples():
            grid[betas_all.index(r.beta), xs_all.index(r.multiple)] = r.median
        ax.grid(False)
        mesh = ax.pcolormesh(xe, ye, np.ma.masked_invalid(np.where(np.isfinite(grid), grid, np.nan)), cmap=cmap,
                             norm=norm, shading="flat", edgecolors="white", linewidth=0.4)
        for r in c.itertuples():
            xc, yc = xs_all.index(r.multiple), betas_all.index(r.beta)
            if r.converged == 0:
                ax.plot(xc, yc, marker="x", color="#b2182b", markersize=4.5, markeredgewidth=1.1, linestyle="none")
            elif r.converged < r.runs:
                ax.text(xc, yc, f"{r.converged}/{r.runs}", ha="center", va="center", fontsize=5, color="#b2182b")
        if boundary is not None:
            ax.axvline(boundary, color="black", linestyle="--", linewidth=1.0)
        ax.set_xlim(xe[0], xe[-1])
        ax.set_ylim(ye[0], ye[-1])
        ax.set_xticks(range(len(xs_all)))
        ax.set_xticklabels([f"{x:g}" for x in xs_all], fontsize=6, rotation=90)
        ax.set_yticks(range(len(betas_all)))
        ax.set_yticklabels([f"{b:g}" for b in betas_all])
        ax.minorticks_off()
        ax.grid(False)
        ax.set_title(f"{solver} (step {STEP.get(solver, 'eta')})")
        ax.set_xlabel("step / stability limit")
    axes[0][0].set_ylabel(r"$\beta$")
    cb = fig.colorbar(mesh, ax=axes[0].tolist(), shrink=0.9, pad=0.02)
    cb.set_label(f"median iterations to gap$_\\beta$ ≤ {a.tolerance}", fontsize=7)
    fig.text(0.0, -0.04, "×: no run of the cell reached the tolerance within its budget (diverged or stalled); "
             "dashed: the predicted limit from ρ", fontsize=6, ha="left", va="top")
    style.save(fig, a.out)


if __name__ == "__main__":
    style.run(main)
