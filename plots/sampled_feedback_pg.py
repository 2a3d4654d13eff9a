"""Approximate Nash-MP (nash_mp_pg) from sampled preferences at T in {1, 10, 100} inner steps.

Usage: python plots/sampled_feedback_pg.py --out BASE RUN_DIR
RUN_DIR is an nlhf-sweep output of experiments/sampled_feedback/nash_mp_pg.yaml: nash_mp_pg at
T inner policy-gradient steps and nash_mp, each with the exact oracle and sampled oracles of batch B,
10 000 / T iterations. (a) gap_beta vs preference queries at the largest B: nash_mp_pg at each T and
sampled nash_mp (dashed); the exact runs make no queries and are not on this axis. (b) The same runs
vs iterations, with the exact runs: nash_mp_pg at the same T (dotted, same colour) and nash_mp
(black), the T -> infinity limit. (c) The error floor, the mean of a run's gap_beta over its last
half-decade of iterations, median over seeds with the interquartile range, vs T for each B; dashed:
sampled nash_mp's floor at the same B. Medians with interquartile bands over seeds. B is read from
a run's label (default `... sampled(batch=B,...)`), T from `inner_steps` in its params.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import style  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

COLUMNS = ["run_id", "solver", "label", "params", "seed", "iter", "queries", "gap_beta"]
T_COLORS = ["#a1d99b", "#41ab5d", "#00441b"]  # light = few inner steps
B_MARKERS = ["o", "s", "^", "D"]
B_STYLES = [(0, (1.5, 1.5)), (0, (5, 2)), (0, (3, 1, 1, 1)), (0, (6, 1))]


def band(ax, cur, x, color, ls="-", lw=1.2, fill=True):
    xs, med, q25, q75, _, _ = style.median_band(cur, x, "gap_beta")
    if fill:
        ax.fill_between(xs, style.positive(q25), style.positive(q75), color=color, alpha=0.2, lw=0)
    (h,) = ax.plot(xs, style.positive(med), color=color, ls=ls, lw=lw)
    return h


def main():
    p = style.parser(__doc__.splitlines()[0])
    p.add_argument("run_dir", help="nlhf-sweep output directory of experiments/sampled_feedback/nash_mp_pg.yaml")
    a = p.parse_args()
    style.sweep_dir(a.run_dir, ('sampled_feedback_pg',), "experiments/sampled_feedback/nash_mp_pg.yaml")
    style.setup()
    df = style.read_csv(Path(a.run_dir) / "trace.csv", COLUMNS)
    df["B"] = df["label"].map(style.oracle_batch)
    df["T"] = df["params"].map(lambda s: style.param(s, "inner_steps"))
    pg = df[df["solver"] == "nash_mp_pg"]
    mp = df[df["solver"] == "nash_mp"]
    if pg.empty:
        style.error(f"{a.run_dir}/trace.csv has no nash_mp_pg runs")
    if pg["T"].isna().any():
        style.error(f"{a.run_dir}/trace.csv: a nash_mp_pg run without inner_steps in its params")
    ts = sorted(pg["T"].unique())
    bs = sorted(b for b in pg["B"].unique() if b > 0)
    if not bs:
        style.error(f"{a.run_dir}/trace.csv has no sampled nash_mp_pg runs")
    big = bs[-1]
    tcol = {t: T_COLORS[min(i, len(T_COLORS) - 1)] for i, t in enumerate(ts)}
    seeds = pg["seed"].nunique()

    fig, axes = plt.subplots(1, 3, figsize=(8.2, 2.9))
    ax_q, ax_i, ax_f = axes
    hs, names = [], []
    for t in ts:
        cur = pg[(pg["T"] == t) & (pg["B"] == big)]
        h = band(ax_q, cur[cur["queries"] > 0], "queries", tcol[t])
        band(ax_i, cur[cur["iter"] > 0], "iter", tcol[t])
        hs.append(h)
        names.append(f"nash_mp_pg, T = {int(t)}")
        ex = pg[(pg["T"] == t) & (pg["B"] == 0) & (pg["iter"] > 0)]
        if len(ex):
            band(ax_i, ex, "iter", tcol[t], ls=":", lw=1.2, fill=False)
    mcol = style.COLORS["nash_mp"]
    cur = mp[mp["B"] == big]
    if len(cur):
        hs.append(band(ax_q, cur[cur["queries"] > 0], "queries", mcol, ls=(0, (4, 2)), fill=False))
        band(ax_i, cur[cur["iter"] > 0], "iter", mcol, ls=(0, (4, 2)), fill=False)
        names.append("nash_mp, sampled (closed-form half-step)")
    ex = mp[(mp["B"] == 0) & (mp["iter"] > 0)]
    if len(ex):
        hs.append(band(ax_i, ex, "iter", "black", lw=1.0, fill=False))
        names.append(r"nash_mp, exact oracle ($T\to\infty$)")
    hs.append(plt.Line2D([], [], color="grey", ls=":", lw=1.2))
    names.append("nash_mp_pg, exact oracle (same T: dotted, in its T's colour)")
    for ax in (ax_q, ax_i):
        ax.set_xscale("log")
        ax.set_yscale("log")
    ax_q.set_xlabel("preference queries (labels drawn)")
    ax_q.set_ylabel(r"gap$_\beta$ (duality gap of the" + "\n" + r"$\beta$-regularized game)")
    ax_q.set_title(f"(a) sampled, B = {int(big)}, vs queries")
    ax_i.set_xlabel(style.LABELS["iter"])
    ax_i.set_title(f"(b) B = {int(big)} and exact, vs iterations")
    ax_i.set_ylim(bottom=1e-12)

    # (c) floors: mean over each run's last half-decade of iterations, median over seeds.
    last = df.groupby("run_id")["iter"].transform("max")
    win = df[df["iter"] >= last / np.sqrt(10)]
    per_run = win.groupby(["solver", "T", "B", "run_id"], dropna=False)["gap_beta"].mean().reset_index()
    for k, b in enumerate(bs):
        s = per_run[(per_run["solver"] == "nash_mp_pg") & (per_run["B"] == b)].groupby("T")["gap_beta"]
        med, q25, q75 = s.median(), s.quantile(0.25), s.quantile(0.75)
        ax_f.errorbar(med.index, med.values, yerr=[med - q25, q75 - med], color="black",
                      marker=B_MARKERS[k % len(B_MARKERS)], ms=4, capsize=2, lw=0.9,
                      mfc="white" if k == 0 else "black", label=f"nash_mp_pg, B = {int(b)}")
        m = per_run[(per_run["solver"] == "nash_mp") & (per_run["B"] == b)]["gap_beta"]
        if len(m):
            ax_f.axhline(m.median(), color=mcol, ls=B_STYLES[k % len(B_STYLES)], lw=1.0,
                         label=f"nash_mp sampled, B = {int(b)}")
    ax_f.set_xscale("log")
    ax_f.set_yscale("log")
    ax_f.set_xticks(ts)
    ax_f.set_xticklabels([f"{int(t)}" for t in ts])
    ax_f.minorticks_off()
    ax_f.set_xlim(ts[0] / 2, ts[-1] * 2)
    ax_f.set_xlabel("T (inner steps per half-step)")
    ax_f.set_ylabel("error floor: mean gap$_\\beta$ over\nthe last half-decade of iterations")
    ax_f.set_title("(c) floor vs T")
    fh, fn = ax_f.get_legend_handles_labels()
    # (a) and (b) share one legend under them; (c)'s own entries sit under (c).
    fig.legend(hs, names, loc="lower center", ncol=2, bbox_to_anchor=(0.36, -0.13))
    fig.legend(fh, fn, loc="lower center", ncol=1, bbox_to_anchor=(0.84, -0.13))
    fig.suptitle(f"approximate Nash-MP (nash_mp_pg), random_uniform n = 10, median of {seeds} seeds", y=1.0)
    style.tight_layout(fig, rect=(0, 0.1, 1, 1))
    style.save(fig, a.out)


if __name__ == "__main__":
    style.run(main)
