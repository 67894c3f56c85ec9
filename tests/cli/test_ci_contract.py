"""The CI contract of `servingops diff | drift | smoke` against a real plane on 127.0.0.1:
exit codes (0 clean, 1 error, 2 findings), undeclared endpoints in drift, concurrent
smoke with JUnit and GitHub output."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from plane_testing import RunningPlane, running_plane

from servingops.auth import BearerToken
from servingops.cli import main
from servingops.client import ControlPlaneClient
from servingops.loader import load_endpoints
from servingops.model import EndpointSpec, rest
from servingops.reconcile import Reconciler

REPO = Path(__file__).resolve().parents[2]
ENDPOINTS = REPO / "endpoints"
SPECS = {s.name: s for s in load_endpoints([ENDPOINTS]).specs}
STACK = "servingops/local"
CHAT = str(ENDPOINTS / "support-chat.yaml")
INTERNAL = str(ENDPOINTS / "internal-chat.yaml")


@pytest.fixture
def plane(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningPlane]:
    monkeypatch.chdir(tmp_path)  # no Pulumi.yaml: --stack decides
    monkeypatch.setenv("SERVINGOPS_RETRY_BUDGET", "2")
    with running_plane(tmp_path, settle_seconds=0, pt_settle_seconds=0) as running:
        monkeypatch.setenv("DATABRICKS_HOST", running.url)
        monkeypatch.setenv("DATABRICKS_TOKEN", running.token)
        yield running


@pytest.fixture
def client(plane: RunningPlane) -> Iterator[ControlPlaneClient]:
    with ControlPlaneClient(plane.url, BearerToken(plane.token)) as http:
        yield http


def deploy(client: ControlPlaneClient, spec: EndpointSpec, owner: str | None = STACK) -> None:
    Reconciler(client, client.host).create(replace(spec, owner=owner))


def by_hand(client: ControlPlaneClient, name: str, owner: str | None = None) -> None:
    """Create an endpoint outside any file, as someone would in the workspace UI."""
    spec = replace(SPECS["internal-chat"], name=name, owner=owner, source="")
    client.create_endpoint(rest.create_body(spec))


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# -- done when: a hand tag edit plus a hand-made endpoint exit 2 and are named ----------------


def test_demo_stack_drift_names_a_tag_edit_and_a_hand_made_endpoint(
    client: ControlPlaneClient, capsys: pytest.CaptureFixture[str]
) -> None:
    for spec in SPECS.values():
        deploy(client, spec)
    assert main(["drift", str(ENDPOINTS), "--stack", STACK]) == 0
    capsys.readouterr()
    client.patch_tags("support-chat", [{"key": "team", "value": "hijacked"}], [])
    by_hand(client, "hand-made-chat")
    assert main(["drift", str(ENDPOINTS), "--stack", STACK, "--format", "json"]) == 2
    body = {e["endpoint"]: e for e in json.loads(capsys.readouterr().out)["endpoints"]}
    assert body["support-chat"]["verdict"] == "update"
    assert body["support-chat"]["changes"][0]["path"] == "tags.team"
    assert body["hand-made-chat"]["verdict"] == "unmanaged"
    assert "databricks-gte-large-en" in body  # declared: compared, not "undeclared"
    assert [n for n, e in body.items() if e["verdict"] != "same"] == [
        "support-chat",
        "hand-made-chat",
    ]


def test_orphans_and_other_stacks_endpoints_are_told_apart(
    client: ControlPlaneClient, capsys: pytest.CaptureFixture[str]
) -> None:
    deploy(client, SPECS["internal-chat"])
    by_hand(client, "old-chat", owner=STACK)
    by_hand(client, "their-chat", owner="billing/prod")
    by_hand(client, "scratch-1")
    code = main(["drift", INTERNAL, "--stack", STACK, "--ignore", "scratch-*"])
    out = capsys.readouterr().out
    assert code == 2
    assert "? old-chat  (orphan: servingops-stack=servingops/local (this stack)" in out
    assert "? their-chat  (foreign: servingops-stack=billing/prod" in out
    assert "scratch-1" not in out and "databricks-" not in out
    flags = ["--ignore-tag", "servingops-stack", "--ignore", "scratch-*"]
    assert main(["drift", INTERNAL, "--stack", STACK, *flags]) == 0
    assert main(["drift", INTERNAL, "--no-unmanaged"]) == 0


def test_drift_github_annotations_point_at_the_file(
    client: ControlPlaneClient, capsys: pytest.CaptureFixture[str]
) -> None:
    deploy(client, SPECS["internal-chat"])
    client.patch_tags("internal-chat", [{"key": "team", "value": "x"}], [])
    by_hand(client, "hand-made")
    assert main(["drift", INTERNAL, "--format", "github"]) == 2
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"::warning file={INTERNAL},title=update%3A internal-chat::")
    assert "%0A~ tags.team" in lines[0]
    assert lines[1].startswith("::warning title=unmanaged%3A hand-made::")


# -- exit codes: every row ---------------------------------------------------------------------


def test_diff_exit_code_is_2_on_changes_0_without_flag_or_changes(
    client: ControlPlaneClient, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["diff", INTERNAL, "--exit-code"]) == 2
    assert main(["diff", INTERNAL]) == 0
    deploy(client, SPECS["internal-chat"])
    assert main(["diff", INTERNAL, "--exit-code"]) == 0
    assert main(["drift", INTERNAL, "--no-unmanaged"]) == 0


@pytest.mark.parametrize(
    "argv",
    [["drift", INTERNAL], ["diff", INTERNAL, "--exit-code"], ["smoke", INTERNAL]],
    ids=["drift", "diff", "smoke"],
)
def test_a_wrong_token_exits_1(
    plane: RunningPlane,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
) -> None:
    monkeypatch.setenv("DATABRICKS_TOKEN", "dapi-wrong-token-0123")
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "401" in err and "Traceback" not in err and "dapi-wrong-token-0123" not in err


@pytest.mark.parametrize(
    "argv",
    [["drift", INTERNAL], ["diff", INTERNAL, "--exit-code"], ["smoke", INTERNAL]],
    ids=["drift", "diff", "smoke"],
)
def test_a_closed_port_exits_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    monkeypatch.setenv("DATABRICKS_HOST", f"http://127.0.0.1:{closed_port()}")
    monkeypatch.setenv("DATABRICKS_TOKEN", "t0ken")
    monkeypatch.setenv("SERVINGOPS_RETRY_BUDGET", "1")
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "could not be reached" in err and "Traceback" not in err


@pytest.mark.parametrize("command", ["drift", "diff", "smoke"])
def test_bad_endpoint_files_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    (tmp_path / "bad.yaml").write_text("name: bad\ntier: nonsense\n")
    assert main([command, str(tmp_path / "bad.yaml")]) == 1
    assert "the endpoint files have errors" in capsys.readouterr().err


# -- smoke ---------------------------------------------------------------------------------------


def test_smoke_fails_with_2_and_writes_one_junit_case_per_query(
    client: ControlPlaneClient,
    plane: RunningPlane,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name in ("support-chat", "internal-chat"):
        deploy(client, SPECS[name])
    report = tmp_path / "smoke.xml"
    assert main(["smoke", CHAT, INTERNAL, "--junit", str(report)]) == 0
    cases = ET.parse(report).getroot().findall(".//testcase")
    expected = []
    for name in ("internal-chat", "support-chat"):  # name order; route, then file order
        spec = SPECS[name]
        expected += [(name, "route")] + [(name, e) for e in spec.entity_names()]
    assert spec.smoke.per_entity and len(expected) == 6
    assert [(c.get("classname"), c.get("name")) for c in cases] == expected
    with plane.client() as http:
        http.post(
            "/__plane/endpoints/support-chat/fault",
            json={"query_status": 500, "entity": "gpt", "count": 0},
        )
    capsys.readouterr()
    assert main(["smoke", CHAT, INTERNAL, "--junit", str(report), "--format", "github"]) == 2
    out = capsys.readouterr().out
    assert f"::error file={CHAT},title=smoke%3A support-chat/gpt::support-chat/gpt: HTTP 500" in (
        out
    )
    cases = ET.parse(report).getroot().findall(".//testcase")
    failed = [c for c in cases if c.find("failure") is not None]
    assert [(c.get("classname"), c.get("name")) for c in failed] == [("support-chat", "gpt")]


def test_smoke_queries_endpoints_at_once(
    client: ControlPlaneClient, plane: RunningPlane, tmp_path: Path
) -> None:
    files = []
    for i in range(6):
        spec = replace(SPECS["internal-chat"], name=f"chat-{i}")
        deploy(client, spec)
        text = Path(INTERNAL).read_text().replace("name: internal-chat", f"name: chat-{i}")
        (tmp_path / f"chat-{i}.yaml").write_text(text)
        files.append(str(tmp_path / f"chat-{i}.yaml"))
    with plane.client() as http:
        fault = {"route": "POST /serving-endpoints/*/invocations", "delay_ms": 400, "count": 0}
        http.post("/__plane/faults", json=fault)
    started = time.monotonic()
    assert main(["smoke", *files, "--jobs", "6"]) == 0
    at_once = time.monotonic() - started
    started = time.monotonic()
    assert main(["smoke", *files, "--jobs", "1"]) == 0
    one_by_one = time.monotonic() - started
    assert one_by_one >= 6 * 0.4 and at_once < one_by_one / 2


def test_smoke_timeout_fails_a_slow_endpoint_with_2(
    client: ControlPlaneClient, plane: RunningPlane, capsys: pytest.CaptureFixture[str]
) -> None:
    deploy(client, SPECS["internal-chat"])
    with plane.client() as http:
        fault = {"route": "POST /serving-endpoints/*/invocations", "delay_ms": 3000, "count": 0}
        http.post("/__plane/faults", json=fault)
    started = time.monotonic()
    assert main(["smoke", INTERNAL, "--timeout", "0.5"]) == 2
    assert time.monotonic() - started < 2.5
    assert "FAIL internal-chat (route): HTTP 0" in capsys.readouterr().out


def test_an_unwritable_junit_file_is_an_error_not_a_traceback(
    plane: RunningPlane, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "no-such-folder" / "smoke.xml"
    assert main(["smoke", INTERNAL, "--junit", str(target)]) == 1
    err = capsys.readouterr().err
    assert f"cannot write the JUnit report {target}" in err and "Traceback" not in err


def test_export_to_an_unwritable_file_is_an_error_not_an_internal_one(
    client: ControlPlaneClient, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    deploy(client, SPECS["internal-chat"])
    target = tmp_path / "no-such-folder" / "internal-chat.yaml"
    assert main(["export", "internal-chat", "-o", str(target)]) == 1
    err = capsys.readouterr().err
    assert f"cannot write {target}" in err and "internal error" not in err


@pytest.mark.parametrize("command", ["drift", "diff", "smoke"])
def test_concurrent_reads_fetch_one_oauth_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    """The shared client's OAuth token is fetched by the first call, before the pool."""
    oauth = {"client_id": "sp-app", "client_secret": "sp-secret-value"}
    # ACLs off: the endpoints are created with the start token, and this test is about
    # token fetches, not about who may query (tests/plane/test_plane_permissions.py).
    settings = {"settle_seconds": 0, "pt_settle_seconds": 0, "enforce_acl": False, **oauth}
    with running_plane(tmp_path, **settings) as running:
        files = []
        with ControlPlaneClient(running.url, BearerToken(running.token)) as http:
            for i in range(6):
                deploy(http, replace(SPECS["internal-chat"], name=f"chat-{i}"))
                text = Path(INTERNAL).read_text().replace("internal-chat", f"chat-{i}")
                (tmp_path / f"chat-{i}.yaml").write_text(text)
                files.append(str(tmp_path / f"chat-{i}.yaml"))
        monkeypatch.delenv("DATABRICKS_TOKEN", raising=False)
        monkeypatch.setenv("DATABRICKS_HOST", running.url)
        monkeypatch.setenv("DATABRICKS_CLIENT_ID", oauth["client_id"])
        monkeypatch.setenv("DATABRICKS_CLIENT_SECRET", oauth["client_secret"])
        with running.client() as admin:
            admin.delete("/__plane/stats")
            assert main([command, *files, "--jobs", "6"]) == 0
            counts = admin.get("/__plane/stats").json()["requests"]
    assert counts.get("POST /oidc/v1/token") == 1, counts


def test_ctrl_c_during_smoke_exits_130_without_waiting_for_queries_in_flight(
    client: ControlPlaneClient, plane: RunningPlane, tmp_path: Path
) -> None:
    files = []
    for i in range(3):
        deploy(client, replace(SPECS["internal-chat"], name=f"chat-{i}"))
        (tmp_path / f"chat-{i}.yaml").write_text(
            Path(INTERNAL).read_text().replace("internal-chat", f"chat-{i}")
        )
        files.append(str(tmp_path / f"chat-{i}.yaml"))
    with plane.client() as admin:
        fault = {"route": "POST /serving-endpoints/*/invocations", "delay_ms": 10000, "count": 0}
        admin.post("/__plane/faults", json=fault)
        admin.delete("/__plane/stats")
        cli = REPO / ".venv" / "bin" / "servingops"
        proc = subprocess.Popen(
            [str(cli), "smoke", *files],
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=_sigint_default,  # a background job's children start with it ignored
        )
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:  # the list call before the queries is done
                counts = admin.get("/__plane/stats").json()["requests"]
                if counts.get("GET /api/2.0/serving-endpoints"):
                    break
                time.sleep(0.1)
            time.sleep(1.0)  # the queries are sent, and wait 10 s for their answers
            proc.send_signal(signal.SIGINT)
            started = time.monotonic()
            _, err = proc.communicate(timeout=15)
        finally:
            proc.kill()
    assert proc.returncode == 130 and "interrupted" in err
    assert time.monotonic() - started < 4  # not the 10 s the queries still wait


def _sigint_default() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)
