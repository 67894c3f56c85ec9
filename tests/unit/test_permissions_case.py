"""User e-mails and service-principal application ids are case-insensitive: the
Permissions API answers them lowercased, so a file writing ``Ana@Example.com`` must
converge and never show a remove/re-add on every plan (terraform-provider-databricks
#5183, fixed in #5391/#5757 by lowercasing ``user_name`` and ``service_principal_name``).
Group names keep their case."""

from __future__ import annotations

import copy
from typing import Any

from servingops.diff import diff_endpoint
from servingops.model import EndpointSpec, rest
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
SP = "7D1C2B3A-0000-4000-8000-00000000000A"


def _spec(permissions: list[dict[str, str]]) -> EndpointSpec:
    return EndpointSpec.from_mapping(copy.deepcopy(BASE) | {"permissions": permissions})


def _answer(*entries: tuple[str, str, str]) -> dict[str, Any]:
    return {
        "access_control_list": [
            {kind: who, "all_permissions": [{"permission_level": level, "inherited": False}]}
            for kind, who, level in entries
        ]
    }


def _detail(creator: str) -> dict[str, Any]:
    body = rest.create_body(_spec([]))
    return {
        "name": "chat",
        "id": "abc",
        "creator": creator,
        "config": {"served_entities": body["config"]["served_entities"], "config_version": 1},
        "state": {"ready": "READY", "config_update": "NOT_UPDATING"},
    }


def test_user_and_sp_case_differences_are_no_change() -> None:
    spec = _spec(
        [
            {"level": "CAN_QUERY", "user_name": "Ana@Example.com"},
            {"level": "CAN_QUERY", "service_principal_name": SP},
        ]
    )
    answer = _answer(
        ("user_name", "ci-bot@example.com", "CAN_MANAGE"),
        ("user_name", "ana@example.com", "CAN_QUERY"),
        ("service_principal_name", SP.lower(), "CAN_QUERY"),
    )
    live = rest.live_state(_detail("ci-bot@example.com"), acl=answer)
    assert diff_endpoint(live, desired_state(spec)) == []


def test_group_names_keep_their_case() -> None:
    spec = _spec([{"level": "CAN_QUERY", "group_name": "ML-Platform"}])
    answer = _answer(("group_name", "ml-platform", "CAN_QUERY"))
    live = rest.live_state(_detail("ci-bot@example.com"), acl=answer)
    paths = [c.path for c in diff_endpoint(live, desired_state(spec))]
    assert paths == ["permissions[group_name:ML-Platform]", "permissions[group_name:ml-platform]"]


def test_creator_named_in_another_case_is_the_creator() -> None:
    """The file names the creator as ``CI-Bot@…``: the PUT must not add a second entry for
    the creator, and the live creator entry is compared (not hidden)."""
    spec = _spec([{"level": "CAN_MANAGE", "user_name": "CI-Bot@example.com"}])
    body = rest.permissions_body(spec, "ci-bot@example.com")
    assert len(body["access_control_list"]) == 1
    answer = _answer(("user_name", "ci-bot@example.com", "CAN_MANAGE"))
    live = rest.live_state(_detail("ci-bot@example.com"), acl=answer)
    assert diff_endpoint(live, desired_state(spec)) == []
