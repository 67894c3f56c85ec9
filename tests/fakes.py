"""Fakes the unit tests inject: a ``FakeClock`` that never sleeps (kept out of the package)."""

from __future__ import annotations

from dataclasses import dataclass, field


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
