"""The hint of a connection that failed names the cause a CI job meets most.

Every connect failure got "is the local plane running?", also for a workspace whose
name does not resolve (a typo in DATABRICKS_HOST) and for https:// to a port that
speaks plain http (the local plane is running: the scheme is wrong). The TLS case
uses a real loopback socket; the DNS case a transport that fails as httpx does (no
name lookup leaves the machine in tests).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import httpx
import pytest
from fakes import FakeClock

from servingops.auth import BearerToken
from servingops.client import ClientSettings, ControlPlaneClient
from servingops.errors import ControlPlaneUnreachable

SETTINGS = ClientSettings(timeout_s=5.0, connect_timeout_s=2.0, retry_budget_s=5.0)


@pytest.fixture
def plain_http_port() -> Iterator[int]:
    """A loopback port that answers every connection in plain HTTP (no TLS)."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.1)
    stop = threading.Event()
    thread = threading.Thread(target=_answer_plain, args=(server, stop), daemon=True)
    thread.start()
    yield int(server.getsockname()[1])
    stop.set()
    thread.join(timeout=5)
    server.close()


def _answer_plain(server: socket.socket, stop: threading.Event) -> None:
    for _ in range(100):  # bounded: a few connections per test
        if stop.is_set():
            return
        try:
            conn, _ = server.accept()
        except TimeoutError:
            continue
        with conn:
            conn.settimeout(1)
            try:
                conn.recv(1024)
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            except OSError:
                pass


def _unreachable(client: ControlPlaneClient) -> ControlPlaneUnreachable:
    with client, pytest.raises(ControlPlaneUnreachable) as caught:
        client.list_endpoints()
    return caught.value


def test_https_to_a_plain_http_port_says_the_scheme_may_be_wrong(plain_http_port: int) -> None:
    host = f"https://127.0.0.1:{plain_http_port}"
    client = ControlPlaneClient(host, BearerToken("t0ken"), clock=FakeClock(), settings=SETTINGS)
    err = _unreachable(client)
    assert "TLS" in err.hint and "http://" in err.hint
    assert "is the local plane running?" not in err.hint


def test_a_host_name_that_does_not_resolve_says_so() -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        try:  # what httpx raises for a name lookup failure, with its cause
            raise socket.gaierror(-2, "Name or service not known")
        except socket.gaierror as lookup:
            raise httpx.ConnectError(str(lookup), request=request) from lookup

    http = httpx.Client(transport=httpx.MockTransport(fail))
    client = ControlPlaneClient(
        "https://adb-123.cloud.databricks.invalid",
        BearerToken("t0ken"),
        http=http,
        clock=FakeClock(),
        settings=SETTINGS,
    )
    err = _unreachable(client)
    assert "does not resolve" in err.hint and "DATABRICKS_HOST" in err.hint
    assert "is the local plane running?" not in err.hint
