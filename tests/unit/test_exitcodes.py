"""Exit codes: usage errors, internal errors and interrupts per command, and the README
table, which must say what ``servingops.exitcodes`` says."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from servingops import cli
from servingops.exitcodes import COMMANDS, INTERRUPTED, codes_for

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.mark.parametrize(
    ("argv", "code"),
    [
        ([], 2),
        (["nonsense"], 2),
        (["validate", "--bogus"], 2),
        (["validate", "--format", "xml"], 2),
        (["drift", "--bogus"], 1),
        (["drift", "--format", "xml"], 1),
        (["diff", "--base"], 1),
        (["smoke", "--jobs", "0"], 1),
        (["smoke", "--jobs", "many"], 1),
        (["smoke", "--jobs", "101"], 1),
        (["smoke", "--timeout", "-1"], 1),
        (["export"], 1),
    ],
)
def test_usage_errors_exit_with_the_commands_usage_code(
    argv: list[str], code: int, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(argv) == code
    err = capsys.readouterr().err
    assert "usage: servingops" in err and "error:" in err and "Traceback" not in err


def test_unrecognized_arguments_name_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["drift", "endpoints", "--frmat", "json"]) == 1
    assert "servingops drift: error: unrecognized arguments: --frmat" in capsys.readouterr().err


def _raise(exc: BaseException) -> Any:
    def command(*_args: Any, **_kwargs: Any) -> Any:
        raise exc

    return command


@pytest.mark.parametrize(("command", "code"), [("drift", 1), ("smoke", 1), ("validate", 1)])
def test_an_internal_error_exits_1_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: str,
    code: int,
) -> None:
    monkeypatch.setattr(cli, "_specs", _raise(RuntimeError("boom")))
    monkeypatch.setattr(cli, "load_endpoints", _raise(RuntimeError("boom")))
    assert cli.main([command, "endpoints"]) == code
    err = capsys.readouterr().err
    assert "internal error: RuntimeError: boom" in err and "Traceback" not in err


@pytest.mark.parametrize("command", ["validate", "drift", "diff", "smoke"])
def test_ctrl_c_exits_130(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    monkeypatch.setattr(cli, "_specs", _raise(KeyboardInterrupt()))
    monkeypatch.setattr(cli, "load_endpoints", _raise(KeyboardInterrupt()))
    assert cli.main([command, "endpoints"]) == INTERRUPTED == 130
    assert "interrupted" in capsys.readouterr().err


def test_missing_credentials_are_a_usage_error_of_each_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    for var in ("DATABRICKS_HOST", "DATABRICKS_TOKEN", "DATABRICKS_CLIENT_ID"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(cli, "_specs", lambda _args: [])
    for command in ("drift", "smoke", "diff"):
        assert cli.main([command]) == codes_for(command).usage == 1
    assert "DATABRICKS_HOST" in capsys.readouterr().err


def _readme_table() -> dict[str, tuple[str, str, str]]:
    """Rows of the README's exit-code table: command -> (clean, error, findings)."""
    text = README.read_text("utf-8")
    section = text.split("### Exit codes", 1)[1].split("\n#", 1)[0]
    rows: dict[str, tuple[str, str, str]] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0].startswith("`"):
            for command in re.findall(r"`(?:servingops )?([a-z]+)[^`]*`", cells[0]):
                rows[command] = (cells[1], cells[2], cells[3])
    return rows


def test_the_readme_table_says_what_the_code_does() -> None:
    rows = _readme_table()
    assert set(rows) == set(COMMANDS)
    for command, codes in COMMANDS.items():
        clean, error, findings = rows[command]
        assert clean.startswith(str(codes.ok)), command
        assert error.startswith(str(codes.error)), command
        assert f"{codes.usage} usage" in error or codes.usage == codes.error, command
        assert findings.startswith(str(codes.findings)) or findings == "–", command
