"""Bounded concurrency for the commands that read or query many endpoints at once.

``diff`` and ``drift`` GET each declared endpoint, ``smoke`` queries each one; all share
one ``ControlPlaneClient`` (its ``httpx.Client`` is thread-safe and pools connections).

The workers are daemon threads, not a ``ThreadPoolExecutor``: after an error or Ctrl-C
the command returns at once, and the process exits without waiting for queries still
in flight (an executor's threads are joined at exit, up to a whole read timeout).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

__all__ = ["DEFAULT_READ_JOBS", "DEFAULT_SMOKE_JOBS", "MAX_JOBS", "bounded_map"]

T = TypeVar("T")
R = TypeVar("R")

DEFAULT_READ_JOBS = 8
"""Concurrent control-plane GETs for ``diff``/``drift`` (the REST API is rate-limited
per workspace; Terraform's default ``-parallelism`` is 10)."""
DEFAULT_SMOKE_JOBS = 64
"""Concurrent endpoints for ``smoke``: each query goes to a different endpoint, so its
rate limit is not shared; 64 puts 50 endpoints in one round."""
MAX_JOBS = 100
"""The most calls at a time: httpx's default pool holds 100 connections, and a call
waiting for one would count that wait against its own timeout."""


def bounded_map(func: Callable[[T], R], items: Iterable[T], jobs: int) -> list[R]:
    """``[func(x) for x in items]`` with at most ``jobs`` (>= 1) calls at a time, in order.

    The first exception (in item order) is raised as soon as it is that item's turn:
    calls not started yet never start, calls already running are not waited for (they
    end with the shared client, or with the process). Ctrl-C while waiting does the
    same. ``jobs == 1`` runs in this thread. Raises ``ValueError`` for ``jobs < 1``.
    """
    work = list(items)
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs}")
    if jobs == 1 or len(work) <= 1:
        return [func(x) for x in work]
    run = _Run(func, work)
    for _ in range(min(jobs, len(work))):
        threading.Thread(target=run.worker, name="servingops-job", daemon=True).start()
    try:
        return [run.result(i) for i in range(len(work))]
    finally:
        run.stop.set()


class _Run(Generic[T, R]):
    """The shared state of one ``bounded_map``: the next item, results, done flags."""

    def __init__(self, func: Callable[[T], R], work: list[T]) -> None:
        self.func, self.work = func, work
        self.stop = threading.Event()
        self._lock = threading.Lock()
        self._next = 0
        self._done = [threading.Event() for _ in work]
        self._out: list[tuple[bool, R | BaseException] | None] = [None] * len(work)

    def worker(self) -> None:
        """Take items until none is left or the run stopped; record each outcome."""
        while not self.stop.is_set():
            with self._lock:
                index, self._next = self._next, self._next + 1
            if index >= len(self.work):
                return
            try:
                self._out[index] = (True, self.func(self.work[index]))
            except BaseException as err:  # noqa: BLE001 - handed to the caller's thread
                self._out[index] = (False, err)
            self._done[index].set()

    def result(self, index: int) -> R:
        """Item ``index``'s result once it is done; its exception is raised here."""
        self._done[index].wait()
        outcome = self._out[index]
        assert outcome is not None
        ok, value = outcome
        if not ok:
            assert isinstance(value, BaseException)
            raise value
        return value  # type: ignore[return-value]
