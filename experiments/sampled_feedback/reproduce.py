"""Sampled preference feedback (issue 11): omd, egpo and nash_mp with a sampled oracle of batch B at the
same constant step as the exact runs; gap_beta vs queries and vs iterations, and the error floor vs B.
Approximate Nash-MP (nash_mp_pg) at T in {1, 10, 100} inner steps against sampled and exact nash_mp.

A run's B is read from its default label (`... sampled(batch=B,sampler=iterate)`; no batch = the
exact oracle), its game family from the `game` column (the part before '('). The floor of a run is
the mean of its logged gap_beta over iterations >= FLOOR_FROM; the claims take the median over
seeds, as plots/sampled_feedback_floor.py does.
"""
from __future__ import annotations

import math

from reproduction import (Claim, Figure, MissingData, Sweep, all_le, fit_slope, fmt, fmt_range, oracle_batch, param,
                          require_count, require_values)

TITLE = ("Sampled feedback: gap_beta vs preference queries at B in {1, 16, 256} and for nash_mp_pg at "
         "T in {1, 10, 100}; the error floor scales as 1/B")

FLOOR_FROM = 6000  # first iteration of the floor window (the exact runs are at ~1e-6 there, falling)
GAMES = ["hodge", "random_uniform", "rps3"]
SOLVERS = {False: ["omd", "egpo", "nash_mp"], True: ["omd", "egpo"]}
BATCHES = {False: [1, 4, 16, 64, 256], True: [1, 4, 16, 64]}
SEEDS = {False: 20, True: 5}
# Quick: 5 seeds, B <= 64 (B = 256 makes 3/4 of the queries), 12 000 iterations (B = 64 reaches its
# floor, ~2e-4, by ~4000) and no nash_mp (sampled nash_mp makes the same iterates as sampled egpo at the
# equivalent step, and 2/5 of the queries): the same games and step, the same claims.

# nash_mp_pg.yaml: one solver entry per (method, oracle), 10 000 / T iterations (the same queries for
# every T at a given B). Quick: 3 seeds and 6000 / T iterations (T = 100 reaches its floor by ~20).
PG_METHODS = [("nash_mp_pg", 1), ("nash_mp_pg", 10), ("nash_mp_pg", 100), ("nash_mp", None)]
PG_BATCHES = [16, 256]
PG_BUDGET = {False: 10000, True: 6000}   # iterations x T
PG_SEEDS = {False: 20, True: 3}
PG_TARGET = 3e-3   # gap_beta the query-cost claim measures (above every floor at the largest B)


def _pg_zip(budget: int) -> str:
    entries, iters = [], []
    for name, t in PG_METHODS:
        for oracle in ["{type: exact}"] + [f"{{type: sampled, batch: {b}}}" for b in PG_BATCHES]:
            steps = f", inner_steps: {t}" if t else ""
            entries.append(f"{{name: {name}{steps}, oracle: {oracle}}}")
            iters.append(str(budget // (t or 1)))
    return f'zip=[{{"solvers[0]": [{", ".join(entries)}], "stop.iterations": [{", ".join(iters)}]}}]'


SWEEPS = [
    Sweep("sweep.yaml", out="batch",
          quick=["seeds={from: 0, to: 4}", "stop.iterations=12000",
                 'zip=[{"solvers[0].oracle.type": [exact, sampled, sampled, sampled, sampled], '
                 '"solvers[0].oracle.batch": [1, 1, 4, 16, 64]}, '
                 '{"solvers[0].name": [omd, egpo], "solvers[0].eta": [0.01, 0.01]}]']),
    Sweep("nash_mp_pg.yaml", out="pg", quick=["seeds={from: 0, to: 2}", _pg_zip(PG_BUDGET[True])]),
]
FIGURES = [
    Figure("plots/sampled_feedback.py", out="sampled_feedback", inputs=["batch"]),
    Figure("plots/sampled_feedback_floor.py", out="sampled_feedback_floor", inputs=["batch"],
           args=["--floor-from", str(FLOOR_FROM)]),
    Figure("plots/sampled_feedback_pg.py", out="sampled_feedback_pg", inputs=["pg"]),
]

SLOPE, SLOPE_TOL = -1.0, 0.15   # floor ~ B^-1; a gap linear in the error would give -0.5
TRANSIENT_FRACTION = 0.01       # the exact run's window mean below 1% of the smallest sampled floor
SAME_STEP_RATIO = (0.8, 1.25)   # egpo's floor / omd's at the same eta', geometric mean over B, per game
# Largest B: the median gap over seeds / the exact run's, geometric mean over the logged iterations
# <= 1000 (gap_beta falls from ~0.1 to ~0.02 there), within 5% of 1. Pointwise, the median of 5 seeds
# at B = 64 (quick) scatters by up to ~25% near iteration 1000: the noise is not what is tested.
TRACK_UNTIL, TRACK_TOL = 1000, 0.05

SA = ("stochastic approximation with a constant step: stationary error variance ~ step x variance of the "
      "estimate; the estimate's variance ~ 1/B (docs/mathematics.md section 5.7); gap_beta quadratic in the error")


def _trace(results, quick):
    t = results.trace("batch", ["run_id", "game", "solver", "label", "seed", "iter", "gap_beta"])
    if t.empty:
        raise MissingData("batch/trace.csv has no rows")
    t = t.copy()
    t["family"] = t["game"].str.split("(").str[0]
    t["B"] = t["label"].map(oracle_batch)
    runs = len(GAMES) * len(SOLVERS[quick]) * (len(BATCHES[quick]) + 1) * SEEDS[quick]
    require_count(t.groupby("run_id"), runs, "runs in batch/trace.csv")
    require_values(t["gap_beta"], "gap_beta in batch/trace.csv")
    return t


def _floors(t):
    """Median over seeds of each run's mean gap_beta over iterations >= FLOOR_FROM, per (family, solver, B)."""
    w = t[t["iter"] >= FLOOR_FROM]
    per_run = w.groupby(["family", "solver", "B", "run_id"])["gap_beta"].agg(["mean", "size"])
    if per_run.empty or per_run["size"].min() < 3:
        raise MissingData(f"fewer than 3 logged iterations >= {FLOOR_FROM} in some run: the budget is too short")
    return per_run["mean"].groupby(level=["family", "solver", "B"]).median()


def claims(results, quick):
    return _batch_claims(results, quick) + _pg_claims(results, quick)


def _batch_claims(results, quick):
    out = []
    try:
        t = _trace(results, quick)
        f = _floors(t)
    except MissingData as e:
        return [Claim("sampled_feedback claims", SA, "data", str(e), False)]
    solvers = SOLVERS[quick]
    scope = f"{len(GAMES)} game families x {len(solvers)} solvers, {SEEDS[quick]} seeds, B in {BATCHES[quick]}"

    # 1. The floor's slope vs B, per game and solver.
    slopes, bad = {}, []
    for g in GAMES:
        for s in solvers:
            try:
                pts = f.loc[(g, s)]
                pts = pts[pts.index > 0]
                require_count(pts, len(BATCHES[quick]), f"batches of {s} on {g}")
                slopes[(g, s)] = fit_slope([math.log(b) for b in pts.index], [math.log(v) for v in pts.values],
                                           f"floor vs B of {s} on {g}")
            except (KeyError, MissingData) as e:
                slopes[(g, s)] = math.nan
                bad.append(str(e))
    vals = list(slopes.values())
    ok, n_bad = all_le([abs(v - SLOPE) for v in vals], SLOPE_TOL)
    per_game = "; ".join(f"{g}: " + " / ".join(f"{slopes[(g, s)]:.3f}" for s in solvers) for g in GAMES)
    out.append(Claim(
        f"the error floor of gap_beta (median over seeds of the mean over iterations >= {FLOOR_FROM}) falls as "
        f"B^-1: least-squares slope of log floor vs log B ({scope}; step eta' = 0.01, beta = 0.1)",
        SA, f"slope {SLOPE:g} +- {SLOPE_TOL:g} for every game and solver (a gap linear in the error: -0.5)",
        f"slopes {' / '.join(solvers)}: {per_game} (from {min(vals):.3f} to {max(vals):.3f}); {n_bad} outside"
        + (f"; {bad[0]}" if bad else ""),
        ok and not bad))

    # 2. The window is past the transient: the exact run at the same step is far below every floor there.
    try:
        ratios = []
        for g in GAMES:
            for s in solvers:
                pts = f.loc[(g, s)]
                if 0 not in pts.index or len(pts[pts.index > 0]) == 0:
                    raise MissingData(f"{s} on {g}: no exact run or no sampled run")
                ratios.append(pts.loc[0] / pts[pts.index > 0].min())
        ok, n_bad = all_le(ratios, TRANSIENT_FRACTION)
        out.append(Claim(
            f"the floor window (iterations >= {FLOOR_FROM}) is past the transient: there the exact run at the "
            f"same step is below {TRANSIENT_FRACTION:.0%} of the lowest sampled floor, for every game and solver",
            "the exact run converges linearly (docs/mathematics.md section 2): what the window measures is noise",
            f"exact / lowest sampled floor <= {TRANSIENT_FRACTION:g}",
            f"{fmt_range(min(ratios), max(ratios))} over {len(ratios)} (game, solver); {n_bad} above",
            ok))
    except (KeyError, MissingData) as e:
        out.append(Claim("the floor window is past the transient", SA, f"<= {TRANSIENT_FRACTION:g}", str(e), False))

    # 3. At the same OMD-convention step, extragradient's floor is omd's (its second estimate enters the
    # iterate like omd's; the first estimate's noise is O(eta'^2)), although it pays 2B queries per
    # iteration. Per game, the geometric mean over B of egpo's floor / omd's (each ratio scatters by
    # ~15% in full, ~30% in quick: medians of 20 or 5 seeds).
    try:
        r, parts = [], []
        for g in GAMES:
            logs = [math.log(f.loc[(g, "egpo", b)] / f.loc[(g, "omd", b)]) for b in BATCHES[quick]]
            r.append(math.exp(sum(logs) / len(logs)))
            parts.append(f"{g} {r[-1]:.3f} (per B {fmt_range(math.exp(min(logs)), math.exp(max(logs)))})")
        lo, hi = SAME_STEP_RATIO
        ok = all_le(r, hi)[0] and all_le([-v for v in r], -lo)[0]
        out.append(Claim(
            "at the same step eta' and batch B, egpo's floor is omd's: the floor is set by the step and B, "
            "not by the extragradient, which pays 2B queries per iteration for it (geometric mean over B of "
            "egpo's floor / omd's, per game)",
            "first-order expansion in eta' of egpo's update (docs/mathematics.md section 2): its estimate at "
            "pi_1/2 enters like omd's at pi_k, the first estimate's noise at O(eta'^2)",
            f"in [{lo:g}, {hi:g}] for every game",
            "; ".join(parts), ok))
    except KeyError as e:
        out.append(Claim("egpo's floor is omd's at the same step", SA, "ratio near 1", f"missing {e}", False))

    # 4. Before the floor, the sampled iteration follows the exact one (the estimate is unbiased).
    try:
        bmax = max(BATCHES[quick])
        med = t[t["iter"] <= TRACK_UNTIL].groupby(["family", "solver", "B", "iter"])["gap_beta"].median()
        devs, worst = [], 0.0
        for g in GAMES:
            for s in solvers:
                ratio = med.loc[(g, s, bmax)] / med.loc[(g, s, 0)]
                require_count(ratio.dropna(), len(med.loc[(g, s, 0)]), f"logged iterations of B = {bmax}, {s}, {g}")
                devs.append(abs(math.exp(sum(math.log(v) for v in ratio) / len(ratio)) - 1))
                worst = max(worst, float((ratio - 1).abs().max()))
        ok, n_bad = all_le(devs, TRACK_TOL)
        out.append(Claim(
            f"until the floor the sampled run follows the exact one at the same step: median gap_beta over seeds "
            f"at B = {bmax} / the exact run's, geometric mean over the logged iterations <= {TRACK_UNTIL}, "
            f"within {TRACK_TOL:.0%} of 1 for every game and solver",
            "the sampled estimate is unbiased (docs/mathematics.md section 5.7): the mean iteration is the exact one",
            f"|mean ratio - 1| <= {TRACK_TOL:g}",
            f"largest {100 * max(devs):.1f}% over {len(devs)} (game, solver); {n_bad} above (pointwise, the "
            f"median ratio deviates by up to {100 * worst:.0f}%)",
            ok))
    except (KeyError, MissingData) as e:
        out.append(Claim("the sampled run follows the exact one before the floor", SA, f"<= {TRACK_TOL:g}", str(e),
                         False))
    return out


PG_SOURCE = ("approximate Nash-MP, arXiv:2505.19731 v1 (each half-step by stochastic policy gradient); "
             "docs/mathematics.md sections 5.7-5.8")


def _pg_claims(results, quick):
    import numpy as np
    try:
        t = results.trace("pg", ["run_id", "solver", "label", "params", "seed", "iter", "queries", "gap_beta"]).copy()
        if t.empty:
            raise MissingData("pg/trace.csv has no rows")
        require_values(t["gap_beta"], "gap_beta in pg/trace.csv")
        t["B"] = t["label"].map(oracle_batch)
        t["T"] = [int(param(p, "inner_steps")) if s == "nash_mp_pg" else 0 for p, s in zip(t["params"], t["solver"])]
        require_count(t.groupby("run_id"), len(PG_METHODS) * (len(PG_BATCHES) + 1) * PG_SEEDS[quick],
                      "runs in pg/trace.csv")
        # A run's floor: the mean over its last half-decade of iterations; median over seeds.
        last = t.groupby("run_id")["iter"].transform("max")
        w = t[t["iter"] >= last / math.sqrt(10)]
        per_run = w.groupby(["solver", "T", "B", "run_id"])["gap_beta"].agg(["mean", "size"])
        if per_run["size"].min() < 3:
            raise MissingData("fewer than 3 logged iterations in some run's last half-decade")
        f = per_run["mean"].groupby(level=["solver", "T", "B"]).median()
        ts = [m[1] for m in PG_METHODS if m[1]]
        lo_b, hi_b = PG_BATCHES[0], PG_BATCHES[-1]
        pg = {(tt, b): f.loc[("nash_mp_pg", tt, b)] for tt in ts for b in PG_BATCHES}
        mp = {b: f.loc[("nash_mp", 0, b)] for b in PG_BATCHES}
    except (KeyError, MissingData) as e:
        return [Claim("nash_mp_pg claims", PG_SOURCE, "data", f"{type(e).__name__}: {e}", False)]
    out = []
    scope = f"random_uniform n = 10, beta = 0.1, eta = 2 beta, {PG_SEEDS[quick]} seeds"

    # 1. The floor falls as B^-1 at every T. Per seed (each seed is one game at both B, so the game's
    # own floor scale cancels), the slope of log floor between the two B; the median over seeds.
    per_seed = per_run["mean"].reset_index().merge(t[["run_id", "seed"]].drop_duplicates(), on="run_id")
    slopes = []
    for tt in ts:
        d = per_seed[(per_seed["solver"] == "nash_mp_pg") & (per_seed["T"] == tt)].pivot(
            index="seed", columns="B", values="mean")
        if lo_b not in d.columns or hi_b not in d.columns or d[[lo_b, hi_b]].isna().any().any():
            slopes.append(math.nan)
            continue
        slopes.append(float(np.median(np.log(d[hi_b] / d[lo_b]) / math.log(hi_b / lo_b))))
    ok, n_bad = all_le([abs(v - SLOPE) for v in slopes], SLOPE_TOL)
    out.append(Claim(
        f"nash_mp_pg's error floor (the mean gap_beta over a run's last half-decade of iterations) falls as "
        f"B^-1 at every T: slope of log floor between B = {lo_b} and {hi_b} per seed (game), median over seeds "
        f"({scope})",
        PG_SOURCE + "; " + SA, f"slope {SLOPE:g} +- {SLOPE_TOL:g} at T = {', '.join(map(str, ts))}",
        "median slopes " + ", ".join(f"T = {tt}: {v:.3f}" for tt, v in zip(ts, slopes))
        + "; median floors " + ", ".join(f"T = {tt}: {fmt(pg[(tt, lo_b)])} / {fmt(pg[(tt, hi_b)])}" for tt in ts)
        + f" at B = {lo_b} / {hi_b}", ok))

    # 2. A more accurate inner solve barely lowers the floor: the inner iteration has a constant step,
    # so its noise does not average out with T, while each iteration costs 2TB queries.
    ratios = [pg[(ts[0], b)] / pg[(ts[-1], b)] for b in PG_BATCHES]
    ok = all_le(ratios, 3.0)[0] and all_le([-r for r in ratios], -1 / 3.0)[0]
    out.append(Claim(
        f"{ts[-1] // ts[0]}x more inner steps (T = {ts[0]} -> {ts[-1]}) lower nash_mp_pg's floor by less than 3x "
        f"at the same B, for {ts[-1] // ts[0]}x the queries per iteration ({scope})",
        PG_SOURCE + " (the inner policy-gradient steps have a constant step: stochastic approximation)",
        f"floor(T = {ts[0]}) / floor(T = {ts[-1]}) in [1/3, 3] at B = {', '.join(map(str, PG_BATCHES))}",
        ", ".join(f"B = {b}: {r:.2f}" for b, r in zip(PG_BATCHES, ratios)), ok))

    # 3. Per query, fewer inner steps win: queries for the median run to reach PG_TARGET at the largest B.
    med = t[t["B"] == hi_b].groupby(["solver", "T", "queries"])["gap_beta"].median()
    need = {}
    for tt in ts:
        s = med.loc[("nash_mp_pg", tt)]
        hit = s[s <= PG_TARGET]
        need[tt] = float(hit.index.min()) if len(hit) else math.nan
    ex = t[t["B"] == 0].groupby(["solver", "T", "iter"])["gap_beta"].median()
    exact_its = {}
    for tt in ts:
        s = ex.loc[("nash_mp_pg", tt)]
        hit = s[s <= PG_TARGET]
        exact_its[tt] = float(hit.index.min()) if len(hit) else math.nan
    vals = [need[tt] for tt in ts]
    ratio = need[ts[-1]] / need[ts[0]]
    ok = bool(np.isfinite(vals).all() and ratio >= 3)
    out.append(Claim(
        f"per query, fewer inner steps win: the median nash_mp_pg run (B = {hi_b}) at T = {ts[-1]} needs more than 3x "
        f"the queries of T = {ts[0]} to reach gap_beta <= {PG_TARGET:g} ({scope})",
        PG_SOURCE + " (the exact method's progress per iteration saturates in T, at nash_mp's, while an "
        "iteration costs 2TB queries)",
        f"queries(T = {ts[-1]}) / queries(T = {ts[0]}) >= 3",
        ", ".join(f"T = {tt}: {fmt(need[tt])}" for tt in ts) + (f" queries: {ratio:.1f}x" if np.isfinite(vals).all()
                                                                  else "")
        + f"; the exact runs need {', '.join(f'{fmt(exact_its[tt])}' for tt in ts)} iterations (median), "
          f"i.e. {ts[-1] * exact_its[ts[-1]] / (ts[0] * exact_its[ts[0]]):.1f}x the inner steps",
        ok))

    # 4. REINFORCE's estimate is weighted by pi (bounded); sampled nash_mp's closed-form step uses the
    # importance-weighted estimate, whose variance grows as 1/pi(y) (section 5.7).
    r = [mp[b] / pg[(ts[0], b)] for b in PG_BATCHES]
    ok, _ = all_le([-v for v in r], -3.0)
    out.append(Claim(
        f"from the same queries per iteration (2B), nash_mp_pg at T = {ts[0]} has a lower floor than sampled nash_mp "
        f"(the closed-form half-step from importance-weighted estimates) at the same eta, by at least 3x ({scope})",
        "docs/mathematics.md sections 5.7 (variance of the importance-weighted estimate ~ 1/(q(y) B)) and 5.8 "
        "(REINFORCE with baseline 1/2 = pi * (g_hat - pi.g_hat): bounded)",
        f"floor(nash_mp) / floor(nash_mp_pg, T = {ts[0]}) >= 3 at every B",
        ", ".join(f"B = {b}: {fmt(mp[b])} / {fmt(pg[(ts[0], b)])} = {v:.1f}x" for b, v in zip(PG_BATCHES, r)), ok))
    return out
