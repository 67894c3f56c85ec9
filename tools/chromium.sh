#!/usr/bin/env bash
# `make chromium`: install Debian's Chromium for the browser tests (tests/browser), from the
# system package manager only (Playwright's own browser download is never used).
set -euo pipefail
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}  # where Debian's package puts it (tests: a fake)
if [ -x "$CHROMIUM" ]; then exit 0; fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "error: installing chromium needs root (apt-get install chromium)" >&2; exit 1; }
  SUDO=sudo
fi
command -v apt-get >/dev/null || { echo "error: no apt-get here; install Chromium as /usr/bin/chromium by hand" >&2; exit 1; }
echo "== installing Debian's chromium for the browser tests"
# `env` after sudo: sudo's env_reset would drop a DEBIAN_FRONTEND set before it, and a
# dependency such as tzdata then stops to ask a question
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
if [ ! -x "$CHROMIUM" ]; then
  echo "error: apt-get installed chromium but $CHROMIUM is missing (not Debian's package?);" \
    "put a Chromium binary there by hand" >&2
  exit 1
fi
echo "chromium installed: $("$CHROMIUM" --version 2>/dev/null | head -1)"
