"""Turns Google Benchmark JSON from bench/ into the README's Performance tables.

Usage: bench_report.py core|solvers RESULTS.json, bench_report.py tolerance RESULTS.json... (called by scripts/bench.sh core,
scripts/bench.sh solvers and scripts/bench.sh tolerance), bench_report.py oracle CORE.json SOLVERS.json (scripts/bench.sh oracle). Uses medians when the run had --benchmark_repetitions. Standard library only.
"""
import json
import statistics
import sys

SCALE = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}
METRICS = ["gap_beta", "exploitability", "gap_0", "br_winrate", "kl_to_star", "kl_from_star", "span", "fp_residual"]


def load(path):
    runs = json.load(open(path))["benchmarks"]
    medians = [dict(b, name=b["run_name"]) for b in runs if b.get("aggregate_name") == "median"]
    return medians or [b for b in runs if b.get("run_type", "iteration") == "iteration"]


def secs(b):
    return b["real_time"] * SCALE[b["time_unit"]]


def fmt(t):
    for unit, f in (("s", 1), ("ms", 1e3), ("us", 1e6), ("ns", 1e9)):
        if t * f >= 1:
            return f"{t * f:.3g} {unit}"
    return f"{t * 1e9:.3g} ns"


def by_arg(runs, prefix):
    return {int(b["name"].split("/")[-1]): secs(b) for b in runs if b["name"].startswith(prefix)}


def core(runs):
    matvec = by_arg(runs, "BM_PayoffMatVec/")
    print("| n | P·π | evaluate (P·π + exp) | " + " | ".join(METRICS) + " |")
    print("|---|" + "---|" * (2 + len(METRICS)))
    for n in sorted(matvec):
        ev = next(secs(b) for b in runs if b["name"] == f"BM_Evaluate/{n}")
        ms = [next(secs(b) for b in runs if b["name"] == f"BM_Metric/{n}/{k}") for k in range(len(METRICS))]
        print(f"| {n} | {fmt(matvec[n])} | {fmt(ev)} | " + " | ".join(fmt(m) for m in ms) + " |")
    print()
    print("| n | certified equilibrium (β = 0.01) | ÷ one P·π |")
    print("|---|---|---|")
    for n, t in sorted(by_arg(runs, "BM_Equilibrium/").items()):
        print(f"| {n} | {fmt(t)} | {t / matvec[n]:,.0f}× |")
    paths = {}  # (n, k) -> {path: benchmark}: pi* alone at beta = 10^-k by each Newton path
    for b in runs:
        if b["name"].startswith("BM_EquilibriumPath/"):
            _, path, n, k = b["name"].split("/")
            paths.setdefault((int(n), int(k)), {})[path] = b
    if paths:
        print()
        print("| n | β | π* dense | π* Krylov | dense ÷ Krylov | LU factorizations (dense) | GMRES iterations (dense / Krylov) |")
        print("|---|---|---|---|---|---|---|")
        for (n, k), by in sorted(paths.items()):
            d, kr = by.get("dense"), by.get("krylov")
            cells = [fmt(secs(d)) if d else "", fmt(secs(kr)) if kr else "",
                     f"{secs(d) / secs(kr):.2f}" if d and kr else "",
                     f"{d['lu_factorizations']:g}" if d else "",
                     " / ".join(f"{b['gmres_iterations']:g}" if b else "–" for b in (d, kr))]
            print(f"| {n} | 1e-{k} | " + " | ".join(cells) + " |")


def solvers(runs):
    two = by_arg(runs, "BM_TwoMatVec/")
    sizes = sorted(two)
    steps = {}
    for b in runs:
        if b["name"].startswith("BM_Step/"):
            spec, n = b["name"][len("BM_Step/"):].rsplit("/", 1)
            steps.setdefault(spec, {})[int(n)] = (secs(b), b.get("calls_per_step", 0))
    print("| solver | calls/step | " + " | ".join(f"n = {n}" for n in sizes) + " |")
    print("|---|---|" + "---|" * len(sizes))
    print("| two bare P·x | 2 | " + " | ".join(fmt(two[n]) for n in sizes) + " |")
    for spec, by_n in steps.items():
        cells = [f"{fmt(by_n[n][0])} ({by_n[n][0] / two[n]:.2f}×)" for n in sizes]
        print(f"| `{spec}` | {by_n[sizes[0]][1]:g} | " + " | ".join(cells) + " |")


BATCH = 64  # the B of BM_OracleEstimate and BM_OracleStep (bench/)


def rate(t, queries=BATCH):
    q = queries / t
    return f"{q / 1e6:.3g} M/s" if q >= 1e6 else f"{q / 1e3:.3g} k/s"


def oracle(core_runs, solver_runs):
    est = {kind: by_arg(core_runs, f"BM_OracleEstimate/{kind}/") for kind in ("exact", "sampled", "pairs")}
    step = {kind: by_arg(solver_runs, f"BM_OracleStep/omd/{kind}/") for kind in ("exact", "sampled")}
    print("| n | one exact P·π | sampled estimate (B = 64) | queries/s | ÷ P·π | pairs estimate (B = 64) | ÷ P·π |")
    print("|---|---|---|---|---|---|---|")
    for n in sorted(est["exact"]):
        e, s, p = est["exact"][n], est["sampled"][n], est["pairs"][n]
        print(f"| {n} | {fmt(e)} | {fmt(s)} | {rate(s)} | {s / e:.3g}× | {fmt(p)} | {p / e:.3g}× |")
    print()
    print("| n | omd step, exact oracle | omd step, sampled (B = 64) | queries/s | sampled ÷ exact |")
    print("|---|---|---|---|---|")
    for n in sorted(step["exact"]):
        e, s = step["exact"][n], step["sampled"][n]
        print(f"| {n} | {fmt(e)} | {fmt(s)} | {rate(s)} | {s / e:.3g}× |")


def rounds(paths):
    """{name: {repetition: seconds}} from the repetitions of benchmark runs in random order (empty
    without them)."""
    out = {}
    for path in paths:
        for b in json.load(open(path))["benchmarks"]:
            if b.get("run_type") == "iteration" and "repetition_index" in b:
                out.setdefault(b["run_name"], {})[b["repetition_index"]] = secs(b)
    return out


def tolerance(paths):
    """BM_Run/omd/{plain,tolerance,tolerance_without_star,log_every}/n/digits: whole runs, the same number
    of iterations each. A ratio is the median over rounds of the ratio within a round when the runs
    had repetitions in random order (each round runs every benchmark once, close in time), else the
    ratio of the medians."""
    runs = [b for path in paths for b in load(path)]
    reps = rounds(paths) if len(paths) and all(len(v) > 2 for v in rounds(paths).values()) else {}

    def key(b):
        n, digits = b["name"].split("/")[-2:]
        return int(digits), int(n)

    def ratio(b, base):
        a, z = reps.get(b["name"]), reps.get(base["name"])
        if a and z and a.keys() == z.keys():
            return statistics.median(a[k] / z[k] for k in a)
        return secs(b) / secs(base)
    mode = {m: {key(b): b for b in runs if b["name"].startswith(f"BM_Run/omd/{m}/")}
            for m in ("plain", "tolerance", "tolerance_without_star", "log_every")}
    if reps:
        counts = sorted({len(v) for v in reps.values()})
        n_rounds = str(counts[0]) if len(counts) == 1 else f"{' or '.join(map(str, counts))}, by row"
        print(f"(÷ plain: the median over {n_rounds} rounds of the ratio within a round)")
    print("| tolerance | n | iterations | plain run | per iteration | stopped by tolerance | ÷ plain "
          "| the same without π* | ÷ plain | gap_beta logged every iteration | ÷ plain |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for digits, n in sorted(mode["plain"], key=lambda k: (k[0] == 0, k[1])):
        p, t, e = mode["plain"][digits, n], mode["tolerance"][digits, n], mode["log_every"][digits, n]
        w = mode["tolerance_without_star"].get((digits, n))  # none in results from before it
        it = p.get("iterations", 0)
        if t.get("iterations") != it or (w and w.get("iterations") != it) or e.get("iterations") != it:
            sys.exit(f"BM_Run at n = {n}: the modes ran different numbers of iterations")
        tol = f"1e-{digits}" if digits else f"gap after {5000 if n < 1000 else 200} iterations"
        print(f"| {tol} | {n} | {it:g} | {fmt(secs(p))} | {fmt(secs(p) / it)} | {fmt(secs(t))} "
              f"| {ratio(t, p):.3f}× | {fmt(secs(w)) if w else '—'} | {f'{ratio(w, p):.3f}×' if w else '—'} "
              f"| {fmt(secs(e))} | {ratio(e, p):.3f}× |")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "oracle":
        oracle(load(sys.argv[2]), load(sys.argv[3]))
    elif len(sys.argv) >= 3 and sys.argv[1] == "tolerance":
        tolerance(sys.argv[2:])
    elif len(sys.argv) == 3 and sys.argv[1] in ("core", "solvers"):
        {"core": core, "solvers": solvers}[sys.argv[1]](load(sys.argv[2]))
    else:
        sys.exit("usage: bench_report.py core|solvers RESULTS.json | bench_report.py tolerance RESULTS.json... | "
                 "bench_report.py oracle CORE.json SOLVERS.json")
