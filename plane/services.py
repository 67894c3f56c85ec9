"""The objects one running plane is made of, shared by its routes and middleware."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import httpx

from plane.auth import Authenticator
from plane.faults import FaultRegistry
from plane.gateway import RateLimiter
from plane.metrics import QueryMetrics
from plane.settings import Clock, PlaneSettings
from plane.stats import RequestStats
from plane.store import EndpointStore


@dataclass
class Plane:
    """Store, auth, faults, counters and the forwarding HTTP client of one app."""

    settings: PlaneSettings
    clock: Clock
    store: EndpointStore
    auth: Authenticator
    workspace_id: str
    """The id in every ``x-databricks-org-id`` header: the setting, else the database's."""
    faults: FaultRegistry = field(default_factory=FaultRegistry)
    stats: RequestStats = field(default_factory=RequestStats)
    metrics: QueryMetrics = field(default_factory=QueryMetrics)
    http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=300.0))
    limiter: RateLimiter = field(init=False)
    rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self.limiter = RateLimiter(self.clock)
        self.rng = random.Random(self.settings.seed)

    def reset(self) -> None:
        """``POST /__plane/reset``: endpoints, tokens, faults, counters and limits.

        The workspace id stays: it is the identity of the database, not of its state.
        """
        self.store.reset()
        self.auth.reset()
        self.faults.clear()
        self.stats.reset()
        self.metrics.reset()
        self.limiter.reset()
        self.rng = random.Random(self.settings.seed)
        self.store.rng = random.Random(self.settings.seed)
