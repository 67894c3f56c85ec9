"""Fixtures of the plane tests: one suite, run in-process and against a started server.

``api`` is parametrized over ``inproc`` (Starlette TestClient on ``create_app``) and
``server`` (the real uvicorn server from ``plane_testing.running_plane``, in tests/), as
moto runs its suite twice. Set ``PLANE_TEST_MODE=inproc`` or ``server`` to run only one
mode.
In server mode, tests with default settings share one server per module, reset
(``POST /__plane/reset`` semantics) before each test; tests must use ``api.clock``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from plane_testing import FakeClock, running_plane
from starlette.testclient import TestClient

from plane.app import create_app
from plane.services import Plane
from plane.settings import PlaneSettings

MODES = [m for m in ("inproc", "server") if os.environ.get("PLANE_TEST_MODE", m) == m]
TOKEN = "dapi-test-token"


@dataclass
class Api:
    """A plane under test: an authenticated client, its internals and the fake clock."""

    client: httpx.Client
    plane: Plane
    clock: FakeClock
    mode: str
    url: str

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.client.get(path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> httpx.Response:
        return self.client.post(path, json=body, **kw)

    def put(self, path: str, body: Any = None, **kw: Any) -> httpx.Response:
        return self.client.put(path, json=body, **kw)

    def patch(self, path: str, body: Any = None, **kw: Any) -> httpx.Response:
        return self.client.patch(path, json=body, **kw)

    def delete(self, path: str, **kw: Any) -> httpx.Response:
        return self.client.delete(path, **kw)


def _open(stack: ExitStack, mode: str, tmp_path: Path, clock: FakeClock, **settings: Any) -> Api:
    """Start a plane in ``mode`` with test defaults overridden by ``settings``."""
    settings = {
        "token": TOKEN,
        "settle_seconds": 1.0,
        "pt_settle_seconds": 5.0,
        "seed": 7,
        "enforce_acl": True,
    } | settings
    headers = {"Authorization": f"Bearer {settings['token']}"}
    if mode == "inproc":
        app = create_app(tmp_path / "plane.sqlite", settings=PlaneSettings(**settings), clock=clock)
        client: httpx.Client = stack.enter_context(TestClient(app, headers=headers))
        stack.callback(app.state.plane.store.db.close)
        return Api(client, app.state.plane, clock, mode, "http://testserver")
    running = stack.enter_context(running_plane(tmp_path, clock=clock, **settings))
    client = stack.enter_context(httpx.Client(base_url=running.url, headers=headers, timeout=10))
    return Api(client, running.plane, clock, mode, running.url)


@pytest.fixture
def clock() -> FakeClock:
    """A clock that moves only when the test says so."""
    return FakeClock()


@pytest.fixture(scope="module")
def _shared_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[], Api]]:
    """One default-settings server per test module, started on first use."""
    cache: dict[str, Api] = {}
    with ExitStack() as stack:

        def get() -> Api:
            if "api" not in cache:
                path = tmp_path_factory.mktemp("shared-plane")
                cache["api"] = _open(stack, "server", path, FakeClock())
            api = cache["api"]
            api.plane.reset()
            return api

        yield get


@pytest.fixture(params=MODES)
def make_api(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    clock: FakeClock,
    _shared_server: Callable[[], Api],
) -> Iterator[Callable[..., Api]]:
    """Build a plane with extra settings: ``make_api(shuffle_entities=True)``."""
    with ExitStack() as stack:

        def build(**settings: Any) -> Api:
            if request.param == "server" and not settings:
                return _shared_server()
            return _open(stack, request.param, tmp_path, clock, **settings)

        yield build


@pytest.fixture
def api(make_api: Callable[..., Api]) -> Api:
    """A plane with test defaults (token ``dapi-test-token``, settle 1 s on a fake clock)."""
    return make_api()
