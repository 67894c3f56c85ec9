"""The Permissions API of the plane: id-keyed GET / PUT (replace) / PATCH (merge), owner
and inherited admins entries as the real service returns them, 400 for unknown levels
and principals (the seedable directory), and queries refused without CAN_QUERY when
``enforce_acl`` is on (it is, in tests)."""

from __future__ import annotations

from plane_payloads import API, assert_error, chat_endpoint

PERMS = "/api/2.0/permissions/serving-endpoints"
CHAT = {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 4}
SP, SECRET = "sp-app", "s3cret"
OAUTH = {"client_id": SP, "client_secret": SECRET}


def _create(api) -> str:
    endpoint_id = api.post(API, chat_endpoint()).json()["id"]
    api.clock.advance(1)
    return str(endpoint_id)


def _grant(api, endpoint_id: str, *entries: dict[str, str], method: str = "put") -> dict:
    body = {"access_control_list": list(entries)}
    r = getattr(api, method)(f"{PERMS}/{endpoint_id}", body)
    assert r.status_code == 200, r.text
    return dict(r.json())


def _sp_headers(api) -> dict[str, str]:
    form = {"grant_type": "client_credentials", **OAUTH}
    token = api.client.post("/oidc/v1/token", data=form).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def _query_as_sp(api):
    return api.client.post(
        "/serving-endpoints/chat/invocations", json=CHAT, headers=_sp_headers(api)
    )


def test_put_replaces_direct_entries_and_keeps_inherited_admins(api):
    endpoint_id = _create(api)
    body = _grant(api, endpoint_id, {"group_name": "ml-platform", "permission_level": "CAN_MANAGE"})
    assert body["access_control_list"] == [
        {
            "group_name": "ml-platform",
            "all_permissions": [{"permission_level": "CAN_MANAGE", "inherited": False}],
        },
        {
            "group_name": "admins",
            "all_permissions": [
                {
                    "permission_level": "CAN_MANAGE",
                    "inherited": True,
                    "inherited_from_object": ["/serving-endpoints/"],
                }
            ],
        },
    ]
    assert api.get(f"{PERMS}/{endpoint_id}").json() == body


def test_put_of_an_empty_list_leaves_only_the_inherited_admins(api):
    """terraform-provider-databricks#2165: a PUT without the creator drops its entry."""
    endpoint_id = _create(api)
    body = _grant(api, endpoint_id)
    assert [e.get("group_name") for e in body["access_control_list"]] == ["admins"]


def test_patch_adds_and_changes_entries(api):
    endpoint_id = _create(api)
    _grant(api, endpoint_id, {"user_name": "ana@example.com", "permission_level": "CAN_VIEW"})
    body = _grant(
        api,
        endpoint_id,
        {"user_name": "ana@example.com", "permission_level": "CAN_QUERY"},
        method="patch",
    )
    levels = {
        e.get("user_name") or e.get("group_name"): e["all_permissions"][0]["permission_level"]
        for e in body["access_control_list"]
    }
    assert levels == {"ana@example.com": "CAN_QUERY", "admins": "CAN_MANAGE"}


def test_unknown_principal_is_400(api):
    endpoint_id = _create(api)
    acl = {"access_control_list": [{"group_name": "no-such-team", "permission_level": "CAN_QUERY"}]}
    r = api.put(f"{PERMS}/{endpoint_id}", acl)
    assert_error(
        r,
        400,
        "INVALID_PARAMETER_VALUE",
        "Principal: group_name 'no-such-team' does not exist in this workspace.",
    )


def test_seeded_principals_are_accepted(make_api):
    api = make_api(service_principals=("app-1",), groups={"team-a": ()}, users=())
    endpoint_id = _create(api)
    body = _grant(
        api,
        endpoint_id,
        {"service_principal_name": "app-1", "permission_level": "CAN_QUERY"},
        {"group_name": "team-a", "permission_level": "CAN_MANAGE"},
    )
    assert len(body["access_control_list"]) == 3
    r = api.put(
        f"{PERMS}/{endpoint_id}",
        {"access_control_list": [{"user_name": "ana@example.com", "permission_level": "CAN_VIEW"}]},
    )
    assert r.status_code == 400


def test_query_without_can_query_is_403(make_api):
    api = make_api(**OAUTH)
    _create(api)
    r = _query_as_sp(api)
    assert_error(
        r,
        403,
        "PERMISSION_DENIED",
        f"User '{SP}' does not have permission 'Query' on Endpoint chat.",
    )


def test_can_query_granted_directly_or_through_a_group_lets_the_caller_query(make_api):
    api = make_api(**OAUTH, groups={"apps": (SP,)})
    endpoint_id = _create(api)
    _grant(api, endpoint_id, {"service_principal_name": SP, "permission_level": "CAN_QUERY"})
    assert _query_as_sp(api).status_code == 200
    _grant(api, endpoint_id, {"group_name": "apps", "permission_level": "CAN_QUERY"})
    assert _query_as_sp(api).status_code == 200
    _grant(api, endpoint_id, {"group_name": "apps", "permission_level": "CAN_VIEW"})
    assert _query_as_sp(api).status_code == 403


def test_admins_always_query(make_api):
    api = make_api(**OAUTH)
    endpoint_id = _create(api)
    _grant(api, endpoint_id)  # no direct entry at all: the start token's user is an admin
    assert api.post("/serving-endpoints/chat/invocations", CHAT).status_code == 200


def test_enforcement_can_be_turned_off(make_api):
    api = make_api(**OAUTH, enforce_acl=False)
    _create(api)
    assert _query_as_sp(api).status_code == 200


def test_pay_per_token_endpoints_answer_everyone(make_api):
    api = make_api(**OAUTH)
    r = api.client.post(
        "/serving-endpoints/databricks-meta-llama-3-3-70b-instruct/invocations",
        json=CHAT,
        headers=_sp_headers(api),
    )
    assert r.status_code == 200


def test_enforcement_is_a_start_option_off_by_default():
    from plane.server import parse_args, settings_from

    assert settings_from(parse_args([])).enforce_acl is False
    assert settings_from(parse_args(["--enforce-acl"])).enforce_acl is True


def test_an_endpoint_created_by_a_service_principal_lists_it_as_one(make_api):
    api = make_api(**OAUTH)
    r = api.client.post(API, json=chat_endpoint(), headers=_sp_headers(api))
    endpoint_id = r.json()["id"]
    acl = api.get(f"{PERMS}/{endpoint_id}").json()["access_control_list"]
    assert acl[0] == {
        "service_principal_name": SP,
        "all_permissions": [{"permission_level": "CAN_MANAGE", "inherited": False}],
    }
    api.clock.advance(1)
    assert _query_as_sp(api).status_code == 200  # the creator may query its endpoint
