"""EndpointSpec payloads: only what the user set, explicit false/0 kept, our sugar translated."""

from __future__ import annotations

from typing import Any

from servingops.model import EndpointSpec, rest


def _raw(**extra: Any) -> dict[str, Any]:
    entity = {
        "external_model": {
            "provider": "openai",
            "name": "gpt-4o-mini",
            "openai_config": {"openai_api_key": "{{secrets/llm/openai}}"},
        }
    }
    return {
        "name": "chat",
        "tier": "external",
        "task": "llm/v1/chat",
        "served_entities": [entity],
        **extra,
    }


def test_create_body_has_only_set_fields_and_task_moves_into_external_model() -> None:
    body = rest.create_body(EndpointSpec.from_mapping(_raw()))
    assert set(body) == {"name", "config"}
    entity = body["config"]["served_entities"][0]
    assert entity["name"] == "gpt-4o-mini"  # default name made explicit
    assert entity["external_model"]["task"] == "llm/v1/chat"
    assert "traffic_config" not in body["config"]


def test_explicit_false_and_zero_are_kept() -> None:
    gateway = {
        "rate_limits": [{"calls": 0, "renewal_period": "minute"}],
        "usage_tracking_config": {"enabled": False},
    }
    body = rest.create_body(
        EndpointSpec.from_mapping(_raw(route_optimized=False, ai_gateway=gateway))
    )
    assert body["route_optimized"] is False
    assert body["ai_gateway"]["rate_limits"][0]["calls"] == 0
    assert body["ai_gateway"]["usage_tracking_config"] == {"enabled": False}


def test_traffic_and_tags_are_translated() -> None:
    spec = EndpointSpec.from_mapping(_raw(traffic={"gpt-4o-mini": 100}, tags={"b": "2", "a": "1"}))
    body = rest.create_body(spec)
    assert body["config"]["traffic_config"] == {
        "routes": [{"served_entity_name": "gpt-4o-mini", "traffic_percentage": 100}]
    }
    assert body["tags"] == [{"key": "a", "value": "1"}, {"key": "b", "value": "2"}]


def test_pt_route_when_sized_in_model_units() -> None:
    raw = {
        "name": "pt",
        "tier": "provisioned",
        "task": "llm/v1/chat",
        "description": "x",
        "served_entities": [
            {
                "entity_name": "system.ai.meta_llama_v3_3_70b_instruct",
                "entity_version": "2",
                "provisioned_model_units": 50,
            }
        ],
    }
    spec = EndpointSpec.from_mapping(raw)
    assert spec.uses_pt_route
    body = rest.create_body(spec)
    assert "description" not in body and "route_optimized" not in body
    assert body["config"]["served_entities"][0]["name"] == "meta_llama_v3_3_70b_instruct-2"


def test_smoke_defaults_and_overrides() -> None:
    spec = EndpointSpec.from_mapping(_raw(smoke={"max_tokens": 1, "expect": {"contains": "OK"}}))
    assert (spec.smoke.max_tokens, spec.smoke.contains, spec.smoke.on_failure) == (1, "OK", "fail")
