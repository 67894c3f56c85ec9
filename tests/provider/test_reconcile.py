"""Reconciler against a real local plane: create, idempotence, ordered updates, waits,
smoke failures with rollback, adoption, deletion. One fake clock drives both the
plane's settle timer and the waiter's sleeps, so waits are real but instant."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import httpx
import pytest
from reconcile_world import World

from servingops.auth import BearerToken
from servingops.client import ControlPlaneClient
from servingops.errors import (
    ControlPlaneUnreachable,
    SmokeFailed,
    ToolError,
    UpdateFailed,
    WaitTimeout,
)
from servingops.loader import load_endpoints
from servingops.model import MASK, EndpointSpec, rest
from servingops.model.pulumi_inputs import PreviousSpec

REPO = Path(__file__).resolve().parents[2]
SPECS = {s.name: s for s in load_endpoints([REPO / "endpoints"]).specs}


def _with(spec: EndpointSpec, **changes: Any) -> EndpointSpec:
    raw = copy.deepcopy(spec.raw) | changes
    return EndpointSpec.from_mapping(raw, spec.source)


def test_every_example_is_created_waited_for_and_smoke_checked(world: World) -> None:
    for spec in SPECS.values():
        out = world.rec.create(spec)
        assert out["ready"] == "READY" and out["config_version"] >= 1
        assert out["invocation_url"].endswith(f"/serving-endpoints/{spec.name}/invocations")
    assert world.clock.sleeps, "the waiter never had to wait"
    queries = world.http.get("/__plane/stats").json()["requests"]
    assert sum(n for k, n in queries.items() if "invocations" in k) >= len(SPECS)


def test_second_apply_makes_no_write_calls(world: World) -> None:
    for spec in SPECS.values():
        world.rec.create(spec)
    world.reset_stats()
    for spec in SPECS.values():
        world.rec.update(spec, previous=PreviousSpec(spec))
    assert world.writes() == {}


def test_traffic_change_is_one_config_put(world: World) -> None:
    spec = SPECS["support-chat"]
    world.rec.create(spec)
    world.reset_stats()
    out = world.rec.update(
        _with(spec, traffic={"gpt": 50, "claude": 50}), previous=PreviousSpec(spec)
    )
    assert world.writes() == {"PUT /api/2.0/serving-endpoints/{name}/config": 1}
    assert out["state"]["traffic"] == {"gpt": 50, "claude": 50}
    assert out["config_version"] == 2


def test_tag_and_gateway_changes_use_their_own_calls_in_order(world: World) -> None:
    spec = SPECS["support-chat"]
    world.rec.create(spec)
    world.reset_stats()
    gateway = dict(
        spec.raw["ai_gateway"],
        rate_limits=[{"key": "user", "calls": 50, "renewal_period": "minute"}],
    )
    world.rec.update(
        _with(spec, tags={"team": "support", "tier": "gold"}, ai_gateway=gateway),
        previous=PreviousSpec(spec),
    )
    assert world.writes() == {
        "PATCH /api/2.0/serving-endpoints/{name}/tags": 1,
        "PUT /api/2.0/serving-endpoints/{name}/ai-gateway": 1,
    }
    live = world.client.get_endpoint(spec.name)
    assert {t["key"]: t["value"] for t in live["tags"]}["tier"] == "gold"
    assert live["ai_gateway"]["rate_limits"][0]["calls"] == 50
    writes = [line for line in world.log if "tags +" in line or "replacing ai_gateway" in line]
    removed = len(set(spec.tags or {}) - {"team", "tier"})
    assert writes == [f"support-chat: tags +1 -{removed}", "support-chat: replacing ai_gateway"]


def test_update_failed_fails_fast_with_the_entity_message(world: World) -> None:
    spec = SPECS["internal-chat"]
    world.rec.create(spec)
    world.fault(spec.name, update_failed="served entity failed to load: bad base URL")
    with pytest.raises(UpdateFailed) as err:
        world.rec.update(_with(spec, traffic=_swap(spec.traffic)), previous=PreviousSpec(spec))
    assert "bad base URL" in str(err.value) and spec.name in str(err.value)


def test_stuck_update_times_out_at_the_deadline(world: World) -> None:
    spec = SPECS["internal-chat"]
    world.rec.create(spec)
    world.fault(spec.name, stuck_seconds=3600)
    world.rec.deadline_s = 60
    with pytest.raises(WaitTimeout) as err:
        world.rec.update(_with(spec, traffic=_swap(spec.traffic)), previous=PreviousSpec(spec))
    assert spec.name in str(err.value)
    assert sum(world.clock.sleeps) >= 60


def test_smoke_failure_names_endpoint_entity_and_status(world: World) -> None:
    spec = SPECS["support-chat"]
    world.rec.create(spec)
    world.fault(spec.name, query_status=500, entity="claude", count=0)
    no_rollback = _with(
        spec, traffic={"gpt": 80, "claude": 20}, smoke=dict(spec.raw["smoke"], on_failure="fail")
    )
    with pytest.raises(SmokeFailed) as err:
        world.rec.update(no_rollback, previous=PreviousSpec(spec))
    text = str(err.value)
    assert "support-chat/claude: HTTP 500" in text and "body:" in text
    live = world.client.get_endpoint(spec.name)
    assert _traffic(live) == {"gpt": 80, "claude": 20}  # left as applied


def test_smoke_failure_with_rollback_restores_the_previous_config(world: World) -> None:
    spec = SPECS["support-chat"]  # on_failure: rollback
    world.rec.create(spec)
    world.fault(spec.name, query_status=503, entity="claude", count=0)
    changed = _with(spec, traffic={"gpt": 80, "claude": 20}, tags={"team": "other"})
    with pytest.raises(SmokeFailed) as err:
        world.rec.update(changed, previous=PreviousSpec(spec))
    assert "rolled back: the previous spec is live again" in str(err.value)
    live = world.client.get_endpoint(spec.name)
    assert _traffic(live) == {"gpt": 90, "claude": 10}
    assert {t["key"]: t["value"] for t in live["tags"]} == spec.tags
    assert live["config"]["config_version"] == 3


def test_rollback_never_sends_a_placeholder_as_a_secret(world: World) -> None:
    raw = copy.deepcopy(SPECS["support-chat"].raw)
    raw["served_entities"][0]["external_model"]["openai_config"] = {
        "openai_api_key_plaintext": MASK
    }  # what the provider sees when a value is gone
    slot = "served_entities[gpt].external_model.openai_config.openai_api_key_plaintext"
    previous = PreviousSpec(EndpointSpec.from_mapping(raw), unknown_secrets=(slot,))
    spec = SPECS["support-chat"]
    world.rec.create(spec)
    world.fault(spec.name, query_status=503, entity="claude", count=0)
    with pytest.raises(SmokeFailed, match="not rolled back: the previous value of served_entities"):
        world.rec.update(_with(spec, traffic={"gpt": 80, "claude": 20}), previous=previous)
    assert _traffic(world.client.get_endpoint(spec.name)) == {"gpt": 80, "claude": 20}


def test_create_adopts_an_endpoint_made_by_hand_with_stack_consent(world: World) -> None:
    spec = SPECS["internal-chat"]
    body = rest.create_body(spec)
    body["config"]["traffic_config"]["routes"] = _routes(_swap(spec.traffic))
    world.client.create_endpoint(body)
    world.rec.adopt = True
    out = world.rec.create(spec)
    assert out["state"]["traffic"] == spec.traffic
    assert any("adopting" in line for line in world.log)


def test_an_endpoint_made_by_hand_is_not_taken_over_without_consent(world: World) -> None:
    spec = SPECS["internal-chat"]
    world.client.create_endpoint(rest.create_body(spec))
    with pytest.raises(ToolError, match="already exists in this workspace, made outside"):
        world.rec.create(spec)


def test_read_of_a_deleted_endpoint_is_none_and_delete_is_idempotent(world: World) -> None:
    spec = SPECS["cohere-embeddings"]
    world.rec.create(spec)
    world.rec.delete(spec)
    assert world.rec.read(spec.name, None) is None
    world.rec.delete(spec)


def test_pay_per_token_reference_is_checked_and_never_deleted(world: World) -> None:
    spec = SPECS["databricks-meta-llama-3-3-70b-instruct"]
    out = world.rec.create(spec)
    assert out["ready"] == "READY"
    world.rec.delete(spec)
    assert world.client.find_endpoint(spec.name) is not None


def _swap(traffic: dict[str, int] | None) -> dict[str, int]:
    names = list(traffic or {})
    return dict(zip(names, reversed(list((traffic or {}).values())), strict=True))


def _routes(traffic: dict[str, int]) -> list[dict[str, Any]]:
    return [{"served_entity_name": k, "traffic_percentage": v} for k, v in traffic.items()]


def _traffic(detail: dict[str, Any]) -> dict[str, int]:
    routes = detail["config"]["traffic_config"]["routes"]
    return {r["served_entity_name"]: r["traffic_percentage"] for r in routes}


def test_connection_refused_is_a_clear_error() -> None:
    with httpx.Client() as http:
        client = ControlPlaneClient(
            "http://127.0.0.1:9", BearerToken("t"), http=http, max_retries=0
        )
        with pytest.raises(ControlPlaneUnreachable, match="127.0.0.1:9") as err:
            client.get_endpoint("x")
    assert "is the local plane running?" in str(err.value)


def test_update_of_an_endpoint_deleted_by_hand_recreates_it(world: World) -> None:
    spec = SPECS["internal-chat"]
    world.rec.create(spec)
    world.client.delete_endpoint(spec.name)
    out = world.rec.update(spec, previous=PreviousSpec(spec))
    assert out["ready"] == "READY"
    assert any("deleted outside Pulumi" in line for line in world.log)
