"""Request counters per (method, route template), for tests like "a second up writes nothing"."""

from __future__ import annotations

import threading
from typing import Any

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class RequestStats:
    """Counts requests by ``"METHOD /route/{template}"``; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, int] = {}

    def count(self, method: str, template: str) -> None:
        """Record one request."""
        key = f"{method} {template}"
        with self._lock:
            self._counts[key] = self._counts.get(key, 0) + 1

    def reset(self) -> None:
        """Set every counter back to zero."""
        with self._lock:
            self._counts.clear()

    def to_api(self) -> dict[str, Any]:
        """``{"requests": {key: n}, "total": n, "writes": n}``; writes = control-plane writes."""
        with self._lock:
            counts = dict(sorted(self._counts.items()))
        writes = sum(
            n
            for key, n in counts.items()
            if key.split(" ", 1)[0] in WRITE_METHODS and key.split(" ", 1)[1].startswith("/api/")
        )
        return {"requests": counts, "total": sum(counts.values()), "writes": writes}
