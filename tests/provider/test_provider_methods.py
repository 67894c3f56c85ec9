"""EndpointProvider methods called directly (as the Pulumi engine would) against a live plane.

These cover what the Reconciler tests cannot: the provider's own handling of inputs,
outputs and secret values between calls.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from plane_testing import RunningPlane, running_plane

from providers.endpoint import EndpointProvider
from servingops.loader import load_endpoints
from servingops.model import EndpointSpec
from servingops.model.pulumi_inputs import to_inputs

REPO = Path(__file__).resolve().parents[2]
SPEC = next(s for s in load_endpoints([REPO / "endpoints"]).specs if s.name == "internal-chat")
SENTINEL_1 = "sk-SENTINEL-one-0123456789"
SENTINEL_2 = "sk-SENTINEL-two-9876543210"


@pytest.fixture
def plane(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningPlane]:
    with running_plane(tmp_path, settle_seconds=0, pt_settle_seconds=0) as running:
        monkeypatch.setenv("DATABRICKS_HOST", running.url)
        monkeypatch.setenv("DATABRICKS_TOKEN", running.token)
        yield running


def _inputs(token: str) -> dict[str, Any]:
    raw = copy.deepcopy(SPEC.raw)
    custom = raw["served_entities"][0]["external_model"]["custom_provider_config"]
    custom["bearer_token_auth"] = {"token_plaintext": token}
    clean, secrets = to_inputs(EndpointSpec.from_mapping(raw, SPEC.source))
    return {"spec": clean, "secret_values": secrets, "source": SPEC.source}


def _writes(http: httpx.Client) -> dict[str, int]:
    counts = http.get("/__plane/stats").json()["requests"]
    return {k: n for k, n in counts.items() if k.split()[0] != "GET" and "/api/" in k}


def _stored_token(plane: RunningPlane) -> str:
    doc = json.dumps(plane.store.endpoint_doc(SPEC.name))
    return SENTINEL_2 if SENTINEL_2 in doc else SENTINEL_1 if SENTINEL_1 in doc else ""


def test_changed_plaintext_key_is_diffed_and_really_applied(plane: RunningPlane) -> None:
    provider = EndpointProvider()
    first = _inputs(SENTINEL_1)
    outs = provider.create(first).outs
    assert SENTINEL_1 not in json.dumps(outs)
    assert not provider.diff(SPEC.name, outs, _inputs(SENTINEL_1)).changes
    second = _inputs(SENTINEL_2)
    assert provider.diff(SPEC.name, outs, second).changes
    with plane.client() as http:
        http.delete("/__plane/stats")
        new_outs = provider.update(SPEC.name, outs, second).outs
        assert _writes(http) == {"PUT /api/2.0/serving-endpoints/{name}/config": 1}
    assert _stored_token(plane) == SENTINEL_2
    assert SENTINEL_2 not in json.dumps(new_outs)
    assert not provider.diff(SPEC.name, new_outs, _inputs(SENTINEL_2)).changes


def test_whole_number_floats_from_the_engine_are_ints_again(plane: RunningPlane) -> None:
    provider = EndpointProvider()
    news = _inputs(SENTINEL_1)
    news["spec"]["traffic"] = {k: float(v) for k, v in news["spec"]["traffic"].items()}
    assert provider.check({}, news).failures == []
    outs = provider.create(news).outs
    assert not provider.diff(SPEC.name, outs, news).changes


def test_check_reports_problems_against_the_source_file(plane: RunningPlane) -> None:
    news = _inputs(SENTINEL_1)
    news["spec"]["traffic"] = {"nope": 100}
    failures = EndpointProvider().check({}, news).failures
    assert failures and failures[0].property == "source"
    assert "traffic names 'nope'" in failures[0].reason
