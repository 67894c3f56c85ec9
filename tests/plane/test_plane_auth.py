"""Authentication (bearer token, OAuth M2M), discovery documents and the body-size limit."""

from __future__ import annotations

import base64

from plane_payloads import API, assert_error, chat_endpoint

OAUTH = {"client_id": "sp-app", "client_secret": "sp-secret"}


def test_missing_token_is_401(api):
    r = api.client.get(API, headers={"Authorization": ""})
    assert_error(
        r,
        401,
        "UNAUTHENTICATED",
        "Missing Authorization header; send 'Authorization: Bearer <token>'.",
    )


def test_wrong_token_is_401_and_not_echoed(api):
    r = api.client.get(API, headers={"Authorization": "Bearer not-the-token"})
    assert_error(r, 401, "UNAUTHENTICATED", "Invalid access token (unknown or expired).")
    assert "not-the-token" not in r.text


def test_basic_scheme_is_refused(api):
    r = api.client.get(API, headers={"Authorization": "Basic Zm9vOmJhcg=="})
    assert_error(
        r, 401, "UNAUTHENTICATED", "Unsupported Authorization header; use 'Bearer <token>'."
    )


def test_host_metadata_is_public(api):
    r = api.client.get("/.well-known/databricks-config", headers={"Authorization": ""})
    assert r.status_code == 200
    assert r.json()["oidc_endpoint"] == f"{api.url}/oidc"


def test_oauth_metadata_names_the_token_endpoint(api):
    r = api.client.get(
        "/oidc/.well-known/oauth-authorization-server", headers={"Authorization": ""}
    )
    assert r.json()["token_endpoint"] == f"{api.url}/oidc/v1/token"


def test_client_credentials_with_basic_auth_issue_a_usable_token(make_api):
    api = make_api(**OAUTH)
    basic = base64.b64encode(b"sp-app:sp-secret").decode()
    r = api.client.post(
        "/oidc/v1/token",
        data={"grant_type": "client_credentials", "scope": "all-apis"},
        headers={"Authorization": f"Basic {basic}"},
    )
    body = r.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    created = api.client.post(API, json=chat_endpoint(), headers=headers).json()
    assert created["creator"] == "sp-app"


def test_client_credentials_in_the_form(make_api):
    api = make_api(**OAUTH)
    r = api.client.post("/oidc/v1/token", data={"grant_type": "client_credentials", **OAUTH})
    assert r.status_code == 200 and r.json()["access_token"].startswith("dose")


def test_wrong_client_secret_is_401_invalid_client(make_api):
    api = make_api(**OAUTH)
    form = {"grant_type": "client_credentials", "client_id": "sp-app", "client_secret": "nope"}
    r = api.client.post("/oidc/v1/token", data=form)
    assert r.status_code == 401
    assert r.json() == {
        "error": "invalid_client",
        "error_description": "Client authentication failed.",
    }


def test_unsupported_grant_type_is_400(make_api):
    api = make_api(**OAUTH)
    r = api.client.post("/oidc/v1/token", data={"grant_type": "password", **OAUTH})
    assert r.status_code == 400
    assert r.json() == {
        "error": "unsupported_grant_type",
        "error_description": "Only client_credentials and "
        "urn:ietf:params:oauth:grant-type:jwt-bearer are supported.",
    }


def test_issued_tokens_expire(make_api):
    api = make_api(**OAUTH, oauth_token_ttl_seconds=60)
    form = {"grant_type": "client_credentials", **OAUTH}
    token = api.client.post("/oidc/v1/token", data=form).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert api.client.get(API, headers=headers).status_code == 200
    api.clock.advance(61)
    assert api.client.get(API, headers=headers).status_code == 401


def test_oauth_without_a_configured_client_is_401(api):
    form = {"grant_type": "client_credentials", **OAUTH}
    assert api.client.post("/oidc/v1/token", data=form).status_code == 401


def test_body_over_the_limit_by_content_length_is_413(make_api):
    api = make_api(max_body_bytes=1000)
    r = api.client.post(API, content=b"{" + b" " * 2000 + b"}")
    assert_error(r, 413, "BAD_REQUEST", "Request body is larger than the limit of 1000 bytes.")


def test_streamed_body_over_the_limit_is_413(make_api):
    api = make_api(max_body_bytes=1000)

    def chunks():
        for _ in range(10):
            yield b" " * 300

    r = api.client.post(API, content=chunks())
    assert_error(r, 413, "BAD_REQUEST", "Request body is larger than the limit of 1000 bytes.")


def test_default_limit_is_4_mib(api):
    r = api.client.post("/serving-endpoints/chat/invocations", content=b" " * (4 * 1024 * 1024 + 1))
    assert r.status_code == 413
