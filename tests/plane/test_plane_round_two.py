"""Round two of the plane (issue 11), over HTTP in both modes: what official clients found."""

from __future__ import annotations

from plane_payloads import API, chat_endpoint

from plane import render
from plane.resource import StoredConfig


def test_trailing_slash_on_the_api_is_answered_not_redirected(api):
    api.post(API, chat_endpoint())
    listed = api.get(f"{API}/", follow_redirects=False)
    assert listed.status_code == 200 and "location" not in listed.headers
    assert [e["name"] for e in listed.json()["endpoints"]] == [
        e["name"] for e in api.get(API).json()["endpoints"]
    ]
    got = api.get(f"{API}/chat/", follow_redirects=False)
    assert got.status_code == 200 and got.json()["name"] == "chat"
    created = api.post(f"{API}/", chat_endpoint("second"), follow_redirects=False)
    assert created.status_code == 200 and created.json()["name"] == "second"


def test_unknown_path_with_a_slash_is_a_json_404_not_a_redirect(api):
    r = api.get("/api/2.0/nowhere/", follow_redirects=False)
    assert r.status_code == 404 and r.json()["error_code"] == "ENDPOINT_NOT_FOUND"


def _uc_endpoint(name: str = "churn", model: str = "main.ml.churn") -> dict:
    entity = {"entity_name": model, "entity_version": "3", "workload_size": "Small"}
    entity["scale_to_zero_enabled"] = True
    return {"name": name, "config": {"served_entities": [entity]}}


def test_endpoint_type_names_what_an_endpoint_serves(api):
    api.post(API, chat_endpoint())
    api.post(API, _uc_endpoint())
    assert api.get(f"{API}/chat").json()["endpoint_type"] == "EXTERNAL_MODEL"
    assert api.get(f"{API}/churn").json()["endpoint_type"] == "CUSTOM_MODEL"
    listed = {e["name"]: e.get("endpoint_type") for e in api.get(API).json()["endpoints"]}
    assert listed["chat"] == "EXTERNAL_MODEL" and listed["churn"] == "CUSTOM_MODEL"
    assert listed["databricks-meta-llama-3-3-70b-instruct"] == "FOUNDATION_MODEL_API"


def test_endpoint_type_is_absent_without_entities(api):
    api.post(API, {"name": "empty"})
    assert "endpoint_type" not in api.get(f"{API}/empty").json()


def test_scim_me_answers_the_caller(api):
    me = api.get("/api/2.0/preview/scim/v2/Me").json()
    assert me["userName"] == api.plane.settings.user_name and me["active"] is True
    assert "urn:ietf:params:scim:schemas:core:2.0:User" in me["schemas"]


LEGACY = {"catalog_name": "main", "schema_name": "logs", "enabled": True}


def _with_legacy_table(name: str, auto: dict) -> dict:
    body = chat_endpoint(name)
    body["config"]["auto_capture_config"] = auto
    return body


def test_new_legacy_inference_table_is_refused_on_create(api):
    r = api.post(API, _with_legacy_table("legacy", LEGACY))
    assert r.status_code == 400 and r.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    message = r.json()["message"]
    assert "config.auto_capture_config" in message
    assert "ai_gateway.inference_table_config" in message
    assert api.get(f"{API}/legacy").status_code == 404


def test_legacy_inference_table_without_enabled_is_refused_too(api):
    auto = {"catalog_name": "main", "schema_name": "logs"}
    assert api.post(API, _with_legacy_table("legacy", auto)).status_code == 400


def test_new_legacy_inference_table_is_refused_on_config_update(api):
    api.post(API, chat_endpoint())
    api.clock.advance(1)
    config = _with_legacy_table("chat", LEGACY)["config"]
    r = api.put(f"{API}/chat/config", config)
    assert r.status_code == 400 and "auto_capture_config" in r.json()["message"]


def test_a_disabled_legacy_table_is_accepted(api):
    r = api.post(API, _with_legacy_table("legacy", {**LEGACY, "enabled": False}))
    assert r.status_code == 200


def test_stored_legacy_table_is_named_after_the_endpoint():
    config = StoredConfig([], auto_capture_config={"catalog_name": "c", "schema_name": "s"})
    config.auto_capture_config = {**(config.auto_capture_config or {}), "enabled": True}
    out = render.render_config(config, {}, None, "fraud-scorer")
    table = out["auto_capture_config"]["state"]["payload_table"]["name"]
    assert table == "c.s.fraud-scorer_payload"


def test_gateway_table_without_prefix_is_named_after_the_endpoint(api):
    api.post(API, chat_endpoint())
    body = {"inference_table_config": dict(LEGACY)}
    first = api.put(f"{API}/chat/ai-gateway", body)
    assert first.status_code == 200
    assert first.json()["inference_table_config"]["table_name_prefix"] == "chat"
    again = api.put(f"{API}/chat/ai-gateway", body)  # the same file again: not a rename
    assert again.status_code == 200
    got = api.get(f"{API}/chat").json()["ai_gateway"]["inference_table_config"]
    assert got["table_name_prefix"] == "chat"


def test_gateway_table_prefix_filled_on_create_too(api):
    r = api.post(API, chat_endpoint(ai_gateway={"inference_table_config": dict(LEGACY)}))
    assert r.json()["ai_gateway"]["inference_table_config"]["table_name_prefix"] == "chat"


def test_a_disabled_gateway_table_gets_no_prefix(api):
    api.post(API, chat_endpoint())
    body = {"inference_table_config": {**LEGACY, "enabled": False}}
    r = api.put(f"{API}/chat/ai-gateway", body)
    assert "table_name_prefix" not in r.json()["inference_table_config"]


def _ready_custom(api, name: str = "churn") -> str:
    api.post(API, _uc_endpoint(name))
    api.clock.advance(1)
    return f"/serving-endpoints/{name}/invocations"


RECORDS = [{"age": 31, "plan": "pro"}, {"age": 58, "plan": "free"}]


def test_custom_model_answers_predictions_for_every_input_format(api):
    url = _ready_custom(api)
    by_records = api.post(url, {"dataframe_records": RECORDS}).json()["predictions"]
    assert len(by_records) == 2 and all(0 <= p < 1 for p in by_records)
    split = {"columns": ["age", "plan"], "data": [[31, "pro"], [58, "free"]]}
    assert len(api.post(url, {"dataframe_split": split}).json()["predictions"]) == 2
    assert len(api.post(url, {"instances": [[1, 2], [3, 4], [5, 6]]}).json()["predictions"]) == 3
    columnar = {"inputs": {"age": [1, 2, 3, 4], "plan": ["a", "b", "c", "d"]}}
    assert len(api.post(url, columnar).json()["predictions"]) == 4
    assert (
        len(api.post(url, {"inputs": [[0.1], [0.2]], "params": {"k": 1}}).json()["predictions"])
        == 2
    )
    again = api.post(url, {"dataframe_records": RECORDS}).json()["predictions"]
    assert again == by_records  # deterministic per model and row


def test_custom_model_refuses_two_input_fields_and_the_openai_routes(api):
    url = _ready_custom(api)
    r = api.post(url, {"instances": [[1]], "inputs": [[1]]})
    assert r.status_code == 400 and "exactly one of the input fields" in r.json()["message"]
    r = api.post(url, {"dataframe_split": {"columns": ["a"]}})
    assert r.status_code == 400 and "dataframe_split" in r.json()["message"]
    r = api.post("/serving-endpoints/chat/completions", {"model": "churn", "messages": []})
    assert r.status_code == 400 and "/serving-endpoints/churn/invocations" in r.json()["message"]
