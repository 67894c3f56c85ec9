"""Route-optimized endpoints against a running plane (ACLs enforced): the reconciler's
smoke check and `servingops smoke` query the route-optimized URL with an exchanged
data-plane token under OAuth M2M, and report a skip (never silent, never a failure)
under a personal access token. No token ever shows in logs, outputs or reports."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from plane_testing import RunningPlane, running_plane

from providers.program import _credential_kind, smoke_skip_warnings
from servingops.cli import main
from servingops.client import ControlPlaneClient
from servingops.errors import SmokeFailed
from servingops.model import EndpointSpec
from servingops.reconcile import Reconciler
from servingops.smoke import run_smoke

SP, SP_SECRET = "sp-app-id", "sp-sentinel-secret-4d4d"


def _raw(name: str = "ro-chat", grant: bool = True) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "name": name,
        "tier": "external",
        "task": "llm/v1/chat",
        "route_optimized": True,
        "served_entities": [
            {
                "name": "gpt",
                "external_model": {
                    "provider": "openai",
                    "name": "gpt-4o-mini",
                    "openai_config": {"openai_api_key": "{{secrets/llm/openai}}"},
                },
            }
        ],
        "smoke": {"prompt": "Reply with OK."},
    }
    if grant:
        raw["permissions"] = [{"level": "CAN_QUERY", "service_principal_name": SP}]
    return raw


@pytest.fixture
def plane(tmp_path: Path) -> Iterator[RunningPlane]:
    with running_plane(
        tmp_path / "plane",
        settle_seconds=0,
        pt_settle_seconds=0,
        seed_pay_per_token=False,
        client_id=SP,
        client_secret=SP_SECRET,
    ) as running:
        yield running


@pytest.fixture
def pat(plane: RunningPlane) -> Iterator[ControlPlaneClient]:
    with ControlPlaneClient.from_env(host=plane.url, token=plane.token, env={}) as client:
        yield client


@pytest.fixture
def oauth(plane: RunningPlane) -> Iterator[ControlPlaneClient]:
    with ControlPlaneClient.from_env(
        host=plane.url, client_id=SP, client_secret=SP_SECRET, env={}
    ) as client:
        yield client


def _secrets(plane: RunningPlane, *clients: ControlPlaneClient) -> list[str]:
    held = [plane.token, SP_SECRET]
    for client in clients:
        held += list(client._auth.secrets()) + list(client._data_plane.secrets())  # noqa: SLF001
    return [s for s in held if s]


def test_up_with_a_personal_token_records_and_logs_a_skip(
    plane: RunningPlane, pat: ControlPlaneClient
) -> None:
    log: list[str] = []
    outs = Reconciler(pat, plane.url, log=log.append).create(EndpointSpec.from_mapping(_raw()))
    record = outs["smoke"]
    assert "passed_at" not in record and record["skipped_at"] and record["state"]
    assert "ro-chat (route): skipped:" in record["skipped"]
    assert "DATABRICKS_CLIENT_ID/SECRET" in record["skipped"]
    assert [line for line in log if "skipped" in line] == [f"smoke {record['skipped']}"]
    assert not any(s in str(outs) + "\n".join(log) for s in _secrets(plane, pat))


def test_up_with_oauth_m2m_passes_through_the_data_plane(
    plane: RunningPlane, oauth: ControlPlaneClient, pat: ControlPlaneClient
) -> None:
    log: list[str] = []
    # created as the service principal: its creator entry (CAN_MANAGE) lets it query; a
    # file naming the creator below CAN_MANAGE is refused (tests/provider/
    # test_permissions_review.py)
    spec = EndpointSpec.from_mapping(_raw(grant=False))
    outs = Reconciler(oauth, plane.url, log=log.append).create(spec)
    assert outs["smoke"]["passed_at"] and "skipped" not in outs["smoke"]
    assert outs["invocation_url"] == oauth.data_plane_info("ro-chat")[0]
    assert outs["invocation_url"].endswith("/serving-endpoints/ro-chat/invocations")
    assert outs["invocation_url"] != f"{plane.url}/serving-endpoints/ro-chat/invocations"
    assert oauth._data_plane.secrets()  # noqa: SLF001 - the exchanged token was used
    stats = plane.client().get("/__plane/stats").json()["requests"]
    assert stats["POST /{workspace_id}/serving-endpoints/{name}/invocations"] == 1
    assert stats["POST /oidc/v1/token"] == 2  # the M2M token, then the exchange
    assert "POST /serving-endpoints/{name}/invocations" not in stats
    assert not any(s in str(outs) + "\n".join(log) for s in _secrets(plane, oauth, pat))


def test_update_smoke_without_can_query_fails_naming_the_endpoint(
    plane: RunningPlane, oauth: ControlPlaneClient, pat: ControlPlaneClient
) -> None:
    Reconciler(pat, plane.url).create(EndpointSpec.from_mapping(_raw(grant=False)))
    (outcome,) = run_smoke(oauth, EndpointSpec.from_mapping(_raw(grant=False)))
    assert outcome.status == 403 and not outcome.ok and not outcome.skipped
    assert "ro-chat (route): HTTP 403" in outcome.describe()
    with pytest.raises(SmokeFailed) as caught:
        Reconciler(oauth, plane.url).update(EndpointSpec.from_mapping(_raw(grant=False)), None)
    assert "ro-chat (route): HTTP 403" in str(caught.value)
    assert not any(s in str(caught.value) for s in _secrets(plane, oauth, pat))


@pytest.fixture
def endpoint_file(
    plane: RunningPlane, pat: ControlPlaneClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    Reconciler(pat, plane.url).create(EndpointSpec.from_mapping(_raw()))
    folder = tmp_path / "endpoints"
    folder.mkdir()
    (folder / "ro-chat.yaml").write_text(yaml.safe_dump(_raw()), encoding="utf-8")
    for key in ("DATABRICKS_TOKEN", "DATABRICKS_CLIENT_ID", "DATABRICKS_CLIENT_SECRET"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("DATABRICKS_HOST", plane.url)
    return folder


def test_smoke_command_with_oauth_m2m_queries_the_data_plane(
    endpoint_file: Path,
    plane: RunningPlane,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABRICKS_CLIENT_ID", SP)
    monkeypatch.setenv("DATABRICKS_CLIENT_SECRET", SP_SECRET)
    assert main(["smoke", str(endpoint_file)]) == 0
    out = capsys.readouterr().out
    assert "ok   ro-chat (route): HTTP 200" in out
    assert out.endswith("1 smoke quer(ies): 1 passed, 0 failed\n")


def test_smoke_command_with_a_personal_token_reports_the_skip(
    endpoint_file: Path,
    plane: RunningPlane,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("DATABRICKS_TOKEN", plane.token)
    junit = tmp_path / "smoke.xml"
    assert main(["smoke", str(endpoint_file), "--junit", str(junit)]) == 0
    captured = capsys.readouterr()
    assert "skip ro-chat (route): skipped: route-optimized endpoints accept only OAuth" in (
        captured.out
    )
    assert "DATABRICKS_CLIENT_ID/SECRET" in captured.out
    assert captured.out.endswith("1 smoke quer(ies): 0 passed, 0 failed, 1 skipped\n")
    assert '<skipped message="route-optimized' in junit.read_text(encoding="utf-8")
    assert plane.token not in captured.out + captured.err


def test_program_warns_that_a_personal_token_skips_route_optimized_smoke_checks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    plain = {k: v for k, v in _raw("plain").items() if k != "route_optimized"}
    off = {**_raw("quiet"), "smoke": {"enabled": False}}
    specs = [
        EndpointSpec.from_mapping(raw, f"endpoints/{raw['name']}.yaml")
        for raw in (_raw(), plain, off)
    ]
    (warning,) = smoke_skip_warnings(specs, "pat")
    assert warning.startswith("endpoints/ro-chat.yaml: endpoint 'ro-chat' is route-optimized")
    assert "DATABRICKS_CLIENT_ID/SECRET" in warning and "servingops:clientId" in warning
    assert smoke_skip_warnings(specs, "oauth-m2m") == []
    for key in ("DATABRICKS_TOKEN", "DATABRICKS_CLIENT_ID", "DATABRICKS_CLIENT_SECRET"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("DATABRICKS_HOST", "http://127.0.0.1:9")
    monkeypatch.setenv("DATABRICKS_TOKEN", "dapi-sentinel")
    assert _credential_kind() == "pat"
    monkeypatch.delenv("DATABRICKS_TOKEN")
    monkeypatch.setenv("DATABRICKS_CLIENT_ID", SP)
    monkeypatch.setenv("DATABRICKS_CLIENT_SECRET", SP_SECRET)
    assert _credential_kind() == "oauth-m2m"


def test_a_later_passing_check_clears_the_recorded_skip(
    plane: RunningPlane, pat: ControlPlaneClient, oauth: ControlPlaneClient
) -> None:
    spec = EndpointSpec.from_mapping(_raw())
    rec = Reconciler(pat, plane.url)
    assert "skipped" in rec.create(spec)["smoke"]
    rec.client = oauth  # the same reconciler, now with OAuth M2M credentials
    record = rec.update(spec, None)["smoke"]
    assert record["passed_at"] and "skipped" not in record and "skipped_at" not in record
