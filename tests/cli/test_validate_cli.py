"""`servingops validate`: formats, exit codes, large files, secrets never echoed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from servingops.cli import main

REPO = Path(__file__).resolve().parents[2]
CASES = REPO / "tests" / "cases"


def test_examples_validate_clean(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(REPO / "endpoints")]) == 0
    assert "0 error(s), 0 warning(s)" in capsys.readouterr().out


def test_json_format_lists_every_finding(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        ["validate", str(CASES / "many-problems-two-files" / "endpoints"), "--format", "json"]
    )
    body = json.loads(capsys.readouterr().out)
    assert code == 1
    assert body["files"] == 3 and body["errors"] == len(body["diagnostics"]) == 5
    first = body["diagnostics"][0]
    assert {"file", "line", "col", "severity", "message", "rule", "json_path", "hint"} <= set(first)


def test_github_format_prints_annotations(capsys: pytest.CaptureFixture[str]) -> None:
    main(["validate", str(CASES / "traffic-sum" / "endpoints"), "--format", "github"])
    out = capsys.readouterr().out
    assert out.startswith("::error file=")
    assert ",line=17,col=10,title=traffic-sum::traffic must sum to 100, got 90" in out


def test_strict_turns_warnings_into_findings(capsys: pytest.CaptureFixture[str]) -> None:
    folder = str(CASES / "rate-limit-zero-warning" / "endpoints")
    assert main(["validate", folder]) == 0
    assert main(["validate", folder, "--strict"]) == 1


def test_missing_path_is_a_finding_not_a_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "no/such/folder"]) == 1
    assert "no/such/folder:1:1: error: no such file or folder" in capsys.readouterr().out


def test_ten_megabyte_file_is_refused_cleanly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    big = tmp_path / "big.yaml"
    big.write_text("name: big\ndescription: '" + "x" * (10 * 1024 * 1024) + "'\n")
    assert main(["validate", str(big)]) == 1
    out = capsys.readouterr().out
    assert "file is too large (10,485,786 bytes; the limit is 1,048,576 bytes, 1 MiB)" in out


def test_plaintext_values_never_appear_in_any_format(capsys: pytest.CaptureFixture[str]) -> None:
    for case in ("plaintext-refused", "secret-ref-raw-key", "secret-pair-both"):
        for fmt in ("text", "json", "github"):
            main(["validate", str(CASES / case / "endpoints"), "--format", fmt])
            out = capsys.readouterr().out
            assert "SENTINEL" not in out, (case, fmt)


def test_usage_error_exits_2_without_traceback() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "servingops.cli", "validate", "--format", "xml"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "invalid choice: 'xml'" in proc.stderr and "Traceback" not in proc.stderr


def test_a_crash_on_one_file_is_a_finding_and_other_files_are_still_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import servingops.loader as loader

    real = loader._check_file

    def flaky(path: Path, *args: object) -> object:
        if path.name == "boom.yaml":
            raise RuntimeError("simulated bug")
        return real(path, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(loader, "_check_file", flaky)
    (tmp_path / "boom.yaml").write_text("name: boom\n")
    (tmp_path / "other.yaml").write_text("name: other\n")
    assert main(["validate", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "boom.yaml:1:1: error: internal error while checking this file" in out
    assert "other.yaml:1:1: error: missing required key 'tier'" in out
