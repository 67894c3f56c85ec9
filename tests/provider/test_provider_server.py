"""``python -m providers.server`` runs more than 4 operations at once; the SDK's does not.

Both servers are started as the engine starts them (a process printing its port), with
``barrier_provider`` as the resource provider, and sent concurrent Create RPCs.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import grpc
import pytest
from barrier_provider import BarrierProvider
from google.protobuf import struct_pb2
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime import proto, rpc
from pulumi.runtime._serialization import _serialize
from pulumi.runtime.proto import provider_pb2_grpc

from providers import server
from providers.endpoint import apply_workers
from servingops.errors import ConfigError

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
CONCURRENT = 10


@contextmanager
def serving(module: str, workers: str | None = None) -> Iterator[Any]:
    """A provider server process on 127.0.0.1 and a stub to it; stopped afterwards."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(HERE)])}
    env["PULUMI_PROJECT"] = "servingops"  # the engine sets it; config keys are project:key
    env.pop(server.ENV_WORKERS, None)
    if workers is not None:
        env[server.ENV_WORKERS] = workers
    proc = subprocess.Popen(
        [sys.executable, "-u", "-m", module], cwd=HERE, env=env, stdout=subprocess.PIPE
    )
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline().decode().strip() or 0)
        assert port, f"{module} printed no port"
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            yield provider_pb2_grpc.ResourceProviderStub(channel)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _properties(values: dict[str, Any]) -> struct_pb2.Struct:
    return asyncio.run(rpc.serialize_properties(values, {}))


def _peaks(stub: Any, provider: BarrierProvider, config: dict[str, Any]) -> list[int]:
    """Send CONCURRENT creates at once; each returns the peak it saw."""
    blob, _ = _serialize(True, serialize_provider, provider)
    stub.Configure(proto.ConfigureRequest(args=_properties(config)))

    def create(n: int) -> int:
        props = _properties({"__provider": blob, "n": n})
        urn = f"urn:pulumi:s::p::pulumi-python:dynamic:Resource::r{n}"
        answer = stub.Create(proto.CreateRequest(urn=urn, properties=props), timeout=60)
        return int(rpc.deserialize_properties(answer.properties)["peak"])

    with ThreadPoolExecutor(CONCURRENT) as pool:
        return list(pool.map(create, range(CONCURRENT)))


def test_our_server_runs_every_operation_at_once() -> None:
    with serving("providers.server") as stub:
        start = time.monotonic()
        peaks = _peaks(stub, BarrierProvider(CONCURRENT, timeout_s=20), {})
    assert max(peaks) == CONCURRENT
    assert time.monotonic() - start < 20  # nobody waited out the barrier


def test_the_sdk_server_runs_four() -> None:
    """The ceiling this entry lifts (pulumi/dynamic/__main__.py: max_workers=4)."""
    with serving("pulumi.dynamic") as stub:
        peaks = _peaks(stub, BarrierProvider(CONCURRENT, timeout_s=1.0), {})
    assert max(peaks) == 4


def test_workers_from_the_environment_and_from_stack_config() -> None:
    with serving("providers.server", workers="3") as stub:
        assert max(_peaks(stub, BarrierProvider(CONCURRENT, timeout_s=1.0), {})) == 3
    config = {"servingops:providerWorkers": "5"}
    with serving("providers.server", workers="3") as stub:
        assert max(_peaks(stub, BarrierProvider(CONCURRENT, timeout_s=1.0), config)) == 5


def test_a_bad_worker_count_is_a_clear_error() -> None:
    with pytest.raises(ConfigError) as err:
        apply_workers("0")
    assert "servingops:providerWorkers" in str(err.value) and "1 to 1024" in str(err.value)
    assert "hint:" in str(err.value)
    env = {**os.environ, server.ENV_WORKERS: "many"}
    proc = subprocess.run(
        [sys.executable, "-m", "providers.server"], env=env, capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert "SERVINGOPS_PROVIDER_WORKERS must be a whole number" in proc.stderr
    assert "Traceback" not in proc.stderr
