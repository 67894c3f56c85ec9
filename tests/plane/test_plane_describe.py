"""Permissions (by endpoint id), model-optimization info, OpenAPI, logs and metrics."""

from __future__ import annotations

from plane_payloads import API, assert_error, chat_endpoint

PERMS = "/api/2.0/permissions/serving-endpoints"


def _create(api) -> str:
    endpoint_id = api.post(API, chat_endpoint()).json()["id"]
    api.clock.advance(1)
    return str(endpoint_id)


def test_get_permissions_lists_creator_and_admins(api):
    endpoint_id = _create(api)
    body = api.get(f"{PERMS}/{endpoint_id}").json()
    assert body["object_id"] == f"/serving-endpoints/{endpoint_id}"
    assert body["access_control_list"][0] == {
        "user_name": "plane-user@example.com",
        "all_permissions": [{"permission_level": "CAN_MANAGE", "inherited": False}],
    }
    assert body["access_control_list"][-1]["group_name"] == "admins"


def test_put_permissions_replaces_and_patch_merges(api):
    endpoint_id = _create(api)
    acl = {"access_control_list": [{"group_name": "users", "permission_level": "CAN_QUERY"}]}
    body = api.put(f"{PERMS}/{endpoint_id}", acl).json()
    assert [e.get("group_name") for e in body["access_control_list"]] == ["users", "admins"]
    extra = {
        "access_control_list": [{"user_name": "ana@example.com", "permission_level": "CAN_VIEW"}]
    }
    body = api.patch(f"{PERMS}/{endpoint_id}", extra).json()
    names = [e.get("group_name") or e.get("user_name") for e in body["access_control_list"]]
    assert names == ["users", "ana@example.com", "admins"]


def test_permissions_reject_unknown_level(api):
    endpoint_id = _create(api)
    acl = {"access_control_list": [{"user_name": "a@example.com", "permission_level": "CAN_OWN"}]}
    r = api.put(f"{PERMS}/{endpoint_id}", acl)
    assert_error(
        r,
        400,
        "INVALID_PARAMETER_VALUE",
        "'access_control_list[0].permission_level' must be one of CAN_MANAGE, CAN_QUERY, "
        "CAN_VIEW, got 'CAN_OWN'.",
    )


def test_permissions_are_keyed_by_id_not_name(api):
    _create(api)
    r = api.get(f"{PERMS}/chat")
    assert_error(r, 404, "RESOURCE_DOES_NOT_EXIST", "Endpoint with id 'chat' does not exist.")


def test_permission_levels(api):
    endpoint_id = _create(api)
    levels = api.get(f"{PERMS}/{endpoint_id}/permissionLevels").json()["permission_levels"]
    assert [level["permission_level"] for level in levels] == [
        "CAN_MANAGE",
        "CAN_QUERY",
        "CAN_VIEW",
    ]


def test_model_optimization_info_from_the_catalogue(api):
    r = api.get(f"{API}/get-model-optimization-info/system.ai.meta_llama_v3_3_70b_instruct/1")
    assert r.json() == {"optimizable": True, "model_type": "llama", "throughput_chunk_size": 9500}


def test_model_optimization_info_unknown_version_is_404(api):
    r = api.get(f"{API}/get-model-optimization-info/system.ai.dbrx_instruct/9")
    assert_error(
        r,
        404,
        "RESOURCE_DOES_NOT_EXIST",
        "Version '9' of model 'system.ai.dbrx_instruct' does not exist.",
    )


def test_model_optimization_info_of_a_custom_model_is_not_optimizable(api):
    assert api.get(f"{API}/get-model-optimization-info/main.default.m/1").json() == {
        "optimizable": False
    }


def test_openapi_describes_the_task_and_entity_paths(api):
    _create(api)
    doc = api.get(f"{API}/chat/openapi").json()
    assert doc["openapi"] == "3.1.0"
    schema = doc["paths"]["/invocations"]["post"]["requestBody"]["content"]["application/json"][
        "schema"
    ]
    assert schema["required"] == ["messages"]
    assert "/served-models/gpt/invocations" in doc["paths"]


def test_build_logs_and_logs(api):
    _create(api)
    assert "gpt" in api.get(f"{API}/chat/served-models/gpt/build-logs").json()["logs"]
    assert "gpt" in api.get(f"{API}/chat/served-models/gpt/logs").json()["logs"]


def test_logs_of_unknown_entity_is_404(api):
    _create(api)
    r = api.get(f"{API}/chat/served-models/nope/logs")
    assert_error(
        r, 404, "RESOURCE_DOES_NOT_EXIST", "Served entity 'nope' does not exist in endpoint 'chat'."
    )


def test_metrics_count_queries(api):
    _create(api)
    api.post(
        "/serving-endpoints/chat/invocations", {"messages": [{"role": "user", "content": "hi"}]}
    )
    r = api.get(f"{API}/chat/metrics")
    assert r.headers["content-type"].startswith("application/openmetrics-text")
    assert 'request_count_total{served_entity="gpt"} 1' in r.text
    assert r.text.endswith("# EOF\n")
