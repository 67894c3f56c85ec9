#!/usr/bin/env bash
# Start, stop or check the local control plane used by `make demo` and `make drift`.
#   tools/plane.sh start   # idempotent: reuses a healthy running plane
#   tools/plane.sh stop
#   tools/plane.sh status
# State lives in .servingops/: plane.sqlite (endpoints), plane.env (address + token),
# plane.pid, plane.log. SERVINGOPS_PLANE_ARGS adds flags to `servingops plane`, e.g.
# "--settle-seconds 5" for updates slow enough to interrupt by hand.
set -euo pipefail
umask 077  # plane.env holds the token (the server writes it 0600); plane.log never does
cd "$(dirname "$0")/.."
DIR=.servingops
ENV_FILE=$DIR/plane.env
PID_FILE=$DIR/plane.pid
LOG=$DIR/plane.log
PORT=${SERVINGOPS_PLANE_PORT:-8700}

healthy() {
  [ -f "$ENV_FILE" ] || return 1
  # shellcheck disable=SC1090
  . "$ENV_FILE"
  .venv/bin/python - "$DATABRICKS_HOST" "$DATABRICKS_TOKEN" <<'PY' >/dev/null 2>&1
import sys, httpx
r = httpx.get(sys.argv[1] + "/api/2.0/serving-endpoints",
              headers={"Authorization": "Bearer " + sys.argv[2]}, timeout=2)
sys.exit(0 if r.status_code == 200 else 1)
PY
}

start() {
  mkdir -p "$DIR"
  if healthy; then echo "local plane already running: $(grep HOST "$ENV_FILE")"; return 0; fi
  local token
  token=$(.venv/bin/python -c 'import secrets; print("dapi" + secrets.token_hex(16))')
  : > "$LOG"
  local port=$PORT
  if ! .venv/bin/python -c "import socket,sys; s=socket.socket(); s.bind(('127.0.0.1', int(sys.argv[1])))" "$port" 2>/dev/null; then
    port=0  # the usual port is taken (another clone's plane?): let the OS pick one
  fi
  # the token goes through the environment, not argv, so `ps` does not show it
  # shellcheck disable=SC2086  # SERVINGOPS_PLANE_ARGS is split into flags on purpose
  SERVINGOPS_PLANE_TOKEN=$token setsid nohup .venv/bin/servingops plane --host 127.0.0.1 \
    --port "$port" --db "$DIR/plane.sqlite" --env-file "$ENV_FILE" ${SERVINGOPS_PLANE_ARGS:-} \
    >>"$LOG" 2>&1 < /dev/null &
  echo $! > "$PID_FILE"
  for _ in $(seq 1 100); do
    if grep -q '^DATABRICKS_HOST=' "$LOG"; then break; fi
    if ! kill -0 "$(cat "$PID_FILE")" 2>/dev/null; then
      echo "error: the local plane exited; its log:" >&2; cat "$LOG" >&2; return 1
    fi
    sleep 0.1
  done
  [ -f "$ENV_FILE" ] || { echo "error: the local plane wrote no $ENV_FILE; see $LOG" >&2; return 1; }
  for _ in $(seq 1 50); do healthy && break; sleep 0.1; done
  healthy || { echo "error: the local plane did not answer; see $LOG" >&2; return 1; }
  echo "local plane started: $(grep HOST "$ENV_FILE" | sed 's/export //') (pid $(cat "$PID_FILE"), log $LOG)"
}

stop() {
  if [ -f "$PID_FILE" ] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null; then
    kill "$(cat "$PID_FILE")" && echo "local plane stopped"
  else
    echo "local plane is not running"
  fi
  rm -f "$PID_FILE"
}

case "${1:-status}" in
  start) start ;;
  stop) stop ;;
  status) if healthy; then echo "running: $(grep HOST "$ENV_FILE" | sed 's/export //')"; else echo "not running"; exit 1; fi ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
