"""EGPO's tabular figure (Zhou, Fazel, Du, arXiv:2503.08942): gap_beta vs updates for the paper's five
algorithms, one panel per beta, one row per set of games (run directory of experiments/egpo_tabular).

Each panel: every game's curve faintly, the median over games with its interquartile band per
algorithm, and (dashed) the median over games of the gap_beta of the biased point
BR_beta(pi*_{beta/(1-c)}) that the EGPO code's Nash-MD is predicted to converge to (runs.csv column
target_gap_beta). Reads trace.csv and runs.csv only.

Usage: python plots/egpo_tabular.py --out OUT RUN_DIR... [--titles TITLE...]
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import style  # noqa: E402

# The paper's order and names (the sweep files' labels).
ORDER = ["Online IPO 1 (OMD)", "Online IPO 2", "Nash-MD (EGPO code)", "Nash-MD-PG", "EGPO"]
BIASED = "Nash-MD (EGPO code)"


def main():
    p = style.parser(__doc__.splitlines()[0])
    p.add_argument("runs", nargs="+", help="run directories (nlhf-sweep output), one row each")
    p.add_argument("--titles", nargs="+", default=None, help="a title per row (default: the directory name)")
    p.add_argument("--ymin", type=float, default=1e-32, help="bottom of the log-y axis (default 1e-32)")
    a = p.parse_args()
    for d in a.runs:
        style.sweep_dir(d, ('egpo_games', 'egpo_random'), "experiments/egpo_tabular/egpo_games.yaml or random_games.yaml")
    if a.titles is not None and len(a.titles) != len(a.runs):
        style.error(f"--titles: {len(a.titles)} titles for {len(a.runs)} run directories, expected one each")
    titles = a.titles or [Path(r).name for r in a.runs]

    style.setup()
    import matplotlib.pyplot as plt

    data = []
    for run in a.runs:
        trace = style.read_csv(Path(run) / "trace.csv", ["run_id", "label", "solver", "beta", "iter", "gap_beta"])
        runs = style.read_csv(Path(run) / "runs.csv", ["run_id", "label", "beta", "target_gap_beta"])
        data.append((trace, runs))
    betas = sorted(set().union(*(set(t.beta.unique()) for t, _ in data)))
    # Tall panels: the y axis spans ~30 decades (double precision reaches ~1e-30) and the region
    # above 1e-7, where the paper's float32 curves live, must stay readable.
    fig, axes = plt.subplots(len(data), len(betas), figsize=(style.COLUMN_WIDTH * len(betas) * 0.72,
                                                              style.PANEL_HEIGHT * 1.3 * len(data)),
                             squeeze=False, sharey=True)
    from matplotlib.ticker import FuncFormatter
    thousands = FuncFormatter(lambda v, _: "0" if v == 0 else (f"{v / 1000:g}k" if abs(v) >= 1000 else f"{v:g}"))
    handles = {}
    for row, ((trace, runs), title) in enumerate(zip(data, titles)):
        for col, beta in enumerate(betas):
            ax = axes[row][col]
            t = trace[trace.beta == beta]
            labels = [l for l in ORDER if l in set(t.label)] + sorted(set(t.label) - set(ORDER))
            n_games = 0
            for label in labels:
                s = t[t.label == label]
                solver = s.solver.iloc[0]
                color = style.COLORS.get(solver, "C0")
                for _, curve in s.groupby("run_id"):
                    ax.plot(curve.iter, style.positive(curve.gap_beta), color=color, alpha=0.15, lw=0.5)
                x, med, q25, q75, n, _ = style.median_band(s, "iter", "gap_beta")
                n_games = max(n_games, n)
                ax.fill_between(x, style.positive(q25), style.positive(q75), color=color, alpha=0.25, lw=0)
                handles[label] = ax.plot(x, style.positive(med), color=color, lw=1.3, label=label)[0]
            # The EGPO code's Nash-MD: the gap of its predicted biased limit (median over games).
            r = runs[(runs.beta == beta) & (runs.label == BIASED)]
            target = r.target_gap_beta.dropna()
            if len(target):
                color = style.COLORS.get("nash_md", "C1")
                handles["target"] = ax.axhline(float(np.median(target)), color=color, ls="--", lw=1.0,
                                               label=f"{BIASED}: predicted biased limit\n"
                                                     r"gap$_\beta$(BR$_\beta(\pi^*_{\beta/(1-c)})$), median")
            ax.set_yscale("log")
            ax.set_ylim(a.ymin, 3)
            ax.set_xlim(0, t.iter.max())
            ax.xaxis.set_major_formatter(thousands)
            ax.set_yticks([10.0 ** k for k in range(0, int(np.floor(np.log10(a.ymin))) - 1, -4)])
            ax.set_title(f"$\\beta$ = {beta:g}: {len(t.iter.unique()) and int(t.iter.max()):,} updates")
            if row == len(data) - 1:
                ax.set_xlabel(style.LABELS["iter"])
            if col == 0:
                ax.set_ylabel(f"{title} ({n_games} games)\n" + r"gap$_\beta$ (regularized duality gap)")
    order = [l for l in ORDER if l in handles] + [l for l in handles if l not in ORDER]
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    keys = [Line2D([], [], color="#555555", lw=1.3), Patch(color="#555555", alpha=0.25, lw=0),
            Line2D([], [], color="#555555", lw=0.5, alpha=0.4)]
    fig.legend([handles[l] for l in order] + keys,
               [handles[l].get_label() for l in order] + ["median over games", "quartiles over games", "one game"],
               loc="lower center", ncol=3, bbox_to_anchor=(0.5, -0.02 - 0.07 / len(data)))
    style.tight_layout(fig, rect=(0, 0.13 / len(data), 1, 1))
    style.save(fig, a.out)


if __name__ == "__main__":
    style.run(main)
