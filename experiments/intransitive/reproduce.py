"""intransitive: MWU/SPPO's last iterate cycles on intransitive games; its average, OMWU and every
regularized solver converge; the regularization bias: gap_0(pi*_beta) is linear in beta and
KL(pi_NE || pi*_beta) quadratic, pi_NE the certified beta = 0 equilibrium (kl_projection)."""
from __future__ import annotations

import re

import numpy as np

from reproduction import (Claim, Figure, MissingData, Sweep, all_ge, all_gt, all_le, fit_slope, fmt, nans,
                          require_count, require_values)

TITLE = ("intransitive games: MWU's last iterate cycles, regularized solvers converge, bias gap_0(pi*_beta) ~ beta, "
         "KL(pi_NE || pi*_beta) ~ beta^2")

SEEDS_QUICK = "zip=[{game: [{type: rps3}, {type: cyclic, n: 5}, {type: disc, n: 10}, " \
              "{type: bt_mixture, n: 10, components: 5, scale: 10}], seeds: [[0], [0], {from: 0, to: 2}, [0, 1, 4]]}]"
SWEEPS = [
    Sweep("unregularized.yaml", out="unregularized",
          quick=[SEEDS_QUICK]),
    Sweep("regularized.yaml", out="regularized", quick=[SEEDS_QUICK, "beta=0.1", "stop.iterations=10000"]),
    Sweep("bias.yaml", out="bias", quick=[SEEDS_QUICK]),
    Sweep("hodge.yaml", out="hodge", quick=["seeds={from: 0, to: 3}", "sweep={game.kappa: [0, 0.5, 1]}"]),
]
MIXED_RHO = 1e-3   # rho (spectral radius of A D(pi*)) above this: a mixed NE; ~0 (< 1e-9): pure (Condorcet winner)
PURE_RHO = 1e-9
FIT_MAX_BETA = 1e-3  # the bias slope is fitted over the smallest decade of beta (the limit beta -> 0)
KNEE_MAX_BETA = 1e-2  # the KL's local slopes are compared up to this beta (full vs partial support)
# Families whose NE has full support by construction (rps3: (4/11, 3/11, 4/11); cyclic: uniform). The
# mixed NEs of disc and bt_mixture leave actions unplayed (support 3 or 5 of 10, README): their
# pi*_beta puts mass ~exp(-c/beta) off the support, which enters KL(pi_NE || pi*_beta) additively.
FULL_SUPPORT = ("rps3", "cyclic")
AVG_FIT_FROM = 1000  # the average iterate's slopes are fitted over iterations [1e3, T]
# The figures get the same thresholds as the claims.
FIGURES = [
    Figure("plots/intransitive_dynamics.py", out="intransitive_dynamics",
           inputs=["unregularized", "regularized", "bias"], args=["--mixed-rho", repr(MIXED_RHO)]),
    Figure("plots/intransitive_bias.py", out="intransitive_bias", inputs=["bias"],
           args=["--mixed-rho", repr(MIXED_RHO), "--fit-max", repr(FIT_MAX_BETA)]),
    Figure("plots/intransitive_hodge.py", out="intransitive_hodge", inputs=["hodge"],
           args=["--mixed-rho", repr(MIXED_RHO)]),
]
# Games (game, seed) per sweep: rps3, cyclic, 8 disc, 8 bt_mixture in full; 1 + 1 + 3 + 3 with --quick.
GAMES = {False: 18, True: 8}
BIAS_BETAS = 9                         # betas of the bias sweep
HODGE_GAMES = {False: 8 * 11, True: 4 * 3}  # seeds x kappa values of the hodge sweep
REGULARIZED = ["nash_mp", "egpo", "omd(eta=auto)", "mmd(eta=auto)", "prox"]
SOURCE_MWU = "docs/mathematics.md §5, §6 (mwu: last iterate drifts away, average converges); SPPO arXiv 2405.00675"
SOURCE_REG = "docs/mathematics.md §5 and §6 (regularized methods converge to pi*_beta, on intransitive games too)"


def family(game: str) -> str:
    """The generator of a runs.csv `game` cell ("{type: rps3}" -> "rps3")."""
    m = re.search(r"type:\s*(\w+)", str(game))
    return m.group(1) if m else str(game)


def ne_rho(results, quick):
    """rho (spectral radius of A D(pi*_beta)) of each (game, seed) at the bias sweep's smallest beta:
    the classification of the NE as mixed (rho > MIXED_RHO) or pure (rho < PURE_RHO). The beta = 0
    runs have no rho (no pi*_beta), so every part of the experiment classifies its games here."""
    bias = results.runs("bias", ["game", "seed", "beta", "rho"])
    small = bias[bias["beta"] == bias["beta"].min()]
    require_count(small, GAMES[quick], "runs at the smallest beta in bias/runs.csv")
    require_values(small["rho"], "rho at the smallest beta in bias/runs.csv")  # a NaN rho would drop a game
    return small.set_index(["game", "seed"])["rho"].rename("rho0")


def local_slopes(g, x, y):
    """Slopes of log y vs log x between consecutive points of one curve (sorted by x); NaN where a
    value is missing or not positive, so that a claim on them fails rather than skips."""
    g = g.sort_values(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        ly = np.log(g[y].to_numpy(dtype=float))
        ly[~np.isfinite(ly)] = np.nan
        return np.diff(ly) / np.diff(np.log(g[x].to_numpy(dtype=float)))


def claims(results, quick):
    out = []
    rho0 = ne_rho(results, quick)
    runs_u = results.runs("unregularized", ["run_id", "game", "seed", "solver", "iterations", "gap_0", "kl_to_star",
                                            "kl_to_ne", "average_gap_0", "average_kl_to_ne"])
    trace_u = results.trace("unregularized", ["run_id", "solver", "iter", "beta", "gap_0", "kl_to_star", "kl_to_ne",
                                              "average_gap_0", "average_kl_to_ne"])
    require_count(runs_u, 2 * GAMES[quick], "runs in unregularized/runs.csv (mwu and omwu per game)")
    runs_u = runs_u.join(rho0, on=["game", "seed"])
    require_values(runs_u["rho0"], "rho of the unregularized games in bias/runs.csv")  # a game the bias sweep lacks
    T = runs_u["iterations"].max()

    # The target: at beta = 0, pi* is the selected Nash equilibrium, certified or the column is empty.
    beta0 = trace_u["beta"].to_numpy(dtype=float)
    ok_cert, bad_cert = all_ge(trace_u["kl_to_star"], 0)  # an empty cell (NaN: not certified) fails
    diff = float(np.nanmax(np.abs(trace_u["kl_to_star"] - trace_u["kl_to_ne"]))) if len(trace_u) else np.nan
    out.append(Claim(
        f"the beta = 0 runs measure against a certified Nash equilibrium on every game ({GAMES[quick]} games): "
        "kl_to_star = KL(pi_NE || pi) is filled on every trace row and equals kl_to_ne",
        "lib/include/nlhf/nash_set.h (value LP, maximal-support LP, kl_projection selection; a point with "
        "gap_0 > 1e-9 is not certified and leaves the column empty)",
        "beta = 0 on every row; no empty kl_to_star; |kl_to_star - kl_to_ne| = 0",
        f"{bad_cert} of {len(trace_u)} rows empty; max |kl_to_star - kl_to_ne| = {diff:.3g}; betas "
        f"{', '.join(f'{b:g}' for b in np.unique(beta0))}",
        ok_cert and diff == 0 and bool((beta0 == 0).all())))

    mwu = runs_u[runs_u["solver"] == "mwu"].copy()
    require_count(mwu, GAMES[quick], "mwu runs in unregularized/runs.csv")
    mixed = mwu[mwu["rho0"] > MIXED_RHO]
    pure = mwu[mwu["rho0"] < PURE_RHO]
    if mixed.empty:
        raise MissingData("no game with a mixed NE in the unregularized sweep")
    tr = trace_u[trace_u["run_id"].isin(mixed["run_id"])]
    ratios_min, ratios_init = [], []
    for rid, g in tr.groupby("run_id"):
        g = g.sort_values("iter")
        kl = g["kl_to_star"].to_numpy()
        ratios_min.append(kl[-1] / kl.min())  # numpy's min is NaN if any KL is: the claim then fails
        ratios_init.append(kl[-1] / kl[0])
    n_mixed = len(mixed)
    ok_ratio, bad_ratio = all_gt(ratios_min, 1)
    ok_kl, bad_kl = all_ge(mixed["kl_to_star"], 0.01)
    ok_gap, bad_gap = all_ge(mixed["gap_0"], 0.01)
    out.append(Claim(
        f"MWU's last iterate does not converge on the {n_mixed} game{'s' if n_mixed != 1 else ''} with a mixed NE (rps3, cyclic, disc, "
        f"bt_mixture; rho > {MIXED_RHO:g}): after {fmt(float(T))} iterations it is moving away from the NE "
        "(KL(pi_NE||pi_T) above its minimum along the run) and is far from it (KL_T and gap_0 >= 0.01)",
        SOURCE_MWU, "KL_T / min_t KL_t > 1, KL_T >= 0.01 and gap_0(pi_T) >= 0.01 on every such game",
        f"KL_T / min KL: {min(ratios_min):.2f} .. {max(ratios_min):.3g}; KL_T / KL_0: {min(ratios_init):.2f} .. "
        f"{max(ratios_init):.3g}; KL_T: {mixed['kl_to_star'].min():.3g} .. {mixed['kl_to_star'].max():.3g}; "
        f"gap_0(pi_T): {mixed['gap_0'].min():.3g} .. {mixed['gap_0'].max():.3g}; failing "
        f"(NaN included): {bad_ratio} ratios, {bad_kl} KL_T, {bad_gap} gap_0; {len(ratios_min)} traces",
        ok_ratio and ok_kl and ok_gap and len(ratios_min) == n_mixed))
    if len(pure):
        out.append(Claim(
            f"on the {len(pure)} game{'s' if len(pure) != 1 else ''} with a Condorcet winner (pure NE, rho < {PURE_RHO:g}) MWU's last iterate converges",
            "a Condorcet winner is the unique NE; MWU's weights concentrate on it", "gap_0(pi_T) <= 1e-6",
            f"max gap_0(pi_T) = {pure['gap_0'].max():.3g}{nans(pure['gap_0'])}", all_le(pure["gap_0"], 1e-6)[0]))

    # The average iterate, from the trace's average_* columns: gap_0 falls like 1/T (no-regret with a
    # constant step), and KL(pi_NE || average) with it.
    tm = trace_u[trace_u["run_id"].isin(mwu["run_id"]) & (trace_u["iter"] >= AVG_FIT_FROM)]
    require_values(tm[["average_gap_0", "average_kl_to_ne"]], "average_gap_0 / average_kl_to_ne of mwu "
                   f"(unregularized/trace.csv, iter >= {AVG_FIT_FROM})")  # a median would skip a NaN
    per_iter = tm.groupby("iter")["average_gap_0"]
    if (per_iter.size() != GAMES[quick]).any():
        raise MissingData(f"unregularized/trace.csv: mwu's logged iterations differ between games "
                          f"({per_iter.size().min()} .. {per_iter.size().max()} games per iteration)")
    med = per_iter.median()
    s = fit_slope(np.log(med.index.to_numpy(dtype=float)), np.log(med.to_numpy()), "the slope of mwu's median average gap_0")
    game_slopes, kl_slopes, why = [], [], []
    for rid, g in tm.groupby("run_id"):
        try:
            game_slopes.append(fit_slope(np.log(g["iter"]), np.log(g["average_gap_0"]), f"run {rid}"))
            kl_slopes.append(fit_slope(np.log(g["iter"]), np.log(g["average_kl_to_ne"]), f"run {rid}"))
        except MissingData as e:
            why.append(str(e))
    init = trace_u[trace_u["iter"] == 0].drop_duplicates("run_id").set_index("run_id")["gap_0"]
    fin = mwu.set_index("run_id")["average_gap_0"]
    factors = init.reindex(fin.index) / fin  # NaN where a run has no gap_0 at iteration 0
    need = T / 1000
    ok_factor, bad_factor = all_ge(factors, need)
    out.append(Claim(
        f"MWU's average iterate converges on every game: gap_0 of the average falls by >= {fmt(need)}x from gap_0(pi_0) by "
        f"T = {fmt(float(T))}, and its median over the games falls like 1/T (slope over T in [{fmt(float(AVG_FIT_FROM))}, "
        f"{fmt(float(T))}], from the trace's average_gap_0)",
        SOURCE_MWU + "; no-regret averaging, O(1/(eta T))", f"factor >= T/1000 = {fmt(need)} on every game; slope -1 ± 0.2",
        f"smallest factor {factors.min():.3g} ({bad_factor} of {len(factors)} below or NaN); median's slope {s:+.2f} "
        f"(median {med.iloc[0]:.2g} -> {med.iloc[-1]:.2g}); per game "
        + (f"{min(game_slopes):+.2f} .. {max(game_slopes):+.2f}" if game_slopes else "no slope"),
        ok_factor and abs(s + 1) <= 0.2))
    ok_kls, bad_kls = all_le(kl_slopes, -0.9)
    out.append(Claim(
        f"MWU's average iterate converges to the certified NE in KL on every game: KL(pi_NE || average_T) falls at "
        f"least like 1/T (per-game slope over T in [{fmt(float(AVG_FIT_FROM))}, {fmt(float(T))}])",
        SOURCE_MWU + "; the average's mass off the NE's support decays like 1/T",
        "log-log slope <= -0.9 on every game",
        (f"slopes {max(kl_slopes):+.2f} .. {min(kl_slopes):+.2f} ({bad_kls} of {len(kl_slopes)} above); "
         if kl_slopes else "no slope; ")
        + f"KL(pi_NE || average_T) <= {mwu['average_kl_to_ne'].max():.2g}" + (f"; no fit: {why[0]}" if why else ""),
        ok_kls and len(kl_slopes) == GAMES[quick]))

    om = runs_u[runs_u["solver"] == "omwu"]
    require_count(om, GAMES[quick], "omwu runs in unregularized/runs.csv")
    ok_om, _ = all_le(om["gap_0"], 1e-3)
    ok_omk, bad_omk = all_le(om["kl_to_star"], 1e-4)
    worst = om["kl_to_star"].idxmax() if om["kl_to_star"].notna().any() else None
    out.append(Claim(f"OMWU's last iterate converges to the certified NE on every game ({len(om)} games; slowest where "
                     "rho is small)",
                     "docs/mathematics.md §5, §6 (omwu: last iterate converges; tested on rps3 for eta up to 2)",
                     f"KL(pi_NE || pi_T) <= 1e-4 and gap_0(pi_T) <= 1e-3 after {fmt(float(T))} iterations",
                     f"max KL_T = {om['kl_to_star'].max():.3g} "
                     f"(rho {om.loc[worst, 'rho0'] if worst is not None else float('nan'):.3g}), median "
                     f"{om['kl_to_star'].median():.2g}; max gap_0(pi_T) = {om['gap_0'].max():.3g}; {bad_omk} above or NaN"
                     f"{nans(om['gap_0'])}", ok_om and ok_omk))
    # Last iterate against average: MWU's average is the better point, OMWU's last iterate is.
    mm = mixed.set_index(["game", "seed"])
    oo = om[om["rho0"] > MIXED_RHO].set_index(["game", "seed"])
    r_mwu = (mm["kl_to_star"] / mm["average_kl_to_ne"]).to_numpy()
    r_om = (oo["kl_to_star"] / oo["average_kl_to_ne"]).reindex(mm.index).to_numpy()  # NaN for a missing game
    ok_rm, bad_rm = all_ge(r_mwu, 5)
    ok_ro, bad_ro = all_le(r_om, 0.1)
    out.append(Claim(f"on every game with a mixed NE ({n_mixed}), MWU's average ends closer to the NE than its last "
                     "iterate, and OMWU's last iterate closer than its average (KL(pi_NE || .) at T)",
                     SOURCE_MWU + "; optimism gives last-iterate convergence",
                     "KL(last) / KL(average) >= 5 for mwu and <= 0.1 for omwu",
                     f"mwu: {np.nanmin(r_mwu):.3g} .. {np.nanmax(r_mwu):.3g}; omwu: {np.nanmin(r_om):.2g} .. "
                     f"{np.nanmax(r_om):.2g}; failing (NaN included): {bad_rm} mwu, {bad_ro} omwu",
                     ok_rm and ok_ro))

    # Regularized solvers: last-iterate convergence to pi*_beta.
    reg = results.runs("regularized", ["game", "seed", "solver", "label", "gap_beta", "iterations"])
    trace_r = results.trace("regularized", ["run_id", "label", "iter", "gap_beta", "beta"])
    beta = float(trace_r["beta"].iloc[0])
    for label in REGULARIZED:
        g = reg[reg["label"] == label]
        require_count(g, GAMES[quick], f"runs of {label} in regularized/runs.csv")
        out.append(Claim(f"{label} (beta = {beta:g}) converges in last iterate on every game ({len(g)} games)",
                         SOURCE_REG, f"gap_beta <= 1e-8 after {fmt(float(g['iterations'].max()))} iterations",
                         f"max final gap_beta = {g['gap_beta'].max():.3g}{nans(g['gap_beta'])}",
                         all_le(g["gap_beta"], 1e-8)[0]))
    # Every regularized solver's distance to the NE levels off at the bias: nash_mp's final kl_to_ne is
    # KL(pi_NE || pi*_beta), the bias sweep's value at the same beta (two sweeps, one number).
    reg_ne = results.runs("regularized", ["game", "seed", "label", "kl_to_ne"])
    b_ne = results.runs("bias", ["game", "seed", "beta", "kl_to_ne"])
    b_ne = b_ne[np.isclose(b_ne["beta"], beta, rtol=1e-9)].set_index(["game", "seed"])["kl_to_ne"]
    rn = reg_ne[reg_ne["label"] == "nash_mp"].set_index(["game", "seed"])["kl_to_ne"]
    rel = ((rn - b_ne.reindex(rn.index)).abs() / b_ne.reindex(rn.index)).to_numpy()  # NaN: missing in bias
    mixed_keys = rho0[rho0 > MIXED_RHO].index
    rel_mixed = ((rn - b_ne.reindex(rn.index)).abs() / b_ne.reindex(rn.index)).reindex(mixed_keys).to_numpy()
    ok_rel, bad_rel = all_le(rel_mixed, 1e-6)
    out.append(Claim(f"nash_mp's last iterate at beta = {beta:g} stops at the regularization bias: its final "
                     f"KL(pi_NE || pi_T) equals KL(pi_NE || pi*_beta) of the bias sweep on every game with a mixed NE "
                     f"({len(rel_mixed)} games)",
                     "pi_T -> pi*_beta (the claims above); the same certified pi_NE in both sweeps",
                     "relative difference <= 1e-6",
                     f"max relative difference {np.nanmax(rel_mixed) if len(rel_mixed) else float('nan'):.2g} "
                     f"({bad_rel} above or NaN); KL(pi_NE || pi*_beta) {b_ne.reindex(mixed_keys).min():.3g} .. "
                     f"{b_ne.reindex(mixed_keys).max():.3g}; {int(np.isnan(rel).sum())} of {len(rel)} games without a value",
                     ok_rel and len(rn) == GAMES[quick]))
    nm = trace_r[trace_r["label"] == "nash_md"]
    nmr = reg[reg["label"] == "nash_md"]
    require_count(nmr, GAMES[quick], "runs of nash_md in regularized/runs.csv")
    slopes, why = [], []  # a run without a fit (a NaN gap, fewer than 3 tail points) fails the claim
    for rid, g in nm.groupby("run_id"):
        tail = g[g["iter"] >= g["iter"].max() / 10]
        tail = tail[~(tail["gap_beta"] == 0)]  # exact zeros (converged to round-off) are not drawn; NaN stays
        try:
            if len(tail) < 3:
                raise MissingData(f"run {rid}: {len(tail)} tail points")
            slopes.append(fit_slope(np.log(tail["iter"]), np.log(tail["gap_beta"]), f"run {rid}"))
        except MissingData as e:
            why.append(str(e))
    ok_nm, _ = all_le(slopes, -1.8)
    out.append(Claim("nash_md (decaying step) converges in last iterate: over the last decade of iterations its "
                     "gap_beta falls at least like 1/t^2 on every game",
                     "docs/mathematics.md §5.1, §6 (decaying Nash-MD: KL = O(1/t^2) after a transient)",
                     "log-log slope <= -1.8 on every game",
                     (f"slopes {max(slopes):+.2f} .. {min(slopes):+.2f} " if slopes else "no slope ")
                     + f"({len(slopes)} of {len(nmr)} games)" + (f"; no fit: {why[0]}" if why else "")
                     + f"; final gap_beta <= {nmr['gap_beta'].max():.2g}",
                     ok_nm and len(slopes) == len(nmr)))

    # The regularization bias: gap_0(pi*_beta), and KL(pi_NE || pi*_beta) to the certified beta = 0 NE.
    bias = results.runs("bias", ["game", "seed", "beta", "status", "gap_0", "kl_from_star", "kl_to_ne"])
    require_count(bias, GAMES[quick] * BIAS_BETAS, "runs in bias/runs.csv")
    bad = bias[bias["status"] != "tolerance"]  # a missing status is not "tolerance": counted
    ok_kl, bad_kl = all_le(bias["kl_from_star"], 1e-24)
    ok_ne, bad_ne = all_ge(bias["kl_to_ne"], 0)  # empty (NaN) where the beta = 0 NE was not certified
    acc = float(np.sqrt(2 * bias["kl_from_star"].max()))
    out.append(Claim("every bias run reaches KL(pi || pi*_beta) <= 1e-24, so its gap_0 is gap_0(pi*_beta) within "
                     "sqrt(2 KL) (Pinsker; gap_0 is 1-Lipschitz in l1), and has kl_to_ne = KL(pi_NE || pi), pi_NE the "
                     "certified beta = 0 equilibrium", "method of this experiment",
                     "all runs at the tolerance; kl_to_ne filled on every run",
                     f"{len(bad)} of {len(bias)} not; {bad_kl} with KL above 1e-24 or NaN; accuracy <= {acc:.2g}; "
                     f"{bad_ne} without kl_to_ne", bad.empty and ok_kl and ok_ne))
    bias = bias.join(rho0, on=["game", "seed"])
    fit = bias[(bias["rho0"] > MIXED_RHO) & (bias["beta"] <= FIT_MAX_BETA * (1 + 1e-9))]
    n_mixed_bias = int((rho0 > MIXED_RHO).sum())
    n_fit_betas = int((np.unique(bias["beta"]) <= FIT_MAX_BETA * (1 + 1e-9)).sum())
    slopes, kl_fit, why = {}, {}, []
    for key, g in fit.groupby(["game", "seed"]):
        try:
            require_count(g, n_fit_betas, f"bias runs of {key[0]} seed {key[1]} at beta <= {FIT_MAX_BETA:g}")
            slopes[key] = fit_slope(np.log(g["beta"]), np.log(g["gap_0"]), f"the bias slope of {key[0]} seed {key[1]}")
            kl_fit[key] = fit_slope(np.log(g["beta"]), np.log(g["kl_to_ne"]), f"the KL slope of {key[0]} seed {key[1]}")
        except MissingData as e:
            slopes.setdefault(key, np.nan)
            kl_fit[key] = np.nan
            why.append(str(e))
    if not slopes:
        raise MissingData("no game with a mixed NE in the bias sweep")
    v = np.array(list(slopes.values()))
    ok_v, bad_v = all_le(np.abs(v - 1), 0.1)
    b0 = fit["beta"].min()
    at0 = fit[fit["beta"] == b0]
    out.append(Claim(f"the regularization bias gap_0(pi*_beta) is linear in beta as beta -> 0 on every game with a mixed "
                     f"NE ({len(v)} games; fit over beta in [{b0:g}, {FIT_MAX_BETA:g}])",
                     "pi*_beta - pi* = O(beta) (smooth in beta at an isolated NE)", "log-log slope 1 ± 0.1 on every game",
                     f"slopes {np.nanmin(v):.3f} .. {np.nanmax(v):.3f} (median {np.nanmedian(v):.3f}); gap_0(pi*_beta)/beta at beta = "
                     f"{b0:g}: {(at0['gap_0'] / b0).min():.2f} .. {(at0['gap_0'] / b0).max():.2f}; "
                     f"{bad_v} outside or without a fit; {n_mixed_bias} games with a mixed NE"
                     + (f"; no fit: {why[0]}" if why else ""),
                     ok_v and len(v) == n_mixed_bias))

    # KL(pi_NE || pi*_beta) = (1/2) chi^2 on the support (~ beta^2) + the mass pi*_beta puts off the support
    # (~ exp(-c/beta), c the smallest margin 1/2 - (P pi_NE)_y off it) + O(beta^3): beta^2 as beta -> 0 on
    # every mixed game; on a partial support the exponential term dominates down to beta ~ c / 15.
    mixed_b = bias[bias["rho0"] > MIXED_RHO]
    betas = np.sort(np.unique(bias["beta"]))
    first, knee = {}, {}
    for key, g in mixed_b.groupby(["game", "seed"]):
        g = g.sort_values("beta")
        ls = local_slopes(g, "beta", "kl_to_ne")
        if len(g) != len(betas):  # a missing beta: no slope (the claim fails, the text says why)
            ls = np.full(len(betas) - 1, np.nan)
        first[key] = ls[0]
        knee[key] = ls[: int((betas <= KNEE_MAX_BETA * (1 + 1e-9)).sum()) - 1]
    f = np.array(list(first.values()))
    ok_f, bad_f = all_le(np.abs(f - 2), 0.1)
    kv = np.array(list(kl_fit.values()))
    c0 = at0["kl_to_ne"] / b0 ** 2
    out.append(Claim(f"the bias in KL, KL(pi_NE || pi*_beta), is quadratic in beta as beta -> 0 on every game with a mixed "
                     f"NE ({len(f)} games, full and partial support; local slope between the two smallest betas, "
                     f"{betas[0]:g} and {betas[1]:g})",
                     "KL(pi_NE || pi*_beta) = (1/2) chi^2 on the support + off-support mass ~exp(-c/beta): "
                     "pi*_beta - pi_NE = O(beta) on the support",
                     "log-log slope 2 ± 0.1 on every game",
                     f"slopes {np.nanmin(f):.3f} .. {np.nanmax(f):.3f}; KL/beta^2 at beta = {b0:g}: {c0.min():.3g} .. "
                     f"{c0.max():.3g}; slopes fitted over [{b0:g}, {FIT_MAX_BETA:g}]: {np.nanmin(kv):.3f} .. "
                     f"{np.nanmax(kv):.3f}; {bad_f} outside or NaN",
                     ok_f and len(f) == n_mixed_bias))
    full = [k for k in knee if family(k[0]) in FULL_SUPPORT]
    part = [k for k in knee if family(k[0]) not in FULL_SUPPORT]
    full_slopes = np.concatenate([knee[k] for k in full]) if full else np.array([])
    ok_full, bad_full = all_le(np.abs(full_slopes - 2), 0.1)
    steepest = np.array([np.max(knee[k]) if len(knee[k]) and not np.isnan(knee[k]).any() else np.nan for k in part])
    n_steep = int((steepest > 2.5).sum())
    out.append(Claim(f"KL(pi_NE || pi*_beta) is beta^2 up to beta = {KNEE_MAX_BETA:g} where the NE has full support "
                     f"({', '.join(FULL_SUPPORT)}: {len(full)} games), but steeper before it reaches beta^2 where the "
                     f"NE leaves actions unplayed ({len(part)} mixed disc / bt_mixture games): the mass pi*_beta puts "
                     "off the support, ~exp(-c/beta), adds to the KL",
                     "KL(pi_NE || pi*_beta) = (1/2) chi^2 on the support + off-support mass + O(beta^3)",
                     f"full support: every local slope over beta <= {KNEE_MAX_BETA:g} in 2 ± 0.1; partial support: "
                     "some local slope > 2.5 on at least half of the games",
                     f"full support: {np.nanmin(full_slopes) if full_slopes.size else float('nan'):.3f} .. "
                     f"{np.nanmax(full_slopes) if full_slopes.size else float('nan'):.3f} ({bad_full} outside or NaN); "
                     f"partial support: steepest local slope {np.nanmin(steepest) if steepest.size else float('nan'):.2f} "
                     f".. {np.nanmax(steepest) if steepest.size else float('nan'):.2f}, above 2.5 on {n_steep} of {len(part)}"
                     f"{nans(steepest) if steepest.size else ''}",
                     ok_full and len(full) >= 1 and len(part) >= 1 and 2 * n_steep >= len(part)
                     and not np.isnan(steepest).any()))
    pb = bias[(bias["rho0"] < PURE_RHO) & (bias["beta"] <= 1e-3 * (1 + 1e-9))]
    if len(pb):
        ok_pg, _ = all_le(pb["gap_0"], 1e-9)
        ok_pk, _ = all_le(pb["kl_to_ne"], 1e-9)
        out.append(Claim(f"on games with a pure NE the bias is exponentially small: gap_0(pi*_beta) and KL(pi_NE || "
                         f"pi*_beta) at beta <= 1e-3 ({pb.groupby(['game', 'seed']).ngroups} game"
                         f"{'s' if pb.groupby(['game', 'seed']).ngroups != 1 else ''})",
                         "pi*_beta puts mass ~exp(-margin/beta) off the Condorcet winner", "<= 1e-9 (mixed games there: gap_0 >= 1e-5, KL >= 1e-8)",
                         f"max gap_0 {pb['gap_0'].max():.3g}{nans(pb['gap_0'])}, max KL {pb['kl_to_ne'].max():.3g}"
                         f"{nans(pb['kl_to_ne'])}", ok_pg and ok_pk))

    # The Hodge knob.
    h = results.runs("hodge", ["game.kappa", "seed", "solver", "rho", "gap_0", "gap_beta", "average_gap_0"])
    hm = h[h["solver"] == "mwu"]
    require_count(hm, HODGE_GAMES[quick], "mwu runs in hodge/runs.csv")
    for col in ("gap_0", "rho"):  # medians and the mixed filter would skip a NaN
        require_values(hm[col], f"{col} of the mwu runs in hodge/runs.csv")
    k0, k1 = hm["game.kappa"].min(), hm["game.kappa"].max()
    med = hm.groupby("game.kappa")["gap_0"].median()
    amax = hm["average_gap_0"].max()
    ok_avg, _ = all_le(hm["average_gap_0"], 0.01)
    out.append(Claim(f"hodge sweep: MWU's last-iterate gap_0 (median of {hm['seed'].nunique()} games) rises from "
                     f"kappa = {k0:g} (transitive) to kappa = {k1:g} (cyclic) while its average stays small at every kappa",
                     SOURCE_MWU, f"median <= 1e-6 at kappa = {k0:g}, >= 0.05 at kappa = {k1:g}; average gap_0 <= 0.01",
                     f"median {med.loc[k0]:.3g} at kappa = {k0:g}, {med.loc[k1]:.3g} at kappa = {k1:g}; max average "
                     f"gap_0 {amax:.3g}{nans(hm['average_gap_0'])}", med.loc[k0] <= 1e-6 and med.loc[k1] >= 0.05 and ok_avg))
    hmix = hm[hm["rho"] > MIXED_RHO]
    ratios = hmix["gap_0"] / hmix["average_gap_0"]
    ok_ratio, bad_ratio = all_ge(ratios, 5)
    out.append(Claim(f"hodge sweep: on every game with a mixed NE ({len(hmix)} of {len(hm)}), MWU's last iterate is "
                     "further from equilibrium than its average", SOURCE_MWU,
                     "gap_0(last) / gap_0(average) >= 5",
                     f"smallest ratio {ratios.min():.3g}; {bad_ratio} below or NaN", ok_ratio))
    hn = h[h["solver"] == "nash_mp"]
    require_count(hn, HODGE_GAMES[quick], "nash_mp runs in hodge/runs.csv")
    out.append(Claim(f"hodge sweep: nash_mp (beta = 1e-4, default step) converges on all {len(hn)} games",
                     SOURCE_REG, "gap_beta <= 1e-8", f"max {hn['gap_beta'].max():.3g}{nans(hn['gap_beta'])}",
                     all_le(hn["gap_beta"], 1e-8)[0]))
    return out
