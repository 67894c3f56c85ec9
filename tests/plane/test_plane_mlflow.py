"""The MLflow deployments client (``get_deploy_client("databricks")``), unchanged, on the plane.

Every call a user makes — create, get, list, update config, tags, AI gateway, predict,
predict_stream, delete — runs twice: against ``running_plane`` (a uvicorn server in a
thread of this process, ``inproc``) and against a started ``python -m plane`` process
(``server``), whose address and token come from the owner-only env file it writes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
from mlflow.deployments import get_deploy_client
from plane_testing import running_plane

ROOT = Path(__file__).resolve().parents[2]
CHAT = {"messages": [{"role": "user", "content": "Reply with OK."}], "max_tokens": 16}


def _entity(name: str = "gpt", model: str = "gpt-4o-mini") -> dict[str, Any]:
    return {
        "name": name,
        "external_model": {
            "name": model,
            "provider": "openai",
            "task": "llm/v1/chat",
            "openai_config": {"openai_api_key_plaintext": "sk-mlflow-test"},
        },
    }


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in list(os.environ):
        if key.startswith(("DATABRICKS_", "MLFLOW_", "OPENAI_")):
            monkeypatch.delenv(key)
    monkeypatch.setenv("DATABRICKS_CONFIG_FILE", str(tmp_path / "no-such-databrickscfg"))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")


def _started_server(tmp_path: Path) -> Iterator[dict[str, str]]:
    """``python -m plane`` in a subprocess; yields the variables of its env file."""
    env_file = tmp_path / "plane.env"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "plane", "--port", "0", "--db", str(tmp_path / "p.sqlite")]
    cmd += ["--settle-seconds", "0", "--env-file", str(env_file)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    try:
        assert proc.stdout is not None
        proc.stdout.readline()  # DATABRICKS_HOST=... : the env file is written before it
        values = dict(
            line.removeprefix("export ").split("=", 1) for line in env_file.read_text().splitlines()
        )
        _wait_ready(values)
        yield values
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=10)


def _wait_ready(values: dict[str, str]) -> None:
    headers = {"Authorization": f"Bearer {values['DATABRICKS_TOKEN']}"}
    for _ in range(250):
        try:
            httpx.get(f"{values['DATABRICKS_HOST']}/__plane/health", headers=headers)
            return
        except httpx.ConnectError:
            threading.Event().wait(0.02)
    raise AssertionError("the plane did not answer")


@pytest.fixture(params=["inproc", "server"])
def client(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:
    """The MLflow deployments client with DATABRICKS_HOST / DATABRICKS_TOKEN on a plane."""
    if request.param == "inproc":
        with running_plane(tmp_path, settle_seconds=0) as plane:
            monkeypatch.setenv("DATABRICKS_HOST", plane.url)
            monkeypatch.setenv("DATABRICKS_TOKEN", plane.token)
            yield get_deploy_client("databricks")
        return
    for values in _started_server(tmp_path):
        monkeypatch.setenv("DATABRICKS_HOST", values["DATABRICKS_HOST"])
        monkeypatch.setenv("DATABRICKS_TOKEN", values["DATABRICKS_TOKEN"])
        yield get_deploy_client("databricks")


def _create(client: Any, name: str = "chat") -> dict[str, Any]:
    config = {"name": name, "config": {"served_entities": [_entity()]}}
    return dict(client.create_endpoint(config=config))


def test_create_get_list_and_delete(client: Any) -> None:
    created = _create(client)
    assert created["name"] == "chat" and created["endpoint_type"] == "EXTERNAL_MODEL"
    got = client.get_endpoint("chat")
    assert got["state"]["ready"] == "READY" and got["id"] == created["id"]
    assert "openai_api_key_plaintext" not in str(got)
    names = [e["name"] for e in client.list_endpoints()]
    assert "chat" in names and "databricks-meta-llama-3-3-70b-instruct" in names
    client.delete_endpoint("chat")
    with pytest.raises(requests.HTTPError, match="RESOURCE_DOES_NOT_EXIST"):
        client.get_endpoint("chat")


def test_update_config_tags_and_ai_gateway(client: Any) -> None:
    _create(client)
    config = {"served_entities": [_entity("gpt", "gpt-4.1-mini")]}
    updated = client.update_endpoint_config("chat", config)
    assert updated["name"] == "chat"
    entity = client.get_endpoint("chat")["config"]["served_entities"][0]
    assert entity["external_model"]["name"] == "gpt-4.1-mini"
    tags = client.update_endpoint_tags("chat", {"add_tags": [{"key": "team", "value": "ml"}]})
    assert {"key": "team", "value": "ml"} in tags["tags"]
    gateway = {
        "usage_tracking_config": {"enabled": True},
        "rate_limits": [{"calls": 100, "key": "user", "renewal_period": "minute"}],
    }
    answer = client.update_endpoint_ai_gateway("chat", gateway)
    assert answer["usage_tracking_config"] == {"enabled": True}
    assert client.get_endpoint("chat")["ai_gateway"]["rate_limits"][0]["calls"] == 100


def test_predict_and_predict_stream(client: Any) -> None:
    _create(client)
    answer = client.predict(endpoint="chat", inputs=CHAT)
    assert answer["object"] == "chat.completion" and answer["choices"][0]["message"]["content"]
    chunks = list(client.predict_stream(endpoint="chat", inputs=CHAT))
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks)
    assert text == answer["choices"][0]["message"]["content"]
    assert all(c["choices"] for c in chunks)  # no usage-only chunk unless asked


def test_predict_on_a_custom_model(client: Any) -> None:
    entity = {"entity_name": "main.ml.churn", "entity_version": "1", "workload_size": "Small"}
    entity["scale_to_zero_enabled"] = True
    client.create_endpoint(config={"name": "churn", "config": {"served_entities": [entity]}})
    answer = client.predict(endpoint="churn", inputs={"dataframe_records": [{"a": 1}, {"a": 2}]})
    assert len(answer["predictions"]) == 2
