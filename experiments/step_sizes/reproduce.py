"""The stability picture: omd, mmd, nash_mp and egpo at steps given as multiples of each game's
stability limit (eta: X*limit), over beta; iterations to gap_beta <= 1e-8, or the budget.

The claims read runs.csv: `status` (tolerance: reached 1e-8; anything else: diverged or stalled),
`params` (the step used), `stability_limit` and `rho` (per game). The multiple of a run is its step
over its stability limit, as in plots/step_sizes.py.
"""
from __future__ import annotations

import numpy as np

from reproduction import Claim, Figure, MissingData, Sweep, fmt, fmt_range, param, require_count

TITLE = "Step sizes: is the stability limit from rho the boundary of convergence? (omd, mmd, nash_mp, egpo)"

SOURCE = ("linear stability at pi* (docs/mathematics.md section 4); "
          "arXiv:2505.19731 v2 (self-play PG = online IPO = omd, stability limitation)")
SOLVERS = ["omd", "mmd", "nash_mp", "egpo"]
BELOW, ABOVE = 0.9, 1.1  # the claims' margins around the predicted limit
TOLERANCE = 1e-8

# Quick: five games, beta in {0.01, 0.03}, five multiples around and away from the limit.
_QUICK_ZIP = ('zip=[{"solvers[0].name": [omd, omd, mmd, mmd, nash_mp, nash_mp, egpo, egpo], '
              'beta: [0.01, 0.03, 0.01, 0.03, 0.01, 0.03, 0.01, 0.03], '
              'stop.iterations: [50000, 6000, 50000, 6000, 3000, 1000, 3000, 1000]}]')
SWEEPS = [Sweep("sweep.yaml", out="main", failures_expected=True,
                quick=["seeds={from: 0, to: 4}",
                       "sweep.solvers[0].eta=[0.1*limit, 0.5*limit, 0.9*limit, 1.1*limit, 2*limit]", _QUICK_ZIP])]

FIGURES = [Figure("plots/step_sizes.py", out="step_sizes", inputs=["main"])]
# Runs of the sweep: seeds x multiples x (solver, beta) = 10 x 10 x 16 in full, 5 x 5 x 8 with --quick.
RUNS = {False: 1600, True: 200}


def _runs(results, quick):
    r = results.runs("main", ["solver", "params", "beta", "seed", "status", "iterations", "gap_beta", "rho",
                              "stability_limit"])
    r = r[r.solver.isin(SOLVERS)].copy()
    require_count(r, RUNS[quick], "runs of " + ", ".join(SOLVERS) + " in main/runs.csv")
    r["eta"] = r.params.map(lambda p: param(p, "eta"))
    r["multiple"] = r.eta / r.stability_limit
    if r.multiple.isna().any() or not np.isfinite(r.multiple).all():
        raise MissingData("main/runs.csv has runs without a finite step / stability_limit")
    r["converged"] = r.status == "tolerance"
    return r


def _per_solver(r, mask, count):
    return ", ".join(f"{s} {count(r[mask & (r.solver == s)])}/{(mask & (r.solver == s)).sum()}" for s in SOLVERS)


def _covers_every_solver(r, mask):
    return all((mask & (r.solver == s)).any() for s in SOLVERS)


def claims(results, quick: bool) -> list[Claim]:
    out = []
    try:
        r = _runs(results, quick)
        below = r.multiple <= BELOW * (1 + 1e-9)
        ok = _covers_every_solver(r, below) and r.converged[below].all()
        slowest = r[below].iterations.max()
        out.append(Claim(
            claim=f"every run at a step <= {BELOW}x its game's stability limit reaches gap_beta <= {TOLERANCE:g} "
                  f"within its budget",
            source=SOURCE, expected="all converge (status tolerance), for each of " + ", ".join(SOLVERS),
            measured=f"converged: {_per_solver(r, below, lambda d: int(d.converged.sum()))} "
                     f"(slowest {fmt(float(slowest))} iterations)",
            passed=bool(ok)))
    except MissingData as e:
        out.append(Claim(f"every run at <= {BELOW}x its limit converges", SOURCE, "all converge", str(e), False))
    try:
        r = _runs(results, quick)
        above = r.multiple >= ABOVE * (1 - 1e-9)
        ok = _covers_every_solver(r, above) and not r.converged[above].any()
        failed = r[above & ~r.converged]
        out.append(Claim(
            claim=f"every run at a step >= {ABOVE}x its game's stability limit diverges or stalls (never reaches "
                  f"gap_beta <= {TOLERANCE:g})",
            source=SOURCE, expected="none converges, for each of " + ", ".join(SOLVERS),
            measured=f"did not converge: {_per_solver(r, above, lambda d: int((~d.converged).sum()))}; "
                     f"smallest final gap_beta among them {fmt(float(failed.gap_beta.min()))}"
                     + (f"; statuses {', '.join(sorted(set(failed.status)))}" if len(failed) else ""),
            passed=bool(ok)))
    except MissingData as e:
        out.append(Claim(f"every run at >= {ABOVE}x its limit diverges or stalls", SOURCE, "none converges", str(e),
                         False))
    try:
        # The rounded rules of thumb beta/rho (nash_mp) and 1/(beta + rho) (egpo) understate the limit by
        # a factor 1 + O(beta/rho): steps well above them still converge.
        r = _runs(results, quick)
        rounded = np.where(r.solver == "nash_mp", r.beta / r.rho, 1 / (r.beta + r.rho))
        r["over_rounded"] = r.eta / rounded
        eg = r[r.solver.isin(["nash_mp", "egpo"])]
        beyond = eg[(eg.over_rounded >= ABOVE) & eg.converged]
        ratio = (eg.stability_limit / np.where(eg.solver == "nash_mp", eg.beta / eg.rho, 1 / (eg.beta + eg.rho)))
        out.append(Claim(
            claim=f"nash_mp's and egpo's exact limits matter: runs at steps >= {ABOVE}x the rounded limits beta/rho "
                  f"and 1/(beta+rho) still converge",
            source="linearized extragradient factor (docs/mathematics.md section 4; ExtragradientLimit)",
            expected=f"some converge (exact / rounded limit = 1 + O(beta/rho) > {ABOVE} at the largest beta)",
            measured=f"{len(beyond)} runs converged at {fmt(float(beyond.over_rounded.min()) if len(beyond) else np.nan)}"
                     f"-{fmt(float(beyond.over_rounded.max()) if len(beyond) else np.nan)}x the rounded limit; "
                     f"exact / rounded {fmt_range(float(ratio.min()), float(ratio.max()))}",
            passed=len(beyond) > 0))
    except MissingData as e:
        out.append(Claim("nash_mp's and egpo's exact limits matter", "ExtragradientLimit", "some converge", str(e),
                         False))
    return out
