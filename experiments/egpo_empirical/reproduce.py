"""The EGPO code's empirical tabular panel (arXiv:2503.08942) on the authors' ten games: each update
sees sampled pairs with their exact preference (oracle `pairs`) instead of P pi.

The claims read trace.csv of both sweeps (gap_beta at every logged update; the game of each run from
the `game` column) and runs.csv (final gap_beta, rho, stability_limit). The noise floor of a sampled
run is the mean of its gap_beta over the logged updates t >= 5e4 (the last 0.3 decade, 15 points)
minus the mean of the exact run of the same algorithm and game over the same updates (the transient
that is left; E gap_sampled ~ gap_exact + floor to first order).

Linear theory at this step (eta' = 0.008, eta' beta = 8e-5, eta' rho <= 1.5e-3): OMD and the EGPO code's
Nash-MD multiply the error by r = sqrt((1 - eta' beta)^2 + (eta' rho)^2) per update, EGPO by about
sqrt((1 - eta' beta)^2 - (eta' rho)^2) (an extragradient step), so all three contract at nearly
(1 - eta' beta)^T and gap_beta, quadratic in the error, at r^(2T). With a sampled estimate of
variance ~1/B the error settles at a stationary spread with covariance ~ eta' Var / beta, so the
floor of gap_beta is proportional to 1/B while it is small (the linear regime).
"""
from __future__ import annotations

import numpy as np

from reproduction import Claim, Figure, MissingData, Sweep, all_ge, all_le, fmt, fmt_range

TITLE = "EGPO's empirical tabular panel: the five algorithms with sampled pairs (beta = 0.01, lr = 2e-4, 1e5 updates)"

PAPER = "arXiv:2503.08942, tabular simulations, empirical mode (code: simulations/grid_search.py)"
THEORY = "linear stability of omd/egpo (docs/mathematics.md sections 4 and 9)"
ORACLE = "docs/mathematics.md section 5.7 (sampled oracles: Var = O(1/B))"

_GAMES3 = ('{game.path: [../egpo_tabular/games/game0/P.csv, ../egpo_tabular/games/game1/P.csv, '
           '../egpo_tabular/games/game2/P.csv], reference.path: [../egpo_tabular/games/game0/mu.csv, '
           '../egpo_tabular/games/game1/mu.csv, ../egpo_tabular/games/game2/mu.csv]}')
# Quick: three of the ten games, one sampling seed; the batch scan at B = 10 only (B = 1000 costs
# 10x the B = 100 runs).
SWEEPS = [
    Sweep("exact.yaml", out="exact", quick=[f"zip[0]={_GAMES3}"]),
    Sweep("pairs.yaml", out="pairs", quick=[f"zip[0]={_GAMES3}", "seeds=[0]"]),
    Sweep("batch.yaml", out="batch", quick=[
        'zip[0]={"solvers[0].oracle.batch": [10], "solvers[1].oracle.batch": [10], '
        '"solvers[0].label": ["Online IPO 1 (OMD), pairs B=10"], "solvers[1].label": ["EGPO, pairs B=10"]}',
        f"zip[1]={_GAMES3}"]),
]

FIGURES = [Figure("plots/egpo_empirical.py", out="egpo_empirical", inputs=["exact", "pairs", "batch"])]

OMD, IPO2, NASH_MD, PG, EGPO = "Online IPO 1 (OMD)", "Online IPO 2", "Nash-MD (EGPO code)", "Nash-MD-PG", "EGPO"
CONVERGING = [OMD, NASH_MD, EGPO]   # converge to their target in exact arithmetic at this step
N_GAMES = {False: 10, True: 3}
N_SEEDS = {False: 3, True: 1}       # pairs.yaml's sampling seeds per game
ETA, BETA, T = 0.008, 0.01, 100_000
TAIL = 50_000        # the floor: mean over logged updates >= TAIL
TRACK = 100.0        # "the exact gap is well above the floor": >= TRACK x the run's floor. The
                     # sampled gap is ~ gap_exact + 2 e.xi + floor: relative spread ~ 2/sqrt(TRACK) = 0.2
BAND = 2.0           # tracking: sampled/exact within [1/BAND, BAND]


def _trace(results, out):
    """trace.csv of a sweep with alg, mode ('exact' or 'pairs B=...'), B and the game number g."""
    t = results.trace(out, ["run_id", "game", "label", "seed", "iter", "gap_beta"]).copy()
    parts = t.label.str.split(", ", n=1)
    t["alg"], t["mode"] = parts.str[0], parts.str[1]
    t["B"] = t["mode"].str.extract(r"B=(\d+)", expand=False).astype(float)
    g = t.game.str.extract(r"game(\d+)/P\.csv", expand=False)
    if g.isna().any():
        raise MissingData(f"{out}/trace.csv: {int(g.isna().sum())} rows whose game is not one of the authors' games")
    t["g"] = g.astype(int)
    return t


def _exact(results, quick):
    """The exact curves: alg, g, iter, exact (gap_beta)."""
    t = _trace(results, "exact")
    n = t.groupby("alg").g.nunique()
    if len(n) != 5 or (n != N_GAMES[quick]).any():
        raise MissingData(f"exact/trace.csv: games per algorithm {dict(n)}, expected 5 algorithms x {N_GAMES[quick]}")
    return t[["alg", "g", "iter", "gap_beta"]].rename(columns={"gap_beta": "exact"})


def _curves(results, alg, quick):
    """The B = 100 curves of `alg` next to the exact one: g, seed, iter, pairs, exact."""
    p = _trace(results, "pairs")
    p = p[(p.alg == alg) & (p.B == 100)]
    if p.g.nunique() != N_GAMES[quick] or p.groupby("g").seed.nunique().min() != N_SEEDS[quick]:
        raise MissingData(f"pairs/trace.csv: {alg} B = 100 on {p.g.nunique()} games (need {N_GAMES[quick]} "
                          f"x {N_SEEDS[quick]} seeds)")
    e = _exact(results, quick)
    w = p[["g", "seed", "iter", "gap_beta"]].rename(columns={"gap_beta": "pairs"}).merge(
        e[e.alg == alg][["g", "iter", "exact"]], on=["g", "iter"], how="left")
    if w.exact.isna().any():
        raise MissingData(f"{alg}: {int(w.exact.isna().sum())} logged updates of the pairs runs have no exact value")
    return w


def _floors(results, quick):
    """The noise floor of every sampled run of OMD, Nash-MD and EGPO: DataFrame alg, B, g, seed, floor
    (mean gap over logged updates >= TAIL minus the exact run's mean over the same updates)."""
    e = _exact(results, quick)
    exact = e[e.iter >= TAIL].groupby(["alg", "g"]).exact.mean()
    rows = []
    for out in ("pairs", "batch"):
        t = _trace(results, out)
        s = t[t.alg.isin(CONVERGING) & (t.iter >= TAIL)]
        for (alg, b, g, seed), grp in s.groupby(["alg", "B", "g", "seed"]):
            if grp.iter.max() < T or len(grp) < 5:
                raise MissingData(f"{out}: {alg} B={b:g} game {g}: {len(grp)} logged updates >= {TAIL}, "
                                  f"last {grp.iter.max()}")
            if (alg, g) not in exact.index:
                raise MissingData(f"exact/trace.csv: no exact {alg} run on game {g}")
            rows.append({"alg": alg, "B": b, "g": g, "seed": seed, "floor": grp.gap_beta.mean() - exact[(alg, g)]})
    import pandas as pd
    f = pd.DataFrame(rows)
    if len(f) == 0 or (f.floor <= 0).any():
        raise MissingData(f"{int((f.floor <= 0).sum()) if len(f) else 0} sampled runs with no floor above the exact curve")
    return f


def _final(results, quick):
    """Final gap_beta per algorithm and mode: a table indexed by game (mean over seeds for pairs)."""
    rows = []
    for out in ("exact", "pairs"):
        r = results.runs(out, ["run_id", "label", "gap_beta"])
        g = _trace(results, out).drop_duplicates("run_id").set_index("run_id").g
        r = r.assign(alg=r.label.str.split(", ").str[0], mode=r.label.str.split(", ").str[1], g=r.run_id.map(g))
        rows.append(r)
    import pandas as pd
    r = pd.concat(rows)
    return r.pivot_table(index="g", columns=["alg", "mode"], values="gap_beta", aggfunc="mean")


def claims(results, quick):
    out = []
    floors = _floors(results, quick)
    f100 = floors[floors.B == 100].set_index(["alg", "g", "seed"]).floor
    runs_txt = f"{N_GAMES[quick]} games x {N_SEEDS[quick]} seed{'s' if N_SEEDS[quick] > 1 else ''}"

    # 1. The sampled curves track the exact ones until the exact gap nears the floor.
    measured, passed = [], True
    for alg in CONVERGING:
        w = _curves(results, alg, quick)
        w["floor"] = [f100.get((alg, g, s), np.nan) for g, s in zip(w.g, w.seed)]
        if w.floor.isna().any():
            raise MissingData(f"no B = 100 floor of {alg} for some run")
        above = w[w.exact >= TRACK * w.floor]
        ratio = above.pairs / above.exact
        ok_lo, _ = all_ge(ratio, 1 / BAND)
        ok_hi, _ = all_le(ratio, BAND)
        last = above.groupby(["g", "seed"]).iter.max()
        passed &= ok_lo and ok_hi
        measured.append(f"{alg}: ratio {fmt_range(ratio.min(), ratio.max())} over {len(ratio)} logged points "
                        f"(each run up to update {fmt_range(last.min(), last.max())})")
    out.append(Claim(f"With B = 100 pairs per estimate, the sampled gap_beta tracks the exact one (OMD, Nash-MD, "
                     f"EGPO; {runs_txt}): pairs/exact within a factor {BAND:g} at every logged update where the "
                     f"exact gap is >= {TRACK:g}x the run's noise floor",
                     f"{PAPER}; {ORACLE} (unbiased estimate: the mean update is the exact one)",
                     f"ratio in [{1 / BAND:g}, {BAND:g}] (expected spread ~2/sqrt({TRACK:g}) = 0.2)",
                     "; ".join(measured), passed))

    # 2. ... and then stops at a noise floor far above the exact curve.
    measured, passed = [], True
    e = _exact(results, quick)
    ex_final = e[e.iter == T].set_index(["alg", "g"]).exact
    for alg in CONVERGING:
        fl = f100.loc[alg]
        exf = ex_final.loc[alg]
        ratio = fl / fl.index.get_level_values("g").map(exf).to_numpy()
        ok, _ = all_ge(ratio, 100.0)
        passed &= ok and len(fl) == N_GAMES[quick] * N_SEEDS[quick] and len(exf) == N_GAMES[quick]
        measured.append(f"{alg}: floor {fmt_range(fl.min(), fl.max(), 2)} (median {fmt(fl.median(), 2)}), exact final "
                        f"{fmt_range(exf.min(), exf.max(), 2)}, floor/exact >= {fmt(ratio.min(), 2)}")
    out.append(Claim("With B = 100 the sampled runs plateau at a noise floor: their mean gap_beta over updates "
                     ">= 5e4 (minus the exact curve's there) is >= 100x the exact run's final gap in every run",
                     f"{PAPER}; {ORACLE}", "floor / exact final >= 100 in every run", "; ".join(measured), passed))

    # 3. The floor falls with B: on every game from B = 10 to B = 100, and (full version) as 1/B
    # between B = 100 and 1000, where the floor is small enough for the linear regime.
    measured, passed = [], True
    for alg in (OMD, EGPO):
        f = floors[floors.alg == alg].groupby(["g", "B"]).floor.mean().unstack("B")  # mean over seeds
        need = [10.0, 100.0] + ([] if quick else [1000.0])
        if any(b not in f.columns for b in need) or f[need].isna().any().any() or len(f) != N_GAMES[quick]:
            raise MissingData(f"{alg}: floors at B = {need} on {N_GAMES[quick]} games needed, have {f.shape}")
        med = f[need].median()
        falls = f[10.0] > f[100.0]
        s1 = np.log10(f[100.0] / f[10.0])
        passed &= bool(falls.all())
        txt = (f"{alg}: median floor {', '.join(f'{fmt(med[b], 2)} (B={b:g})' for b in need)}; "
               f"B=10 > B=100 on {int(falls.sum())}/{len(f)} games, slope 10->100 {s1.mean():.2f}")
        if not quick:
            s2 = np.log10(f[1000.0] / f[100.0])
            se = float(s2.std(ddof=1) / np.sqrt(len(s2)))
            falls2 = f[100.0] > f[1000.0]
            passed &= bool(falls2.all()) and -1.3 <= s2.mean() <= -0.7
            txt += (f"; B=100 > B=1000 on {int(falls2.sum())}/{len(f)} games, slope 100->1000 {s2.mean():.2f} "
                    f"+- {se:.2f} (standard error over games)")
        measured.append(txt)
    out.append(Claim("The noise floor falls with the batch (OMD and EGPO): B = 10 above B = 100 on every game"
                     + ("" if quick else "; from B = 100 to 1000 (floor << 1: the linear regime) as 1/B: the "
                                         "mean over games of the log-log slope is in [-1.3, -0.7], and B = 100 "
                                         "is above B = 1000 on every game"),
                     f"{ORACLE}; {THEORY} (stationary error covariance ~ eta' Var / beta)",
                     "every game decreasing" + ("" if quick else "; slope 100->1000 in [-1.3, -0.7] (theory -1)"),
                     "; ".join(measured), passed))

    # 4. The exact curves contract at the linear rate r^(2T); the step is far inside the stable range.
    r = results.runs("exact", ["run_id", "label", "gap_beta", "rho", "stability_limit", "iterations"])
    g0 = results.trace("exact", ["run_id", "iter", "gap_beta"])
    g0 = g0[g0.iter == 0].set_index("run_id").gap_beta
    measured, passed = [], True
    for alg in CONVERGING:
        x = r[r.label == f"{alg}, exact"]
        if len(x) != N_GAMES[quick] or x.rho.isna().any():
            raise MissingData(f"exact/runs.csv: {len(x)} exact {alg} runs (need {N_GAMES[quick]}) or no rho")
        sign = -1.0 if alg == EGPO else 1.0
        rate = np.sqrt((1 - ETA * BETA) ** 2 + sign * (ETA * x.rho) ** 2)
        ratio = x.gap_beta / (x.run_id.map(g0) * rate ** (2 * x.iterations))
        ok1, _ = all_ge(ratio, 0.1)
        ok2, _ = all_le(ratio, 10.0)
        passed &= ok1 and ok2 and bool((x.iterations == T).all())
        measured.append(f"{alg}: final/prediction {fmt_range(ratio.min(), ratio.max(), 2)} "
                        f"(final gap {fmt_range(x.gap_beta.min(), x.gap_beta.max(), 2)})")
    lim = r[r.label == f"{OMD}, exact"].stability_limit
    ok, _ = all_ge(lim, 10 * ETA)
    passed &= ok
    measured.append(f"omd's stability limit 2beta/(beta^2+rho^2) = {fmt_range(lim.min(), lim.max(), 2)} vs eta' = {ETA:g}")
    out.append(Claim("Exact arithmetic at lr = 2e-4 (eta' = 0.008, >= 10x below omd's stability limit on every "
                     "game, unlike the lr = 0.02 panel of egpo_tabular): OMD, Nash-MD and EGPO's final gap_beta is "
                     "gap_0 r^(2T) up to a factor 10, r = sqrt((1-eta'beta)^2 +- (eta' rho)^2) (+ OMD/Nash-MD, - EGPO)",
                     THEORY, "final / (gap_0 r^(2T)) in [0.1, 10] on every game", "; ".join(measured), passed))

    # 5. EGPO gains nothing per update at this step: its contraction differs from OMD's by (eta' rho)^2
    # (~1e-6 per update); with pairs its floor is OMD's to first order in eta'.
    fin = _final(results, quick)
    ex = fin[(EGPO, "exact")] / fin[(OMD, "exact")]
    ok = all_ge(ex, 0.5)[0] and all_le(ex, 1.0)[0] and len(ex) == N_GAMES[quick]
    txt = f"exact EGPO/OMD {fmt_range(ex.min(), ex.max(), 2)}"
    claim = "EGPO gives no advantage per update at this small step: its exact final gap is 0.5-1x OMD's on every game"
    expected = "exact ratio in [0.5, 1] on every game"
    if not quick:  # one run per game is too few: a single floor varies by ~50% from run to run
        lr = np.log10(f100.loc[EGPO] / f100.loc[OMD])
        se = float(lr.std(ddof=1) / np.sqrt(len(lr)))
        ok &= bool(abs(lr.mean()) <= np.log10(2.0))
        txt += (f"; B = 100 floor EGPO/OMD: geometric mean {fmt(10 ** lr.mean(), 2)} (x/ {fmt(10 ** se, 2)} standard "
                f"error) over {len(lr)} runs, single runs {fmt_range(10 ** lr.min(), 10 ** lr.max(), 2)}")
        claim += ", and its B = 100 noise floor is OMD's within a factor 2 (geometric mean over the 30 runs)"
        expected += "; floor ratio in [0.5, 2]"
    out.append(Claim(claim, f"{THEORY} (egpo's extra factor exp(-2T (eta' rho)^2) = 0.65-0.9 here; same floor to "
                     "first order; EGPO spends 2B = 200 queries per update, OMD B = 100)", expected, txt, ok))

    # 6. Nash-MD-PG: its step (lr pi_y ~ 2e-5 on the logits) is too small for the noise to matter, and
    # too small to converge: sampled = exact within 1%, gap above 1e-2 (as in the exact panel).
    w = _curves(results, PG, quick)
    dev = (w.pairs / w.exact - 1).abs()
    last = w[w.iter == w.iter.max()]
    ok, _ = all_le(dev, 0.01)
    ok2, _ = all_ge(last.pairs, 1e-2)
    out.append(Claim("Nash-MD-PG: with pairs its curve equals the exact one within 1% at every logged update, and "
                     "it stays above 1e-2 after 1e5 updates",
                     f"{PAPER}; egpo_tabular (its median final gap stays above 1e-2 in every exact panel)",
                     "|pairs/exact - 1| <= 0.01; final >= 1e-2 in every run",
                     f"max |pairs/exact - 1| = {fmt(dev.max(), 2)}; final {fmt_range(last.pairs.min(), last.pairs.max(), 2)}",
                     ok and ok2))

    # 7. The order after 1e5 updates, per game.
    best_exact = fin[[(a, "exact") for a in CONVERGING]].max(axis=1)
    ipo2, pg = fin[(IPO2, "exact")], fin[(PG, "exact")]
    sampled = fin[[(a, "pairs B=100") for a in CONVERGING]]
    ok = bool(((best_exact < ipo2) & (ipo2 < pg)).all() and (sampled.max(axis=1) < pg).all()
              and (sampled.min(axis=1) > best_exact).all()) and len(fin) == N_GAMES[quick]
    above_ipo2 = int((sampled.median(axis=1) > ipo2).sum())
    out.append(Claim("Order after 1e5 updates on every game: exact OMD, Nash-MD, EGPO < exact Online IPO 2 < "
                     "Nash-MD-PG; the B = 100 runs of the first three (mean over seeds) lie between the exact "
                     "ones and Nash-MD-PG",
                     PAPER, "this order on every game",
                     f"exact OMD/Nash-MD/EGPO max {fmt(best_exact.max(), 2)}; Online IPO 2 {fmt_range(ipo2.min(), ipo2.max(), 2)}; "
                     f"Nash-MD-PG {fmt_range(pg.min(), pg.max(), 2)}; the three B = 100 runs "
                     f"{fmt_range(sampled.min().min(), sampled.max().max(), 2)} (their median above exact Online IPO 2 "
                     f"on {above_ipo2}/{len(fin)} games)", ok))
    return out
