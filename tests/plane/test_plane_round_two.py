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
