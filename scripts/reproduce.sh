#!/usr/bin/env bash
# Reproduces the papers' experiments (experiments/README.md): builds if needed, runs every experiment
# with nlhf-sweep (resumable), draws the figures and prints the claims table.
# Usage: bash scripts/reproduce.sh [--quick] [--out DIR] [--jobs N] [NAME...]   (--help, --list)
set -euo pipefail
# No cd: a relative --out is relative to where the user is (build.sh finds the root itself).
root="$(cd "$(dirname "$0")/.." && pwd)"
# The arguments first, so that a typo is one error line, not a build (--help and --list end here).
# Skipped on a machine without Python's packages yet: the build's setup installs them.
if bash "$root/scripts/python.sh" -c '' >/dev/null 2>&1; then
  rc=0
  bash "$root/scripts/python.sh" "$root/scripts/reproduce.py" --usage-only "$@" || rc=$?
  [[ $rc == 10 ]] || exit "$rc"
fi
# Build first (a no-op in well under a second when nothing changed); the log only on failure.
log=$(mktemp)
if ! bash "$root/scripts/build.sh" >"$log" 2>&1; then
  cat "$log" >&2
  rm -f "$log"
  echo "error: the build failed (output above)" >&2
  exit 2
fi
rm -f "$log"
exec bash "$root/scripts/python.sh" "$root/scripts/reproduce.py" "$@"
