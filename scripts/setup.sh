#!/usr/bin/env bash
# Installs the Debian 12 packages nlhf needs, and only the missing ones.
# Idempotent: when everything is present it checks with dpkg and returns in well under a second.
# Usage: scripts/setup.sh [--with-slurm]   (as root, or with sudo available)
set -euo pipefail

packages=(
  cmake g++ ninja-build pkg-config
  libeigen3-dev libyaml-cpp-dev libboost-program-options-dev libfmt-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  nlohmann-json3-dev  # summary.json (lib/src/output)
  libspectra-dev      # Lanczos spectral radius for large n (lib/src/equilibrium.cc)
  coinor-libclp-dev   # COIN-OR CLP: the beta = 0 equilibrium's linear programs (lib/src/nash_set.cc)
  python3 python3-matplotlib python3-numpy python3-pandas
  python3-dev pybind11-dev python3-pybind11  # the Python module nlhf (python/)
  time  # GNU time: peak memory in scripts/bench_sweep_expand.sh
)
if [[ "${1:-}" == "--with-slurm" ]]; then
  packages+=(slurmctld slurmd slurm-client munge)
fi

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "setup: installing missing packages: ${missing[*]}" >&2
if [[ $(id -u) -eq 0 ]]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1; then
  sudo=(sudo)
else
  echo "error: setup: need root (or sudo) to install: ${missing[*]}" >&2
  exit 2
fi
export DEBIAN_FRONTEND=noninteractive
# Another apt (a fresh machine's unattended-upgrades, a second build started beside this one) holds
# dpkg's lock for a while: wait up to 10 minutes for it rather than fail at once.
apt=("${sudo[@]}" apt-get -o DPkg::Lock::Timeout=600)
# Each call logs to its own file, so that two setups at once do not write into one log.
log=$(mktemp /tmp/nlhf-setup.XXXXXX.log)
if ! "${apt[@]}" install -y --no-install-recommends "${missing[@]}" >"$log" 2>&1; then
  # A fresh machine has no package lists yet: refresh once and retry. (The lists' own lock is not
  # covered by DPkg::Lock::Timeout on every apt: retry while another apt holds it, up to 10 min.)
  for _ in $(seq 60); do
    "${apt[@]}" update >>"$log" 2>&1 && break
    tail -n 5 "$log" | grep -q 'Could not get lock' || break
    sleep 10
  done
  if ! "${apt[@]}" install -y --no-install-recommends "${missing[@]}" >>"$log" 2>&1; then
    echo "error: setup: apt-get could not install: ${missing[*]} (log: $log)" >&2
    # apt's own reasons (E: lines), so that the cause shows without opening the log.
    grep '^E: ' "$log" | awk '!seen[$0]++' | tail -n 3 | sed 's/^/  /' >&2 || true
    exit 2
  fi
fi
rm -f "$log"
echo "setup: done" >&2
