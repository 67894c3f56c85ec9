"""End to end through the real Pulumi engine: a route-optimized endpoint, against a local
plane that enforces ACLs and serves OAuth M2M.

One stack, tests in order: with the plane's personal access token, ``up`` creates the
endpoint, warns that its smoke check is skipped (and why), and a second ``up`` changes
nothing (a recorded skip is no perpetual diff); with OAuth M2M client credentials in the
stack config, the next write's smoke check goes through the data plane and passes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from plane_testing import running_plane
from pulumi import automation as auto
from stackenv import REPO, StackEnv, make_stack

pytestmark = pytest.mark.e2e
STACK = "routeopt"
SP, SP_SECRET = "sp-app-id", "sp-sentinel-secret-e2e-6b6b"
WARNING = "is route-optimized: its smoke check will be skipped with a personal access token"
DATA_PLANE = "POST /{workspace_id}/serving-endpoints/{name}/invocations"


def _chat(**keys: Any) -> dict[str, Any]:
    data = yaml.safe_load((REPO / "endpoints" / "internal-chat.yaml").read_text())
    for key in ("ai_gateway", "tags", "email_notifications"):
        data.pop(key, None)
    grants = [{"level": "CAN_MANAGE", "service_principal_name": SP}]
    return {**data, "name": "ro-chat", "route_optimized": True, "permissions": grants, **keys}


def _stats(env: StackEnv) -> dict[str, int]:
    return dict(env.http.get("/__plane/stats").json()["requests"])


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackEnv]:
    tmp = tmp_path_factory.mktemp("routeopt")
    with running_plane(
        tmp, settle_seconds=0, pt_settle_seconds=0, client_id=SP, client_secret=SP_SECRET
    ) as plane:
        with plane.client() as http:
            env = make_stack(tmp, plane, http, STACK, {"ro-chat": _chat()})
            yield env
        env.stack.workspace.remove_stack(STACK, force=True)


def test_up_with_a_personal_token_warns_and_skips_the_smoke_check(env: StackEnv) -> None:
    env.http.delete("/__plane/stats")
    assert env.changes(env.up()) == {"create": 3}
    text = "\n".join(env.transcript)
    assert WARNING in text and "DATABRICKS_CLIENT_ID/SECRET" in text
    assert DATA_PLANE not in _stats(env)  # nothing sent: the token cannot be exchanged
    assert env.plane.token not in text
    url = env.outputs()["endpoints"]["ro-chat"]["invocation_url"]
    assert url == env.live("ro-chat")["data_plane_info"]["query_info"]["endpoint_url"]  # type: ignore[index]
    env.transcript.clear()
    assert env.changes(env.up()) == {}  # the recorded skip is not a change


def test_up_with_oauth_m2m_smoke_checks_through_the_data_plane(env: StackEnv) -> None:
    env.stack.remove_config("servingops:token")
    env.set_config("clientId", SP)
    env.set_config("clientSecret", SP_SECRET, secret=True)
    env.edit("ro-chat", tags={"team": "ml"})
    env.http.delete("/__plane/stats")
    env.transcript.clear()
    try:
        assert env.changes(env.up()) == {"update": 1}
    except auto.CommandError:
        pytest.fail("\n".join(env.transcript))
    stats = _stats(env)
    assert stats[DATA_PLANE] == 1 and "POST /serving-endpoints/{name}/invocations" not in stats
    text = "\n".join(env.transcript)
    assert WARNING not in text and SP_SECRET not in text
