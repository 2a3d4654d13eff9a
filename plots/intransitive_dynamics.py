"""Intransitive games, against the certified Nash equilibrium: MWU (SPPO) and OMWU, last iterate and
average, and the regularized solvers' last iterates.

Usage: python plots/intransitive_dynamics.py --out OUT UNREGULARIZED_DIR REGULARIZED_DIR BIAS_DIR [--mixed-rho RHO]

One column per game family (rps3, cyclic, disc, bt_mixture), only the games with a mixed NE (rho > 1e-3
at the smallest beta of the bias sweep; games with a Condorcet winner are left out and counted in the
title: every learner converges there). Top: KL(pi_NE || pi_t); bottom: gap_0(pi_t). pi_NE is the Nash
equilibrium of the beta = 0 game selected by kl_projection, certified gap_0 <= 1e-9 by nlhf's LPs (the
runs' kl_to_ne). mwu and omwu run at beta = 0 (experiments/intransitive/unregularized.yaml): solid their
last iterate, dashed their average (the trace's average_kl_to_ne / average_gap_0). The regularized
solvers (nash_mp and nash_md drawn) run at the beta of their sweep and level off at the regularization bias: the grey dotted line is
the median over the family's games of KL(pi_NE || pi*_beta) and gap_0(pi*_beta) from the bias sweep at
that beta. Median over the games with the interquartile band; x log (the traces are log-spaced).
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import style  # noqa: E402

MIXED_RHO = 1e-3  # default of --mixed-rho; experiments/intransitive/reproduce.py passes the claims' value
FAMILIES = ["rps3", "cyclic", "disc", "bt_mixture"]
# (label in the trace, column of the last iterate or of the average, legend text, line style)
CURVES = [
    ("mwu", "last", "mwu, last iterate", "-"),
    ("mwu", "average", "mwu, average", "--"),
    ("omwu", "last", "omwu, last iterate", "-"),
    ("omwu", "average", "omwu, average", "--"),
    # Two regularized solvers stand for the five: egpo, omd, mmd and prox reach the same pi*_beta (their
    # claims), so their plateaus coincide with nash_mp's; nash_md's decaying step approaches it slowest.
    ("nash_mp", "last", "nash_mp, last iterate", "-"),
    ("nash_md", "last", "nash_md (decaying), last iterate", "-"),
]
METRICS = [("kl_to_ne", "average_kl_to_ne"), ("gap_0", "average_gap_0")]
FLOOR = 1e-16


def family(game: pd.Series) -> pd.Series:
    return game.str.extract(r"^(\w+)")[0]


def main():
    p = style.parser(__doc__.splitlines()[0])
    p.add_argument("unregularized")
    p.add_argument("regularized")
    p.add_argument("bias")
    p.add_argument("--mixed-rho", type=float, default=MIXED_RHO,
                   help=f"rho above this: a mixed NE (default {MIXED_RHO:g})")
    args = p.parse_args()
    style.sweep_dir(args.unregularized, ('intransitive_unregularized',), "experiments/intransitive/unregularized.yaml")
    style.sweep_dir(args.regularized, ('intransitive_regularized',), "experiments/intransitive/regularized.yaml")
    style.sweep_dir(args.bias, ('intransitive_bias',), "experiments/intransitive/bias.yaml")
    style.setup()
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.ticker import LogLocator

    cols = ["run_id", "game", "seed", "label", "iter", "beta", "kl_to_ne", "gap_0"]
    tu = style.read_csv(Path(args.unregularized) / "trace.csv", cols + ["average_kl_to_ne", "average_gap_0"])
    tr = style.read_csv(Path(args.regularized) / "trace.csv", cols)
    bias = style.read_csv(Path(args.bias) / "runs.csv", ["game", "seed", "beta", "rho", "gap_0", "kl_to_ne"])
    if (tu["beta"] != 0).any():
        style.error(f"{args.unregularized}/trace.csv: mwu/omwu should run at beta = 0 (found {tu['beta'].max():g})")
    beta_reg = float(tr["beta"].iloc[0])
    # Classify the games by rho at the bias sweep's smallest beta (the beta = 0 runs have no rho);
    # the traces name the game by its spec string, the bias runs.csv by its YAML: join on (family, seed).
    bias["family"] = bias["game"].str.extract(r"type:\s*(\w+)")[0]
    rho0 = bias[bias["beta"] == bias["beta"].min()].set_index(["family", "seed"])["rho"]
    trace = pd.concat([tu, tr], ignore_index=True)
    trace["family"] = family(trace["game"])
    trace["mixed"] = pd.Series(list(zip(trace["family"], trace["seed"])), index=trace.index).map(rho0) > args.mixed_rho
    at_beta = bias[np.isclose(bias["beta"], beta_reg, rtol=1e-9)]
    at_beta = at_beta[at_beta.set_index(["family", "seed"]).index.map(rho0) > args.mixed_rho]
    fams = [f for f in FAMILIES if f in set(trace["family"])]
    fig, axes = plt.subplots(2, len(fams), figsize=(1.75 * style.COLUMN_WIDTH, 1.7 * style.PANEL_HEIGHT),
                             sharex=True, sharey="row", squeeze=False)
    for j, fam in enumerate(fams):
        d = trace[(trace["family"] == fam)]
        games = d[d["label"] == "mwu"].groupby("seed")["mixed"].first()
        for i, (last_col, avg_col) in enumerate(METRICS):
            ax = axes[i][j]
            for label, which, _, ls in CURVES:
                c = d[(d["label"] == label) & d["mixed"]]
                if c.empty:
                    continue
                col = avg_col if which == "average" else last_col
                color = style.COLORS.get(label.split("(")[0], "#333333")
                x, med, q25, q75, n, _ = style.median_band(c, "iter", col)
                x = np.maximum(x, 1)
                lw = 1.4 if label in ("mwu", "omwu") else 0.9
                ax.plot(x, np.maximum(med, FLOOR), color=color, lw=lw, ls=ls)
                if label in ("mwu", "omwu") and len(c["run_id"].unique()) > 1:
                    ax.fill_between(x, np.maximum(q25, FLOOR), np.maximum(q75, FLOOR), color=color, alpha=0.22, lw=0)
            b = at_beta[at_beta["family"] == fam][last_col]
            if len(b):
                ax.axhline(max(float(b.median()), FLOOR), color="#777777", ls=":", lw=1.0)
            ax.set_xscale("log")
            ax.xaxis.set_major_locator(LogLocator(base=10, numticks=12))  # every decade labelled
            ax.set_yscale("log")
            ax.set_ylim(FLOOR / 3, 3e1 if i == 0 else 3)
            if i == 0:
                ax.set_title(f"{fam}: {int(games.sum())} of {len(games)} game{'s' if len(games) != 1 else ''}\n"
                             "with a mixed NE")
            if i == 1:
                ax.set_xlabel(style.LABELS["iter"])
    axes[0][0].set_ylabel(r"KL($\pi_{\mathrm{NE}}\,\Vert\,\pi_t$)")
    axes[1][0].set_ylabel(style.LABELS["gap_0"].replace(" (", "\n("))
    handles = [Line2D([], [], color=style.COLORS.get(label.split("(")[0], "#333333"), ls=ls,
                      lw=1.4 if label in ("mwu", "omwu") else 0.9, label=text) for label, _, text, ls in CURVES]
    handles.append(Line2D([], [], color="#777777", ls=":", lw=1.0, label=rf"bias at $\beta = {beta_reg:g}$"))
    fig.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.02), ncol=4, fontsize=6.5)
    fig.text(0.5, -0.12, style.wrap(
        r"$\pi_{\mathrm{NE}}$: the Nash equilibrium of the $\beta = 0$ game selected by kl_projection, "
        r"certified gap$_0 \leq 10^{-9}$ by nlhf's LPs. mwu and omwu at $\beta = 0$: last iterate (solid) and "
        rf"average (dashed); regularized solvers at $\beta = {beta_reg:g}$, last iterate, levelling off at the "
        r"regularization bias (dotted: median of KL($\pi_{\mathrm{NE}}\,\Vert\,\pi^*_\beta$) and "
        r"gap$_0(\pi^*_\beta)$ over the family's games). Median over the games with a mixed NE, band: quartiles of "
        f"mwu and omwu; values below {FLOOR:g} (incl. 0) drawn at {FLOOR:g}. egpo, omd, mmd and prox (not drawn) "
        "reach the same plateau as nash_mp.", 135),
        ha="center", va="top", fontsize=6)
    style.tight_layout(fig)
    style.save(fig, args.out)


if __name__ == "__main__":
    style.run(main)
