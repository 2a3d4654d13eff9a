# Sourced by scripts/bench.sh (egpo) and scripts/bench_against.sh, which set LC_ALL=C (bash writes
# $EPOCHREALTIME with the locale's decimal point, which awk must read) and $out (their scratch
# folder).
# timed BIN JOBS NAME [RSS_FILE]: one run of BIN (an nlhf-sweep) on the EGPO figure workload
# (bench/egpo_sweep.yaml) into $out/NAME with --jobs JOBS; prints its wall time in seconds, from
# bash's microsecond clock around the process. With RSS_FILE the run goes through GNU time, which
# writes its peak RSS (KB) there, and whose own start (about 1 ms) the wall then includes.
timed() {
  local bin=$1 jobs=$2 name=$3 rss=${4:-} start end
  local run=("$bin" bench/egpo_sweep.yaml --out "$out/$name" --force --quiet --jobs "$jobs")
  [[ -z $rss ]] || run=(/usr/bin/time -o "$rss" -f "%M" "${run[@]}")
  start=$EPOCHREALTIME
  # (set -e does not reach into the $(...) that calls this: a failed run must fail it here.)
  "${run[@]}" >/dev/null ||
    { echo "error: $bin failed on bench/egpo_sweep.yaml with --jobs $jobs (its message is above)" >&2; return 1; }
  end=$EPOCHREALTIME
  awk -v a="$start" -v b="$end" 'BEGIN { printf "%.6f\n", b - a }'
}
