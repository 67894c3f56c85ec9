"""End to end through the real engine: settles run at once, and a no-op ``up`` is cheap.

``SETTLE`` seconds per create on the plane and ``N`` endpoints: Pulumi's dynamic
provider serves 4 operations at once and the engine runs 4 × CPUs (8 on 2 cores), so the
creates used to start in waves one settle apart. With ``providers.server`` (Pulumi.yaml
``plugins``) and ``PULUMI_PARALLEL`` from ``providers.engine`` all of them start within
one settle. Then a second ``up`` sends no write and reads no endpoint.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from plane_testing import running_plane
from stackenv import REPO, StackEnv, make_stack

pytestmark = pytest.mark.e2e
STACK = "scale"
N = 12
SETTLE = 8.0


def _endpoint(name: str) -> dict[str, Any]:
    data = yaml.safe_load((REPO / "endpoints" / "internal-chat.yaml").read_text())
    data.pop("smoke", None)
    return {**data, "name": name}


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackEnv]:
    tmp: Path = tmp_path_factory.mktemp("scale")
    files = {f"chat-{i:02d}": _endpoint(f"chat-{i:02d}") for i in range(N)}
    with running_plane(tmp, settle_seconds=SETTLE, pt_settle_seconds=SETTLE) as plane:
        with plane.client() as http:
            env = make_stack(tmp, plane, http, STACK, files)
            env.stack.workspace.env_vars["SERVINGOPS_VALIDATION_CACHE"] = str(tmp / "validated")
            yield env
        env.stack.workspace.remove_stack(STACK, force=True)


def test_creates_start_within_one_settle(env: StackEnv) -> None:
    assert env.changes(env.up()) == {"create": N + 2}  # + the stack and workspace binding
    listed = env.http.get("/api/2.0/serving-endpoints").json()["endpoints"]
    created = sorted(e["creation_timestamp"] for e in listed if e["name"].startswith("chat-"))
    assert len(created) == N
    spread_s = (created[-1] - created[0]) / 1000
    assert spread_s < SETTLE, f"creates spread over {spread_s:.1f} s: they waited in waves"


def test_a_no_op_up_writes_nothing_and_reads_no_endpoint(env: StackEnv) -> None:
    env.http.delete("/__plane/stats")
    assert env.changes(env.up()) == {}
    stats = env.http.get("/__plane/stats").json()
    assert stats["writes"] == 0
    reads = {k: v for k, v in stats["requests"].items() if "{name}" in k}
    assert reads == {}, reads  # only the workspace binding lists, once per phase
    assert (Path(env.stack.workspace.env_vars["SERVINGOPS_VALIDATION_CACHE"])).is_dir()
