"""Absent, empty and set are three states: for every managed list/map key, an empty
declaration clears the live value, a live empty echo equals it, and an absent key is
never compared. Each case failed before the typed model (the clears were lost, or the
empty declaration diffed forever)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from servingops.diff import FieldChange, diff_endpoint
from servingops.model import ChangeGroup, EndpointSpec, rest
from servingops.model.rest import live_state
from servingops.model.state import desired_state

BASE: dict[str, Any] = {
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
        }
    ],
}
LIMIT = {"key": "user", "calls": 100, "renewal_period": "minute"}
LIVE_GATEWAY = {
    "usage_tracking_config": {"enabled": True},
    "inference_table_config": {"catalog_name": "c", "schema_name": "s", "enabled": True},
    "rate_limits": [LIMIT],
    "guardrails": {"input": {"safety": True}},
    "fallback_config": {"enabled": True},
}
LIVE_EXTRAS = {
    "ai_gateway": LIVE_GATEWAY,
    "tags": [{"key": "team", "value": "a"}],
    "email_notifications": {"on_update_failure": ["a@example.com"], "on_update_success": []},
}


def _spec(**keys: Any) -> EndpointSpec:
    return EndpointSpec.from_mapping(copy.deepcopy(BASE) | keys)


def _detail(**extra: Any) -> dict[str, Any]:
    """A GET answer for BASE with ``extra`` top-level fields (server echo shapes)."""
    body = rest.create_body(_spec())
    return {
        "name": "chat",
        "description": "",
        "route_optimized": False,
        "config": {"served_entities": body["config"]["served_entities"], "config_version": 1},
        "state": {"ready": "READY", "config_update": "NOT_UPDATING"},
        **extra,
    }


def _diff(detail: dict[str, Any], **keys: Any) -> list[FieldChange]:
    return diff_endpoint(live_state(detail), desired_state(_spec(**keys)))


EMPTY_DECLARATIONS = [
    ("ai_gateway", {}, ChangeGroup.AI_GATEWAY, 5),
    ("ai_gateway", {"rate_limits": []}, ChangeGroup.AI_GATEWAY, 5),
    ("ai_gateway", {"guardrails": {}}, ChangeGroup.AI_GATEWAY, 5),
    ("ai_gateway", {"usage_tracking_config": {}, "fallback_config": {}}, ChangeGroup.AI_GATEWAY, 5),
    ("ai_gateway", {"inference_table_config": {}}, ChangeGroup.AI_GATEWAY, 5),
    ("tags", {}, ChangeGroup.TAGS, 1),
    ("email_notifications", {}, ChangeGroup.NOTIFICATIONS, 1),
    ("email_notifications", {"on_update_failure": []}, ChangeGroup.NOTIFICATIONS, 1),
]
IDS = [f"{k}={v}" for k, v, _, _ in EMPTY_DECLARATIONS]


@pytest.mark.parametrize(("key", "empty", "group", "count"), EMPTY_DECLARATIONS, ids=IDS)
def test_an_empty_declaration_clears_every_live_value(
    key: str, empty: Any, group: ChangeGroup, count: int
) -> None:
    changes = _diff(_detail(**LIVE_EXTRAS), **{key: empty})
    assert len(changes) == count and {c.group for c in changes} == {group}
    assert all(c.action == "remove" for c in changes)


@pytest.mark.parametrize(("key", "empty", "group", "count"), EMPTY_DECLARATIONS, ids=IDS)
@pytest.mark.parametrize("echo", ["absent", "null", "empty"])
def test_an_empty_declaration_equals_every_empty_echo(
    key: str, empty: Any, group: ChangeGroup, count: int, echo: str
) -> None:
    shapes = {
        "ai_gateway": {"rate_limits": [], "guardrails": None, "inference_table_config": {}},
        "tags": [],
        "email_notifications": {"on_update_failure": [], "on_update_success": []},
    }
    extra = {} if echo == "absent" else {key: None if echo == "null" else shapes[key]}
    assert _diff(_detail(**extra), **{key: empty}) == []


@pytest.mark.parametrize("key", ["ai_gateway", "tags", "email_notifications"])
def test_an_absent_key_is_unmanaged_and_never_drifts(key: str) -> None:
    assert _diff(_detail(**LIVE_EXTRAS)) == []
    assert key not in desired_state(_spec()).to_json() or (
        desired_state(_spec()).to_json()[key] is None
    )


def test_notifications_with_one_empty_list_converge_with_the_server_echo() -> None:
    declared = {"on_update_failure": ["oncall@example.com"], "on_update_success": []}
    echo = {"on_update_failure": ["oncall@example.com"]}  # the empty list is not echoed
    assert _diff(_detail(email_notifications=echo), email_notifications=declared) == []


def test_a_cleared_rate_limit_is_sent_as_an_empty_gateway() -> None:
    spec = _spec(ai_gateway={"rate_limits": []})
    assert rest.gateway_body(spec) == {}
    assert rest.create_body(spec)["ai_gateway"] == {}


def test_cleared_notifications_send_both_lists_empty() -> None:
    spec = _spec(email_notifications={})
    assert rest.notifications_body(spec) == {"on_update_failure": [], "on_update_success": []}
    assert rest.notifications_body(_spec()) is None


def test_an_empty_description_is_managed_and_equals_the_echoed_empty_string() -> None:
    assert _diff(_detail(description=""), description="") == []
    changes = _diff(_detail(description="by hand"), description="")
    assert [(c.path, c.group) for c in changes] == [("description", ChangeGroup.REPLACE)]


def _uc(env: Any) -> dict[str, Any]:
    entity = {"name": "m", "entity_name": "main.ml.m", "entity_version": "1"}
    return {**entity, "environment_vars": env} if env is not None else entity


@pytest.mark.parametrize(("live_env", "changed"), [({"A": "1"}, True), (None, False), ({}, False)])
def test_an_empty_map_inside_an_entity_is_compared_whole(live_env: Any, changed: bool) -> None:
    raw = copy.deepcopy(BASE) | {"tier": "provisioned", "served_entities": [_uc({})]}
    detail = _detail()
    detail["config"]["served_entities"] = [_uc(live_env)]
    changes = diff_endpoint(live_state(detail), desired_state(EndpointSpec.from_mapping(raw)))
    paths = [c.path for c in changes if c.path.startswith("served_entities")]
    assert paths == (["served_entities[m].environment_vars"] if changed else [])


def test_state_json_round_trips_the_three_states() -> None:
    for keys in ({}, {"tags": {}}, {"tags": {"a": "b"}}, {"ai_gateway": {}}):
        state = desired_state(_spec(**keys))
        again = type(state).from_json(state.to_json())
        assert again == state, keys
