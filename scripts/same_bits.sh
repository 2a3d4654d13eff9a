#!/usr/bin/env bash
# Do two builds of nlhf compute the same numbers? Runs every solver on five games at three betas
# (300 iterations, every metric logged at every iteration: 15 experiments; the solvers and metrics
# are those BIN_A's `nlhf-run --list` names) with the nlhf-run of each build, and compares
# trace.csv and summary.json cell by cell, wall_s aside.
#   scripts/same_bits.sh BIN_A BIN_B     BIN: a directory holding nlhf-run (say build/bin)
# Prints the number of differing cells per experiment; exits 0 when there are none, 1 otherwise.
# Written to check that NLHF_SSE41 (cmake/Isa.cmake) changes no bit:
#   cmake -S . -B build-sse2 -DNLHF_SSE41=OFF -DNLHF_BUILD_TESTS=OFF -DNLHF_BUILD_BENCH=OFF
#   cmake --build build-sse2 && bash scripts/same_bits.sh build-sse2/bin build/bin
set -euo pipefail
cd "$(dirname "$0")/.."
[[ $# -eq 2 ]] || { echo "error: usage: scripts/same_bits.sh BIN_A BIN_B" >&2; exit 2; }
for bin in "$1" "$2"; do
  [[ -x $bin/nlhf-run ]] || { echo "error: $bin/nlhf-run not found" >&2; exit 2; }
done
a=$(cd "$1" && pwd) b=$(cd "$2" && pwd)
solvers=$("$a/nlhf-run" --list solvers | awk '/^[a-z]/ { printf "%s{name: %s}", sep, $1; sep = ", " }')
metrics=$("$a/nlhf-run" --list metrics | awk '/^[a-z_0-9]+ / { printf "%s%s", sep, $1; sep = ", " }')
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
for game in "random_uniform, n: 12" "cyclic, n: 9" "bradley_terry, n: 15" "random_skew, n: 20" "rps3"; do
  for beta in 0.1 0.001 0.0001; do
    name=$(tr -c 'a-z0-9' _ <<<"${game%%,*}_$beta")
    cat >"$dir/$name.yaml" <<EOF
name: $name
game: {type: $game}
reference: {type: softmax_normal, scale: 1}
beta: $beta
seeds: [0, 1]
solvers: [$solvers]
stop: {iterations: 300}
log: {every: 1, metrics: [$metrics]}
EOF
    "$a/nlhf-run" "$dir/$name.yaml" --out "$dir/a-$name" --quiet >/dev/null
    "$b/nlhf-run" "$dir/$name.yaml" --out "$dir/b-$name" --quiet >/dev/null
  done
done
python3 - "$dir" <<'EOF'
import csv, glob, json, os, sys
d = sys.argv[1]
def rows(path):
    with open(path, newline="") as f:
        r = list(csv.reader(f))
    skip = r[0].index("wall_s")
    return [[c for k, c in enumerate(row) if k != skip] for row in r]
def strip(x):  # summary.json without its timings
    if isinstance(x, dict):
        return {k: strip(v) for k, v in x.items() if k != "wall_s"}
    return [strip(v) for v in x] if isinstance(x, list) else x
total = bad = 0
for ya in sorted(glob.glob(os.path.join(d, "a-*"))):
    name = os.path.basename(ya)[2:]
    yb = os.path.join(d, "b-" + name)
    ta, tb = rows(os.path.join(ya, "trace.csv")), rows(os.path.join(yb, "trace.csv"))
    cells = sum(len(r) for r in ta)
    diff = sum(x != y for ra, rb in zip(ta, tb) for x, y in zip(ra, rb)) + abs(len(ta) - len(tb))
    with open(os.path.join(ya, "summary.json")) as fa, open(os.path.join(yb, "summary.json")) as fb:
        same_summary = strip(json.load(fa)) == strip(json.load(fb))
    total += cells
    bad += diff + (not same_summary)
    print(f"{name}: {len(ta) - 1} rows, {diff} differing trace cells, summary.json {'equal' if same_summary else 'DIFFERS'}")
print(f"{total} trace cells compared: {'all equal' if bad == 0 else f'{bad} differences'}")
sys.exit(0 if bad == 0 else 1)
EOF
