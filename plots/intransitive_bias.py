"""The regularization bias: gap_0(pi*_beta), the unregularized duality gap of the regularized
equilibrium, vs beta (log-log), one line per game.

Usage: python plots/intransitive_bias.py --out OUT BIAS_DIR [--mixed-rho RHO] [--fit-max BETA]

Reads runs.csv of experiments/intransitive/bias.yaml: nash_mp run until KL(pi || pi*_beta) <= 1e-24,
so its final gap_0 is gap_0(pi*_beta) within sqrt(2 KL) = 1.4e-12. Games whose NE is mixed (rho > 1e-3
at the smallest beta) are drawn solid, one colour per family, with the least-squares slope over
beta <= 1e-3 in the legend (median over the family's games); games with a Condorcet winner (pure NE)
dashed grey: their bias is exponentially small (values <= 1e-12, at the accuracy floor, are not drawn).
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import style  # noqa: E402

# Defaults of --mixed-rho and --fit-max; experiments/intransitive/reproduce.py passes its own values
# (the ones its claims use) so that figure and claims cannot diverge.
MIXED_RHO = 1e-3
FIT_MAX = 1e-3
FLOOR = 1e-12
FAMILY_COLORS = {"rps3": "#0072B2", "cyclic": "#D55E00", "disc": "#009E73", "bt_mixture": "#CC79A7"}


def main():
    p = style.parser(__doc__.splitlines()[0])
    p.add_argument("bias")
    p.add_argument("--mixed-rho", type=float, default=MIXED_RHO, help=f"rho above this: a mixed NE (default {MIXED_RHO:g})")
    p.add_argument("--fit-max", type=float, default=FIT_MAX, help=f"fit the slopes over beta <= this (default {FIT_MAX:g})")
    args = p.parse_args()
    style.setup()
    import matplotlib.pyplot as plt

    df = style.read_csv(Path(args.bias) / "runs.csv", ["game", "seed", "beta", "rho", "gap_0", "status"])
    df["family"] = df["game"].str.extract(r"type:\s*(\w+)")[0]
    rho0 = df[df["beta"] == df["beta"].min()].set_index(["game", "seed"])["rho"].rename("rho0")
    df = df.join(rho0, on=["game", "seed"])
    fig, ax = plt.subplots(figsize=(style.COLUMN_WIDTH, 1.1 * style.PANEL_HEIGHT))
    labelled = set()
    slopes = {}
    for (game, seed), g in df.groupby(["game", "seed"]):
        g = g.sort_values("beta")
        fam = g["family"].iloc[0]
        y = np.where(g["gap_0"] > FLOOR, g["gap_0"], np.nan)
        if g["rho0"].iloc[0] > args.mixed_rho:
            f = g[g["beta"] <= args.fit_max * (1 + 1e-9)]
            slopes.setdefault(fam, []).append(np.polyfit(np.log(f["beta"]), np.log(f["gap_0"]), 1)[0])
            ax.plot(g["beta"], y, color=FAMILY_COLORS.get(fam, "#333333"), lw=0.9, marker="o", ms=2, alpha=0.8)
        else:
            lab = "games with a pure NE" if "pure" not in labelled else None
            labelled.add("pure")
            ax.plot(g["beta"], y, color="#999999", lw=0.8, ls="--", marker=".", ms=2, label=lab)
    for fam, s in slopes.items():
        ax.plot([], [], color=FAMILY_COLORS.get(fam, "#333333"), marker="o", ms=2,
                label=f"{fam} ({len(s)} mixed; slope {np.median(s):.2f})")
    b = np.geomspace(df["beta"].min(), df["beta"].max(), 10)
    ax.plot(b, 1.0 * b, color="k", ls=":", lw=0.8, label=r"$\propto \beta$ (slope 1)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(r"regularization $\beta$")
    ax.set_ylabel(r"gap$_0(\pi^*_\beta)$ (regularization bias)")
    ax.legend(fontsize=5.5, loc="lower right")
    ax.set_title(f"slopes: fit over beta <= {args.fit_max:g}, median per family", fontsize=7)
    fig.tight_layout()
    style.save(fig, args.out)


if __name__ == "__main__":
    main()
