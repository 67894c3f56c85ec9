"""Plaintext values are split out of specs and merged back exactly."""

from __future__ import annotations

from servingops.secrets import PLACEHOLDER, merge_secrets, split_secrets

RAW = {
    "name": "c",
    "served_entities": [
        {"external_model": {"openai_config": {"openai_api_key_plaintext": "sk-ONE"}}},
        {
            "external_model": {
                "custom_provider_config": {
                    "api_key_auth": {"key": "X-Key", "value_plaintext": "sk-TWO"}
                }
            }
        },
    ],
}


def test_split_removes_every_plaintext_value() -> None:
    clean, secrets = split_secrets(RAW)
    assert "sk-ONE" not in repr(clean) and "sk-TWO" not in repr(clean)
    custom = "served_entities[1].external_model.custom_provider_config.api_key_auth"
    assert secrets == {
        "served_entities[0].external_model.openai_config.openai_api_key_plaintext": "sk-ONE",
        f"{custom}.value_plaintext": "sk-TWO",
    }
    assert clean["served_entities"][0]["external_model"]["openai_config"] == {
        "openai_api_key_plaintext": PLACEHOLDER
    }


def test_merge_restores_the_original() -> None:
    clean, secrets = split_secrets(RAW)
    assert merge_secrets(clean, secrets) == RAW
    assert "sk-ONE" in repr(RAW)  # the input itself is not modified
