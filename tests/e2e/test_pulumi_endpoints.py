"""End to end through the real Pulumi engine: the project's program and provider against a
local plane on 127.0.0.1. The tests share one stack and run in order; each leaves it
converged. Nothing is mocked: real CLI, language host, dynamic-provider plugin, plane."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from plane_testing import RunningPlane, running_plane
from pulumi import automation as auto

from providers import engine

pytestmark = pytest.mark.e2e
REPO = engine.REPO_ROOT
SENTINEL = "sk-SENTINEL-e2e-0123456789"


@dataclass
class Env:
    """The stack under test, its endpoint folder, and the plane it reconciles against."""

    stack: auto.Stack
    endpoints: Path
    state_dir: Path
    plane: RunningPlane
    http: httpx.Client

    def up(self) -> auto.UpResult:
        return self.stack.up(on_output=_quiet)

    def changes(self, result: Any) -> dict[str, int]:
        return {k: v for k, v in (result.summary.resource_changes or {}).items() if k != "same"}

    def edit(self, name: str, **changes: Any) -> None:
        path = self.endpoints / f"{name}.yaml"
        data = yaml.safe_load(path.read_text()) | changes
        path.write_text(yaml.safe_dump(data, sort_keys=False))

    def live(self, name: str) -> dict[str, Any]:
        return dict(self.http.get(f"/api/2.0/serving-endpoints/{name}").json())

    def cli(self, *args: str) -> str:
        """Run the real pulumi CLI in the project with the stack's offline environment."""
        env = {**os.environ, **self.stack.workspace.env_vars}
        proc = subprocess.run(
            [str(engine.find_pulumi()), *args],
            cwd=self.stack.workspace.work_dir,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        return proc.stdout

    def traffic(self, name: str) -> dict[str, int]:
        routes = self.live(name)["config"]["traffic_config"]["routes"]
        return {r["served_entity_name"]: r["traffic_percentage"] for r in routes}

    def writes(self) -> int:
        return int(self.http.get("/__plane/stats").json()["writes"])


def _quiet(_line: str) -> None:
    pass


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    tmp = tmp_path_factory.mktemp("e2e")
    project = tmp / "project"
    project.mkdir()
    shutil.copy(REPO / "__main__.py", project / "__main__.py")
    settings = engine.project_settings()
    (project / "Pulumi.yaml").write_text(yaml.safe_dump(settings))
    endpoints = project / "endpoints"
    shutil.copytree(REPO / "endpoints", endpoints)
    with running_plane(tmp, settle_seconds=0, pt_settle_seconds=0, shuffle_entities=True) as plane:
        opts = engine.workspace_options(
            project,
            pulumi_home=tmp / "home",
            backend_dir=tmp / "state",
            passphrase_file=tmp / "passphrase",
        )
        stack = auto.create_or_select_stack(stack_name="e2e", work_dir=str(project), opts=opts)
        stack.set_config("servingops:endpoints", auto.ConfigValue(str(endpoints)))
        stack.set_config("servingops:host", auto.ConfigValue(plane.url))
        stack.set_config("servingops:token", auto.ConfigValue(plane.token, secret=True))
        with plane.client() as http:
            yield Env(stack, endpoints, tmp / "state", plane, http)
        stack.workspace.remove_stack("e2e", force=True)


def test_up_creates_every_example_and_exports_outputs(env: Env) -> None:
    result = env.up()
    files = sorted(p.stem for p in env.endpoints.glob("*.yaml"))
    assert env.changes(result) == {
        "create": len(files) + 2
    }  # + the stack and its workspace binding
    outputs = result.outputs["endpoints"].value
    assert sorted(outputs) == files
    chat = outputs["support-chat"]
    assert chat["invocation_url"] == f"{env.plane.url}/serving-endpoints/support-chat/invocations"
    assert chat["ready"] == "READY" and chat["config_version"] == 1 and chat["endpoint_id"]


def test_invalid_file_stops_the_program_with_file_line_and_col(env: Env) -> None:
    path = env.endpoints / "support-chat.yaml"
    original = path.read_text()
    path.write_text(original.replace("claude: 10", "claud: 10"))
    try:
        with pytest.raises(auto.CommandError) as err:
            env.stack.preview(on_output=_quiet)
    finally:
        path.write_text(original)
    text = str(err.value)
    assert "support-chat.yaml:" in text
    assert "error: traffic names 'claud', which is not a served entity [traffic-names]" in text
    assert "Traceback" not in text


def test_an_empty_endpoints_folder_is_refused(env: Env) -> None:
    empty = env.endpoints.parent / "empty"
    empty.mkdir()
    env.stack.set_config("servingops:endpoints", auto.ConfigValue(str(empty)))
    try:
        with pytest.raises(auto.CommandError, match="refusing to plan the deletion"):
            env.stack.preview(on_output=_quiet)
    finally:
        env.stack.set_config("servingops:endpoints", auto.ConfigValue(str(env.endpoints)))


def test_second_up_changes_nothing_and_writes_nothing(env: Env) -> None:
    env.http.delete("/__plane/stats")
    result = env.up()
    assert env.changes(result) == {}
    assert env.writes() == 0


def test_edits_update_in_place(env: Env) -> None:
    env.edit("support-chat", traffic={"gpt": 70, "claude": 30}, tags={"team": "support", "x": "1"})
    env.edit("cohere-embeddings", ai_gateway={"usage_tracking_config": {"enabled": True}})
    result = env.up()
    assert env.changes(result) == {"update": 2}
    assert env.traffic("support-chat") == {"gpt": 70, "claude": 30}
    assert env.live("cohere-embeddings")["ai_gateway"]["usage_tracking_config"] == {"enabled": True}


def test_model_name_change_updates_in_place(env: Env) -> None:
    data = yaml.safe_load((env.endpoints / "support-chat.yaml").read_text())
    data["served_entities"][0]["external_model"]["name"] = "gpt-4o"
    env.edit("support-chat", served_entities=data["served_entities"])
    assert env.changes(env.up()) == {"update": 1}
    entities = {e["name"]: e for e in env.live("support-chat")["config"]["served_entities"]}
    assert entities["gpt"]["external_model"]["name"] == "gpt-4o"


def test_hand_change_fails_the_drift_gate_and_up_converges(env: Env) -> None:
    env.http.patch(
        "/api/2.0/serving-endpoints/support-chat/tags",
        json={"add_tags": [{"key": "team", "value": "hijacked"}]},
    )
    with pytest.raises(auto.CommandError, match="no changes were expected"):
        env.stack.preview(refresh=True, expect_no_changes=True, on_output=_quiet)
    env.stack.refresh(on_output=_quiet)
    assert env.changes(env.up()) == {"update": 1}
    tags = {t["key"]: t["value"] for t in env.live("support-chat")["tags"]}
    assert tags["team"] == "support"
    env.stack.preview(refresh=True, expect_no_changes=True, on_output=_quiet)


def test_endpoint_deleted_by_hand_is_recreated(env: Env) -> None:
    env.http.delete("/api/2.0/serving-endpoints/internal-chat")
    env.stack.refresh(on_output=_quiet)
    assert env.changes(env.up()) == {"create": 1}
    assert env.live("internal-chat")["state"]["ready"] == "READY"


def test_rename_replaces(env: Env) -> None:
    old = env.endpoints / "cohere-embeddings.yaml"
    data = yaml.safe_load(old.read_text()) | {"name": "cohere-vectors"}
    old.unlink()
    (env.endpoints / "cohere-vectors.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    assert env.changes(env.up()) == {"create": 1, "delete": 1}
    assert env.http.get("/api/2.0/serving-endpoints/cohere-embeddings").status_code == 404
    assert env.live("cohere-vectors")["state"]["ready"] == "READY"


def test_switching_to_provisioned_replaces(env: Env) -> None:
    pt = yaml.safe_load((env.endpoints / "gte-embeddings.yaml").read_text())
    pt["name"] = "cohere-vectors"
    (env.endpoints / "cohere-vectors.yaml").write_text(yaml.safe_dump(pt, sort_keys=False))
    (env.endpoints / "gte-embeddings.yaml").unlink()
    result = env.up()
    assert result.summary.resource_changes.get("replace") == 1
    entities = env.live("cohere-vectors")["config"]["served_entities"]
    assert entities[0]["entity_name"] == "system.ai.gte_large_en_v1_5"


def test_smoke_failure_fails_up_with_endpoint_entity_and_status(env: Env) -> None:
    env.http.post(
        "/__plane/endpoints/internal-completions/fault", json={"query_status": 500, "count": 0}
    )
    env.edit("internal-completions", tags={"team": "platform", "rev": "2"})
    with pytest.raises(auto.CommandError) as err:
        env.up()
    text = str(err.value)
    assert "internal-completions (route): HTTP 500" in text
    assert "Traceback" not in text
    env.http.delete("/__plane/faults")
    assert env.changes(env.up()) == {"update": 1}  # converges once the fault is gone


def test_smoke_failure_with_rollback_restores_the_previous_config(env: Env) -> None:
    before = env.traffic("support-chat")
    env.http.post(
        "/__plane/endpoints/support-chat/fault",
        json={"query_status": 503, "entity": "claude", "count": 0},
    )
    env.edit("support-chat", traffic={"gpt": 10, "claude": 90})
    with pytest.raises(auto.CommandError, match="rolled back"):
        env.up()
    assert env.traffic("support-chat") == before == {"gpt": 70, "claude": 30}
    env.http.delete("/__plane/faults")
    env.edit("support-chat", traffic={"gpt": 70, "claude": 30})
    env.stack.refresh(on_output=_quiet)
    env.up()
    env.stack.preview(refresh=True, expect_no_changes=True, on_output=_quiet)


def test_state_holds_no_secret_value(env: Env) -> None:
    env.stack.set_config("servingops:allowPlaintext", auto.ConfigValue("true"))
    data = yaml.safe_load((env.endpoints / "internal-chat.yaml").read_text())
    bearer = data["served_entities"][0]["external_model"]["custom_provider_config"]
    bearer["bearer_token_auth"] = {"token_plaintext": SENTINEL}
    env.edit("internal-chat", served_entities=data["served_entities"])
    env.up()
    exported = env.cli("stack", "export", "--stack", "e2e")
    on_disk = "".join(p.read_text() for p in env.state_dir.rglob("*.json"))
    for text in (exported, on_disk):
        assert SENTINEL not in text
        assert env.plane.token not in text
        assert "token_plaintext" in text  # the key is there, its value a placeholder
    assert json.loads(exported)["deployment"]["resources"]
    # --show-secrets proves the value really was stored (encrypted), not dropped
    assert SENTINEL in env.cli("stack", "export", "--stack", "e2e", "--show-secrets")


def test_stack_overlay_changes_only_that_stack(env: Env) -> None:
    overlay = env.endpoints.parent / "overlay-e2e.yaml"
    overlay.write_text("internal-chat:\n  tags: {team: platform, env: prod}\n")
    env.stack.set_config("servingops:overlay", auto.ConfigValue(str(overlay)))
    assert env.changes(env.up()) == {"update": 1}
    tags = {t["key"]: t["value"] for t in env.live("internal-chat")["tags"]}
    assert tags == {"team": "platform", "env": "prod", "servingops-stack": "servingops/e2e"}
    overlay.write_text("internal-chat:\n  traffic: {nope: 100}\n")
    with pytest.raises(auto.CommandError, match="overlay for 'internal-chat' is invalid"):
        env.stack.preview(on_output=_quiet)
    env.stack.remove_config("servingops:overlay")


def test_protected_endpoint_survives_destroy(env: Env) -> None:
    with pytest.raises(auto.CommandError, match="protected"):
        env.stack.destroy(on_output=_quiet)
    assert env.live("llama-chat")["state"]["ready"] == "READY"


def test_destroy_removes_all_but_pay_per_token_references(env: Env) -> None:
    env.edit("llama-chat", protect=False)
    env.up()
    env.stack.destroy(on_output=_quiet)
    names = {e["name"] for e in env.http.get("/api/2.0/serving-endpoints").json()["endpoints"]}
    assert "support-chat" not in names and "cohere-vectors" not in names
    assert {"databricks-meta-llama-3-3-70b-instruct", "databricks-gte-large-en"} <= names
