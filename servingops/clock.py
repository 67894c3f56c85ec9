"""Time as an injectable dependency: a real clock for production, a fake one for tests.

Everything that waits (HTTP retries, the settle waiter, token expiry) takes a ``Clock``
so tests never sleep: ``FakeClock.sleep`` moves time forward at once and records how
long the code asked to sleep, the way the Databricks SDK's ``tests/clock.py`` does.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Protocol

__all__ = ["Clock", "FakeClock", "RealClock"]


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


@dataclass
class FakeClock:
    """A clock for tests: ``sleep`` advances ``now`` instantly and is recorded in ``sleeps``."""

    time: float = 1000.0
    """The current fake time in seconds."""
    sleeps: list[float] = field(default_factory=list)
    """Every duration passed to ``sleep``, in order."""

    def now(self) -> float:
        """The current fake time."""
        return self.time

    def sleep(self, seconds: float) -> None:
        """Record ``seconds`` and move time forward by it."""
        self.sleeps.append(seconds)
        self.advance(seconds)

    def advance(self, seconds: float) -> None:
        """Move time forward without recording a sleep (e.g. a slow server in a test)."""
        self.time += max(0.0, seconds)

    @property
    def slept(self) -> float:
        """Total seconds slept so far."""
        return sum(self.sleeps)
