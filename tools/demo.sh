#!/usr/bin/env bash
# `make demo` and `make drift` against the local plane (or DATABRICKS_HOST if set).
#   tools/demo.sh up      # start the plane, pulumi up the example stack, outputs, drift gate
#   tools/demo.sh drift   # pulumi preview --refresh --expect-no-changes; names fields on drift
set -euo pipefail
cd "$(dirname "$0")/.."
STACK=${SERVINGOPS_STACK:-local}
pulumi_() { .venv/bin/python -m providers.engine pulumi "$@" --stack "$STACK" --non-interactive; }

connect() {
  if [ -z "${DATABRICKS_HOST:-}" ]; then
    bash tools/plane.sh start
    # shellcheck disable=SC1091
    . .servingops/plane.env
  fi
  .venv/bin/python -m providers.engine pulumi stack select "$STACK" --create --non-interactive >/dev/null
}

drift() {
  echo "== drift gate: pulumi preview --refresh --expect-no-changes"
  if pulumi_ preview --refresh --expect-no-changes --diff; then
    echo "no drift: every endpoint matches its file"
    return 0
  fi
  echo "== drift found; field by field:"
  .venv/bin/servingops drift endpoints || true
  return 1
}

up() {
  .venv/bin/servingops validate endpoints
  echo "== pulumi up (creates/updates endpoints, waits, smoke-checks each)"
  pulumi_ up --yes --refresh
  echo "== outputs"
  pulumi_ stack output --json
  drift
}

connect
case "${1:-up}" in
  up) up ;;
  drift) drift ;;
  *) echo "usage: $0 up|drift" >&2; exit 2 ;;
esac
