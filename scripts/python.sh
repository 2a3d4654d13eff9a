#!/usr/bin/env bash
# Runs Python with matplotlib, numpy and pandas available: the first interpreter on PATH that has
# them, else Debian's /usr/bin/python3 (installed with them by scripts/setup.sh).
# Usage: scripts/python.sh plots/SCRIPT.py ARGS...
set -euo pipefail
for py in "${NLHF_PYTHON:-}" python3 /usr/bin/python3; do
  [[ -n "$py" ]] || continue
  if command -v "$py" >/dev/null 2>&1 && "$py" -c 'import matplotlib, numpy, pandas' >/dev/null 2>&1; then
    exec "$py" "$@"
  fi
done
echo "error: no Python with matplotlib, numpy and pandas; run 'bash scripts/setup.sh' (installs python3-matplotlib, python3-numpy, python3-pandas for /usr/bin/python3) or set NLHF_PYTHON" >&2
exit 2
