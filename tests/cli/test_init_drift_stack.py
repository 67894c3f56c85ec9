"""The scheduled drift job that `servingops init` writes checks the stack it deploys.

The templates deploy the stack `prod` (`pulumi up --stack prod`, `Pulumi.prod.yaml`),
whose endpoints carry `servingops-stack: <project>/prod`. Their drift command gave no
`--stack`, so drift took `$SERVINGOPS_STACK` or `local`: an endpoint of prod whose file
was deleted (an orphan: restore the file or delete it) was reported as `foreign`
("another stack's endpoint: leave it").
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from plane_testing import RunningPlane, running_plane

from servingops.auth import BearerToken
from servingops.cli import main
from servingops.client import ControlPlaneClient
from servingops.init import init_project
from servingops.loader import load_endpoints
from servingops.model import rest

PROJECT = "acme-llm"
# the drift command line of each CI template (not its comments), up to a redirection
DRIFT_COMMAND = re.compile(r"^\s*(?:- )?(servingops drift [^>|#\n]*)", re.MULTILINE)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    root = tmp_path / "repo"
    init_project(root, name=PROJECT)
    monkeypatch.chdir(root)
    monkeypatch.delenv("SERVINGOPS_STACK", raising=False)
    monkeypatch.setenv("SERVINGOPS_RETRY_BUDGET", "2")
    with running_plane(tmp_path, settle_seconds=0) as plane:
        monkeypatch.setenv("DATABRICKS_HOST", plane.url)
        monkeypatch.setenv("DATABRICKS_TOKEN", plane.token)
        _prod_orphan(plane, root)
        yield root


def _prod_orphan(plane: RunningPlane, root: Path) -> None:
    """An endpoint `pulumi up --stack prod` made, whose file was deleted since."""
    example = load_endpoints([root / "endpoints"]).specs[0]
    spec = replace(example, name="retired-chat", owner=f"{PROJECT}/prod", source="")
    with ControlPlaneClient(plane.url, BearerToken(plane.token)) as client:
        client.create_endpoint(rest.create_body(spec))


@pytest.mark.parametrize("template", [".github/workflows/drift.yml", ".gitlab-ci.yml"])
def test_the_template_drift_job_reports_a_prod_orphan_as_an_orphan(
    project: Path, template: str, capsys: pytest.CaptureFixture[str]
) -> None:
    commands = DRIFT_COMMAND.findall((project / template).read_text("utf-8"))
    assert len(commands) == 1, commands
    argv = shlex.split(commands[0])[1:]

    assert main([*argv, "--format", "json"]) == 2

    out = capsys.readouterr().out
    assert '"endpoint": "retired-chat"' in out
    assert '"verdict": "orphan"' in out
    assert '"verdict": "foreign"' not in out
