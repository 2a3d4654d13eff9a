"""intransitive: MWU/SPPO's last iterate cycles on intransitive games; its average, OMWU and every
regularized solver converge; the regularization bias gap_0(pi*_beta) is linear in beta."""
from __future__ import annotations

import numpy as np

from reproduction import (Claim, Figure, MissingData, Sweep, all_ge, all_gt, all_le, fit_slope, fmt, nans,
                          require_count, require_values)

TITLE = "intransitive games: MWU's last iterate cycles, regularized solvers converge, bias gap_0(pi*_beta) ~ beta"

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
# The figures get the same thresholds as the claims.
FIGURES = [
    Figure("plots/intransitive_dynamics.py", out="intransitive_dynamics", inputs=["unregularized", "regularized"],
           args=["--mixed-rho", repr(MIXED_RHO)]),
    Figure("plots/intransitive_bias.py", out="intransitive_bias", inputs=["bias"],
           args=["--mixed-rho", repr(MIXED_RHO), "--fit-max", repr(FIT_MAX_BETA)]),
    Figure("plots/intransitive_hodge.py", out="intransitive_hodge", inputs=["hodge"],
           args=["--mixed-rho", repr(MIXED_RHO)]),
]
# Games (game, seed) per sweep: rps3, cyclic, 8 disc, 8 bt_mixture in full; 1 + 1 + 3 + 3 with --quick.
GAMES = {False: 18, True: 8}
T_VALUES = 4                           # stop.iterations values of the unregularized sweep
BIAS_BETAS = 9                         # betas of the bias sweep
HODGE_GAMES = {False: 8 * 11, True: 4 * 3}  # seeds x kappa values of the hodge sweep
REGULARIZED = ["nash_mp", "egpo", "omd(eta=auto)", "mmd(eta=auto)", "prox"]
SOURCE_MWU = "docs/mathematics.md §5, §6 (mwu: last iterate drifts away, average converges); SPPO arXiv 2405.00675"
SOURCE_REG = "docs/mathematics.md §5 and §6 (regularized methods converge to pi*_beta, on intransitive games too)"


def game_key(df):
    return df["game"].astype(str) + "#" + df["seed"].astype(str)


def claims(results, quick):
    out = []
    runs_u = results.runs("unregularized", ["run_id", "game", "seed", "solver", "stop.iterations", "rho", "gap_0",
                                            "kl_to_star", "average_gap_0"])
    trace_u = results.trace("unregularized", ["run_id", "game", "seed", "solver", "iter", "gap_0", "kl_to_star"])
    T = runs_u["stop.iterations"].max()
    last = runs_u[runs_u["stop.iterations"] == T]
    mwu = last[last["solver"] == "mwu"].copy()
    require_count(mwu, GAMES[quick], f"mwu runs at T = {fmt(float(T))} in unregularized/runs.csv")
    require_values(mwu["rho"], "rho of the mwu runs (unregularized/runs.csv)")  # a NaN rho would drop a game
    mixed = mwu[mwu["rho"] > MIXED_RHO]
    pure = mwu[mwu["rho"] < PURE_RHO]
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
        "(KL(pi*||pi_T) above its minimum along the run) and is far from it (KL_T and gap_0 >= 0.01)",
        SOURCE_MWU, "KL_T / min_t KL_t > 1, KL_T >= 0.01 and gap_0(pi_T) >= 0.01 on every such game",
        f"KL_T / min KL: {min(ratios_min):.2f} .. {max(ratios_min):.3g}; KL_T / KL_0: {min(ratios_init):.2f} .. "
        f"{max(ratios_init):.3g}; gap_0(pi_T): {mixed['gap_0'].min():.3g} .. {mixed['gap_0'].max():.3g}; failing "
        f"(NaN included): {bad_ratio} ratios, {bad_kl} KL_T, {bad_gap} gap_0; {len(ratios_min)} traces",
        ok_ratio and ok_kl and ok_gap and len(ratios_min) == n_mixed))
    if len(pure):
        out.append(Claim(
            f"on the {len(pure)} game{'s' if len(pure) != 1 else ''} with a Condorcet winner (pure NE, rho < {PURE_RHO:g}) MWU's last iterate converges",
            "a Condorcet winner is the unique NE; MWU's weights concentrate on it", "gap_0(pi_T) <= 1e-6",
            f"max gap_0(pi_T) = {pure['gap_0'].max():.3g}{nans(pure['gap_0'])}", all_le(pure["gap_0"], 1e-6)[0]))

    # The average iterate: gap_0 falls like 1/T (no-regret with a constant step, until its O(eta) floor).
    avg = runs_u[(runs_u["solver"] == "mwu")]
    require_count(avg, GAMES[quick] * T_VALUES, "mwu runs in unregularized/runs.csv")
    require_values(avg["average_gap_0"], "average_gap_0 of mwu (unregularized/runs.csv)")  # median skips NaN
    med = avg.groupby("stop.iterations")["average_gap_0"].median()
    init = trace_u[trace_u["iter"] == 0].drop_duplicates("run_id").set_index("run_id")["gap_0"]
    fin = mwu.set_index("run_id")["average_gap_0"]
    Ts = med.index[med.index >= 1000]
    s = fit_slope(np.log(Ts.astype(float)), np.log(med.loc[Ts].to_numpy()), "the slope of mwu's median average gap_0")
    factors = init.reindex(fin.index) / fin  # NaN where a run has no gap_0 at iteration 0
    need = T / 1000
    ok_factor, bad_factor = all_ge(factors, need)
    factor = factors.min()
    out.append(Claim(
        f"MWU's average iterate converges on every game: gap_0 of the average falls by >= {fmt(need)}x from gap_0(pi_0) by "
        f"T = {fmt(float(T))}, and its median falls like 1/T (slope over T in [{fmt(float(Ts.min()))}, {fmt(float(T))}])",
        SOURCE_MWU + "; no-regret averaging, O(1/(eta T))", f"factor >= T/1000 = {fmt(need)} on every game; slope -1 ± 0.2",
        f"smallest factor {factor:.3g} ({bad_factor} of {len(factors)} below or NaN); slope {s:+.2f} "
        f"(median {med.loc[Ts.min()]:.2g} -> {med.loc[T]:.2g})",
        ok_factor and abs(s + 1) <= 0.2))
    om = last[last["solver"] == "omwu"]
    require_count(om, GAMES[quick], f"omwu runs at T = {fmt(float(T))} in unregularized/runs.csv")
    ok_om, _ = all_le(om["gap_0"], 1e-3)
    worst = om["gap_0"].idxmax() if om["gap_0"].notna().any() else None
    out.append(Claim(f"OMWU's last iterate approaches the NE on every game ({len(om)} games; slowest where rho is small)",
                     "docs/mathematics.md §5, §6 (omwu: last iterate converges; tested on rps3 for eta up to 2)",
                     f"gap_0(pi_T) <= 1e-3 after {fmt(float(T))} iterations",
                     f"max gap_0(pi_T) = {om['gap_0'].max():.3g} "
                     f"(rho {om.loc[worst, 'rho'] if worst is not None else float('nan'):.3g}), "
                     f"median {om['gap_0'].median():.2g}{nans(om['gap_0'])}", ok_om))

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

    # The regularization bias gap_0(pi*_beta).
    bias = results.runs("bias", ["game", "seed", "beta", "status", "rho", "gap_0", "kl_from_star"])
    require_count(bias, GAMES[quick] * BIAS_BETAS, "runs in bias/runs.csv")
    bad = bias[bias["status"] != "tolerance"]  # a missing status is not "tolerance": counted
    ok_kl, bad_kl = all_le(bias["kl_from_star"], 1e-24)
    acc = float(np.sqrt(2 * bias["kl_from_star"].max()))
    out.append(Claim("every bias run reaches KL(pi || pi*_beta) <= 1e-24, so its gap_0 is gap_0(pi*_beta) within "
                     "sqrt(2 KL) (Pinsker; gap_0 is 1-Lipschitz in l1)", "method of this experiment",
                     "all runs at the tolerance", f"{len(bad)} of {len(bias)} not; {bad_kl} with KL above 1e-24 or NaN; "
                     f"accuracy <= {acc:.2g}", bad.empty and ok_kl))
    require_values(bias["rho"], "rho in bias/runs.csv")  # a NaN rho would drop a game from the fit
    small = bias[bias["beta"] == bias["beta"].min()].set_index(["game", "seed"])["rho"]
    bias = bias.join(small.rename("rho0"), on=["game", "seed"])
    fit = bias[(bias["rho0"] > MIXED_RHO) & (bias["beta"] <= FIT_MAX_BETA * (1 + 1e-9))]
    n_mixed_bias = int((small > MIXED_RHO).sum())
    n_fit_betas = int((np.unique(bias["beta"]) <= FIT_MAX_BETA * (1 + 1e-9)).sum())
    slopes, why = {}, []
    for key, g in fit.groupby(["game", "seed"]):
        try:
            require_count(g, n_fit_betas, f"bias runs of {key[0]} seed {key[1]} at beta <= {FIT_MAX_BETA:g}")
            slopes[key] = fit_slope(np.log(g["beta"]), np.log(g["gap_0"]), f"the bias slope of {key[0]} seed {key[1]}")
        except MissingData as e:
            slopes[key] = np.nan
            why.append(str(e))
    if not slopes:
        raise MissingData("no game with a mixed NE in the bias sweep")
    v = np.array(list(slopes.values()))
    ok_v, bad_v = all_le(np.abs(v - 1), 0.1)
    out.append(Claim(f"the regularization bias gap_0(pi*_beta) is linear in beta as beta -> 0 on every game with a mixed "
                     f"NE ({len(v)} games; fit over beta in [{fit['beta'].min():g}, {FIT_MAX_BETA:g}])",
                     "pi*_beta - pi* = O(beta) (smooth in beta at an isolated NE)", "log-log slope 1 ± 0.1 on every game",
                     f"slopes {np.nanmin(v):.3f} .. {np.nanmax(v):.3f} (median {np.nanmedian(v):.3f}); gap_0(pi*_beta)/beta at beta = "
                     f"{fit['beta'].min():g}: {(fit[fit['beta'] == fit['beta'].min()]['gap_0'] / fit['beta'].min()).min():.2f} .. "
                     f"{(fit[fit['beta'] == fit['beta'].min()]['gap_0'] / fit['beta'].min()).max():.2f}; "
                     f"{bad_v} outside or without a fit; {n_mixed_bias} games with a mixed NE"
                     + (f"; no fit: {why[0]}" if why else ""),
                     ok_v and len(v) == n_mixed_bias and n_mixed_bias == n_mixed))
    pb = bias[(bias["rho0"] < PURE_RHO) & (bias["beta"] <= 1e-3 * (1 + 1e-9))]
    if len(pb):
        out.append(Claim(f"on games with a pure NE the bias is exponentially small: gap_0(pi*_beta) at beta <= 1e-3 "
                         f"({pb.groupby(['game', 'seed']).ngroups} games)",
                         "pi*_beta puts mass ~exp(-margin/beta) off the Condorcet winner", "<= 1e-9 (vs ~1e-3 for mixed)",
                         f"max {pb['gap_0'].max():.3g}{nans(pb['gap_0'])}", all_le(pb["gap_0"], 1e-9)[0]))

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
