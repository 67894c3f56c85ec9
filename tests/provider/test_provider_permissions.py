"""EndpointProvider methods (as the engine calls them) with ``permissions``: the ACL is in
the ``state`` output, a refresh after a hand-added principal makes ``diff`` report a
change, and a switched-off endpoint (no smoke record) is not a change forever."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from plane_testing import RunningPlane, running_plane

from providers.endpoint import EndpointProvider
from servingops.loader import load_endpoints
from servingops.model import EndpointSpec
from servingops.model.pulumi_inputs import to_inputs

REPO = Path(__file__).resolve().parents[2]
SPEC = next(s for s in load_endpoints([REPO / "endpoints"]).specs if s.name == "support-chat")


@pytest.fixture
def plane(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningPlane]:
    with running_plane(tmp_path, settle_seconds=0, pt_settle_seconds=0) as running:
        monkeypatch.setenv("DATABRICKS_HOST", running.url)
        monkeypatch.setenv("DATABRICKS_TOKEN", running.token)
        yield running


def _inputs(**keys: Any) -> dict[str, Any]:
    raw = copy.deepcopy(dict(SPEC.raw)) | keys
    clean, secrets = to_inputs(EndpointSpec.from_mapping(raw, SPEC.source))
    return {"spec": clean, "secret_values": secrets, "source": SPEC.source}


def test_refresh_sees_a_hand_added_principal_as_a_change(plane: RunningPlane) -> None:
    provider = EndpointProvider()
    news = _inputs()
    outs = provider.create(news).outs
    assert "group_name:ml-platform" in outs["state"]["permissions"]
    assert not provider.diff(SPEC.name, outs, news).changes
    endpoint_id = outs["endpoint_id"]
    with plane.client() as http:
        http.patch(
            f"/api/2.0/permissions/serving-endpoints/{endpoint_id}",
            json={
                "access_control_list": [
                    {"user_name": "ana@example.com", "permission_level": "CAN_QUERY"}
                ]
            },
        ).raise_for_status()
    refreshed = provider.read(SPEC.name, {**news, **outs}).outs
    assert "user_name:ana@example.com" in refreshed["state"]["permissions"]
    assert provider.diff(SPEC.name, refreshed, news).changes


def test_a_switched_off_endpoint_is_no_change_on_the_next_preview(plane: RunningPlane) -> None:
    provider = EndpointProvider()
    gateway = copy.deepcopy(dict(SPEC.raw["ai_gateway"]))
    gateway["rate_limits"] = [{"key": "endpoint", "tokens": 0, "renewal_period": "minute"}]
    news = _inputs(ai_gateway=gateway)
    outs = provider.create(news).outs
    assert "smoke" not in outs
    assert not provider.diff(SPEC.name, outs, news).changes
