"""Peer reports about detailed exit codes, as inputs to servingops' CI contract.

- hashicorp/terraform#23387 and #18453: `plan -detailed-exitcode -destroy` exited 2
  ("changes") on infrastructure with nothing to change. Here: an empty endpoints folder
  against a fresh workspace, which only has its pay-per-token `databricks-*` endpoints,
  is clean (0) for drift, diff --exit-code and smoke.
- asteris-llc/converge#492: a plan with errors and changes exited as if it had only
  changes. Here: one endpoint that drifted and one read that fails exits 1 (error),
  never 2.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from plane_testing import RunningPlane, running_plane

from servingops.cli import main

REPO = Path(__file__).resolve().parents[2]
ENDPOINTS = REPO / "endpoints"


@pytest.fixture
def plane(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningPlane]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SERVINGOPS_RETRY_BUDGET", "0")
    with running_plane(tmp_path, settle_seconds=0) as running:
        monkeypatch.setenv("DATABRICKS_HOST", running.url)
        monkeypatch.setenv("DATABRICKS_TOKEN", running.token)
        yield running


def test_nothing_declared_on_a_fresh_workspace_is_clean(
    plane: RunningPlane, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "endpoints"
    empty.mkdir()
    listed = plane.client().get("/api/2.0/serving-endpoints").json()["endpoints"]
    assert listed and all(e["name"].startswith("databricks-") for e in listed)

    assert main(["drift", str(empty)]) == 0
    assert main(["diff", str(empty), "--exit-code"]) == 0
    assert main(["smoke", str(empty)]) == 0


def test_drift_and_a_failed_read_together_exit_1(
    plane: RunningPlane, capsys: pytest.CaptureFixture[str]
) -> None:
    reference = str(ENDPOINTS / "databricks-meta-llama-3-3-70b-instruct.yaml")
    assert main(["drift", reference, "--no-unmanaged"]) == 2  # its gateway is not applied
    fault = {"route": "GET /api/2.0/serving-endpoints/databricks-gte-large-en", "status": 500}
    plane.client().post("/__plane/faults", json={**fault, "count": 0}).raise_for_status()
    failing = str(ENDPOINTS / "databricks-gte-large-en.yaml")

    assert main(["drift", reference, failing, "--no-unmanaged"]) == 1
