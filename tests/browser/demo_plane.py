"""The demo on a test plane: every endpoint file in endpoints/ deployed, without Pulumi.

The browser tests need what `make demo` deploys, but the real engine takes minutes; the
create bodies come from the same codec the provider uses (``servingops.model.rest``), so
the plane holds the same endpoints. Pay-per-token references already exist on a plane.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from servingops.loader import load_endpoints
from servingops.model import rest
from servingops.model.endpoint import EndpointSpec

REPO = Path(__file__).resolve().parents[2]
API = "/api/2.0/serving-endpoints"


def demo_specs() -> list[EndpointSpec]:
    """The endpoint files of the demo (``endpoints/``); they must all be valid."""
    result = load_endpoints([REPO / "endpoints"])
    assert result.ok, result.report.errors
    return result.specs


def deploy_demo(client: httpx.Client, timeout: float = 20.0) -> list[str]:
    """Create every demo endpoint that is not a reference, wait until all are READY; names."""
    specs = demo_specs()
    for spec in specs:
        if spec.is_reference:
            continue
        path = f"{API}/pt" if spec.uses_pt_route else API
        response = client.post(path, json=rest.create_body(spec))
        assert response.status_code == 200, (spec.name, response.text)
    names = [spec.name for spec in specs]
    _wait_ready(client, set(names), timeout)
    return names


def _wait_ready(client: httpx.Client, names: set[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        listed = client.get(API).json()["endpoints"]
        waiting = {e["name"] for e in listed if e["state"]["ready"] != "READY"} & names
        missing = names - {e["name"] for e in listed}
        if not waiting and not missing:
            return
        assert time.monotonic() < deadline, f"not ready after {timeout} s: {waiting | missing}"
        time.sleep(0.1)
