#!/usr/bin/env bash
# Reproduces the papers' experiments (experiments/README.md): builds if needed, runs every experiment
# with nlhf-sweep (resumable), draws the figures and prints the claims table.
# Usage: bash scripts/reproduce.sh [--quick] [--out DIR] [--jobs N] [NAME...]   (--help, --list)
set -euo pipefail
cd "$(dirname "$0")/.."
# Build first (a no-op in well under a second when nothing changed); the log only on failure.
log=$(mktemp)
if ! bash scripts/build.sh >"$log" 2>&1; then
  cat "$log" >&2
  rm -f "$log"
  echo "error: the build failed (output above)" >&2
  exit 2
fi
rm -f "$log"
exec bash scripts/python.sh scripts/reproduce.py "$@"
