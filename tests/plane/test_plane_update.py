"""Config updates: asynchronous, versioned, serialized, and the rules they keep."""

from __future__ import annotations

from plane_payloads import (
    API,
    anthropic_entity,
    assert_error,
    chat_endpoint,
    openai_entity,
    pt_endpoint,
)

CUSTOM = {"entity_name": "main.default.m", "entity_version": "1", "scale_to_zero_enabled": True}


def _ready(api, body=None):
    api.post(API, body or chat_endpoint())
    api.clock.advance(1)
    api.get(f"{API}/{(body or {}).get('name', 'chat')}")


def test_update_config_is_in_progress_then_settles_with_a_new_version(api):
    _ready(api)
    r = api.put(f"{API}/chat/config", {"served_entities": [openai_entity("gpt2")]})
    assert r.status_code == 200
    body = r.json()
    assert body["state"] == {"ready": "READY", "config_update": "IN_PROGRESS"}
    assert body["config"]["config_version"] == 1
    assert body["pending_config"]["config_version"] == 2
    api.clock.advance(1)
    body = api.get(f"{API}/chat").json()
    assert body["config"]["config_version"] == 2
    assert [e["name"] for e in body["config"]["served_entities"]] == ["gpt2"]


def test_update_config_while_in_progress_is_409(api):
    api.post(API, chat_endpoint())
    r = api.put(f"{API}/chat/config", {"served_entities": [openai_entity("gpt2")]})
    assert_error(
        r,
        409,
        "RESOURCE_CONFLICT",
        "Endpoint 'chat' is currently being updated (config_update IN_PROGRESS); wait until it "
        "is NOT_UPDATING and retry.",
    )


def test_update_config_of_unknown_endpoint_is_404(api):
    r = api.put(f"{API}/missing/config", {"served_entities": [openai_entity()]})
    assert_error(r, 404, "RESOURCE_DOES_NOT_EXIST", "Endpoint with name 'missing' does not exist.")


def test_update_config_cannot_drop_external_models(api):
    _ready(api)
    r = api.put(f"{API}/chat/config", {"served_entities": [CUSTOM]})
    assert_error(
        r,
        400,
        "INVALID_PARAMETER_VALUE",
        "Endpoint 'chat' has external models and cannot switch to other served entities; "
        "create a new endpoint instead.",
    )


def test_update_config_with_empty_entities_is_400(api):
    _ready(api)
    r = api.put(f"{API}/chat/config", {"served_entities": []})
    assert_error(r, 400, "INVALID_PARAMETER_VALUE", "'served_entities' must not be empty.")


def test_update_config_validates_routes(api):
    _ready(api)
    body = {
        "served_entities": [openai_entity(), anthropic_entity()],
        "traffic_config": {"routes": [{"served_entity_name": "gpt", "traffic_percentage": 100}]},
    }
    assert api.put(f"{API}/chat/config", body).status_code == 200
    api.clock.advance(1)
    routes = api.get(f"{API}/chat").json()["config"]["traffic_config"]["routes"]
    assert routes == [
        {"served_model_name": "gpt", "served_entity_name": "gpt", "traffic_percentage": 100}
    ]


def test_update_keeps_entity_creation_timestamp_of_unchanged_entities(api):
    _ready(api)
    first = api.get(f"{API}/chat").json()["config"]["served_entities"][0]["creation_timestamp"]
    api.clock.advance(10)
    body = {
        "served_entities": [openai_entity(), anthropic_entity()],
        "traffic_config": {
            "routes": [
                {"served_entity_name": "gpt", "traffic_percentage": 50},
                {"served_entity_name": "claude", "traffic_percentage": 50},
            ]
        },
    }
    api.put(f"{API}/chat/config", body)
    api.clock.advance(1)
    entities = {e["name"]: e for e in api.get(f"{API}/chat").json()["config"]["served_entities"]}
    assert entities["gpt"]["creation_timestamp"] == first
    assert entities["claude"]["creation_timestamp"] > first


def test_provisioned_endpoints_take_longer(api):
    api.post(f"{API}/pt", pt_endpoint())
    api.clock.advance(1)
    assert api.get(f"{API}/llama-pt").json()["state"]["config_update"] == "IN_PROGRESS"
    api.clock.advance(4)
    assert api.get(f"{API}/llama-pt").json()["state"]["config_update"] == "NOT_UPDATING"


def test_update_pt_config(api):
    api.post(f"{API}/pt", pt_endpoint())
    api.clock.advance(5)
    body = {"config": {"served_entities": [pt_endpoint(units=100)["config"]["served_entities"][0]]}}
    r = api.put(f"{API}/pt/llama-pt/config", body)
    assert r.status_code == 200
    assert r.json()["pending_config"]["served_entities"][0]["provisioned_model_units"] == 100


def test_update_pt_config_on_a_regular_endpoint_is_400(api):
    _ready(api)
    body = {"config": {"served_entities": [pt_endpoint()["config"]["served_entities"][0]]}}
    r = api.put(f"{API}/pt/chat/config", body)
    assert_error(
        r,
        400,
        "INVALID_PARAMETER_VALUE",
        "Endpoint 'chat' is not a provisioned throughput endpoint; update it with "
        "PUT /api/2.0/serving-endpoints/chat/config.",
    )


def test_regular_config_update_on_a_pt_endpoint_is_400(api):
    api.post(f"{API}/pt", pt_endpoint())
    api.clock.advance(5)
    r = api.put(f"{API}/llama-pt/config", {"served_entities": [openai_entity()]})
    assert_error(
        r,
        400,
        "INVALID_PARAMETER_VALUE",
        "Endpoint 'llama-pt' is a provisioned throughput endpoint; update it with "
        "PUT /api/2.0/serving-endpoints/pt/llama-pt/config.",
    )


def test_update_pay_per_token_endpoint_is_403(api):
    name = "databricks-meta-llama-3-3-70b-instruct"
    r = api.put(f"{API}/{name}/config", {"served_entities": [openai_entity()]})
    assert r.status_code == 403
    assert r.json()["error_code"] == "PERMISSION_DENIED"
    assert r.json()["message"].startswith(f"Endpoint '{name}' is a pay-per-token system endpoint")


def test_task_changes_only_when_the_update_succeeds(api):
    _ready(api)
    emb = openai_entity("emb", "text-embedding-3-small")
    emb["external_model"]["task"] = "llm/v1/embeddings"
    api.post("/__plane/endpoints/chat/fault", {"update_failed": "bad model"})
    assert api.put(f"{API}/chat/config", {"served_entities": [emb]}).status_code == 200
    chat = {"messages": [{"role": "user", "content": "Say OK"}]}
    assert api.get(f"{API}/chat").json()["task"] == "llm/v1/chat"  # while updating
    assert api.post("/serving-endpoints/chat/invocations", chat).status_code == 200
    api.clock.advance(1)
    body = api.get(f"{API}/chat").json()
    assert body["state"]["config_update"] == "UPDATE_FAILED"
    assert body["task"] == "llm/v1/chat"
    assert api.post("/serving-endpoints/chat/invocations", chat).status_code == 200
    assert api.put(f"{API}/chat/config", {"served_entities": [emb]}).status_code == 200
    api.clock.advance(1)
    assert api.get(f"{API}/chat").json()["task"] == "llm/v1/embeddings"
