"""Bounded concurrency for the commands that read or query many endpoints at once.

``diff`` and ``drift`` GET each declared endpoint, ``smoke`` queries each one; all share
one ``ControlPlaneClient`` (its ``httpx.Client`` is thread-safe and pools connections).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

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

    The first exception (in item order) is raised at once: calls not started yet are
    cancelled, calls already running are not waited for (closing the shared client
    ends them). ``jobs == 1`` runs in this thread. Raises ``ValueError`` for ``jobs < 1``.
    """
    work = list(items)
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs}")
    if jobs == 1 or len(work) <= 1:
        return [func(x) for x in work]
    pool = ThreadPoolExecutor(max_workers=min(jobs, len(work)), thread_name_prefix="servingops")
    try:
        futures: list[Future[R]] = [pool.submit(func, x) for x in work]
        results = [f.result() for f in futures]
    except BaseException:  # an error, or Ctrl-C while waiting: do not wait for the rest
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return results
