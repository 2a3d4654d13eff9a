"""Sampled preference feedback: gap_beta vs preference queries and vs iterations, B in {1, 16, 256}.

Usage: python plots/sampled_feedback.py --out BASE RUN_DIR [--game random_uniform] [--batches 1 16 256]
RUN_DIR is an nlhf-sweep output of experiments/sampled_feedback/sweep.yaml: omd, egpo and nash_mp
at one constant step, with the exact oracle and with sampled oracles of batch B, a fixed iteration
budget, several seeds per game. Columns: omd, and egpo with nash_mp at the equivalent step (dashed:
the two make the same iterates from the same samples). Top row: gap_beta vs preference queries, the
sampled runs only (an exact evaluation of P pi is not a number of queries: the exact run is not on
this axis). Bottom row: the same runs vs iterations, with the exact run at the same step (black), the
B -> infinity limit. Median over seeds with the interquartile band. A run's B is read from its
label, whose default ends with `sampled(batch=B,...)`; a label without it is an exact run.
"""
from __future__ import annotations

import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import style  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402

COLUMNS = ["run_id", "game", "solver", "label", "seed", "iter", "queries", "gap_beta"]
# Sequential colours for B (light = small batch; matplotlib's plasma), black for the exact oracle.
YLABEL = r"gap$_\beta$ (duality gap of the" + "\n" + r"$\beta$-regularized game)"
PANELS = [("omd", []), ("egpo", ["nash_mp"])]


def main():
    p = style.parser(__doc__.splitlines()[0])
    p.add_argument("run_dir", help="nlhf-sweep output directory of experiments/sampled_feedback/sweep.yaml")
    p.add_argument("--game", default="random_uniform", help="game family to draw (the part of `game` before '(')")
    p.add_argument("--batches", nargs="+", type=int, default=[1, 16, 256], help="the batches B to draw")
    a = p.parse_args()
    style.sweep_dir(a.run_dir, ('sampled_feedback',), "experiments/sampled_feedback/sweep.yaml")
    style.setup()
    df = style.read_csv(Path(a.run_dir) / "trace.csv", COLUMNS)
    df["family"] = df["game"].str.split("(").str[0]
    df = df[df["family"] == a.game].copy()
    if df.empty:
        style.error(f"{a.run_dir}/trace.csv has no runs on a {a.game} game")
    df["B"] = df["label"].map(style.oracle_batch)
    shown = [b for b in a.batches if (df["B"] == b).any()]
    if not shown:
        style.error(f"{a.run_dir}/trace.csv has no sampled runs with B in {a.batches} on {a.game}")
    cmap = plt.get_cmap("plasma")
    # A colour per B, the same in every run of the figure (quick or full, whichever Bs are shown): by
    # log B over 1 ... 256.
    colors = {b: cmap(0.85 - 0.7 * min(1.0, max(0.0, math.log(b) / math.log(256)))) for b in shown}

    fig, axes = plt.subplots(2, len(PANELS), figsize=(2.6 * len(PANELS) + 0.3, 4.9), squeeze=False)
    handles = {}
    for j, (main_solver, overlays) in enumerate(PANELS):
        for i, x in enumerate(["queries", "iter"]):
            ax = axes[i][j]
            for k, solver in enumerate([main_solver] + overlays):
                ls = "-" if k == 0 else (0, (3, 2))
                sub = df[df["solver"] == solver]
                for b in shown + ([0.0] if x == "iter" else []):
                    cur = sub[(sub["B"] == b) & (sub[x] > 0)]
                    if cur.empty:
                        continue
                    color = colors.get(b, "black")
                    xs, med, q25, q75, count, _ = style.median_band(cur, x, "gap_beta")
                    if k == 0:
                        ax.fill_between(xs, style.positive(q25), style.positive(q75), color=color, alpha=0.2, lw=0)
                    # (The overlays' dashes on top: where they coincide with the main solver's curve,
                    # as nash_mp's with egpo's, they still show.)
                    (h,) = ax.plot(xs, style.positive(med), color=color, ls=ls, lw=1.2 if k == 0 else 1.0,
                                   zorder=2 if k == 0 else 3)
                    if k == 0:
                        name = f"sampled, B = {int(b)}" if b else "exact oracle"
                        handles.setdefault(name, h)
                    else:
                        handles.setdefault(f"{solver} (dashed)", plt.Line2D([], [], color="grey", ls=ls, lw=1.0))
            ax.set_xscale("log")
            ax.set_yscale("log")
            present = [o for o in overlays if (df["solver"] == o).any()]
            title = main_solver + (" and " + ", ".join(present) + " (dashed)" if present else "")
            if i == 0:
                n_seeds = df[df["solver"] == main_solver]["seed"].nunique()
                ax.set_title(f"{title}\n{a.game}, median of {n_seeds} seeds")
                ax.set_xlabel("preference queries (labels drawn)")
            else:
                ax.set_xlabel(style.LABELS["iter"])
            if j == 0:
                ax.set_ylabel(YLABEL)
        axes[1][j].set_ylim(bottom=1e-12)
    order = [f"sampled, B = {b}" for b in shown] + ["exact oracle"] + [k for k in handles if k.endswith("(dashed)")]
    shown_keys = [k for k in order if k in handles]
    fig.legend([handles[k] for k in shown_keys], shown_keys, loc="lower center", ncol=3, bbox_to_anchor=(0.5, 0.0))
    # Room for the legend's rows below the panels, and no more.
    style.tight_layout(fig, rect=(0, 0.015 + 0.035 * math.ceil(len(shown_keys) / 3), 1, 1))
    style.save(fig, a.out)


if __name__ == "__main__":
    style.run(main)
