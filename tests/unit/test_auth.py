"""Credential resolution, the auth header, and keeping secrets out of repr and pickles."""

from __future__ import annotations

import pickle
import threading
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import pytest
from fakes import FakeClock

from providers import connection
from servingops.auth import (
    BearerToken,
    Credentials,
    OAuthM2M,
    make_auth,
    resolve_credentials,
)
from servingops.errors import UsageError

TOKEN = "sentinel-token-7c1e"
SECRET = "sentinel-secret-93ab"


def test_explicit_arguments_beat_the_environment() -> None:
    env = {"DATABRICKS_HOST": "https://env.example", "DATABRICKS_TOKEN": "env-token"}
    creds = resolve_credentials("http://127.0.0.1:8080/", token=TOKEN, env=env)
    assert (creds.host, creds.token, creds.kind, creds.source) == (
        "http://127.0.0.1:8080",
        TOKEN,
        "pat",
        "arguments",
    )


def test_environment_token() -> None:
    env = {"DATABRICKS_HOST": "adb-1.azuredatabricks.net", "DATABRICKS_TOKEN": TOKEN}
    creds = resolve_credentials(env=env)
    assert creds.host == "https://adb-1.azuredatabricks.net"
    assert (creds.token, creds.source) == (TOKEN, "environment")


def test_environment_client_credentials() -> None:
    env = {
        "DATABRICKS_HOST": "https://w.example",
        "DATABRICKS_CLIENT_ID": "sp-id",
        "DATABRICKS_CLIENT_SECRET": SECRET,
    }
    creds = resolve_credentials(env=env)
    assert (creds.kind, creds.client_id, creds.client_secret) == ("oauth-m2m", "sp-id", SECRET)
    assert creds.secrets() == (SECRET,)


def test_host_is_reduced_to_scheme_host_and_port() -> None:
    creds = resolve_credentials("https://adb-1.azuredatabricks.net/?o=123#x", token=TOKEN, env={})
    assert creds.host == "https://adb-1.azuredatabricks.net"
    assert (
        resolve_credentials("http://[::1]:8080/", token=TOKEN, env={}).host == "http://[::1]:8080"
    )


def test_missing_host_is_a_usage_error_with_a_plane_hint() -> None:
    with pytest.raises(UsageError) as caught:
        resolve_credentials(token=TOKEN, env={})
    assert "DATABRICKS_HOST" in caught.value.message
    assert "make demo" in caught.value.hint and "servingops plane" in caught.value.hint


def test_missing_credentials_is_a_usage_error_with_a_plane_hint() -> None:
    with pytest.raises(UsageError) as caught:
        resolve_credentials(env={"DATABRICKS_HOST": "http://127.0.0.1:9"})
    assert "DATABRICKS_TOKEN" in caught.value.message
    assert "http://127.0.0.1:9" in caught.value.message
    assert "DATABRICKS_TOKEN" in caught.value.hint


def test_half_client_credentials_are_refused() -> None:
    env = {"DATABRICKS_HOST": "https://w.example", "DATABRICKS_CLIENT_ID": "sp-id"}
    with pytest.raises(UsageError, match="client secret is missing"):
        resolve_credentials(env=env)


def test_token_and_client_credentials_together_are_refused_without_leaking() -> None:
    env = {
        "DATABRICKS_HOST": "https://w.example",
        "DATABRICKS_TOKEN": TOKEN,
        "DATABRICKS_CLIENT_ID": "sp-id",
        "DATABRICKS_CLIENT_SECRET": SECRET,
    }
    with pytest.raises(UsageError) as caught:
        resolve_credentials(env=env)
    assert "both a token and OAuth client credentials" in str(caught.value)
    assert TOKEN not in str(caught.value) and SECRET not in str(caught.value)


@pytest.mark.parametrize("host", ["ftp://w.example", "https://", "http://[bad"])
def test_bad_host_is_a_usage_error(host: str) -> None:
    with pytest.raises(UsageError, match="DATABRICKS_HOST"):
        resolve_credentials(host, token=TOKEN, env={})


def test_secrets_are_not_in_repr() -> None:
    creds = Credentials("https://w.example", token=TOKEN, client_secret=SECRET)
    oauth = OAuthM2M("https://w.example", "sp-id", SECRET, FakeClock())
    for obj in (creds, BearerToken(TOKEN), oauth):
        assert TOKEN not in repr(obj) and SECRET not in repr(obj)
        assert TOKEN not in str(obj) and SECRET not in str(obj)


@pytest.mark.parametrize(
    "obj",
    [
        Credentials("https://w.example", token=TOKEN),
        BearerToken(TOKEN),
        OAuthM2M("https://w.example", "sp-id", SECRET, FakeClock()),
    ],
)
def test_secret_holders_refuse_to_be_pickled(obj: object) -> None:
    with pytest.raises(TypeError, match="must not be pickled"):
        pickle.dumps(obj)


def test_bearer_header() -> None:
    auth = make_auth(Credentials("https://w.example", token=TOKEN))
    assert auth.authorization(_no_fetch) == f"Bearer {TOKEN}"


def _no_fetch(url: str, form: Mapping[str, str], basic: tuple[str, str]) -> Mapping[str, Any]:
    raise AssertionError("a bearer token never fetches")


class _Fetcher:
    """Hands out numbered access tokens and records each request."""

    def __init__(self, expires_in: Any = 3600) -> None:
        self.calls: list[tuple[str, dict[str, str], tuple[str, str]]] = []
        self.expires_in = expires_in

    def __call__(
        self, url: str, form: Mapping[str, str], basic: tuple[str, str]
    ) -> Mapping[str, Any]:
        self.calls.append((url, dict(form), basic))
        return {"access_token": f"access-{len(self.calls)}", "expires_in": self.expires_in}


def test_oauth_token_fetched_once_and_cached_until_shortly_before_expiry() -> None:
    clock = FakeClock()
    auth = make_auth(
        Credentials("https://w.example", client_id="sp", client_secret=SECRET), clock=clock
    )
    fetch = _Fetcher(expires_in=3600)
    assert auth.authorization(fetch) == "Bearer access-1"
    clock.advance(3600 - 61)
    assert auth.authorization(fetch) == "Bearer access-1"
    assert fetch.calls == [
        (
            "https://w.example/oidc/v1/token",
            {"grant_type": "client_credentials", "scope": "all-apis"},
            ("sp", SECRET),
        )
    ]
    clock.advance(2)
    assert auth.authorization(fetch) == "Bearer access-2"
    assert len(fetch.calls) == 2


def test_oauth_invalidate_forces_a_new_token() -> None:
    auth = OAuthM2M("https://w.example", "sp", SECRET, FakeClock())
    fetch = _Fetcher()
    auth.authorization(fetch)
    auth.invalidate()
    assert auth.authorization(fetch) == "Bearer access-2"


def test_oauth_secrets_include_the_access_token() -> None:
    auth = OAuthM2M("https://w.example", "sp", SECRET, FakeClock())
    auth.authorization(_Fetcher())
    assert set(auth.secrets()) == {SECRET, "access-1"}


def test_oauth_answer_without_a_token_is_an_error() -> None:
    auth = OAuthM2M("https://w.example", "sp", SECRET, FakeClock())
    with pytest.raises(UsageError, match="without an access_token"):
        auth.authorization(lambda url, form, basic: {"token_type": "Bearer"})


def test_oauth_missing_expiry_defaults_to_an_hour() -> None:
    clock = FakeClock()
    auth = OAuthM2M("https://w.example", "sp", SECRET, clock)
    fetch = _Fetcher(expires_in=None)
    auth.authorization(fetch)
    clock.advance(3000)
    auth.authorization(fetch)
    assert len(fetch.calls) == 1


def test_a_loopback_host_without_scheme_is_plain_http() -> None:
    creds = resolve_credentials("127.0.0.1:8700", "dapi-x", env={})
    assert creds.host == "http://127.0.0.1:8700"
    assert resolve_credentials("localhost:8700", "t", env={}).host == "http://localhost:8700"
    assert resolve_credentials("w.example.com", "t", env={}).host == "https://w.example.com"


def test_credentials_in_a_bad_host_are_not_echoed() -> None:
    with pytest.raises(UsageError) as err:
        resolve_credentials("ftp://user:hunter22@w.example", "t", env={})
    assert "hunter22" not in str(err.value)


# --- one token for many threads and clients (issue 13 follow-up) ------------------------


class _SlowFetcher(_Fetcher):
    """A token endpoint that takes a round trip (0.1 s), so a thundering herd would show."""

    def __call__(
        self, url: str, form: Mapping[str, str], basic: tuple[str, str]
    ) -> Mapping[str, Any]:
        time.sleep(0.1)
        return super().__call__(url, form, basic)


def test_threads_asking_at_once_cause_one_token_fetch() -> None:
    auth = OAuthM2M("https://w.example", "sp", SECRET, FakeClock())
    fetch = _SlowFetcher()
    barrier = threading.Barrier(32)

    def ask(_: int) -> str:
        barrier.wait(timeout=5)
        return auth.authorization(fetch)

    with ThreadPoolExecutor(max_workers=32) as pool:
        headers = list(pool.map(ask, range(32)))
    assert set(headers) == {"Bearer access-1"}
    assert len(fetch.calls) == 1


def test_invalidating_a_stale_token_keeps_a_fresh_one() -> None:
    """Threads that got a 401 with the old token drop it once, not the new one."""
    auth = OAuthM2M("https://w.example", "sp", SECRET, FakeClock())
    fetch = _Fetcher()
    auth.authorization(fetch)
    auth.invalidate("Bearer access-1")  # the first thread's 401
    assert auth.authorization(fetch) == "Bearer access-2"
    auth.invalidate("Bearer access-1")  # a second thread's 401 with the same old token
    assert auth.authorization(fetch) == "Bearer access-2"
    assert len(fetch.calls) == 2


def test_the_shared_token_cache_is_one_per_host_client_and_secret() -> None:
    connection.close_shared()
    try:
        clock = FakeClock()
        creds = Credentials("https://w.example", client_id="sp", client_secret=SECRET)
        first = connection.shared_auth(creds, clock)
        assert connection.shared_auth(replace(creds, source="environment"), clock) is first
        fetch = _Fetcher(expires_in=600)
        assert first.authorization(fetch) == "Bearer access-1"
        again = connection.shared_auth(creds)
        assert again.authorization(fetch) == "Bearer access-1"  # shared, no new fetch
        clock.advance(600)  # expired on the injected clock: fetched again
        assert again.authorization(fetch) == "Bearer access-2"
        assert len(fetch.calls) == 2
        others = [
            replace(creds, client_secret=SECRET + "-rotated"),
            replace(creds, client_id="sp-2"),
            replace(creds, host="https://other.example"),
        ]
        assert all(connection.shared_auth(c) is not first for c in others)
        keys = repr(connection._AUTHS)
        assert SECRET not in keys and "access-2" not in keys
        assert isinstance(connection.shared_auth(Credentials("https://w", TOKEN)), BearerToken)
        with pytest.raises(TypeError, match="must not be pickled"):
            pickle.dumps(first)
    finally:
        connection.close_shared()
