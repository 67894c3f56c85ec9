"""Route-optimized queries over httpx.MockTransport: data_plane_info from the GET, the
jwt-bearer token exchange, the per-endpoint token cache on the injected clock, the
query on endpoint_url, a personal access token refused before anything is sent, and
no token in any message."""

from __future__ import annotations

import pickle
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from fakes import FakeClock

from servingops.auth import JWT_BEARER, BearerToken, DataPlaneTokens, OAuthM2M, OAuthRequired
from servingops.client import ControlPlaneClient
from servingops.errors import ServerError, Unauthenticated

HOST = "https://workspace.example"
DATA_PLANE = "https://1234.serving.cloud.example/1234/serving-endpoints/ro/invocations"
DETAILS = '[{"type":"workspace_permission","object_path":"/serving-endpoints/id-1"}]'
SECRET = "sentinel-client-secret-77aa"
ACCESS = "sentinel-oauth-access-5e5e"
PAT = "sentinel-pat-9f9f"
CHAT = {"choices": [{"message": {"role": "assistant", "content": "OK"}}]}


class Workspace:
    """A scripted workspace + data plane: counts token requests, records queries."""

    def __init__(
        self, *, lifetime: int = 3600, query_status: int = 200, issued: str = ACCESS
    ) -> None:
        self.lifetime = lifetime
        self.issued = issued  # the OAuth access token client_credentials buys
        self.query_status = query_status
        self.exchanges: list[dict[str, list[str]]] = []
        self.client_credentials = 0
        self.queries: list[httpx.Request] = []
        self.gets = 0
        self.info: dict[str, Any] | None = {
            "query_info": {"endpoint_url": DATA_PLANE, "authorization_details": DETAILS}
        }

    def __call__(self, request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        if url == f"{HOST}/oidc/v1/token":
            form = parse_qs(request.content.decode())
            if form["grant_type"] == ["client_credentials"]:
                self.client_credentials += 1
                return httpx.Response(200, json={"access_token": self.issued, "expires_in": 3600})
            self.exchanges.append(form)
            if form["assertion"] != [ACCESS]:
                return httpx.Response(400, json={"error": "invalid_grant", "message": "no"})
            token = f"dpt-sentinel-{len(self.exchanges)}"
            return httpx.Response(200, json={"access_token": token, "expires_in": self.lifetime})
        if url == f"{HOST}/api/2.0/serving-endpoints/ro":
            self.gets += 1
            body: dict[str, Any] = {"name": "ro", "state": {"ready": "READY"}, "id": "id-1"}
            if self.info is not None:
                body["data_plane_info"] = self.info
            return httpx.Response(200, json=body)
        if url == DATA_PLANE:
            self.queries.append(request)
            if self.query_status != 200:
                echo = request.headers["Authorization"]  # a server that echoes the token
                return httpx.Response(self.query_status, json={"message": f"bad {echo}"})
            return httpx.Response(200, json=CHAT, headers={"served-model-name": "gpt"})
        return httpx.Response(404, json={"error_code": "ENDPOINT_NOT_FOUND", "message": url})


def _client(server: Workspace, clock: FakeClock, *, pat: bool = False) -> ControlPlaneClient:
    http = httpx.Client(transport=httpx.MockTransport(server))
    auth: Any = BearerToken(PAT) if pat else OAuthM2M(HOST, "sp-id", SECRET, clock)
    return ControlPlaneClient(HOST, auth, http=http, clock=clock)


def _query(client: ControlPlaneClient) -> Any:
    body = {"messages": [{"role": "user", "content": "hi"}]}
    return client.query_endpoint("ro", body, timeout=5, route_optimized=True)


def test_route_optimized_query_exchanges_the_oauth_token_and_posts_to_endpoint_url() -> None:
    server, clock = Workspace(), FakeClock()
    answer = _query(_client(server, clock))
    assert answer.status == 200 and answer.json == CHAT and answer.served_model_name == "gpt"
    (form,) = server.exchanges
    assert form == {
        "grant_type": [JWT_BEARER],
        "assertion": [ACCESS],
        "authorization_details": [DETAILS],
    }
    (query,) = server.queries
    assert query.headers["Authorization"] == "Bearer dpt-sentinel-1"
    assert server.gets == 1


def test_data_plane_token_is_cached_per_endpoint_until_it_expires() -> None:
    server, clock = Workspace(lifetime=600), FakeClock()
    client = _client(server, clock)
    _query(client)
    clock.advance(500)  # 600 s lifetime, renewed a minute early: still fresh
    _query(client)
    assert len(server.exchanges) == 1
    clock.advance(50)  # 550 s: within the last minute
    _query(client)
    assert len(server.exchanges) == 2
    assert [q.headers["Authorization"] for q in server.queries] == [
        "Bearer dpt-sentinel-1",
        "Bearer dpt-sentinel-1",
        "Bearer dpt-sentinel-2",
    ]


def test_a_401_on_the_data_plane_drops_the_cached_token() -> None:
    server, clock = Workspace(query_status=401), FakeClock()
    client = _client(server, clock)
    first = _query(client)
    assert first.status == 401 and "dpt-sentinel-1" not in first.text
    server.query_status = 200
    _query(client)
    assert len(server.exchanges) == 2


def test_personal_access_token_is_refused_before_anything_is_sent() -> None:
    server, clock = Workspace(), FakeClock()
    with pytest.raises(OAuthRequired) as caught:
        _query(_client(server, clock, pat=True))
    assert "DATABRICKS_CLIENT_ID/SECRET" in caught.value.hint
    assert PAT not in str(caught.value)
    assert (server.gets, server.exchanges, server.queries) == (0, [], [])


def test_a_get_without_data_plane_info_names_the_endpoint() -> None:
    server, clock = Workspace(), FakeClock()
    server.info = None
    with pytest.raises(ServerError) as caught:
        _query(_client(server, clock))
    assert "'ro'" in caught.value.message and "data_plane_info" in caught.value.message
    assert server.exchanges == [] and server.queries == []


def test_a_refused_exchange_is_unauthenticated_with_the_oauth_hint_and_no_token() -> None:
    server, clock = Workspace(issued="sentinel-other-1"), FakeClock()
    with pytest.raises(Unauthenticated) as caught:
        _query(_client(server, clock))
    text = str(caught.value)
    assert "exchange_data_plane_token" in text and "/oidc/v1/token" in text
    assert "DATABRICKS_CLIENT_ID/SECRET" in caught.value.hint
    assert "sentinel-other-1" not in text and SECRET not in text
    assert server.queries == []


def test_workspace_url_is_used_without_route_optimized() -> None:
    server, clock = Workspace(), FakeClock()
    answer = _client(server, clock).query_endpoint("ro", {"input": "x"}, timeout=5)
    assert answer.status == 404 and server.exchanges == [] and server.queries == []


def test_data_plane_tokens_refuse_pickling_and_keep_tokens_out_of_repr() -> None:
    tokens = DataPlaneTokens(HOST, FakeClock())
    answer = {"access_token": "dpt-sentinel-x", "expires_in": 60}
    tokens.authorization(DETAILS, lambda: ACCESS, lambda _u, _f, _b: answer)
    assert tokens.secrets() == ("dpt-sentinel-x",)
    assert "dpt-sentinel-x" not in repr(tokens)
    with pytest.raises(TypeError):
        pickle.dumps(tokens)
