"""The Hodge intransitivity knob: final gap_0 vs kappa for MWU's last iterate and average, OMWU's last
iterate and nash_mp at beta = 1e-4 (its gap_0 is the regularization bias gap_0(pi*_beta)).

Usage: python plots/intransitive_hodge.py --out OUT HODGE_DIR [--mixed-rho RHO]

Reads runs.csv of experiments/intransitive/hodge.yaml. Median over the games at each kappa with
quartile bars; gap_0 values below 1e-12 (exact convergence included) are drawn at 1e-12. The grey bars
(right axis) are the fraction of games whose NE is mixed (rho > 1e-3).
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import style  # noqa: E402

FLOOR = 1e-12
MIXED_RHO = 1e-3  # default of --mixed-rho; experiments/intransitive/reproduce.py passes the claims' value


def main():
    p = style.parser(__doc__.splitlines()[0])
    p.add_argument("hodge")
    p.add_argument("--mixed-rho", type=float, default=MIXED_RHO,
                   help=f"rho above this: a mixed NE (default {MIXED_RHO:g})")
    args = p.parse_args()
    style.sweep_dir(args.hodge, ('intransitive_hodge',), "experiments/intransitive/hodge.yaml")
    style.setup()
    import matplotlib.pyplot as plt

    df = style.read_csv(Path(args.hodge) / "runs.csv", ["game.kappa", "seed", "solver", "label", "rho", "gap_0",
                                                         "average_gap_0", "iterations"])
    # The gaps above, the fraction of games with a mixed NE in a strip of its own below (sharing kappa).
    fig, (ax, ax2) = plt.subplots(2, 1, figsize=(style.COLUMN_WIDTH, 1.45 * style.PANEL_HEIGHT), sharex=True,
                                  gridspec_kw={"height_ratios": [3.2, 1]})
    mixed = df[df["solver"] == "mwu"].groupby("game.kappa")["rho"].apply(lambda r: (r > args.mixed_rho).mean())
    ax2.bar(mixed.index, mixed.to_numpy(), width=0.06, color="#bbbbbb")
    ax2.set_ylim(0, 1.05)
    ax2.set_yticks([0, 0.5, 1])
    ax2.set_ylabel("games with\na mixed NE", fontsize=7)
    series = [("mwu", "gap_0", "mwu (last iterate)", "-", "o"), ("mwu", "average_gap_0", "mwu (average)", "--", "s"),
              ("omwu", "gap_0", "omwu (last iterate)", "-", "^"), ("nash_mp", "gap_0", r"nash_mp ($\beta$=1e-4)", "-", "D")]
    for solver, col, name, ls, mk in series:
        d = df[df["solver"] == solver]
        if d.empty:
            continue
        v = d.assign(v=np.maximum(d[col].astype(float), FLOOR)).groupby("game.kappa")["v"]
        med, q25, q75 = v.median(), v.quantile(0.25), v.quantile(0.75)
        color = style.COLORS.get(solver, "#333333")
        # A median of exactly 0 (a pure equilibrium reached) has no place on a log axis: an open marker
        # at the floor, not joined to the others, so no line fakes a rise over ten decades.
        zero = med <= FLOOR
        ax.errorbar(med.index[~zero], med[~zero].to_numpy(), yerr=[(med - q25)[~zero], (q75 - med)[~zero]],
                    color=color, ls=ls, marker=mk, ms=3, capsize=1.5, elinewidth=0.6, label=name)
        ax.plot(med.index[zero], med[zero].to_numpy(), color=color, ls="none", marker=mk, ms=3, mfc="none")
    T = int(df["iterations"].max())
    ax.set_yscale("log")
    ax2.set_xlabel(r"intransitivity $\kappa$ (0: transitive, 1: cyclic)")
    ax.set_ylabel(f"{style.LABELS['gap_0']}\nafter {T:,} iterations")
    ax.legend(fontsize=6, loc="center left", bbox_to_anchor=(0.0, 0.42))
    ax.set_title(f"hodge(n = 10): median of {df['seed'].nunique()} games, quartile bars;\n"
                 f"open markers: median 0, drawn at {FLOOR:g}", fontsize=6.5)
    style.tight_layout(fig)
    style.save(fig, args.out)


if __name__ == "__main__":
    style.run(main)
