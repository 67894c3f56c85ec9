"""Structured outputs: ``response_format`` validation and the JSON text that honours it.

- ``{"type": "text"}``: ordinary text.
- ``{"type": "json_object"}``: a JSON object, ``{"response": <the text answer>}``.
- ``{"type": "json_schema", "json_schema": {"name", "schema", "strict"?}}``: JSON text
  generated from the schema (``instances.generate_instance``), so it validates.
"""

from __future__ import annotations

import json
from typing import Any

import jsonschema
from jsonschema.validators import validator_for

from plane.inference.context import bad_request, invalid_value
from plane.inference.instances import UnsupportedSchema, generate_instance

__all__ = ["check_json_schema", "structured_content", "validate_response_format"]

_TYPES = ("text", "json_object", "json_schema")


def validate_response_format(fmt: Any) -> None:
    """Raise a 400 naming the field when ``response_format`` is malformed."""
    kind = fmt.get("type") if isinstance(fmt, dict) else None
    if kind not in _TYPES:
        raise invalid_value(
            f"`response_format.type` must be one of {', '.join(_TYPES)}; got {kind!r}"
        )
    if kind == "json_schema":
        _validate_json_schema(fmt.get("json_schema"))


def _validate_json_schema(spec: Any) -> None:
    """``json_schema`` needs a ``name`` and a ``schema`` that is itself a valid JSON Schema."""
    if not isinstance(spec, dict):
        raise bad_request("`response_format.json_schema` is required for type json_schema")
    if not isinstance(spec.get("name"), str) or not spec["name"]:
        raise bad_request("`response_format.json_schema.name` is required (a string)")
    if spec.get("strict") is not None and not isinstance(spec["strict"], bool):
        raise invalid_value("`response_format.json_schema.strict` must be true or false")
    schema = spec.get("schema")
    if not isinstance(schema, dict):
        raise bad_request("`response_format.json_schema.schema` is required (a JSON Schema object)")
    check_json_schema("response_format.json_schema.schema", schema)


def check_json_schema(field: str, schema: dict[str, Any]) -> None:
    """Raise a 400 naming ``field`` and the spot when ``schema`` is not a valid JSON Schema."""
    try:
        validator_for(schema, default=jsonschema.Draft202012Validator).check_schema(schema)
    except jsonschema.SchemaError as err:
        where = "/".join(str(p) for p in err.path) or "(root)"
        raise invalid_value(
            f"`{field}` is not a valid JSON Schema at {where}: {err.message}"
        ) from None


def structured_content(fmt: dict[str, Any] | None, answer: str, seed: str) -> str:
    """The message content for ``fmt``: ``answer`` itself, or JSON text honouring the format."""
    kind = (fmt or {}).get("type", "text")
    if kind == "json_object":
        return json.dumps({"response": answer})
    if kind != "json_schema" or fmt is None:
        return answer
    spec = fmt["json_schema"]
    try:
        return json.dumps(generate_instance(spec["schema"], f"{seed}\x00{spec['name']}"))
    except UnsupportedSchema as err:
        raise invalid_value(f"`response_format.json_schema.schema`: {err}") from None
