"""OAuth M2M under the concurrent calls of ``diff``/``drift``/``smoke`` (one shared client).

When the cached access token goes stale mid-run, every worker thread saw it stale at
once and each fetched its own token (a burst on the workspace's token endpoint, which
is rate-limited); a worker could also send ``Bearer None`` when another thread
invalidated the token between its fetch and its read of the attribute.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import Any

from fakes import FakeClock

from servingops.auth import OAuthM2M

WORKERS = 8


class _SlowFetcher:
    """A token endpoint that takes a moment to answer and counts its calls."""

    def __init__(self) -> None:
        self.calls = 0
        self._lock = threading.Lock()

    def __call__(self, url: str, form: Mapping[str, str], basic: tuple[str, str]) -> Any:
        with self._lock:
            self.calls += 1
            number = self.calls
        time.sleep(0.05)  # real time: the other workers arrive while this one waits
        return {"access_token": f"access-{number}", "expires_in": 3600}


def _all_at_once(auth: OAuthM2M, fetch: _SlowFetcher) -> list[str]:
    barrier = threading.Barrier(WORKERS)
    headers: list[str] = []

    def worker() -> None:
        barrier.wait(timeout=5)
        headers.append(auth.authorization(fetch))

    threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    return headers


def test_a_stale_token_is_fetched_once_for_all_concurrent_calls() -> None:
    clock = FakeClock()
    auth = OAuthM2M("https://ws.example", "client", "s3cret-value", clock=clock)
    fetch = _SlowFetcher()
    assert auth.authorization(fetch) == "Bearer access-1"
    clock.advance(3600)  # mid-run: the cached token is now stale

    headers = _all_at_once(auth, fetch)

    assert fetch.calls == 2
    assert headers == ["Bearer access-2"] * WORKERS


class _InvalidatingClock(FakeClock):
    """A clock whose reads let "another worker" invalidate the token at that moment:
    the thread switch that can come between storing a fetched token and reading it."""

    auth: OAuthM2M | None = None

    def now(self) -> float:
        if self.auth is not None:
            self.auth.invalidate()  # a 401 in another worker (ControlPlaneClient)
        return super().now()


def test_a_token_invalidated_by_another_thread_is_never_sent_as_none() -> None:
    clock = _InvalidatingClock()
    auth = OAuthM2M("https://ws.example", "client", "s3cret-value", clock=clock)
    clock.auth = auth

    header = auth.authorization(_SlowFetcher())

    assert header == "Bearer access-1"


def test_workers_that_all_met_a_401_with_one_token_refetch_it_once() -> None:
    # a token revoked mid-run: every worker in flight gets 401 with it and invalidates;
    # each invalidation used to drop the token another worker had just fetched, so the
    # workers fetched one after another (up to --jobs token requests)
    auth = OAuthM2M("https://ws.example", "client", "s3cret-value", clock=FakeClock())
    fetch = _SlowFetcher()
    revoked = auth.authorization(fetch)
    barrier = threading.Barrier(WORKERS)
    headers: list[str] = []

    def worker() -> None:
        barrier.wait(timeout=5)
        auth.invalidate(revoked)  # what ControlPlaneClient does after a 401
        headers.append(auth.authorization(fetch))

    threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert fetch.calls == 2
    assert headers == ["Bearer access-2"] * WORKERS
