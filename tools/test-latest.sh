#!/usr/bin/env bash
# make test-latest: the plane's official-client suites against the NEWEST databricks-sdk,
# openai and mlflow-skinny from PyPI, in a separate venv (.venv-latest), so an SDK change
# (a newly required field, a new call) shows up the day it ships. The pinned versions in
# pyproject.toml / constraints.txt stay the default for `make test`; every other package
# keeps its pin here too. Needs PyPI (nothing else).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-python3}
VENV=.venv-latest
LATEST=(databricks-sdk openai mlflow-skinny)
SUITES=(
  tests/plane/test_plane_sdk.py
  tests/plane/test_plane_clients_round_two.py
  tests/plane/test_plane_mlflow.py
  tests/plane/inference/test_openai_client.py
)

test -x "$VENV/bin/python" || "$PY" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip==25.3
# constraints without the three clients; dev tools from pyproject without them either
grep -viE "^($(IFS='|'; echo "${LATEST[*]}"))==" constraints.txt > "$VENV/constraints-pinned.txt"
mapfile -t DEV < <("$VENV/bin/python" - "${LATEST[@]}" <<'PY'
import sys, tomllib
skip = set(sys.argv[1:])
for req in tomllib.load(open("pyproject.toml", "rb"))["project"]["optional-dependencies"]["dev"]:
    if req.split("==")[0].lower() not in skip:
        print(req)
PY
)
"$VENV/bin/python" -m pip install -q -c "$VENV/constraints-pinned.txt" -e . "${DEV[@]}"
# the newest releases; their own new dependencies may float
"$VENV/bin/python" -m pip install -q --upgrade "${LATEST[@]}"
"$VENV/bin/python" - "${LATEST[@]}" <<'PY'
import sys
from importlib.metadata import version
print("latest clients:", ", ".join(f"{name}=={version(name)}" for name in sys.argv[1:]))
PY
nice -n 10 "$VENV/bin/python" -m pytest -q -p no:cacheprovider "${SUITES[@]}" "$@"
