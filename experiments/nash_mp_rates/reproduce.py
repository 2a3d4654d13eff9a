"""Nash-MP's last-iterate rate (arXiv:2505.19731): the bound (1+2beta)^(-N/2) KL_0, the asymptotic
rate (1+2beta)^(-N), and their independence of the number of actions n."""
from __future__ import annotations

import math

from reproduction import Claim, Figure, MissingData, Sweep, all_le, fit_slope, fmt, require_count

TITLE = "Nash-MP's rate theorem: KL, exploitability and span vs oracle calls, beta x n"
SWEEPS = [
    Sweep("sweep.yaml", out="rates",
          quick=["seeds={from: 0, to: 2}", "sweep={game.n: [10, 100, 300]}",
                 "zip=[{beta: [0.1, 1], stop.iterations: [220, 40]}]"]),
]
FIGURES = [Figure("plots/nash_mp_rates.py", out="nash_mp_rates", inputs=["rates"])]
# Runs the sweep produces (seeds x n x beta): 5 x 3 x 3 in full, 3 x 3 x 2 with --quick.
RUNS = {False: 45, True: 18}
N_VALUES = 3  # values of n per beta, in both

SOURCE = "arXiv:2505.19731 v1, Nash-MP's last-iterate theorem (KL rate (1+2beta)^(-N/2))"
# The bound is compared in floating point: KL_N against (1+2beta)^(-N/2) KL_0 may exceed it by a few
# ulps where they are equal (N = 0). 16 ulps relative.
ULPS = 16 * 2.220446049250313e-16
# Tail window of the slope fit: above the rounding floor (KL ~ 1e-31..1e-28 here) and below the
# transient.
WINDOW = (1e-25, 1e-8)
SLOPE_TOL = 0.05   # fitted slope within 5% of -log(1+2beta) per oracle call
N_AGREE = 0.02     # the median slopes of the different n within 2% of each other


def _tail_slope(run, metric):
    """The tail slope of log metric vs N; MissingData if the window has too few points or the run
    holds a NaN of the metric (the window filter would drop it silently)."""
    lo, hi = WINDOW
    if run[metric].isna().any():
        raise MissingData(f"run {run['run_id'].iloc[0]}: {int(run[metric].isna().sum())} NaN values of {metric}")
    w = run[(run[metric] >= lo) & (run[metric] <= hi)]
    if len(w) < 5:
        raise MissingData(f"run {run['run_id'].iloc[0]}: only {len(w)} logged points with {metric} in "
                          f"[{lo:g}, {hi:g}]: the budget is too short for the fit")
    return fit_slope(w["oracle_calls"], [math.log(v) for v in w[metric]],
                     f"run {run['run_id'].iloc[0]}: the tail slope of {metric}")


def claims(results, quick):
    cols = ["run_id", "beta", "n", "seed", "oracle_calls", "kl_to_star", "exploitability"]
    t = results.trace("rates", cols).sort_values(["run_id", "oracle_calls"])
    if t.empty:
        raise MissingData("rates/trace.csv has no rows")
    require_count(t.groupby("run_id"), RUNS[quick], "runs in rates/trace.csv")
    scope = (f"{t['run_id'].nunique()} runs: beta in {{{', '.join(f'{b:g}' for b in sorted(t['beta'].unique()))}}}, "
             f"n in {{{', '.join(str(n) for n in sorted(t['n'].unique()))}}}")
    out = []

    # 1. The bound at every logged N of every run. KL_0 is the row at N = 0, taken explicitly (a
    # groupby "first" would skip a NaN there); a run without it, or a NaN KL anywhere, is a violation.
    at0 = t[t["oracle_calls"] == 0].drop_duplicates("run_id").set_index("run_id")["kl_to_star"]
    kl0 = t["run_id"].map(at0)
    no_kl0 = t["run_id"].nunique() - int(at0.notna().sum())
    bound = (1 + 2 * t["beta"]) ** (-t["oracle_calls"] / 2) * kl0
    ratio = t["kl_to_star"] / bound
    later = t["oracle_calls"] > 0
    shown = ratio[later].dropna()
    worst = shown.idxmax() if len(shown) else None
    _, violations = all_le(ratio, 1 + ULPS)  # NaN ratios (NaN KL_N or KL_0) count as violations
    out.append(Claim(
        f"KL(pi*||pi_N) <= (1+2beta)^(-N/2) KL_0 at every logged N of every run ({scope}; "
        f"{len(t)} logged points, KL_0 = the logged value at N = 0)",
        SOURCE, f"ratio KL_N / bound <= 1 (+ {ULPS:.1e} relative for rounding)",
        f"{violations} violations (NaN included); {no_kl0} runs without a KL at N = 0; largest ratio for N > 0: "
        f"{fmt(ratio[worst])} (beta {t.loc[worst, 'beta']:g}, n {t.loc[worst, 'n']}, N {t.loc[worst, 'oracle_calls']})"
        if worst is not None else f"{violations} violations; no logged N > 0",
        violations == 0 and no_kl0 == 0 and worst is not None))

    # 2. Tail slopes of log KL (and of log exploitability) vs N against -log(1+2beta). A run without a
    # slope (NaN or too few points) has slope NaN: it fails the claims below, with the first reason.
    slopes, why = [], {"kl": [], "expl": []}
    for rid, run in t.groupby("run_id"):
        beta = run["beta"].iloc[0]
        rate = math.log1p(2 * beta)
        row = {"beta": beta, "n": run["n"].iloc[0]}
        for col, metric in (("kl", "kl_to_star"), ("expl", "exploitability")):
            try:
                row[col] = _tail_slope(run, metric) / -rate
            except MissingData as e:
                row[col] = math.nan
                why[col].append(str(e))
        slopes.append(row)
    import pandas as pd
    s = pd.DataFrame(slopes)
    for col, name in [("kl", "KL(pi*||pi_N)"), ("expl", "exploitability")]:
        dev = (s[col] - 1).abs()
        missing = f"; {len(why[col])} runs without a slope: {why[col][0]}" if why[col] else ""
        per_beta = "; ".join(
            f"beta {b:g}: {100 * (g[col].min() - 1):+.1f}% .. {100 * (g[col].max() - 1):+.1f}%"
            for b, g in s.groupby("beta"))
        out.append(Claim(
            f"tail slope of log {name} vs N (least squares on {name} in [{WINDOW[0]:g}, {WINDOW[1]:g}]) is "
            f"-log(1+2beta) per oracle call within {SLOPE_TOL:.0%}, on every run ({scope})",
            SOURCE + " (asymptote (1+2beta)^(-N), docs/mathematics.md sections 6 and 9)" if col == "kl"
            else "arXiv:2505.19731 v1 (linear convergence of the exploitability gap); rate: quadratic in the "
                 "log error like KL, so the same asymptote",
            f"|slope / -log(1+2beta) - 1| <= {SLOPE_TOL:g}",
            f"slope / -log(1+2beta) - 1 per run: {per_beta} (worst {100 * dev.max():.1f}%; {len(s)} runs){missing}",
            all_le(dev, SLOPE_TOL)[0] and len(s) == RUNS[quick]))

    # 3. The slope does not depend on n: per beta, the median over seeds for each n.
    med = s.groupby(["beta", "n"])["kl"].median().reset_index()
    parts, ok = [], not why["kl"]  # the median would skip a run without a slope
    if why["kl"]:
        parts.append(f"{len(why['kl'])} runs without a KL slope")
    for b, g in med.groupby("beta"):
        spread = g["kl"].max() / g["kl"].min() - 1
        ok = ok and bool(spread <= N_AGREE) and len(g) == N_VALUES
        parts.append(f"beta {b:g}: " + " / ".join(f"{v:.4f}" for v in g["kl"]) + f" (spread {100 * spread:.1f}%)")
    out.append(Claim(
        f"the KL tail slopes for n = {' / '.join(str(n) for n in sorted(t['n'].unique()))} agree "
        f"(median over seeds, in units of -log(1+2beta))",
        SOURCE + " (rate independent of the number of actions)",
        f"max/min - 1 <= {N_AGREE:.0%} at each beta",
        "; ".join(parts), ok and len(parts) > 0))
    return out
