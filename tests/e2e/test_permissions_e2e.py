"""End to end through the real Pulumi engine (issue 10): ``permissions`` and a gateway
on a pay-per-token reference, against a local plane that enforces ACLs.

One stack, tests in order, each leaving it converged: declared permissions go live (by
the endpoint's id); a principal removed from the file is removed live; a principal
added by hand is drift that ``preview --refresh`` and ``servingops drift`` name; a second
``up`` writes nothing; the pay-per-token gateway converges and ``destroy`` leaves the
endpoint (and its gateway) in place.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from plane_testing import running_plane
from stackenv import REPO, StackEnv, make_stack

pytestmark = pytest.mark.e2e
STACK = "permissions"
SP = "5f3c9a52-7d3e-4b1a-9c4e-2a8b6d0e1f37"
PPT = "databricks-meta-llama-3-3-70b-instruct"
GRANTS = [
    {"level": "CAN_QUERY", "service_principal_name": SP},
    {"level": "CAN_MANAGE", "group_name": "ml-platform"},
]


class Env(StackEnv):
    """``StackEnv`` plus ACL reads, write counts and the servingops CLI."""

    def acl(self, name: str) -> dict[str, str]:
        """Direct (not inherited) ACL entries of a live endpoint: principal -> level."""
        endpoint_id = self.http.get(f"/api/2.0/serving-endpoints/{name}").json()["id"]
        body = self.http.get(f"/api/2.0/permissions/serving-endpoints/{endpoint_id}").json()
        out = {}
        for entry in body["access_control_list"]:
            who = entry.get("user_name") or entry.get("group_name")
            who = who or entry["service_principal_name"]
            direct = [p for p in entry["all_permissions"] if not p["inherited"]]
            if direct:
                out[who] = direct[0]["permission_level"]
        return out

    def writes(self) -> int:
        return int(self.http.get("/__plane/stats").json()["writes"])

    def servingops(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {
            **os.environ,
            "DATABRICKS_HOST": self.plane.url,
            "DATABRICKS_TOKEN": self.plane.token,
        }
        for key in (
            "DATABRICKS_CLIENT_ID",
            "DATABRICKS_CLIENT_SECRET",
            "DATABRICKS_CONFIG_PROFILE",
        ):
            env.pop(key, None)
        return subprocess.run(
            [str(REPO / ".venv" / "bin" / "servingops"), *args],
            cwd=self.endpoints.parent,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )

    def assert_quiet_up(self) -> None:
        self.http.delete("/__plane/stats")
        assert self.changes(self.up()) == {}
        assert self.writes() == 0


def _chat(**keys: Any) -> dict[str, Any]:
    data = yaml.safe_load((REPO / "endpoints" / "internal-chat.yaml").read_text())
    for key in ("ai_gateway", "tags", "email_notifications"):
        data.pop(key, None)
    return {**data, "name": "acl-chat", **keys}


def _ppt() -> dict[str, Any]:
    return dict(yaml.safe_load((REPO / "endpoints" / f"{PPT}.yaml").read_text()))


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    tmp = tmp_path_factory.mktemp("permissions")
    with running_plane(tmp, settle_seconds=0, pt_settle_seconds=0) as plane:
        with plane.client() as http:
            files = {"acl-chat": _chat(permissions=GRANTS), PPT: _ppt()}
            env = Env(**vars(make_stack(tmp, plane, http, STACK, files)))
            assert env.changes(env.up()) == {"create": len(files) + 2}
            yield env
        env.stack.workspace.remove_stack(STACK, force=True)


def test_declared_permissions_are_live_and_a_second_up_writes_nothing(env: Env) -> None:
    assert env.acl("acl-chat") == {
        SP: "CAN_QUERY",
        "ml-platform": "CAN_MANAGE",
        env.plane.settings.user_name: "CAN_MANAGE",  # the creator keeps its entry
    }
    env.assert_quiet_up()


def test_a_principal_removed_from_the_file_is_removed_live(env: Env) -> None:
    env.edit("acl-chat", permissions=GRANTS[1:])
    assert env.changes(env.up()) == {"update": 1}
    assert SP not in env.acl("acl-chat")
    assert env.acl("acl-chat")["ml-platform"] == "CAN_MANAGE"
    env.assert_quiet_up()


def test_a_principal_added_by_hand_is_drift_that_names_it(env: Env) -> None:
    env.edit("acl-chat", permissions=GRANTS[1:])
    env.up()
    endpoint_id = env.http.get("/api/2.0/serving-endpoints/acl-chat").json()["id"]
    grant = {"user_name": "ana@example.com", "permission_level": "CAN_QUERY"}
    env.http.patch(
        f"/api/2.0/permissions/serving-endpoints/{endpoint_id}",
        json={"access_control_list": [grant]},
    ).raise_for_status()

    preview = env.cli("preview", "--refresh", "--expect-no-changes")
    assert preview.returncode != 0, preview.stdout
    drift = env.servingops("drift", str(env.endpoints))
    assert drift.returncode == 2, drift.stdout + drift.stderr  # exit 2: drift (issue 14)
    assert "- permissions[user_name:ana@example.com] (was 'CAN_QUERY')" in drift.stdout

    env.stack.refresh(on_output=lambda _line: None)
    assert env.changes(env.up()) == {"update": 1}
    assert "ana@example.com" not in env.acl("acl-chat")
    assert env.servingops("drift", str(env.endpoints)).returncode == 0


def test_pay_per_token_gateway_converges_and_destroy_never_deletes_it(env: Env) -> None:
    live = env.live(PPT) or {}
    assert live["ai_gateway"]["rate_limits"] == [
        {"key": "user", "calls": 60, "renewal_period": "minute"}
    ]
    env.assert_quiet_up()
    env.stack.destroy(on_output=lambda _line: None)
    assert env.live("acl-chat") is None
    after = env.live(PPT)
    assert after is not None, "destroy deleted the pay-per-token endpoint"
    assert after["ai_gateway"]["rate_limits"], "destroy cleared the pay-per-token gateway"
