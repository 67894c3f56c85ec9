"""The reconciler test world: a running plane, a client and a reconciler sharing one fake
clock with the plane's settle timer (so waits are real but instant)."""

from __future__ import annotations

from typing import Any

from plane_testing import FakeClock as PlaneClock
from plane_testing import RunningPlane

from servingops.auth import BearerToken
from servingops.client import ControlPlaneClient
from servingops.reconcile import Reconciler


class SharedClock:
    """The waiter's clock; sleeping moves the plane's clock too."""

    def __init__(self, plane_clock: PlaneClock) -> None:
        self.plane_clock = plane_clock
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self.plane_clock.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.plane_clock.advance(seconds)


class World:
    """A running plane, a client on it and a reconciler with the shared clock."""

    def __init__(self, plane: RunningPlane, clock: SharedClock) -> None:
        self.plane = plane
        self.clock = clock
        self.client = ControlPlaneClient(plane.url, BearerToken(plane.token), clock=clock)
        self.log: list[str] = []
        self.rec = Reconciler(self.client, plane.url, clock=clock, log=self.log.append)
        self.http = plane.client()

    def writes(self) -> dict[str, int]:
        stats = self.http.get("/__plane/stats").json()["requests"]
        return {k: n for k, n in stats.items() if k.split()[0] != "GET" and "/api/" in k}

    def reset_stats(self) -> None:
        self.http.delete("/__plane/stats")

    def fault(self, name: str, **body: Any) -> None:
        self.http.post(f"/__plane/endpoints/{name}/fault", json=body).raise_for_status()
