"""Permissions and pay-per-token gateways through the reconciler against a running plane
(ACLs enforced): declared entries go live by the endpoint's id after the create, a
principal removed from the file is removed live, a hand-added one is drift, a second
apply writes nothing; a pay-per-token gateway converges and delete never touches it."""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path
from typing import Any

from reconcile_world import World

from servingops.loader import load_endpoints
from servingops.model import EndpointSpec
from servingops.model.pulumi_inputs import PreviousSpec
from servingops.plan import plan_endpoint

REPO = Path(__file__).resolve().parents[2]
SPECS = {s.name: s for s in load_endpoints([REPO / "endpoints"]).specs}
SP = "5f3c9a52-7d3e-4b1a-9c4e-2a8b6d0e1f37"
PPT = "databricks-meta-llama-3-3-70b-instruct"


def _spec(name: str = "support-chat", **keys: Any) -> EndpointSpec:
    base = SPECS[name]
    raw = copy.deepcopy(dict(base.raw)) | keys
    return dataclasses.replace(EndpointSpec.from_mapping(raw, base.source))


def _direct(world: World, name: str) -> dict[str, str]:
    endpoint_id = world.client.get_endpoint(name)["id"]
    acl = world.client.get_permissions(endpoint_id)["access_control_list"]
    out = {}
    for entry in acl:
        who = entry.get("user_name") or entry.get("group_name") or entry["service_principal_name"]
        direct = [p for p in entry["all_permissions"] if not p["inherited"]]
        if direct:
            out[who] = direct[0]["permission_level"]
    return out


def test_declared_permissions_are_set_after_create_and_the_creator_kept(world: World) -> None:
    spec = _spec()
    out = world.rec.create(spec)
    assert _direct(world, spec.name) == {
        SP: "CAN_QUERY",
        "ml-platform": "CAN_MANAGE",
        world.plane.settings.user_name: "CAN_MANAGE",
    }
    assert out["state"]["permissions"] == {
        f"service_principal_name:{SP}": "CAN_QUERY",
        "group_name:ml-platform": "CAN_MANAGE",
        f"user_name:{world.plane.settings.user_name}": "CAN_MANAGE",
    }
    assert any("setting permissions" in line for line in world.log)


def test_create_with_permissions_is_one_create_and_one_acl_put(world: World) -> None:
    """The plane answers 404 for a name in the permissions path (it is id-keyed), so the
    PUT going through proves the id was used."""
    world.rec.create(_spec())
    assert world.writes() == {
        "POST /api/2.0/serving-endpoints": 1,
        "PUT /api/2.0/permissions/serving-endpoints/{id}": 1,
    }


def test_removing_a_principal_from_the_file_removes_it_live(world: World) -> None:
    spec = _spec()
    world.rec.create(spec)
    fewer = _spec(permissions=[{"level": "CAN_MANAGE", "group_name": "ml-platform"}])
    world.rec.update(fewer, PreviousSpec(spec))
    assert SP not in _direct(world, spec.name)
    assert _direct(world, spec.name)["ml-platform"] == "CAN_MANAGE"


def test_a_hand_added_principal_is_drift_named_in_the_plan(world: World) -> None:
    spec = _spec()
    world.rec.create(spec)
    endpoint_id = world.client.get_endpoint(spec.name)["id"]
    extra = {"user_name": "ana@example.com", "permission_level": "CAN_QUERY"}
    world.http.patch(
        f"/api/2.0/permissions/serving-endpoints/{endpoint_id}",
        json={"access_control_list": [extra]},
    ).raise_for_status()
    item = plan_endpoint(world.client, spec)
    assert [(c.path, c.action) for c in item.changes] == [
        ("permissions[user_name:ana@example.com]", "remove")
    ]
    world.rec.update(spec, PreviousSpec(spec))
    assert "ana@example.com" not in _direct(world, spec.name)


def test_second_apply_with_permissions_writes_nothing(world: World) -> None:
    spec = _spec()
    world.rec.create(spec)
    world.reset_stats()
    world.rec.update(spec, PreviousSpec(spec))
    assert world.writes() == {}


def test_unmanaged_permissions_are_never_read_nor_written(world: World) -> None:
    spec = _spec(permissions=None)
    world.rec.create(spec)
    stats = world.http.get("/__plane/stats").json()["requests"]
    assert not [k for k in stats if "/permissions/" in k]


def test_declared_service_principal_may_query_when_acls_are_enforced(world: World) -> None:
    """The plane enforces ACLs in tests; the reconciler's own smoke query still passes as
    the creator keeps CAN_MANAGE (a PUT without it would lock the tool out, tf#2165)."""
    spec = _spec(permissions=[{"level": "CAN_QUERY", "service_principal_name": SP}])
    world.rec.create(spec)
    world.rec.update(spec, PreviousSpec(spec))  # smoke-queries again as the creator
    assert world.plane.settings.user_name in _direct(world, spec.name)


def test_pay_per_token_gateway_converges_and_delete_leaves_it(world: World) -> None:
    spec = SPECS[PPT]
    before = len(world.client.list_endpoints())
    out = world.rec.create(spec)
    limits = [{"key": "user", "calls": 60, "renewal_period": "minute"}]
    assert world.client.get_endpoint(PPT)["ai_gateway"]["rate_limits"] == limits
    assert out["state"]["ai_gateway"]["rate_limits"] == limits  # outputs read after the PUT
    world.reset_stats()
    world.rec.update(spec, PreviousSpec(spec))
    assert world.writes() == {}
    world.rec.delete(spec)
    assert len(world.client.list_endpoints()) == before
    assert world.client.get_endpoint(PPT)["ai_gateway"]["rate_limits"]
    assert any("left in place (its AI gateway too)" in line for line in world.log)


def test_pay_per_token_gateway_change_is_one_gateway_put(world: World) -> None:
    spec = SPECS[PPT]
    world.rec.create(spec)
    world.reset_stats()
    limits = [{"key": "user", "calls": 30, "renewal_period": "minute"}]
    world.rec.update(_spec(PPT, ai_gateway={"rate_limits": limits}), PreviousSpec(spec))
    assert world.writes() == {"PUT /api/2.0/serving-endpoints/{name}/ai-gateway": 1}
    assert world.client.get_endpoint(PPT)["ai_gateway"]["rate_limits"] == limits


def test_switch_off_is_applied_not_smoke_failed_and_never_rolled_back(world: World) -> None:
    """Issue 10: `calls: 0` got 403 from the smoke query and `on_failure: rollback` put
    the old limit back. Now the smoke check is skipped (and says so); the limit stays."""
    spec = _spec()
    assert spec.smoke.on_failure.value == "rollback"
    world.rec.create(spec)
    gateway = copy.deepcopy(dict(spec.raw["ai_gateway"]))
    gateway["rate_limits"] = [{"key": "endpoint", "calls": 0, "renewal_period": "minute"}]
    off = _spec(ai_gateway=gateway)
    world.reset_stats()
    out = world.rec.update(off, PreviousSpec(spec))
    stats = world.http.get("/__plane/stats").json()["requests"]
    assert not [k for k in stats if "invocations" in k]
    assert world.client.get_endpoint(spec.name)["ai_gateway"]["rate_limits"][0]["calls"] == 0
    assert "smoke" not in out
    assert any("switched off" in line and "smoke check skipped" in line for line in world.log)
