"""Throughput of the local plane: GET endpoint and chat queries per second (target 500 GET/s).

The plane runs as ``python -m plane`` in a subprocess (so client and server do not share
a GIL); a few threads, each with its own ``httpx.Client``, send a bounded number of
requests. Printed: requests/second per operation and the ratio to the target.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx

TARGET_GET_PER_S = 500.0
CLIENTS = 4
GET_REQUESTS = 4000
QUERY_REQUESTS = 2000
TOKEN = "bench-token"
ENDPOINT = {
    "name": "bench-chat",
    "config": {
        "served_entities": [
            {
                "name": "gpt",
                "external_model": {
                    "provider": "openai",
                    "name": "gpt-4o-mini",
                    "task": "llm/v1/chat",
                    "openai_config": {"openai_api_key": "{{secrets/bench/openai}}"},
                },
            }
        ]
    },
}
CHAT = {"messages": [{"role": "user", "content": "Reply with OK."}], "max_tokens": 8}


def _start(db: Path) -> tuple[subprocess.Popen[str], str]:
    cmd = [sys.executable, "-m", "plane", "--port", "0", "--db", str(db), "--token", TOKEN,
           "--settle-seconds", "0"]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    url = proc.stdout.readline().strip().removeprefix("DATABRICKS_HOST=")
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{url}/__plane/health", timeout=1)
            return proc, url
        except httpx.TransportError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("the plane did not start within 15 s")


def _load(url: str, total: int, call: Callable[[httpx.Client], httpx.Response]) -> float:
    """Send ``total`` requests from CLIENTS threads; return requests per second."""
    failures: list[int] = []

    def worker(count: int) -> None:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
            for _ in range(count):
                status = call(client).status_code
                if status != 200:
                    failures.append(status)

    threads = [threading.Thread(target=worker, args=(total // CLIENTS,)) for _ in range(CLIENTS)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    if failures:
        raise RuntimeError(f"{len(failures)} requests failed, e.g. status {failures[0]}")
    return (total // CLIENTS * CLIENTS) / elapsed


def main() -> None:
    """Start the plane, measure GET and chat-query throughput, print them."""
    with tempfile.TemporaryDirectory() as tmp:
        proc, url = _start(Path(tmp) / "bench.sqlite")
        try:
            headers = {"Authorization": f"Bearer {TOKEN}"}
            httpx.post(f"{url}/api/2.0/serving-endpoints", json=ENDPOINT, headers=headers)
            path = f"/api/2.0/serving-endpoints/{ENDPOINT['name']}"
            _load(url, 200, lambda c: c.get(path))  # warm-up
            get_rate = _load(url, GET_REQUESTS, lambda c: c.get(path))
            query = f"/serving-endpoints/{ENDPOINT['name']}/invocations"
            query_rate = _load(url, QUERY_REQUESTS, lambda c: c.post(query, json=CHAT))
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    ratio = get_rate / TARGET_GET_PER_S
    print(f"GET endpoint : {get_rate:7.0f} req/s  ({ratio:.2f}x the 500/s target)")
    print(f"chat query   : {query_rate:7.0f} req/s  ({query_rate / TARGET_GET_PER_S:.2f}x 500/s)")
    print(f"({CLIENTS} concurrent clients, {GET_REQUESTS} GETs, {QUERY_REQUESTS} queries)")


if __name__ == "__main__":
    main()
