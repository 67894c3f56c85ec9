"""The Pulumi codec: plaintext values split out of the spec input, merged back exactly;
a previous spec says which old secret values are unknown instead of guessing."""

from __future__ import annotations

import copy
from typing import Any

from servingops.model import MASK, EndpointSpec, desired_state
from servingops.model.pulumi_inputs import from_inputs, integral, previous_spec, to_inputs

CUSTOM = "served_entities[two].external_model.custom_provider_config.api_key_auth"
OPENAI = "served_entities[one].external_model.openai_config.openai_api_key_plaintext"


def _raw(one: str = "sk-ONE", two: str = "sk-TWO") -> dict[str, Any]:
    return {
        "name": "c",
        "tier": "external",
        "task": "llm/v1/chat",
        "served_entities": [
            {
                "name": "one",
                "external_model": {
                    "provider": "openai",
                    "name": "gpt-4o",
                    "openai_config": {"openai_api_key_plaintext": one},
                },
            },
            {
                "name": "two",
                "external_model": {
                    "provider": "custom",
                    "name": "m",
                    "custom_provider_config": {
                        "custom_provider_url": "http://127.0.0.1:1",
                        "api_key_auth": {"key": "X-Key", "value_plaintext": two},
                    },
                },
            },
        ],
        "traffic": {"one": 50, "two": 50},
    }


def test_split_removes_every_plaintext_value_and_keys_them_by_entity_name() -> None:
    clean, secrets = to_inputs(EndpointSpec.from_mapping(_raw()))
    assert "sk-ONE" not in repr(clean) and "sk-TWO" not in repr(clean)
    assert secrets == {OPENAI: "sk-ONE", f"{CUSTOM}.value_plaintext": "sk-TWO"}
    openai = clean["served_entities"][0]["external_model"]["openai_config"]
    assert openai == {"openai_api_key_plaintext": MASK}


def test_merge_restores_the_original_even_when_entities_are_reordered() -> None:
    raw = _raw()
    clean, secrets = to_inputs(EndpointSpec.from_mapping(raw))
    clean["served_entities"].reverse()  # keys follow names, not positions
    merged = from_inputs(clean, secrets)
    assert {e.name: e.fields for e in merged.served_entities} == {
        e.name: e.fields for e in EndpointSpec.from_mapping(raw).served_entities
    }
    assert "sk-ONE" in repr(raw)  # the input itself is not modified


def test_integral_turns_pulumi_doubles_back_into_ints() -> None:
    assert integral({"a": [1.0, 2.5], "b": {"c": 3.0}}) == {"a": [1, 2.5], "b": {"c": 3}}


def test_previous_spec_knows_secrets_whose_fingerprint_matches_the_record() -> None:
    spec = EndpointSpec.from_mapping(_raw())
    old_input, secrets = to_inputs(spec)
    prev = previous_spec(old_input, desired_state(spec), secrets)
    assert prev.unknown_secrets == ()
    assert prev.spec.served_entities[0].fields == spec.served_entities[0].fields


def test_previous_spec_after_a_key_rotation_marks_the_old_value_unknown() -> None:
    old = EndpointSpec.from_mapping(_raw())
    old_input, _ = to_inputs(old)
    _, new_secrets = to_inputs(EndpointSpec.from_mapping(_raw(one="sk-ROTATED")))
    prev = previous_spec(old_input, desired_state(old), new_secrets)
    assert prev.unknown_secrets == (OPENAI,)


def test_previous_spec_with_a_secret_no_longer_declared_marks_it_unknown() -> None:
    old = EndpointSpec.from_mapping(_raw())
    old_input, secrets = to_inputs(old)
    del secrets[OPENAI]
    prev = previous_spec(copy.deepcopy(old_input), desired_state(old), secrets)
    assert prev.unknown_secrets == (OPENAI,)
    assert MASK not in repr(prev.unknown_secrets)
