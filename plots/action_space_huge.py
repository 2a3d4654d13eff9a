"""Nash-MP at n = 10^3 .. 10^6 actions (arXiv:2505.19731): KL(pi*||pi_N) vs oracle calls N, one curve per n.

Usage: python plots/action_space_huge.py --out BASE RUN_DIR [--window LO HI]
RUN_DIR is an nlhf-sweep output of experiments/action_space_huge/sweep.yaml (nash_mp at eta = 2 beta on
low_rank_cyclic games, a fixed budget, several seeds per (n, beta), KL logged at every iteration). One
panel per beta. Per n (one colour): the median over seeds (each seed faint) and, thin dashed in the
same colour, the theorem's bound (1+2beta)^(-N/2) KL_0 drawn from the median's KL_0. The grey band is
the window [LO, HI] on which the slope of log KL vs N is fitted by least squares; the legend gives it
per n and beta (median over seeds, in units of -log(1+2beta) per call; the bound's is 0.5 in these
units). experiments/action_space_huge/reproduce.py fits the same window for its claims.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import style  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

# Okabe-Ito colours, one per n (the house solver colours are not involved: one solver here).
N_COLORS = ["#E69F00", "#009E73", "#0072B2", "#CC79A7"]


def pow10(n: float) -> str:
    e = int(round(np.log10(n)))
    return rf"$10^{{{e}}}$" if 10.0 ** e == n else f"{n:g}"


def fitted_slope(run, lo: float, hi: float, beta: float) -> float:
    """Least-squares slope of log KL vs N on KL in [lo, hi], in units of -log(1+2beta); NaN with fewer
    than two points."""
    w = run[(run["kl_to_star"] >= lo) & (run["kl_to_star"] <= hi)]
    if len(w) < 2:
        return np.nan
    return np.polyfit(w["oracle_calls"], np.log(w["kl_to_star"]), 1)[0] / -np.log1p(2 * beta)


def main():
    p = style.parser(__doc__.splitlines()[0])
    p.add_argument("run_dir", help="nlhf-sweep output directory of experiments/action_space_huge/sweep.yaml")
    p.add_argument("--window", nargs=2, type=float, default=[1e-20, 1e-8], metavar=("LO", "HI"),
                   help="the KL window of the slope fit (default 1e-20 1e-8)")
    args = p.parse_args()
    style.sweep_dir(args.run_dir, ('action_space_huge',), "experiments/action_space_huge/sweep.yaml")
    lo, hi = args.window
    if not 0 < lo < hi:
        style.error(f"--window: {lo:g} {hi:g}, expected 0 < LO < HI")
    style.setup()
    df = style.read_csv(Path(args.run_dir) / "trace.csv", ["run_id", "game", "beta", "n", "oracle_calls",
                                                                  "kl_to_star"])
    df = df.sort_values(["run_id", "oracle_calls"])
    betas = sorted(df["beta"].unique())
    ns = sorted(df["n"].unique())
    fig, axes = plt.subplots(1, len(betas), figsize=(2.8 * len(betas) + 0.6, 3.4), squeeze=False)
    y_min = np.nanmin(style.positive(df["kl_to_star"]))
    handles, games, slopes = {}, {}, {}
    for j, beta in enumerate(betas):
        ax = axes[0][j]
        sub = df[df["beta"] == beta]
        n_max = sub["oracle_calls"].max()
        ax.axhspan(lo, hi, color="0.9", lw=0, zorder=0)
        for k, n in enumerate(ns):
            cur = sub[sub["n"] == n]
            if cur.empty:
                continue
            color = N_COLORS[k % len(N_COLORS)]
            for _, run in cur.groupby("run_id"):
                ax.plot(run["oracle_calls"], style.positive(run["kl_to_star"]), color=color, lw=0.5, alpha=0.3)
            x, med, _, _, count, _ = style.median_band(cur, "oracle_calls", "kl_to_star")
            if len(x) == 0:
                continue
            (h,) = ax.plot(x, style.positive(med), color=color, lw=1.3)
            handles.setdefault(n, h)
            games[n] = count
            # The bound from the median's KL_0 (the claims check it per run, from each run's own KL_0).
            ax.plot(x, med[0] * (1 + 2 * beta) ** (-x / 2), color=color, lw=0.8, ls=(0, (3, 2)))
            slopes.setdefault(n, {})[beta] = np.median([fitted_slope(r, lo, hi, beta)
                                                        for _, r in cur.groupby("run_id")])
        ax.set_yscale("log")
        ax.set_xlim(0, n_max)
        ax.set_ylim(max(y_min / 10, 1e-40), 1)
        ax.set_title(rf"$\beta$ = {beta:g}  ($\eta = 2\beta$)")
        ax.set_xlabel(style.LABELS["oracle_calls"])
        if j == 0:
            ax.set_ylabel(r"KL($\pi^*_\beta\,\Vert\,\pi_N$)")
    # The fitted slopes in the legend, one per panel (they would hide curves or bounds in the panels).
    handles = {f"n = {pow10(n)} ({games[n]} games): " + " | ".join(
        f"{slopes[n][b]:.3f}" if b in slopes[n] else "-" for b in betas): h for n, h in handles.items()}
    handles[r"bound $(1+2\beta)^{-N/2}\,\mathrm{KL}_0$ (theorem), per $n$"] = Line2D([], [], color="0.3", lw=0.8,
                                                                         ls=(0, (3, 2)))
    handles[f"slope fit window [{lo:g}, {hi:g}]"] = Patch(color="0.9")
    fig.legend(list(handles.values()), list(handles.keys()), loc="lower center", ncol=3, columnspacing=2.0,
               bbox_to_anchor=(0.5, -0.01),
               title="solid: median over games; after the colon: the fitted slope of log KL vs $N$ in units of "
                     r"$-\log(1+2\beta)$, at $\beta$ = " + " | ".join(f"{b:g}" for b in betas) + " (the bound's: 0.5)",
               title_fontsize=7)
    ks = sorted({style.param(g, "k") for g in df["game"]})
    game = df["game"].iloc[0].split("(")[0] + (f" ($K$ = {ks[0]:g})" if len(ks) == 1 and np.isfinite(ks[0]) else "")
    fig.suptitle(rf"Nash-MP on {game}: one rate for $n$ = {pow10(ns[0])} ... {pow10(ns[-1])}", y=0.99)
    style.tight_layout(fig, rect=(0, 0.17, 1, 0.97))
    style.save(fig, args.out)


if __name__ == "__main__":
    style.run(main)
