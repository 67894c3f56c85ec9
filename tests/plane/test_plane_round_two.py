"""Round two of the plane (issue 11), over HTTP in both modes: what official clients found."""

from __future__ import annotations

from plane_payloads import API, chat_endpoint


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
