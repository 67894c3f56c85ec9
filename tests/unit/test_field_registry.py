"""The field registry is derived from the schema: a credential or write-only field added
to the schema is known to every code path (redaction, fingerprints, the Pulumi codec)
without touching code, and a credential-looking field the schema does not mark fails."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from typing import Any

import pytest

from servingops.model import MASK, EndpointSpec
from servingops.model.fields import (
    FieldRegistry,
    Item,
    Sensitivity,
    build_registry,
    format_path,
    is_secret_reference,
    registry,
)
from servingops.model.pulumi_inputs import to_inputs
from servingops.model.state import desired_state
from servingops.redact import redact_payload
from servingops.schemafile import load_schema

# Fields whose names look like credentials but are not (checked by name, reviewed by hand).
NOT_CREDENTIALS = {
    "key",  # api_key_auth.key / rate_limits[].key: a header name, a limit's scope
    "tokens",  # rate_limits[].tokens: a counter
    "max_tokens",  # smoke.max_tokens: a counter
    "microsoft_entra_client_id",  # an id, not a secret
    "aws_region",
}
LOOKS_SECRET = re.compile(r"key|token|secret|password|credential|private", re.IGNORECASE)


def _property_paths(schema: dict[str, Any]) -> Iterator[tuple[tuple[str, ...], str]]:
    """Every leaf (scalar) property of the schema, once."""
    from servingops.model.fields import _walk

    types: dict[tuple[str, ...], set[str]] = {}
    for path, node in _walk(schema, schema, (), frozenset()):
        types.setdefault(path, set()).add(str(node.get("type", "")))
    for path, kinds in types.items():
        if path and not kinds & {"object", "array"}:
            yield path, path[-1]


def unclassified_credentials(schema: dict[str, Any]) -> list[str]:
    """Schema properties named like credentials that the registry does not classify."""
    reg = build_registry(schema)
    return sorted(
        ".".join(path)
        for path, name in _property_paths(schema)
        if LOOKS_SECRET.search(name)
        and name not in NOT_CREDENTIALS
        and "uc_service_credential_name" != name
        and "instance_profile_arn" != name
        and reg.sensitivity.get(path) is None
    )


def _with_new_provider_field(schema: dict[str, Any], prop: dict[str, Any]) -> dict[str, Any]:
    mutated = copy.deepcopy(schema)
    block = mutated["$defs"]["openai_config"]["properties"]
    block["openai_session_token_plaintext"] = prop
    return mutated


def test_the_schema_has_the_twelve_plaintext_fields_of_the_api() -> None:
    plain = [p for p, s in registry().sensitivity.items() if s is Sensitivity.PLAINTEXT_SECRET]
    assert len(plain) == 12  # control-plane-api.md §4
    assert registry().is_write_only(("served_entities", 0, "burst_scaling_enabled"))


def test_every_credential_looking_schema_field_is_classified() -> None:
    assert unclassified_credentials(load_schema()) == []


def test_a_credential_added_without_a_marking_fails_the_check() -> None:
    mutated = _with_new_provider_field(load_schema(), {"type": "string"})
    assert unclassified_credentials(mutated) == [
        "served_entities.[].external_model.openai_config.openai_session_token_plaintext"
    ]


def test_a_marked_credential_added_to_the_schema_reaches_every_code_path() -> None:
    mutated = _with_new_provider_field(load_schema(), {"$ref": "#/$defs/plaintext_secret"})
    reg = build_registry(mutated)
    raw = _spec_with({"openai_api_key": "{{secrets/a/b}}", "openai_session_token_plaintext": "S3"})
    spec = EndpointSpec.from_mapping(raw)
    clean, secrets = to_inputs(spec, reg)
    assert "S3" not in repr(clean) and list(secrets.values()) == ["S3"]
    assert "S3" not in repr(desired_state(spec, reg))
    assert "S3" not in repr(redact_payload(raw, fields=reg))
    # … and the packaged registry, which does not know the field, would have leaked it:
    assert "S3" in repr(to_inputs(spec)[0])


def _spec_with(openai_config: dict[str, str]) -> dict[str, Any]:
    return {
        "name": "e",
        "tier": "external",
        "task": "llm/v1/chat",
        "served_entities": [
            {
                "name": "g",
                "external_model": {
                    "provider": "openai",
                    "name": "gpt-4o",
                    "openai_config": openai_config,
                },
            }
        ],
    }


def test_provider_blocks_come_from_the_schema() -> None:
    blocks = registry().provider_blocks
    assert blocks["amazon-bedrock"] == "amazon_bedrock_config"
    assert blocks["custom"] == "custom_provider_config"
    assert len(blocks) == 9


def test_server_fields_come_from_the_schema() -> None:
    reg: FieldRegistry = registry()
    assert "creator" in reg.server_fields_of(("served_entities", Item("x")))
    assert reg.server_fields_of(("served_entities", 0, "external_model")) == {"task"}


@pytest.mark.parametrize(
    ("parts", "root", "text"),
    [
        (
            ("served_entities", Item("gpt"), "external_model"),
            "",
            "served_entities[gpt].external_model",
        ),
        (("served_entities", 0, "name"), "$", "$.served_entities[0].name"),
        (("tags",), "", "tags"),
    ],
)
def test_one_path_syntax(parts: tuple[Any, ...], root: str, text: str) -> None:
    assert format_path(parts, root=root) == text


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("{{secrets/s/k}}", True),
        ("{{secrets/s/k}}\n", False),  # a block scalar's newline is not part of a reference
        ("{{secrets/s}}", False),
        (" {{secrets/s/k}}", False),
        (MASK, False),
        (None, False),
    ],
)
def test_one_secret_reference_rule(value: Any, ok: bool) -> None:
    assert is_secret_reference(value) is ok
