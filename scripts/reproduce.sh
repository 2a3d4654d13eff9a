#!/usr/bin/env bash
# Reproduces the papers' experiments (experiments/README.md): builds if needed, runs every experiment
# with nlhf-sweep (resumable), draws the figures and prints the claims table.
# Usage: bash scripts/reproduce.sh [--quick] [--out DIR] [--jobs N] [NAME...]   (--help, --list)
set -euo pipefail
# No cd: a relative --out is relative to where the user is (build.sh finds the root itself).
root="$(cd "$(dirname "$0")/.." && pwd)"
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
