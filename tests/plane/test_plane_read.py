"""Get, list and delete; the round-trip quirks of GET; the seeded system endpoints."""

from __future__ import annotations

import json

from plane_payloads import API, assert_error, chat_endpoint, openai_entity, two_entity_endpoint

PPT = "databricks-meta-llama-3-3-70b-instruct"


def test_get_settles_after_the_delay(api):
    api.post(API, chat_endpoint())
    assert api.get(f"{API}/chat").json()["state"]["config_update"] == "IN_PROGRESS"
    api.clock.advance(1.0)
    body = api.get(f"{API}/chat").json()
    assert body["state"] == {"ready": "READY", "config_update": "NOT_UPDATING"}
    assert body["config"]["served_entities"][0]["state"]["deployment"] == "DEPLOYMENT_READY"
    assert "pending_config" not in body


def test_get_while_creating_shows_entity_creating(api):
    api.post(API, chat_endpoint())
    entity = api.get(f"{API}/chat").json()["pending_config"]["served_entities"][0]
    assert entity["state"]["deployment"] == "DEPLOYMENT_CREATING"


def test_get_never_returns_plaintext_secrets(api):
    entity = openai_entity(openai_api_key=None, openai_api_key_plaintext="sk-hidden")
    api.post(API, chat_endpoint("chat", entity))
    api.clock.advance(1)
    r = api.get(f"{API}/chat")
    assert "sk-hidden" not in r.text
    assert "openai_api_key_plaintext" not in r.text


def test_get_unknown_endpoint_is_404(api):
    r = api.get(f"{API}/missing")
    assert_error(r, 404, "RESOURCE_DOES_NOT_EXIST", "Endpoint with name 'missing' does not exist.")


def test_get_orders_entities_by_name(api):
    api.post(API, two_entity_endpoint())
    api.clock.advance(1)
    names = [e["name"] for e in api.get(f"{API}/chat").json()["config"]["served_entities"]]
    assert names == ["claude", "gpt"]


def test_get_shuffles_entities_when_asked(make_api):
    api = make_api(shuffle_entities=True, seed=3)
    entities = [openai_entity(f"e{i}") for i in range(6)]
    api.post(API, chat_endpoint("chat", *entities, traffic={"e0": 100}))
    api.clock.advance(1)
    orders = {
        tuple(e["name"] for e in api.get(f"{API}/chat").json()["config"]["served_entities"])
        for _ in range(5)
    }
    assert len(orders) > 1


def test_list_returns_summaries(api):
    api.post(API, chat_endpoint())
    endpoints = {e["name"]: e for e in api.get(API).json()["endpoints"]}
    summary = endpoints["chat"]["config"]["served_entities"][0]
    assert set(summary) == {"name", "external_model"}
    assert "openai_config" in summary["external_model"]
    assert endpoints["chat"]["state"]["config_update"] == "IN_PROGRESS"


def test_list_includes_seeded_pay_per_token_endpoints(api):
    names = {e["name"] for e in api.get(API).json()["endpoints"]}
    assert PPT in names
    assert "databricks-meta-llama-3-1-405b-instruct" not in names  # retired


def test_pay_per_token_endpoint_is_ready_with_a_foundation_model(api):
    body = api.get(f"{API}/{PPT}").json()
    assert body["state"] == {"ready": "READY", "config_update": "NOT_UPDATING"}
    assert body["task"] == "llm/v1/chat"
    assert body["permission_level"] == "CAN_QUERY"
    assert body["config"]["served_entities"][0]["foundation_model"]["name"] == PPT


def test_delete_removes_the_endpoint(api):
    api.post(API, chat_endpoint())
    r = api.delete(f"{API}/chat")
    assert r.status_code == 200 and r.json() == {}
    assert api.get(f"{API}/chat").status_code == 404


def test_delete_unknown_is_404(api):
    r = api.delete(f"{API}/missing")
    assert_error(r, 404, "RESOURCE_DOES_NOT_EXIST", "Endpoint with name 'missing' does not exist.")


def test_delete_pay_per_token_endpoint_is_403(api):
    r = api.delete(f"{API}/{PPT}")
    assert_error(
        r,
        403,
        "PERMISSION_DENIED",
        f"Endpoint '{PPT}' is a pay-per-token system endpoint and cannot be deleted by users "
        "(only its AI gateway can be configured).",
    )
    assert api.get(f"{API}/{PPT}").status_code == 200


def test_unknown_route_is_404_endpoint_not_found(api):
    r = api.get("/api/2.0/clusters/list")
    assert_error(r, 404, "ENDPOINT_NOT_FOUND", "No API found for 'GET /api/2.0/clusters/list'")


def test_wrong_method_is_405(api):
    r = api.client.put(API, json={})
    assert_error(r, 405, "BAD_REQUEST", "Method PUT is not allowed on '/api/2.0/serving-endpoints'")


def test_route_optimized_endpoint_has_a_query_url(api):
    api.post(API, chat_endpoint(route_optimized=True))
    body = api.get(f"{API}/chat").json()
    url = f"{api.url}/{api.plane.workspace_id}/serving-endpoints/chat/invocations"
    assert body["route_optimized"] is True
    assert body["endpoint_url"] == url
    details = [
        {
            "type": "workspace_permission",
            "object_type": "serving-endpoints",
            "object_path": f"/serving-endpoints/{body['id']}",
            "actions": ["query_inference_endpoint"],
        }
    ]
    info = body["data_plane_info"]["query_info"]
    assert info["endpoint_url"] == url and json.loads(info["authorization_details"]) == details
