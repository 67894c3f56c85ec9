"""Convergence from any state, at the reconciler against a real plane with injected
faults: a leftover failed update or create never blocks, multi-step changes are sent
as steps, endpoints of other owners are not touched without consent, and a failure
message never echoes a plaintext key. (The engine-level matrix is tests/e2e.)"""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from reconcile_world import World

from servingops.diff import diff_endpoint
from servingops.errors import UpdateFailed
from servingops.loader import load_endpoints
from servingops.model import EndpointSpec, rest
from servingops.model.rest import OWNER_TAG, live_state
from servingops.model.state import desired_state
from servingops.ownership import NotOurs
from servingops.review import EndpointChanges, format_text

REPO = Path(__file__).resolve().parents[2]
SPECS = {s.name: s for s in load_endpoints([REPO / "endpoints"]).specs}
OURS = "servingops/local"
SENTINEL = "sk-SENTINEL-convergence-0123456789"


def _spec(name: str = "internal-chat", owner: str | None = OURS, **keys: Any) -> EndpointSpec:
    base = SPECS[name]
    raw = copy.deepcopy(dict(base.raw)) | keys
    return dataclasses.replace(EndpointSpec.from_mapping(raw, base.source), owner=owner)


def _live(world: World, name: str) -> dict[str, Any]:
    return dict(world.client.get_endpoint(name))


def test_a_failed_update_does_not_block_the_next_one(world: World) -> None:
    spec = _spec()
    world.rec.create(spec)
    world.fault(spec.name, update_failed="upstream said no")
    changed = _spec(traffic=None, served_entities=[spec.raw["served_entities"][0]])
    with pytest.raises(UpdateFailed, match="upstream said no"):
        world.rec.update(changed, None, desired_state(spec))
    assert rest.config_update(_live(world, spec.name)) == "UPDATE_FAILED"
    out = world.rec.update(changed, None, desired_state(spec))  # the corrected re-run
    assert rest.config_update(_live(world, spec.name)) == "NOT_UPDATING"
    assert list(out["state"]["entities"]) == [changed.served_entities[0].name]


def test_a_leftover_failure_with_nothing_else_to_change_resends_the_config(world: World) -> None:
    spec = _spec()
    world.rec.create(spec)
    world.fault(spec.name, update_failed="transient")
    with pytest.raises(UpdateFailed):
        world.rec.update(
            _spec(traffic=None, served_entities=[spec.raw["served_entities"][0]]),
            None,
            desired_state(spec),
        )
    world.rec.update(spec, None, desired_state(spec))  # same file as the live config
    assert rest.config_update(_live(world, spec.name)) == "NOT_UPDATING"


def test_a_failed_create_converges_on_the_next_run(world: World) -> None:
    spec = _spec()
    world.client.create_endpoint(rest.create_body(spec))  # the run's create call …
    world.fault(spec.name, update_failed="create failed upstream")  # … then it fails
    with pytest.raises(UpdateFailed):
        world.rec._settle(spec)  # what the killed/failed run saw
    assert rest.owner_of(_live(world, spec.name)) == OURS  # the tag says it is ours
    out = world.rec.create(spec)  # the retry adopts it: no duplicate, no manual API call
    assert out["ready"] == "READY" and any("ownership tag" in line for line in world.log)


def test_an_inference_table_rename_is_two_steps_and_diff_says_so(world: World) -> None:
    table = {"catalog_name": "main", "schema_name": "logs", "enabled": True}
    spec = _spec(ai_gateway={"inference_table_config": table})
    world.rec.create(spec)
    renamed = _spec(ai_gateway={"inference_table_config": {**table, "schema_name": "logs2"}})
    changes = diff_endpoint(live_state(_live(world, spec.name)), desired_state(renamed))
    text = format_text([EndpointChanges.from_changes(spec.name, changes)])
    assert "2 steps: disable the inference table" in text
    world.reset_stats()
    world.rec.update(renamed, None, desired_state(spec))
    assert world.writes().get("PUT /api/2.0/serving-endpoints/{name}/ai-gateway") == 2
    live = _live(world, spec.name)["ai_gateway"]["inference_table_config"]
    assert live["schema_name"] == "logs2" and live["enabled"] is True


def test_a_rename_stopped_after_the_first_step_continues(world: World) -> None:
    table = {"catalog_name": "main", "schema_name": "logs", "enabled": True}
    spec = _spec(ai_gateway={"inference_table_config": table})
    world.rec.create(spec)
    disabled = {"inference_table_config": {**table, "enabled": False}}
    world.client.put_ai_gateway(spec.name, disabled)  # step 1 happened, then the run died
    renamed = _spec(ai_gateway={"inference_table_config": {**table, "schema_name": "logs2"}})
    world.rec.update(renamed, None, desired_state(spec))
    assert _live(world, spec.name)["ai_gateway"]["inference_table_config"]["enabled"] is True


def test_an_endpoint_of_another_stack_is_refused_and_never_deleted(world: World) -> None:
    theirs = _spec(owner="other/prod")
    world.rec.create(theirs)
    with pytest.raises(NotOurs, match="belongs to stack 'other/prod'"):
        world.rec.create(_spec())
    with pytest.raises(NotOurs, match="owned by stack 'other/prod'"):
        world.rec.update(_spec(), None, None)
    world.rec.delete(_spec())
    assert rest.owner_of(_live(world, theirs.name)) == "other/prod"


def test_consent_in_the_file_takes_an_endpoint_over_and_tags_it(world: World) -> None:
    world.rec.create(_spec(owner="other/prod"))
    out = world.rec.create(_spec(adopt=True))
    tags = rest.tags_from_api(_live(world, "internal-chat").get("tags"))
    assert tags[OWNER_TAG] == OURS and OWNER_TAG not in (out["state"]["tags"] or {})


def test_declared_tags_never_remove_the_ownership_tag(world: World) -> None:
    world.rec.create(_spec(tags={"team": "a"}))
    world.rec.update(_spec(tags={}), None, None)
    assert rest.tags_from_api(_live(world, "internal-chat").get("tags")) == {OWNER_TAG: OURS}


def test_an_update_failure_message_never_echoes_a_plaintext_key(world: World) -> None:
    entity = copy.deepcopy(SPECS["internal-chat"].raw["served_entities"][0])
    ext = entity["external_model"]
    block = next(k for k in ext if k.endswith("_config"))
    ext[block] = _plaintext_block(block, ext[block])
    spec = _spec(served_entities=[entity], traffic=None)
    world.rec.create(spec)
    world.fault(spec.name, update_failed=f"bad key {SENTINEL}")
    changed = copy.deepcopy(entity)
    changed["external_model"]["name"] += "-v2"
    with pytest.raises(UpdateFailed) as caught:
        world.rec.update(_spec(served_entities=[changed], traffic=None), None, None)
    assert SENTINEL not in str(caught.value) + str(caught.value.hint) + json.dumps(world.log)


def _plaintext_block(block: str, config: dict[str, Any]) -> dict[str, Any]:
    """The provider block with its credential as a plaintext sentinel."""
    out = {k: v for k, v in config.items() if "{{secrets/" not in str(v)}
    key = next(k for k, v in config.items() if "{{secrets/" in str(v))
    if isinstance(config[key], dict):
        inner = {k: v for k, v in config[key].items() if "{{secrets/" not in str(v)}
        name = next(k for k, v in config[key].items() if "{{secrets/" in str(v))
        return {**out, key: {**inner, f"{name}_plaintext": SENTINEL}}
    return {**out, f"{key}_plaintext": SENTINEL}
