"""`--format json` keeps stdout JSON when the command fails (exit 1).

Stdout was empty on an error, so `servingops drift --format json | jq .endpoints`
printed nothing and exited 0 (a pipeline without `pipefail` went green), and an
archived drift.json was an empty file. Like `terraform plan -json`, whose errors are
JSON diagnostics, stdout now holds one object `{"error": {...}}` with the message,
the hint and the exit code; the text still goes to stderr.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from servingops.cli import main

REPO = Path(__file__).resolve().parents[2]
CHAT = str(REPO / "endpoints" / "support-chat.yaml")
TOKEN = "dapi-not-a-real-token-0123456789"


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(autouse=True)
def _elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no .servingops/plane.env to fall back on
    monkeypatch.setenv("SERVINGOPS_RETRY_BUDGET", "0")
    monkeypatch.setenv("SERVINGOPS_CONNECT_TIMEOUT", "0.5")


@pytest.mark.parametrize("command", ["drift", "diff"])
def test_an_unreachable_host_gives_a_json_error(
    command: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABRICKS_HOST", f"http://127.0.0.1:{_closed_port()}")
    monkeypatch.setenv("DATABRICKS_TOKEN", TOKEN)

    assert main([command, CHAT, "--format", "json"]) == 1

    captured = capsys.readouterr()
    error = json.loads(captured.out)["error"]
    assert error["exit_code"] == 1
    assert "could not be reached" in error["message"] and error["hint"]
    assert "could not be reached" in captured.err
    assert TOKEN not in captured.out + captured.err


def test_missing_credentials_give_a_json_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABRICKS_HOST", "https://adb-1.azuredatabricks.net")
    for name in ("DATABRICKS_TOKEN", "DATABRICKS_CLIENT_ID", "DATABRICKS_CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)

    assert main(["drift", CHAT, "--format", "json"]) == 1

    error = json.loads(capsys.readouterr().out)["error"]
    assert "no credentials" in error["message"]


def test_text_formats_keep_stdout_empty_on_an_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABRICKS_HOST", f"http://127.0.0.1:{_closed_port()}")
    monkeypatch.setenv("DATABRICKS_TOKEN", TOKEN)
    assert main(["drift", CHAT, "--format", "markdown"]) == 1
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("command", ["drift", "smoke"])
def test_github_format_annotates_the_failure(
    command: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # the job failed with only a log line: no annotation on the run's summary page
    monkeypatch.setenv("DATABRICKS_HOST", f"http://127.0.0.1:{_closed_port()}")
    monkeypatch.setenv("DATABRICKS_TOKEN", TOKEN)

    assert main([command, CHAT, "--format", "github"]) == 1

    [line] = capsys.readouterr().out.splitlines()
    assert line.startswith(f"::error title=servingops {command} failed::")
    assert "could not be reached" in line and "%0A  hint: " in line


def test_an_internal_error_is_json_too_and_says_so(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("servingops.cli.load_endpoints", boom)

    assert main(["drift", CHAT, "--format", "json"]) == 1

    captured = capsys.readouterr()
    error = json.loads(captured.out)["error"]
    assert (error["kind"], error["message"]) == ("internal error", "RuntimeError: boom")
    assert "servingops drift: internal error: RuntimeError: boom\n  hint: re-run" in captured.err
