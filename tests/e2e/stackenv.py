"""A Pulumi stack of this project in a temp folder, against a local plane (for e2e tests).

``make_stack(tmp, plane, name, files)`` copies the program, writes the endpoint files,
creates the stack (file backend, offline engine settings) and points it at ``plane``.
Every command's output is kept in ``StackEnv.transcript`` so a test can scan it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml
from plane_testing import RunningPlane
from pulumi import automation as auto

from providers import engine

REPO = engine.REPO_ROOT


@dataclass
class StackEnv:
    """One stack, its endpoint folder, the plane it talks to, and everything it printed."""

    stack: auto.Stack
    name: str
    endpoints: Path
    plane: RunningPlane
    http: httpx.Client
    transcript: list[str] = field(default_factory=list)

    def up(self, **kwargs: Any) -> auto.UpResult:
        """``pulumi up``; raises ``CommandError`` (its text kept) when the run fails."""
        try:
            result = self.stack.up(on_output=self.transcript.append, **kwargs)
        except auto.CommandError as err:
            self.transcript.append(str(err))
            raise
        return result

    def preview(self, **kwargs: Any) -> auto.PreviewResult:
        try:
            result = self.stack.preview(on_output=self.transcript.append, diff=True, **kwargs)
        except auto.CommandError as err:
            self.transcript.append(str(err))
            raise
        return result

    def changes(self, result: Any) -> dict[str, int]:
        return {k: v for k, v in (result.summary.resource_changes or {}).items() if k != "same"}

    def write(self, name: str, data: dict[str, Any]) -> None:
        (self.endpoints / f"{name}.yaml").write_text(yaml.safe_dump(data, sort_keys=False))

    def edit(self, name: str, **changes: Any) -> None:
        """Set keys of an endpoint file; ``None`` removes the key."""
        path = self.endpoints / f"{name}.yaml"
        data = yaml.safe_load(path.read_text()) | changes
        self.write(name, {k: v for k, v in data.items() if v is not None})

    def live(self, name: str) -> dict[str, Any] | None:
        response = self.http.get(f"/api/2.0/serving-endpoints/{name}")
        return None if response.status_code == 404 else dict(response.json())

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """The real pulumi CLI on this stack (output kept in the transcript)."""
        env = {**os.environ, **self.stack.workspace.env_vars}
        proc = subprocess.run(
            [str(engine.find_pulumi()), *args, "--stack", self.name, "--non-interactive"],
            cwd=self.stack.workspace.work_dir,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
        self.transcript += [proc.stdout, proc.stderr]
        return proc

    def set_config(self, key: str, value: str, *, secret: bool = False) -> None:
        self.stack.set_config(f"servingops:{key}", auto.ConfigValue(value, secret=secret))

    def outputs(self) -> dict[str, Any]:
        return {k: v.value for k, v in self.stack.outputs().items()}


def owner_tag(detail: dict[str, Any] | None) -> str | None:
    """The ``servingops-stack`` tag of a live endpoint."""
    tags = {t["key"]: t.get("value") for t in (detail or {}).get("tags") or []}
    return tags.get("servingops-stack")


def make_stack(
    tmp: Path, plane: RunningPlane, http: httpx.Client, name: str, files: dict[str, Any]
) -> StackEnv:
    """A new stack ``name`` in ``tmp/name`` with ``files`` as its endpoints folder."""
    project = tmp / name
    endpoints = project / "endpoints"
    endpoints.mkdir(parents=True)
    shutil.copy(REPO / "__main__.py", project / "__main__.py")
    settings = engine.project_settings()
    (project / "Pulumi.yaml").write_text(yaml.safe_dump(settings))
    opts = engine.workspace_options(
        project,
        pulumi_home=tmp / "home",
        backend_dir=tmp / "state",
        passphrase_file=tmp / "passphrase",
    )
    stack = auto.create_or_select_stack(stack_name=name, work_dir=str(project), opts=opts)
    env = StackEnv(stack, name, endpoints, plane, http)
    for file_name, data in files.items():
        env.write(file_name, data)
    env.set_config("endpoints", str(endpoints))
    env.set_config("host", plane.url)
    env.set_config("token", plane.token, secret=True)
    return env
