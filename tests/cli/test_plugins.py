"""`servingops NAME` for plugin subcommands: entry-point discovery, dispatch, missing plugins."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

import plane.server
from servingops import cli, plugins
from servingops.cli import main
from servingops.errors import UsageError

REPO = Path(__file__).resolve().parents[2]


def _register(monkeypatch: pytest.MonkeyPatch, *entries: tuple[str, str]) -> None:
    """Make ``entry_points(group=GROUP)`` answer exactly ``entries`` (name, "module:attr")."""
    found = [EntryPoint(name, value, plugins.GROUP) for name, value in entries]

    def fake(*, group: str) -> list[EntryPoint]:
        return found if group == plugins.GROUP else []

    monkeypatch.setattr(plugins, "entry_points", fake)


def _record(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Replace the plane's entry function with one that records its argv and returns 0."""
    calls: list[list[str]] = []

    def fake_main(argv: list[str] | None = None) -> int:
        calls.append(list(argv or []))
        return 0

    monkeypatch.setattr(plane.server, "main", fake_main)
    return calls


def test_the_plane_registers_its_command_as_an_entry_point() -> None:
    entry = plugins.find_commands()["plane"]
    assert entry.value == "plane.server:main"


@pytest.mark.parametrize("prefix", [[], ["--debug"]], ids=["plain", "after-debug"])
def test_plane_arguments_reach_the_plugin_unparsed(
    monkeypatch: pytest.MonkeyPatch, prefix: list[str]
) -> None:
    calls = _record(monkeypatch)
    assert main([*prefix, "plane", "--port", "0", "--db", "x.sqlite"]) == 0
    assert calls == [["--port", "0", "--db", "x.sqlite"]]


def test_plane_help_is_the_plane_own(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["plane", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: plane ") and "--port PORT" in out and "--db DB" in out


def test_top_level_help_lists_the_plane(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "plane     Start the local control plane" in capsys.readouterr().out


def test_missing_plane_is_a_usage_error_with_a_hint(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _register(monkeypatch)
    assert main(["plane", "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert err == (
        "servingops plane: error: the 'plane' command is not installed "
        "(no entry point 'plane' in the group 'servingops.commands')\n"
        f"  hint: {plugins.KNOWN['plane'].hint}\n"
    )


def test_missing_plane_still_shows_in_help(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _register(monkeypatch)
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "plane     Start the local control plane" in capsys.readouterr().out


def test_plugin_that_does_not_import_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _register(monkeypatch, ("plane", "no_such_module_for_servingops:main"))
    assert main(["plane"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("servingops plane: error: the 'plane' command ")
    assert "cannot be loaded: No module named 'no_such_module_for_servingops'" in err
    assert "hint: the local plane ships with servingops" in err


def test_plugin_that_is_not_a_function_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _register(monkeypatch, ("plane", "plane.server:DEFAULT_DB"))
    assert main(["plane"]) == 2
    assert "(plane.server:DEFAULT_DB) is not a function" in capsys.readouterr().err


def test_other_packages_add_commands_the_same_way(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "hello_plugin.py").write_text(
        "def main(argv):\n    print('hello', *argv)\n    return 7\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    _register(monkeypatch, ("hello", "hello_plugin:main"))
    assert main(["hello", "--loud", "x"]) == 7
    assert capsys.readouterr().out == "hello --loud x\n"
    assert cli.plugin_commands()["hello"] == "plugin command (hello_plugin:main)"


def test_unknown_plugin_without_entry_point_gets_the_generic_hint(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _register(monkeypatch)
    with pytest.raises(UsageError) as caught:
        plugins.load_command("hello")
    assert caught.value.hint == "install the package that provides it"


def test_a_plugin_cannot_replace_a_builtin_command(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _register(monkeypatch, ("validate", "no_such_module_for_servingops:main"))
    assert "validate" not in cli.plugin_commands()
    assert main(["validate", str(REPO / "endpoints")]) == 0
    assert "0 error(s)" in capsys.readouterr().out


def test_servingops_plane_without_plugin_has_no_traceback(tmp_path: Path) -> None:
    """In a fresh interpreter whose entry-point lookup finds nothing: exit 2, one message."""
    code = (
        "import sys, servingops.plugins as p\n"
        "p.entry_points = lambda *, group: []\n"
        "from servingops.cli import main\n"
        "sys.exit(main(['plane', '--port', '0']))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=60
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("servingops plane: error: the 'plane' command is not installed")
