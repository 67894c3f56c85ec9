"""Adopting servingops in another repository: build the wheel, install it into a fresh venv,
``servingops init`` a project there, validate, and ``pulumi preview`` / ``up`` it against a
local plane with the real engine — nothing from this checkout on the path.

The wheel is built offline (``pip wheel --no-build-isolation`` with the pinned setuptools);
its dependencies come from the package registry, pinned by constraints.txt.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from plane_testing import RunningPlane, running_plane

from providers import engine

REPO = engine.REPO_ROOT
TOP_SKIP = {"tests", "bench", "build", "dist", "endpoints", "policies", "tools"}
STRICT = "name: strict\nrequired_tags: [cost-center]\n"

pytestmark = pytest.mark.e2e


def _run(args: list[str | Path], cwd: Path, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, f"{args}: exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout + proc.stderr


def _build_wheel(tmp: Path) -> Path:
    """The wheel of a copy of this source tree (so the checkout gets no build/ folder)."""
    source = tmp / "src"
    shutil.copytree(REPO, source, ignore=_skip)
    pip = [sys.executable, "-m", "pip"]
    _run(
        [*pip, "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", tmp / "dist", source], tmp
    )
    [wheel] = (tmp / "dist").glob("servingops-*.whl")
    return wheel


def _skip(folder: str, names: list[str]) -> set[str]:
    """Not copied: hidden files, caches, build output, and top-level folders not shipped."""
    top = TOP_SKIP if Path(folder) == REPO else set()
    junk = {n for n in names if n.startswith(".") or n.endswith(".egg-info")}
    return junk | {n for n in names if n in top or n == "__pycache__"}


def _fresh_venv(project: Path, wheel: Path) -> Path:
    """``project/.venv`` with the wheel and its dependencies. It keeps its own pip: the
    language host lists the venv's packages with ``python -m pip list``."""
    venv = project / ".venv"
    _run([sys.executable, "-m", "venv", venv], project.parent)
    pip = [sys.executable, "-m", "pip", "--python", venv / "bin" / "python", "install", "-q"]
    _run([*pip, "-c", REPO / "constraints.txt", wheel], project.parent)
    return venv


def _pulumi_env(tmp: Path, project: Path, plane: RunningPlane) -> dict[str, str]:
    """A clean environment: the Pulumi CLI on PATH, a file backend, the plane's credentials,
    the project's venv; no variable pointing at this checkout's venv.

    ``PULUMI_PYTHON_CMD`` names the project's venv: the language host built by
    ``make pulumi`` (from sdk v3.79) does not get Pulumi.yaml's ``virtualenv`` option from
    a v3.259 engine (README, "The Pulumi engine, offline"); an official CLI does."""
    keep = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PULUMI_", "DATABRICKS_", "SERVINGOPS_"))
        and k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")
    }
    (tmp / "state").mkdir()
    return {
        **keep,
        "PATH": f"{engine.find_pulumi().parent}{os.pathsep}{keep.get('PATH', '')}",
        "PULUMI_HOME": str(tmp / "pulumi-home"),
        "PULUMI_BACKEND_URL": (tmp / "state").as_uri(),
        "PULUMI_CONFIG_PASSPHRASE": "init-wheel-test",
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        "DATABRICKS_HOST": plane.url,
        "DATABRICKS_TOKEN": plane.token,
        "PULUMI_PYTHON_CMD": str(project / ".venv" / "bin" / "python"),
    }


def _pulumi(project: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(engine.find_pulumi()), *args, "--stack", "dev", "--non-interactive"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_init_then_wheel_then_pulumi_up(tmp_path: Path) -> None:
    wheel = _build_wheel(tmp_path)
    project = tmp_path / "team-endpoints"
    project.mkdir()
    venv = _fresh_venv(project, wheel)
    servingops = venv / "bin" / "servingops"

    assert "wrote" in _run([servingops, "init", project], tmp_path)
    (project / "wheels").mkdir()
    shutil.copy(wheel, project / "wheels" / wheel.name)
    pip = [sys.executable, "-m", "pip", "--python", venv / "bin" / "python", "install", "-q"]
    _run([*pip, "-c", REPO / "constraints.txt", "-r", "requirements.txt"], project)
    where = _run([venv / "bin" / "python", "-c", _WHERE], project)
    assert all(line.startswith(str(venv)) for line in where.split()), where
    assert "0 error(s)" in _run([servingops, "validate", "--policy", "policies/dev.yaml"], project)

    with running_plane(tmp_path / "plane", settle_seconds=0) as plane:
        env = _pulumi_env(tmp_path, project, plane)
        _run([engine.find_pulumi(), "stack", "init", "dev", "--non-interactive"], project, env)

        (project / "policies" / "strict.yaml").write_text(STRICT)
        _pulumi(project, env, "config", "set", "servingops:policy", "policies/strict.yaml")
        refused = _pulumi(project, env, "preview")
        text = refused.stdout + refused.stderr
        assert refused.returncode != 0
        assert "endpoints/chat.yaml:18:7: error: policy 'strict': tag 'cost-center'" in text

        _pulumi(project, env, "config", "rm", "servingops:policy")  # back to policies/dev.yaml
        preview = _pulumi(project, env, "preview")
        assert preview.returncode == 0, preview.stdout + preview.stderr
        assert "+ 3 to create" in preview.stdout  # stack, workspace binding, endpoint

        up = _pulumi(project, env, "up", "--yes")
        assert up.returncode == 0, up.stdout + up.stderr
        with plane.client() as http:
            live = http.get("/api/2.0/serving-endpoints/chat").json()
        tags = {t["key"]: t.get("value") for t in live.get("tags") or []}
        assert tags["servingops-stack"] == "team-endpoints/dev"
        assert tags["team"] == "my-team"
        assert live["state"]["ready"] == "READY"


_WHERE = "import servingops, providers, schemas, servingcatalogue\n" + "\n".join(
    f"print({m}.__file__)" for m in ("servingops", "providers", "schemas", "servingcatalogue")
)
