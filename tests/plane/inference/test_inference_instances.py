"""The JSON Schema instance generator: every supported keyword yields a valid instance."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plane.inference.instances import UnsupportedSchema, generate_instance

SCHEMAS: list[dict[str, Any]] = [
    {"type": "string"},
    {"type": "string", "minLength": 40},
    {"type": "string", "maxLength": 3},
    {"type": "string", "format": "date-time"},
    {"type": "string", "format": "uuid"},
    {"type": "integer"},
    {"type": "integer", "minimum": -5, "maximum": -3},
    {"type": "integer", "exclusiveMinimum": 0.5, "exclusiveMaximum": 2.5},
    {"type": "integer", "multipleOf": 7, "minimum": 10, "maximum": 30},
    {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 0.001},
    {"type": "number", "multipleOf": 0.1, "minimum": 0.05, "maximum": 3},
    {"type": "number", "minimum": 1e9},
    {"type": "boolean"},
    {"type": "null"},
    {"type": ["null", "integer"]},
    {"enum": ["a", "b", "c"]},
    {"const": {"fixed": [1, 2]}},
    {"type": "array", "items": {"type": "integer"}, "minItems": 3, "maxItems": 4},
    {"type": "array", "maxItems": 0},
    {"type": "array", "items": {"enum": [1, 2, 3]}, "minItems": 3, "uniqueItems": True},
    {"type": "array", "prefixItems": [{"type": "string"}, {"type": "boolean"}], "items": False},
    {"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": False},
    {"type": "object", "required": ["x"], "additionalProperties": {"type": "integer"}},
    {"type": "object", "minProperties": 3},
    {"anyOf": [{"type": "integer"}, {"type": "string"}]},
    {"oneOf": [{"type": "boolean"}, {"type": "string"}]},
    {"allOf": [{"properties": {"a": {"type": "integer"}}, "required": ["a"]}, {"required": ["b"]}]},
    {"$defs": {"n": {"type": "integer", "minimum": 3}}, "$ref": "#/$defs/n"},
    {"definitions": {"s": {"type": "string"}}, "properties": {"s": {"$ref": "#/definitions/s"}}},
    {
        "$defs": {
            "node": {
                "type": "object",
                "properties": {
                    "v": {"type": "integer"},
                    "kids": {"type": "array", "items": {"$ref": "#/$defs/node"}},
                },
                "required": ["v"],
            }
        },
        "$ref": "#/$defs/node",
    },
    {},
]


@pytest.mark.parametrize("schema", SCHEMAS, ids=lambda s: str(s)[:40])
@pytest.mark.parametrize("seed", ["a", "b", "seed-3"])
def test_generated_instance_validates(schema: dict[str, Any], seed: str) -> None:
    jsonschema.validate(generate_instance(schema, seed), schema)


def test_same_seed_same_instance_other_seed_other_instance() -> None:
    schema = {"type": "object", "properties": {"n": {"type": "integer"}, "s": {"type": "string"}}}
    assert generate_instance(schema, "x") == generate_instance(schema, "x")
    assert len({str(generate_instance(schema, s)) for s in "abcdef"}) > 1


def test_external_ref_raises_unsupported_schema() -> None:
    with pytest.raises(UnsupportedSchema, match="not local"):
        generate_instance({"$ref": "other.json#/x"}, "s")


def test_dangling_ref_raises_unsupported_schema() -> None:
    with pytest.raises(UnsupportedSchema, match="does not point inside"):
        generate_instance({"$ref": "#/$defs/missing"}, "s")


_LEAVES = st.sampled_from(
    [
        {"type": "string"},
        {"type": "integer", "minimum": 0, "maximum": 9},
        {"type": "number", "exclusiveMaximum": 1},
        {"type": "boolean"},
        {"enum": ["x", "y"]},
        {"type": "string", "minLength": 2, "maxLength": 4},
    ]
)
_SCHEMAS = st.recursive(
    _LEAVES,
    lambda inner: st.one_of(
        st.builds(
            lambda items, low: {"type": "array", "items": items, "minItems": low},
            inner,
            st.integers(0, 3),
        ),
        st.dictionaries(st.sampled_from("abcd"), inner, min_size=1).map(
            lambda props: {"type": "object", "properties": props, "required": sorted(props)}
        ),
        st.lists(inner, min_size=1, max_size=3).map(lambda branches: {"anyOf": branches}),
    ),
    max_leaves=8,
)


@settings(max_examples=60, deadline=None)
@given(schema=_SCHEMAS, seed=st.text(max_size=8))
def test_random_nested_schemas_validate(schema: dict[str, Any], seed: str) -> None:
    jsonschema.validate(generate_instance(schema, seed), schema)
