"""Per-endpoint query counters, exported as a small OpenMetrics text by the metrics route."""

from __future__ import annotations

import threading
from collections import defaultdict


class QueryMetrics:
    """Counts queries, errors and latency per (endpoint, served entity); in memory."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rows: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0, 0, 0, 0.0])

    def record(self, endpoint: str, entity: str, status: int, seconds: float) -> None:
        """Record one answered query (``status`` of its response)."""
        with self._lock:
            row = self._rows[(endpoint, entity)]
            row[0] += 1
            row[1] += 1 if 400 <= status < 500 else 0
            row[2] += 1 if status >= 500 else 0
            row[3] += seconds

    def reset(self) -> None:
        """Forget every counter."""
        with self._lock:
            self._rows.clear()

    def render(self, endpoint: str) -> str:
        """OpenMetrics text for one endpoint (counters per served entity)."""
        with self._lock:
            rows = sorted((k[1], list(v)) for k, v in self._rows.items() if k[0] == endpoint)
        names = (
            ("request_count", "Queries answered", 0),
            ("request_4xx_count", "Queries answered with a 4xx status", 1),
            ("request_5xx_count", "Queries answered with a 5xx status", 2),
            ("request_latency_seconds", "Total time spent answering queries", 3),
        )
        lines = []
        for name, help_text, i in names:
            lines += [f"# HELP {name} {help_text}.", f"# TYPE {name} counter"]
            lines += [f'{name}_total{{served_entity="{e}"}} {v[i]:g}' for e, v in rows]
        return "\n".join(lines + ["# EOF"]) + "\n"
