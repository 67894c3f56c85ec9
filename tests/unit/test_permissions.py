"""``permissions:`` through the typed model: spec, state, REST codec, the one diff, export.

The file's shape is Databricks Asset Bundles' (``{level, group_name: …}``); the ACL is
managed for its direct entries only, the creator keeps CAN_MANAGE
(terraform-provider-databricks#2165/#2168) and inherited ``admins`` never take part.
"""

from __future__ import annotations

import copy
from typing import Any

from servingops.diff import diff_endpoint
from servingops.model import ChangeGroup, EndpointSpec, rest
from servingops.model.kinds import PermissionLevel, PrincipalKind
from servingops.model.state import EndpointState, desired_state
from servingops.review import EndpointChanges, format_text

CREATOR = "ci-bot@example.com"
SP = "7d1c2b3a-0000-4000-8000-000000000001"
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
DECLARED = [
    {"level": "CAN_QUERY", "service_principal_name": SP},
    {"level": "CAN_MANAGE", "group_name": "ml-platform"},
]


def _spec(**keys: Any) -> EndpointSpec:
    return EndpointSpec.from_mapping(copy.deepcopy(BASE) | keys)


def _entry(kind: str, who: str, level: str, inherited: bool = False) -> dict[str, Any]:
    perm: dict[str, Any] = {"permission_level": level, "inherited": inherited}
    if inherited:
        perm["inherited_from_object"] = ["/serving-endpoints/"]
    return {kind: who, "all_permissions": [perm]}


def _acl(*entries: dict[str, Any]) -> dict[str, Any]:
    """A Permissions API answer: the creator, ``entries`` and the inherited admins."""
    return {
        "object_id": "/serving-endpoints/abc",
        "object_type": "serving-endpoint",
        "access_control_list": [
            _entry("user_name", CREATOR, "CAN_MANAGE"),
            *entries,
            _entry("group_name", "admins", "CAN_MANAGE", inherited=True),
        ],
    }


def _detail() -> dict[str, Any]:
    body = rest.create_body(_spec())
    return {
        "name": "chat",
        "id": "abc",
        "creator": CREATOR,
        "description": "",
        "config": {"served_entities": body["config"]["served_entities"], "config_version": 1},
        "state": {"ready": "READY", "config_update": "NOT_UPDATING"},
    }


def _live(*entries: dict[str, Any]) -> EndpointState:
    return rest.live_state(_detail(), acl=_acl(*entries))


def test_spec_reads_the_bundles_shape_sorted() -> None:
    spec = _spec(permissions=DECLARED)
    assert spec.permissions is not None
    assert [(p.kind, p.principal, p.level) for p in spec.permissions] == [
        (PrincipalKind.GROUP, "ml-platform", PermissionLevel.CAN_MANAGE),
        (PrincipalKind.SERVICE_PRINCIPAL, SP, PermissionLevel.CAN_QUERY),
    ]
    assert [p.to_mapping() for p in spec.permissions] == sorted(
        DECLARED, key=lambda e: next(k for k in e if k != "level")
    )


def test_three_states_absent_empty_set() -> None:
    assert _spec().permissions is None
    assert desired_state(_spec()).permissions is None
    assert desired_state(_spec(permissions=[])).permissions == {}
    assert desired_state(_spec(permissions=DECLARED)).permissions == {
        "group_name:ml-platform": "CAN_MANAGE",
        f"service_principal_name:{SP}": "CAN_QUERY",
    }


def test_unmanaged_acl_never_drifts() -> None:
    live = _live(_entry("user_name", "someone@example.com", "CAN_MANAGE"))
    assert diff_endpoint(live, desired_state(_spec())) == []


def test_live_acl_keeps_direct_entries_only() -> None:
    inherited = _entry("group_name", "users", "CAN_QUERY", inherited=True)
    live = _live(_entry("group_name", "ml-platform", "CAN_MANAGE"), inherited)
    assert live.permissions == {
        f"user_name:{CREATOR}": "CAN_MANAGE",
        "group_name:ml-platform": "CAN_MANAGE",
    }


def test_declared_acl_matching_live_is_no_change() -> None:
    live = _live(
        _entry("service_principal_name", SP, "CAN_QUERY"),
        _entry("group_name", "ml-platform", "CAN_MANAGE"),
    )
    assert diff_endpoint(live, desired_state(_spec(permissions=DECLARED))) == []


def test_missing_changed_and_hand_added_principals_are_changes() -> None:
    live = _live(
        _entry("group_name", "ml-platform", "CAN_VIEW"),
        _entry("user_name", "mallory@example.com", "CAN_QUERY"),
    )
    changes = diff_endpoint(live, desired_state(_spec(permissions=DECLARED)))
    assert {(c.path, c.old, c.new, c.group) for c in changes} == {
        ("permissions[group_name:ml-platform]", "CAN_VIEW", "CAN_MANAGE", ChangeGroup.PERMISSIONS),
        ("permissions[user_name:mallory@example.com]", "CAN_QUERY", None, ChangeGroup.PERMISSIONS),
        (f"permissions[service_principal_name:{SP}]", None, "CAN_QUERY", ChangeGroup.PERMISSIONS),
    }


def test_empty_declaration_removes_every_direct_entry_but_the_creator() -> None:
    live = _live(_entry("group_name", "ml-platform", "CAN_MANAGE"))
    changes = diff_endpoint(live, desired_state(_spec(permissions=[])))
    assert [(c.path, c.action) for c in changes] == [
        ("permissions[group_name:ml-platform]", "remove")
    ]


def test_creator_is_compared_only_when_the_file_names_it() -> None:
    declared = [{"level": "CAN_QUERY", "user_name": CREATOR}]
    changes = diff_endpoint(_live(), desired_state(_spec(permissions=declared)))
    assert [(c.old, c.new) for c in changes] == [("CAN_MANAGE", "CAN_QUERY")]


def test_put_body_keeps_the_creator_as_manager() -> None:
    body = rest.permissions_body(_spec(permissions=DECLARED), CREATOR)
    assert body == {
        "access_control_list": [
            {"group_name": "ml-platform", "permission_level": "CAN_MANAGE"},
            {"service_principal_name": SP, "permission_level": "CAN_QUERY"},
            {"user_name": CREATOR, "permission_level": "CAN_MANAGE"},
        ]
    }


def test_put_body_sends_a_declared_creator_as_declared() -> None:
    declared = [{"level": "CAN_MANAGE", "user_name": CREATOR}]
    body = rest.permissions_body(_spec(permissions=declared), CREATOR)
    assert body["access_control_list"] == [{"user_name": CREATOR, "permission_level": "CAN_MANAGE"}]


def test_state_json_round_trip_keeps_permissions_and_creator() -> None:
    live = _live(_entry("group_name", "ml-platform", "CAN_MANAGE"))
    again = EndpointState.from_json(live.to_json())
    assert again.permissions == live.permissions
    assert again.creator == CREATOR
    assert diff_endpoint(again, desired_state(_spec(permissions=DECLARED[1:]))) == []


def test_export_writes_permissions_without_creator_and_inherited() -> None:
    acl = _acl(
        _entry("service_principal_name", SP, "CAN_QUERY"),
        _entry("group_name", "users", "CAN_VIEW", inherited=True),
    )
    raw = rest.file_from_detail(_detail(), "external", "llm/v1/chat", acl=acl)
    assert raw["permissions"] == [{"level": "CAN_QUERY", "service_principal_name": SP}]
    assert (
        EndpointSpec.from_mapping(raw).permissions == _spec(permissions=[DECLARED[0]]).permissions
    )


def test_review_summary_names_the_principal() -> None:
    live = _live(_entry("user_name", "mallory@example.com", "CAN_QUERY"))
    changes = diff_endpoint(live, desired_state(_spec(permissions=[])))
    text = format_text([EndpointChanges.from_changes("chat", changes)])
    assert "- permissions[user_name:mallory@example.com] (was 'CAN_QUERY')" in text
    assert "~ chat  (update in place)" in text


def test_offline_review_between_two_files_shows_permission_changes() -> None:
    old, new = _spec(permissions=DECLARED), _spec(permissions=DECLARED[1:])
    changes = diff_endpoint(desired_state(old), desired_state(new))
    assert [(c.path, c.action) for c in changes] == [
        (f"permissions[service_principal_name:{SP}]", "remove")
    ]


def test_overlay_replaces_permissions_per_stack_and_null_unmanages_them() -> None:
    from servingops.loader import check_document
    from servingops.overlay import apply_overlay

    raw = copy.deepcopy(BASE) | {"permissions": DECLARED}
    prod = apply_overlay(raw, {"permissions": [{"level": "CAN_QUERY", "group_name": "prod-apps"}]})
    assert (
        EndpointSpec.from_mapping(prod).permissions
        == _spec(permissions=[{"level": "CAN_QUERY", "group_name": "prod-apps"}]).permissions
    )
    assert EndpointSpec.from_mapping(apply_overlay(raw, {"permissions": None})).permissions is None
    twice = apply_overlay(raw, {"permissions": [DECLARED[1], DECLARED[1]]})
    assert [d.rule for d in check_document(twice, "overlay.yaml")] == ["permission-duplicate"]


def test_put_body_sends_a_service_principal_creator_as_one() -> None:
    app_id = "0b1c2d3e-0000-4000-8000-00000000000a"
    body = rest.permissions_body(_spec(permissions=[]), app_id)
    assert body == {
        "access_control_list": [
            {"service_principal_name": app_id, "permission_level": "CAN_MANAGE"}
        ]
    }
