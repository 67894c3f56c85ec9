"""A plaintext key carried by a YAML alias into another field must not be quoted by
that field's finding (found by the issue-9 review: an enum error echoed it)."""

from __future__ import annotations

from pathlib import Path

from servingops.diagnostics import FORMATTERS
from servingops.loader import check_document, load_endpoints

SECRET = "sk-live-7f3a9c2e8b1d4f6a"

FILE = f"""\
name: chat
tier: external
task: llm/v1/chat
served_entities:
  - name: gpt
    external_model:
      provider: openai
      name: gpt-4o-mini
      openai_config:
        openai_api_key_plaintext: &key {SECRET}
        openai_api_type: *key
"""


def test_an_aliased_plaintext_key_is_not_echoed(tmp_path: Path) -> None:
    path = tmp_path / "chat.yaml"
    path.write_text(FILE)
    result = load_endpoints([path], allow_plaintext=True)
    assert result.report.errors, "the alias lands in an enum field: an error is expected"
    for render in FORMATTERS.values():
        assert SECRET not in render(result.report)


def test_check_document_masks_it_too() -> None:
    data = {
        "name": "chat",
        "tier": "external",
        "task": "llm/v1/chat",
        "served_entities": [
            {
                "name": "gpt",
                "external_model": {
                    "provider": "openai",
                    "name": "gpt-4o-mini",
                    "openai_config": {
                        "openai_api_key_plaintext": SECRET,
                        "openai_api_type": SECRET,
                    },
                },
            }
        ],
    }
    found = check_document(data, "chat.yaml", allow_plaintext=True)
    assert found and all(SECRET not in d.message + d.hint for d in found)
