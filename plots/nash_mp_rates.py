"""Nash-MP's rate theorem (arXiv:2505.19731): KL(pi*||pi_N), exploitability and span vs oracle calls N.

Usage: python plots/nash_mp_rates.py --out BASE RUN_DIR
RUN_DIR is an nlhf-sweep output of experiments/nash_mp_rates/sweep.yaml (nash_mp at eta = 2 beta,
a fixed budget, several seeds per (beta, n)). One column per beta, one row per metric; each metric
is divided by its own value at N = 0 so that the theorem's bound (1+2beta)^(-N/2) KL_0 is one line
per panel. The three n are three colours and styles: median over seeds, interquartile band,
each seed's curve faint. Black lines: the bound (solid) and the reference rates (dashed).
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import style  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

ROWS = [
    ("kl_to_star", r"KL($\pi^*_\beta\,\Vert\,\pi_N$) / KL$_0$"),
    ("exploitability", "exploitability / its value at N = 0\n" + r"(exploitability = gap$_\beta$/2)"),
    ("span", r"span($\log\pi_N - \log\pi^*_\beta$)" + "\n/ its value at N = 0"),
]
# Which power of (1+2beta)^(-N/2) each metric follows near pi*: KL and the gap are quadratic in the
# log-probability error, the span is linear in it.
GUIDE = {"kl_to_star": 2, "exploitability": 2, "span": 1}
N_STYLES = ["-", "--", ":"]
N_COLORS = ["#6baed6", "#2171b5", "#08306b"]


def main():
    p = style.parser(__doc__.splitlines()[0])
    p.add_argument("run_dir", help="nlhf-sweep output directory of experiments/nash_mp_rates/sweep.yaml")
    args = p.parse_args()
    style.sweep_dir(args.run_dir, ('nash_mp_rates',), "experiments/nash_mp_rates/sweep.yaml")
    style.setup()
    metrics = [m for m, _ in ROWS]
    df = style.read_csv(Path(args.run_dir) / "trace.csv", ["run_id", "beta", "n", "oracle_calls"] + metrics)
    if df.empty:
        style.error(f"{args.run_dir}/trace.csv has no rows")
    df = df.sort_values(["run_id", "oracle_calls"])
    for m in metrics:  # each curve divided by its value at N = 0 (the first logged row)
        df[m + "_rel"] = df[m] / df.groupby("run_id")[m].transform("first")
    betas = sorted(df["beta"].unique())
    ns = sorted(df["n"].unique())
    fig, axes = plt.subplots(len(ROWS), len(betas), figsize=(2.3 * len(betas) + 0.4, 1.85 * len(ROWS) + 0.5),
                             sharey="row", squeeze=False)
    handles = {}
    for j, beta in enumerate(betas):
        sub = df[df["beta"] == beta]
        n_max = sub["oracle_calls"].max()
        grid = np.linspace(0, n_max, 200)
        for i, (m, label) in enumerate(ROWS):
            ax = axes[i][j]
            for k, n in enumerate(ns):
                cur = sub[sub["n"] == n]
                if cur.empty:
                    continue
                color, ls = N_COLORS[k % len(N_COLORS)], N_STYLES[k % len(N_STYLES)]
                for _, run in cur.groupby("run_id"):
                    ax.plot(run["oracle_calls"], style.positive(run[m + "_rel"]), color=color, lw=0.5, alpha=0.25)
                x, med, q25, q75, count, _ = style.median_band(cur, "oracle_calls", m + "_rel")
                ax.fill_between(x, style.positive(q25), style.positive(q75), color=color, alpha=0.2, lw=0)
                (h,) = ax.plot(x, style.positive(med), color=color, ls=ls, lw=1.3)
                handles.setdefault(f"n = {n} (median of {count} games)", h)
            rate = np.log1p(2 * beta)
            if m == "kl_to_star":
                (hb,) = ax.plot(grid, np.exp(-rate * grid / 2), color="black", lw=1.0)
                (ha,) = ax.plot(grid, np.exp(-rate * grid), color="black", lw=1.0, ls=(0, (4, 2)))
                handles.setdefault(r"bound $(1+2\beta)^{-N/2}$ (theorem)", hb)
                handles.setdefault(r"asymptote $(1+2\beta)^{-N}$", ha)
            else:
                # The exploitability falls like the KL (the asymptote, dashed); the span like its
                # square root (dash-dotted).
                (hg,) = ax.plot(grid, np.exp(-rate * grid * GUIDE[m] / 2), color="black", lw=1.0,
                                ls=(0, (4, 2)) if GUIDE[m] == 2 else "-.")
                if GUIDE[m] == 1:
                    handles.setdefault(r"span: $(1+2\beta)^{-N/2}$ (linear in the log error)", hg)
            ax.set_yscale("log")
            ax.set_xlim(0, n_max)
            if i == 0:
                ax.set_title(rf"$\beta$ = {beta:g}")
            if i == len(ROWS) - 1:
                ax.set_xlabel(style.LABELS["oracle_calls"])
            if j == 0:
                ax.set_ylabel(label)
    for i in range(len(ROWS)):
        lo = np.nanmin([np.nanmin(style.positive(df[m + "_rel"])) for m in [ROWS[i][0]]])
        axes[i][0].set_ylim(max(lo / 10, 1e-40), 10)
    fig.legend(list(handles.values()), list(handles.keys()), loc="lower center", ncol=3,
               bbox_to_anchor=(0.5, -0.01))
    fig.suptitle(r"Nash-MP ($\eta = 2\beta$) on random_uniform games: the rate does not depend on $n$", y=0.995)
    style.tight_layout(fig, rect=(0, 0.07, 1, 0.98))
    style.save(fig, args.out)


if __name__ == "__main__":
    style.run(main)
