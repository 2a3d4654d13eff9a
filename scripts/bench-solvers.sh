#!/usr/bin/env bash
# Runs build/bin/nlhf_bench_solvers and prints the README's solver table: time per Step() of each
# solver and its ratio to two bare matrix-vector products of the same size, from one run.
# Usage: scripts/bench-solvers.sh [extra Google Benchmark flags]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/bin/nlhf_bench_solvers
[[ -x $bin ]] || { echo "error: $bin not found; build first (bash scripts/build.sh)" >&2; exit 2; }
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
two = {int(b["name"].split("/")[-1]): secs(b) for b in runs if b["name"].startswith("BM_TwoMatVec/")}
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
    calls = by_n[sizes[0]][1]
    cells = [f"{fmt(by_n[n][0])} ({by_n[n][0] / two[n]:.2f}×)" for n in sizes]
    print(f"| `{spec}` | {calls:g} | " + " | ".join(cells) + " |")
PY
