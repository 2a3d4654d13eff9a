"""The regularization bias: how far the regularized equilibrium pi*_beta is from the Nash equilibrium of
the unregularized game, vs beta (log-log), one line per game. Left: gap_0(pi*_beta); right:
KL(pi_NE || pi*_beta).

Usage: python plots/intransitive_bias.py --out OUT BIAS_DIR [--mixed-rho RHO] [--fit-max BETA]

Reads runs.csv of experiments/intransitive/bias.yaml: nash_mp run until KL(pi || pi*_beta) <= 1e-24,
so its final gap_0 is gap_0(pi*_beta) within sqrt(2 KL) = 1.4e-12 and its final kl_to_ne is
KL(pi_NE || pi*_beta) to about the same accuracy; pi_NE is the Nash equilibrium of the beta = 0 game
selected by kl_projection (the limit of pi*_beta as beta -> 0), certified gap_0 <= 1e-9 by nlhf's LPs.
Games whose NE is mixed (rho > 1e-3 at the smallest beta) are drawn solid, one colour per family, with
the least-squares slope over beta <= 1e-3 in the legend (median over the family's games); rps3 and
cyclic have a full-support NE, the mixed NEs of disc and bt_mixture leave actions unplayed. Games with
a Condorcet winner (pure NE) dashed grey: their bias is exponentially small (values <= 1e-12, at the
accuracy floor, are not drawn).
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
SUPPORT = {"rps3": "full support", "cyclic": "full support", "disc": "partial support",
           "bt_mixture": "partial support"}
PANELS = [("gap_0", r"gap$_0(\pi^*_\beta)$", 1),
          ("kl_to_ne", r"KL($\pi_{\mathrm{NE}}\,\Vert\,\pi^*_\beta$)", 2)]


def main():
    p = style.parser(__doc__.splitlines()[0])
    p.add_argument("bias")
    p.add_argument("--mixed-rho", type=float, default=MIXED_RHO, help=f"rho above this: a mixed NE (default {MIXED_RHO:g})")
    p.add_argument("--fit-max", type=float, default=FIT_MAX, help=f"fit the slopes over beta <= this (default {FIT_MAX:g})")
    args = p.parse_args()
    style.sweep_dir(args.bias, ('intransitive_bias',), "experiments/intransitive/bias.yaml")
    style.setup()
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    df = style.read_csv(Path(args.bias) / "runs.csv", ["game", "seed", "beta", "rho", "gap_0", "kl_to_ne", "status"])
    df["family"] = df["game"].str.extract(r"type:\s*(\w+)")[0]
    rho0 = df[df["beta"] == df["beta"].min()].set_index(["game", "seed"])["rho"].rename("rho0")
    df = df.join(rho0, on=["game", "seed"])
    fig, axes = plt.subplots(1, 2, figsize=(2 * style.COLUMN_WIDTH, 1.15 * style.PANEL_HEIGHT))
    slopes = {}  # (family, metric) -> slopes of its mixed games
    for ax, (metric, ylabel, power) in zip(axes, PANELS):
        for (game, seed), g in df.groupby(["game", "seed"]):
            g = g.sort_values("beta")
            fam = g["family"].iloc[0]
            y = np.where(g[metric] > FLOOR, g[metric], np.nan)
            if g["rho0"].iloc[0] > args.mixed_rho:
                f = g[g["beta"] <= args.fit_max * (1 + 1e-9)]
                slopes.setdefault((fam, metric), []).append(np.polyfit(np.log(f["beta"]), np.log(f[metric]), 1)[0])
                ax.plot(g["beta"], y, color=FAMILY_COLORS.get(fam, "#333333"), lw=0.9, marker="o", ms=2, alpha=0.8)
            else:
                ax.plot(g["beta"], y, color="#999999", lw=0.8, ls="--", marker=".", ms=2)
        # The reference line through the median of the mixed games at the smallest beta, up to beta = 0.1.
        at0 = df[(df["beta"] == df["beta"].min()) & (df["rho0"] > args.mixed_rho)][metric]
        c = float(np.median(at0)) / df["beta"].min() ** power if len(at0) else 1.0
        b = np.geomspace(df["beta"].min(), 0.1, 10)
        ax.plot(b, c * b ** power, color="k", ls=":", lw=1.0)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_ylim(FLOOR / 3, 30)
        ax.set_xlabel(r"regularization $\beta$")
        ax.set_ylabel(ylabel)
    axes[0].set_title(r"unregularized duality gap of $\pi^*_\beta$", fontsize=7)
    axes[1].set_title(r"KL divergence from the certified NE to $\pi^*_\beta$", fontsize=7)
    handles = []
    for fam in FAMILY_COLORS:
        s0, s1 = slopes.get((fam, "gap_0")), slopes.get((fam, "kl_to_ne"))
        if s0:
            handles.append(Line2D([], [], color=FAMILY_COLORS[fam], marker="o", ms=2,
                                  label=f"{fam}: {len(s0)} game{'s' if len(s0) != 1 else ''} with a mixed NE, "
                                        f"{SUPPORT[fam]}; slopes {np.median(s0):.2f} (gap$_0$), "
                                        f"{np.median(s1):.2f} (KL)"))
    if (df["rho0"] <= args.mixed_rho).any():
        n_pure = df[df["rho0"] <= args.mixed_rho].groupby(["game", "seed"]).ngroups
        handles.append(Line2D([], [], color="#999999", ls="--", marker=".", ms=2,
                              label=f"{n_pure} game{'s' if n_pure != 1 else ''} with a pure NE (Condorcet winner)"))
    handles.append(Line2D([], [], color="k", ls=":", lw=1.0, label=r"$\propto \beta$ and $\propto \beta^2$ "
                          "through the median at the smallest $\\beta$"))
    fig.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=1, fontsize=6)
    note = (r"$\pi_{\mathrm{NE}}$: the Nash equilibrium of the $\beta = 0$ game selected by kl_projection, certified "
            r"gap$_0 \leq 10^{-9}$ by nlhf's LPs. Slopes: least-squares fit over "
            rf"$\beta \leq {args.fit_max:g}$, median per family; values below {FLOOR:g} are not drawn.")
    fig.text(0.5, -0.37, style.wrap(note, 125), ha="center", va="top", fontsize=6)
    style.tight_layout(fig)
    style.save(fig, args.out)


if __name__ == "__main__":
    style.run(main)
