"""Per-stack overlays: deep merge over endpoint files, null removes, bad files are clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from servingops.errors import ConfigError
from servingops.overlay import apply_overlay, load_overlay

BASE = {
    "name": "c",
    "tags": {"team": "a"},
    "ai_gateway": {"rate_limits": [{"calls": 1}], "usage_tracking_config": {"enabled": True}},
    "description": "x",
}


def test_mappings_merge_lists_replace_and_null_removes() -> None:
    out = apply_overlay(
        BASE,
        {
            "tags": {"env": "prod"},
            "description": None,
            "ai_gateway": {"rate_limits": [{"calls": 5}]},
        },
    )
    assert out["tags"] == {"team": "a", "env": "prod"}
    assert out["ai_gateway"] == {
        "rate_limits": [{"calls": 5}],
        "usage_tracking_config": {"enabled": True},
    }
    assert "description" not in out
    assert BASE["tags"] == {"team": "a"}  # input untouched


def test_no_override_is_identity() -> None:
    assert apply_overlay(BASE, None) == BASE


def test_overlay_file_must_map_names_to_mappings(tmp_path: Path) -> None:
    bad = tmp_path / "prod.yaml"
    bad.write_text("support-chat: [1, 2]\n")
    with pytest.raises(ConfigError, match="maps endpoint names to mappings"):
        load_overlay(str(bad))


def test_overlay_yaml_errors_name_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "prod.yaml"
    bad.write_text("a:\n  b: 1\n  b: 2\n")
    with pytest.raises(ConfigError, match=r"prod.yaml:3:3: duplicate key 'b'"):
        load_overlay(str(bad))


def test_missing_overlay_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read overlay"):
        load_overlay(str(tmp_path / "nope.yaml"))


def test_overlay_in_a_symlinked_folder_is_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``overlays/`` replaced by a link in a pull request: same boundary as endpoint files."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "prod.yaml").write_text("c: {tags: {env: TOPSECRET-OVERLAY}}\n")
    (tmp_path / "overlays").symlink_to(elsewhere)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as err:
        load_overlay("overlays/prod.yaml")
    assert "symbolic links are not read" in str(err.value)
    assert "TOPSECRET" not in str(err.value)
    assert err.value.hint


def test_overlay_messages_and_hints_echo_no_control_character(tmp_path: Path) -> None:
    """A duplicate key's hint quotes the key; a file name can hold an escape sequence."""
    dup = tmp_path / "dup.yaml"
    dup.write_text('"a\\x1b[2Jb": {tags: {x: y}}\n"a\\x1b[2Jb": {tags: {x: z}}\n')
    odd = tmp_path / "odd\x1b[2J.yaml"
    odd.write_text("- 1\n")
    for path in (dup, odd):
        with pytest.raises(ConfigError) as err:
            load_overlay(str(path))
        assert "\x1b" not in str(err.value), path
        assert "\\x1b[2J" in str(err.value), path
