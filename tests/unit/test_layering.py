"""Layers point one way: the core (``servingops/``) never imports an outer layer.

The outer layers are ``pulumi``, ``providers`` and ``plane``. Checked twice: statically,
over every import statement in the core (lazy ones inside functions included), and at
run time, in a fresh interpreter that imports the CLI.

The plane (``plane/``) is a stand-in for the real control plane, so it imports neither
the core nor ``providers`` (it keeps its own rules, held in step by contract tests such
as tests/plane/test_contract_entity_names.py); the model catalogue
(``servingcatalogue/``) is a leaf both sides import, so it imports none of them.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CORE = REPO / "servingops"
FORBIDDEN = {"pulumi", "providers", "plane"}
PLANE_FORBIDDEN = {"servingops", "providers"}
LEAF_FORBIDDEN = {"servingops", "providers", "plane", "pulumi"}


def _imported_roots(path: Path) -> set[str]:
    """The top-level package of every absolute import in ``path``."""
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("path", sorted(CORE.rglob("*.py")), ids=lambda p: str(p.relative_to(REPO)))
def test_core_module_imports_no_outer_layer(path: Path) -> None:
    assert _imported_roots(path) & FORBIDDEN == set()


def _modules(package: str) -> list[Path]:
    return sorted((REPO / package).rglob("*.py"))


def _rel(path: Path) -> str:
    return str(path.relative_to(REPO))


@pytest.mark.parametrize("path", _modules("plane"), ids=_rel)
def test_plane_module_imports_neither_core_nor_providers(path: Path) -> None:
    assert _imported_roots(path) & PLANE_FORBIDDEN == set()


@pytest.mark.parametrize("path", _modules("servingcatalogue"), ids=_rel)
def test_catalogue_is_a_leaf(path: Path) -> None:
    assert _imported_roots(path) & LEAF_FORBIDDEN == set()


def test_importing_the_cli_loads_no_outer_layer(tmp_path: Path) -> None:
    code = "import sys, servingops.cli\nprint('\\n'.join(sorted(sys.modules)))\n"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert {name.split(".")[0] for name in done.stdout.split()} & FORBIDDEN == set()


def test_the_pulumi_program_does_not_import_the_http_stack() -> None:
    """The program runs twice per ``up`` and never calls the API itself (issue 13): it
    must not pay for importing httpx, the client or jsonschema."""
    code = "import sys, providers.program\nprint('\\n'.join(sorted(sys.modules)))\n"
    ran = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(ran.stdout.split())
    assert not loaded & {"httpx", "jsonschema", "servingops.client"}, loaded & {"httpx"}
