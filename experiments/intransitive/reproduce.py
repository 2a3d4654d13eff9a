"""intransitive: MWU/SPPO's last iterate cycles on intransitive games; its average, OMWU and every
regularized solver converge; the regularization bias gap_0(pi*_beta) is linear in beta."""
from __future__ import annotations

import numpy as np

from reproduction import Claim, Figure, MissingData, Sweep, fmt

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
FIGURES = [
    Figure("plots/intransitive_dynamics.py", out="intransitive_dynamics", inputs=["unregularized", "regularized"]),
    Figure("plots/intransitive_bias.py", out="intransitive_bias", inputs=["bias"]),
    Figure("plots/intransitive_hodge.py", out="intransitive_hodge", inputs=["hodge"]),
]

MIXED_RHO = 1e-3   # rho (spectral radius of A D(pi*)) above this: a mixed NE; ~0 (< 1e-9): pure (Condorcet winner)
PURE_RHO = 1e-9
FIT_MAX_BETA = 1e-3  # the bias slope is fitted over the smallest decade of beta (the limit beta -> 0)
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
    mixed = mwu[mwu["rho"] > MIXED_RHO]
    pure = mwu[mwu["rho"] < PURE_RHO]
    if mixed.empty:
        raise MissingData("no game with a mixed NE in the unregularized sweep")
    tr = trace_u[trace_u["run_id"].isin(mixed["run_id"])]
    ratios_min, ratios_init = [], []
    for rid, g in tr.groupby("run_id"):
        g = g.sort_values("iter")
        kl = g["kl_to_star"].to_numpy()
        ratios_min.append(kl[-1] / kl.min())
        ratios_init.append(kl[-1] / kl[0])
    n_mixed = len(mixed)
    out.append(Claim(
        f"MWU's last iterate does not converge on the {n_mixed} games with a mixed NE (rps3, cyclic, disc, "
        f"bt_mixture; rho > {MIXED_RHO:g}): after {fmt(float(T))} iterations it is moving away from the NE "
        "(KL(pi*||pi_T) above its minimum along the run) and is far from it (KL_T and gap_0 >= 0.01)",
        SOURCE_MWU, "KL_T / min_t KL_t > 1, KL_T >= 0.01 and gap_0(pi_T) >= 0.01 on every such game",
        f"KL_T / min KL: {min(ratios_min):.2f} .. {max(ratios_min):.3g}; KL_T / KL_0: {min(ratios_init):.2f} .. "
        f"{max(ratios_init):.3g}; gap_0(pi_T): {mixed['gap_0'].min():.3g} .. {mixed['gap_0'].max():.3g}",
        min(ratios_min) > 1 and mixed["kl_to_star"].min() >= 0.01 and mixed["gap_0"].min() >= 0.01))
    if len(pure):
        out.append(Claim(
            f"on the {len(pure)} games with a Condorcet winner (pure NE, rho < {PURE_RHO:g}) MWU's last iterate converges",
            "a Condorcet winner is the unique NE; MWU's weights concentrate on it", "gap_0(pi_T) <= 1e-6",
            f"max gap_0(pi_T) = {pure['gap_0'].max():.3g}", pure["gap_0"].max() <= 1e-6))

    # The average iterate: gap_0 falls like 1/T (no-regret with a constant step, until its O(eta) floor).
    avg = runs_u[(runs_u["solver"] == "mwu")]
    med = avg.groupby("stop.iterations")["average_gap_0"].median()
    init = trace_u[trace_u["iter"] == 0].set_index("run_id")["gap_0"]
    fin = mwu.set_index("run_id")["average_gap_0"]
    if fin.isna().any() or med.isna().any():
        raise MissingData("average_gap_0 of mwu is empty")
    Ts = med.index[med.index >= 1000]
    s = float(np.polyfit(np.log(Ts.astype(float)), np.log(med.loc[Ts].to_numpy()), 1)[0])
    factor = (init.reindex(fin.index) / fin).min()
    need = T / 1000
    out.append(Claim(
        f"MWU's average iterate converges on every game: gap_0 of the average falls by >= {fmt(need)}x from gap_0(pi_0) by "
        f"T = {fmt(float(T))}, and its median falls like 1/T (slope over T in [{fmt(float(Ts.min()))}, {fmt(float(T))}])",
        SOURCE_MWU + "; no-regret averaging, O(1/(eta T))", f"factor >= T/1000 = {fmt(need)} on every game; slope -1 ± 0.2",
        f"smallest factor {factor:.3g}; slope {s:+.2f} (median {med.loc[Ts.min()]:.2g} -> {med.loc[T]:.2g})",
        factor >= need and abs(s + 1) <= 0.2))
    om = last[last["solver"] == "omwu"]
    out.append(Claim(f"OMWU's last iterate approaches the NE on every game ({len(om)} games; slowest where rho is small)",
                     "docs/mathematics.md §5, §6 (omwu: last iterate converges; tested on rps3 for eta up to 2)",
                     f"gap_0(pi_T) <= 1e-3 after {fmt(float(T))} iterations",
                     f"max gap_0(pi_T) = {om['gap_0'].max():.3g} (rho {om.loc[om['gap_0'].idxmax(), 'rho']:.3g}), "
                     f"median {om['gap_0'].median():.2g}", om["gap_0"].max() <= 1e-3))

    # Regularized solvers: last-iterate convergence to pi*_beta.
    reg = results.runs("regularized", ["game", "seed", "solver", "label", "gap_beta", "iterations"])
    trace_r = results.trace("regularized", ["run_id", "label", "iter", "gap_beta", "beta"])
    beta = float(trace_r["beta"].iloc[0])
    for label in REGULARIZED:
        g = reg[reg["label"] == label]
        if g.empty:
            raise MissingData(f"no runs of {label} in the regularized sweep")
        out.append(Claim(f"{label} (beta = {beta:g}) converges in last iterate on every game ({len(g)} games)",
                         SOURCE_REG, f"gap_beta <= 1e-8 after {fmt(float(g['iterations'].max()))} iterations",
                         f"max final gap_beta = {g['gap_beta'].max():.3g}", g["gap_beta"].max() <= 1e-8))
    nm = trace_r[trace_r["label"] == "nash_md"]
    slopes = []
    for rid, g in nm.groupby("run_id"):
        tail = g[(g["iter"] >= g["iter"].max() / 10) & (g["gap_beta"] > 0)]
        if len(tail) >= 3:
            slopes.append(float(np.polyfit(np.log(tail["iter"]), np.log(tail["gap_beta"]), 1)[0]))
    nmr = reg[reg["label"] == "nash_md"]
    out.append(Claim("nash_md (decaying step) converges in last iterate: over the last decade of iterations its "
                     "gap_beta falls at least like 1/t^2 on every game",
                     "docs/mathematics.md §5.1, §6 (decaying Nash-MD: KL = O(1/t^2) after a transient)",
                     "log-log slope <= -1.8 on every game",
                     f"slopes {max(slopes):+.2f} .. {min(slopes):+.2f} ({len(slopes)} games); final gap_beta <= "
                     f"{nmr['gap_beta'].max():.2g}", bool(slopes) and max(slopes) <= -1.8))

    # The regularization bias gap_0(pi*_beta).
    bias = results.runs("bias", ["game", "seed", "beta", "status", "rho", "gap_0", "kl_from_star"])
    bad = bias[bias["status"] != "tolerance"]
    acc = float(np.sqrt(2 * bias["kl_from_star"].max()))
    out.append(Claim("every bias run reaches KL(pi || pi*_beta) <= 1e-24, so its gap_0 is gap_0(pi*_beta) within "
                     "sqrt(2 KL) (Pinsker; gap_0 is 1-Lipschitz in l1)", "method of this experiment",
                     "all runs at the tolerance", f"{len(bad)} of {len(bias)} not; accuracy <= {acc:.2g}", bad.empty))
    small = bias[bias["beta"] == bias["beta"].min()].set_index(["game", "seed"])["rho"]
    bias = bias.join(small.rename("rho0"), on=["game", "seed"])
    fit = bias[(bias["rho0"] > MIXED_RHO) & (bias["beta"] <= FIT_MAX_BETA * (1 + 1e-9))]
    slopes = {}
    for key, g in fit.groupby(["game", "seed"]):
        slopes[key] = float(np.polyfit(np.log(g["beta"]), np.log(g["gap_0"]), 1)[0])
    if not slopes:
        raise MissingData("no game with a mixed NE in the bias sweep")
    v = np.array(list(slopes.values()))
    out.append(Claim(f"the regularization bias gap_0(pi*_beta) is linear in beta as beta -> 0 on every game with a mixed "
                     f"NE ({len(v)} games; fit over beta in [{fit['beta'].min():g}, {FIT_MAX_BETA:g}])",
                     "pi*_beta - pi* = O(beta) (smooth in beta at an isolated NE)", "log-log slope 1 ± 0.1 on every game",
                     f"slopes {v.min():.3f} .. {v.max():.3f} (median {np.median(v):.3f}); gap_0(pi*_beta)/beta at beta = "
                     f"{fit['beta'].min():g}: {(fit[fit['beta'] == fit['beta'].min()]['gap_0'] / fit['beta'].min()).min():.2f} .. "
                     f"{(fit[fit['beta'] == fit['beta'].min()]['gap_0'] / fit['beta'].min()).max():.2f}",
                     bool(np.all(np.abs(v - 1) <= 0.1))))
    pb = bias[(bias["rho0"] < PURE_RHO) & (bias["beta"] <= 1e-3 * (1 + 1e-9))]
    if len(pb):
        out.append(Claim(f"on games with a pure NE the bias is exponentially small: gap_0(pi*_beta) at beta <= 1e-3 "
                         f"({pb.groupby(['game', 'seed']).ngroups} games)",
                         "pi*_beta puts mass ~exp(-margin/beta) off the Condorcet winner", "<= 1e-9 (vs ~1e-3 for mixed)",
                         f"max {pb['gap_0'].max():.3g}", pb["gap_0"].max() <= 1e-9))

    # The Hodge knob.
    h = results.runs("hodge", ["game.kappa", "seed", "solver", "rho", "gap_0", "gap_beta", "average_gap_0"])
    hm = h[h["solver"] == "mwu"]
    k0, k1 = hm["game.kappa"].min(), hm["game.kappa"].max()
    med = hm.groupby("game.kappa")["gap_0"].median()
    amax = hm["average_gap_0"].max()
    out.append(Claim(f"hodge sweep: MWU's last-iterate gap_0 (median of {hm['seed'].nunique()} games) rises from "
                     f"kappa = {k0:g} (transitive) to kappa = {k1:g} (cyclic) while its average stays small at every kappa",
                     SOURCE_MWU, f"median <= 1e-6 at kappa = {k0:g}, >= 0.05 at kappa = {k1:g}; average gap_0 <= 0.01",
                     f"median {med.loc[k0]:.3g} at kappa = {k0:g}, {med.loc[k1]:.3g} at kappa = {k1:g}; max average "
                     f"gap_0 {amax:.3g}", med.loc[k0] <= 1e-6 and med.loc[k1] >= 0.05 and amax <= 0.01))
    hmix = hm[hm["rho"] > MIXED_RHO]
    ratio = (hmix["gap_0"] / hmix["average_gap_0"]).min()
    out.append(Claim(f"hodge sweep: on every game with a mixed NE ({len(hmix)} of {len(hm)}), MWU's last iterate is "
                     "further from equilibrium than its average", SOURCE_MWU,
                     "gap_0(last) / gap_0(average) >= 5", f"smallest ratio {ratio:.3g}", ratio >= 5))
    hn = h[h["solver"] == "nash_mp"]
    out.append(Claim(f"hodge sweep: nash_mp (beta = 1e-4, default step) converges on all {len(hn)} games",
                     SOURCE_REG, "gap_beta <= 1e-8", f"max {hn['gap_beta'].max():.3g}", hn["gap_beta"].max() <= 1e-8))
    return out
