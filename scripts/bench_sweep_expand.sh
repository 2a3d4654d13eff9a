#!/usr/bin/env bash
# Times sweep expansion (nlhf-sweep --dry-run: parse, expand and validate every point) on two
# generated sweeps, and prints wall time and peak memory (GNU time's "Maximum resident set size"):
#   listed  - one key with N listed values (default 10000)
#   product - a 100 x M Cartesian product (default M = 1000: 1e5 points)
#   matrix  - K betas (default 50) on a 1000 x 1000 matrix CSV (19 MB): its --dry-run, and the sweep
#             run with 1 iteration per run (--jobs 1), whose time is reading the file and the 50
#             certified equilibria
# Usage: scripts/bench_sweep_expand.sh [N] [M] [K]     (NLHF_BIN=dir picks another build's bin/)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${NLHF_BIN:-build/bin}
[[ -x $bin/nlhf-sweep ]] || { echo "error: $bin/nlhf-sweep not found; build first (bash scripts/build.sh)" >&2; exit 2; }
[[ -x /usr/bin/time ]] || { echo "error: /usr/bin/time not found (apt-get install time)" >&2; exit 2; }
n=${1:-10000}
m=${2:-1000}
k=${3:-50}
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
# P[i][j] = 0.5 + 0.4 sin(0.37 (i - j)): sin is odd, so P + P^T = 1 and the diagonal is 1/2.
awk 'BEGIN { n = 1000; for (i = 0; i < n; ++i) { line = "";
  for (j = 0; j < n; ++j) line = line (j ? "," : "") sprintf("%.17g", 0.5 + 0.4 * sin(0.37 * (i - j)));
  print line } }' > "$dir/P.csv"
{ echo "game: {type: matrix, path: P.csv}"; echo "beta: 0.1"; echo "seeds: [0]"; echo "solvers: [{name: nash_mp}]"
  echo "stop: {iterations: 1}"; echo "sweep:"; printf '  beta: ['; seq -s, 0.01 0.01 "$(awk -v k="$k" 'BEGIN { print k / 100 }')" | tr -d '\n'; echo ']'; } > "$dir/matrix.yaml"
sleep 4  # an input file written moments ago is hashed every time it is checked (lib/include/nlhf/input_file.h)
for kind in listed product matrix; do
  /usr/bin/time -v "$bin/nlhf-sweep" "$dir/$kind.yaml" --dry-run > "$dir/out" 2> "$dir/time" || {
    echo "$kind: nlhf-sweep failed:"; tail -5 "$dir/time"; continue; }
  points=$(grep -o '^[0-9]* points x' "$dir/out" | grep -o '^[0-9]*' || true)
  wall=$(grep 'Elapsed (wall clock)' "$dir/time" | awk '{print $NF}')
  rss=$(grep 'Maximum resident set size' "$dir/time" | awk '{print $NF}')
  echo "$kind: ${points:-?} points, wall $wall (m:ss), max RSS $((rss / 1024)) MiB"
done
/usr/bin/time -f "%e" "$bin/nlhf-sweep" "$dir/matrix.yaml" --out "$dir/matrix-run" --jobs 1 --quiet > "$dir/out" 2> "$dir/time" || {
  echo "matrix run: nlhf-sweep failed:"; tail -5 "$dir/time"; exit 1; }
echo "matrix run: $(tail -1 "$dir/time") s in all; $(grep -o 'games and equilibria [0-9.]* s' "$dir/out")"
