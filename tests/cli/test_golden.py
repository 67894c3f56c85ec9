"""Golden cases: ``tests/cases/<case>/`` holds ``endpoints/*.yaml`` and ``expected.txt``.

``expected.txt`` is the exact text output of ``servingops validate endpoints`` run in
the case folder, preceded by an ``exit: N`` line. An optional ``args.txt`` adds flags.
``UPDATE_GOLDEN=1`` rewrites the expected files (review the diff before committing).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from servingops.cli import main

CASES = Path(__file__).resolve().parent.parent / "cases"
CASE_DIRS = sorted(p for p in CASES.iterdir() if (p / "endpoints").is_dir())


def _run(case: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(case)
    args_file = case / "args.txt"
    extra = args_file.read_text().split() if args_file.exists() else []
    code = main(["validate", "endpoints", *extra])
    out = capsys.readouterr()
    assert out.err == "", f"validate wrote to stderr: {out.err}"
    return f"exit: {code}\n{out.out}"


@pytest.mark.parametrize("case", CASE_DIRS, ids=[p.name for p in CASE_DIRS])
def test_golden(
    case: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    got = _run(case, capsys, monkeypatch)
    expected = case / "expected.txt"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        expected.write_text(got)
    assert got == expected.read_text()


def test_there_are_enough_invalid_cases() -> None:
    invalid = [p for p in CASE_DIRS if (p / "expected.txt").read_text().startswith("exit: 1")]
    assert len(invalid) >= 40, [p.name for p in invalid]


@pytest.mark.parametrize("case", CASE_DIRS, ids=[p.name for p in CASE_DIRS])
def test_every_error_names_file_line_col(case: Path) -> None:
    lines = (case / "expected.txt").read_text().splitlines()
    findings = [
        ln for ln in lines if not ln.startswith(" ") and (": error: " in ln or ": warning: " in ln)
    ]
    for line in findings:
        file, row, col, _ = line.split(":", 3)
        assert file.startswith("endpoints/") and int(row) >= 1 and int(col) >= 1, line


def test_precommit_hook_runs_validate_on_endpoint_files() -> None:
    import yaml

    config = yaml.safe_load((CASES.parent.parent / ".pre-commit-config.yaml").read_text())
    hooks = {h["id"]: h for repo in config["repos"] for h in repo["hooks"]}
    hook = hooks["servingops-validate"]
    program, command, *args = hook["entry"].split()
    assert (Path(program).name, command) == ("servingops", "validate")
    assert args == ["--policy", "policies/dev.yaml"]  # the demo stack's policy
    assert "endpoints" in hook["files"]
    repo = CASES.parent.parent
    files = sorted(str(p.relative_to(repo)) for p in (repo / "endpoints").glob("*.yaml"))
    ran = subprocess.run(
        [*hook["entry"].split(), *files], cwd=repo, capture_output=True, text=True, timeout=120
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
