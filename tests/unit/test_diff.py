"""diff_endpoint over canonical states: defaults are not drift, edits are, replaces are named."""

from __future__ import annotations

import copy
from typing import Any

from servingops.diff import diff_endpoint, needs_replace
from servingops.model import EndpointSpec, rest
from servingops.model.rest import live_state
from servingops.model.state import desired_state, fingerprint

RAW: dict[str, Any] = {
    "name": "chat",
    "tier": "external",
    "task": "llm/v1/chat",
    "served_entities": [
        {
            "name": "gpt",
            "external_model": {
                "provider": "openai",
                "name": "gpt-4o-mini",
                "openai_config": {"openai_api_key": "{{secrets/s/k}}"},
            },
        },
        {
            "name": "claude",
            "external_model": {
                "provider": "anthropic",
                "name": "claude-sonnet-4",
                "anthropic_config": {"anthropic_api_key": "{{secrets/s/a}}"},
            },
        },
    ],
    "traffic": {"gpt": 90, "claude": 10},
    "ai_gateway": {"rate_limits": [{"key": "user", "calls": 100, "renewal_period": "minute"}]},
    "tags": {"team": "support"},
}


def _spec(**changes: Any) -> EndpointSpec:
    raw = copy.deepcopy(RAW) | changes
    return EndpointSpec.from_mapping(raw)


def _live(spec: EndpointSpec, shuffle: bool = True) -> dict[str, Any]:
    """GET after creating ``spec``: defaults added, order shuffled, both route names."""
    body = rest.create_body(spec)
    entities = [
        dict(e, state={"deployment": "DEPLOYMENT_READY"}, creator="me")
        for e in body["config"]["served_entities"]
    ]
    routes = [
        dict(r, served_model_name=r["served_entity_name"])
        for r in body["config"]["traffic_config"]["routes"]
    ]
    return {
        "name": spec.name,
        "description": "",
        "route_optimized": False,
        "config": {
            "served_entities": entities[::-1] if shuffle else entities,
            "traffic_config": {"routes": routes[::-1]},
            "config_version": 3,
        },
        "ai_gateway": dict(body.get("ai_gateway", {}), guardrails=None, inference_table_config={}),
        "tags": list(reversed(body.get("tags", []))),
        "state": {"ready": "READY", "config_update": "NOT_UPDATING"},
    }


def test_round_trip_with_server_defaults_and_reordering_is_no_change() -> None:
    spec = _spec()
    assert diff_endpoint(live_state(_live(spec)), desired_state(spec)) == []


def test_traffic_edit_is_an_in_place_config_change() -> None:
    live = live_state(_live(_spec()))
    changes = diff_endpoint(live, desired_state(_spec(traffic={"gpt": 50, "claude": 50})))
    assert {(c.path, c.old, c.new, c.group) for c in changes} == {
        ("traffic.gpt", 90, 50, "config"),
        ("traffic.claude", 10, 50, "config"),
    }
    assert needs_replace(changes) == []


def test_hand_added_tag_is_drift_when_tags_are_managed() -> None:
    detail = _live(_spec())
    detail["tags"].append({"key": "owner", "value": "bob"})
    changes = diff_endpoint(live_state(detail), desired_state(_spec()))
    assert [(c.path, c.action, c.group) for c in changes] == [("tags.owner", "remove", "tags")]


def test_unmanaged_tags_are_not_drift() -> None:
    spec = _spec()
    detail = _live(spec)
    detail["tags"].append({"key": "owner", "value": "bob"})
    raw = copy.deepcopy(RAW)
    del raw["tags"]
    assert diff_endpoint(live_state(detail), desired_state(EndpointSpec.from_mapping(raw))) == []


def test_model_name_change_is_update_of_that_entity() -> None:
    ents = copy.deepcopy(RAW["served_entities"])
    ents[0]["external_model"]["name"] = "gpt-4o"
    changes = diff_endpoint(live_state(_live(_spec())), desired_state(_spec(served_entities=ents)))
    assert [(c.path, c.old, c.new) for c in changes] == [
        ("served_entities[gpt].external_model.name", "gpt-4o-mini", "gpt-4o")
    ]


def test_gateway_section_removed_from_file_is_a_change() -> None:
    live = live_state(_live(_spec()))
    changes = diff_endpoint(
        live, desired_state(_spec(ai_gateway={"fallback_config": {"enabled": True}}))
    )
    assert {c.path for c in changes} == {"ai_gateway.rate_limits", "ai_gateway.fallback_config"}
    assert {c.group for c in changes} == {"ai_gateway"}


def test_switch_to_provisioned_forces_replace() -> None:
    pt = {
        "name": "chat",
        "tier": "provisioned",
        "task": "llm/v1/chat",
        "served_entities": [
            {
                "name": "llama",
                "entity_name": "system.ai.meta_llama_v3_3_70b_instruct",
                "entity_version": "2",
                "provisioned_model_units": 50,
            }
        ],
    }
    changes = diff_endpoint(
        live_state(_live(_spec())), desired_state(EndpointSpec.from_mapping(pt))
    )
    assert "kind" in needs_replace(changes)


def test_route_optimized_change_forces_replace() -> None:
    changes = diff_endpoint(live_state(_live(_spec())), desired_state(_spec(route_optimized=True)))
    assert needs_replace(changes) == ["route_optimized"]


def test_plaintext_is_fingerprinted_never_stored() -> None:
    ents = copy.deepcopy(RAW["served_entities"])
    ents[0]["external_model"]["openai_config"] = {"openai_api_key_plaintext": "sk-SENTINEL"}
    desired = desired_state(_spec(served_entities=ents))
    assert "sk-SENTINEL" not in repr(desired)
    assert desired.write_only == {
        "served_entities[gpt].external_model.openai_config.openai_api_key_plaintext": fingerprint(
            "sk-SENTINEL"
        )
    }


def test_changed_plaintext_is_an_update_and_unchanged_is_not() -> None:
    ents = copy.deepcopy(RAW["served_entities"])
    ents[0]["external_model"]["openai_config"] = {"openai_api_key_plaintext": "one"}
    before = desired_state(_spec(served_entities=ents))
    live = live_state(_live(_spec(served_entities=ents)), previous=before)
    assert diff_endpoint(live, before) == []
    ents[0]["external_model"]["openai_config"] = {"openai_api_key_plaintext": "two"}
    changes = diff_endpoint(live, desired_state(_spec(served_entities=ents)))
    assert [(c.path, c.old, c.new) for c in changes] == [
        (
            "served_entities[gpt].external_model.openai_config.openai_api_key_plaintext",
            "(hidden)",
            "(hidden)",
        )
    ]
    assert "one" not in repr(changes) and "two" not in repr(changes)


def test_entity_removed_by_hand_is_drift() -> None:
    detail = _live(_spec())
    detail["config"]["served_entities"] = detail["config"]["served_entities"][:1]
    changes = diff_endpoint(live_state(detail), desired_state(_spec()))
    assert any(c.path.startswith("served_entities[") and c.action == "add" for c in changes)


def test_without_a_record_write_only_fields_are_not_compared() -> None:
    ents = copy.deepcopy(RAW["served_entities"])
    ents[0]["external_model"]["openai_config"] = {"openai_api_key_plaintext": "one"}
    spec = _spec(served_entities=ents)
    assert diff_endpoint(live_state(_live(spec)), desired_state(spec)) == []


def test_pay_per_token_reference_never_drifts_on_its_entities() -> None:
    spec = EndpointSpec.from_mapping(
        {"name": "databricks-gte-large-en", "tier": "pay-per-token", "task": "llm/v1/embeddings"}
    )
    detail = {
        "name": spec.name,
        "config": {
            "served_entities": [
                {"name": "gte", "entity_name": "system.ai.gte_large_en_v1_5", "entity_version": "1"}
            ]
        },
    }
    assert diff_endpoint(live_state(detail), desired_state(spec)) == []


def test_list_items_compare_by_content_not_key_order() -> None:
    detail = _live(_spec())
    limits = detail["ai_gateway"]["rate_limits"]
    detail["ai_gateway"]["rate_limits"] = [dict(reversed(list(x.items()))) for x in limits]
    assert diff_endpoint(live_state(detail), desired_state(_spec())) == []
