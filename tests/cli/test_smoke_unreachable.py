"""`servingops smoke` when the control plane stops answering after the first call.

The contract (README "Exit codes", Terraform's `plan -detailed-exitcode`): 2 means the
endpoints were checked and one failed; 1 means the check itself is broken. A query
that cannot even connect (refused, DNS, TLS) says nothing about the endpoint: the
runner lost the workspace. Such queries counted as failed smoke (exit 2), so a deploy
job that rolls back on 2 would roll back healthy endpoints over a network blip. Now
they exit 1 and are JUnit `<error>`s; the report and the JUnit file are still written.
An endpoint that answers slowly or drops the connection is still a failure (2).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from fakes import FakeClock

from servingops import cli
from servingops.auth import BearerToken
from servingops.client import ControlPlaneClient

REPO = Path(__file__).resolve().parents[2]
CHAT = str(REPO / "endpoints" / "llama-chat.yaml")
CHAT_OK = {"choices": [{"message": {"role": "assistant", "content": "OK"}}]}
Handler = Callable[[httpx.Request], httpx.Response]


def _use(monkeypatch: pytest.MonkeyPatch, queries: Handler) -> None:
    """``servingops smoke`` talks to a control plane whose list works and whose
    invocations are answered by ``queries``."""

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/api/2.0/serving-endpoints"):
            return httpx.Response(200, json={"endpoints": []})
        return queries(request)

    def connect(host: str | None = None) -> ControlPlaneClient:
        http = httpx.Client(transport=httpx.MockTransport(answer))
        token = BearerToken("t0ken-value")  # a fake clock: the retry waits take no time
        return ControlPlaneClient("http://plane.test", token, http=http, clock=FakeClock())

    monkeypatch.setattr(cli, "connect", connect)
    monkeypatch.setenv("SERVINGOPS_RETRY_BUDGET", "0")


def _refused(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("[Errno 111] Connection refused", request=request)


def _dropped(request: httpx.Request) -> httpx.Response:
    raise httpx.RemoteProtocolError("Server disconnected without sending a response.")


def test_queries_that_cannot_connect_exit_1_with_the_report_and_junit_errors(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _use(monkeypatch, _refused)
    junit = tmp_path / "smoke.xml"

    assert cli.main(["smoke", CHAT, "--junit", str(junit)]) == 1

    captured = capsys.readouterr()
    assert "FAIL llama-chat (route)" in captured.out
    assert "could not connect" in captured.err
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("errors"), suite.get("failures")) == ("1", "1", "0")
    assert suite.find("testcase/error") is not None


def test_a_dropped_connection_is_still_a_failed_smoke_query(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _use(monkeypatch, _dropped)

    assert cli.main(["smoke", CHAT]) == 2


def test_answered_queries_keep_their_codes(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _use(monkeypatch, lambda request: httpx.Response(200, json=CHAT_OK))
    assert cli.main(["smoke", CHAT]) == 0
