"""Self-play stability (experiments/self_play_stability): gap_beta vs preference queries of the sampled runs
at one self-play step between omd's stability limit and Nash Prox's, one panel per run directory.

In each run directory the first game (in trace order) is shown, at the grid step whose multiple
X = step / omd's stability limit (runs.csv stability_limit of the omd run on that game; the step is
omd's eta or nash_prox's inner_eta from params) is closest to --x. Every sampling seed is drawn:
thin, each logged point; thick, the running median of 7 logged points, which separates the level a
run holds (self-play's oscillation sits an order of magnitude above Nash Prox) from the sampling
noise around it (on a log axis a noise floor swings by decades). Reads trace.csv and runs.csv.

Usage: python plots/self_play_trajectories.py --out OUT RUN_DIR... [--x 1.3] [--titles TITLE...]
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import style  # noqa: E402

SOLVERS = [("omd (self-play PG)", style.COLORS["omd"]), ("nash_prox eta=1", style.COLORS["prox"]),
           ("nash_prox eta=0.25", "#E69F00")]


def main():
    p = style.parser(__doc__.splitlines()[0])
    p.add_argument("runs", nargs="+", help="run directories (nlhf-sweep output), one panel each")
    p.add_argument("--x", type=float, default=1.3, help="the multiple of omd's limit to show (nearest grid step)")
    p.add_argument("--titles", nargs="+", default=None, help="a title per panel")
    a = p.parse_args()
    for d in a.runs:
        style.sweep_dir(d, ('sps_rps3', 'sps_hodge', 'sps_random'), "experiments/self_play_stability/rps3.yaml, hodge.yaml or random.yaml")
    titles = style.panel_titles(a.titles, a.runs)
    style.setup()
    import matplotlib.pyplot as plt
    import pandas as pd

    fig, axes = plt.subplots(1, len(a.runs), figsize=(style.COLUMN_WIDTH * 0.8 * len(a.runs), style.PANEL_HEIGHT * 1.25),
                             sharey=True, squeeze=False)
    handles = {}
    for ax, run, title in zip(axes[0], a.runs, titles):
        runs = style.read_csv(Path(run) / "runs.csv", ["run_id", "label", "params", "solver", "stability_limit"])
        trace = style.read_csv(Path(run) / "trace.csv", ["run_id", "game", "queries", "gap_beta"])
        game = trace.game.iloc[0]
        ids = set(trace[trace.game == game].run_id)
        r = runs[runs.run_id.isin(ids) & runs.label.str.endswith(", sampled")].copy()
        limit = r[r.solver == "omd"].stability_limit.iloc[0]
        r["X"] = r.params.str.extract(r"(?:^omd\(eta=|inner_eta=)([0-9.eE+-]+)", expand=False).astype(float) / limit
        xs = sorted(r.X.unique())
        x = min(xs, key=lambda v: abs(v - a.x))
        for alg, color in SOLVERS:
            for rid in r[(r.label == f"{alg}, sampled") & ((r.X - x).abs() < 1e-9)].run_id:
                c = trace[(trace.run_id == rid) & (trace.queries > 0)]
                y = pd.Series(style.positive(c.gap_beta))
                ax.plot(c.queries, y, color=color, lw=0.5, alpha=0.35)
                level = y.rolling(7, center=True, min_periods=1).median()
                handles[alg] = ax.plot(c.queries, level.to_numpy(), color=color, lw=1.6, label=alg)[0]
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(rf"{title}: step = {x:.2f} $\times$ omd's limit")
        ax.set_xlabel("preference queries")
    axes[0][0].set_ylabel(r"gap$_\beta$ (regularized duality gap)")
    order = [alg for alg, _ in SOLVERS if alg in handles]
    fig.legend([handles[k] for k in order],
               [f"{k}, sampled" for k in order], loc="lower center", ncol=3, bbox_to_anchor=(0.5, -0.01),
               title="thick: running median of 7 logged points; thin: every logged point", title_fontsize=7)
    style.tight_layout(fig, rect=(0, 0.09, 1, 1))
    style.save(fig, a.out)


if __name__ == "__main__":
    style.run(main)
