#!/usr/bin/env bash
# `make demo` and `make drift` against the local plane (or DATABRICKS_HOST if set).
#   tools/demo.sh up      # start the plane, recover from an interrupted run, pulumi up the
#                         # example stack, outputs, drift gate
#   tools/demo.sh drift   # interrupted-run findings (stack lock, pending operations), then
#                         # pulumi preview --refresh --expect-no-changes, then servingops
#                         # drift: fields that drifted, endpoints no file declares
# Ctrl-C (or SIGTERM to make or to this script) cancels Pulumi cleanly; a second one forces it.
set -euo pipefail
cd "$(dirname "$0")/.."
STACK=${SERVINGOPS_STACK:-local}

# engine ARGS: `python -m providers.engine ARGS`, and stay with it until it exits.
# A terminal's Ctrl-C reaches Pulumi directly (we share its process group) and the wrapper
# knows not to pass it on twice; SIGTERM or SIGHUP sent to this script alone (make passes
# SIGTERM on to it) go to the wrapper, which turns them into Pulumi's clean cancel. After an
# interrupt the script stops with 128 + the signal, even inside `if`.
ENGINE_PID=""
engine() {
  local rc=0 fired="" stop=""
  .venv/bin/python -m providers.engine "$@" &
  ENGINE_PID=$!
  trap 'fired=1; stop=${stop:-130}' INT
  trap 'fired=1; stop=${stop:-143}; kill -TERM "$ENGINE_PID" 2>/dev/null || true' TERM
  trap 'fired=1; stop=${stop:-129}; kill -HUP "$ENGINE_PID" 2>/dev/null || true' HUP
  while :; do
    fired=""
    wait "$ENGINE_PID" && rc=0 || rc=$?
    [ -n "$fired" ] || break  # else a trap cut the wait short: the wrapper still runs
  done
  trap - INT TERM HUP
  if [ -n "$stop" ]; then exit "$stop"; fi
  if [ "$rc" -gt 128 ] && [ "$rc" -lt 160 ]; then exit "$rc"; fi  # interrupted or killed
  return "$rc"
}

pulumi_() { engine pulumi "$@" --stack "$STACK" --non-interactive; }

LOCAL_PLANE=""
connect() {
  if [ -z "${DATABRICKS_HOST:-}" ]; then
    LOCAL_PLANE=1
    bash tools/plane.sh start
    # shellcheck disable=SC1091
    . .servingops/plane.env
  fi
  engine pulumi stack select "$STACK" --create --non-interactive >/dev/null
}

# finding CMD...: run an engine check; exit 0 is clean, 1 a finding, anything else stops us.
FINDINGS=0
finding() {
  local rc=0
  engine "$@" || rc=$?
  case $rc in
    0) ;;
    1) FINDINGS=1 ;;
    *) exit "$rc" ;;
  esac
}

drift() {
  echo "== interrupted runs: stack lock, pending operations"
  finding locks --stack "$STACK"
  finding pending --stack "$STACK"
  echo "== drift gate: pulumi preview --refresh --expect-no-changes"
  local rc=0
  pulumi_ preview --refresh --expect-no-changes --diff || rc=$?
  if [ "$rc" -eq 0 ]; then
    echo "no drift: every endpoint matches its file"
  else
    FINDINGS=1
  fi
  # servingops drift: 0 clean, 2 drift or an endpoint no file declares, 1 it could not run.
  echo "== field by field, and live endpoints no file declares: servingops drift"
  rc=0
  .venv/bin/servingops drift endpoints --stack "$STACK" || rc=$?
  case $rc in
    0) ;;
    2) FINDINGS=1 ;;
    *) echo "servingops drift could not run (exit $rc)" >&2; exit "$rc" ;;
  esac
  if [ "$FINDINGS" -ne 0 ]; then
    echo "drift gate failed: see the findings above (\`make demo\` converges the stack)"
    return 1
  fi
}

up() {
  .venv/bin/servingops validate endpoints --policy policies/dev.yaml
  pulumi_ config set servingops:policy policies/dev.yaml  # the demo stack's policy
  echo "== recover from an interrupted run, if any (stale lock, pending operations)"
  engine recover --stack "$STACK"
  echo "== pulumi up (creates/updates endpoints, waits, smoke-checks each)"
  pulumi_ up --yes --refresh
  echo "== outputs"
  pulumi_ stack output --json
  serving_page
  drift
}

# serving_page: where the local plane's web page is and how to log in (never the token).
serving_page() {
  [ -n "$LOCAL_PLANE" ] || return 0
  echo "== serving page"
  echo "open ${DATABRICKS_HOST}/ in a browser and log in with the plane's token:"
  echo "  DATABRICKS_TOKEN in .servingops/plane.env (grep DATABRICKS_TOKEN .servingops/plane.env)"
}

connect
case "${1:-up}" in
  up) up ;;
  drift) drift ;;
  *) echo "usage: $0 up|drift" >&2; exit 2 ;;
esac
