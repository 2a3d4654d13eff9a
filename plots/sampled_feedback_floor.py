"""Sampled preference feedback: the error floor of gap_beta vs the batch B, log-log, with fitted slopes.

Usage: python plots/sampled_feedback_floor.py --out BASE RUN_DIR [--floor-from 6000]
RUN_DIR is an nlhf-sweep output of experiments/sampled_feedback/sweep.yaml. A run's floor is the
mean of its logged gap_beta over iterations >= --floor-from (after the transient: the exact run at
the same step is far below by then); the markers are the median over seeds with the interquartile
range as error bars, one panel per game family, one colour per solver, and the least-squares line of
log(median floor) vs log B with its slope in the legend. Grey dotted: slope -1 through omd's B = 1
point. The text gives the exact run's floor measured the same way (the B -> infinity limit at the
same step). B is read from a run's label (default `... sampled(batch=B,...)`); no batch = exact.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import style  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

COLUMNS = ["run_id", "game", "solver", "label", "seed", "iter", "gap_beta"]
SOLVERS = ["omd", "egpo", "nash_mp"]
MARKERS = {"omd": "o", "egpo": "s", "nash_mp": "x"}
LINESTYLES = {"omd": "-", "egpo": "-", "nash_mp": (0, (3, 2))}


def main():
    p = style.parser(__doc__.splitlines()[0])
    p.add_argument("run_dir", help="nlhf-sweep output directory of experiments/sampled_feedback/sweep.yaml")
    p.add_argument("--floor-from", type=float, default=6000, help="first iteration of the floor window")
    a = p.parse_args()
    style.sweep_dir(a.run_dir, ('sampled_feedback',), "experiments/sampled_feedback/sweep.yaml")
    style.setup()
    df = style.read_csv(Path(a.run_dir) / "trace.csv", COLUMNS)
    df["family"] = df["game"].str.split("(").str[0]
    df["B"] = df["label"].map(style.oracle_batch)
    if not ((df["B"] > 0) & df["solver"].isin(SOLVERS)).any():
        style.error(f"{a.run_dir}/trace.csv has no sampled runs of {', '.join(SOLVERS)} (a label with "
                    f"sampled(batch=B,...)), expected a sweep of experiments/sampled_feedback/sweep.yaml")
    win = df[df["iter"] >= a.floor_from]
    if win.empty:
        style.error(f"{a.run_dir}/trace.csv has no logged iteration >= {a.floor_from:g} (budget too short)")
    per_run = win.groupby(["family", "solver", "B", "run_id"])["gap_beta"].mean().reset_index()
    stats = per_run.groupby(["family", "solver", "B"])["gap_beta"].agg(
        median="median", q25=lambda v: v.quantile(0.25), q75=lambda v: v.quantile(0.75), seeds="size").reset_index()
    families = sorted(stats["family"].unique())
    fig, axes = plt.subplots(1, len(families), figsize=(2.2 * len(families) + 0.4, 2.9), sharey=True, squeeze=False)
    for ax, fam in zip(axes[0], families):
        st = stats[stats["family"] == fam]
        for solver in [s for s in SOLVERS if s in set(st["solver"])]:
            s = st[(st["solver"] == solver) & (st["B"] > 0)].sort_values("B")
            if s.empty:
                continue
            color = style.COLORS.get(solver, "grey")
            label = solver
            if len(s) >= 2:
                slope, icpt = np.polyfit(np.log(s["B"]), np.log(s["median"]), 1)
                ax.plot(s["B"], np.exp(icpt) * s["B"] ** slope, color=color, ls=LINESTYLES[solver], lw=0.9)
                label = f"{solver}: slope {slope:.2f}"
            ax.errorbar(s["B"], s["median"], yerr=[s["median"] - s["q25"], s["q75"] - s["median"]],
                        color=color, marker=MARKERS[solver], ms=4 if solver != "nash_mp" else 5, ls="none",
                        mfc="none" if solver == "egpo" else color, capsize=2, lw=0.8, label=label)
        ref = st[(st["solver"] == "omd") & (st["B"] > 0)].sort_values("B")
        if len(ref):
            b = np.array([ref["B"].min(), ref["B"].max()])
            ax.plot(b, ref["median"].iloc[0] * (b / b[0]) ** -1.0, color="grey", ls=":", lw=1.0,
                    label=r"$\propto B^{-1}$")
        exact = st[st["B"] == 0]
        if len(exact):
            lo, hi = exact["median"].min(), exact["median"].max()
            txt = f"{lo:.1e}" if f"{lo:.1e}" == f"{hi:.1e}" else f"{lo:.1e}-{hi:.1e}"
            ax.text(0.97, 0.97, f"exact oracle, same step:\n{txt}", transform=ax.transAxes, fontsize=6,
                    ha="right", va="top")
        ax.set_xscale("log")
        bs = sorted(st.loc[st["B"] > 0, "B"].unique())
        ax.set_xticks(bs)
        ax.set_xticklabels([f"{b:g}" for b in bs])
        ax.minorticks_off()
        ax.set_yscale("log")
        seeds = int(st["seeds"].max()) if len(st) else 0
        ax.set_title(f"{fam} (median of {seeds} seeds)")
        ax.set_xlabel("batch B (queries per estimate of $P\\pi$)")
        ax.legend(loc="lower left", fontsize=6)
    axes[0][0].set_ylabel(f"error floor: mean gap$_\\beta$ over\niterations ≥ {a.floor_from:g}")
    style.tight_layout(fig)
    style.save(fig, a.out)


if __name__ == "__main__":
    style.run(main)
