"""Self-play stability (experiments/self_play_stability): the tail gap_beta of sampled self-play PG (omd) and
Nash Prox (eta = 1 and 0.25) against the self-play step, as a multiple X of omd's stability limit
L = 2 beta/(beta^2 + rho^2), one panel per run directory (family of games).

Tail: the mean gap_beta over the logged iterations in the second half of each run (trace.csv). X: the
step (omd's eta, nash_prox's inner_eta; runs.csv params) over the omd run's stability_limit on the same
game (runs.csv). Top row: sampled runs (mean over sampling seeds); bottom row: the exact runs with the
same steps and number of self-play steps; one line per game. The vertical line marks X = 1 (omd's limit).

Usage: python plots/self_play_stability.py --out OUT RUN_DIR... [--titles TITLE...]
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import style  # noqa: E402

SOLVERS = [("omd (self-play PG)", style.COLORS["omd"], "o"), ("nash_prox eta=1", style.COLORS["prox"], "s"),
           ("nash_prox eta=0.25", "#E69F00", "^")]


def table(run):
    runs = style.read_csv(Path(run) / "runs.csv", ["run_id", "label", "params", "seed", "stability_limit", "solver"])
    trace = style.read_csv(Path(run) / "trace.csv", ["run_id", "game", "iter", "gap_beta"])
    last = trace.groupby("run_id").iter.transform("max")
    tail = trace[trace.iter >= 0.5 * last].groupby("run_id").gap_beta.mean()
    r = runs.assign(tailgap=runs.run_id.map(tail),
                    game=runs.run_id.map(trace.drop_duplicates("run_id").set_index("run_id").game))
    parts = r.label.str.rsplit(", ", n=1)
    r["alg"], r["mode"] = parts.str[0], parts.str[1]
    r["step"] = r.params.str.extract(r"(?:^omd\(eta=|inner_eta=)([0-9.eE+-]+)", expand=False).astype(float)
    limit = r[r.solver == "omd"].groupby("game").stability_limit.first()
    r["X"] = r.step / r.game.map(limit)
    if r.X.isna().any():
        style.error(f"{run}: runs whose game has no omd run with a stability_limit, or no step in params")
    return r


def main():
    p = style.parser(__doc__.splitlines()[0])
    p.add_argument("runs", nargs="+", help="run directories (nlhf-sweep output), one panel each")
    p.add_argument("--titles", nargs="+", default=None, help="a title per panel")
    a = p.parse_args()
    for d in a.runs:
        style.sweep_dir(d, ('sps_rps3', 'sps_hodge', 'sps_random'), "experiments/self_play_stability/rps3.yaml, hodge.yaml or random.yaml")
    titles = style.panel_titles(a.titles, a.runs)
    style.setup()
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, len(a.runs), figsize=(style.COLUMN_WIDTH * 0.8 * len(a.runs), style.PANEL_HEIGHT * 2.1),
                             sharex="col", squeeze=False)
    handles = {}
    for col, (run, title) in enumerate(zip(a.runs, titles)):
        r = table(run)
        games = sorted(r.game.unique())
        alpha = 1.0 if len(games) == 1 else 0.6
        for row, mode in enumerate(("sampled", "exact")):
            ax = axes[row][col]
            for alg, color, marker in SOLVERS:
                for game in games:
                    s = r[(r.alg == alg) & (r["mode"] == mode) & (r.game == game)].groupby("X").tailgap.mean()
                    if len(s):
                        handles[alg] = ax.plot(s.index, style.positive(s.values), color=color, alpha=alpha, marker=marker,
                                               ms=3, lw=1.0, label=alg)[0]
            ax.axvline(1.0, color="k", lw=0.8, ls=":")
            ax.set_xscale("log")
            ax.set_yscale("log")
            if mode == "sampled":
                ax.set_ylim(1e-4, 1.5)
                ax.set_title(f"{title}: {len(games)} game{'s' if len(games) > 1 else ''}\nsampled, same query budget")
            else:
                ax.set_ylim(1e-32, 10)
                ax.set_title("exact, same number\nof self-play steps")
                ax.set_xlabel(r"self-play step / omd's limit" + "\n" + r"$2\beta/(\beta^2+\rho^2)$")
            ax.set_xticks([0.25, 0.5, 1, 2, 4])
            ax.set_xticklabels(["0.25", "0.5", "1", "2", "4"])
            if col == 0:
                ax.set_ylabel(r"gap$_\beta$, mean over the 2nd half" + "\n" + f"({mode})")
    order = [alg for alg, _, _ in SOLVERS if alg in handles]
    fig.legend([handles[k] for k in order], order, loc="lower center", ncol=3, bbox_to_anchor=(0.5, -0.01))
    style.tight_layout(fig, rect=(0, 0.05, 1, 1))
    style.save(fig, a.out)


if __name__ == "__main__":
    style.run(main)
