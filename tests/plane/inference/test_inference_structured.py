"""Structured outputs: response_format json_schema / json_object give valid JSON text."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
from inference_helpers import answer, chat, make_ctx, query_error

INVOICE = {
    "type": "object",
    "properties": {
        "number": {"type": "string", "minLength": 5, "maxLength": 12},
        "total": {"type": "number", "exclusiveMinimum": 0, "maximum": 1000},
        "currency": {"enum": ["EUR", "USD"]},
        "paid": {"type": "boolean"},
        "lines": {"type": "array", "items": {"$ref": "#/$defs/line"}, "minItems": 2, "maxItems": 3},
        "customer": {"anyOf": [{"$ref": "#/$defs/customer"}, {"type": "null"}]},
        "note": {"type": ["string", "null"]},
    },
    "required": ["number", "total", "currency", "paid", "lines", "customer", "note"],
    "additionalProperties": False,
    "$defs": {
        "line": {
            "type": "object",
            "properties": {
                "sku": {"type": "string", "format": "uuid"},
                "qty": {"type": "integer", "minimum": 1, "maximum": 9},
            },
            "required": ["sku", "qty"],
            "additionalProperties": False,
        },
        "customer": {
            "type": "object",
            "properties": {
                "email": {"type": "string", "format": "email"},
                "kind": {"const": "b2b"},
            },
            "required": ["email", "kind"],
        },
    },
}


def _json_schema_format(schema: dict[str, Any], name: str = "invoice") -> dict[str, Any]:
    return {"type": "json_schema", "json_schema": {"name": name, "schema": schema, "strict": True}}


def _content(body: dict[str, Any]) -> str:
    content = answer(make_ctx(), body)["choices"][0]["message"]["content"]
    assert isinstance(content, str)
    return content


@pytest.mark.parametrize("prompt", ["Extract the invoice", "Another invoice, please", "x"])
def test_json_schema_content_validates(prompt: str) -> None:
    content = _content(chat(prompt, response_format=_json_schema_format(INVOICE)))
    jsonschema.validate(json.loads(content), INVOICE)


def test_json_schema_content_is_deterministic_and_prompt_dependent() -> None:
    fmt = _json_schema_format(INVOICE)
    first = _content(chat("Extract the invoice", response_format=fmt))
    assert first == _content(chat("Extract the invoice", response_format=fmt))
    assert first != _content(chat("A different invoice", response_format=fmt))


def test_json_object_format_gives_a_json_object() -> None:
    content = _content(chat("Reply with OK", response_format={"type": "json_object"}))
    assert json.loads(content) == {"response": "OK"}


def test_text_format_is_plain_text() -> None:
    assert _content(chat("Say hi", response_format={"type": "text"})) == "hi"


def test_invalid_schema_is_refused_naming_where() -> None:
    schema = {"type": "object", "properties": {"a": {"type": 5}}}
    err = query_error(make_ctx(), chat("x", response_format=_json_schema_format(schema)))
    assert (err.status, err.error_code) == (400, "INVALID_PARAMETER_VALUE")
    assert "`response_format.json_schema.schema` is not a valid JSON Schema" in err.message
    assert "properties/a/type" in err.message


def test_non_local_ref_is_refused() -> None:
    schema = {"$ref": "https://example.com/schema.json"}
    err = query_error(make_ctx(), chat("x", response_format=_json_schema_format(schema)))
    assert err.status == 400
    assert "not local" in err.message


def test_oversized_min_items_is_refused_not_built() -> None:
    schema = {"type": "array", "minItems": 10**9}
    err = query_error(make_ctx(), chat("x", response_format=_json_schema_format(schema)))
    assert (err.status, err.error_code) == (400, "INVALID_PARAMETER_VALUE")
    assert "minItems 1000000000 is larger than the 10000 supported" in err.message
