"""bounded_map: order kept, never more than ``jobs`` calls at once, first error raised."""

from __future__ import annotations

import threading
import time

import pytest

from servingops.pool import bounded_map


def test_results_keep_the_order_and_the_bound_holds() -> None:
    lock = threading.Lock()
    running, peak = 0, 0

    def work(x: int) -> int:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.02 * (x % 3))
        with lock:
            running -= 1
        return x * x

    assert bounded_map(work, range(20), jobs=4) == [x * x for x in range(20)]
    assert 1 < peak <= 4


def test_calls_overlap() -> None:
    barrier = threading.Barrier(5, timeout=5)
    assert bounded_map(lambda x: barrier.wait() >= 0 and x, range(5), jobs=5) == list(range(5))


def test_the_first_error_in_order_is_raised_and_the_rest_cancelled() -> None:
    started: list[int] = []

    def work(x: int) -> int:
        started.append(x)
        if x in (1, 2):
            raise ValueError(f"bad {x}")
        time.sleep(0.01)
        return x

    with pytest.raises(ValueError, match="bad 1"):
        bounded_map(work, range(50), jobs=2)
    assert len(started) < 50


def test_jobs_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        bounded_map(str, [1, 2], jobs=0)


def test_an_interrupt_does_not_wait_for_the_calls_still_running() -> None:
    release = threading.Event()

    def work(x: int) -> int:
        if x == 0:
            time.sleep(0.05)
            raise KeyboardInterrupt
        release.wait(timeout=10)
        return x

    started = time.monotonic()
    try:
        with pytest.raises(KeyboardInterrupt):
            bounded_map(work, range(4), jobs=4)
        assert time.monotonic() - started < 5
    finally:
        release.set()
