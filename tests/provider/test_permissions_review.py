"""Review of issue 10 through the reconciler against a running plane (ACLs enforced):
inputs taken from peers' bug reports on serving-endpoint permissions."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from plane_testing import running_plane
from reconcile_world import World

from servingops.client import ControlPlaneClient
from servingops.errors import BadRequest, ToolError
from servingops.loader import load_endpoints
from servingops.model import EndpointSpec, rest
from servingops.model.pulumi_inputs import PreviousSpec
from servingops.plan import plan_endpoint
from servingops.reconcile import Reconciler

REPO = Path(__file__).resolve().parents[2]
SPECS = {s.name: s for s in load_endpoints([REPO / "endpoints"]).specs}
SP = "5f3c9a52-7d3e-4b1a-9c4e-2a8b6d0e1f37"


def _spec(name: str = "support-chat", **keys: Any) -> EndpointSpec:
    base = SPECS[name]
    raw = copy.deepcopy(dict(base.raw)) | keys
    return EndpointSpec.from_mapping(raw, base.source)


def test_a_user_name_in_another_case_converges(world: World) -> None:
    """terraform-provider-databricks#5183: the API answers e-mails lowercased; a file
    writing ``Ana@Example.com`` was refused as unknown, and would then be a remove and
    re-add on every plan. Now it is set once and the next plan and update are quiet."""
    spec = _spec(permissions=[{"level": "CAN_QUERY", "user_name": "Ana@Example.com"}])
    world.rec.create(spec)
    assert plan_endpoint(world.client, spec).verdict == "same"
    world.reset_stats()
    world.rec.update(spec, PreviousSpec(spec))
    assert world.writes() == {}


def _direct(world: World, name: str) -> dict[str, str]:
    endpoint_id = world.client.get_endpoint(name)["id"]
    out = {}
    for entry in world.client.get_permissions(endpoint_id)["access_control_list"]:
        who = entry.get("user_name") or entry.get("group_name") or entry["service_principal_name"]
        direct = [p for p in entry["all_permissions"] if not p["inherited"]]
        if direct:
            out[who] = direct[0]["permission_level"]
    return out


def test_naming_the_creator_below_can_manage_is_refused_before_any_write(world: World) -> None:
    """terraform-provider-databricks refuses this ("it is not possible to decrease
    administrative permissions for the current user"): a PUT with the creator at
    CAN_QUERY drops servingops' own CAN_MANAGE, and the next update, rollback or delete
    of the endpoint is 403. The reconciler refuses before it writes anything."""
    spec = _spec()
    world.rec.create(spec)
    me = world.plane.settings.user_name
    lowered = _spec(
        description="changed",
        permissions=[
            {"level": "CAN_MANAGE", "group_name": "ml-platform"},
            {"level": "CAN_QUERY", "user_name": me.upper()},
        ],
    )
    world.reset_stats()
    with pytest.raises(ToolError) as caught:
        world.rec.update(lowered, PreviousSpec(spec))
    assert world.writes() == {}
    assert _direct(world, spec.name)[me] == "CAN_MANAGE"
    text = str(caught.value)
    assert "support-chat" in text and me in text.lower() and "CAN_QUERY" in text
    assert str(spec.source) in text and "CAN_MANAGE" in caught.value.hint


def test_an_unknown_principal_is_an_error_naming_endpoint_file_and_what_to_check(
    world: World,
) -> None:
    """databricks-sdk-py#678: ``service_principal_name`` is the application id, and users
    write the display name. The 400 named the endpoint by its id and hinted at
    ``servingops validate``, which cannot know the workspace's principals."""
    spec = _spec(permissions=[{"level": "CAN_QUERY", "service_principal_name": "support-app"}])
    with pytest.raises(BadRequest) as caught:
        world.rec.create(spec)
    text = str(caught.value)
    assert "endpoint 'support-chat'" in text
    assert "PUT" in text and "400" in text and "support-app" in text
    assert str(spec.source) in text
    assert "application id" in caught.value.hint and "validate" not in caught.value.hint


APP = "0b9f7a3e-1111-4222-8333-444455556666"
"""servingops' own service principal (OAuth M2M client id = application id)."""
APP_SECRET = "sp-sentinel-secret-91"


def test_adopting_an_endpoint_never_drops_servingops_own_entry(tmp_path: Path) -> None:
    """terraform-provider-databricks#2165: a PUT without the caller's entry removes the
    caller's CAN_MANAGE. Keeping the *creator* covers endpoints servingops created, not
    an adopted one that someone else created and granted servingops' service principal:
    the PUT dropped that grant (here: the smoke query as the SP got 403; on a workspace,
    every later update is 403 too). Now it is refused before any write, with the entry
    to add as the hint."""
    with running_plane(
        tmp_path,
        settle_seconds=0,
        pt_settle_seconds=0,
        client_id=APP,
        client_secret=APP_SECRET,
        service_principals=(SP, APP),
    ) as plane:
        admin = plane.client()
        raw = {k: v for k, v in dict(SPECS["support-chat"].raw).items() if k != "permissions"}
        admin.post(
            "/api/2.0/serving-endpoints", json=rest.create_body(EndpointSpec.from_mapping(raw))
        ).raise_for_status()
        endpoint_id = admin.get("/api/2.0/serving-endpoints/support-chat").json()["id"]
        grant = {"service_principal_name": APP, "permission_level": "CAN_MANAGE"}
        acl_path = f"/api/2.0/permissions/serving-endpoints/{endpoint_id}"
        admin.put(acl_path, json={"access_control_list": [grant]}).raise_for_status()
        with ControlPlaneClient.from_env(
            host=plane.url, client_id=APP, client_secret=APP_SECRET, env={}
        ) as client:
            rec = Reconciler(client, plane.url, adopt=True)
            admin.delete("/__plane/stats")
            with pytest.raises(ToolError) as caught:
                rec.create(_spec(adopt=True))
        stats = admin.get("/__plane/stats").json()["requests"]
        assert not [k for k in stats if k.split()[0] != "GET" and "/api/2.0/serving" in k]
        assert not [k for k in stats if k.startswith("PUT /api/2.0/permissions")]
        kept = admin.get(acl_path).json()["access_control_list"]
        assert any(e.get("service_principal_name") == APP for e in kept)
        text = str(caught.value)
        assert APP in text and "support-chat" in text
        assert f"service_principal_name: {APP}" in caught.value.hint
        assert APP_SECRET not in text
        admin.close()
