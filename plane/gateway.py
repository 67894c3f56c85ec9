"""Query-time AI-gateway behaviour: per-minute rate limits and the traffic split.

Counters live in memory (a restart forgets them), in fixed one-minute windows of the
injected clock. ``key: endpoint`` limits share one bucket; ``user`` (and principal-less
``service_principal`` / ``user_group``) limits count per caller; limits that name a
``principal`` apply only to that caller.
"""

from __future__ import annotations

import math
import random
import threading
from typing import Any

from plane.errors import InvalidState, PermissionDenied, RateLimitExceeded
from plane.resource import StoredConfig
from plane.settings import Clock


class RateLimiter:
    """Counts calls and tokens per endpoint, limit and caller in one-minute windows."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._window = -1
        self._counts: dict[tuple[str, int, str, str], int] = {}

    def reset(self) -> None:
        """Forget every counter."""
        with self._lock:
            self._counts.clear()

    def admit(self, endpoint: str, limits: list[dict[str, Any]], principal: str) -> None:
        """Count one call, or raise 403 (a limit of 0) / 429 (limit used up)."""
        now = self.clock()
        with self._lock:
            self._roll(now)
            buckets = [(i, lim, _bucket(lim, principal)) for i, lim in enumerate(limits)]
            buckets = [(i, lim, b) for i, lim, b in buckets if b is not None]
            for i, limit, bucket in buckets:
                self._check(endpoint, i, limit, str(bucket), now)
            for i, _, bucket in buckets:
                key = (endpoint, i, str(bucket), "calls")
                self._counts[key] = self._counts.get(key, 0) + 1

    def add_tokens(
        self, endpoint: str, limits: list[dict[str, Any]], principal: str, tokens: int
    ) -> None:
        """Charge the tokens of an answered query to every token limit that applies."""
        with self._lock:
            self._roll(self.clock())
            for i, limit in enumerate(limits):
                bucket = _bucket(limit, principal)
                if bucket is not None and limit.get("tokens") is not None:
                    key = (endpoint, i, bucket, "tokens")
                    self._counts[key] = self._counts.get(key, 0) + tokens

    def _roll(self, now: float) -> None:
        window = int(now // 60)
        if window != self._window:
            self._window = window
            self._counts.clear()

    def _check(self, endpoint: str, i: int, limit: dict[str, Any], bucket: str, now: float) -> None:
        retry = max(1, math.ceil((self._window + 1) * 60 - now))
        for what in ("calls", "tokens"):
            allowed = limit.get(what)
            if allowed is None:
                continue
            if allowed == 0:
                raise PermissionDenied(
                    f"Endpoint '{endpoint}' is disabled due to a rate limit set to 0."
                )
            if self._counts.get((endpoint, i, bucket, what), 0) >= allowed:
                key = limit.get("key", "endpoint")
                raise RateLimitExceeded(endpoint, f"the per-{key} {what}", retry)


def _bucket(limit: dict[str, Any], principal: str) -> str | None:
    key = limit.get("key") or "endpoint"
    if key == "endpoint":
        return "*"
    named = limit.get("principal")
    if named:
        return principal if named == principal else None
    return principal


def pick_entities(config: StoredConfig, rng: random.Random, endpoint: str) -> list[dict[str, Any]]:
    """Served entities in try order: one picked by the traffic split, then the rest in order."""
    entities = list(config.served_entities)
    weights = config.weights()
    if len(entities) == 1 and not weights:
        return entities
    total = sum(weights.values())
    if total <= 0:
        raise InvalidState(f"Endpoint '{endpoint}' routes no traffic to any served entity.")
    point = rng.uniform(0, total)
    for entity in entities:
        point -= weights.get(entity["name"], 0)
        if point <= 0 and weights.get(entity["name"], 0) > 0:
            return [entity] + [e for e in entities if e is not entity]
    chosen = [e for e in entities if weights.get(e["name"], 0) > 0][-1]
    return [chosen] + [e for e in entities if e is not chosen]
