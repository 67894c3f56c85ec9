"""The fault matrix, through the real Pulumi engine against a local plane with injected
faults: each run either converges or fails with a clear message, and a plain re-run then
converges with no duplicate, no orphan, no lost endpoint and no endpoint of another owner
touched (checked at the plane). Every file carries a plaintext sentinel key; nothing any
run prints or stores may contain it. README's fault table lists these rows.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from plane_testing import RunningPlane, running_plane
from pulumi import automation as auto
from stackenv import REPO, StackEnv, make_stack, owner_tag

pytestmark = pytest.mark.e2e
SENTINEL = "sk-SENTINEL-matrix-5f3c9a0b7d1e"
TRANSCRIPTS: list[str] = []


def chat(name: str, **keys: Any) -> dict[str, Any]:
    """An external chat endpoint whose upstream token is a plaintext sentinel."""
    auth = {"token_plaintext": SENTINEL}
    entity = {
        "name": "vllm",
        "external_model": {
            "provider": "custom",
            "name": "llama",
            "custom_provider_config": {
                "custom_provider_url": "https://vllm.internal.example.com/v1",
                "bearer_token_auth": auth,
            },
        },
    }
    smoke = {"prompt": "Reply with the single word OK.", "expect": {"contains": "OK"}}
    return {
        "name": name,
        "tier": "external",
        "task": "llm/v1/chat",
        "served_entities": [entity],
        "smoke": smoke,
        **keys,
    }


def renamed_entity(name: str) -> dict[str, Any]:
    """The one served entity of ``chat`` under another name (a config change)."""
    return {**chat("x")["served_entities"][0], "name": name}


@pytest.fixture(scope="module")
def plane(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningPlane]:
    with running_plane(tmp_path_factory.mktemp("matrix-plane"), settle_seconds=1) as running:
        yield running


@pytest.fixture
def http(plane: RunningPlane) -> Iterator[httpx.Client]:
    with plane.client() as client:
        yield client
        client.delete("/__plane/faults")


@pytest.fixture
def new_stack(tmp_path: Path, plane: RunningPlane, http: httpx.Client) -> Iterator[Any]:
    made: list[StackEnv] = []

    def make(name: str, files: dict[str, Any], **config: str) -> StackEnv:
        env = make_stack(tmp_path, plane, http, name, files)
        env.set_config("allowPlaintext", "true")
        for key, value in config.items():
            env.set_config(key, value)
        made.append(env)
        return env

    yield make
    for env in made:
        TRANSCRIPTS.extend(env.transcript)
        TRANSCRIPTS.append(env.cli("stack", "export").stdout)
        env.cli("destroy", "--yes", "--skip-preview")
        env.stack.workspace.remove_stack(env.name, force=True)


def census(http: httpx.Client, prefix: str = "m-") -> dict[str, str | None]:
    """Every endpoint at the plane whose name starts with ``prefix`` → its ownership tag
    (each test names its endpoints with its own prefix, so duplicates and orphans show)."""
    listing = http.get("/api/2.0/serving-endpoints").json().get("endpoints") or []
    names = [e["name"] for e in listing if e["name"].startswith(prefix)]
    return {n: owner_tag(http.get(f"/api/2.0/serving-endpoints/{n}").json()) for n in names}


def fault(http: httpx.Client, name: str, **body: Any) -> None:
    http.post(f"/__plane/endpoints/{name}/fault", json=body).raise_for_status()


def route_fault(http: httpx.Client, route: str, **body: Any) -> None:
    http.post("/__plane/faults", json={"route": route, **body}).raise_for_status()


def failed_up(env: StackEnv, match: str) -> str:
    with pytest.raises(auto.CommandError) as caught:
        env.up()
    text = str(caught.value)
    assert match in text, text[-2000:]
    assert "Traceback" not in text
    return text


def test_a_failed_update_never_blocks_the_corrected_rerun(
    new_stack: Any, http: httpx.Client
) -> None:
    env = new_stack("upd-failed", {"m-upd": chat("m-upd")})
    env.up()
    fault(http, "m-upd", update_failed=f"upstream refused the key {SENTINEL}")
    env.edit("m-upd", served_entities=[renamed_entity("vllm2")])
    failed_up(env, "UPDATE_FAILED")
    assert (env.live("m-upd") or {})["state"]["config_update"] == "UPDATE_FAILED"
    env.up()  # the same (correct) file again: not blocked by the leftover failure
    live = env.live("m-upd") or {}
    assert live["state"]["config_update"] == "NOT_UPDATING"
    assert [e["name"] for e in live["config"]["served_entities"]] == ["vllm2"]
    assert census(http, "m-upd") == {"m-upd": "servingops/upd-failed"}


def test_a_failed_create_converges_on_a_plain_rerun(new_stack: Any, http: httpx.Client) -> None:
    env = new_stack("create-failed", {"m-create": chat("m-create")})
    stop = threading.Event()
    injector = threading.Thread(target=_fail_when_created, args=(http, "m-create", stop))
    injector.start()
    try:
        failed_up(env, "UPDATE_FAILED")
    finally:
        stop.set()
        injector.join(timeout=30)
    assert owner_tag(env.live("m-create")) == "servingops/create-failed"
    assert env.changes(env.up()) == {"create": 1}  # converges on it: no duplicate
    assert (env.live("m-create") or {})["state"]["config_update"] == "NOT_UPDATING"
    assert census(http, "m-create") == {"m-create": "servingops/create-failed"}


def _fail_when_created(http: httpx.Client, name: str, stop: threading.Event) -> None:
    """Make the create's own update fail, as soon as the endpoint exists (bounded)."""
    deadline = time.monotonic() + 60
    while not stop.is_set() and time.monotonic() < deadline:
        if http.get(f"/api/2.0/serving-endpoints/{name}").status_code == 200:
            fault(http, name, update_failed="the create failed upstream")
            return
        time.sleep(0.05)


def test_an_inference_table_rename_is_sent_as_two_steps(new_stack: Any, http: httpx.Client) -> None:
    table = {"catalog_name": "main", "schema_name": "logs", "enabled": True}
    env = new_stack(
        "rename", {"m-table": chat("m-table", ai_gateway={"inference_table_config": table})}
    )
    env.up()
    env.edit("m-table", ai_gateway={"inference_table_config": {**table, "table_name_prefix": "v2"}})
    http.delete("/__plane/stats")
    env.up()
    puts = http.get("/__plane/stats").json()["requests"]
    assert puts.get("PUT /api/2.0/serving-endpoints/{name}/ai-gateway") == 2
    live = (env.live("m-table") or {})["ai_gateway"]["inference_table_config"]
    assert live["table_name_prefix"] == "v2" and live["enabled"] is True


def test_an_endpoint_made_by_hand_needs_consent(new_stack: Any, http: httpx.Client) -> None:
    body = {
        "name": "m-hand",
        "config": {"served_entities": [_hand_entity()]},
        "tags": [{"key": "by", "value": "hand"}],
    }
    http.post("/api/2.0/serving-endpoints", json=body).raise_for_status()
    env = new_stack("consent", {"m-hand": chat("m-hand")})
    with pytest.raises(auto.CommandError, match="adopt: true"):
        env.preview()
    text = failed_up(env, "made outside servingops")
    assert "servingops export m-hand" in text
    assert "property spec value" not in text  # names the file, does not dump the spec
    assert owner_tag(env.live("m-hand")) is None  # untouched
    env.edit("m-hand", adopt=True)
    assert re.search(r'operation\s*:\s*"adopt"', env.cli("preview", "--diff").stdout)
    env.up()
    assert census(http, "m-hand") == {"m-hand": "servingops/consent"}


def _hand_entity() -> dict[str, Any]:
    entity = json.loads(json.dumps(chat("x")["served_entities"][0]))
    entity["external_model"]["task"] = "llm/v1/chat"
    return entity


def test_a_second_stack_takes_nothing_over_and_deletes_nothing(
    new_stack: Any, http: httpx.Client
) -> None:
    files = {"m-a1": chat("m-a1"), "m-a2": chat("m-a2")}
    first = new_stack("first", files)
    first.up()
    second = new_stack("second", files)
    http.delete("/__plane/stats")
    failed_up(second, "belongs to stack 'servingops/first'")
    assert http.get("/__plane/stats").json()["writes"] == 0
    second.cli("destroy", "--yes", "--skip-preview")
    assert census(http, "m-a") == {"m-a1": "servingops/first", "m-a2": "servingops/first"}


def test_a_wrong_host_is_refused_and_a_moved_plane_is_the_same_workspace(
    new_stack: Any, http: httpx.Client, tmp_path: Path
) -> None:
    env = new_stack("wrong-host", {"m-host": chat("m-host")})
    env.up()
    with running_plane(tmp_path / "other-workspace") as other:
        env.set_config("host", other.url)
        env.set_config("token", other.token, secret=True)
        text = failed_up(env, "this stack manages workspace")
        assert "allowWorkspaceChange" in text
        with other.client() as other_http:
            assert census(other_http) == {}
    env.set_config("host", env.plane.url)
    env.set_config("token", env.plane.token, secret=True)
    assert env.changes(env.up()) == {}


def test_refresh_recomputes_outputs_after_the_plane_moves(tmp_path: Path, new_stack: Any) -> None:
    with running_plane(tmp_path / "moving", settle_seconds=0) as first:
        with first.client() as http:
            env = make_stack(tmp_path / "s", first, http, "moving", {"m-move": chat("m-move")})
            env.set_config("allowPlaintext", "true")
            env.up()
    with running_plane(tmp_path / "moving", settle_seconds=0) as again:  # same file, new port
        env.set_config("host", again.url)
        env.set_config("token", again.token, secret=True)
        assert env.changes(env.up()) == {}  # the same workspace: nothing to do …
        env.up(refresh=True)  # … and a refresh (with the new settings) recomputes outputs
        url = env.outputs()["endpoints"]["m-move"]["invocation_url"]
        assert url.startswith(again.url)
        TRANSCRIPTS.extend(env.transcript)
        env.cli("destroy", "--yes", "--skip-preview")


def test_a_smoke_failure_is_sticky_until_the_endpoint_answers(
    new_stack: Any, http: httpx.Client
) -> None:
    env = new_stack("sticky", {"m-smoke": chat("m-smoke")})
    env.up()
    fault(http, "m-smoke", query_status=500, count=0, message=f"upstream echoed {SENTINEL}")
    env.edit("m-smoke", served_entities=[renamed_entity("v2")])
    failed_up(env, "smoke check failed")
    with pytest.raises(auto.CommandError, match="smoke check failed"):
        env.up(refresh=True)  # a CI retry: the endpoint is queried again, still failing
    http.delete("/__plane/faults")
    env.up(refresh=True)
    smoke = env.stack.export_stack().deployment["resources"]
    record = next(r for r in smoke if r["urn"].endswith("::m-smoke"))["outputs"]["smoke"]
    assert record["passed_at"].endswith("Z")


def test_transient_faults_are_retried_and_the_run_converges(
    new_stack: Any, http: httpx.Client
) -> None:
    env = new_stack("transient", {"m-flaky": chat("m-flaky")})
    env.up()
    env.edit("m-flaky", tags={"rev": "2"})
    route = "GET /api/2.0/serving-endpoints/m-flaky"
    route_fault(http, route, status=429, retry_after=1, count=7)  # a storm longer than 5 s
    route_fault(http, route, status=503, count=2)
    route_fault(http, route, drop_connection=True, count=2)
    route_fault(http, route, delay_ms=500, count=3)
    fault(http, "m-flaky", query_status=503, count=2)  # the smoke query retries these
    env.up()
    assert census(http, "m-flaky") == {"m-flaky": "servingops/transient"}
    tags = {t["key"]: t["value"] for t in (env.live("m-flaky") or {})["tags"]}
    assert tags["rev"] == "2"


def test_a_stuck_update_times_out_clearly_then_converges(
    new_stack: Any, http: httpx.Client
) -> None:
    env = new_stack("stuck", {"m-stuck": chat("m-stuck")}, deadlineSeconds="2")
    env.up()
    fault(http, "m-stuck", stuck_seconds=6)
    env.edit("m-stuck", served_entities=[renamed_entity("v2")])
    failed_up(env, "deadline")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if (env.live("m-stuck") or {})["state"]["config_update"] == "NOT_UPDATING":
            break
        time.sleep(0.5)
    env.up()  # the config is live now; the smoke check is stale, so it runs again
    assert census(http, "m-stuck") == {"m-stuck": "servingops/stuck"}


def test_an_endpoint_of_the_stack_whose_tag_was_removed_is_retagged(
    new_stack: Any, http: httpx.Client
) -> None:
    env = new_stack("retag", {"m-retag": chat("m-retag")})
    env.up()
    body = {"delete_tags": ["servingops-stack"]}
    http.patch("/api/2.0/serving-endpoints/m-retag/tags", json=body).raise_for_status()
    env.preview()  # in the stack already: ours, not a takeover
    env.up(refresh=True)  # the refresh sees the tag is gone; up puts it back
    assert census(http, "m-retag") == {"m-retag": "servingops/retag"}


def test_destroy_leaves_an_endpoint_another_stack_took_over(
    new_stack: Any, http: httpx.Client
) -> None:
    env = new_stack("leaver", {"m-left": chat("m-left")})
    env.up()
    retag = {"add_tags": [{"key": "servingops-stack", "value": "servingops/other"}]}
    http.patch("/api/2.0/serving-endpoints/m-left/tags", json=retag).raise_for_status()
    assert env.cli("destroy", "--yes", "--skip-preview").returncode == 0
    assert census(http, "m-left") == {"m-left": "servingops/other"}
    http.delete("/api/2.0/serving-endpoints/m-left")


def test_refresh_and_destroy_in_another_workspace_are_refused(
    new_stack: Any, http: httpx.Client, tmp_path: Path, plane: RunningPlane
) -> None:
    env = new_stack("env-creds", {"m-env": chat("m-env")})
    env.stack.remove_config("servingops:host")
    env.stack.remove_config("servingops:token")
    env.stack.workspace.env_vars.update(
        {"DATABRICKS_HOST": plane.url, "DATABRICKS_TOKEN": plane.token}
    )
    env.up()
    with running_plane(tmp_path / "workspace-b") as other, other.client() as other_http:
        body = {"name": "m-env", "config": {"served_entities": [_hand_entity()]}}
        other_http.post("/api/2.0/serving-endpoints", json=body).raise_for_status()
        env.stack.workspace.env_vars.update(
            {"DATABRICKS_HOST": other.url, "DATABRICKS_TOKEN": other.token}
        )
        refreshed = env.cli("refresh", "--yes", "--skip-preview")
        assert refreshed.returncode != 0 and "workspace" in refreshed.stdout + refreshed.stderr
        assert env.cli("destroy", "--yes", "--skip-preview").returncode != 0
        assert census(other_http, "m-env") == {"m-env": None}  # B's own endpoint survives
    assert census(http, "m-env") == {"m-env": "servingops/env-creds"}
    env.stack.workspace.env_vars.update(
        {"DATABRICKS_HOST": plane.url, "DATABRICKS_TOKEN": plane.token}
    )


def test_review_and_drift_output_never_show_the_sentinel(
    new_stack: Any, http: httpx.Client, plane: RunningPlane
) -> None:
    env = new_stack("review", {"m-review": chat("m-review")})
    env.up()
    env.edit("m-review", served_entities=[renamed_entity("v2")])
    cli = {"DATABRICKS_HOST": plane.url, "DATABRICKS_TOKEN": plane.token}
    for args in (
        ["diff", str(env.endpoints)],
        ["diff", str(env.endpoints), "--format", "markdown"],
        ["drift", str(env.endpoints), "--format", "json"],
        ["validate", str(env.endpoints), "--format", "github"],  # refuses the plaintext
    ):
        proc = servingops_cli(args, cli)
        TRANSCRIPTS.extend([proc.stdout, proc.stderr])
        assert "m-review" in proc.stdout + proc.stderr, args  # it ran on the endpoint


def servingops_cli(args: list[str], env: dict[str, str]) -> Any:
    """The installed ``servingops`` CLI with ``env`` added to the environment."""
    return subprocess.run(
        [str(REPO / ".venv" / "bin" / "servingops"), *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_no_run_printed_or_stored_the_sentinel() -> None:
    """Runs last (file order): every transcript, state export and failure message."""
    assert TRANSCRIPTS, "the matrix produced no output to scan"
    leaks = [t[:200] for t in TRANSCRIPTS if SENTINEL in t]
    assert leaks == []
