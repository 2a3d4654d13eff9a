#!/usr/bin/env bash
# The README's Quickstart block holds exactly two command lines, and .ci/run runs the second one
# verbatim (docs/cli.md); the next section is the paper reproduction with its one command.
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
next_section=$(awk '/^## Quickstart/{q=1;next} q&&/^## /{print;exit}' "$root/README.md")
if [[ "$next_section" != "## Reproduce the papers" ]]; then
  echo "FAIL: the section after the Quickstart is '$next_section', expected '## Reproduce the papers'"; echo "1 passed, 1 failed"; exit 1
fi
command=$(awk '/^## Reproduce the papers/{q=1} q&&/^```sh/{f=1;next} f&&/^```/{exit} f' "$root/README.md")
if [[ "$command" != "bash scripts/reproduce.sh --quick" || ! -f "$root/scripts/reproduce.sh" ]]; then
  echo "FAIL: the reproduction section's command is '$command', expected 'bash scripts/reproduce.sh --quick'"; echo "1 passed, 1 failed"; exit 1
fi
echo "2 passed, 0 failed"
