#!/usr/bin/env bash
# Runs one benchmark program of bench/ and prints its README Performance table.
# Usage: scripts/bench.sh core|solvers [Google Benchmark flags]
# Default flags: 5 repetitions, medians reported (this machine is shared and noisy).
set -euo pipefail
cd "$(dirname "$0")/.."
kind=${1:-}
[[ $kind == core || $kind == solvers ]] || { echo "error: usage: scripts/bench.sh core|solvers [benchmark flags]" >&2; exit 2; }
shift
bin=build/bin/nlhf_bench_$kind
[[ -x $bin ]] || { echo "error: $bin not found; build first (bash scripts/build.sh)" >&2; exit 2; }
json=$(mktemp)
trap 'rm -f "$json"' EXIT
[[ $# -gt 0 ]] || set -- --benchmark_repetitions=5 --benchmark_min_time=0.1
"$bin" --benchmark_format=json --benchmark_out="$json" --benchmark_out_format=json "$@" >/dev/null
python3 scripts/bench_report.py "$kind" "$json"
