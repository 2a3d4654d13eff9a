#!/usr/bin/env bash
# Runs the core benchmarks (build/bin/nlhf_bench_core) and prints the table kept in the README's
# Performance section: time per call, and the equilibrium solve as a multiple of one P pi, all
# from the same run. Usage: scripts/bench-core.sh [extra Google Benchmark flags]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/bin/nlhf_bench_core
[[ -x $bin ]] || { echo "error: $bin not found; build first (cmake --preset release && cmake --build --preset release)" >&2; exit 2; }
json=$(mktemp)
trap 'rm -f "$json"' EXIT
# Default: 5 repetitions, medians reported (this machine is shared and noisy).
[[ $# -gt 0 ]] || set -- --benchmark_repetitions=5 --benchmark_min_time=0.1
"$bin" --benchmark_format=json --benchmark_out="$json" --benchmark_out_format=json "$@" >/dev/null
python3 - "$json" <<'PY'
import json, sys
all_runs = json.load(open(sys.argv[1]))["benchmarks"]
# With --benchmark_repetitions, use the medians; otherwise the single runs.
medians = [dict(b, name=b["run_name"]) for b in all_runs if b.get("aggregate_name") == "median"]
runs = medians or [b for b in all_runs if b.get("run_type", "iteration") == "iteration"]
scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}
def secs(b): return b["real_time"] * scale[b["time_unit"]]
def fmt(t):
    for unit, f in (("s", 1), ("ms", 1e3), ("us", 1e6), ("ns", 1e9)):
        if t * f >= 1: return f"{t*f:.3g} {unit}"
    return f"{t*1e9:.3g} ns"
matvec = {int(b["name"].split("/")[1]): secs(b) for b in runs if b["name"].startswith("BM_PayoffMatVec/")}
print("| n | P·π | evaluate (P·π + exp) | " + " | ".join(["gap_beta", "exploitability", "gap_0", "br_winrate", "kl_to_star", "kl_from_star", "span", "fp_residual"]) + " |")
print("|---|" + "---|" * 10)
for n in sorted(matvec):
    ev = next(secs(b) for b in runs if b["name"] == f"BM_Evaluate/{n}")
    ms = [next(secs(b) for b in runs if b["name"] == f"BM_Metric/{n}/{k}") for k in range(8)]
    print(f"| {n} | {fmt(matvec[n])} | {fmt(ev)} | " + " | ".join(fmt(m) for m in ms) + " |")
print()
print("| n | certified equilibrium (β = 0.01) | ÷ one P·π |")
print("|---|---|---|")
for b in runs:
    if b["name"].startswith("BM_Equilibrium/"):
        n = int(b["name"].split("/")[1])
        print(f"| {n} | {fmt(secs(b))} | {secs(b) / matvec[n]:,.0f}× |")
PY
