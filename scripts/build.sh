#!/usr/bin/env bash
# Set up (missing system packages only), configure and build the release preset into build/.
# Idempotent and quick when nothing changed. Binaries land in build/bin/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release
