"""The smoke figure: 50 endpoints, 200 ms injected latency each, queried by ``servingops
smoke``'s runner (``run_smoke_all``) in at most 1.5 x one query's latency.

The plane runs as ``python -m plane`` in a subprocess; a route fault delays every
invocation by ``LATENCY_MS`` (``plane/faults.py``, ``delay_ms``). Measured: one
endpoint's smoke alone (median of 3); all endpoints with the default ``--jobs``, first
on fresh connections (what one ``servingops smoke`` run does) and then the median of 3
more rounds; and all endpoints one at a time (``--jobs 1``) for contrast. Last, with
the fault cleared, warm rounds without the latency show the CPU cost of 50 queries on this
machine (client and plane together): the concurrent round cannot beat the injected
latency plus that cost. The host's 1-minute load average is printed with them.

    python -m bench.smoke_figure
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from servingops.auth import BearerToken
from servingops.client import ControlPlaneClient
from servingops.model import EndpointSpec
from servingops.model.rest import create_body
from servingops.pool import DEFAULT_SMOKE_JOBS
from servingops.smoke import SmokeOutcome, run_smoke, run_smoke_all

ENDPOINTS = 50
LATENCY_MS = 200
TARGET_RATIO = 1.5
TOKEN = "bench-token"


@dataclass(frozen=True)
class SmokeFigure:
    """The measured figure; durations in milliseconds."""

    endpoints: int
    injected_ms: int
    jobs: int
    one_query_ms: float
    all_ms: float
    """The first round of all endpoints, on fresh connections."""
    all_warm_ms: float
    """The median of 3 more rounds (connections kept alive)."""
    one_by_one_ms: float
    no_latency_ms: float
    """All endpoints, warm, before the latency is injected: the CPU cost of the round."""
    load_average: float

    @property
    def ratio(self) -> float:
        """The first round's wall time over one query's."""
        return self.all_ms / self.one_query_ms

    @property
    def warm_ratio(self) -> float:
        """The warm rounds' wall time over one query's."""
        return self.all_warm_ms / self.one_query_ms

    @property
    def meets_target(self) -> bool:
        """True when ``ratio`` (the first round) is at most ``TARGET_RATIO``."""
        return self.ratio <= TARGET_RATIO


def spec(name: str) -> EndpointSpec:
    """A chat endpoint with an external model and the default smoke query (route only)."""
    return EndpointSpec.from_mapping(
        {
            "name": name,
            "tier": "external",
            "task": "llm/v1/chat",
            "served_entities": [
                {
                    "name": "gpt",
                    "external_model": {
                        "provider": "openai",
                        "name": "gpt-4o-mini",
                        "openai_config": {"openai_api_key": "{{secrets/bench/openai}}"},
                    },
                }
            ],
        }
    )


@contextmanager
def _plane(db: Path) -> Iterator[str]:
    cmd = [sys.executable, "-m", "plane", "--port", "0", "--db", str(db), "--token", TOKEN,
           "--settle-seconds", "0"]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip().removeprefix("DATABRICKS_HOST=")
        deadline = time.monotonic() + 15
        while True:
            try:
                httpx.get(f"{url}/__plane/health", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise RuntimeError("the plane did not start within 15 s") from None
                time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _timed_ms(func: Callable[[], None]) -> float:
    start = time.perf_counter()
    func()
    return (time.perf_counter() - start) * 1000


def measure(endpoints: int = ENDPOINTS, latency_ms: int = LATENCY_MS) -> SmokeFigure:
    """Start a plane, create ``endpoints`` endpoints, delay every query by ``latency_ms``
    and time the smoke runs. Raises ``RuntimeError`` if a smoke query fails."""
    specs = [spec(f"bench-{i:03d}") for i in range(endpoints)]
    with tempfile.TemporaryDirectory() as tmp, _plane(Path(tmp) / "bench.sqlite") as url:
        with ControlPlaneClient(url, BearerToken(TOKEN)) as client:
            for s in specs:
                client.create_endpoint(create_body(s))
            fault = {"route": "POST /serving-endpoints/*/invocations", "delay_ms": latency_ms,
                     "count": 0}  # fmt: skip
            headers = {"Authorization": f"Bearer {TOKEN}"}
            httpx.post(f"{url}/__plane/faults", json=fault, headers=headers).raise_for_status()
            _check(run_smoke_all(client, specs[:2], jobs=2))  # warm-up: imports, 2 connections
            one = statistics.median(
                _timed_ms(lambda: _check([run_smoke(client, specs[0])])) for _ in range(3)
            )
            every = _timed_ms(lambda: _check(run_smoke_all(client, specs)))
            warm = statistics.median(
                _timed_ms(lambda: _check(run_smoke_all(client, specs))) for _ in range(3)
            )
            one_by_one = _timed_ms(lambda: _check(run_smoke_all(client, specs, jobs=1)))
            httpx.delete(f"{url}/__plane/faults", headers=headers).raise_for_status()
            no_latency = statistics.median(
                _timed_ms(lambda: _check(run_smoke_all(client, specs))) for _ in range(3)
            )
    load = os.getloadavg()[0]
    return SmokeFigure(
        endpoints, latency_ms, DEFAULT_SMOKE_JOBS, one, every, warm, one_by_one, no_latency, load
    )


def _check(runs: list[list[SmokeOutcome]]) -> None:
    failed = [o for run in runs for o in run if not o.ok]
    if failed:
        raise RuntimeError(f"{len(failed)} smoke queries failed, e.g. {failed[0]}")


def main() -> None:
    """Measure and print the figure."""
    f = measure()
    verdict = "meets" if f.meets_target else "MISSES"
    print(f"smoke, {f.endpoints} endpoints, {f.injected_ms} ms injected latency each:")
    print(f"  one query        : {f.one_query_ms:7.0f} ms")
    print(f"  all, --jobs {f.jobs:<4} : {f.all_ms:7.0f} ms  ({f.ratio:.2f}x one query; "
          f"{verdict} the {TARGET_RATIO}x target)")  # fmt: skip
    print(f"  same, warm       : {f.all_warm_ms:7.0f} ms  ({f.warm_ratio:.2f}x one query)")
    print(f"  all, --jobs 1    : {f.one_by_one_ms:7.0f} ms")
    print(f"  all, no latency  : {f.no_latency_ms:7.0f} ms  (the round's CPU cost here)")
    print(f"  (load average {f.load_average:.1f} on {os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()
