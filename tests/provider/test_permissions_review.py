"""Review of issue 10 through the reconciler against a running plane (ACLs enforced):
inputs taken from peers' bug reports on serving-endpoint permissions."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from reconcile_world import World

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
