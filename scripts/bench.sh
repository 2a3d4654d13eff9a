#!/usr/bin/env bash
# Runs one benchmark and prints its README Performance table.
#   scripts/bench.sh core|solvers [Google Benchmark flags]   bench/ programs; default flags: 5
#                                                            repetitions, medians reported
#   scripts/bench.sh oracle [flags]                          queries/s of a sampled oracle (B = 64) vs one
#                                                            exact P·π, and a sampled vs exact omd step,
#                                                            at n = 10 and 1000 (BM_Oracle* in core and
#                                                            solvers; default flags as above)
#   scripts/bench.sh run                                     times the whole nlhf-run command on
#                                                            bench/egpo_workload.yaml, 5 times each
#                                                            with --jobs 1 and 2, and on
#                                                            bench/theory_check.yaml (one long nash_mp
#                                                            run) 5 times; prints the medians
#   scripts/bench.sh sweep                                   nlhf-sweep throughput (--jobs 1 vs 2 on
#                                                            bench/sweep_throughput.yaml) and overhead
#                                                            per run (bench/sweep_overhead.yaml), with
#                                                            its ratio to the solver steps (medians of 9)
#   scripts/bench.sh egpo                                    times the whole nlhf-sweep command on
#                                                            bench/egpo_sweep.yaml (the EGPO beta = 0.01
#                                                            figure workload), 9 times each with --jobs 1
#                                                            and 2, into a new directory and with --force
#                                                            over the last output; prints the median wall
#                                                            time (ms), its ratio to the authors' 14.3 s
#                                                            and the median run's peak RSS
#   scripts/bench.sh egpo --against REV|DIR [PAIRS]          the --force runs, alternately with another build
#                                                            (DIR holding its nlhf-sweep, or a git
#                                                            revision built once into build-rev-HASH/),
#                                                            PAIRS pairs each (default 9): the medians
#                                                            and the median of the pairs' ratios. For
#                                                            fcf0aa2 (the release of issue 12's
#                                                            "before" figures; the issue timed main
#                                                            then against the authors' script) it
#                                                            also prints that ratio carried over to
#                                                            this build
#   scripts/bench.sh rss                                     peak RSS of nlhf-run writing a 1 000 001-row
#                                                            trace (omd on rps3, 10^6 iterations)
#   scripts/bench.sh expand [N] [M]                          sweep expansion: N listed values and a
#                                                            100 x M product (scripts/bench_sweep_expand.sh)
#   scripts/bench.sh python                                  the Python module's cost over the C++ it calls
#                                                            (bench/bench_python.py: nlhf.run vs nlhf-run,
#                                                            step() from a Python loop, zero-copy P)
#   scripts/bench.sh tolerance [flags]                       whole omd runs (RunSolver) stopped by a
#                                                            gap_beta tolerance vs the same number of
#                                                            plain iterations, and with gap_beta logged
#                                                            at every iteration: tolerance 1e-12 at
#                                                            n = 10, 100, 1000, and the gap after 5000 /
#                                                            200 iterations at n = 10 / 1000 (BM_Run in
#                                                            solvers). The ratios are a few % and this
#                                                            machine's speed drifts by more between
#                                                            seconds, so by default each ratio is the
#                                                            median over rounds of the two runs' ratio
#                                                            within a round (Google Benchmark's
#                                                            repetitions in random order, 10 ms each:
#                                                            300 rounds below n = 1000, 30 at it)
set -euo pipefail
# (The caller's directory, for a relative --against DIR.)
export NLHF_BENCH_CALLER_DIR=${NLHF_BENCH_CALLER_DIR:-$PWD}
cd "$(dirname "$0")/.."
kind=${1:-}
[[ $kind == core || $kind == solvers || $kind == oracle || $kind == tolerance || $kind == run || $kind == sweep ||
   $kind == egpo || $kind == rss || $kind == expand || $kind == python ]] || {
  echo "error: usage: scripts/bench.sh core|solvers|oracle|tolerance|run|sweep|egpo|rss|expand|python [benchmark flags]" >&2; exit 2; }
shift
# Exits with one error line unless build/bin/$1 was built.
need() { [[ -x build/bin/$1 ]] || { echo "error: build/bin/$1 not found; build first (bash scripts/build.sh)" >&2; exit 2; }; }
[[ $kind == expand ]] && exec bash scripts/bench_sweep_expand.sh "$@"
if [[ $kind == python ]]; then
  need nlhf-run
  [[ -d build/python/nlhf ]] || { echo "error: build/python/nlhf not found; build with pybind11 (bash scripts/build.sh)" >&2; exit 2; }
  PYTHONPATH="$PWD/build/python${PYTHONPATH:+:$PYTHONPATH}" exec bash scripts/python.sh bench/bench_python.py
fi
if [[ $kind == sweep ]]; then
  need nlhf-sweep
  out=$(mktemp -d)
  trap 'rm -rf "$out"' EXIT
  for jobs in 1 2; do
    echo "throughput, --jobs $jobs: $(build/bin/nlhf-sweep bench/sweep_throughput.yaml --out "$out/t$jobs" --jobs "$jobs" --quiet | head -1)"
  done
  # The overhead workload 9 times (each into a fresh directory), each run's ratio from its own end
  # line: (wall - solver steps) / solver steps, with the logged metrics' evaluation counted in the
  # overhead and, second, as the runs' own work; then the medians (the machine is shared: single
  # runs spread by +-15%).
  ratios=$(for rep in 1 2 3 4 5 6 7 8 9; do
    # (set -e does not reach into $(...): a failed run ends the loop, and the script, here.)
    line=$(build/bin/nlhf-sweep bench/sweep_overhead.yaml --out "$out/o$rep" --jobs 1 --quiet | sed -n 1p) &&
      [[ -n $line ]] || exit 1
    rm -rf "$out/o$rep"
    [[ $rep == 1 ]] && echo "overhead, --jobs 1, the first of 9 runs: $line" >&2
    awk '{ for (i = 1; i <= NF; ++i) { if ($(i+1) == "s" && $(i-1) ~ /before;$/) w = $i;
                                       if ($i == "steps") s = $(i+1); if ($i == "metrics") m = $(i+1) } }
         END { printf "%.3f %.3f %.3f\n", (w - s) / s, (w - s - m) / s, w }' <<<"$line"
  done)
  median() { cut -d' ' -f"$1" <<<"$ratios" | sort -n | sed -n 5p; }
  echo "overhead / solver steps, 9 runs: $(cut -d' ' -f1 <<<"$ratios" | tr '\n' ' ')"
  echo "median: $(median 1)x with the metrics counted as overhead, $(median 2)x with them as the runs' work (wall $(median 3) s)"
  exit 0
fi
if [[ $kind == egpo && ${1:-} == --against ]]; then
  exec bash scripts/bench_against.sh "${@:2}"  # (it checks build/bin/nlhf-sweep itself)
fi
if [[ $kind == egpo ]]; then
  need nlhf-sweep
  out=$(mktemp -d)
  trap 'rm -rf "$out"' EXIT
  # Wall time to the microsecond (GNU time's %e has 10 ms steps, 7% of the 0.143 s that the 100x
  # target allows); the peak RSS from GNU time (scripts/bench_timed.sh). Each repetition runs the
  # workload into a new directory, then again with --force over that output (the --force run's
  # deletion of it timed too), so the two modes see the same drift of the machine's speed.
  export LC_ALL=C
  source scripts/bench_timed.sh
  for jobs in 1 2; do
    # (Collected first: a failed run ends the script here, before any median is printed.)
    times=$(for rep in 1 2 3 4 5 6 7 8 9; do
      for mode in new replace; do
        wall=$(timed "$mode" build/bin/nlhf-sweep "$jobs" w "$out/rss") || exit 1
        echo "$mode $wall $(tail -1 "$out/rss")"
      done
    done)
    for mode in new replace; do
      awk -v m="$mode" '$1 == m { print $2, $3 }' <<<"$times" | sort -n | awk -v jobs="$jobs" -v mode="$mode" '
        { w[NR] = $1; k[NR] = $2 }
        END { m = w[5];
              what = mode == "new" ? "into a new directory" : "--force over the last output"
              printf "--jobs %d, %s, median of 9: %.1f ms wall (%.0fx the authors\047 14.3 s; runs %.1f-%.1f ms), its peak RSS %d KB\n",
                     jobs, what, 1000 * m, 14.3 / m, 1000 * w[1], 1000 * w[9], k[5] }'
    done
  done
  exit 0
fi
if [[ $kind == rss ]]; then
  need nlhf-run
  out=$(mktemp -d)
  trap 'rm -rf "$out"' EXIT
  printf 'name: rss\ngame: {type: rps3}\nreference: {type: uniform}\nbeta: 0.1\nseeds: [0]\nsolvers: [{name: omd}]\nstop: {iterations: 1000000}\nlog: {every: 1}\n' >"$out/rss.yaml"
  /usr/bin/time -f "nlhf-run, 1 000 001 trace rows: %e s wall, %M KB peak RSS" build/bin/nlhf-run "$out/rss.yaml" \
    --out "$out/o" --quiet 2>&1 >/dev/null | tail -1
  echo "trace.csv: $(du -h "$out/o/trace.csv" | cut -f1)"
  exit 0
fi
if [[ $kind == run ]]; then
  need nlhf-run
  out=$(mktemp -d)
  trap 'rm -rf "$out"' EXIT
  for jobs in 1 2; do
    for rep in 1 2 3 4 5; do
      build/bin/nlhf-run bench/egpo_workload.yaml --out "$out/w" --force --quiet --jobs "$jobs" | grep '^time:'
    done | sort -t' ' -k2 -n | sed -n 3p | sed "s/^/--jobs $jobs, median of 5: /"
  done
  for rep in 1 2 3 4 5; do
    build/bin/nlhf-run bench/theory_check.yaml --out "$out/t" --force --quiet | grep '^time:'
  done | sort -t' ' -k2 -n | sed -n 3p | sed "s/^/theory_check.yaml, median of 5: /"
  exit 0
fi
if [[ $# -eq 0 && $kind != tolerance ]]; then
  set -- --benchmark_repetitions=5 --benchmark_min_time=0.1
fi
if [[ $kind == oracle ]]; then
  # Each ratio compares two benchmarks of the same program run: estimates with one exact P·π
  # (nlhf_bench_core), sampled omd steps with exact ones (nlhf_bench_solvers).
  for b in core solvers; do
    need nlhf_bench_$b
  done
  dir=$(mktemp -d)
  trap 'rm -rf "$dir"' EXIT
  build/bin/nlhf_bench_core --benchmark_filter='^BM_OracleEstimate/' --benchmark_format=json \
    --benchmark_out="$dir/core.json" --benchmark_out_format=json "$@" >/dev/null
  build/bin/nlhf_bench_solvers --benchmark_filter='^BM_OracleStep/' --benchmark_format=json \
    --benchmark_out="$dir/solvers.json" --benchmark_out_format=json "$@" >/dev/null
  python3 scripts/bench_report.py oracle "$dir/core.json" "$dir/solvers.json"
  exit 0
fi
if [[ $kind == tolerance ]]; then
  # The ratios compare benchmarks of the same program run.
  need nlhf_bench_solvers
  dir=$(mktemp -d)
  trap 'rm -rf "$dir"' EXIT
  run() {  # run FILTER OUT FLAGS...
    build/bin/nlhf_bench_solvers --benchmark_filter="$1" --benchmark_format=json --benchmark_out="$2" \
      --benchmark_out_format=json "${@:3}" >/dev/null
  }
  if [[ $# -eq 0 ]]; then  # paired rounds (above); n = 1000's runs take 0.1-0.4 s each
    rounds=(--benchmark_enable_random_interleaving=true --benchmark_min_time=0.01)
    run '^BM_Run/omd/[a-z_]+/(10|100)/' "$dir/small.json" --benchmark_repetitions=300 "${rounds[@]}"
    run '^BM_Run/omd/[a-z_]+/1000/' "$dir/large.json" --benchmark_repetitions=30 "${rounds[@]}"
  else
    run '^BM_Run/' "$dir/all.json" "$@"
  fi
  python3 scripts/bench_report.py tolerance "$dir"/*.json
  exit 0
fi
bin=build/bin/nlhf_bench_$kind
need "nlhf_bench_$kind"
json=$(mktemp)
trap 'rm -f "$json"' EXIT
"$bin" --benchmark_format=json --benchmark_out="$json" --benchmark_out_format=json "$@" >/dev/null
python3 scripts/bench_report.py "$kind" "$json"
