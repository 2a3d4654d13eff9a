"""Oracle calls to reach gap_beta <= tolerance vs beta, log-log, one line per solver and step rule.

Usage: python plots/beta_scaling.py --out OUT RUN_DIR... [--fit-max BETA]

Reads runs.csv of each run directory (experiments/beta_scaling: sweep.yaml and nash_md.yaml). A run
whose status is not `tolerance` did not reach the tolerance within its budget: it is censored, its
count is only known to exceed the budget. The median over seeds counts censored runs as +inf; a
median that is censored is drawn as an open marker at the budget and left out of the fit. Fitted
slopes (least squares of log calls on log beta over beta <= --fit-max) are in the legend.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import style  # noqa: E402

COLUMNS = ["beta", "solver", "label", "seed", "status", "oracle_calls"]
# Two oracle calls per iteration (extragradient / mirror prox) and the exact proximal point on the
# left; one call per iteration on the right.
PANELS = [("two calls per iteration, and prox", ["nash_mp", "egpo", "prox"]),
          ("one call per iteration", ["omd", "mmd", "nash_md"])]
# Identical in exact arithmetic (docs/mathematics.md §5.5): drawn with a different marker on top of their twin.
TWINS = {"egpo": "nash_mp", "mmd": "omd"}


def medians(df: pd.DataFrame) -> pd.DataFrame:
    """Per (label, beta): median and quartiles of oracle calls with censored runs as +inf."""
    rows = []
    for (solver, label, beta), g in df.groupby(["solver", "label", "beta"]):
        ok = g["status"] == "tolerance"
        calls = np.where(ok, g["oracle_calls"].astype(float), np.inf)
        budget = float(g.loc[~ok, "oracle_calls"].max()) if (~ok).any() else np.nan
        q25, med, q75 = np.quantile(calls, [0.25, 0.5, 0.75], method="lower" if not ok.all() else "linear")
        rows.append(dict(solver=solver, label=label, beta=beta, median=med, q25=q25, q75=q75,
                         censored=int((~ok).sum()), runs=len(g), budget=budget))
    return pd.DataFrame(rows)


def fit(m: pd.DataFrame, fit_max: float):
    """Slope and intercept of log(median) on log(beta) over finite medians with beta <= fit_max."""
    pts = m[(m["beta"] <= fit_max) & np.isfinite(m["median"])]
    if len(pts) < 2:
        return None
    slope, icpt = np.polyfit(np.log(pts["beta"]), np.log(pts["median"]), 1)
    return slope, icpt, pts["beta"].min(), pts["beta"].max()


def main():
    p = style.parser(__doc__.splitlines()[0])
    p.add_argument("run_dirs", nargs="+", help="nlhf-sweep output directories (runs.csv)")
    p.add_argument("--fit-max", type=float, default=0.1, help="fit the slopes over beta <= this (default 0.1)")
    args = p.parse_args()
    for d in args.run_dirs:
        style.sweep_dir(d, ('beta_scaling', 'beta_scaling_nash_md'), "experiments/beta_scaling/sweep.yaml or nash_md.yaml")
    style.setup()
    import matplotlib.pyplot as plt

    df = pd.concat([style.read_csv(Path(d) / "runs.csv", COLUMNS) for d in args.run_dirs], ignore_index=True)
    m = medians(df)
    seeds = df.groupby(["label", "beta"]).size().max()
    fig, axes = plt.subplots(1, 2, figsize=(2 * style.COLUMN_WIDTH, 1.25 * style.PANEL_HEIGHT), sharey=True)
    any_censored = False
    for ax, (title, solvers) in zip(axes, PANELS):
        for label in sorted(m.loc[m["solver"].isin(solvers), "label"].unique(),
                            key=lambda s: (solvers.index(s.split("(")[0]), s)):
            d = m[m["label"] == label].sort_values("beta")
            solver = d["solver"].iloc[0]
            auto = "auto" in label
            twin = solver in TWINS
            color = style.COLORS.get(TWINS.get(solver, solver), "#333333") if twin else style.COLORS.get(solver, "#333333")
            marker = ("x" if auto else "+") if twin else ("s" if auto else "o")
            ls = "--" if auto else "-"
            f = fit(d, args.fit_max)
            name = label + (f" ≡ {label.replace(solver, TWINS[solver])}" if twin else "")
            name += f"  (slope {f[0]:+.2f})" if f else ""
            fin = np.isfinite(d["median"])
            ax.plot(d["beta"][fin], d["median"][fin], ls=ls if not twin else "none", marker=marker, color=color,
                    ms=4 if not twin else 6, mfc=color, label=name, alpha=0.9 if not twin else 1.0, zorder=3)
            if not twin:
                lo = d["median"][fin] - d["q25"][fin]
                hi = np.minimum(d["q75"][fin], d["budget"][fin].fillna(np.inf)) - d["median"][fin]
                ax.errorbar(d["beta"][fin], d["median"][fin], yerr=[lo, np.maximum(hi.fillna(0), 0)], fmt="none",
                            ecolor=color, elinewidth=0.7, capsize=1.5, alpha=0.6)
            cens = d[~fin]
            if len(cens):
                any_censored = True
                ax.plot(cens["beta"], cens["budget"], ls="none", marker=marker if not twin else "D", color=color,
                        mfc="white", ms=6, zorder=4)
                ax.annotate("", xy=(cens["beta"].iloc[0], cens["budget"].iloc[0] * 2.5),
                            xytext=(cens["beta"].iloc[0], cens["budget"].iloc[0] * 1.2),
                            arrowprops=dict(arrowstyle="->", color=color, lw=0.8))
            if f and not twin:
                xs = np.geomspace(f[2], f[3], 20)
                ax.plot(xs, np.exp(f[1]) * xs ** f[0], ls=":", color=color, lw=0.8)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(title)
        ax.set_xlabel(r"regularization $\beta$")
        ax.legend(loc="lower left", fontsize=6, handlelength=2.2)
    axes[0].set_ylabel(r"oracle calls to gap$_\beta \leq 10^{-8}$" + f"\n(median of {seeds} games, quartile bars)")
    partial = m[(m["censored"] > 0) & np.isfinite(m["median"])]
    part_text = "; ".join(f"{r.label} at beta = {r.beta:g}: {r.censored} of {r.runs}" for r in partial.itertuples())
    note = (f"slopes: least squares of log(median calls) on log(beta) over beta <= {args.fit_max:g} (dotted)."
            + (" Open markers with an arrow: the median run did not reach the tolerance within the budget "
               "(censored: drawn at the budget, excluded from the fit)." if any_censored else "")
            + (f" Some runs did not reach the tolerance where the median did (their quartile bars end at the "
               f"budget): {part_text}." if part_text else ""))
    fig.text(0.01, -0.02, style.wrap(note, 150), fontsize=6, ha="left", va="top")
    style.tight_layout(fig)
    style.save(fig, args.out)


if __name__ == "__main__":
    style.run(main)
