"""The Pulumi program and the provider keep the loader's trust boundary.

The program (``providers/program.py``) reads the endpoints folder and the overlay file
through ``servingops.sourcefile``; the provider's ``check`` re-checks in-memory inputs.
A symlink, a FIFO or a case-variant suffix stops the program with the file named (never
the target's content, never "no endpoint files"), and no failure reason carries a raw
control character.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pulumi
import pytest

from providers.endpoint import EndpointProvider
from providers.program import _load
from servingops.errors import ConfigError
from servingops.overlay import load_overlay

VALID = """\
name: chat
tier: external
task: llm/v1/chat
served_entities:
  - name: gpt
    external_model:
      provider: openai
      name: gpt-4o-mini
      openai_config:
        openai_api_key: "{{secrets/llm/openai}}"
"""
TARGET_CONTENT = "root:x:0:0:PROGRAM-BOUNDARY-SECRET"


class FakeConfig:
    """The three ``pulumi.Config`` getters ``_load`` uses, over a plain mapping."""

    def __init__(self, values: dict[str, str]) -> None:
        self.values = values

    def get(self, key: str) -> str | None:
        return self.values.get(key)

    def get_bool(self, key: str) -> bool | None:
        value = self.values.get(key)
        return None if value is None else value == "true"


def _load_folder(folder: Path, **extra: str) -> Any:
    return _load(FakeConfig({"endpoints": str(folder), **extra}))  # type: ignore[arg-type]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "endpoints"
    path.mkdir()
    (tmp_path / "passwd").write_text(f"name: [{TARGET_CONTENT}]\n")
    return path


def test_program_refuses_a_symlinked_endpoint_file(folder: Path) -> None:
    (folder / "chat.yaml").write_text(VALID)
    (folder / "team.yaml").symlink_to(folder.parent / "passwd")
    with pytest.raises(pulumi.RunError) as err:
        _load_folder(folder)
    text = str(err.value)
    assert f"{folder}/team.yaml:1:1: error: symbolic links are not read" in text
    assert TARGET_CONTENT not in text


def test_program_names_a_case_variant_file_instead_of_planning_deletions(folder: Path) -> None:
    (folder / "chat.YAML").write_text(VALID)
    with pytest.raises(pulumi.RunError) as err:
        _load_folder(folder)
    text = str(err.value)
    assert "refusing to plan the deletion" not in text
    assert f"{folder}/chat.YAML:1:1: error: file name ends in '.YAML'" in text


def test_program_output_escapes_control_characters(folder: Path) -> None:
    (folder / "chat.yaml").write_text(VALID + '"x\\nother.yaml:1:1: error: forged\\e[2J": 1\n')
    with pytest.raises(pulumi.RunError) as err:
        _load_folder(folder)
    text = str(err.value)
    assert "unknown key 'x\\nother.yaml:1:1: error: forged\\x1b[2J'" in text
    assert "\x1b" not in text and "\nother.yaml" not in text


def test_overlay_symlink_is_refused(folder: Path) -> None:
    overlay = folder.parent / "prod.yaml"
    overlay.symlink_to(folder.parent / "passwd")
    with pytest.raises(ConfigError) as err:
        load_overlay(str(overlay))
    assert "symbolic links are not read" in str(err.value)
    assert TARGET_CONTENT not in str(err.value)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs POSIX named pipes")
def test_overlay_fifo_is_refused_without_blocking(folder: Path) -> None:
    overlay = folder.parent / "prod.yaml"
    os.mkfifo(overlay)
    with pytest.raises(ConfigError, match=r"not a regular file \(a named pipe"):
        load_overlay(str(overlay))


def test_provider_check_reasons_carry_no_raw_control_character() -> None:
    spec: dict[str, Any] = {
        "name": "chat",
        "tier": "external",
        "task": "llm/v1/chat",
        "served_entities": [
            {
                "name": "gpt",
                "external_model": {
                    "provider": "openai",
                    "name": "gpt-4o-mini",
                    "openai_config": {"openai_api_key": "{{secrets/llm/openai}}"},
                },
            }
        ],
        "x\nother.yaml:1:1: error: forged\u202e": 1,
    }
    failures = EndpointProvider().check({}, {"spec": spec, "source": "chat.yaml"}).failures
    assert failures
    for failure in failures:
        assert failure.reason.isprintable(), failure.reason
        assert "x\\nother.yaml:1:1: error: forged\\u202e" in failure.reason
