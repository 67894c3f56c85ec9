"""Create (regular and provisioned-throughput): responses, defaults and refusals."""

from __future__ import annotations

from plane_payloads import (
    API,
    anthropic_entity,
    assert_error,
    chat_endpoint,
    openai_entity,
    pt_endpoint,
    two_entity_endpoint,
)


def test_create_returns_in_progress_with_pending_config(api):
    r = api.post(API, chat_endpoint())
    assert r.status_code == 200
    body = r.json()
    assert body["state"] == {"ready": "NOT_READY", "config_update": "IN_PROGRESS"}
    assert body["pending_config"]["config_version"] == 1
    assert body["pending_config"]["start_time"] == int(api.clock.now * 1000)
    assert "config" not in body
    assert len(body["id"]) == 32
    assert body["creator"] == "plane-user@example.com"
    assert body["permission_level"] == "CAN_MANAGE"


def test_create_echoes_server_defaults(api):
    body = api.post(API, chat_endpoint()).json()
    assert body["description"] == ""
    assert body["route_optimized"] is False
    assert body["task"] == "llm/v1/chat"
    routes = body["pending_config"]["traffic_config"]["routes"]
    assert routes == [
        {"served_model_name": "gpt", "served_entity_name": "gpt", "traffic_percentage": 100}
    ]


def test_create_drops_plaintext_secrets_from_the_response(api):
    entity = openai_entity()
    entity["external_model"]["openai_config"] = {"openai_api_key_plaintext": "sk-very-secret"}
    r = api.post(API, chat_endpoint("chat", entity))
    assert r.status_code == 200
    assert "sk-very-secret" not in r.text
    served = r.json()["pending_config"]["served_entities"][0]
    assert served["external_model"]["openai_config"] == {}


def test_create_keeps_plaintext_secret_in_the_store_for_queries(api):
    entity = openai_entity()
    entity["external_model"]["openai_config"] = {"openai_api_key_plaintext": "sk-kept"}
    api.post(API, chat_endpoint("chat", entity))
    doc = api.plane.store.endpoint_doc("chat")
    stored = doc["pending"]["config"]["served_entities"][0]
    assert stored["external_model"]["openai_config"]["openai_api_key_plaintext"] == "sk-kept"


def test_create_defaults_the_entity_name_from_the_external_model(api):
    entity = openai_entity(model="gpt-4.1:mini.v2")
    del entity["name"]
    body = api.post(API, chat_endpoint("chat", entity)).json()
    assert body["pending_config"]["served_entities"][0]["name"] == "gpt-4-1-mini-v2"


def test_create_with_tags_returns_them_sorted(api):
    tags = [{"key": "team", "value": "x"}, {"key": "cost", "value": "42"}, {"key": "flag"}]
    body = api.post(API, chat_endpoint(tags=tags)).json()
    assert body["tags"] == [
        {"key": "cost", "value": "42"},
        {"key": "flag"},
        {"key": "team", "value": "x"},
    ]


def test_create_without_config_is_not_updating_and_not_ready(api):
    body = api.post(API, {"name": "empty"}).json()
    assert body["state"] == {"ready": "NOT_READY", "config_update": "NOT_UPDATING"}
    assert "pending_config" not in body


def test_create_accepts_config_name_sent_by_the_sdk(api):
    body = chat_endpoint()
    body["config"]["name"] = "chat"
    assert api.post(API, body).status_code == 200


def test_create_twice_is_409_resource_already_exists(api):
    api.post(API, chat_endpoint())
    r = api.post(API, chat_endpoint())
    assert_error(r, 409, "RESOURCE_ALREADY_EXISTS", "Endpoint with name 'chat' already exists.")


def test_create_with_two_entities_and_traffic(api):
    body = api.post(API, two_entity_endpoint()).json()
    names = [e["name"] for e in body["pending_config"]["served_entities"]]
    assert names == ["claude", "gpt"]


def test_create_pt_endpoint(api):
    r = api.post(f"{API}/pt", pt_endpoint())
    assert r.status_code == 200
    entity = r.json()["pending_config"]["served_entities"][0]
    assert entity["provisioned_model_units"] == 50
    assert entity["entity_name"] == "system.ai.meta_llama_v3_3_70b_instruct"
    assert r.json()["task"] == "llm/v1/chat"


def test_create_pt_hides_burst_scaling_enabled(api):
    body = pt_endpoint()
    body["config"]["served_entities"][0]["burst_scaling_enabled"] = False
    entity = api.post(f"{API}/pt", body).json()["pending_config"]["served_entities"][0]
    assert "burst_scaling_enabled" not in entity


def test_create_pt_refuses_description(api):
    body = pt_endpoint() | {"description": "x"}
    r = api.post(f"{API}/pt", body)
    assert_error(
        r,
        400,
        "INVALID_PARAMETER_VALUE",
        "Provisioned throughput create does not take 'description'.",
    )


def test_create_pt_with_ineligible_model(api):
    body = pt_endpoint(model="main.default.my_model")
    r = api.post(f"{API}/pt", body)
    assert_error(
        r,
        400,
        "INVALID_PARAMETER_VALUE",
        "Served entity 'main.default.my_model' is not eligible for Provisioned Throughput.",
    )


def test_create_pt_with_retired_model(api):
    body = pt_endpoint(model="system.ai.meta_llama_v3_1_405b_instruct")
    r = api.post(f"{API}/pt", body)
    assert_error(
        r,
        400,
        "INVALID_PARAMETER_VALUE",
        "Served entity 'system.ai.meta_llama_v3_1_405b_instruct' is not eligible for "
        "Provisioned Throughput. It was retired on 2026-05-15.",
    )


def test_create_pt_without_config(api):
    r = api.post(f"{API}/pt", {"name": "x"})
    assert_error(r, 400, "INVALID_PARAMETER_VALUE", "'config' is required.")


def test_create_regular_with_provisioned_throughput_band(api):
    entity = {
        "name": "llama",
        "entity_name": "system.ai.meta_llama_v3_3_70b_instruct",
        "entity_version": "2",
        "min_provisioned_throughput": 0,
        "max_provisioned_throughput": 19000,
    }
    body = api.post(API, {"name": "band", "config": {"served_entities": [entity]}}).json()
    served = body["pending_config"]["served_entities"][0]
    assert served["workload_type"] == "CPU"
    assert "workload_size" not in served


def test_create_custom_model_echoes_workload_defaults(api):
    entity = {
        "entity_name": "main.default.my_model",
        "entity_version": "3",
        "scale_to_zero_enabled": False,
    }
    body = api.post(API, {"name": "custom", "config": {"served_entities": [entity]}}).json()
    served = body["pending_config"]["served_entities"][0]
    assert served["name"] == "my_model-3"
    assert served["workload_type"] == "CPU"
    assert served["workload_size"] == "Small"
    assert served["scale_to_zero_enabled"] is False
    assert "task" not in body


def test_create_with_legacy_served_models_echoes_both_shapes(api):
    model = {"model_name": "main.default.m", "model_version": "1", "scale_to_zero_enabled": True}
    body = api.post(API, {"name": "legacy", "config": {"served_models": [model]}}).json()
    pending = body["pending_config"]
    assert pending["served_entities"][0]["entity_name"] == "main.default.m"
    assert pending["served_models"][0]["model_name"] == "main.default.m"
    assert pending["served_models"][0]["model_version"] == "1"


def test_create_anthropic_entity(api):
    body = api.post(API, chat_endpoint("claude-only", anthropic_entity())).json()
    assert body["pending_config"]["served_entities"][0]["external_model"]["provider"] == "anthropic"
