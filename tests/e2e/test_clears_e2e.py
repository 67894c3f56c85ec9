"""End to end through the real Pulumi engine: the three states of an endpoint file's keys.

absent = unmanaged (never drifts, never sent); present and empty (``ai_gateway: {}``,
``rate_limits: []``, ``tags: {}``, ``on_update_success: []``) = managed and cleared live;
present with a value = managed. The project's program and provider run in the real
language host and dynamic-provider plugin against a local plane; every test checks the
plane's live state, not only Pulumi's summary. The tests share one stack, run in order and
each leaves it converged.
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
STACK = "three-states"
LIMIT = {"calls": 100, "renewal_period": "minute", "key": "user"}
ONCALL = "oncall@example.com"


class Env(StackEnv):
    """``StackEnv`` plus the reads and CLI runs these tests assert on."""

    def live(self, name: str) -> dict[str, Any]:
        response = self.http.get(f"/api/2.0/serving-endpoints/{name}")
        response.raise_for_status()
        return dict(response.json())

    def servingops(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run the installed ``servingops`` CLI against the plane (DATABRICKS_* set)."""
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

    def writes(self) -> int:
        return int(self.http.get("/__plane/stats").json()["writes"])

    def reset_writes(self) -> None:
        self.http.delete("/__plane/stats")

    def rate_limits(self, name: str) -> list[dict[str, Any]]:
        return list((self.live(name).get("ai_gateway") or {}).get("rate_limits") or [])

    def tags(self, name: str) -> dict[str, str]:
        """Live tags without the stack's ownership tag (asserted once, here)."""
        tags = {t["key"]: t.get("value") for t in self.live(name).get("tags") or []}
        assert tags.pop("servingops-stack") == f"servingops/{STACK}"
        return tags

    def notifications(self, name: str) -> dict[str, Any]:
        return dict(self.live(name).get("email_notifications") or {})

    def assert_quiet_up(self) -> None:
        """A second ``up``: no changes reported and not one write reaches the plane."""
        self.reset_writes()
        assert self.changes(self.up()) == {}
        assert self.writes() == 0


def _quiet(_line: str) -> None:
    pass


def _endpoint(name: str, **keys: Any) -> dict[str, Any]:
    """internal-chat.yaml (an external chat example) renamed, with only ``keys`` managed."""
    data = yaml.safe_load((REPO / "endpoints" / "internal-chat.yaml").read_text())
    for key in ("ai_gateway", "tags", "email_notifications", "smoke"):
        data.pop(key, None)
    return {**data, "name": name, **keys}


FILES = {
    "gw-chat": _endpoint("gw-chat", ai_gateway={"rate_limits": [LIMIT]}),
    "notes-chat": _endpoint(
        "notes-chat",
        email_notifications={"on_update_failure": [ONCALL], "on_update_success": []},
    ),
    "tags-chat": _endpoint("tags-chat", tags={"team": "a"}),
}


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    tmp = tmp_path_factory.mktemp("three-states")
    with running_plane(tmp, settle_seconds=0, pt_settle_seconds=0) as plane:
        with plane.client() as http:
            env = Env(**vars(make_stack(tmp, plane, http, STACK, FILES)))
            # + the stack and its workspace binding
            assert env.changes(env.up()) == {"create": len(FILES) + 2}
            yield env
        env.stack.workspace.remove_stack(STACK, force=True)


def test_rate_limits_emptied_then_gateway_emptied_clear_live(env: Env) -> None:
    assert env.rate_limits("gw-chat") == [LIMIT]

    env.edit("gw-chat", ai_gateway={"rate_limits": []})
    assert env.changes(env.up()) == {"update": 1}
    assert env.rate_limits("gw-chat") == []
    env.assert_quiet_up()
    assert env.rate_limits("gw-chat") == []

    env.edit("gw-chat", ai_gateway={"rate_limits": [LIMIT]})
    assert env.changes(env.up()) == {"update": 1}
    assert env.rate_limits("gw-chat") == [LIMIT]

    env.edit("gw-chat", ai_gateway={})
    assert env.changes(env.up()) == {"update": 1}
    assert env.rate_limits("gw-chat") == []
    env.assert_quiet_up()
    assert env.rate_limits("gw-chat") == []


def test_notifications_with_an_empty_list_do_not_diff_forever(env: Env) -> None:
    assert env.notifications("notes-chat").get("on_update_failure") == [ONCALL]
    assert not env.notifications("notes-chat").get("on_update_success")
    env.assert_quiet_up()
    preview = env.cli("preview", "--expect-no-changes")
    assert preview.returncode == 0, preview.stdout + preview.stderr

    # the update path too: change the list that has a value, keep the empty one
    env.edit(
        "notes-chat",
        email_notifications={"on_update_failure": ["pager@example.com"], "on_update_success": []},
    )
    assert env.changes(env.up()) == {"update": 1}
    assert env.notifications("notes-chat").get("on_update_failure") == ["pager@example.com"]
    assert not env.notifications("notes-chat").get("on_update_success")
    env.assert_quiet_up()
    preview = env.cli("preview", "--refresh", "--expect-no-changes")
    assert preview.returncode == 0, preview.stdout + preview.stderr


def test_drift_catches_a_rate_limit_added_by_hand_to_a_cleared_gateway(env: Env) -> None:
    env.edit("gw-chat", ai_gateway={})  # where the first test left it; converge regardless
    env.up()
    assert env.rate_limits("gw-chat") == []
    clean = env.servingops("drift", str(env.endpoints))
    assert clean.returncode == 0, clean.stdout + clean.stderr

    hand = {"rate_limits": [{"calls": 7, "renewal_period": "minute", "key": "endpoint"}]}
    env.http.put("/api/2.0/serving-endpoints/gw-chat/ai-gateway", json=hand).raise_for_status()
    assert env.rate_limits("gw-chat") == hand["rate_limits"]

    preview = env.cli("preview", "--refresh", "--expect-no-changes")
    assert preview.returncode != 0, preview.stdout
    assert "no changes were expected" in preview.stdout + preview.stderr

    drift = env.servingops("drift", str(env.endpoints))
    assert drift.returncode == 2, drift.stdout + drift.stderr
    assert "ai_gateway.rate_limits" in drift.stdout
    assert "gw-chat" in drift.stdout
    assert "~ gw-chat" in drift.stdout
    assert "= notes-chat" in drift.stdout and "= tags-chat" in drift.stdout

    env.stack.refresh(on_output=_quiet)
    assert env.changes(env.up()) == {"update": 1}
    assert env.rate_limits("gw-chat") == []
    env.stack.preview(refresh=True, expect_no_changes=True, on_output=_quiet)
    assert env.servingops("drift", str(env.endpoints)).returncode == 0


def test_empty_tags_clear_live_but_absent_tags_are_left_alone(env: Env) -> None:
    assert env.tags("tags-chat") == {"team": "a"}

    env.edit("tags-chat", tags={})
    assert env.changes(env.up()) == {"update": 1}
    assert env.tags("tags-chat") == {}
    env.assert_quiet_up()

    # absent = unmanaged: dropping the key changes nothing, and a hand-added tag stays
    env.edit("tags-chat", tags=None)
    assert "tags" not in yaml.safe_load((env.endpoints / "tags-chat.yaml").read_text())
    env.reset_writes()
    assert env.changes(env.up()) == {}
    assert env.writes() == 0
    env.http.patch(
        "/api/2.0/serving-endpoints/tags-chat/tags",
        json={"add_tags": [{"key": "owner", "value": "by-hand"}]},
    ).raise_for_status()
    env.stack.preview(refresh=True, expect_no_changes=True, on_output=_quiet)
    env.stack.refresh(on_output=_quiet)
    env.assert_quiet_up()
    assert env.tags("tags-chat") == {"owner": "by-hand"}
    drift = env.servingops("drift", str(env.endpoints))
    assert drift.returncode == 0, drift.stdout + drift.stderr
