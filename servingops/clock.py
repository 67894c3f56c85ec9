"""Time as an injectable dependency (tests inject ``tests/fakes.py``'s ``FakeClock``).

Everything that waits (HTTP retries, the settle waiter, token expiry) takes a ``Clock``
so tests never sleep: ``FakeClock.sleep`` moves time forward at once and records how
long the code asked to sleep, the way the Databricks SDK's ``tests/clock.py`` does.
"""

from __future__ import annotations

import time
from typing import Protocol

__all__ = ["Clock", "RealClock"]


class Clock(Protocol):
    """Tells monotonic time in seconds and sleeps."""

    def now(self) -> float:
        """Seconds on a monotonic scale (only differences are meaningful)."""
        ...

    def sleep(self, seconds: float) -> None:
        """Block for ``seconds``."""
        ...


class RealClock:
    """The process clock: ``time.monotonic`` and ``time.sleep``."""

    def now(self) -> float:
        """Seconds from ``time.monotonic``."""
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        """Sleep for real (never a negative duration)."""
        time.sleep(max(0.0, seconds))

    def __repr__(self) -> str:
        return "RealClock()"
