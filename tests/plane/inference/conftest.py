"""Fixtures for the query-engine tests: a tiny OpenAI-compatible upstream on 127.0.0.1."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer

import pytest
from inference_helpers import Upstream, make_handler


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    """A threaded stdlib HTTP server on 127.0.0.1 (free port), stopped after the test."""
    state = Upstream()
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(state))
    state.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
