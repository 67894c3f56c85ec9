"""Shared test setup: no network beyond loopback, ever."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from typing import Any

import pytest

_real_connect = socket.socket.connect


def _is_local(address: Any) -> bool:
    if not isinstance(address, tuple):
        return True  # unix sockets
    host = str(address[0])
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _guarded_connect(self: socket.socket, address: Any) -> Any:
    if not _is_local(address):
        raise OSError(f"test tried to reach {address!r}: only loopback is allowed in tests")
    return _real_connect(self, address)


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Block any socket connection that is not to 127.0.0.0/8, ::1 or a unix socket."""
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    yield


@pytest.fixture(autouse=True)
def _no_validation_cache(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Validate every time (providers.validated off): a test that patches a rule or the
    catalogue must not meet a result cached by another test; cache tests set their own."""
    monkeypatch.setenv("SERVINGOPS_VALIDATION_CACHE", "off")
    yield
