#!/usr/bin/env bash
# Run lint and the whole test suite. pytest's exit 5 ("no tests ran") is a failure here.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
$BIN/ruff check . || exit 1
$BIN/mypy || exit 1
$BIN/python -m pytest "$@"
rc=$?
if [ "$rc" -eq 5 ]; then
  echo "error: pytest collected no tests; refusing to pass" >&2
  exit 1
fi
exit "$rc"
