# Sourced by scripts/bench.sh (egpo) and scripts/bench_against.sh, which set LC_ALL=C (bash writes
# $EPOCHREALTIME with the locale's decimal point, which awk must read) and $out (their scratch
# folder).
# timed MODE BIN JOBS NAME [RSS_FILE]: one run of BIN (an nlhf-sweep) on the EGPO figure workload
# (bench/egpo_sweep.yaml) into $out/NAME with --jobs JOBS; prints its wall time in seconds, from
# bash's microsecond clock around the process. MODE:
#   new      the figure computed into a new directory: a previous $out/NAME is deleted first,
#            outside the timing
#   replace  with --force over the previous run's output, whose deletion (a 61 MB trace: 20-23 ms
#            more than `new` on 2026-12-07) is then timed too
# With RSS_FILE the run goes through GNU time, which writes its peak RSS (KB) there, and whose own
# start (about 1 ms) the wall then includes.
timed() {
  local mode=$1 bin=$2 jobs=$3 name=$4 rss=${5:-} start end
  local run=("$bin" bench/egpo_sweep.yaml --out "$out/$name" --quiet --jobs "$jobs")
  case $mode in
    new) rm -rf "${out:?}/${name:?}" ;;
    replace) run+=(--force) ;;
    *) echo "error: timed: mode '$mode' is not new or replace" >&2; return 2 ;;
  esac
  [[ -z $rss ]] || run=(/usr/bin/time -o "$rss" -f "%M" "${run[@]}")
  start=$EPOCHREALTIME
  # (set -e does not reach into the $(...) that calls this: a failed run must fail it here.)
  "${run[@]}" >/dev/null ||
    { echo "error: $bin failed on bench/egpo_sweep.yaml with --jobs $jobs (its message is above)" >&2; return 1; }
  end=$EPOCHREALTIME
  awk -v a="$start" -v b="$end" 'BEGIN { printf "%.6f\n", b - a }'
}
