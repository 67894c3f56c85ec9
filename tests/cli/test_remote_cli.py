"""`servingops diff | drift | smoke | export` against a real local plane on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from plane_testing import RunningPlane, running_plane

from servingcatalogue import load_catalogue
from servingops.auth import BearerToken
from servingops.cli import main
from servingops.client import ControlPlaneClient
from servingops.connect import read_plane_env
from servingops.export import export_live
from servingops.loader import check_document, load_endpoints
from servingops.model import EndpointSpec
from servingops.plan import plan_endpoint
from servingops.reconcile import Reconciler

REPO = Path(__file__).resolve().parents[2]
SPECS = load_endpoints([REPO / "endpoints"]).specs


@pytest.fixture
def plane(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningPlane]:
    with running_plane(tmp_path, settle_seconds=0, pt_settle_seconds=0) as running:
        monkeypatch.setenv("DATABRICKS_HOST", running.url)
        monkeypatch.setenv("DATABRICKS_TOKEN", running.token)
        yield running


@pytest.fixture
def deployed(plane: RunningPlane) -> Iterator[ControlPlaneClient]:
    with ControlPlaneClient(plane.url, BearerToken(plane.token)) as client:
        rec = Reconciler(client, plane.url)
        for spec in SPECS:
            rec.create(spec)
        yield client


def test_diff_before_deploy_lists_creates(
    plane: RunningPlane, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["diff", str(REPO / "endpoints"), "--exit-code"]) == 2
    out = capsys.readouterr().out
    assert "+ support-chat  (create)" in out
    assert "= databricks-gte-large-en  (no changes)" in out


def test_drift_is_clean_after_deploy_and_names_a_hand_edit(
    deployed: ControlPlaneClient, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["drift", str(REPO / "endpoints")]) == 0
    capsys.readouterr()
    deployed.patch_tags("support-chat", [{"key": "team", "value": "hijacked"}], [])
    assert main(["drift", str(REPO / "endpoints"), "--format", "json"]) == 2
    body = json.loads(capsys.readouterr().out)
    chat = next(e for e in body["endpoints"] if e["endpoint"] == "support-chat")
    assert chat["verdict"] == "update"
    assert chat["changes"] == [
        {
            "path": "tags.team",
            "action": "change",
            "group": "tags",
            "replace": False,
            "steps": "",
            "old": "'hijacked'",
            "new": "'support'",
        }
    ]


def test_diff_markdown_is_a_pr_table(
    deployed: ControlPlaneClient, capsys: pytest.CaptureFixture[str]
) -> None:
    deployed.put_ai_gateway("internal-chat", {})
    main(["diff", str(REPO / "endpoints" / "internal-chat.yaml"), "--format", "markdown"])
    out = capsys.readouterr().out
    assert out.startswith("| endpoint | verdict | changes |")
    assert "| `internal-chat` | update |" in out and "ai_gateway.rate_limits" in out


def test_smoke_command_reports_each_query(
    deployed: ControlPlaneClient, plane: RunningPlane, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["smoke", str(REPO / "endpoints" / "support-chat.yaml")]) == 0
    out = capsys.readouterr().out
    assert out.count("ok   ") == 3  # route + 2 entities (per_entity)
    with plane.client() as http:
        http.post(
            "/__plane/endpoints/support-chat/fault",
            json={"query_status": 500, "entity": "gpt", "count": 0},
        )
    assert main(["smoke", str(REPO / "endpoints" / "support-chat.yaml")]) == 2
    assert "FAIL support-chat/gpt: HTTP 500" in capsys.readouterr().out


def test_smoke_skips_a_switched_off_endpoint_with_a_line(
    deployed: ControlPlaneClient, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 10: `calls: 0` made the smoke query fail with 403; now it is skipped, said so."""
    raw = yaml.safe_load((REPO / "endpoints" / "support-chat.yaml").read_text())
    raw["ai_gateway"]["rate_limits"] = [{"key": "endpoint", "calls": 0, "renewal_period": "minute"}]
    deployed.put_ai_gateway("support-chat", raw["ai_gateway"])
    path = tmp_path / "support-chat.yaml"
    path.write_text(yaml.safe_dump(raw))
    assert main(["smoke", str(path)]) == 0
    out = capsys.readouterr().out
    assert "skip support-chat (route): skipped: switched off by a rate limit of 0" in out
    assert "FAIL" not in out and "ok   " not in out


@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
def test_export_round_trips_every_example(deployed: ControlPlaneClient, spec: EndpointSpec) -> None:
    raw = export_live(deployed, spec.name, load_catalogue())  # with its ACL
    assert check_document(raw, spec.name) == []
    exported = EndpointSpec.from_mapping(raw)
    assert plan_endpoint(deployed, exported).verdict == "same"


def test_export_command_writes_a_valid_file(
    deployed: ControlPlaneClient, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "support-chat.yaml"
    assert main(["export", "support-chat", "-o", str(target)]) == 0
    text = target.read_text()
    assert text.startswith("# yaml-language-server: $schema=")
    assert yaml.safe_load(text)["traffic"] == {"gpt": 90, "claude": 10}
    assert yaml.safe_load(text)["permissions"] == [
        {"level": "CAN_MANAGE", "group_name": "ml-platform"},
        {"level": "CAN_QUERY", "service_principal_name": "5f3c9a52-7d3e-4b1a-9c4e-2a8b6d0e1f37"},
    ]
    assert main(["validate", str(target)]) == 0


def test_unknown_endpoint_export_is_a_clean_error(
    plane: RunningPlane, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", "nope"]) == 1
    err = capsys.readouterr().err
    assert "nope" in err and "404" in err and "Traceback" not in err


def test_plane_env_is_used_when_no_host_is_set(
    plane: RunningPlane,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / ".servingops").mkdir()
    (tmp_path / ".servingops" / "plane.env").write_text(
        f"export DATABRICKS_HOST={plane.url}\nexport DATABRICKS_TOKEN={plane.token}\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABRICKS_HOST")
    monkeypatch.delenv("DATABRICKS_TOKEN")
    assert read_plane_env()["DATABRICKS_HOST"] == plane.url
    assert main(["diff", str(REPO / "endpoints" / "internal-chat.yaml")]) == 0
    assert "+ internal-chat  (create)" in capsys.readouterr().out


def test_no_credentials_is_a_clean_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    for var in (
        "DATABRICKS_HOST",
        "DATABRICKS_TOKEN",
        "DATABRICKS_CLIENT_ID",
        "DATABRICKS_CLIENT_SECRET",
    ):
        monkeypatch.delenv(var, raising=False)
    assert main(["drift", str(REPO / "endpoints")]) == 1
    err = capsys.readouterr().err
    assert "DATABRICKS_HOST" in err or "host" in err
    assert "Traceback" not in err


def test_diff_base_reviews_a_change_offline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for var in ("DATABRICKS_HOST", "DATABRICKS_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)
    head = tmp_path / "head"
    head.mkdir()
    for spec in SPECS:
        if spec.name != "cohere-embeddings":
            (head / f"{spec.name}.yaml").write_text(Path(spec.source).read_text())
    chat = head / "support-chat.yaml"
    chat.write_text(chat.read_text().replace("gpt: 90, claude: 10", "gpt: 50, claude: 50"))
    (head / "new-chat.yaml").write_text(
        (head / "internal-chat.yaml").read_text().replace("name: internal-chat", "name: new-chat")
    )
    code = main(["diff", str(head), "--base", str(REPO / "endpoints"), "--exit-code"])
    out = capsys.readouterr().out
    assert code == 2
    expected = [
        "~ support-chat  (update in place)",
        "    ~ traffic.claude: 10 → 50",
        "    ~ traffic.gpt: 90 → 50",
    ]
    assert "\n".join(expected) + "\n" in out
    assert "+ new-chat  (create)" in out and "- cohere-embeddings  (delete)" in out
    assert "= internal-chat  (no changes)" in out
