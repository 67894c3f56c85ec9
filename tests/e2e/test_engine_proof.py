"""Proof that the real Pulumi engine runs offline here, plus fast checks of its settings.

The e2e test drives a work_dir project (its own Pulumi.yaml and __main__.py) through the
Automation API, so the program runs in the real Python language host and the probe
resource goes through the real dynamic-provider plugin: up, preview, out-of-band drift,
refresh, converge, destroy. No mocks, no inline program.
"""

from __future__ import annotations

import json
import os
import stat
import textwrap
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from pulumi import automation as auto

from providers import engine
from providers.probe import read_value, write_value
from servingops.errors import ToolError

REPO = engine.REPO_ROOT
PROGRAM = """\
import pulumi

from providers.probe import Probe

config = pulumi.Config()
probe = Probe("probe", path=config.require("path"), value=config.require("value"))
pulumi.export("value", probe.value)
"""


# --- fast checks of the offline settings (no engine needed) ---------------------------


def _env(tmp_path: Path, environ: dict[str, str]) -> dict[str, str]:
    return engine.offline_env(
        tmp_path / "repo", pulumi=Path("/opt/pulumi/bin/pulumi"), environ=environ
    )


def test_offline_env_sets_every_offline_variable(tmp_path: Path) -> None:
    env = _env(tmp_path, {"PATH": "/usr/bin"})
    repo = (tmp_path / "repo").resolve()
    assert env["PATH"] == "/opt/pulumi/bin" + os.pathsep + "/usr/bin"
    assert env["PULUMI_BACKEND_URL"] == (repo / ".pulumi-state").as_uri()
    assert env["PULUMI_HOME"] == str(repo / ".servingops" / "pulumi-home")
    assert env["PULUMI_SKIP_UPDATE_CHECK"] == "true"
    assert env["PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION"] == "true"
    assert env["PULUMI_PYTHON_CMD"] == str(repo / ".venv" / "bin" / "python")
    assert env["PULUMI_CONFIG_PASSPHRASE_FILE"] == str(repo / ".servingops" / "passphrase")
    assert (repo / ".pulumi-state").is_dir()


def test_passphrase_file_is_private_random_and_created_once(tmp_path: Path) -> None:
    first = Path(_env(tmp_path, {})["PULUMI_CONFIG_PASSPHRASE_FILE"])
    secret = first.read_text()
    assert stat.S_IMODE(first.stat().st_mode) == 0o600
    assert len(secret.strip()) >= 32
    second = Path(_env(tmp_path, {})["PULUMI_CONFIG_PASSPHRASE_FILE"])
    assert second == first and second.read_text() == secret
    other = engine.offline_env(tmp_path / "repo2", pulumi=Path("/x/pulumi"), environ={})
    assert Path(other["PULUMI_CONFIG_PASSPHRASE_FILE"]).read_text() != secret


@pytest.mark.parametrize(
    "user",
    [
        {"PULUMI_CONFIG_PASSPHRASE": "s3cret"},
        {"PULUMI_CONFIG_PASSPHRASE": ""},
        {"PULUMI_CONFIG_PASSPHRASE_FILE": "/run/secrets/pulumi"},
    ],
)
def test_user_passphrase_is_kept(tmp_path: Path, user: dict[str, str]) -> None:
    env = _env(tmp_path, user)
    assert "PULUMI_CONFIG_PASSPHRASE_FILE" not in env
    assert "PULUMI_CONFIG_PASSPHRASE" not in env
    assert not (tmp_path / "repo" / ".servingops" / "passphrase").exists()


def test_user_backend_is_kept_unless_a_backend_dir_is_given(tmp_path: Path) -> None:
    user = {"PULUMI_BACKEND_URL": "s3://team-state"}
    assert "PULUMI_BACKEND_URL" not in _env(tmp_path, user)
    env = engine.offline_env(
        tmp_path, pulumi=Path("/x/pulumi"), backend_dir=tmp_path / "b", environ=user
    )
    assert env["PULUMI_BACKEND_URL"] == (tmp_path / "b").resolve().as_uri()


def test_find_pulumi_uses_a_complete_cache_and_names_make_pulumi_otherwise(
    tmp_path: Path,
) -> None:
    environ = {"PATH": "", "SERVINGOPS_CACHE": str(tmp_path)}
    with pytest.raises(ToolError) as err:
        engine.find_pulumi(environ)
    assert "make pulumi" in str(err.value) and engine.PULUMI_VERSION in str(err.value)
    bin_dir = engine.cache_bin_dir(environ)
    assert bin_dir == tmp_path / "pulumi" / f"v{engine.PULUMI_VERSION}" / "bin"
    bin_dir.mkdir(parents=True)
    for name in engine.BUNDLE:
        (bin_dir / name).write_text("#!/bin/sh\n")
        (bin_dir / name).chmod(0o755)
    assert engine.find_pulumi(environ) == bin_dir / "pulumi"
    (bin_dir / "pulumi-language-python").unlink()
    with pytest.raises(ToolError):
        engine.find_pulumi(environ)


def test_version_compatibility_is_major_minor() -> None:
    major_minor = ".".join(engine.PULUMI_VERSION.split(".")[:2])
    assert engine.version_compatible(f"v{major_minor}.7\n")
    assert not engine.version_compatible("v3.1.0")
    assert not engine.version_compatible("")


def test_exports_are_shell_quoted() -> None:
    text = engine.format_exports({"B": "it's", "A": "/p q"})
    assert text == "export A='/p q'\nexport B='it'\"'\"'s'\n"


def test_module_cli_rejects_unknown_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert engine.main(["bogus"]) == 2
    assert "usage: python -m providers.engine" in capsys.readouterr().err


def test_build_script_builds_the_version_engine_expects() -> None:
    script = (REPO / "tools" / "pulumi" / "build.sh").read_text()
    assert f"PULUMI_VERSION={engine.PULUMI_VERSION} " in script
    gomod = (REPO / "tools" / "pulumi" / "go.mod").read_text()
    for module in ("pkg", "sdk"):  # pinned equal, both at the engine's version
        assert f"github.com/pulumi/pulumi/{module}/v3 v{engine.PULUMI_VERSION} " in gomod


# --- the real engine ----------------------------------------------------------------


@pytest.fixture()
def stack(tmp_path: Path) -> Iterator[auto.Stack]:
    """A fresh `dev` stack of a work_dir project, file backend and PULUMI_HOME in tmp."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "Pulumi.yaml").write_text(
        textwrap.dedent(f"""\
            name: servingops-proof
            runtime:
              name: python
              options:
                virtualenv: {REPO / ".venv"}
            """)
    )
    (project / "__main__.py").write_text(PROGRAM)
    opts = engine.workspace_options(
        project,
        pulumi_home=tmp_path / "home",
        backend_dir=tmp_path / "state",
        passphrase_file=tmp_path / "passphrase",
    )
    created = auto.create_stack("dev", work_dir=str(project), opts=opts)
    yield created
    created.workspace.remove_stack("dev", force=True)


def _changes(summary: Mapping[Any, int] | None) -> dict[str, int]:
    """The non-zero, non-`same` operation counts of a summary, keyed by plain strings."""
    counts = {str(getattr(op, "value", op)): n for op, n in (summary or {}).items()}
    return {op: n for op, n in counts.items() if op != "same" and n}


def _resources(stack: auto.Stack) -> list[dict[str, Any]]:
    deployment = stack.export_stack().deployment or {}
    return list(deployment.get("resources") or [])


def _state_value(stack: auto.Stack) -> str:
    (probe,) = [r for r in _resources(stack) if r["type"].endswith(":Probe")]
    return str(probe["outputs"]["value"])


@pytest.mark.e2e
def test_real_engine_up_drift_refresh_converge_destroy(stack: auto.Stack, tmp_path: Path) -> None:
    target = str(tmp_path / "probe.json")
    stack.set_config("path", auto.ConfigValue(target))
    stack.set_config("value", auto.ConfigValue("v1"))

    up = stack.up()
    assert _changes(up.summary.resource_changes) == {"create": 2}
    assert up.outputs["value"].value == "v1" and read_value(target) == "v1"

    assert _changes(stack.preview(expect_no_changes=True).change_summary) == {}

    write_value(target, "changed-out-of-band")
    refreshed = stack.refresh()
    assert _changes(refreshed.summary.resource_changes) == {"update": 1}
    assert _state_value(stack) == "changed-out-of-band"

    assert _changes(stack.preview().change_summary) == {"update": 1}
    with pytest.raises(auto.CommandError):
        stack.preview(expect_no_changes=True)
    converged = stack.up()
    assert _changes(converged.summary.resource_changes) == {"update": 1}
    assert read_value(target) == "v1"
    assert _changes(stack.preview(expect_no_changes=True).change_summary) == {}

    destroyed = stack.destroy()
    assert _changes(destroyed.summary.resource_changes) == {"delete": 2}
    assert read_value(target) is None
    assert "Probe" not in json.dumps(_resources(stack))


def test_an_empty_passphrase_file_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / "passphrase"
    empty.write_text("")
    with pytest.raises(ToolError, match="is empty"):
        engine.ensure_passphrase_file(empty)
