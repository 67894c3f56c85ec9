"""Fault injection, endpoint faults (stuck, failed updates, failing entities), stats, reset."""

from __future__ import annotations

import httpx
import pytest
from plane_payloads import API, assert_error, chat_endpoint, openai_entity, two_entity_endpoint

CHAT = {"messages": [{"role": "user", "content": "hi"}]}


def test_route_fault_answers_with_status_and_retry_after(api):
    fault = {"route": "GET /api/2.0/serving-endpoints/{name}", "status": 503, "retry_after": 2}
    assert api.post("/__plane/faults", fault).status_code == 200
    r = api.get(f"{API}/anything")
    assert r.headers["Retry-After"] == "2"
    assert_error(
        r,
        503,
        "TEMPORARILY_UNAVAILABLE",
        "Injected fault: 503 on GET /api/2.0/serving-endpoints/anything.",
    )
    assert api.get(f"{API}/anything").status_code == 404  # count 1: used up


def test_route_fault_with_count_and_custom_error(api):
    fault = {
        "route": "POST /api/2.0/serving-endpoints",
        "status": 429,
        "count": 2,
        "error_code": "RESOURCE_EXHAUSTED",
        "message": "slow down",
    }
    api.post("/__plane/faults", fault)
    for _ in range(2):
        assert_error(api.post(API, chat_endpoint()), 429, "RESOURCE_EXHAUSTED", "slow down")
    assert api.post(API, chat_endpoint()).status_code == 200


def test_route_fault_count_zero_lasts_until_cleared(api):
    api.post("/__plane/faults", {"route": "* /api/2.0/**", "status": 500, "count": 0})
    for _ in range(3):
        assert api.get(API).status_code == 500
    assert api.get("/__plane/faults").json()["faults"][0]["hits"] == 3
    assert api.delete("/__plane/faults").status_code == 200
    assert api.get(API).status_code == 200
    assert api.get("/__plane/faults").json() == {"faults": []}


def test_route_fault_delay_only_passes_through(api):
    api.post("/__plane/faults", {"route": "GET /api/2.0/serving-endpoints", "delay_ms": 5})
    assert api.get(API).status_code == 200


def test_route_fault_bad_pattern_is_400(api):
    r = api.post("/__plane/faults", {"route": "GET api/x", "status": 500})
    assert_error(
        r,
        400,
        "INVALID_PARAMETER_VALUE",
        "'route' must look like 'GET /path/{name}', got 'GET api/x'.",
    )


def test_drop_connection_fault(api):
    api.post(
        "/__plane/faults", {"route": "GET /api/2.0/serving-endpoints", "drop_connection": True}
    )
    error = httpx.RemoteProtocolError if api.mode == "server" else ConnectionAbortedError
    with pytest.raises(error):
        api.get(API)
    assert api.get(API).status_code == 200


def test_stuck_seconds_keeps_the_update_in_progress(api):
    api.post(API, chat_endpoint())
    r = api.post("/__plane/endpoints/chat/fault", {"stuck_seconds": 30})
    assert r.json() == {"name": "chat", "applies_to": "current"}
    api.clock.advance(29)
    assert api.get(f"{API}/chat").json()["state"]["config_update"] == "IN_PROGRESS"
    api.clock.advance(1)
    assert api.get(f"{API}/chat").json()["state"]["config_update"] == "NOT_UPDATING"


def test_update_failed_on_the_next_update_keeps_the_previous_config(api):
    api.post(API, chat_endpoint())
    api.clock.advance(1)
    r = api.post("/__plane/endpoints/chat/fault", {"update_failed": "GPU quota exceeded"})
    assert r.json()["applies_to"] == "next"
    api.put(f"{API}/chat/config", {"served_entities": [openai_entity("gpt2")]})
    api.clock.advance(1)
    body = api.get(f"{API}/chat").json()
    assert body["state"] == {"ready": "READY", "config_update": "UPDATE_FAILED"}
    assert [e["name"] for e in body["config"]["served_entities"]] == ["gpt"]
    failed = body["pending_config"]["served_entities"][0]["state"]
    assert failed == {
        "deployment": "DEPLOYMENT_FAILED",
        "deployment_state_message": "GPU quota exceeded",
    }


def test_failed_create_shows_the_message_in_config(api):
    api.post(API, chat_endpoint())
    api.post("/__plane/endpoints/chat/fault", {"update_failed": "boom"})
    api.clock.advance(1)
    body = api.get(f"{API}/chat").json()
    assert body["state"] == {"ready": "NOT_READY", "config_update": "UPDATE_FAILED"}
    assert body["config"]["served_entities"][0]["state"]["deployment_state_message"] == "boom"


def test_update_after_a_failed_update_is_accepted(api):
    api.post(API, chat_endpoint())
    api.post("/__plane/endpoints/chat/fault", {"update_failed": "boom"})
    api.clock.advance(1)
    r = api.put(f"{API}/chat/config", {"served_entities": [openai_entity()]})
    assert r.json()["state"]["config_update"] == "IN_PROGRESS"
    api.clock.advance(1)
    assert api.get(f"{API}/chat").json()["state"] == {
        "ready": "READY",
        "config_update": "NOT_UPDATING",
    }


def test_query_fault_on_one_entity(api):
    api.post(API, two_entity_endpoint(gpt=50, claude=50))
    api.clock.advance(1)
    fault = {"query_status": 500, "entity": "claude", "count": 0, "message": "upstream down"}
    assert api.post("/__plane/endpoints/chat/fault", fault).status_code == 200
    r = api.post("/serving-endpoints/chat/served-models/claude/invocations", CHAT)
    assert_error(r, 500, "INTERNAL_ERROR", "upstream down")
    assert (
        api.post("/serving-endpoints/chat/served-models/gpt/invocations", CHAT).status_code == 200
    )


def test_fallback_retries_the_other_entity(api):
    gateway = {"fallback_config": {"enabled": True}}
    api.post(API, two_entity_endpoint(gpt=0, claude=100) | {"ai_gateway": gateway})
    api.clock.advance(1)
    api.post("/__plane/endpoints/chat/fault", {"query_status": 503, "entity": "claude", "count": 0})
    r = api.post("/serving-endpoints/chat/invocations", CHAT)
    assert r.status_code == 200 and r.headers["served-model-name"] == "gpt"


def test_without_fallback_the_entity_error_is_returned(api):
    api.post(API, two_entity_endpoint(gpt=0, claude=100))
    api.clock.advance(1)
    api.post("/__plane/endpoints/chat/fault", {"query_status": 503, "entity": "claude"})
    r = api.post("/serving-endpoints/chat/invocations", CHAT)
    assert_error(
        r,
        503,
        "TEMPORARILY_UNAVAILABLE",
        "Injected fault: 503 on query of served entity 'claude' of endpoint 'chat'.",
    )


def test_endpoint_fault_on_unknown_endpoint_is_404(api):
    r = api.post("/__plane/endpoints/missing/fault", {"stuck_seconds": 1})
    assert_error(r, 404, "RESOURCE_DOES_NOT_EXIST", "Endpoint with name 'missing' does not exist.")


def test_endpoint_fault_needs_a_kind(api):
    api.post(API, chat_endpoint())
    r = api.post("/__plane/endpoints/chat/fault", {})
    assert_error(
        r,
        400,
        "INVALID_PARAMETER_VALUE",
        "Give 'stuck_seconds', 'update_failed' or 'query_status'.",
    )


def test_stats_count_calls_per_route_template(api):
    api.post(API, chat_endpoint())
    api.get(f"{API}/chat")
    api.get(f"{API}/other")
    stats = api.get("/__plane/stats").json()
    assert stats["requests"]["GET /api/2.0/serving-endpoints/{name}"] == 2
    assert stats["requests"]["POST /api/2.0/serving-endpoints"] == 1
    assert stats["writes"] == 1 and stats["total"] == 3


def test_stats_reset(api):
    api.get(API)
    api.delete("/__plane/stats")
    assert api.get("/__plane/stats").json() == {"requests": {}, "total": 0, "writes": 0}


def test_reset_forgets_endpoints_and_reseeds(api):
    api.post(API, chat_endpoint())
    assert api.post("/__plane/reset").json() == {}
    assert api.get(f"{API}/chat").status_code == 404
    assert api.get(f"{API}/databricks-gte-large-en").status_code == 200


def test_plane_routes_need_the_token(api):
    r = api.client.get("/__plane/stats", headers={"Authorization": "Bearer wrong"})
    assert_error(r, 401, "UNAUTHENTICATED", "Invalid access token (unknown or expired).")


def test_query_fault_on_unknown_entity_is_404(api):
    api.post(API, chat_endpoint())
    r = api.post("/__plane/endpoints/chat/fault", {"query_status": 500, "entity": "nope"})
    assert_error(
        r, 404, "RESOURCE_DOES_NOT_EXIST", "Served entity 'nope' does not exist in endpoint 'chat'."
    )
