"""The serving page over HTTP (no browser): login, cookie, CSRF, escaping, states, history.

The browser tests (tests/browser) drive the same pages in Chromium; these pin the
server-side rules one by one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from plane_payloads import API, chat_endpoint, openai_entity, two_entity_endpoint
from plane_testing import FakeClock, running_plane
from starlette.testclient import TestClient

from plane.app import create_app
from plane.settings import PlaneSettings
from plane.ui import views
from plane.ui.session import COOKIE, SESSION_SECONDS, Sessions

TOKEN = "dapi-ui-test-token"
ORIGIN = {"origin": "http://testserver"}
BEARER = {"Authorization": f"Bearer {TOKEN}"}
PAGES = ["/ui/", "/ui/endpoints/chat", "/ui/playground"]
SESSION_COOKIE = f"{COOKIE}_80"
"""The session cookie's name at ``http://testserver`` (no port in the URL: 80)."""


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def client(tmp_path: object, clock: FakeClock) -> Iterator[TestClient]:
    settings = PlaneSettings(token=TOKEN, settle_seconds=1.0, seed=7)
    app = create_app(":memory:", settings=settings, clock=clock)
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client


def log_in(client: TestClient, token: str = TOKEN) -> httpx.Response:
    return client.post("/ui/login", data={"token": token}, headers=ORIGIN)


def deploy(client: TestClient, clock: FakeClock, body: dict[str, object]) -> None:
    assert client.post(API, json=body, headers=BEARER).status_code == 200
    clock.advance(2)


# -- authentication ------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", *PAGES])
def test_pages_without_a_session_send_to_the_login_form(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code in (302, 303)
    assert response.headers["location"] in ("/ui/", "/ui/login")
    assert "serving-endpoints" not in response.text


def test_the_bearer_token_alone_opens_no_page(client: TestClient) -> None:
    response = client.get("/ui/", headers=BEARER)
    assert response.status_code == 303 and response.headers["location"] == "/ui/login"


def test_a_wrong_token_is_refused_without_a_cookie(client: TestClient) -> None:
    response = log_in(client, "dapi-wrong")
    assert response.status_code == 401
    assert "not accepted" in response.text
    assert "set-cookie" not in response.headers
    assert "dapi-wrong" not in response.text  # the typed token is not echoed back


def test_login_sets_a_strict_httponly_cookie_that_is_not_the_token(client: TestClient) -> None:
    response = log_in(client)
    assert response.status_code == 303 and response.headers["location"] == "/ui/"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    for flag in ("HttpOnly", "Path=/", "SameSite=strict", f"Max-Age={SESSION_SECONDS}"):
        assert flag in cookie
    assert TOKEN not in cookie
    assert client.get("/ui/").status_code == 200


def test_the_cookie_does_not_open_the_api(client: TestClient) -> None:
    log_in(client)
    assert client.get("/ui/").status_code == 200
    response = client.get(API)
    assert response.status_code == 401
    assert response.json()["error_code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize("origin", [None, "null", "http://evil.example", "https://testserver"])
def test_posts_from_another_origin_are_refused(client: TestClient, origin: str | None) -> None:
    headers = {} if origin is None else {"origin": origin}
    assert client.post("/ui/login", data={"token": TOKEN}, headers=headers).status_code == 403
    log_in(client)
    body = {"messages": [{"role": "user", "content": "hi"}]}
    path = "/ui/api/endpoints/databricks-meta-llama-3-3-70b-instruct/invocations"
    response = client.post(path, json=body, headers=headers)
    assert response.status_code == 403
    assert response.json()["error_code"] == "PERMISSION_DENIED"


def test_pages_keep_the_origin_of_their_own_posts(client: TestClient) -> None:
    """Under ``Referrer-Policy: no-referrer`` browsers send ``Origin: null`` on same-origin
    form POSTs, and an Origin check then refuses the login itself (rails/rails#28299,
    qbittorrent/qBittorrent#21106, better-auth/better-auth#10944)."""
    assert client.get("/ui/login").headers["referrer-policy"] == "same-origin"


def test_the_ui_query_route_needs_a_session(client: TestClient) -> None:
    path = "/ui/api/endpoints/databricks-meta-llama-3-3-70b-instruct/invocations"
    response = client.post(path, json={"messages": []}, headers={**ORIGIN, **BEARER})
    assert response.status_code == 401


def test_logout_ends_the_session(client: TestClient) -> None:
    log_in(client)
    session = client.cookies[SESSION_COOKIE]
    response = client.post("/ui/logout", headers=ORIGIN)
    assert response.status_code == 303
    assert (
        "Max-Age=0" in response.headers["set-cookie"]
        or "expires" in response.headers["set-cookie"].lower()
    )
    client.cookies.set(SESSION_COOKIE, session)  # replaying the old cookie
    assert client.get("/ui/").status_code == 303


def test_a_session_expires(client: TestClient, clock: FakeClock) -> None:
    log_in(client)
    clock.advance(SESSION_SECONDS - 1)
    assert client.get("/ui/").status_code == 200
    clock.advance(2)
    assert client.get("/ui/").status_code == 303


# -- pages ---------------------------------------------------------------------------------


def test_every_page_sends_a_script_only_from_self_policy(client: TestClient) -> None:
    log_in(client)
    for path in ["/ui/login", "/ui/", "/ui/playground"]:
        policy = client.get(path).headers["content-security-policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy


def test_a_hostile_tag_value_is_escaped(client: TestClient, clock: FakeClock) -> None:
    hostile = '"><img src=x onerror=alert(1)><script>alert(2)</script>'
    deploy(client, clock, chat_endpoint("chat", tags=[{"key": "note", "value": hostile}]))
    log_in(client)
    for path in ["/ui/", "/ui/endpoints/chat", f"/ui/?q={hostile}"]:
        page = client.get(path).text
        assert "<img src=x" not in page and "<script>alert" not in page
        assert "&lt;img src=x onerror=alert(1)&gt;&lt;script&gt;alert(2)&lt;/script&gt;" in page


def test_the_table_shows_state_tier_split_tags_and_limits(
    client: TestClient, clock: FakeClock
) -> None:
    body = two_entity_endpoint("chat", gpt=70, claude=30)
    body["tags"] = [{"key": "team", "value": "support"}]
    body["ai_gateway"] = {
        "rate_limits": [{"key": "user", "calls": 100, "renewal_period": "minute"}]
    }
    deploy(client, clock, body)
    log_in(client)
    row = _row(client.get("/ui/").text, "chat")
    for text in [
        "ready",
        "external",
        "llm/v1/chat",
        "gpt (openai/gpt-4o-mini)",
        "gpt 70%",
        "claude 30%",
        "team=support",
        "100 calls/minute per user",
        "UTC",
    ]:
        assert text in row, text


def _row(page: str, name: str) -> str:
    start = page.index(f'<tr data-endpoint="{name}"')
    return page[start : page.index("</tr>", start)]


def test_the_filter_matches_name_and_tag_words(client: TestClient, clock: FakeClock) -> None:
    deploy(client, clock, chat_endpoint("alpha", tags=[{"key": "team", "value": "search"}]))
    deploy(client, clock, chat_endpoint("beta", tags=[{"key": "team", "value": "support"}]))
    log_in(client)
    shown = client.get("/ui/", params={"q": "team=support"}).text
    assert 'data-endpoint="beta"' in shown and 'data-endpoint="alpha"' not in shown
    shown = client.get("/ui/", params={"q": "ALPHA"}).text
    assert 'data-endpoint="alpha"' in shown and 'data-endpoint="beta"' not in shown


def test_an_update_in_progress_shows_updating_and_the_pending_config(client: TestClient) -> None:
    assert client.post(API, json=chat_endpoint("chat"), headers=BEARER).status_code == 200
    log_in(client)
    assert 'data-state="updating"' in _row(client.get("/ui/").text, "chat")
    page = client.get("/ui/endpoints/chat").text
    assert "Pending config" in page and "DEPLOYMENT_CREATING" in page


def test_a_failed_update_shows_failed_with_its_message(
    client: TestClient, clock: FakeClock
) -> None:
    deploy(client, clock, chat_endpoint("chat"))
    fault = {"update_failed": "Served entity gpt: quota exceeded."}
    assert (
        client.post("/__plane/endpoints/chat/fault", json=fault, headers=BEARER).status_code == 200
    )
    body = {"served_entities": [chat_endpoint()["config"]["served_entities"][0]]}
    assert client.put(f"{API}/chat/config", json=body, headers=BEARER).status_code == 200
    clock.advance(2)
    log_in(client)
    row = _row(client.get("/ui/").text, "chat")
    assert 'data-state="failed"' in row and "Served entity gpt: quota exceeded." in row


def test_the_endpoint_page_lists_the_config_history(client: TestClient, clock: FakeClock) -> None:
    deploy(client, clock, two_entity_endpoint("chat", gpt=90, claude=10))
    routes = [
        {"served_entity_name": "gpt", "traffic_percentage": 50},
        {"served_entity_name": "claude", "traffic_percentage": 50},
    ]
    config = dict(two_entity_endpoint()["config"], traffic_config={"routes": routes})
    assert client.put(f"{API}/chat/config", json=config, headers=BEARER).status_code == 200
    clock.advance(2)
    log_in(client)
    page = client.get("/ui/endpoints/chat").text
    history = page[page.index('id="history"') :]
    assert history.index("gpt 50%, claude 50%") < history.index("gpt 90%, claude 10%")
    assert history.count("DEPLOYED") == 2


def test_the_endpoint_page_shows_permissions(client: TestClient, clock: FakeClock) -> None:
    deploy(client, clock, chat_endpoint("chat"))
    endpoint_id = client.get(f"{API}/chat", headers=BEARER).json()["id"]
    acl = {"access_control_list": [{"group_name": "ml-platform", "permission_level": "CAN_QUERY"}]}
    path = f"/api/2.0/permissions/serving-endpoints/{endpoint_id}"
    assert client.patch(path, json=acl, headers=BEARER).status_code == 200
    log_in(client)
    section = client.get("/ui/endpoints/chat").text.split('id="permissions"')[1]
    assert "ml-platform" in section and "CAN_QUERY" in section and "admins" in section


def test_an_unknown_endpoint_page_is_404(client: TestClient) -> None:
    log_in(client)
    response = client.get("/ui/endpoints/nope")
    assert response.status_code == 404 and "nope" in response.text


def test_the_ui_query_route_answers_as_the_api(client: TestClient, clock: FakeClock) -> None:
    deploy(client, clock, chat_endpoint("chat"))
    log_in(client)
    body = {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 8}
    response = client.post("/ui/api/endpoints/chat/invocations", json=body, headers=ORIGIN)
    assert response.status_code == 200
    assert response.json()["choices"][0]["message"]["content"]
    missing = client.post("/ui/api/endpoints/nope/invocations", json=body, headers=ORIGIN)
    assert missing.status_code == 404 and missing.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"


# -- views ---------------------------------------------------------------------------------


def test_tier_of_each_kind_of_endpoint() -> None:
    external = {"config": {"served_entities": [{"external_model": {}}]}}
    provisioned = {"config": {"served_entities": [{"provisioned_model_units": 50}]}}
    band = {"pending_config": {"served_entities": [{"max_provisioned_throughput": 9500}]}}
    system = {"endpoint_type": "FOUNDATION_MODEL_API"}
    custom = {"config": {"served_entities": [{"entity_name": "main.ml.model"}]}}
    assert [views.tier_of(d) for d in (external, provisioned, band, system, custom, {})] == [
        "external",
        "provisioned",
        "provisioned",
        "pay-per-token",
        "custom",
        "",
    ]


def test_a_lone_entity_without_routes_takes_all_traffic() -> None:
    splits = views.splits_of({"served_entities": [{"name": "only"}]})
    assert [(s.entity, s.percentage, s.offset) for s in splits] == [("only", 100, 0)]


def test_split_offsets_stack_the_bar() -> None:
    routes = [
        {"served_entity_name": n, "traffic_percentage": p}
        for n, p in [("a", 50), ("b", 25), ("c", 25)]
    ]
    splits = views.splits_of({"traffic_config": {"routes": routes}})
    assert [s.offset for s in splits] == [0, 50, 75]


def test_examples_follow_the_task() -> None:
    assert '"messages"' in views.example_for("llm/v1/chat")
    assert '"prompt"' in views.example_for("llm/v1/completions")
    assert '"input"' in views.example_for("llm/v1/embeddings")
    assert '"dataframe_records"' in views.example_for("")


def test_a_plaintext_key_never_reaches_a_page(client: TestClient, clock: FakeClock) -> None:
    entity = openai_entity(openai_api_key_plaintext="sk-plaintext-do-not-show")
    del entity["external_model"]["openai_config"]["openai_api_key"]
    deploy(client, clock, chat_endpoint("chat", entity))
    log_in(client)
    for path in ["/ui/", "/ui/endpoints/chat", "/ui/playground"]:
        assert "sk-plaintext-do-not-show" not in client.get(path).text


def _picks(page: str) -> list[str]:
    picker = page[page.index('id="pick-0"') : page.index("</select>")]
    return [part.split('"')[0] for part in picker.split('<option value="')[1:] if part[0] != '"']


def test_the_playground_offers_only_chat_endpoints_that_answer(
    client: TestClient, clock: FakeClock
) -> None:
    """A chat endpoint still creating, or whose first deploy failed, is NOT_READY: a query
    to it is refused (400 INVALID_STATE), so the playground must not offer it."""
    deploy(client, clock, chat_endpoint("ready-chat"))
    assert client.post(API, json=chat_endpoint("broken"), headers=BEARER).status_code == 200
    fault = {"update_failed": "Served entity gpt: quota exceeded."}
    assert client.post("/__plane/endpoints/broken/fault", json=fault, headers=BEARER).is_success
    clock.advance(2)
    assert client.post(API, json=chat_endpoint("creating"), headers=BEARER).status_code == 200
    log_in(client)
    offered = _picks(client.get("/ui/playground").text)
    assert "ready-chat" in offered
    assert "broken" not in offered and "creating" not in offered


def test_a_session_ends_when_its_oauth_token_expires(clock: FakeClock) -> None:
    """An OAuth access token lives ``oauth_token_ttl_seconds`` (an hour); a session bought
    with it must not keep the page open longer than the token opens the API."""
    settings = PlaneSettings(token=TOKEN, client_id="sp", client_secret="sp-secret", seed=7)
    app = create_app(":memory:", settings=settings, clock=clock)
    with TestClient(app, follow_redirects=False) as client:
        form = {"grant_type": "client_credentials", "client_id": "sp", "client_secret": "sp-secret"}
        issued = client.post("/oidc/v1/token", data=form).json()
        assert log_in(client, issued["access_token"]).status_code == 303
        clock.advance(issued["expires_in"] - 1)
        assert client.get("/ui/").status_code == 200
        clock.advance(2)
        bearer = {"Authorization": f"Bearer {issued['access_token']}"}
        assert client.get(API, headers=bearer).status_code == 401
        assert client.get("/ui/").status_code == 303


def test_two_planes_on_one_host_keep_their_own_sessions(tmp_path: Path) -> None:
    """Cookies are scoped by host, not port (RFC 6265 §8.5): two planes on 127.0.0.1 (the
    demo's and a test's) must not overwrite each other's session cookie."""
    with (
        running_plane(tmp_path / "a", token=TOKEN) as first,
        running_plane(tmp_path / "b", token=TOKEN) as second,
        httpx.Client(follow_redirects=False, timeout=10) as browser,
    ):
        for plane in (first, second):
            origin = {"origin": plane.url}
            login = browser.post(f"{plane.url}/ui/login", data={"token": TOKEN}, headers=origin)
            assert login.status_code == 303
        assert browser.get(f"{first.url}/ui/").status_code == 200
        assert browser.get(f"{second.url}/ui/").status_code == 200


def test_an_unknown_page_is_an_html_page_with_a_way_back(client: TestClient) -> None:
    log_in(client)
    for path, status in [("/ui/nope", 404), ("/ui/static/nope.js", 404)]:
        response = client.get(path)
        assert response.status_code == status
        assert response.headers["content-type"].startswith("text/html")
        assert 'href="/ui/"' in response.text and path in response.text
        assert "script-src 'self'" in response.headers["content-security-policy"]
    assert client.post("/ui/playground", headers=ORIGIN).status_code == 405


def test_the_ui_api_answers_unknown_routes_in_json(client: TestClient) -> None:
    log_in(client)
    for method, path, status in [
        ("GET", "/ui/api/endpoints/chat/invocations", 405),
        ("POST", "/ui/api/nope", 404),
    ]:
        response = client.request(method, path, headers=ORIGIN)
        assert response.status_code == status
        assert response.json()["error_code"] in ("BAD_REQUEST", "ENDPOINT_NOT_FOUND")


def test_templates_and_static_files_name_no_other_host() -> None:
    """Offline: nothing the page loads comes from a CDN (the SVG namespace is a name)."""
    folder = Path(views.__file__).parent
    files = [*folder.glob("templates/*.html"), *folder.glob("static/*")]
    assert len(files) >= 8
    for path in files:
        text = path.read_text().replace('xmlns="http://www.w3.org/2000/svg"', "")
        assert not re.search(r"(?:[a-z]+:)?//[A-Za-z0-9-]+\.[A-Za-z]", text), path


def _badge(row: str) -> str:
    start = row.index('<span class="state')
    return row[row.index(">", start) + 1 : row.index("</span>", start)]


def test_the_state_says_whether_the_endpoint_answers(client: TestClient, clock: FakeClock) -> None:
    """Databricks' Serving UI shows Ready, Ready (Update failed), Not ready (Updating), Not
    ready (Update failed): readiness says whether the endpoint can be queried
    (docs.databricks.com, machine-learning/model-serving/manage-serving-endpoints). An
    endpoint still serving its old config after a failed update is not down."""
    deploy(client, clock, chat_endpoint("served"))
    deploy(client, clock, chat_endpoint("moving"))
    for name in ("served", "never"):
        if name == "never":
            assert client.post(API, json=chat_endpoint(name), headers=BEARER).status_code == 200
        fault = {"update_failed": "quota exceeded"}
        path = f"/__plane/endpoints/{name}/fault"
        assert client.post(path, json=fault, headers=BEARER).is_success
    body = {"served_entities": [chat_endpoint()["config"]["served_entities"][0]]}
    assert client.put(f"{API}/served/config", json=body, headers=BEARER).status_code == 200
    clock.advance(2)
    assert client.put(f"{API}/moving/config", json=body, headers=BEARER).status_code == 200
    assert client.post(API, json=chat_endpoint("creating"), headers=BEARER).status_code == 200
    log_in(client)
    page = client.get("/ui/").text
    names = ("served", "never", "moving", "creating")
    assert {name: _badge(_row(page, name)) for name in names} == {
        "served": "ready (update failed)",
        "never": "not ready (update failed)",
        "moving": "ready (updating)",
        "creating": "not ready (updating)",
    }


def test_expired_sessions_are_forgotten(clock: FakeClock) -> None:
    """Sessions live in memory: one that expires unseen (its browser never comes back)
    must not stay there for the plane's lifetime."""
    app = create_app(":memory:", settings=PlaneSettings(token=TOKEN, seed=7), clock=clock)
    sessions = Sessions(app.state.plane.auth, clock)
    for _ in range(50):
        assert sessions.login(TOKEN) is not None
    clock.advance(SESSION_SECONDS + 1)
    assert sessions.login(TOKEN) is not None
    assert sessions.count() == 1
