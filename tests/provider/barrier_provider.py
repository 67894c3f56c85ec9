"""A dynamic provider whose ``create`` waits for others to run at the same time.

Served in a provider process by ``test_provider_server``: each create counts itself in,
waits until ``target`` creates have run at once (or ``timeout_s`` passes), and returns the
most it saw. With a server of 4 workers the peak is 4; with ours it reaches the target.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from pulumi.dynamic import ConfigureRequest, CreateResult, ResourceProvider

_lock = threading.Condition()
_active = 0
_peak = 0


class BarrierProvider(ResourceProvider):
    def __init__(self, target: int, timeout_s: float) -> None:
        self.target = target
        self.timeout_s = timeout_s

    def configure(self, req: ConfigureRequest) -> None:
        from providers.endpoint import apply_workers

        apply_workers(req.config.get("providerWorkers"))

    def create(self, props: dict[str, Any]) -> CreateResult:
        global _active, _peak
        with _lock:
            _active += 1
            _peak = max(_peak, _active)
            _lock.notify_all()
            deadline = time.monotonic() + self.timeout_s
            while _peak < self.target and time.monotonic() < deadline:
                _lock.wait(deadline - time.monotonic())
            seen = _peak
            _active -= 1
        return CreateResult(f"r{props['n']}", {"peak": seen})
