"""An inference table without ``table_name_prefix``: the service names it after the endpoint,
and plan / drift / apply agree with that (issue 11, item 9)."""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path
from typing import Any

from reconcile_world import World

from servingops.diff import diff_endpoint
from servingops.loader import load_endpoints
from servingops.model import EndpointSpec
from servingops.model.rest import live_state
from servingops.model.state import desired_state

REPO = Path(__file__).resolve().parents[2]
SPECS = {s.name: s for s in load_endpoints([REPO / "endpoints"]).specs}
TABLE = {"catalog_name": "main", "schema_name": "logs", "enabled": True}
GATEWAY_PUT = "PUT /api/2.0/serving-endpoints/{name}/ai-gateway"


def _spec(**keys: Any) -> EndpointSpec:
    base = SPECS["internal-chat"]
    raw = copy.deepcopy(dict(base.raw)) | keys
    return dataclasses.replace(EndpointSpec.from_mapping(raw, base.source), owner="servingops/l")


def test_the_plane_names_the_table_after_the_endpoint_and_nothing_drifts(world: World) -> None:
    spec = _spec(ai_gateway={"inference_table_config": TABLE})
    world.rec.create(spec)
    live = dict(world.client.get_endpoint(spec.name))
    assert live["ai_gateway"]["inference_table_config"]["table_name_prefix"] == spec.name
    assert diff_endpoint(live_state(live), desired_state(spec)) == []


def test_an_explicit_prefix_equal_to_the_name_does_not_drift_either(world: World) -> None:
    spec = _spec(ai_gateway={"inference_table_config": TABLE})
    world.rec.create(spec)
    named = _spec(ai_gateway={"inference_table_config": {**TABLE, "table_name_prefix": spec.name}})
    live = dict(world.client.get_endpoint(spec.name))
    assert diff_endpoint(live_state(live), desired_state(named)) == []


def test_another_gateway_change_is_one_put_not_a_table_rename(world: World) -> None:
    spec = _spec(ai_gateway={"inference_table_config": TABLE})
    world.rec.create(spec)
    usage = {"inference_table_config": TABLE, "usage_tracking_config": {"enabled": True}}
    changed = _spec(ai_gateway=usage)
    world.reset_stats()
    world.rec.update(changed, None, desired_state(spec))
    assert world.writes().get(GATEWAY_PUT) == 1
    assert not any("disabling the inference table" in line for line in world.log)
