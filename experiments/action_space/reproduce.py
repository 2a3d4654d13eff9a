"""Oracle calls to gap_beta <= 1e-8 vs the number of actions n: Nash-MP's rate does not depend on n
(arXiv:2505.19731); solvers whose step is tuned to the game's rho do depend on it."""
from __future__ import annotations

from reproduction import Claim, Figure, MissingData, Sweep, all_gt, all_le, fmt, require_count, require_values

TITLE = "Oracle calls to gap_beta <= 1e-8 vs the number of actions n (Nash-MP is flat in n)"
TOLERANCE = "1e-8"  # the sweep's stop.tolerance.gap_beta (sweep.yaml)
SWEEPS = [
    Sweep("sweep.yaml", out="counts",
          quick=["seeds={from: 0, to: 2}", "sweep={beta: [0.1, 1]}", "zip=[{game.n: [10, 30, 100, 300]}]"]),
]
FIGURES = [Figure("plots/action_space.py", out="action_space", inputs=["counts"], args=["--tolerance", TOLERANCE])]

# Runs per solver label: betas x (5 seeds at n = 10..1000, 3 at n = 3000) = 3 x 28 in full; 2 betas x 4 n x 3
# seeds with --quick. Three labels.
RUNS = {False: 3 * 3 * 28, True: 3 * 2 * 4 * 3}
SOURCE = "arXiv:2505.19731 v1 (rates independent of the size of the action space)"
FLAT = 1.5       # max/min of the median count across n, at fixed beta
CONTRAST_MAX_BETA = 0.1  # at beta = 1 omd needs 2-4 calls: too few to resolve a ratio


def _medians(runs, label):
    cur = runs[runs["label"] == label]
    if cur.empty:
        raise MissingData(f"counts/runs.csv has no runs of solver label {label}")
    return cur.groupby(["beta", "game.n"])["oracle_calls"].median().reset_index()


def _per_beta(med, n_values):
    """Per beta: max/min of the median counts over n; NaN (the ratio fails) if an n has no median."""
    parts, ratios = [], {}
    for b, g in med.groupby("beta"):
        g = g.sort_values("game.n")
        ratios[b] = g["oracle_calls"].max() / g["oracle_calls"].min() if len(g) == n_values else float("nan")
        parts.append(f"beta {b:g}: " + " / ".join(fmt(v) for v in g["oracle_calls"]) + f" (max/min {ratios[b]:.2f})")
    return parts, ratios


def claims(results, quick):
    runs = results.runs("counts", ["beta", "game.n", "solver", "label", "seed", "status", "oracle_calls"])
    require_count(runs, RUNS[quick], "runs in counts/runs.csv")
    require_values(runs["oracle_calls"], "oracle_calls in counts/runs.csv")  # the medians would skip a NaN
    ns = sorted(runs["game.n"].unique())
    n_text = "n = " + " / ".join(str(n) for n in ns)
    seeds = runs.groupby("game.n")["seed"].nunique()
    seed_text = ", ".join(f"{s} seeds at n = {n}" for n, s in seeds.items() if s != seeds.max())
    seed_text = f"median over {seeds.max()} seeds" + (f" ({seed_text})" if seed_text else "")
    out = []

    # 1. Every run reached the tolerance (otherwise a count is only a lower bound).
    missed = runs[runs["status"] != "tolerance"]
    out.append(Claim(
        f"every run reaches gap_beta <= {TOLERANCE} within its iteration cap ({len(runs)} runs)",
        "precondition of the counts below", "0 runs stopped otherwise",
        f"{len(missed)} runs stopped otherwise" + (": " + ", ".join(
            f"{r['label']} beta {r['beta']:g} n {r['game.n']} seed {r['seed']} ({r['status']})"
            for _, r in missed.head(5).iterrows()) if len(missed) else ""),
        missed.empty))
    ok_runs = runs[runs["status"] == "tolerance"]

    # 2. Nash-MP at its theorem's step: flat in n.
    parts, ratios = _per_beta(_medians(ok_runs, "nash_mp"), len(ns))
    out.append(Claim(
        f"nash_mp (eta = 2 beta): oracle calls to gap_beta <= {TOLERANCE} are flat in n ({n_text}; {seed_text})",
        SOURCE, f"max/min of the median count across n <= {FLAT} at each beta",
        "median counts for " + n_text + ": " + "; ".join(parts),
        all_le(list(ratios.values()), FLAT)[0] and len(ns) >= 2))

    # 3. Contrast: omd at its best step (tuned to rho) is not flat, since rho shrinks with n on these
    # games; the same criterion must reject it (otherwise claim 2 would not discriminate).
    med = _medians(ok_runs, "omd_auto")
    med = med[med["beta"] <= CONTRAST_MAX_BETA]
    if med.empty:
        raise MissingData(f"counts/runs.csv has no omd_auto runs at beta <= {CONTRAST_MAX_BETA:g}")
    parts, ratios = _per_beta(med, len(ns))
    out.append(Claim(
        f"contrast: omd (eta: auto, best step from rho) is not flat in n: the same criterion fails for it at "
        f"beta <= {CONTRAST_MAX_BETA:g} ({n_text})",
        "docs/mathematics.md section 4 (omd best step: KL factor rho^2/(beta^2+rho^2) per call; rho falls with n here)",
        f"max/min of the median count across n > {FLAT} at each beta",
        "median counts for " + n_text + ": " + "; ".join(parts),
        all_gt(list(ratios.values()), FLAT)[0]))
    return out
