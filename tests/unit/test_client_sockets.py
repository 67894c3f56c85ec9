"""A host that does not answer fails fast: real loopback sockets, small timeouts.

The only unit tests that open ports (127.0.0.1 only): a listener that accepts and never
answers proves the first GET waits ``connect_timeout_s``, not ``timeout_s`` or the retry
budget; a closed port proves a refused connection fails at once. Backoff sleeps go to a
``FakeClock``; only the socket timeouts take real time.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
from fakes import FakeClock

from servingops.auth import BearerToken
from servingops.client import ClientSettings, ControlPlaneClient
from servingops.errors import ControlPlaneUnreachable

SETTINGS = ClientSettings(timeout_s=30.0, connect_timeout_s=0.3, retry_budget_s=300.0)


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port whose listener accepts connections and never answers (closed after 10 s)."""
    stop = threading.Event()
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.1)
    thread = threading.Thread(target=_hold, args=(server, stop), daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join(timeout=5)
    server.close()


def _hold(server: socket.socket, stop: threading.Event) -> None:
    held: list[socket.socket] = []
    deadline = time.monotonic() + 10
    while not stop.is_set() and time.monotonic() < deadline:
        try:
            held.append(server.accept()[0])
        except TimeoutError:
            continue
    for conn in held:
        conn.close()


@pytest.fixture
def closed_port() -> int:
    """A port nobody listens on (bound once to pick it, then closed)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _client(port: int) -> ControlPlaneClient:
    host = f"http://127.0.0.1:{port}"
    return ControlPlaneClient(
        host, BearerToken("t0ken-value"), clock=FakeClock(), settings=SETTINGS
    )


def test_a_silent_host_fails_within_the_connect_timeout(silent_port: int) -> None:
    started = time.monotonic()
    with _client(silent_port) as client, pytest.raises(ControlPlaneUnreachable) as caught:
        client.get_endpoint("e1")
    elapsed = time.monotonic() - started
    assert elapsed < 3.0  # 2 tries x 0.3 s, not 30 s per try nor a 300 s budget
    assert f"control plane at http://127.0.0.1:{silent_port} did not answer within 0.3 s" in (
        caught.value.message
    )
    assert "(is the host right? is the plane running?)" in caught.value.message
    assert "after 2 attempts" in caught.value.message


def test_a_refused_port_fails_fast(closed_port: int) -> None:
    started = time.monotonic()
    with _client(closed_port) as client, pytest.raises(ControlPlaneUnreachable) as caught:
        client.list_endpoints()
    assert time.monotonic() - started < 2.0
    assert f"control plane at http://127.0.0.1:{closed_port} could not be reached" in (
        caught.value.message
    )
    assert "is the local plane running?" in caught.value.hint
