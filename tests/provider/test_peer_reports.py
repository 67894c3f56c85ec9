"""Reports from users of the peers, turned into inputs and run against the plane.

* terraform-provider-databricks#5362: ``calls: 0`` / ``tokens: 0`` became "unlimited"
  (omit-empty dropped the zeros); here they must reach the plane and stay converged.
* terraform-provider-aws#46663 / #48997 (the same kind on SageMaker): an update the
  service rolled back was reported as applied, so every apply "succeeded" in a loop;
  here a failed update fails the run and the next run sends the config again.
"""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path
from typing import Any

import pytest
from reconcile_world import World

from servingops.diff import diff_endpoint
from servingops.errors import UpdateFailed
from servingops.loader import load_endpoints
from servingops.model import EndpointSpec, rest
from servingops.model.rest import live_state
from servingops.model.state import desired_state

REPO = Path(__file__).resolve().parents[2]
BASE = next(s for s in load_endpoints([REPO / "endpoints"]).specs if s.name == "internal-chat")


def _spec(**keys: Any) -> EndpointSpec:
    raw = copy.deepcopy(dict(BASE.raw)) | keys
    return dataclasses.replace(EndpointSpec.from_mapping(raw, BASE.source), owner="p/s")


def test_zero_limits_disable_and_stay_converged(world: World) -> None:
    zero = [
        {"key": "endpoint", "calls": 0, "renewal_period": "minute"},
        {"key": "user", "tokens": 0, "renewal_period": "minute"},
    ]
    spec = _spec(ai_gateway={"rate_limits": zero}, smoke={"enabled": False})
    world.rec.create(spec)
    live = world.client.get_endpoint(spec.name)
    assert sorted(live["ai_gateway"]["rate_limits"], key=lambda r: r["key"]) == zero
    assert diff_endpoint(live_state(live), desired_state(spec)) == []


def test_a_rolled_back_update_is_a_failure_and_the_next_run_resends(world: World) -> None:
    spec = _spec()
    world.rec.create(spec)
    world.fault(spec.name, update_failed="rolled back: container failed to start")
    changed = _spec(traffic={"vllm": 50, "shared-workspace": 50})
    with pytest.raises(UpdateFailed, match="rolled back"):
        world.rec.update(changed, None, desired_state(spec))
    live = world.client.get_endpoint(spec.name)
    assert diff_endpoint(live_state(live), desired_state(changed)) != []  # not "applied"
    world.rec.update(changed, None, desired_state(spec))
    assert rest.traffic_from_routes(
        world.client.get_endpoint(spec.name)["config"]["traffic_config"]
    ) == {
        "vllm": 50,
        "shared-workspace": 50,
    }
