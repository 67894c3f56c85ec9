"""Validate a parsed endpoint file against ``schemas/endpoint.schema.json``.

jsonschema's own messages ("Additional properties are not allowed ('x' was
unexpected)") are rewritten into one finding per problem, placed on the offending
key or value, with expected vs got and a did-you-mean hint where one exists.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from servingops.diagnostics import ERROR, Diagnostic, json_path
from servingops.redact import is_secret_key, show_value
from servingops.schemafile import load_schema
from servingops.yamlsrc import Path, YamlDoc

TYPE_NAMES = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "object": "a mapping",
    "array": "a list",
    "null": "null",
}


@lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    return Draft202012Validator(load_schema())


def check_schema(doc: YamlDoc, file: str) -> list[Diagnostic]:
    """Every schema violation in ``doc`` as findings (empty when it conforms)."""
    return check_against(_validator(), doc, file)


def check_against(validator: Draft202012Validator, doc: YamlDoc, file: str) -> list[Diagnostic]:
    """Every violation of ``validator``'s schema in ``doc`` (any of our schemas, e.g. the
    policy schema), rendered and placed like endpoint-file findings."""
    out: list[Diagnostic] = []
    for err in validator.iter_errors(doc.data):
        out.extend(_findings(_deepest(err), doc, file))
    return _dedupe(out)


def _deepest(err: ValidationError) -> ValidationError:
    """For anyOf/oneOf, the branch error that best explains the failure."""
    while err.context:
        best = best_match(err.context)
        if best is None:
            break
        err = best
    return err


def _findings(err: ValidationError, doc: YamlDoc, file: str) -> Iterator[Diagnostic]:
    path: Path = tuple(err.absolute_path)
    render = _RENDERERS.get(str(err.validator), _render_default)
    for sub_path, message, hint, on_key in render(err, path):
        pos = doc.where(sub_path, key=on_key)
        yield Diagnostic(
            file=file,
            line=pos.line,
            col=pos.col,
            severity=ERROR,
            message=message,
            rule=f"schema/{err.validator}",
            json_path=json_path(sub_path),
            hint=hint,
        )


Finding = tuple[Path, str, str, bool]


def _render_additional(err: ValidationError, path: Path) -> Iterator[Finding]:
    allowed = sorted(err.schema.get("properties", {}))
    for key in sorted(set(err.instance) - set(allowed)):
        yield (*path, key), f"unknown key '{key}'", _unknown_key_hint(key, allowed, path), True


def _unknown_key_hint(key: str, allowed: list[str], path: Path) -> str:
    if key == "task" and "external_model" in path:
        return "task is set once, at the top level of the file (one task per endpoint)"
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    if close:
        return f"did you mean '{close[0]}'?"
    return "allowed keys here: " + ", ".join(allowed) if allowed else ""


def _render_required(err: ValidationError, path: Path) -> Iterator[Finding]:
    missing = [k for k in err.validator_value if k not in err.instance]
    for key in missing:
        where = "at the top level" if not path else f"in {json_path(path)}"
        yield path, f"missing required key '{key}' {where}", "", False


def _render_type(err: ValidationError, path: Path) -> Iterator[Finding]:
    wanted = err.validator_value if isinstance(err.validator_value, list) else [err.validator_value]
    names = " or ".join(TYPE_NAMES.get(str(t), str(t)) for t in wanted)
    got = _describe(err.instance, path)
    hint = ""
    if "string" in wanted and isinstance(err.instance, bool | int | float):
        hint = f'quote the value to make it a string: "{err.instance}"'
        if isinstance(err.instance, bool):
            hint = "YAML reads yes/no/on/off/true/false as booleans; quote the value"
    if not path and "object" in wanted:
        hint = "an endpoint file is a mapping with at least name, tier and task"
    yield path, f"{_field(path)} must be {names}, got {got}", hint, False


def _render_enum(err: ValidationError, path: Path) -> Iterator[Finding]:
    options = [str(o) for o in err.validator_value]
    got = _describe(err.instance, path)
    close = difflib.get_close_matches(str(err.instance), options, n=1, cutoff=0.6)
    hint = f"did you mean '{close[0]}'?" if close else ""
    yield path, f"{_field(path)} must be one of {', '.join(options)}; got {got}", hint, False


def _render_bound(err: ValidationError, path: Path) -> Iterator[Finding]:
    ops = {
        "minimum": ">=",
        "maximum": "<=",
        "exclusiveMinimum": ">",
        "exclusiveMaximum": "<",
    }
    op = ops[str(err.validator)]
    got = _describe(err.instance, path)
    yield path, f"{_field(path)} must be {op} {err.validator_value}, got {got}", "", False


def _render_count(err: ValidationError, path: Path) -> Iterator[Finding]:
    kind = "item(s)" if "Items" in str(err.validator) else "character(s)"
    word = "at least" if str(err.validator).startswith("min") else "at most"
    got = len(err.instance)
    message = f"{_field(path)} must have {word} {err.validator_value} {kind}, got {got}"
    yield path, message, "", False


def _render_pattern(err: ValidationError, path: Path) -> Iterator[Finding]:
    got = _describe(err.instance, path)
    hint = ""
    if path and path[-1] == "name":
        hint = "names use only letters, digits, '-' and '_'"
    message = f"{_field(path)} must match {err.validator_value}, got {got}"
    yield path, message, hint, False


def _render_default(err: ValidationError, path: Path) -> Iterator[Finding]:
    yield path, f"{_field(path)}: {err.message}", "", False


_RENDERERS: dict[str, Callable[[ValidationError, Path], Iterator[Finding]]] = {
    "additionalProperties": _render_additional,
    "unevaluatedProperties": _render_additional,
    "required": _render_required,
    "type": _render_type,
    "enum": _render_enum,
    "minimum": _render_bound,
    "maximum": _render_bound,
    "exclusiveMinimum": _render_bound,
    "exclusiveMaximum": _render_bound,
    "minItems": _render_count,
    "maxItems": _render_count,
    "minLength": _render_count,
    "maxLength": _render_count,
    "minProperties": _render_count,
    "pattern": _render_pattern,
}


def _field(path: Path) -> str:
    return f"'{path[-1]}'" if path and isinstance(path[-1], str) else "value"


def _describe(value: Any, path: Path) -> str:
    names = [p for p in path if isinstance(p, str)]
    key, parent = (names[-1] if names else ""), (names[-2] if len(names) > 1 else None)
    return show_value(value, secret=is_secret_key(key, parent))


def _dedupe(diags: list[Diagnostic]) -> list[Diagnostic]:
    seen: set[tuple[int, int, str]] = set()
    out = []
    for d in diags:
        if (d.line, d.col, d.message) not in seen:
            seen.add((d.line, d.col, d.message))
            out.append(d)
    return out
