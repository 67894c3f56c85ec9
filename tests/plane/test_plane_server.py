"""The served plane: persistence across restarts, racing clients, the command line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest
from plane_payloads import API, chat_endpoint
from plane_testing import FakeClock, running_plane

from plane.server import parse_args, settings_from
from plane.settings import PlaneSettings

ROOT = Path(__file__).resolve().parents[2]


def test_restart_keeps_endpoints(tmp_path):
    clock = FakeClock()
    with running_plane(tmp_path, clock=clock, token="t1") as plane, plane.client() as client:
        created = client.post(API, json=chat_endpoint(tags=[{"key": "k", "value": "v"}])).json()
    clock.advance(5)
    with running_plane(tmp_path, clock=clock, token="t2") as plane, plane.client() as client:
        body = client.get(f"{API}/chat").json()
    assert body["id"] == created["id"]
    assert body["tags"] == [{"key": "k", "value": "v"}]
    assert body["state"]["config_update"] == "NOT_UPDATING"


def test_restart_keeps_issued_oauth_tokens(tmp_path):
    oauth = {"client_id": "sp", "client_secret": "sec"}
    with running_plane(tmp_path, **oauth) as plane, plane.client() as client:
        form = {"grant_type": "client_credentials", **oauth}
        token = client.post("/oidc/v1/token", data=form).json()["access_token"]
    with running_plane(tmp_path, **oauth) as plane:
        r = httpx.get(f"{plane.url}{API}", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200


def test_two_clients_racing_to_create_get_one_success_and_one_409(tmp_path):
    with running_plane(tmp_path) as plane:
        barrier = threading.Barrier(2)
        statuses: list[int] = []

        def create() -> None:
            with plane.client() as client:
                barrier.wait(timeout=5)
                statuses.append(client.post(API, json=chat_endpoint("race")).status_code)

        threads = [threading.Thread(target=create) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=10)
    assert sorted(statuses) == [200, 409]


def test_racing_config_updates_get_one_success_and_one_409(tmp_path):
    with running_plane(tmp_path, settle_seconds=60) as plane:
        with plane.client() as client:
            client.post(API, json={"name": "race"})
        barrier = threading.Barrier(2)
        statuses: list[int] = []

        def update() -> None:
            with plane.client() as client:
                barrier.wait(timeout=5)
                body = chat_endpoint()["config"]
                statuses.append(client.put(f"{API}/race/config", json=body).status_code)

        threads = [threading.Thread(target=update) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=10)
    assert sorted(statuses) == [200, 409]


def test_running_plane_exposes_store_and_headers(tmp_path):
    with running_plane(tmp_path, token="abc") as plane:
        assert plane.headers == {"Authorization": "Bearer abc"}
        assert plane.url.startswith("http://127.0.0.1:")
        assert plane.store.endpoint_doc("databricks-gte-large-en")["kind"] == "system"


def test_parse_args_defaults_bind_loopback_and_generate_a_token():
    args = parse_args([])
    settings = settings_from(args)
    assert args.host == "127.0.0.1"
    assert settings.token.startswith("dapi") and len(settings.token) == 36
    assert settings.oauth_enabled is False


def test_parse_args_reads_every_flag():
    argv = [
        "--port",
        "0",
        "--db",
        "x.sqlite",
        "--token",
        "tok",
        "--client-id",
        "c",
        "--client-secret",
        "s",
        "--settle-seconds",
        "0.5",
        "--pt-settle-seconds",
        "2",
        "--shuffle-entities",
        "--seed",
        "9",
    ]
    settings = settings_from(parse_args(argv))
    assert (settings.token, settings.client_id, settings.client_secret) == ("tok", "c", "s")
    assert (settings.settle_seconds, settings.pt_settle_seconds) == (0.5, 2.0)
    assert settings.shuffle_entities is True and settings.seed == 9


def test_parse_args_client_id_without_secret_is_a_usage_error():
    with pytest.raises(SystemExit) as exc:
        parse_args(["--client-id", "c"])
    assert exc.value.code == 2


def test_settings_reject_unknown_forward_mode():
    with pytest.raises(ValueError, match="forward must be one of"):
        PlaneSettings(forward="sometimes")


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "sigint"])
def test_python_m_plane_prints_host_writes_the_env_file_and_serves(tmp_path, stop):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [
        sys.executable,
        "-m",
        "plane",
        "--port",
        "0",
        "--db",
        str(tmp_path / "p.sqlite"),
        "--token",
        "cli-token",
        "--client-id",
        "cid",
        "--client-secret",
        "csec",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout is not None
        lines = dict(proc.stdout.readline().strip().split("=", 1) for _ in range(2))
        assert lines["DATABRICKS_HOST"].startswith("http://127.0.0.1:")
        env_file = Path(lines["SERVINGOPS_PLANE_ENV"])
        assert env_file == tmp_path / "plane.env"
        assert "export DATABRICKS_TOKEN=cli-token" in env_file.read_text().splitlines()
        assert "export DATABRICKS_CLIENT_ID=cid" in env_file.read_text().splitlines()
        headers = {"Authorization": "Bearer cli-token"}
        r = _get_when_ready(f"{lines['DATABRICKS_HOST']}{API}", headers)
        assert r.status_code == 200
    finally:
        proc.send_signal(stop)
        out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0
    assert "Traceback" not in err and "cli-token" not in err and "csec" not in err
    assert "cli-token" not in out and "csec" not in out
    assert err.strip().endswith("plane: stopped")


def _get_when_ready(url: str, headers: dict[str, str]) -> httpx.Response:
    for _ in range(200):
        try:
            return httpx.get(url, headers=headers, timeout=5)
        except httpx.ConnectError:
            threading.Event().wait(0.02)
    raise AssertionError(f"{url} did not answer")


def test_unexpected_errors_answer_json_500(tmp_path, monkeypatch):
    with running_plane(tmp_path) as plane, plane.client() as client:

        def broken(name: str) -> dict:
            raise RuntimeError("bug")

        monkeypatch.setattr(plane.store, "get_endpoint", broken)
        r = client.get(f"{API}/x")
    assert r.status_code == 500
    assert r.json() == {
        "error_code": "INTERNAL_ERROR",
        "message": "Internal error in the local plane (RuntimeError) on "
        "GET /api/2.0/serving-endpoints/x; see the plane's log.",
    }


def test_env_file_is_owner_only_and_the_banner_holds_no_secret(tmp_path):
    """Issue 11: banner and log never print the token or the OAuth client secret."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "SERVINGOPS_PLANE_TOKEN": "dapi-SENTINEL-token-0123",
        "SERVINGOPS_PLANE_CLIENT_SECRET": "SENTINEL-client-secret-4567",
    }
    log = tmp_path / "plane.log"
    env_file = tmp_path / "state" / "creds.env"
    cmd = [sys.executable, "-m", "plane", "--port", "0", "--db", str(tmp_path / "p.sqlite")]
    cmd += ["--client-id", "cid", "--env-file", str(env_file)]
    with log.open("w") as sink:
        proc = subprocess.Popen(cmd, stdout=sink, stderr=subprocess.STDOUT, env=env)
        try:
            for _ in range(500):
                if "DATABRICKS_HOST=" in log.read_text() and env_file.exists():
                    break
                threading.Event().wait(0.02)
            host = next(
                line.split("=", 1)[1]
                for line in log.read_text().splitlines()
                if line.startswith("DATABRICKS_HOST=")
            )
            headers = {"Authorization": "Bearer dapi-SENTINEL-token-0123"}
            assert _get_when_ready(f"{host}{API}", headers).status_code == 200
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=10)
    text = log.read_text()
    assert "SENTINEL" not in text and "plane: stopped" in text
    assert f"SERVINGOPS_PLANE_ENV={env_file}" in text
    assert env_file.stat().st_mode & 0o777 == 0o600
    lines = env_file.read_text().splitlines()
    assert "export DATABRICKS_TOKEN=dapi-SENTINEL-token-0123" in lines
    assert "export DATABRICKS_CLIENT_SECRET=SENTINEL-client-secret-4567" in lines
    assert f"export DATABRICKS_HOST={host}" in lines


def test_tools_plane_sh_keeps_the_token_out_of_its_log(tmp_path):
    """``make plane`` / ``make demo``: plane.env has the token (0600), plane.log does not."""
    (tmp_path / "tools").mkdir()
    script = tmp_path / "tools" / "plane.sh"
    script.write_text((ROOT / "tools" / "plane.sh").read_text())
    (tmp_path / ".venv").symlink_to(ROOT / ".venv")
    env = {**os.environ, "SERVINGOPS_PLANE_PORT": "0", "PYTHONPATH": str(ROOT)}
    started = subprocess.run(
        ["bash", str(script), "start"], env=env, capture_output=True, text=True, timeout=60
    )
    try:
        assert started.returncode == 0, started.stderr
        state = tmp_path / ".servingops"
        values = dict(
            line.removeprefix("export ").split("=", 1)
            for line in (state / "plane.env").read_text().splitlines()
        )
        token = values["DATABRICKS_TOKEN"]
        assert token.startswith("dapi") and (state / "plane.env").stat().st_mode & 0o777 == 0o600
        headers = {"Authorization": f"Bearer {token}"}
        assert httpx.get(f"{values['DATABRICKS_HOST']}{API}", headers=headers).status_code == 200
        assert token not in (state / "plane.log").read_text()
        assert token not in started.stdout + started.stderr
    finally:
        stopped = subprocess.run(
            ["bash", str(script), "stop"], env=env, capture_output=True, text=True, timeout=30
        )
    assert "stopped" in stopped.stdout
