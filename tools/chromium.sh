#!/usr/bin/env bash
# `make chromium`: install Debian's Chromium for the browser tests (tests/browser), from the
# system package manager only (Playwright's own browser download is never used).
set -euo pipefail
if [ -x /usr/bin/chromium ]; then exit 0; fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "error: installing chromium needs root (apt-get install chromium)" >&2; exit 1; }
  SUDO=sudo
fi
command -v apt-get >/dev/null || { echo "error: no apt-get here; install Chromium as /usr/bin/chromium by hand" >&2; exit 1; }
echo "== installing Debian's chromium for the browser tests"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
test -x /usr/bin/chromium
echo "chromium installed: $(/usr/bin/chromium --version 2>/dev/null | head -1)"
