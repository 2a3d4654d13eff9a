"""Nash-MP's rate at n = 10^3 .. 10^6 actions on an implicit low-rank game (arXiv:2505.19731): the
bound (1+2beta)^(-N/2) KL_0 at every logged N, and one slope of log KL vs N for every n.

The conventions are experiments/nash_mp_rates/'s (KL_0 = the logged value at N = 0, the bound in
oracle calls N with 2 calls per iteration, slopes in units of -log(1+2beta) per call, 16 ulps for
rounding), on a game where the matrix P is never stored."""
from __future__ import annotations

import math

from reproduction import Claim, Figure, MissingData, Sweep, all_le, fit_slope, fmt, param, require_count

TITLE = "Nash-MP at n = 10^3 .. 10^6 actions (implicit low-rank game): KL vs oracle calls, one slope for every n"
# Fit window of the slopes, KL(pi*||pi_N) in [lo, hi]. hi = 1e-8 as in nash_mp_rates: at least two
# decades below KL_0 at every n (KL_0 ~ 2e-6 .. 3e-2 here), past the first iterations. lo = 1e-20: the
# floor (the run's last KL) is KL(certified pi* || the solver's limit), at most certificate / (2 beta)
# (docs/mathematics.md section 2), 1e-29 .. 4e-25 in the full run, so the window ends >= 2e4 above it
# and the floor moves no fitted log KL by more than ~5e-5. FLOOR_MARGIN is the margin a claim requires
# (a floor at most lo / 1e3).
WINDOW = (1e-20, 1e-8)
FLOOR_MARGIN = 1e3
MIN_POINTS = 20    # logged points in the window, per run (10^3 is ~75 at beta = 0.1, ~640 at 0.01)
SWEEPS = [
    Sweep("sweep.yaml", out="rates", quick=["seeds={from: 0, to: 1}", "sweep={game.n: [1000, 10000]}"]),
]
FIGURES = [Figure("plots/action_space_huge.py", out="action_space_huge", inputs=["rates"],
                  args=["--window", f"{WINDOW[0]:g}", f"{WINDOW[1]:g}"])]
# Runs the sweep produces (n x beta x seeds): 4 x 2 x 3 in full, 2 x 2 x 2 with --quick.
RUNS = {False: 24, True: 8}
N_VALUES = {False: 4, True: 2}

SOURCE = "arXiv:2505.19731 v1, Nash-MP's last-iterate theorem (KL rate (1+2beta)^(-N/2))"
CERTIFIED = 1e-12   # gap_beta(pi*) of a certified equilibrium (docs/mathematics.md section 3)
ULPS = 16 * 2.220446049250313e-16  # the bound compared in floating point: at N = 0 both sides are KL_0
N_AGREE = 0.02      # the median slopes of the different n within 2% of each other (the claim)
LIMIT_TOL = 0.01    # the largest n's slope within 1% of the linearized rate at the n -> infinity spectrum


def _limit_slope(beta: float, lam: float) -> float:
    """The slope of log KL per oracle call, in units of -log(1+2beta), of the error mode +-i lam of A D*
    under Nash-MP at eta = 2 beta: docs/mathematics.md section 4, f = (1-a) + i a(1-a)s - a^2 s^2 per
    iteration with a = 2beta/(1+2beta), s = lam/beta; KL is quadratic in the error (|f|^2 per
    iteration, two calls), so the slope per call is log|f|."""
    a, s = 2 * beta / (1 + 2 * beta), lam / beta
    f = complex(1 - a - a * a * s * s, a * (1 - a) * s)
    return math.log(abs(f)) / -math.log1p(2 * beta)


def _slope(run):
    """The slope of log KL vs N on the window, in units of -log(1+2beta); MissingData if the run has
    too few points there."""
    lo, hi = WINDOW
    w = run[(run["kl_to_star"] >= lo) & (run["kl_to_star"] <= hi)]
    if len(w) < MIN_POINTS:
        raise MissingData(f"run {run['run_id'].iloc[0]} (n {run['n'].iloc[0]}, beta {run['beta'].iloc[0]:g}): only "
                          f"{len(w)} logged points with KL in [{lo:g}, {hi:g}], expected >= {MIN_POINTS}")
    s = fit_slope(w["oracle_calls"], [math.log(v) for v in w["kl_to_star"]],
                  f"run {run['run_id'].iloc[0]}: the slope of log KL")
    return s / -math.log1p(2 * run["beta"].iloc[0]), len(w)


def claims(results, quick):
    runs = results.runs("rates", ["run_id", "game.n", "beta", "seed", "status", "iterations", "target_gap_beta", "rho"])
    t = results.trace("rates", ["run_id", "game", "beta", "n", "seed", "iter", "oracle_calls", "kl_to_star"])
    t = t.sort_values(["run_id", "oracle_calls"])
    require_count(runs, RUNS[quick], "runs in rates/runs.csv")
    require_count(t.groupby("run_id"), RUNS[quick], "runs in rates/trace.csv")
    ns = sorted(t["n"].unique())
    betas = sorted(t["beta"].unique())
    scope = (f"{len(runs)} runs: n in {{{', '.join(f'{n:.0e}' for n in ns)}}}, beta in "
             f"{{{', '.join(f'{b:g}' for b in betas)}}}, {runs['seed'].nunique()} seeds")
    out = []

    # 1. Preconditions: every run's pi* certified (its certificate is runs.csv's target_gap_beta for
    # nash_mp; empty if not certified) and KL logged at every iteration of its budget.
    cert = runs["target_gap_beta"]
    ok_cert, bad_cert = all_le(cert, CERTIFIED)
    rows = t.groupby("run_id").size()
    expected_rows = runs.set_index("run_id")["iterations"] + 1
    short = int((rows.reindex(expected_rows.index) != expected_rows).sum())
    no_kl = int(t["kl_to_star"].isna().sum())
    rho_big = runs.loc[runs["game.n"] == runs["game.n"].max(), "rho"]
    out.append(Claim(
        f"precondition: every run's pi*_beta is certified and KL(pi*||pi_N) is logged at every iteration ({scope})",
        "docs/mathematics.md section 3 (certificate gap_beta(pi*) <= 1e-12; Newton-Krylov for implicit games)",
        f"certificate <= {CERTIFIED:g} on every run; 0 runs with a missing row; 0 empty KL cells",
        f"{bad_cert} runs uncertified or above (largest certificate {fmt(cert.max())}); {short} runs with a missing "
        f"row; {no_kl} empty KL cells; rho at n = {runs['game.n'].max():.0e}: {fmt(rho_big.min(), 4)} .. "
        f"{fmt(rho_big.max(), 4)}",
        ok_cert and short == 0 and no_kl == 0))

    # 2. The bound at every logged N of every run (KL_0 taken explicitly at N = 0; a NaN is a violation).
    at0 = t[t["oracle_calls"] == 0].drop_duplicates("run_id").set_index("run_id")["kl_to_star"]
    kl0 = t["run_id"].map(at0)
    no_kl0 = t["run_id"].nunique() - int(at0.notna().sum())
    ratio = t["kl_to_star"] / ((1 + 2 * t["beta"]) ** (-t["oracle_calls"] / 2) * kl0)
    _, violations = all_le(ratio, 1 + ULPS)
    later = ratio[t["oracle_calls"] > 0]
    per_n = "; ".join(f"n {n:.0e}: {fmt(later[t.loc[later.index, 'n'] == n].max())}" for n in ns)
    out.append(Claim(
        f"KL(pi*||pi_N) <= (1+2beta)^(-N/2) KL_0 at every logged N of every run ({scope}; {len(t)} logged points)",
        SOURCE, f"ratio KL_N / bound <= 1 (+ {ULPS:.1e} relative for rounding)",
        f"{violations} violations (NaN included); {no_kl0} runs without a KL at N = 0; largest ratio for N > 0: "
        + per_n, violations == 0 and no_kl0 == 0 and len(later.dropna()) > 0))

    # 3. The fit window lies above the rounding floor: each run ends at least FLOOR_MARGIN below the
    # window (so its budget reached the floor, and the floor cannot bend the fit) with enough points in it.
    last = t.groupby("run_id")["kl_to_star"].last()
    lo = WINDOW[0]
    ok_floor, above = all_le(last, lo / FLOOR_MARGIN)
    slopes, why = [], []
    for rid, run in t.groupby("run_id"):
        try:
            s, k = _slope(run)
        except MissingData as e:
            s, k = math.nan, 0
            why.append(str(e))
        slopes.append({"run_id": rid, "n": run["n"].iloc[0], "beta": run["beta"].iloc[0], "slope": s, "points": k,
                       "game": run["game"].iloc[0]})
    import pandas as pd
    s = pd.DataFrame(slopes)
    out.append(Claim(
        f"precondition of the slopes: the fit window KL in [{WINDOW[0]:g}, {WINDOW[1]:g}] lies above every run's "
        f"rounding floor (its last KL) and holds >= {MIN_POINTS} logged points ({scope})",
        "choice of the fit window (README: the floor is the certified pi*'s accuracy)",
        f"last KL <= {lo / FLOOR_MARGIN:g} on every run; >= {MIN_POINTS} points in the window",
        f"{above} runs end above {lo / FLOOR_MARGIN:g}; floors {fmt(last.min())} .. {fmt(last.max())}; points in the "
        f"window: " + "; ".join(f"beta {b:g}: {g['points'].min()} .. {g['points'].max()}" for b, g in s.groupby("beta"))
        + (f"; {why[0]}" if why else ""),
        ok_floor and not why))

    # 4. The claim: one slope for every n (per beta, the median over seeds of each n).
    med = s.groupby(["beta", "n"])["slope"].median().reset_index()
    parts, ok = [], not why  # the median would skip a run without a slope
    if why:
        parts.append(f"{len(why)} runs without a slope")
    for b, g in med.groupby("beta"):
        spread = g["slope"].max() / g["slope"].min() - 1
        ok = ok and bool(spread <= N_AGREE) and len(g) == N_VALUES[quick]
        seeds = s[s["beta"] == b].groupby("n")["slope"]
        parts.append(f"beta {b:g}: " + " / ".join(f"{v:.4f}" for v in g["slope"]) + f" (spread {100 * spread:.2f}%; "
                     f"seeds within an n: {100 * (seeds.max() / seeds.min() - 1).max():.2f}% at most)")
    out.append(Claim(
        f"the slopes of log KL vs N for n = {' / '.join(f'{n:.0e}' for n in ns)} agree (least squares on KL in "
        f"[{WINDOW[0]:g}, {WINDOW[1]:g}], median over seeds, in units of -log(1+2beta) per oracle call)",
        SOURCE + " (rate independent of the number of actions)",
        f"max/min - 1 <= {N_AGREE:.0%} at each beta", "; ".join(parts), ok and len(med) > 0))

    # 5. Why they agree: at large n the spectrum of A D* tends to +-i w_k/4 (pi* -> mu, independent of
    # the angles; the cos and sin columns have variance 1/2 and vanishing covariances), so the largest
    # n's slope is the linearized rate of that mode. A 1% criterion: n = 10^3 misses it at beta = 0.01.
    big = s[s["n"] == max(ns)]
    parts, ok = [], not big.empty and not big["slope"].isna().any()
    for b, g in big.groupby("beta"):
        strengths = {param(x, "strength") for x in g["game"]}
        ks = {param(x, "k") for x in g["game"]}
        if len(strengths) != 1 or len(ks) != 1 or any(math.isnan(v) for v in strengths | ks):
            raise MissingData(f"rates/trace.csv: the largest n's games do not share one k and strength ({ks}, "
                              f"{strengths})")
        lam = strengths.pop() / ks.pop() / 4
        want = _limit_slope(b, lam)
        got = g["slope"].median()
        ok = ok and bool(abs(got / want - 1) <= LIMIT_TOL)
        parts.append(f"beta {b:g}: {got:.4f} against {want:.4f} ({100 * (got / want - 1):+.2f}%)")
    out.append(Claim(
        f"the slope at the largest n ({max(ns):.0e}, median over seeds) is the linearized rate of the n -> infinity "
        f"spectrum of A D*, +-i w/4 (w = strength/K)",
        "own analysis (README; docs/mathematics.md section 4: mode factor f of nash_mp)",
        f"within {LIMIT_TOL:.0%}", "; ".join(parts), ok and len(parts) == len(betas)))
    return out
