#!/usr/bin/env bash
# nlhf-equilibrium on good and bad input: exit codes, one `error:` line, the message text.
# Usage: equilibrium_cli_test.sh BIN_DIR
set -u
bin="$1/nlhf-equilibrium"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
pass=0

check() {  # check NAME EXPECTED_EXIT PATTERN -- ARGS...
  local name=$1 want=$2 pattern=$3
  shift 4
  "$bin" "$@" >"$tmp/out" 2>"$tmp/err"
  local got=$?
  local text
  text=$(cat "$tmp/out" "$tmp/err")
  if [[ $got -ne $want ]]; then
    echo "FAIL $name: exit $got, expected $want"; echo "$text"; failures=$((failures + 1)); return
  fi
  if ! grep -qE -- "$pattern" <<<"$text"; then
    echo "FAIL $name: output lacks /$pattern/"; echo "$text"; failures=$((failures + 1)); return
  fi
  if [[ $want -eq 2 ]]; then
    local lines
    lines=$(wc -l <"$tmp/err")
    if [[ $lines -ne 1 ]] || ! grep -q '^error: ' "$tmp/err" || [[ -s "$tmp/out" ]]; then
      echo "FAIL $name: expected exactly one 'error:' line on stderr and nothing on stdout"
      cat "$tmp/err"; failures=$((failures + 1)); return
    fi
  fi
  pass=$((pass + 1))
}

printf '0.5,0.25,1\n0.75,0.5,0.45\n0,0.55,0.5\n' >"$tmp/P.csv"
printf '0.5,0.2\n0.7,0.5\n' >"$tmp/bad.csv"
printf '0.5,x\n0.5,0.5\n' >"$tmp/nan.csv"

check default 0 'gap_beta .* <= 1e-12' --
# Ratios of nothing are said to be undefined, never printed as 0: every pair tied (A = 0); n = 2.
printf '0.5,0.5,0.5\n0.5,0.5,0.5\n0.5,0.5,0.5\n' >"$tmp/ties.csv"
check tied_hodge 0 'cyclic triples 0/1 \(0\.000\), .*Hodge cyclic ratio undefined \(every pair tied' -- --game "matrix(path=$tmp/ties.csv)"
check two_triples 0 'cyclic triples 0/0, .*Hodge cyclic ratio [0-9]' -- --game 'random_uniform(n=2)'
check rps_pi 0 '0\.36' -- --game 'rps3(x=0.9,y=0.9,z=0.8)' --beta 0.01
# One entry per registered solver with a stability limit (its registry traits), in registry order.
# (Entry by entry: a new solver with a limit adds its own, wherever the registry puts it.)
rps=(--game 'rps3(x=0.9,y=0.9,z=0.8)' --beta 0.01)
check stable_steps 0 '^rho = 0\.2089 \(spectral radius of A D\(pi\*\)\); stable steps: [a-z]' -- "${rps[@]}"
for entry in 'nash_mp eta < 0\.05253' 'egpo eta < 4\.991' 'omd eta < 0\.4573 \(best 0\.2286\)' 'mmd eta < 0\.4594 \(best 0\.2292\)'; do
  check "stable_steps.$entry" 0 "stable steps: (.*, )?$entry(,|$)" -- "${rps[@]}"
done
bt=(--game 'bradley_terry(n=20)' --beta 1)
for entry in 'nash_mp eta < inf' 'egpo eta < 1\.993' 'omd eta < 1 \(best 0\.9989\)' 'mmd eta < inf \(best 871\)'; do
  check "stable_steps_inf.$entry" 0 "stable steps: (.*, )?$entry(,|$)" -- "${bt[@]}"
done
check matrix 0 'matrix\(path=' -- --game "matrix(path=$tmp/P.csv)" --beta 0.001
check list_games 0 'bradley_terry' -- --list games
check list_refs 0 'softmax_normal' -- --list references
check list_metrics 0 'gap_beta' -- --list metrics
check help 0 'Usage: nlhf-equilibrium' -- --help
check list_solvers 0 'nash_mp' -- --list solvers
check bad_list 2 "error: --list: 'bogus' is not a listing, expected games, references, solvers or metrics" -- --list bogus
check unknown_game 2 "error: game.type: unknown game 'bradly_terry' \(did you mean 'bradley_terry'\?\)" -- --game bradly_terry
check unknown_param 2 "error: game.scael: unknown parameter 'scael' \(did you mean 'scale'\?\)" -- --game 'bradley_terry(scael=2)'
check seed_range 2 "error: --seed: '9000000000000000001' is out of range, expected integer in \[0, 9000000000000000000\]" -- --seed 9000000000000000001
check seed_text 2 "error: --seed: 'abc' is not an integer, expected integer in \[0, 9000000000000000000\]" -- --seed abc
check spec_seed_range 2 "error: game.seed: '9000000000000000001' is out of range, expected integer in \[0, 9000000000000000000\]" -- --game 'random_uniform(seed=9000000000000000001)'
check out_of_range 2 "error: game.n: '1' is out of range, expected integer in \[2, 100000\]" -- --game 'random_uniform(n=1)'
check negative_beta 2 "error: --beta: '-0.1' is not allowed, expected 0 or a number in \[1e-08, 1e\+06\]" -- --beta -0.1
# Outside the experiments' range pi*_beta cannot be certified in double precision (a certificate below
# 0 at 1e-30, an internal error at 1e-100, overflowing limits at 1e300): refused.
check tiny_beta 2 "error: --beta: '1e-30' is not allowed, expected 0 or a number in \[1e-08, 1e\+06\]" -- --beta 1e-30
check huge_beta 2 "error: --beta: '1e300' is not allowed" -- --beta 1e300
# A beta that underflows to 0 is refused, not solved as the unregularized game; nor is a beta that
# overflows, or text.
check underflow_beta 2 "error: --beta: '1e-400' underflows \(too small for a double\), expected 0 or a number in" -- --beta 1e-400
check denormal_beta 2 "error: --beta: '2e-320' is not allowed, expected 0 or a number" -- --beta 2e-320
check overflow_beta 2 "error: --beta: '1e400' overflows \(too large for a double\)" -- --beta 1e400
check text_beta 2 "error: --beta: '0.1x' is not a finite number, expected 0 or a number in" -- --beta 0.1x
check inf_beta 2 "error: --beta: 'inf' is not a finite number" -- --beta inf
check nan_beta 2 "error: --beta: 'nan' is not a finite number" -- --beta nan
# As a YAML beta is read: one leading '+' is allowed.
check plus_beta 0 'gap_beta .* <= 1e-12' -- --beta +0.1
# beta = 0: the unregularized game's Nash equilibrium, its support, uniqueness and selection.
check zero_beta 0 '^  unique     yes: the Nash set is a point$' -- --game 'rps3(x=0.9,y=0.9,z=0.8)' --beta 0
check zero_beta_pi 0 '^       1      0\.2727272727' -- --game 'rps3(x=0.9,y=0.9,z=0.8)' --beta 0
check zero_beta_value 0 'value LP   optimal \(COIN-OR CLP\), v = 0\.5' -- --beta 0
check zero_beta_tie 0 'no: the Nash set has dimension 1' -- --game 'tournament(n=9,ties=0.3,seed=3)' --beta 0 --selection max_entropy
check zero_beta_rule 0 'selection  max_entropy: argmin KL' -- --game 'tournament(n=9,ties=0.3,seed=3)' --beta 0 --selection max_entropy
check zero_beta_support 0 'support    4/9 actions \{1,4,5,6\}' -- --game 'tournament(n=9,ties=0.3,seed=3)' --beta 0
check bad_selection 2 "error: --selection: 'maxent' is not a selection rule, expected kl_projection or max_entropy" -- --beta 0 --selection maxent
check selection_needs_zero 2 "error: --selection: is for --beta 0 only" -- --beta 0.1 --selection max_entropy
check zero_beta_implicit 2 "error: beta: 0 needs the game's entries" -- --game 'low_rank_cyclic(n=100,k=2)' --beta 0
check non_numeric_beta 2 "error: .*beta" -- --beta abc
check unknown_flag 2 "error: .*unrecognised option '--bogus'" -- --bogus
check missing_file 2 "error: $tmp/none.csv: game.path: cannot open the file" -- --game "matrix(path=$tmp/none.csv)"
check not_skew 2 "error: $tmp/bad.csv:1:5: game.path: P\[0\]\[1\] \+ P\[1\]\[0\] = 0.2 \+ 0.7 = 0.8999999999999999, expected P \+ P\^T = 1" -- --game "matrix(path=$tmp/bad.csv)"
check non_numeric_csv 2 "error: $tmp/nan.csv:1:5: game.path: 'x' is not a number" -- --game "matrix(path=$tmp/nan.csv)"
check bad_spec 2 "error: spec 'rps3\(x=0.9': missing '\)'" -- --game 'rps3(x=0.9'

# pi*'s work beyond the memory available (here an address-space limit of 160 MB; at worst it needs
# 153 MiB beyond the game): a warning first, then the solve or the clean "not enough memory" (exit
# 2), never a crash. With room, no warning. (Not in sanitized builds, which reserve terabytes of
# address space.)
if [[ ${NLHF_SANITIZED:-0} != 1 ]]; then
  (ulimit -v $((160 * 1024)); exec "$bin" --game 'low_rank_cyclic(n=200000,k=1)' --beta 0.1) >"$tmp/out" 2>"$tmp/err"
  got=$?
  if ! grep -qE "^warning: pi\*'s work may need up to 153 MiB at n = 200000 \(at worst\), more than the [0-9]+ MiB available" "$tmp/err" ||
     ! { [[ $got -eq 0 ]] || { [[ $got -eq 2 ]] && [[ $(wc -l <"$tmp/err") -eq 2 ]] &&
                                grep -q '^error: not enough memory (an allocation failed)' "$tmp/err"; }; }; then
    echo "FAIL memory_warning: exit $got"; cat "$tmp/err"; failures=$((failures + 1))
  else
    pass=$((pass + 1))
  fi
  # (Where at least 1 GiB is free, by /proc/meminfo and any cgroup limit.)
  free_kb=$(awk '/^MemAvailable:/ {print $2}' /proc/meminfo)
  if [[ -r /sys/fs/cgroup/memory.max && $(cat /sys/fs/cgroup/memory.max) != max ]]; then
    cg_kb=$((($(cat /sys/fs/cgroup/memory.max) - $(cat /sys/fs/cgroup/memory.current)) / 1024))
    ((cg_kb < free_kb)) && free_kb=$cg_kb
  fi
  if ((free_kb > 1048576)); then
    "$bin" --game 'low_rank_cyclic(n=200000,k=1)' --beta 0.1 >"$tmp/out" 2>"$tmp/err"
    if [[ $? -ne 0 ]] || [[ -s "$tmp/err" ]]; then
      echo "FAIL memory_room: expected exit 0 and nothing on stderr"; cat "$tmp/err"; failures=$((failures + 1))
    else
      pass=$((pass + 1))
    fi
  fi
fi

echo "$pass passed, $failures failed"
[[ $failures -eq 0 ]]
