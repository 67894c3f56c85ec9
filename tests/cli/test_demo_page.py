"""`make demo` tells where the serving page is and how to log in, without the token."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

DEMO = Path(__file__).resolve().parents[2] / "tools" / "demo.sh"
TOKEN = "dapi0123456789abcdef0123456789abcdef"


def run_serving_page(local: str) -> str:
    """Run demo.sh's ``serving_page`` function alone (the script itself starts a plane)."""
    script = f"""set -euo pipefail
eval "$(sed -n '/^serving_page() {{/,/^}}/p' {DEMO})"
LOCAL_PLANE={local}
serving_page"""
    env = {**os.environ, "DATABRICKS_HOST": "http://127.0.0.1:8700", "DATABRICKS_TOKEN": TOKEN}
    done = subprocess.run(
        ["bash", "-c", script], env=env, capture_output=True, text=True, check=True, timeout=10
    )
    return done.stdout


def test_demo_prints_the_page_address_and_where_the_token_is() -> None:
    out = run_serving_page("1")
    assert "open http://127.0.0.1:8700/ in a browser" in out
    assert "DATABRICKS_TOKEN in .servingops/plane.env" in out
    assert TOKEN not in out


def test_demo_prints_no_page_for_a_remote_workspace() -> None:
    assert run_serving_page('""') == ""
