#!/usr/bin/env bash
# scripts/bench.sh egpo --against REV|DIR [PAIRS]: the EGPO figure workload (bench/egpo_sweep.yaml)
# run by this build's nlhf-sweep and by another one, alternately, PAIRS pairs (default 9) with
# --jobs 2 and with --jobs 1. Prints each build's median wall time and the median of the pairs'
# ratios (other / this): a ratio measured in one sitting, which a shared machine's hourly speed
# changes cancel out of.
#
# REV|DIR: a directory holding the other build's nlhf-sweep (DIR or DIR/bin; relative to where the
# command was run), else a git revision of this repository, built once (Release, nlhf-sweep only)
# into build-rev-HASH/ (HASH: the revision's first 12 hex digits) and reused after.
#
# fcf0aa2 is the release that the README's "before" figures of issue 12 were measured against.
# The issue, filed a few commits earlier the same day (none of them touches a hot path), gives
# main's times on the EGPO workload as 0.35 s with --jobs 2 and 0.53 s with --jobs 1, against
# 14.3 s for the EGPO authors' torch script on the issue's machine. For that revision the ratio to
# the authors' script is carried over: 14.3 / 0.35 x (fcf0aa2 / this build), an estimate from two
# ratios each measured in one sitting.
set -euo pipefail
export LC_ALL=C  # a decimal point in $EPOCHREALTIME and awk
caller=${NLHF_BENCH_CALLER_DIR:-$PWD}
cd "$(dirname "$0")/.."
usage="usage: scripts/bench.sh egpo --against REV|DIR [PAIRS]"
[[ $# -ge 1 && $# -le 2 && -n $1 ]] || { echo "error: $usage" >&2; exit 2; }
pairs=${2:-9}
[[ $pairs =~ ^[1-9][0-9]{0,2}$ ]] || { echo "error: PAIRS '$pairs' is not a whole number from 1 to 999; $usage" >&2; exit 2; }
this=build/bin/nlhf-sweep
[[ -x $this ]] || { echo "error: $this not found; build first (bash scripts/build.sh)" >&2; exit 2; }

other=""
hash=""
dir_arg=$1
[[ $dir_arg == /* ]] || dir_arg=$caller/$1
for c in "$dir_arg/nlhf-sweep" "$dir_arg/bin/nlhf-sweep"; do [[ -x $c && -f $c ]] && other=$c && break; done
if [[ -z $other ]]; then
  hash=$(git rev-parse --verify --quiet "$1^{commit}" 2>/dev/null) || {
    hint=""
    [[ $(git rev-parse --is-shallow-repository 2>/dev/null) == true ]] &&
      hint=" (this clone is shallow: 'git fetch --unshallow' brings the older revisions)"
    echo "error: --against '$1': neither a directory holding nlhf-sweep (or bin/nlhf-sweep) nor a git revision of this repository$hint" >&2
    exit 2
  }
  dir=build-rev-${hash:0:12}
  other=$dir/build/bin/nlhf-sweep
  if [[ ! -x $other ]]; then
    mkdir -p "$dir"
    exec 9>"$dir/.lock"
    flock 9  # a second copy waits for the first one's build
    if [[ ! -x $other ]]; then
      if [[ ! -d $dir/src ]]; then  # extracted whole or not at all
        rm -rf "$dir/src.tmp"
        mkdir "$dir/src.tmp"
        git archive "$hash" | tar -x -C "$dir/src.tmp"
        mv "$dir/src.tmp" "$dir/src"
      fi
      echo "building nlhf-sweep at ${hash:0:12} into $dir/ (once; a few minutes)" >&2
      cmake -S "$dir/src" -B "$dir/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DNLHF_BUILD_TESTS=OFF \
        -DNLHF_BUILD_BENCH=OFF >"$dir/configure.log" 2>&1 ||
        { echo "error: configuring ${hash:0:12} failed; see $dir/configure.log" >&2; exit 1; }
      cmake --build "$dir/build" --target nlhf-sweep >"$dir/build.log" 2>&1 ||
        { echo "error: building ${hash:0:12} failed; see $dir/build.log" >&2; exit 1; }
    fi
    exec 9>&-
  fi
fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
source scripts/bench_timed.sh  # timed MODE BIN JOBS NAME (replace: the runs below replace the previous ones, as before)
# The same work: both traces hold the same number of rows.
timed replace "$other" 2 other >/dev/null
timed replace "$this" 2 this >/dev/null
rows_other=$(wc -l <"$out/other/trace.csv")
rows_this=$(wc -l <"$out/this/trace.csv")
[[ $rows_other == "$rows_this" ]] ||
  { echo "error: the two builds wrote $rows_other and $rows_this trace lines: not the same work" >&2; exit 1; }

results=$out/times
for ((p = 1; p <= pairs; ++p)); do
  for jobs in 2 1; do
    # Which build goes first alternates, so a drift in the machine's speed favours neither.
    if ((p % 2)); then
      a=$(timed replace "$other" "$jobs" other); b=$(timed replace "$this" "$jobs" this)
    else
      b=$(timed replace "$this" "$jobs" this); a=$(timed replace "$other" "$jobs" other)
    fi
    echo "$jobs $a $b" >>"$results"
  done
done

label=${hash:+${hash:0:12}}
label=${label:-$other}
echo "EGPO figure workload (bench/egpo_sweep.yaml), alternating pairs: $pairs, $(date -u '+%Y-%m-%d %H:%M UTC'):"
for jobs in 2 1; do
  awk -v jobs="$jobs" -v label="$label" -v hash="$hash" '
    function median(v, n,   i, j, t) {
      for (i = 2; i <= n; ++i) { t = v[i]; for (j = i - 1; j >= 1 && v[j] > t; --j) v[j + 1] = v[j]; v[j + 1] = t }
      return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
    }
    $1 == jobs { ++n; a[n] = $2; b[n] = $3; r[n] = $2 / $3 }
    END {
      ma = median(a, n); mb = median(b, n); mr = median(r, n)
      printf "--jobs %s: %s %.3f s, this build %.3f s; %s / this build: %.2fx (median of the pairs)\n", jobs, label, ma, mb, label, mr
      if (hash ~ /^fcf0aa2/) {
        before = jobs == 2 ? 0.35 : 0.53
        printf "  the authors\047 script: 14.3 s against fcf0aa2\047s %.2f s on the issue\047s day (%.0fx), so this build is about %.0fx faster than it\n", before, 14.3 / before, 14.3 / before * mr
      }
    }' "$results"
done
