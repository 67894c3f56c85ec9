"""The dynamic-provider server with more than 4 workers: ``python -m providers.server``.

Pulumi serves a Python dynamic provider with ``python -m pulumi.dynamic``
(``pulumi/dynamic/__main__.py``, SDK 3.259.0), whose gRPC server runs on a
``ThreadPoolExecutor(max_workers=4)``: at most four resource operations at once per
provider process. Our create and update wait inside the operation until the endpoint
settles (minutes on a workspace), so 100 creates took about 25 settle times (issue 13).

This entry runs that same module — the SDK's servicer, unchanged — but hands its gRPC
server an executor of ``workers`` threads: ``SERVINGOPS_PROVIDER_WORKERS`` (default
``DEFAULT_WORKERS``), and the stack config ``servingops:providerWorkers`` applied at
``configure`` (``set_workers``). Threads are made on demand, so a high limit costs
nothing while idle. The engine's own limit applies too: ``pulumi up --parallel``
(default 4 × CPUs; ``PULUMI_PARALLEL``, which ``providers.engine`` raises to match).

The engine finds this entry through ``providers/plugin/pulumi-resource-pulumi-python``,
declared in ``Pulumi.yaml`` under ``plugins.providers``; it picks the interpreter the same
way as Pulumi's own launcher.
"""

from __future__ import annotations

import os
import runpy
import sys
import threading
from concurrent import futures
from typing import Any

ENV_WORKERS = "SERVINGOPS_PROVIDER_WORKERS"
DEFAULT_WORKERS = 64
"""Operations one provider process runs at once unless configured."""
MAX_WORKERS = 1024
_SDK_ENTRY = "pulumi.dynamic.__main__"


class ResizableExecutor(futures.ThreadPoolExecutor):
    """A thread pool whose limit can be raised or lowered while it runs.

    ``ThreadPoolExecutor`` starts a thread per submitted task until ``_max_workers``
    threads exist (CPython 3.11 ``_adjust_thread_count``); changing that limit takes
    effect at the next submit. Lowering it never stops a running thread.
    """

    def __init__(self, workers: int) -> None:
        super().__init__(max_workers=workers, thread_name_prefix="provider")
        self._limit_lock = threading.Lock()

    @property
    def workers(self) -> int:
        """The current limit."""
        return int(self._max_workers)

    def resize(self, workers: int) -> None:
        """Set the limit to ``workers`` (1..MAX_WORKERS); a raise also starts threads for
        the tasks already queued (the pool adds threads only as tasks are submitted)."""
        with self._limit_lock:
            grow = workers - self._max_workers
            self._max_workers = workers
            for _ in range(max(0, min(grow, self._work_queue.qsize()))):
                self._adjust_thread_count()


_executor: ResizableExecutor | None = None


def parse_workers(raw: str | None, where: str) -> int | None:
    """A worker count from text, None when unset; ``ValueError`` names ``where`` and the range."""
    if raw is None or not str(raw).strip():
        return None
    try:
        value = int(str(raw).strip())
    except ValueError:
        value = 0
    if not 1 <= value <= MAX_WORKERS:
        raise ValueError(f"{where} must be a whole number from 1 to {MAX_WORKERS}, got {raw!r}")
    return value


def set_workers(workers: int) -> bool:
    """Apply a worker count to the running server; False when this process is not ours
    (the SDK's own ``python -m pulumi.dynamic``, or a test calling the provider directly)."""
    if _executor is None:
        return False
    _executor.resize(workers)
    return True


def current_workers() -> int | None:
    """The running server's limit, or None when this process is not ours."""
    return None if _executor is None else _executor.workers


def _install(workers: int) -> None:
    """Make ``grpc.server`` use our executor, whatever pool the SDK passes it."""
    import grpc

    global _executor
    _executor = ResizableExecutor(workers)
    sdk_server = grpc.server
    executor = _executor

    def server(_thread_pool: Any = None, *args: Any, **kwargs: Any) -> Any:
        if _thread_pool is not None and _thread_pool is not executor:
            _thread_pool.shutdown(wait=False)
        return sdk_server(executor, *args, **kwargs)

    grpc.server = server


def main() -> None:
    """Serve the dynamic provider as ``python -m pulumi.dynamic`` does, with more workers."""
    try:
        workers = parse_workers(os.environ.get(ENV_WORKERS), ENV_WORKERS) or DEFAULT_WORKERS
    except ValueError as err:
        sys.stderr.write(f"error: {err}\n")
        sys.exit(2)
    _install(workers)
    runpy.run_module(_SDK_ENTRY, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    # run as the importable module, so ``set_workers`` (called from ``configure``) sees
    # the executor this process serves with
    from providers import server as _importable

    _importable.main()
