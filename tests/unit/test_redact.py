"""Secrets are masked in text and payloads; ordinary values survive."""

from __future__ import annotations

import pytest

from servingops.redact import MASK, is_secret_key, redact_payload, redact_text, secret_values

SENTINEL = "sentinel-SECRET-4f9a2b"


def test_given_secrets_are_masked_wherever_they_appear() -> None:
    text = f"token {SENTINEL} was rejected; again: {SENTINEL}."
    assert redact_text(text, [SENTINEL]) == f"token {MASK} was rejected; again: {MASK}."


def test_empty_and_none_secrets_are_ignored() -> None:
    assert redact_text("nothing to hide", ["", None]) == "nothing to hide"


def test_longer_secret_masked_before_its_prefix() -> None:
    assert redact_text("abcdef", ["abc", "abcdef"]) == MASK


@pytest.mark.parametrize(
    ("text", "leak"),
    [
        ("Authorization: Bearer eyJhbGciOi.J9xyz", "eyJhbGciOi"),
        ("authorization: basic dXNlcjpwYXNz", "dXNlcjpwYXNz"),
        ('{"client_secret": "s3cr3t-value", "client_id": "abc"}', "s3cr3t-value"),
        ("access_token=tok123&expires_in=3600", "tok123"),
        ("'openai_api_key_plaintext': 'sk-live-1234'", "sk-live-1234"),
        ("got dapi0123456789abcdef0123456789abcdef from env", "dapi0123456789abcdef"),
        ("-----BEGIN PRIVATE KEY-----\nMIIEvQIB\n-----END PRIVATE KEY-----", "MIIEvQIB"),
        ('"private_key": "-----BEGIN RSA PRIVATE KEY-----\\nAAAA"', "AAAA"),
    ],
)
def test_credential_looking_values_are_masked(text: str, leak: str) -> None:
    out = redact_text(text)
    assert leak not in out
    assert MASK in out


@pytest.mark.parametrize(
    "text",
    [
        '{"max_tokens": 16, "usage": {"prompt_tokens": 3, "total_tokens": 5}}',
        "rate_limits: [{tokens: 1000, renewal_period: minute}]",
        '"openai_api_key": "{{secrets/llm/openai}}"',
        "Endpoint with name 'support-chat' does not exist.",
        "client_id=abc",
    ],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert redact_text(text) == text


def test_payload_masks_secret_keys_recursively() -> None:
    payload = {
        "name": "chat",
        "served_entities": [
            {
                "external_model": {
                    "openai_config": {
                        "openai_api_key_plaintext": SENTINEL,
                        "microsoft_entra_client_secret": SENTINEL,
                        "openai_api_base": "https://example.invalid/v1",
                    },
                    "custom_provider_config": {
                        "api_key_auth": {"key": "X-Api-Key", "value": SENTINEL},
                        "bearer_token_auth": {"token": SENTINEL},
                    },
                }
            }
        ],
        "headers": {"Authorization": f"Bearer {SENTINEL}"},
    }
    out = redact_payload(payload)
    assert SENTINEL not in repr(out)
    config = out["served_entities"][0]["external_model"]
    assert config["openai_config"]["openai_api_key_plaintext"] == MASK
    assert config["openai_config"]["openai_api_base"] == "https://example.invalid/v1"
    assert config["custom_provider_config"]["api_key_auth"] == {"key": "X-Api-Key", "value": MASK}
    assert out["headers"]["Authorization"] == MASK


def test_payload_keeps_references_empties_tags_and_counters() -> None:
    payload = {
        "anthropic_api_key": "{{secrets/llm/anthropic}}",
        "cohere_api_key_plaintext": "",
        "aws_secret_access_key": None,
        "tags": [{"key": "team", "value": "support"}],
        "rate_limits": [{"tokens": 1000, "calls": 0}],
        "usage": {"prompt_tokens": 3},
    }
    assert redact_payload(payload) == payload


def test_payload_does_not_mutate_its_input() -> None:
    payload = {"client_secret": SENTINEL}
    redact_payload(payload)
    assert payload == {"client_secret": SENTINEL}


@pytest.mark.parametrize(
    ("key", "parent", "secret"),
    [
        ("openai_api_key", None, True),
        ("databricks_api_token_plaintext", None, True),
        ("aws_secret_access_key", None, True),
        ("aws_access_key_id", None, True),  # the schema makes it a secret reference
        ("access_token", None, True),
        ("max_tokens", None, False),
        ("tokens", None, False),
        ("value", "api_key_auth", True),
        ("value", "tags", False),
        ("key", "api_key_auth", False),
    ],
)
def test_is_secret_key(key: str, parent: str | None, secret: bool) -> None:
    assert is_secret_key(key, parent) is secret


def test_secret_values_collects_plaintext_but_not_references_or_tag_values() -> None:
    payload = {
        "tags": [{"key": "k", "value": "visible"}],
        "served_entities": [
            {"openai_config": {"openai_api_key_plaintext": SENTINEL, "openai_api_key": ""}},
            {"anthropic_config": {"anthropic_api_key": "{{secrets/s/k}}"}},
            {"custom_provider_config": {"api_key_auth": {"key": "h", "value": "v-secret"}}},
        ],
    }
    assert secret_values(payload) == (SENTINEL, "v-secret")
    assert secret_values(None) == ()


def test_very_short_secrets_do_not_garble_text() -> None:
    assert redact_text("update_config failed", ["t"]) == "update_config failed"
    assert redact_text("token abcdef12 here", ["abcdef12"]) == "token (hidden) here"


def test_json_escaped_secret_in_an_error_body_is_masked() -> None:
    secret = 'pa"ss\\word-é'
    body = '{"error_code": "INVALID", "message": "bad key pa\\"ss\\\\word-\\u00e9"}'
    assert redact_text(body, [secret]) == '{"error_code": "INVALID", "message": "bad key (hidden)"}'


def test_short_secret_is_masked_as_a_whole_token_only() -> None:
    body = '{"message": "token abc rejected", "detail": "abcdef tabcx"}'
    assert redact_text(body, ["abc"]) == (
        '{"message": "token (hidden) rejected", "detail": "abcdef tabcx"}'
    )
