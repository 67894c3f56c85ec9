"""The loader's trust boundary: which files are read, and how (``servingops.sourcefile``).

Each test builds the hostile tree in ``tmp_path`` and runs ``servingops validate`` on it
as CI would: a finding naming the file, a reason and a hint, never the content of a file
that was not parsed as YAML, never a hang.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest

from servingops.cli import main
from servingops.loader import load_endpoints
from servingops.sourcefile import decode_source, read_source
from servingops.yamlsrc import YamlProblem

VALID = """\
name: {name}
tier: external
task: llm/v1/chat
served_entities:
  - name: gpt
    external_model:
      provider: openai
      name: gpt-4o-mini
      openai_config:
        openai_api_key: "{{{{secrets/llm/openai}}}}"
"""
SECRET_CONTENT = "root:x:0:0:TOPSECRET-CONTENT-7f3a"


def _validate(capsys: pytest.CaptureFixture[str], *paths: Path) -> tuple[int, str]:
    code = main(["validate", *map(str, paths)])
    return code, capsys.readouterr().out


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "endpoints"
    path.mkdir()
    return path


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A file outside the endpoints folder whose content must never be echoed."""
    path = tmp_path / "passwd"
    path.write_text(f"name: [{SECRET_CONTENT}]\n")
    return path


def test_symlink_to_a_file_outside_is_refused_without_echoing_it(
    folder: Path, outside: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (folder / "team.yaml").symlink_to(outside)
    code, out = _validate(capsys, folder)
    assert code == 1
    assert f"{folder}/team.yaml:1:1: error: symbolic links are not read, wherever they point" in out
    assert "hint: commit the endpoint file itself" in out
    assert SECRET_CONTENT not in out


def test_symlink_to_a_file_inside_the_folder_is_refused_too(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (folder / "chat.yaml").write_text(VALID.format(name="chat"))
    (folder / "alias.yaml").symlink_to(folder / "chat.yaml")
    code, out = _validate(capsys, folder)
    assert code == 1
    assert f"{folder}/alias.yaml:1:1: error: symbolic links are not read" in out
    assert "2 file(s) checked: 1 error(s)" in out


def test_symlink_named_on_the_command_line_is_refused(
    folder: Path, outside: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    link = folder / "team.yaml"
    link.symlink_to(outside)
    code, out = _validate(capsys, link)
    assert code == 1 and "symbolic links are not read" in out and SECRET_CONTENT not in out


def test_symlink_to_dev_zero_is_refused_at_once(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (folder / "zero.yaml").symlink_to("/dev/zero")
    start = time.monotonic()
    code, out = _validate(capsys, folder)
    assert code == 1 and "zero.yaml:1:1: error: symbolic links are not read" in out
    assert time.monotonic() - start < 5


def test_symlinked_folder_is_not_followed(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "x.yaml").write_text(f"{SECRET_CONTENT}: [\n")
    (folder / "more").symlink_to(elsewhere)
    code, out = _validate(capsys, folder)
    assert code == 1 and f"{folder}/more:1:1: error: symbolic links are not read" in out
    assert "x.yaml" not in out and SECRET_CONTENT not in out


def test_folder_named_like_an_endpoint_file_is_refused(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (folder / "team.yaml").mkdir()
    code, out = _validate(capsys, folder)
    assert code == 1
    assert f"{folder}/team.yaml:1:1: error: not a regular file (a folder) [yaml]" in out


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs POSIX named pipes")
def test_fifo_is_refused_without_blocking(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    os.mkfifo(folder / "pipe.yaml")
    start = time.monotonic()
    code, out = _validate(capsys, folder)
    assert code == 1 and "pipe.yaml:1:1: error: not a regular file (a named pipe (FIFO))" in out
    assert time.monotonic() - start < 5


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs POSIX named pipes")
def test_read_source_refuses_a_fifo_swapped_in_after_the_search(tmp_path: Path) -> None:
    """The read itself re-checks (fstat on the open file), so a race cannot slip one in."""
    os.mkfifo(tmp_path / "pipe.yaml")
    with pytest.raises(YamlProblem, match=r"not a regular file \(a named pipe"):
        read_source(tmp_path / "pipe.yaml")


def test_read_source_refuses_a_symlink_swapped_in_after_the_search(
    tmp_path: Path, outside: Path
) -> None:
    (tmp_path / "x.yaml").symlink_to(outside)
    with pytest.raises(YamlProblem, match="symbolic links are not read"):
        read_source(tmp_path / "x.yaml")


@pytest.mark.parametrize("name", ["chat.YAML", "chat.Yml", "chat.yAmL", "chat.YML"])
def test_upper_case_suffix_is_a_finding_not_a_silent_skip(
    folder: Path, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (folder / name).write_text(VALID.format(name="chat"))
    code, out = _validate(capsys, folder)
    suffix = name.split(".")[1]
    assert code == 1
    assert f"{folder}/{name}:1:1: error: file name ends in '.{suffix}'" in out
    assert f"hint: rename it to chat.{suffix.lower()}" in out
    assert "1 file(s) checked: 1 error(s)" in out


def test_folder_with_only_ignored_files_says_why_nothing_was_checked(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (folder / "README.md").write_text("# endpoints\n")
    (folder / "chat.json").write_text("{}\n")
    code, out = _validate(capsys, folder)
    assert code == 0
    assert out == (
        "0 file(s) checked: 0 error(s), 0 warning(s) "
        "(2 other file(s) ignored: only *.yaml and *.yml files are read)\n"
    )


def test_empty_folder_says_no_endpoint_files_were_found(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out = _validate(capsys, folder)
    assert out == "0 file(s) checked: 0 error(s), 0 warning(s) (no *.yaml or *.yml files found)\n"


def test_file_named_on_the_command_line_is_read_whatever_its_suffix(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = folder / "chat.txt"
    path.write_text(VALID.format(name="chat"))
    code, out = _validate(capsys, path)
    assert (code, out) == (0, "1 file(s) checked: 0 error(s), 0 warning(s)\n")


def test_utf8_bom_is_accepted(folder: Path) -> None:
    (folder / "chat.yaml").write_bytes(b"\xef\xbb\xbf" + VALID.format(name="chat").encode())
    result = load_endpoints([folder])
    assert result.ok, result.report.diagnostics
    assert [s.name for s in result.specs] == ["chat"]


@pytest.mark.parametrize(
    ("encoding", "name"),
    [("utf-16", "UTF-16"), ("utf-32", "UTF-32")],
)
def test_utf16_and_utf32_are_refused_with_a_hint(
    folder: Path, encoding: str, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (folder / "chat.yaml").write_bytes(VALID.format(name="chat").encode(encoding))
    code, out = _validate(capsys, folder)
    assert code == 1
    assert f"chat.yaml:1:1: error: file is {name} text; only UTF-8 is read [yaml]" in out
    assert "hint: save it as UTF-8" in out


def test_utf16_without_a_bom_is_refused_as_nul_bytes(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (folder / "chat.yaml").write_bytes(VALID.format(name="chat").encode("utf-16-le"))
    code, out = _validate(capsys, folder)
    assert code == 1 and "chat.yaml:1:2: error: file contains NUL bytes" in out


def test_size_cap_reads_no_more_than_the_limit(folder: Path) -> None:
    big = folder / "big.yaml"
    with big.open("wb") as fh:
        fh.truncate(50 * 1024 * 1024)  # sparse: 50 MB of NUL bytes, nothing on disk
    with pytest.raises(YamlProblem, match=r"too large \(52,428,800 bytes; the limit is 1,048,576"):
        read_source(big)


def test_decode_source_positions_a_bad_byte() -> None:
    with pytest.raises(YamlProblem) as err:
        decode_source(b"name: a\ntier: \xff\n")
    assert (err.value.pos.line, err.value.pos.col) == (2, 7)


def test_unreadable_subfolder_is_a_finding_not_a_silent_skip(
    folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (folder / "team").mkdir()
    (folder / "team" / "chat.yaml").write_text(VALID.format(name="chat"))
    real_scandir = os.scandir

    def scandir(path: Any) -> Any:
        if Path(path) == folder / "team":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    code, out = _validate(capsys, folder)
    assert code == 1
    assert f"{folder}/team:1:1: error: cannot read folder: Permission denied [yaml]" in out


@pytest.mark.skipif(not Path("/dev/null").exists(), reason="needs /dev/null")
def test_device_named_on_the_command_line_is_refused_without_reading(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out = _validate(capsys, Path("/dev/null"))
    assert code == 1
    assert "/dev/null:1:1: error: not a regular file (a character device) [yaml]" in out
    with pytest.raises(YamlProblem, match=r"not a regular file \(a character device\)"):
        read_source(Path("/dev/null"))


def test_the_endpoints_folder_itself_committed_as_a_symlink_is_not_followed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pull request replaces ``endpoints/`` by a link to a folder of credential files
    (``~/.config/gh``: ``hosts.yml``): ``validate`` in CI must not read them."""
    secrets = tmp_path / "home" / ".config"
    secrets.mkdir(parents=True)
    (secrets / "hosts.yml").write_text(f"name: {SECRET_CONTENT}\n")
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    (checkout / "endpoints").symlink_to(secrets)
    monkeypatch.chdir(checkout)
    for args in (["validate"], ["validate", "endpoints/"], ["validate", "endpoints/hosts.yml"]):
        code, out = _validate(capsys, *args[1:])
        assert code == 1, args
        assert "endpoints:1:1: error: symbolic links are not read" in out, args
        assert SECRET_CONTENT not in out and "hosts.yml" not in out, args


def test_a_symlinked_folder_inside_a_named_path_is_not_followed(
    folder: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """CI passes the changed files (``endpoints/team/x.yaml``); ``team`` may be a link."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "x.yaml").write_text(f"name: {SECRET_CONTENT}\n")
    (folder / "team").symlink_to(elsewhere)
    monkeypatch.chdir(tmp_path)
    for named in (Path("endpoints/team/x.yaml"), folder / "team" / "x.yaml"):
        code, out = _validate(capsys, named)
        assert code == 1 and "endpoints/team:1:1: error: symbolic links are not read" in out
        assert SECRET_CONTENT not in out


def test_a_link_above_the_working_folder_is_the_operators_choice(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An absolute path outside the working folder: only its last component is checked
    (macOS's ``/tmp`` is a link to ``/private/tmp``)."""
    (folder / "chat.yaml").write_text(VALID.format(name="chat"))
    (tmp_path / "via").symlink_to(folder)
    code, out = _validate(capsys, tmp_path / "via" / "chat.yaml")
    assert code == 0, out


def test_a_very_deep_folder_tree_is_searched_without_recursion(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``os.walk`` recurses once per level: 1,500 nested folders (3,000 characters, a
    path git and Linux can hold) raised RecursionError, and the run ended with no
    finding for any file."""
    (folder / "chat.yaml").write_text(VALID.format(name="chat"))
    deep = folder
    for _ in range(1500):  # Path.mkdir(parents=True) recurses too
        deep = deep / "d"
        deep.mkdir()
    (deep / "x.yaml").write_text("name: [deep\n")
    try:
        code, out = _validate(capsys, folder)
    finally:  # shutil.rmtree (pytest's clean-up) recurses too
        (deep / "x.yaml").unlink()
        while deep != folder:
            deep.rmdir()
            deep = deep.parent
    assert code == 1, out[-300:]
    assert "2 file(s) checked: 1 error(s)" in out
    assert "/d/x.yaml:2:1: error: YAML syntax error" in out


def test_a_file_one_byte_over_the_cap_says_so_in_bytes(folder: Path) -> None:
    """At the edge "1.0 MB; the limit is 1 MB" read as within the limit."""
    edge = folder / "edge.yaml"
    edge.write_bytes(b"#" * (1024 * 1024) + b"\n")
    with pytest.raises(YamlProblem) as err:
        read_source(edge)
    assert err.value.message == (
        "file is too large (1,048,577 bytes; the limit is 1,048,576 bytes, 1 MiB)"
    )
    (folder / "under.yaml").write_bytes(b"#" * (1024 * 1024 - 1) + b"\n")
    assert len(read_source(folder / "under.yaml")) == 1024 * 1024
