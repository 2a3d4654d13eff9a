"""The EGPO code's empirical tabular panel (arXiv:2503.08942): gap_beta vs updates, exact vs sampled pairs,
one panel per algorithm, and a last panel with the noise floor of OMD and EGPO at three batch sizes
(run directories of experiments/egpo_empirical: exact, pairs, batch).

Algorithm panels: the exact curve (dashed; median over games) and the pairs curve with B = 100 (solid:
median over games x seeds, band: interquartile range, faint: each run). Last panel: the median over
games of OMD and EGPO at B = 10, 100, 1000 pairs per estimate, with the exact median for reference.
Reads trace.csv only.

Usage: python plots/egpo_empirical.py --out OUT EXACT_DIR PAIRS_DIR BATCH_DIR
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import style  # noqa: E402

PANELS = [("Online IPO 1 (OMD)", "omd"), ("Nash-MD (EGPO code)", "nash_md"), ("EGPO", "egpo"),
          ("Online IPO 2", "online_ipo2"), ("Nash-MD-PG", "nash_md_pg")]
COLUMNS = ["run_id", "label", "solver", "iter", "gap_beta"]


def split(df):
    parts = df.label.str.split(", ", n=1)
    return df.assign(alg=parts.str[0], mode=parts.str[1])


def main():
    p = style.parser(__doc__.splitlines()[0])
    p.add_argument("exact", help="run directory of exact.yaml")
    p.add_argument("pairs", help="run directory of pairs.yaml")
    p.add_argument("batch", help="run directory of batch.yaml")
    a = p.parse_args()
    style.sweep_dir(a.exact, ('egpo_empirical_exact',), "experiments/egpo_empirical/exact.yaml")
    style.sweep_dir(a.pairs, ('egpo_empirical_pairs',), "experiments/egpo_empirical/pairs.yaml")
    style.sweep_dir(a.batch, ('egpo_batch',), "experiments/egpo_empirical/batch.yaml")
    style.setup()
    import matplotlib.pyplot as plt

    exact = split(style.read_csv(Path(a.exact) / "trace.csv", COLUMNS))
    pairs = split(style.read_csv(Path(a.pairs) / "trace.csv", COLUMNS))
    batch = split(style.read_csv(Path(a.batch) / "trace.csv", COLUMNS))
    # Log x: the update-0 point (the reference policy) is left out.
    exact, pairs, batch = (d[d.iter >= 1] for d in (exact, pairs, batch))

    fig, axes = plt.subplots(2, 3, figsize=(style.COLUMN_WIDTH * 2.1, style.PANEL_HEIGHT * 2.1), sharex=True,
                             sharey=True)
    axes = axes.ravel()
    for ax, (alg, solver) in zip(axes, PANELS):
        color = style.COLORS.get(solver, "C0")
        e = exact[exact.alg == alg]
        s = pairs[pairs.alg == alg]
        for _, curve in s.groupby("run_id"):
            ax.plot(curve.iter, style.positive(curve.gap_beta), color=color, alpha=0.12, lw=0.4)
        n_runs = 0
        if len(s):
            x, med, q25, q75, n_runs, _ = style.median_band(s, "iter", "gap_beta")
            ax.fill_between(x, style.positive(q25), style.positive(q75), color=color, alpha=0.3, lw=0)
            ax.plot(x, style.positive(med), color=color, lw=1.4, label=f"pairs, B = 100 ({n_runs} runs)")
        if len(e) and not len(s):  # exact only: draw it like a sampled panel, in the solver's colour
            for _, curve in e.groupby("run_id"):
                ax.plot(curve.iter, style.positive(curve.gap_beta), color=color, alpha=0.2, lw=0.4)
            x, med, q25, q75, n_games, _ = style.median_band(e, "iter", "gap_beta")
            ax.fill_between(x, style.positive(q25), style.positive(q75), color=color, alpha=0.3, lw=0)
            ax.plot(x, style.positive(med), color=color, lw=1.4, label=f"exact ({n_games} games)")
        elif len(e):
            x, med, _, _, n_games, _ = style.median_band(e, "iter", "gap_beta")
            ax.plot(x, style.positive(med), color="k", ls="--", lw=1.0, label=f"exact ({n_games} games)")
        ax.set_title(alg + ("" if len(s) else " (exact only)"))
        ax.legend(loc="lower left")
    # The noise floor against the batch: OMD and EGPO at B = 10, 100, 1000 (medians over games).
    ax = axes[5]
    allb = __import__("pandas").concat([pairs, batch])
    styles = {"10": ":", "100": "-", "1000": "-."}
    drawn = set()
    for alg, solver in (("Online IPO 1 (OMD)", "omd"), ("EGPO", "egpo")):
        color = style.COLORS[solver]
        for b, ls in styles.items():
            s = allb[(allb.alg == alg) & (allb["mode"] == f"pairs B={b}")]
            if not len(s):
                continue
            drawn.add(b)
            x, med, _, _, n, _ = style.median_band(s, "iter", "gap_beta")
            ax.plot(x, style.positive(med), color=color, ls=ls, lw=1.3, label=f"{alg.split(' (')[-1].rstrip(')')}, B = {b} (median)")
    e = exact[exact.alg == "Online IPO 1 (OMD)"]
    if len(e):
        x, med, _, _, _, _ = style.median_band(e, "iter", "gap_beta")
        ax.plot(x, style.positive(med), color="k", ls="--", lw=1.0, label="OMD, exact")
    ax.set_title("OMD and EGPO at B = " + ", ".join(b for b in styles if b in drawn))
    ax.legend(loc="lower left", ncol=1, fontsize=6)
    for i, ax in enumerate(axes):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_ylim(1e-8, 1)
        ax.set_xlim(1, 1e5)
        if i >= 3:
            ax.set_xlabel(style.LABELS["iter"])
        if i % 3 == 0:
            ax.set_ylabel(r"gap$_\beta$ (regularized duality gap)")
    games = int(exact.groupby("alg").run_id.nunique().max()) if len(exact) else 0  # one exact run per game
    fig.suptitle(rf"EGPO code's empirical panel, {games} of the authors' games: $\beta$ = 0.01, lr = 2e-4 ($\eta'$ = 0.008),"
                 "\nsampled pairs (y uniform) vs exact", fontsize=8)
    style.tight_layout(fig)
    style.save(fig, a.out)


if __name__ == "__main__":
    style.run(main)
