"""Last iterates on intransitive games: MWU (SPPO) against OMWU and the regularized solvers.

Usage: python plots/intransitive_dynamics.py --out OUT UNREGULARIZED_DIR REGULARIZED_DIR [--mixed-rho RHO]

One column per game family (rps3, cyclic, disc, bt_mixture), only the games with a mixed NE
(runs.csv rho > 1e-3; games with a Condorcet winner are left out and counted in the title: every
learner converges there). Top: KL(pi*_beta || pi_t); bottom: gap_0(pi_t). Median over the games
with the interquartile band; x log (the traces are log-spaced). MWU and OMWU ignore beta and run at
beta = 1e-4 (their KL is to pi*_1e-4, ~ the NE); the regularized solvers run at the beta of their
sweep (KL to their own pi*_beta; their gap_0 levels off at the regularization bias gap_0(pi*_beta)).
Black squares: gap_0 of MWU's average iterate at each budget of the unregularized sweep.
"""
from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import style  # noqa: E402

MIXED_RHO = 1e-3  # default of --mixed-rho; experiments/intransitive/reproduce.py passes the claims' value
FAMILIES = ["rps3", "cyclic", "disc", "bt_mixture"]
SHOW = ["mwu", "omwu", "nash_mp", "omd(eta=auto)", "mmd(eta=auto)", "nash_md", "prox"]  # egpo = nash_mp
FLOOR = 1e-16


def main():
    p = style.parser(__doc__.splitlines()[0])
    p.add_argument("unregularized")
    p.add_argument("regularized")
    p.add_argument("--mixed-rho", type=float, default=MIXED_RHO,
                   help=f"rho above this: a mixed NE (default {MIXED_RHO:g})")
    args = p.parse_args()
    style.setup()
    import matplotlib.pyplot as plt

    ru = style.read_csv(Path(args.unregularized) / "runs.csv", ["run_id", "stop.iterations", "rho", "average_gap_0"])
    tu = style.read_csv(Path(args.unregularized) / "trace.csv", ["run_id", "game", "label", "iter", "kl_to_star", "gap_0"])
    rr = style.read_csv(Path(args.regularized) / "runs.csv", ["run_id", "rho"])
    tr = style.read_csv(Path(args.regularized) / "trace.csv", ["run_id", "game", "label", "iter", "kl_to_star", "gap_0",
                                                                 "beta"])
    T = ru["stop.iterations"].max()
    keep = set(ru.loc[ru["stop.iterations"] == T, "run_id"]) | set(rr["run_id"])
    rho = dict(zip(ru["run_id"], ru["rho"])) | dict(zip(rr["run_id"], rr["rho"]))
    trace = __import__("pandas").concat([tu, tr.drop(columns="beta")], ignore_index=True)
    trace = trace[trace["run_id"].isin(keep)].copy()
    trace["family"] = trace["game"].str.split("(").str[0]
    trace["mixed"] = trace["run_id"].map(rho) > args.mixed_rho
    beta_reg = float(tr["beta"].iloc[0])
    fams = [f for f in FAMILIES if f in set(trace["family"])]
    fig, axes = plt.subplots(2, len(fams), figsize=(1.75 * style.COLUMN_WIDTH, 1.6 * style.PANEL_HEIGHT),
                             sharex=True, sharey="row", squeeze=False)
    ru["family"] = ru["run_id"].map(tu.drop_duplicates("run_id").set_index("run_id")["game"]).str.split("(").str[0]
    for j, fam in enumerate(fams):
        d = trace[(trace["family"] == fam)]
        games = d.groupby("game")["mixed"].first()
        for i, metric in enumerate(["kl_to_star", "gap_0"]):
            ax = axes[i][j]
            for label in SHOW:
                c = d[(d["label"] == label) & d["mixed"]]
                if c.empty:
                    continue
                color = style.COLORS.get(label.split("(")[0], "#333333")
                for _, g in c.groupby("run_id"):
                    ax.plot(g["iter"].clip(lower=1), np.maximum(style.positive(g[metric]), FLOOR), color=color, lw=0.4,
                            alpha=0.2)
                x, med, q25, q75, n, _ = style.median_band(c, "iter", metric)
                x = np.maximum(x, 1)
                ax.plot(x, np.maximum(med, FLOOR), color=color, lw=1.3 if label == "mwu" else 1.0, label=label)
                ax.fill_between(x, np.maximum(q25, FLOOR), np.maximum(q75, FLOOR), color=color, alpha=0.15, lw=0)
            if metric == "gap_0":
                a = ru[(ru["family"] == fam) & (ru["rho"] > args.mixed_rho)].groupby("stop.iterations")["average_gap_0"]
                if len(a):
                    ax.plot(a.median().index, a.median().to_numpy(), "ks", ms=3, mfc="white", label="mwu average")
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_ylim(bottom=FLOOR)
            if i == 0:
                ax.set_title(f"{fam}: {int(games.sum())} of {len(games)} games\nwith a mixed NE")
            if i == 1:
                ax.set_xlabel(style.LABELS["iter"])
    axes[0][0].set_ylabel(r"KL($\pi^*_\beta\,\|\,\pi_t$)" + "\n(last iterate)")
    axes[1][0].set_ylabel(style.LABELS["gap_0"].replace(" (", "\n("))
    h, l = axes[1][0].get_legend_handles_labels()
    fig.legend(h, l, loc="upper center", bbox_to_anchor=(0.5, 0.02), ncol=4, fontsize=6.5)
    fig.text(0.5, -0.13, textwrap.fill(f"mwu/omwu at β = 1e-4 (KL to π*_β at β = 1e-4, close to the NE); regularized "
             f"solvers at β = {beta_reg:g} (KL to their π*_β). Median and quartiles over the games with a mixed NE; "
             f"faint: each game; values below {FLOOR:g} (incl. 0) drawn at {FLOOR:g}. omd(eta=auto) and "
             f"mmd(eta=auto) have the same iterates (mmd drawn on top).", 130), ha="center", va="top", fontsize=5.5)
    fig.tight_layout()
    style.save(fig, args.out)


if __name__ == "__main__":
    main()
