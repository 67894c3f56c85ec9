"""Review of issue 10 through the reconciler against a running plane (ACLs enforced):
inputs taken from peers' bug reports on serving-endpoint permissions."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from reconcile_world import World

from servingops.errors import BadRequest, ToolError
from servingops.loader import load_endpoints
from servingops.model import EndpointSpec
from servingops.model.pulumi_inputs import PreviousSpec
from servingops.plan import plan_endpoint

REPO = Path(__file__).resolve().parents[2]
SPECS = {s.name: s for s in load_endpoints([REPO / "endpoints"]).specs}


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
