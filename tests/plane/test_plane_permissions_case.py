"""The plane answers user e-mails (and service-principal application ids) lowercased, as
the real Permissions API does (terraform-provider-databricks#5183: a config writing
``User@Example.com`` gets ``user@example.com`` back), and matches them ignoring case."""

from __future__ import annotations

from plane_payloads import API, assert_error, chat_endpoint

PERMS = "/api/2.0/permissions/serving-endpoints"


def test_user_name_in_another_case_is_accepted_and_answered_lowercased(api):
    endpoint_id = api.post(API, chat_endpoint()).json()["id"]
    api.clock.advance(1)
    body = {
        "access_control_list": [{"user_name": "Ana@Example.com", "permission_level": "CAN_QUERY"}]
    }
    r = api.put(f"{PERMS}/{endpoint_id}", body)
    assert r.status_code == 200, r.text
    names = [
        e.get("user_name") for e in api.get(f"{PERMS}/{endpoint_id}").json()["access_control_list"]
    ]
    assert "ana@example.com" in names
    assert "Ana@Example.com" not in names


def test_patch_in_another_case_changes_the_same_entry(api):
    endpoint_id = api.post(API, chat_endpoint()).json()["id"]
    api.clock.advance(1)
    grant = {"user_name": "ana@example.com", "permission_level": "CAN_QUERY"}
    assert api.put(f"{PERMS}/{endpoint_id}", {"access_control_list": [grant]}).status_code == 200
    upper = {"user_name": "ANA@example.com", "permission_level": "CAN_VIEW"}
    assert api.patch(f"{PERMS}/{endpoint_id}", {"access_control_list": [upper]}).status_code == 200
    acl = api.get(f"{PERMS}/{endpoint_id}").json()["access_control_list"]
    ana = [e for e in acl if (e.get("user_name") or "").lower() == "ana@example.com"]
    assert [e["all_permissions"][0]["permission_level"] for e in ana] == ["CAN_VIEW"]


def test_lowering_the_admins_group_is_400(api):
    """terraform-provider-databricks#3111: "Cannot change permissions for group 'admins'"."""
    endpoint_id = api.post(API, chat_endpoint()).json()["id"]
    api.clock.advance(1)
    body = {"access_control_list": [{"group_name": "admins", "permission_level": "CAN_QUERY"}]}
    r = api.put(f"{PERMS}/{endpoint_id}", body)
    assert_error(
        r,
        400,
        "INVALID_PARAMETER_VALUE",
        "Cannot change permissions for group 'admins' to CAN_QUERY.",
    )


def test_a_creator_in_mixed_case_is_listed_lowercased(make_api):
    api = make_api(user_name="Plane-Admin@Example.com")
    endpoint_id = api.post(API, chat_endpoint()).json()["id"]
    api.clock.advance(1)
    acl = api.get(f"{PERMS}/{endpoint_id}").json()["access_control_list"]
    assert {"user_name": "plane-admin@example.com"}.items() <= acl[0].items()
