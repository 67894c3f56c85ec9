"""Test aids for the plane: ``running_plane`` (a real uvicorn server in a thread), ``FakeClock``.

Kept under tests/ (not shipped in the ``plane`` package); tests/ is on ``sys.path``
because of tests/conftest.py, so any test module imports it by name:

    from plane_testing import FakeClock, running_plane

    def test_something(tmp_path):
        with running_plane(tmp_path, settle_seconds=0) as plane:
            r = httpx.get(f"{plane.url}/api/2.0/serving-endpoints", headers=plane.headers)
            ...
            plane.store            # the EndpointStore (same process: inspect or reset it)
            plane.client()         # an httpx.Client with base_url and the bearer token

``running_plane(tmp_path, *, clock=..., db_name="plane.sqlite", **settings)`` serves the
SQLite file ``tmp_path / db_name`` on 127.0.0.1 at a free port; ``settings`` are
``PlaneSettings`` fields (``token``, ``client_id``, ``client_secret``,
``settle_seconds``, ``shuffle_entities``...). Start-up waits at most
``start_timeout`` seconds; on exit the server stops and the database is closed, so a
second ``running_plane`` on the same ``tmp_path`` sees the same endpoints and the same
``workspace_id``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette

from plane.app import create_app
from plane.server import bind, uvicorn_server
from plane.services import Plane
from plane.settings import Clock, PlaneSettings, system_clock
from plane.store import EndpointStore


class FakeClock:
    """A clock that only moves when told: ``clock()`` → epoch seconds, ``advance(s)``."""

    def __init__(self, start: float = 1_750_000_000.0) -> None:
        self.now = start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds``."""
        with self._lock:
            self.now += seconds


@dataclass
class RunningPlane:
    """A plane served on 127.0.0.1: where it is, how to authenticate, and its internals."""

    url: str
    """Base URL, e.g. ``http://127.0.0.1:41234`` (the ``host`` for the Databricks SDK)."""
    token: str
    """The bearer token it accepts."""
    app: Starlette
    settings: PlaneSettings

    @property
    def plane(self) -> Plane:
        """Store, faults, stats, limiter... of the running app."""
        plane: Plane = self.app.state.plane
        return plane

    @property
    def workspace_id(self) -> str:
        """The id it reports in ``x-databricks-org-id`` (stored in the SQLite file)."""
        return self.plane.workspace_id

    @property
    def store(self) -> EndpointStore:
        """The endpoint store behind the server."""
        return self.plane.store

    @property
    def headers(self) -> dict[str, str]:
        """``{"Authorization": "Bearer <token>"}``."""
        return {"Authorization": f"Bearer {self.token}"}

    def client(self, **kwargs: Any) -> httpx.Client:
        """An ``httpx.Client`` on this plane with the token set (close it, or use ``with``)."""
        return httpx.Client(base_url=self.url, headers=self.headers, **kwargs)


@contextmanager
def running_plane(
    tmp_path: str | Path,
    *,
    clock: Clock = system_clock,
    db_name: str = "plane.sqlite",
    start_timeout: float = 10.0,
    **settings: Any,
) -> Iterator[RunningPlane]:
    """Serve a plane on a free 127.0.0.1 port for the duration of the ``with`` block.

    ACLs are enforced (``enforce_acl``) unless a test turns it off."""
    config = PlaneSettings(**{"enforce_acl": True, **settings})
    Path(tmp_path).mkdir(parents=True, exist_ok=True)
    app = create_app(Path(tmp_path) / db_name, settings=config, clock=clock)
    sock = bind("127.0.0.1", 0)
    server = uvicorn_server(app, sock)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="plane-server", daemon=True
    )
    thread.start()
    try:
        _wait_started(server, thread, start_timeout)
        port = sock.getsockname()[1]
        yield RunningPlane(f"http://127.0.0.1:{port}", config.token, app, config)
    finally:
        server.should_exit = True
        thread.join(timeout=start_timeout)
        sock.close()
        app.state.plane.store.db.close()


def _wait_started(server: Any, thread: threading.Thread, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("the plane's server thread died during start-up")
        if time.monotonic() > deadline:
            raise TimeoutError(f"the plane did not start within {timeout} s")
        time.sleep(0.005)
