#!/usr/bin/env bash
# Times sweep expansion (nlhf-sweep --dry-run: parse, expand and validate every point) on two
# generated sweeps, and prints wall time and peak memory (GNU time's "Maximum resident set size"):
#   listed  - one key with N listed values (default 10000)
#   product - a 100 x M Cartesian product (default M = 1000: 1e5 points)
# Usage: scripts/bench_sweep_expand.sh [N] [M]     (NLHF_BIN=dir picks another build's bin/)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${NLHF_BIN:-build/bin}
[[ -x $bin/nlhf-sweep ]] || { echo "error: $bin/nlhf-sweep not found; build first (bash scripts/build.sh)" >&2; exit 2; }
[[ -x /usr/bin/time ]] || { echo "error: /usr/bin/time not found (apt-get install time)" >&2; exit 2; }
n=${1:-10000}
m=${2:-1000}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
base='game: {type: rps3}
beta: 0.1
seeds: [0]
solvers: [{name: nash_mp}]
stop: {iterations: 10}'
{ echo "$base"; echo "sweep:"; printf '  stop.iterations: ['; seq -s, 1 "$n" | tr -d '\n'; echo ']'; } > "$dir/listed.yaml"
{ echo "$base"; echo "sweep:"; printf '  beta: ['; seq -s, 0.001 0.001 0.1 | tr -d '\n'; echo ']';
  printf '  stop.iterations: ['; seq -s, 1 "$m" | tr -d '\n'; echo ']'; } > "$dir/product.yaml"
for kind in listed product; do
  /usr/bin/time -v "$bin/nlhf-sweep" "$dir/$kind.yaml" --dry-run > "$dir/out" 2> "$dir/time" || {
    echo "$kind: nlhf-sweep failed:"; tail -5 "$dir/time"; continue; }
  points=$(grep -o '^[0-9]* points x' "$dir/out" | grep -o '^[0-9]*' || true)
  wall=$(grep 'Elapsed (wall clock)' "$dir/time" | awk '{print $NF}')
  rss=$(grep 'Maximum resident set size' "$dir/time" | awk '{print $NF}')
  echo "$kind: ${points:-?} points, wall $wall (m:ss), max RSS $((rss / 1024)) MiB"
done
