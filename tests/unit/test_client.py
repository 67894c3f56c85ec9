"""ControlPlaneClient over httpx.MockTransport: routes, error mapping, retries, auth, redaction."""

from __future__ import annotations

import json
import pickle
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fakes import FakeClock

from servingops import __version__
from servingops.auth import BearerToken, OAuthM2M
from servingops.client import ERROR_TABLE, ControlPlaneClient, map_error
from servingops.errors import (
    ApiError,
    BadRequest,
    Conflict,
    ControlPlaneUnreachable,
    NotFound,
    PermissionDenied,
    RateLimited,
    ServerError,
    ToolError,
    Unauthenticated,
)

HOST = "https://workspace.example"
TOKEN = "sentinel-token-1d2c3b"
SECRET = "sentinel-client-secret-77aa"
API = "/api/2.0/serving-endpoints"

Handler = Callable[[httpx.Request], httpx.Response]


class ZeroJitter:
    """An RNG whose jitter is always 0, so backoff sleeps are exact."""

    def random(self) -> float:
        return 0.0


class Script:
    """A mock server answering from a list of responses (the last one repeats)."""

    def __init__(self, *answers: httpx.Response | Exception | Handler) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        if callable(answer):
            return answer(request)
        return answer

    @property
    def bodies(self) -> list[Any]:
        return [json.loads(r.content) if r.content else None for r in self.requests]


def error(status: int, code: str = "", message: str = "boom", **headers: str) -> httpx.Response:
    body: dict[str, Any] = {"message": message}
    if code:
        body["error_code"] = code
    return httpx.Response(status, json=body, headers=headers)


ENDPOINT = {"name": "e1", "state": {"config_update": "NOT_UPDATING", "ready": "READY"}}


def ok(body: Any = None) -> httpx.Response:
    """A 200 answer; by default a minimal but well-formed GET endpoint body."""
    return httpx.Response(200, json=ENDPOINT if body is None else body)


def make_client(
    handler: Handler, *, clock: FakeClock | None = None, auth: Any = None, **options: Any
) -> ControlPlaneClient:
    http = httpx.Client(transport=httpx.MockTransport(handler))
    return ControlPlaneClient(
        HOST,
        auth or BearerToken(TOKEN),
        http=http,
        clock=clock or FakeClock(),
        rng=ZeroJitter(),
        **options,
    )


# -- routes --------------------------------------------------------------------------------

OPERATIONS: list[tuple[str, Callable[[ControlPlaneClient], Any], str, str, Any]] = [
    ("create", lambda c: c.create_endpoint({"name": "e1"}), "POST", API, {"name": "e1"}),
    (
        "create_pt",
        lambda c: c.create_pt_endpoint({"name": "e1", "config": {}}),
        "POST",
        f"{API}/pt",
        {"name": "e1", "config": {}},
    ),
    ("get", lambda c: c.get_endpoint("e1"), "GET", f"{API}/e1", None),
    ("list", lambda c: c.list_endpoints(), "GET", API, None),
    ("delete", lambda c: c.delete_endpoint("e1"), "DELETE", f"{API}/e1", None),
    (
        "update_config",
        lambda c: c.update_config("e1", {"served_entities": []}),
        "PUT",
        f"{API}/e1/config",
        {"served_entities": []},
    ),
    (
        "update_pt_config",
        lambda c: c.update_pt_config("e1", {"served_entities": []}),
        "PUT",
        f"{API}/pt/e1/config",
        {"config": {"served_entities": []}},
    ),
    (
        "put_ai_gateway",
        lambda c: c.put_ai_gateway("e1", {"usage_tracking_config": {"enabled": True}}),
        "PUT",
        f"{API}/e1/ai-gateway",
        {"usage_tracking_config": {"enabled": True}},
    ),
    ("clear_ai_gateway", lambda c: c.put_ai_gateway("e1", None), "PUT", f"{API}/e1/ai-gateway", {}),
    (
        "patch_tags",
        lambda c: c.patch_tags("e1", [{"key": "team", "value": "a"}], ["old"]),
        "PATCH",
        f"{API}/e1/tags",
        {"add_tags": [{"key": "team", "value": "a"}], "delete_tags": ["old"]},
    ),
    (
        "patch_notifications",
        lambda c: c.patch_notifications("e1", {"on_update_failure": ["a@b.c"]}),
        "PATCH",
        f"{API}/e1/notifications",
        {"email_notifications": {"on_update_failure": ["a@b.c"]}},
    ),
    (
        "patch_telemetry",
        lambda c: c.patch_telemetry("e1", None),
        "PATCH",
        f"{API}/e1/telemetry-config",
        {},
    ),
    (
        "get_permissions",
        lambda c: c.get_permissions("uuid-1"),
        "GET",
        "/api/2.0/permissions/serving-endpoints/uuid-1",
        None,
    ),
]


@pytest.mark.parametrize(
    ("call", "method", "path", "body"),
    [op[1:] for op in OPERATIONS],
    ids=[op[0] for op in OPERATIONS],
)
def test_operation_sends_method_path_body_and_headers(
    call: Callable[[ControlPlaneClient], Any], method: str, path: str, body: Any
) -> None:
    server = Script(ok())
    call(make_client(server))
    (request,) = server.requests
    assert (request.method, request.url.path, server.bodies[0]) == (method, path, body)
    assert request.url.host == "workspace.example"
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["User-Agent"] == f"servingops/{__version__}"


def test_get_returns_the_json_body() -> None:
    endpoint = {"name": "e1", "state": {"config_update": "NOT_UPDATING"}}
    assert make_client(Script(ok(endpoint))).get_endpoint("e1") == endpoint


def test_list_returns_the_endpoints_or_an_empty_list() -> None:
    assert make_client(Script(ok({"endpoints": [{"name": "a"}]}))).list_endpoints() == [
        {"name": "a"}
    ]
    assert make_client(Script(ok({}))).list_endpoints() == []


def test_delete_accepts_an_empty_body() -> None:
    server = Script(httpx.Response(200, content=b""))
    make_client(server).delete_endpoint("e1")
    assert [r.method for r in server.requests] == ["DELETE"]


def test_names_are_url_quoted() -> None:
    server = Script(ok())
    make_client(server).get_endpoint("a/b")
    assert server.requests[0].url.raw_path == b"/api/2.0/serving-endpoints/a%2Fb"


# -- the error-mapping table ---------------------------------------------------------------

MAPPING_CASES: list[tuple[int, str, str, type[ApiError]]] = [
    (400, "", "fetch_oauth_token", Unauthenticated),
    (400, "", "exchange_data_plane_token", Unauthenticated),
    (409, "RESOURCE_ALREADY_EXISTS", "", Conflict),
    (404, "ENDPOINT_NOT_FOUND", "", NotFound),
    (400, "RESOURCE_DOES_NOT_EXIST", "", NotFound),
    (403, "UNAUTHENTICATED", "", Unauthenticated),
    (400, "PERMISSION_DENIED", "", PermissionDenied),
    (400, "REQUEST_LIMIT_EXCEEDED", "", RateLimited),
    (400, "INVALID_PARAMETER_VALUE", "", BadRequest),
    (400, "INVALID_PARAMETER_VALUE", "set_permissions", BadRequest),
    (401, "", "", Unauthenticated),
    (403, "", "", PermissionDenied),
    (404, "", "", NotFound),
    (409, "RESOURCE_CONFLICT", "", Conflict),
    (429, "RESOURCE_EXHAUSTED", "", RateLimited),
    (503, "TEMPORARILY_UNAVAILABLE", "", ServerError),
    (418, "", "", BadRequest),
    (302, "", "", ServerError),
]


@pytest.mark.parametrize(("status", "code", "op", "cls"), MAPPING_CASES)
def test_mapping_table_row(status: int, code: str, op: str, cls: type[ApiError]) -> None:
    rule = map_error(status, code, op)
    assert rule.error is cls
    assert rule.hint


def test_every_mapping_row_is_exercised() -> None:
    used = {id(map_error(status, code, op)) for status, code, op, _ in MAPPING_CASES}
    assert used == {id(rule) for rule in ERROR_TABLE}


@pytest.mark.parametrize(
    ("status", "code", "cls", "hint"),
    [
        (400, "INVALID_PARAMETER_VALUE", BadRequest, "servingops validate"),
        (401, "UNAUTHENTICATED", Unauthenticated, "DATABRICKS_TOKEN"),
        (403, "PERMISSION_DENIED", PermissionDenied, "CAN_MANAGE"),
        (404, "RESOURCE_DOES_NOT_EXIST", NotFound, "servingops drift"),
        (404, "ENDPOINT_NOT_FOUND", NotFound, "DATABRICKS_HOST"),
        (409, "RESOURCE_CONFLICT", Conflict, "update is still running"),
    ],
)
def test_error_message_names_everything(
    status: int, code: str, cls: type[ApiError], hint: str
) -> None:
    server = Script(error(status, code, "Endpoint with name 'e1' is unhappy."))
    with pytest.raises(cls) as caught:
        make_client(server).get_endpoint("e1")
    err = caught.value
    assert str(err).startswith(
        f"get_endpoint of endpoint 'e1' failed: GET {HOST}{API}/e1 -> {status} {code}: "
        "Endpoint with name 'e1' is unhappy."
    )
    assert hint in err.hint and f"hint: {err.hint}" in str(err)
    assert (err.status, err.code, err.method, err.endpoint) == (status, code, "GET", "e1")
    assert err.url == f"{HOST}{API}/e1"


def test_html_error_page_is_reduced_to_its_title() -> None:
    page = "<html><head><title>502 Bad Gateway</title><style>p{}</style></head><body>x</body>"
    server = Script(httpx.Response(502, html=page))
    with pytest.raises(ServerError) as caught:
        make_client(server, max_retries=0).get_endpoint("e1")
    assert "-> 502: 502 Bad Gateway" in str(caught.value)
    assert "<" not in caught.value.message


def test_plain_text_error_body_is_excerpted_and_redacted() -> None:
    text = f"upstream said: Authorization: Bearer {TOKEN} " + "x" * 1000
    server = Script(httpx.Response(500, text=text))
    with pytest.raises(ServerError) as caught:
        make_client(server, max_retries=0).get_endpoint("e1")
    assert "upstream said" in caught.value.message
    assert TOKEN not in str(caught.value)
    assert len(caught.value.message) < 500


def test_success_with_a_non_json_body_is_an_error_naming_the_host() -> None:
    server = Script(httpx.Response(200, html="<html><title>Sign in</title></html>"))
    with pytest.raises(ServerError) as caught:
        make_client(server).get_endpoint("e1")
    assert "non-JSON body: Sign in" in caught.value.message
    assert "DATABRICKS_HOST" in caught.value.hint


def test_oauth_style_error_fields_are_understood() -> None:
    body = {"error": "invalid_client", "error_description": "Client authentication failed"}
    server = Script(httpx.Response(401, json=body))
    with pytest.raises(Unauthenticated) as caught:
        make_client(server).get_endpoint("e1")
    assert "401 invalid_client: Client authentication failed" in caught.value.message


# -- find / delete -------------------------------------------------------------------------


def test_find_returns_none_for_a_missing_endpoint() -> None:
    server = Script(error(404, "RESOURCE_DOES_NOT_EXIST"))
    assert make_client(server).find_endpoint("e1") is None


def test_find_returns_the_endpoint() -> None:
    assert make_client(Script(ok(ENDPOINT))).find_endpoint("e1") == ENDPOINT


@pytest.mark.parametrize(
    "answer",
    [
        error(404, "ENDPOINT_NOT_FOUND", "No API found for 'GET /serving-endpoints/e1'"),
        httpx.Response(404, text="Not Found"),
        error(403, "PERMISSION_DENIED"),
    ],
    ids=["unknown-route", "text-404", "forbidden"],
)
def test_find_raises_for_anything_but_a_missing_endpoint(answer: httpx.Response) -> None:
    with pytest.raises(ApiError):
        make_client(Script(answer)).find_endpoint("e1")


def test_delete_missing_ok() -> None:
    server = Script(error(404, "RESOURCE_DOES_NOT_EXIST"))
    make_client(server).delete_endpoint("e1", missing_ok=True)
    with pytest.raises(NotFound):
        make_client(server).delete_endpoint("e1")


# -- retries -------------------------------------------------------------------------------


def test_429_is_retried_honouring_retry_after() -> None:
    clock = FakeClock()
    server = Script(
        error(429, "REQUEST_LIMIT_EXCEEDED", **{"Retry-After": "3"}),
        error(429, "REQUEST_LIMIT_EXCEEDED", **{"Retry-After": "7"}),
        ok(ENDPOINT),
    )
    assert make_client(server, clock=clock).get_endpoint("e1") == ENDPOINT
    assert clock.sleeps == [3.0, 7.0]
    assert len(server.requests) == 3


def test_503_then_success() -> None:
    clock = FakeClock()
    server = Script(error(503, "TEMPORARILY_UNAVAILABLE"), ok(ENDPOINT))
    assert make_client(server, clock=clock).get_endpoint("e1") == ENDPOINT
    assert clock.sleeps == [1.0]


@pytest.mark.parametrize("status", [500, 502, 504])
def test_other_5xx_are_retried_with_exponential_backoff(status: int) -> None:
    clock = FakeClock()
    server = Script(error(status), error(status), error(status), ok())
    make_client(server, clock=clock).get_endpoint("e1")
    assert clock.sleeps == [1.0, 2.0, 4.0]


def test_backoff_doubles_up_to_its_cap() -> None:
    clock = FakeClock()
    server = Script(*[error(503)] * 7, ok())
    make_client(server, clock=clock).get_endpoint("e1")
    assert clock.sleeps == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0, 10.0]


def test_a_429_storm_is_ridden_out_within_the_time_budget() -> None:
    clock = FakeClock()
    storm = error(429, "REQUEST_LIMIT_EXCEEDED")
    server = Script(*[storm] * 12, ok(ENDPOINT))  # about 90 s of throttling
    assert make_client(server, clock=clock).get_endpoint("e1") == ENDPOINT
    assert len(server.requests) == 13 and 60 < clock.slept < 300


def test_backoff_adds_jitter_from_the_rng() -> None:
    class Half:
        def random(self) -> float:
            return 0.5

    clock = FakeClock()
    server = Script(error(503), ok())
    client = ControlPlaneClient(
        HOST,
        BearerToken(TOKEN),
        http=httpx.Client(transport=httpx.MockTransport(server)),
        clock=clock,
        rng=Half(),
    )
    client.get_endpoint("e1")
    assert clock.sleeps == [0.875]  # up to a quarter less than 1 s; never above the cap


def test_exhausted_429_raises_rate_limited_naming_the_budget_setting() -> None:
    clock = FakeClock()
    server = Script(error(429, "REQUEST_LIMIT_EXCEEDED", "slow down", **{"Retry-After": "2"}))
    with pytest.raises(RateLimited) as caught:
        make_client(server, clock=clock, retry_budget_s=7).get_endpoint("e1")
    assert clock.sleeps == [2.0, 2.0, 2.0]
    assert len(server.requests) == 4
    err = caught.value
    assert err.retry_after == 2.0
    assert "429 REQUEST_LIMIT_EXCEEDED: slow down (after 4 attempts over 6 s)" in err.message
    assert "the server asked to wait 2 s" in err.hint
    assert "7 s retry budget (servingops:retryBudgetSeconds / SERVINGOPS_RETRY_BUDGET)" in err.hint


def test_exhausted_503_raises_server_error() -> None:
    clock = FakeClock()
    server = Script(error(503, "TEMPORARILY_UNAVAILABLE"))
    with pytest.raises(ServerError) as caught:
        make_client(server, clock=clock, retry_budget_s=5).update_config("e1", {})
    assert clock.sleeps == [1.0, 2.0]
    assert "PUT" in caught.value.message and "after 3 attempts" in caught.value.message


def test_max_retries_still_caps_the_count_when_given() -> None:
    server = Script(error(503))
    with pytest.raises(ServerError):
        make_client(server, max_retries=0).get_endpoint("e1")
    assert len(server.requests) == 1


def test_retries_stop_at_the_total_time_budget() -> None:
    clock = FakeClock()
    server = Script(error(429, **{"Retry-After": "30"}))
    with pytest.raises(RateLimited):
        make_client(server, clock=clock, retry_budget_s=45).get_endpoint("e1")
    assert clock.sleeps == [30.0]


def test_a_retry_after_date_is_measured_from_the_servers_date() -> None:
    clock = FakeClock()
    headers = {
        "Retry-After": "Wed, 21 Oct 2015 07:28:30 GMT",
        "Date": "Wed, 21 Oct 2015 07:28:00 GMT",
    }
    server = Script(error(429, **headers), ok())
    make_client(server, clock=clock).get_endpoint("e1")
    assert clock.sleeps == [30.0]


def test_an_unreadable_retry_after_falls_back_to_backoff() -> None:
    clock = FakeClock()
    server = Script(error(429, **{"Retry-After": "soon"}), ok())
    make_client(server, clock=clock).get_endpoint("e1")
    assert clock.sleeps == [1.0]


def test_retry_after_zero_still_waits_a_second() -> None:
    clock = FakeClock()
    server = Script(error(503, **{"Retry-After": "0"}), ok())
    make_client(server, clock=clock).get_endpoint("e1")
    assert clock.sleeps == [1.0]


def test_a_long_retry_after_within_the_budget_is_capped() -> None:
    clock = FakeClock()
    server = Script(error(429, **{"Retry-After": "200"}), ok())
    make_client(server, clock=clock).get_endpoint("e1")
    assert clock.sleeps == [60.0]


def test_a_retry_after_beyond_the_budget_fails_at_once() -> None:
    clock = FakeClock()
    server = Script(error(429, **{"Retry-After": "3600"}), ok())
    with pytest.raises(ToolError) as caught:
        make_client(server, clock=clock).get_endpoint("e1")
    assert (len(server.requests), clock.sleeps) == (1, [])  # no request it asked us not to send
    assert "429" in str(caught.value)


def test_400_is_not_retried() -> None:
    server = Script(error(400, "INVALID_PARAMETER_VALUE"))
    clock = FakeClock()
    with pytest.raises(BadRequest):
        make_client(server, clock=clock).create_endpoint({"name": "e1"})
    assert (len(server.requests), clock.sleeps) == (1, [])


def test_409_update_in_progress_is_waited_out_on_update_config() -> None:
    clock = FakeClock()
    busy = error(409, "RESOURCE_CONFLICT", "update in progress")
    server = Script(busy, busy, busy, ok(ENDPOINT))
    assert make_client(server, clock=clock).update_config("e1", {}) == ENDPOINT
    assert clock.sleeps == [1.0, 2.0, 3.0]


def test_409_update_in_progress_is_waited_out_on_other_writes() -> None:
    busy = error(409, "RESOURCE_CONFLICT")
    calls: list[Callable[[ControlPlaneClient], Any]] = [
        lambda c: c.update_pt_config("e1", {}),
        lambda c: c.patch_telemetry("e1", {"enabled_telemetry_features": []}),
        lambda c: c.put_ai_gateway("e1", None),
        lambda c: c.patch_tags("e1", [], ["a"]),
        lambda c: c.patch_notifications("e1", {"on_update_failure": ["a@b.c"]}),
        lambda c: c.delete_endpoint("e1"),
    ]
    for call in calls:
        server = Script(busy, ok())
        call(make_client(server))
        assert len(server.requests) == 2


def test_409_wait_gives_up_at_its_deadline() -> None:
    clock = FakeClock()
    server = Script(error(409, "RESOURCE_CONFLICT", "update in progress"))
    with pytest.raises(Conflict) as caught:
        make_client(server, clock=clock, conflict_wait_s=30).update_config("e1", {})
    assert clock.slept <= 30
    assert sum(clock.sleeps) + min(10, len(clock.sleeps) + 1) > 30
    assert "update in progress" in caught.value.message
    assert "update is still running" in caught.value.hint


def test_409_already_exists_on_create_is_not_retried() -> None:
    clock = FakeClock()
    server = Script(error(409, "RESOURCE_ALREADY_EXISTS", "Endpoint e1 already exists"))
    with pytest.raises(Conflict) as caught:
        make_client(server, clock=clock).create_endpoint({"name": "e1"})
    assert (len(server.requests), clock.sleeps) == (1, [])
    assert "create_endpoint of endpoint 'e1' failed: POST" in caught.value.message
    assert "name is taken" in caught.value.hint


def test_409_on_a_read_is_not_waited_out() -> None:
    server = Script(error(409, "RESOURCE_CONFLICT"))
    with pytest.raises(Conflict):
        make_client(server).get_endpoint("e1")
    assert len(server.requests) == 1


def test_create_conflict_after_a_retried_failure_says_it_may_have_been_created() -> None:
    server = Script(error(503, "TEMPORARILY_UNAVAILABLE"), error(409, "RESOURCE_ALREADY_EXISTS"))
    with pytest.raises(Conflict) as caught:
        make_client(server).create_endpoint({"name": "e1"})
    assert "earlier attempt (503 TEMPORARILY_UNAVAILABLE) may have created it" in str(caught.value)


# -- transport errors ----------------------------------------------------------------------


def test_a_host_that_never_answered_gets_two_tries_not_the_whole_budget() -> None:
    clock = FakeClock()
    server = Script(httpx.ConnectError("[Errno 111] Connection refused"))
    with pytest.raises(ControlPlaneUnreachable) as caught:
        make_client(server, clock=clock).get_endpoint("e1")
    assert clock.sleeps == [1.0] and len(server.requests) == 2
    err = caught.value
    assert err.message.startswith(
        f"control plane at {HOST} could not be reached "
        "(is the host right? is the plane running?): "
        f"get_endpoint of endpoint 'e1' failed: GET {HOST}{API}/e1"
    )
    assert "Connection refused" in err.message and "after 2 attempts" in err.message
    assert "make demo" in err.hint
    assert isinstance(err.__cause__, httpx.ConnectError)


def test_a_connect_timeout_names_the_host_the_time_and_the_setting() -> None:
    server = Script(httpx.ConnectTimeout("timed out"))
    with pytest.raises(ControlPlaneUnreachable) as caught:
        make_client(server, connect_timeout_s=4).create_endpoint({"name": "e1"})
    assert len(server.requests) == 2  # nothing was sent: safe to try a POST again
    err = caught.value
    assert f"control plane at {HOST} did not answer within 4 s (is the host right?" in err.message
    assert "servingops:connectTimeoutSeconds / SERVINGOPS_CONNECT_TIMEOUT (now 4 s)" in err.hint


def test_after_a_host_failed_once_later_calls_try_once() -> None:
    server = Script(httpx.ConnectError("refused"))
    client = make_client(server)
    for name in ("a", "b", "c"):
        with pytest.raises(ControlPlaneUnreachable):
            client.get_endpoint(name)
    assert len(server.requests) == 2 + 1 + 1


def test_the_first_get_waits_the_connect_timeout_for_an_answer_later_ones_the_timeout() -> None:
    server = Script(ok())
    client = make_client(server, timeout=120, connect_timeout_s=5)
    client.get_endpoint("e1")
    client.get_endpoint("e1")
    first, second = (r.extensions["timeout"] for r in server.requests)
    assert (first["connect"], first["read"]) == (5, 5)
    assert (second["connect"], second["read"]) == (5, 120)


def test_a_silent_first_answer_fails_fast_naming_the_connect_setting() -> None:
    server = Script(httpx.ReadTimeout("timed out"))
    with pytest.raises(ControlPlaneUnreachable) as caught:
        make_client(server, connect_timeout_s=3).get_endpoint("e1")
    assert len(server.requests) == 2
    assert "did not answer within 3 s" in caught.value.message
    assert "servingops:connectTimeoutSeconds / SERVINGOPS_CONNECT_TIMEOUT" in caught.value.hint


def test_connection_errors_after_the_host_answered_are_retried_within_the_budget() -> None:
    clock = FakeClock()
    refused = httpx.ConnectError("refused")
    server = Script(ok(), *[refused] * 6, ok(ENDPOINT))
    client = make_client(server, clock=clock)
    client.get_endpoint("e1")
    assert client.get_endpoint("e1") == ENDPOINT
    assert clock.sleeps == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]


def test_connection_error_then_success() -> None:
    server = Script(httpx.ConnectError("refused"), ok(ENDPOINT))
    assert make_client(server).get_endpoint("e1") == ENDPOINT


def test_read_timeout_is_retried_for_get_but_not_for_create() -> None:
    timeout = httpx.ReadTimeout("timed out")
    get_server = Script(timeout, ok())
    make_client(get_server).get_endpoint("e1")
    assert len(get_server.requests) == 2
    create_server = Script(ok(), timeout, ok())
    client = make_client(create_server, timeout=90)
    client.list_endpoints()
    with pytest.raises(ControlPlaneUnreachable) as caught:
        client.create_endpoint({"name": "e1"})
    assert len(create_server.requests) == 2
    assert caught.value.message.startswith("cannot reach the control plane: create_endpoint")
    assert "no answer within 90 s: retry, or raise servingops:httpTimeoutSeconds / " in (
        caught.value.hint
    )
    assert "SERVINGOPS_HTTP_TIMEOUT" in caught.value.hint


def test_read_timeouts_of_a_get_are_retried_until_the_budget_is_spent() -> None:
    clock = FakeClock()
    server = Script(ok(), httpx.ReadTimeout("timed out"))
    client = make_client(server, clock=clock, retry_budget_s=20)
    client.get_endpoint("e1")
    with pytest.raises(ControlPlaneUnreachable) as caught:
        client.get_endpoint("e1")
    assert clock.sleeps == [1.0, 2.0, 4.0, 8.0]
    assert "20 s retry budget (servingops:retryBudgetSeconds" in caught.value.hint


# -- query ---------------------------------------------------------------------------------


def test_query_returns_status_json_header_and_latency() -> None:
    clock = FakeClock()

    def answer(request: httpx.Request) -> httpx.Response:
        clock.advance(0.25)
        body = {"choices": [{"message": {"content": "OK"}}]}
        return httpx.Response(200, json=body, headers={"served-model-name": "gpt"})

    server = Script(answer)
    result = make_client(server, clock=clock).query_endpoint(
        "e1", {"messages": [{"role": "user", "content": "hi"}]}, timeout=5
    )
    assert server.requests[0].url.path == "/serving-endpoints/e1/invocations"
    assert server.bodies[0] == {"messages": [{"role": "user", "content": "hi"}]}
    assert (result.status, result.ok, result.served_model_name) == (200, True, "gpt")
    assert result.json == {"choices": [{"message": {"content": "OK"}}]}
    assert result.latency_ms == pytest.approx(250.0)


def test_query_one_served_entity() -> None:
    server = Script(ok())
    make_client(server).query_endpoint("e1", {"input": "x"}, entity="claude", timeout=5)
    assert server.requests[0].url.path == "/serving-endpoints/e1/served-models/claude/invocations"


def test_query_passes_its_timeout_to_httpx() -> None:
    server = Script(ok())
    make_client(server).query_endpoint("e1", {}, timeout=7.5)
    assert server.requests[0].extensions["timeout"]["read"] == 7.5


@pytest.mark.parametrize("status", [403, 429, 500, 503])
def test_query_returns_error_statuses_without_raising_or_retrying(status: int) -> None:
    clock = FakeClock()
    server = Script(error(status, "SOME_CODE", "rate limit reached", **{"Retry-After": "1"}))
    result = make_client(server, clock=clock).query_endpoint("e1", {}, timeout=5)
    assert (result.status, result.ok, result.error_code) == (status, False, "SOME_CODE")
    assert result.error_message == "rate limit reached"
    assert (len(server.requests), clock.sleeps) == (1, [])


def test_query_non_json_body_is_a_redacted_excerpt() -> None:
    server = Script(httpx.Response(502, text=f"bad gateway, token={TOKEN}"))
    result = make_client(server).query_endpoint("e1", {}, timeout=5)
    assert result.json is None
    assert result.text.startswith("bad gateway") and TOKEN not in result.text
    assert result.error_message == result.text


@pytest.mark.parametrize(
    "failure", [httpx.ReadError("connection reset"), httpx.ConnectError("refused")]
)
def test_query_transport_error_raises_unreachable_without_retrying(
    failure: httpx.TransportError,
) -> None:
    server = Script(failure)
    with pytest.raises(ControlPlaneUnreachable) as caught:
        make_client(server).query_endpoint("e1", {}, timeout=5)
    assert "query_endpoint of endpoint 'e1'" in caught.value.message
    assert len(server.requests) == 1  # the smoke checker decides what to re-send


def test_query_read_timeout_hint_names_the_smoke_timeout() -> None:
    server = Script(httpx.ReadTimeout("slow"))
    with pytest.raises(ControlPlaneUnreachable) as caught:
        make_client(server).query_endpoint("e1", {}, timeout=5)
    assert "raise smoke.timeout_seconds in the endpoint file" in caught.value.hint


def test_query_result_carries_retry_after_and_masks_sent_secrets_in_its_json() -> None:
    echo = {"choices": [{"message": {"content": f"your token is {TOKEN}"}}]}
    server = Script(httpx.Response(429, json=echo, headers={"Retry-After": "4"}))
    result = make_client(server).query_endpoint("e1", {}, timeout=5)
    assert result.retry_after == 4.0
    assert TOKEN not in json.dumps(result.json) and "(hidden)" in json.dumps(result.json)


# -- OAuth M2M through the client ----------------------------------------------------------


class OAuthServer:
    """Token endpoint plus an API that accepts only the current access token."""

    def __init__(self, expires_in: int = 3600) -> None:
        self.issued: list[str] = []
        self.token_requests: list[httpx.Request] = []
        self.expires_in = expires_in

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oidc/v1/token":
            self.token_requests.append(request)
            self.issued.append(f"access-{len(self.issued) + 1}")
            return ok({"access_token": self.issued[-1], "expires_in": self.expires_in})
        if request.headers.get("Authorization") != f"Bearer {self.issued[-1]}":
            return error(401, "UNAUTHENTICATED", "bad token")
        return ok(ENDPOINT)


def test_oauth_token_fetched_once_cached_and_refreshed_after_expiry() -> None:
    clock = FakeClock()
    server = OAuthServer(expires_in=600)
    client = make_client(server, clock=clock, auth=OAuthM2M(HOST, "sp-id", SECRET, clock))
    client.get_endpoint("e1")
    client.list_endpoints()
    assert len(server.token_requests) == 1
    token_request = server.token_requests[0]
    assert token_request.method == "POST"
    assert token_request.headers["Authorization"] == httpx.BasicAuth("sp-id", SECRET)._auth_header
    assert dict(httpx.QueryParams(token_request.content.decode())) == {
        "grant_type": "client_credentials",
        "scope": "all-apis",
    }
    clock.advance(600)
    client.get_endpoint("e1")
    assert len(server.token_requests) == 2


def test_oauth_token_is_refetched_once_after_a_401() -> None:
    clock = FakeClock()
    server = OAuthServer()
    client = make_client(server, clock=clock, auth=OAuthM2M(HOST, "sp-id", SECRET, clock))
    client.get_endpoint("e1")
    server.issued.append("rotated")  # the server now expects a token we do not have
    assert client.get_endpoint("e1") == ENDPOINT
    assert len(server.token_requests) == 2


def test_a_401_for_a_token_another_client_replaced_keeps_the_new_token() -> None:
    """Two clients share one token cache (a provider process): both get a 401 for the
    revoked token; the second to hear it must not throw away the token the first fetched."""
    clock = FakeClock()
    server = OAuthServer()
    auth = OAuthM2M(HOST, "sp-id", SECRET, clock)
    other = make_client(server, clock=clock, auth=auth)
    revoked: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path != "/oidc/v1/token" and not revoked:
            revoked.append(server.issued[-1])
            server.issued.append("revoked")  # access-1 no longer works
            assert other.get_endpoint("e1") == ENDPOINT  # meanwhile: 401, refetch, retry
        return server(request)

    client = make_client(handler, clock=clock, auth=auth)
    assert client.get_endpoint("e1") == ENDPOINT  # 401 for access-1, then the shared new one
    assert len(server.token_requests) == 2


def test_oauth_token_endpoint_rejection_is_unauthenticated_without_secrets() -> None:
    clock = FakeClock()
    body = {"error": "invalid_client", "error_description": f"bad secret {SECRET}"}
    server = Script(httpx.Response(401, json=body))
    client = make_client(server, clock=clock, auth=OAuthM2M(HOST, "sp-id", SECRET, clock))
    with pytest.raises(Unauthenticated) as caught:
        client.get_endpoint("e1")
    assert "fetch_oauth_token failed: POST https://workspace.example/oidc/v1/token" in str(
        caught.value
    )
    assert "DATABRICKS_CLIENT_SECRET" in caught.value.hint
    assert SECRET not in str(caught.value)


# -- secrets never leak --------------------------------------------------------------------


def _echo_secrets(status: int) -> Handler:
    """A server that quotes the auth header, the raw token and the request body in errors."""

    def handler(request: httpx.Request) -> httpx.Response:
        auth = request.headers.get("Authorization", "")
        sent = json.loads(request.content) if request.content else {}
        echoed = sent.get("openai_api_key_plaintext", "")
        message = f"header was {auth}; raw {TOKEN}; bad key {echoed}; body {request.content!r}"
        return httpx.Response(status, json={"error_code": "X", "message": message})

    return handler


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 429, 500, 503])
def test_secrets_never_appear_in_error_messages(status: int) -> None:
    client = make_client(_echo_secrets(status), max_retries=1)
    calls: list[Callable[[], Any]] = [
        lambda: client.get_endpoint("e1"),
        lambda: client.create_endpoint({"name": "e1", "openai_api_key_plaintext": SECRET}),
    ]
    for call in calls:
        with pytest.raises(ToolError) as caught:
            call()
        text = str(caught.value) + repr(caught.value.args)
        assert TOKEN not in text and SECRET not in text
        assert "(hidden)" in text


def test_secrets_never_appear_in_unreachable_messages() -> None:
    server = Script(httpx.ConnectError(f"proxy said Bearer {TOKEN}"))
    with pytest.raises(ControlPlaneUnreachable) as caught:
        make_client(server, max_retries=0).get_endpoint("e1")
    assert TOKEN not in str(caught.value)


# -- lifecycle -----------------------------------------------------------------------------


def test_context_manager_closes_only_an_owned_http_client() -> None:
    injected = httpx.Client(transport=httpx.MockTransport(Script(ok())))
    with ControlPlaneClient(HOST, BearerToken(TOKEN), http=injected):
        pass
    assert not injected.is_closed
    with ControlPlaneClient(HOST, BearerToken(TOKEN)) as owned:
        pass
    assert owned._http.is_closed


def test_client_refuses_to_be_pickled_and_hides_the_token() -> None:
    client = make_client(Script(ok()))
    with pytest.raises(TypeError, match="must not be pickled"):
        pickle.dumps(client)
    assert TOKEN not in repr(client)


def test_from_env_reads_databricks_variables() -> None:
    server = Script(ok())
    env = {"DATABRICKS_HOST": "http://127.0.0.1:8123", "DATABRICKS_TOKEN": TOKEN}
    http = httpx.Client(transport=httpx.MockTransport(server))
    with ControlPlaneClient.from_env(env=env, http=http) as client:
        client.list_endpoints()
    assert str(server.requests[0].url) == "http://127.0.0.1:8123/api/2.0/serving-endpoints"
    assert server.requests[0].headers["Authorization"] == f"Bearer {TOKEN}"


# --- answers of the wrong shape, secrets in odd places (review fixes) -------------------


@pytest.mark.parametrize(
    ("answer", "what"),
    [
        (httpx.Response(200, content=b""), "a non-JSON body"),
        (httpx.Response(200, json=[1, 2]), "JSON list, not an object"),
        (httpx.Response(200, json="x"), "JSON str, not an object"),
        (httpx.Response(200, json={"endpoints": []}), "without the endpoint's 'name' and 'state'"),
    ],
)
def test_a_wrong_shaped_success_is_a_server_error_not_an_endpoint(
    answer: httpx.Response, what: str
) -> None:
    for call in (lambda c: c.get_endpoint("e1"), lambda c: c.find_endpoint("e1")):
        with pytest.raises(ServerError, match=what) as err:
            call(make_client(Script(answer)))
        assert "get_endpoint of endpoint 'e1' failed" in err.value.message


def test_an_empty_body_is_fine_for_a_delete_only() -> None:
    with pytest.raises(ServerError, match="non-JSON body"):
        make_client(Script(httpx.Response(200, content=b""))).update_config("e1", {})


def test_a_non_json_success_quoting_a_plaintext_key_is_redacted() -> None:
    key = "sk-PLAINTEXT-LEAK-0123456789"
    page = httpx.Response(200, html=f"<html><title>echo {key}</title></html>")
    body = {
        "name": "e1",
        "config": {
            "served_entities": [
                {"external_model": {"openai_config": {"openai_api_key_plaintext": key}}}
            ]
        },
    }
    with pytest.raises(ServerError) as err:
        make_client(Script(page)).create_endpoint(body)
    assert key not in str(err.value) and "(hidden)" in str(err.value)


def test_a_secret_straddling_the_excerpt_limit_is_masked_whole() -> None:
    message = "x" * 290 + TOKEN + " tail"
    with pytest.raises(ApiError) as err:
        make_client(Script(error(400, "BAD_REQUEST", message))).get_endpoint("e1")
    assert TOKEN[:6] not in str(err.value)


def test_unreadable_body_is_a_server_error() -> None:
    def gzip_lie(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"not gzip", headers={"Content-Encoding": "gzip"})

    with pytest.raises(ServerError, match="unreadable answer"):
        make_client(gzip_lie).get_endpoint("e1")


def test_retry_budget_starts_at_the_first_failure_not_at_a_long_409_wait() -> None:
    clock = FakeClock()
    busy = error(409, "RESOURCE_CONFLICT")
    server = Script(*([busy] * 20), error(503, "TEMPORARILY_UNAVAILABLE"), ok(ENDPOINT))
    client = make_client(server, clock=clock, retry_budget_s=30, conflict_wait_s=600)
    assert client.update_config("e1", {}) == ENDPOINT
    assert sum(clock.sleeps) > 30
