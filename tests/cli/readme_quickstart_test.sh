#!/usr/bin/env bash
# The README's Quickstart block holds exactly two command lines, and .ci/run runs the second one
# verbatim (docs/cli.md).
set -u
root="$(cd "$(dirname "$0")/../.." && pwd)"
block=$(awk '/^## Quickstart/{q=1} q&&/^```sh/{f=1;next} f&&/^```/{exit} f' "$root/README.md")
lines=$(grep -cve '^\s*$' -e '^\s*#' <<<"$block")
if [[ $lines -ne 2 ]]; then
  echo "FAIL: the Quickstart block has $lines command lines, expected 2"; echo "$block"; echo "0 passed, 1 failed"; exit 1
fi
test_line=$(grep -ve '^\s*$' -e '^\s*#' <<<"$block" | sed -n 2p)
if ! grep -qxF -- "$test_line" "$root/.ci/run"; then
  echo "FAIL: .ci/run does not run the README's test line verbatim: $test_line"; echo "0 passed, 1 failed"; exit 1
fi
echo "1 passed, 0 failed"
