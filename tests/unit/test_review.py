"""Review summaries: readable values, secrets never shown, verdicts and counts."""

from __future__ import annotations

import json

from servingops.diff import FieldChange
from servingops.model import ChangeGroup
from servingops.review import FORMATS, EndpointChanges, format_json, format_markdown, format_text


def _item() -> EndpointChanges:
    return EndpointChanges.from_changes(
        "chat",
        [
            FieldChange("traffic.gpt", 90, 50, ChangeGroup.CONFIG),
            FieldChange(
                "ai_gateway.rate_limits",
                [{"calls": 100, "key": "user"}],
                [{"calls": 50, "key": "user"}],
                ChangeGroup.AI_GATEWAY,
            ),
            FieldChange(
                "served_entities[gpt].external_model.openai_config",
                {"openai_api_key": "{{secrets/a/b}}"},
                {"openai_api_key": "sk-LEAK"},
                ChangeGroup.CONFIG,
            ),
            FieldChange(
                "served_entities[gpt].x.token_plaintext", "(hidden)", "(hidden)", ChangeGroup.CONFIG
            ),
            FieldChange("tags.owner", None, "bob", ChangeGroup.TAGS),
        ],
    )


def test_text_shows_each_change_with_values() -> None:
    out = format_text([_item(), EndpointChanges("other", "same")])
    assert "~ chat  (update in place)" in out
    assert "~ traffic.gpt: 90 → 50" in out
    assert (
        '~ ai_gateway.rate_limits: [{"calls":100,"key":"user"}] → [{"calls":50,"key":"user"}]'
        in out
    )
    assert "+ tags.owner: 'bob'" in out
    assert "2 endpoint(s): 1 same, 1 update" in out


def test_secrets_are_never_shown_in_any_format() -> None:
    for fmt in (format_text, format_markdown, format_json):
        out = fmt([_item()])
        assert "sk-LEAK" not in out
        assert "(hidden)" in out or "(hidden)" in out


def test_replace_names_its_reason() -> None:
    item = EndpointChanges.from_changes(
        "chat", [FieldChange("route_optimized", False, True, ChangeGroup.REPLACE)]
    )
    assert item.verdict == "replace"
    assert "route_optimized has no update API" in format_text([item])


def test_json_is_machine_readable() -> None:
    body = json.loads(format_json([_item()]))
    first = body["endpoints"][0]
    assert first["verdict"] == "update"
    assert first["changes"][0] == {
        "path": "traffic.gpt",
        "action": "change",
        "group": "config",
        "replace": False,
        "steps": "",
        "old": "90",
        "new": "50",
    }


def test_a_credential_named_environment_variable_set_by_hand_is_hidden_in_reviews() -> None:
    """Drift or a plan against a live endpoint shows its ``environment_vars`` as the
    old value; one named like a credential (``HF_TOKEN``) is hidden in every format."""
    live = {"HF_TOKEN": "hf_LIVESECRET123", "DB_PASSWD": "LIVEPW", "LOG_LEVEL": "debug"}
    change = FieldChange(
        "served_entities[m].environment_vars", live, {"LOG_LEVEL": "info"}, ChangeGroup.CONFIG
    )
    item = EndpointChanges.from_changes("chat", [change])
    for name, render in FORMATS.items():
        out = render([item])
        assert "LIVESECRET" not in out and "LIVEPW" not in out, name
        assert "debug" in out, name


def test_a_single_credential_named_environment_variable_is_hidden_in_reviews() -> None:
    path = "served_entities[m].environment_vars.HF_TOKEN"
    change = FieldChange(path, "hf_LIVESECRET123", None, ChangeGroup.CONFIG)
    out = format_text([EndpointChanges.from_changes("chat", [change])])
    assert "LIVESECRET" not in out and "HF_TOKEN" in out
