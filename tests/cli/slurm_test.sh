#!/usr/bin/env bash
# The script of `nlhf-sweep --emit-slurm` on a real SLURM cluster: a private one-node cluster
# (munged, slurmctld, slurmd from Debian) in a temp directory runs the emitted job array and its
# dependent merge job; the merged files must equal a local single-process run, and hostile file names
# (quotes, $(...), backticks, spaces, %) must arrive intact and run nothing. Settings and caveats:
# ../shared/SLURM.md. Needs root and the packages of `scripts/setup.sh --with-slurm`; otherwise it
# skips (exit 77). Usage: slurm_test.sh BIN_DIR
set -u
bin="$1"
skip() { echo "SKIP: $*"; exit 77; }
[[ $(id -u) -eq 0 ]] || skip "needs root to run SLURM daemons"
for tool in munged mungekey slurmctld slurmd sbatch scontrol sinfo scancel; do
  command -v "$tool" >/dev/null 2>&1 || skip "$tool not installed (bash scripts/setup.sh --with-slurm)"
done

d=$(mktemp -d /tmp/nlhfslurm.XXXXXX)  # short: the munge socket path must stay under 108 bytes
pids=()
teardown() {
  if [[ -f "$d/slurm.conf" ]]; then
    SLURM_CONF="$d/slurm.conf" scancel --quiet --user=root >/dev/null 2>&1 || true
  fi
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  rm -rf "$d"
}
trap teardown EXIT
fail() {
  echo "FAIL: $*"
  for log in "$d"/log/*.log "${logs:-$d/logs}"/*; do [[ -f $log ]] && { echo "--- $log"; tail -20 "$log"; }; done
  echo "0 passed, 1 failed"
  exit 1
}

mkdir -p "$d/munge" "$d/run" "$d/state" "$d/spool" "$d/log"
chmod 700 "$d/munge"
chmod 755 "$d/run"
mungekey -c -k "$d/munge/munge.key" >/dev/null 2>&1 || fail "mungekey"
munged -F --socket="$d/run/munge.sock" --key-file="$d/munge/munge.key" --seed-file="$d/munge/seed" \
  --pid-file="$d/run/munged.pid" --log-file="$d/log/munged.log" --force >/dev/null 2>&1 &
pids+=($!)

host=$(hostname -s)
port=$((20000 + RANDOM % 20000))
node=$(slurmd -C 2>/dev/null | head -1)
[[ $node == NodeName=* ]] || fail "slurmd -C printed no node line"
cat >"$d/slurm.conf" <<EOF
ClusterName=nlhftest
SlurmctldHost=${host}(127.0.0.1)
SlurmctldPort=${port}
SlurmdPort=$((port + 1))
AuthType=auth/munge
AuthInfo=socket=$d/run/munge.sock
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$d/state
SlurmdSpoolDir=$d/spool
SlurmctldPidFile=$d/run/slurmctld.pid
SlurmdPidFile=$d/run/slurmd.pid
SlurmctldLogFile=$d/log/slurmctld.log
SlurmdLogFile=$d/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
SchedulerParameters=bf_interval=1
DependencyParameters=kill_invalid_depend
EnforcePartLimits=ALL
MinJobAge=3600
${node}
PartitionName=nlhftest Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF="$d/slurm.conf"
for _ in $(seq 50); do [[ -S "$d/run/munge.sock" ]] && break; sleep 0.1; done
[[ -S "$d/run/munge.sock" ]] || fail "munged did not start"
slurmctld -D -f "$SLURM_CONF" >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 100); do scontrol ping 2>/dev/null | grep -q UP && break; sleep 0.1; done
scontrol ping 2>/dev/null | grep -q UP || fail "slurmctld did not come up"
slurmd -D -f "$SLURM_CONF" >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 100); do sinfo -h -o %t 2>/dev/null | grep -q idle && break; sleep 0.1; done
sinfo -h -o %t 2>/dev/null | grep -q idle || fail "the node did not become idle: $(sinfo 2>&1)"

# Hostile names (quotes, $(...), spaces, %) must reach the jobs unchanged and run nothing.
sweep="$d/s'\$(touch PWNED)'.yaml"
cluster="$d/clus ter \"\$(touch PWNED)\""
logs="$d/lo\`touch PWNED\`gs 100%"
cat >"$sweep" <<'EOF'
name: slurm
game: {type: random_uniform, n: 6}
beta: 0.1
seeds: [0, 1]
solvers: [{name: nash_mp}, {name: omd}]
stop: {iterations: 100}
log: {every: 10}
sweep:
  game.n: [4, 5, 6]
EOF
"$bin/nlhf-sweep" "$sweep" --out "$d/local" --quiet >/dev/null || fail "local run"
"$bin/nlhf-sweep" "$sweep" --emit-slurm --shards 3 --partition nlhftest --time 00:10:00 \
  --log-dir "$logs" --out "$cluster" >"$d/submit.sh" || fail "--emit-slurm"
submitted=$(cd "$d" && bash "$d/submit.sh" 2>&1) || fail "submitting: $submitted"
merge=$(sed -n 's/.*merge as job \([0-9]*\).*/\1/p' <<<"$submitted")
array=$(sed -n 's/.*shards as job \([0-9]*\) .*/\1/p' <<<"$submitted")
[[ -n $merge && -n $array ]] || fail "no job ids in: $submitted"

# No accounting here: poll scontrol until the merge job reaches a final state.
state=""
for _ in $(seq 600); do
  state=$(scontrol show job -o "$merge" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p')
  case "$state" in COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY) break ;; esac
  sleep 0.2
done
[[ $state == COMPLETED ]] || fail "merge job $merge ended $state; array: $(scontrol show job -o "$array" 2>&1 | head -3)"
# Job states can say COMPLETED for steps that never ran: check the files the jobs wrote.
for k in 1 2 3; do [[ -d "$cluster/shard-$k/.parts" ]] || fail "shard $k wrote nothing"; done
[[ -f "$logs/merge.out" ]] || fail "the merge job wrote no log"
[[ -z $(find "$d" -name PWNED) ]] && [[ ! -e PWNED ]] || fail "a file name was run as a command"
python3 - "$d/local" "$cluster" <<'EOF' || fail "the cluster's merged output differs from the local run"
import csv, os, sys
def rows(d, name):
    with open(os.path.join(d, name)) as f:
        return [{k: v for k, v in r.items() if k != "wall_s"} for r in csv.DictReader(f)]
for name in ("trace.csv", "runs.csv", "summary.csv"):
    a, b = rows(sys.argv[1], name), rows(sys.argv[2], name)
    if a != b or not a:
        print(f"{name}: {len(a)} local rows, {len(b)} cluster rows")
        sys.exit(1)
EOF
echo "SLURM: array job $array (3 shards) and merge job $merge completed; merged output equals the local run"
echo "1 passed, 0 failed"
