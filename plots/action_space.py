"""Oracle calls to gap_beta <= tolerance vs the number of actions n, one panel per beta.

Usage: python plots/action_space.py --out BASE RUN_DIR
RUN_DIR is an nlhf-sweep output of experiments/action_space/sweep.yaml (solvers stopped by a
gap_beta tolerance). Reads runs.csv: per solver label, the median over seeds (markers and line),
the interquartile range (bars) and every seed (faint dots). Runs that did not reach the tolerance
are drawn as open triangles at their final count and are left out of the median.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import style  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402

# Legend text and line style per solver label; the colour is the solver's house colour.
LABEL_TEXT = {
    "nash_mp": r"nash_mp, $\eta = 2\beta$ (theorem's step)",
    "nash_mp_auto": r"nash_mp, $\eta$: auto ($\approx\beta/(2\rho)$)",
    "egpo": "egpo (default)",
    "omd_auto": r"omd, $\eta$: auto (best step $\beta/(\beta^2+\rho^2)$)",
}
LINESTYLE = {"nash_mp_auto": "--"}


def main():
    p = style.parser(__doc__.splitlines()[0])
    p.add_argument("run_dir", help="nlhf-sweep output directory of experiments/action_space/sweep.yaml")
    p.add_argument("--tolerance", default="1e-8", help="the sweep's gap_beta tolerance, for the axis label")
    args = p.parse_args()
    style.sweep_dir(args.run_dir, ('action_space',), "experiments/action_space/sweep.yaml")
    style.setup()
    runs = style.read_csv(Path(args.run_dir) / "runs.csv",
                          ["beta", "game.n", "solver", "label", "seed", "status", "oracle_calls"])
    if runs.empty:
        style.error(f"{args.run_dir}/runs.csv has no rows")
    betas = sorted(runs["beta"].unique())
    labels = list(dict.fromkeys(runs["label"]))
    fig, axes = plt.subplots(1, len(betas), figsize=(2.3 * len(betas) + 0.4, 2.6), sharey=True, squeeze=False)
    handles = {}
    for j, beta in enumerate(betas):
        ax = axes[0][j]
        sub = runs[runs["beta"] == beta]
        for k, label in enumerate(labels):
            cur = sub[sub["label"] == label]
            if cur.empty:
                continue
            color = style.COLORS.get(cur["solver"].iloc[0], "C%d" % k)
            ok = cur[cur["status"] == "tolerance"]
            bad = cur[cur["status"] != "tolerance"]
            # Seeds side by side around each n (a small multiplicative jitter on the log axis).
            jitter = 1 + 0.04 * (k - (len(labels) - 1) / 2)
            ax.scatter(ok["game.n"] * jitter, ok["oracle_calls"], s=5, color=color, alpha=0.35, lw=0)
            if not bad.empty:
                h = ax.scatter(bad["game.n"] * jitter, bad["oracle_calls"], s=14, marker="^", facecolors="none",
                               edgecolors=color)
                handles.setdefault("did not reach the tolerance (final count)", h)
            g = ok.groupby("game.n")["oracle_calls"]
            med, q25, q75 = g.median(), g.quantile(0.25), g.quantile(0.75)
            x = med.index.to_numpy() * jitter
            ax.errorbar(x, med.to_numpy(), yerr=[med - q25, q75 - med], color=color, lw=0, elinewidth=0.8,
                        capsize=1.5)
            (h,) = ax.plot(x, med.to_numpy(), color=color, ls=LINESTYLE.get(label, "-"), marker="o", ms=3)
            handles.setdefault(LABEL_TEXT.get(label, label), h)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(rf"$\beta$ = {beta:g}")
        ax.set_xlabel(r"number of actions $n$")
        if j == 0:
            ax.set_ylabel(rf"oracle calls to gap$_\beta \leq$ {style.power_of_ten(args.tolerance)}"
                          + "\n(median over seeds, IQR bars)")
    fig.legend(list(handles.values()), list(handles.keys()), loc="lower center", ncol=2, bbox_to_anchor=(0.5, -0.01))
    # On two lines, so that it is no wider than the panels (a wider title widens the saved figure,
    # leaving empty margins beside them).
    fig.suptitle(r"random_uniform games: Nash-MP's count is flat in $n$;" + "\n" +
                 r"omd at its $\rho$-tuned step gets faster as $\rho$ falls with $n$", y=0.995)
    style.tight_layout(fig, rect=(0, 0.14, 1, 0.93))
    style.save(fig, args.out)


if __name__ == "__main__":
    style.run(main)
