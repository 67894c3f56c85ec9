"""Validate a parsed endpoint file against ``schemas/endpoint.schema.json``.

jsonschema's own messages ("Additional properties are not allowed ('x' was
unexpected)") are rewritten into one finding per problem, placed on the offending
key or value, with expected vs got and a did-you-mean hint where one exists.
"""

from __future__ import annotations

import copy
import difflib
import functools
import re
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker, TypeChecker, validators
from jsonschema.exceptions import ValidationError, best_match

from servingops.diagnostics import ERROR, Diagnostic, json_path
from servingops.redact import is_secret_key, show_key, show_value
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


INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1
_WIDTHS = {INT32_MAX: "32-bit", INT64_MAX: "64-bit"}


def _is_integer(checker: TypeChecker, instance: object) -> bool:
    """JSON Schema calls 60.0 an integer; the API's integer fields do not take 60.0."""
    return isinstance(instance, int) and not isinstance(instance, bool)


@lru_cache(maxsize=64)
def ecma_pattern(pattern: str) -> re.Pattern[str]:
    """``pattern`` compiled with ECMA-262's ``$``: the end of the string, not also before a
    final newline as in Python (python-jsonschema/jsonschema#576). JSON Schema patterns
    are ECMA-262, so ``"gpt\\n"`` must not pass ``^[A-Za-z0-9_-]+$``. A ``$`` outside a
    character class becomes ``\\Z``; escapes (``\\$``) are kept as written."""
    out, in_class, i = [], False, 0
    while i < len(pattern):
        step = 2 if pattern[i] == "\\" else 1
        char, i = pattern[i : i + step], i + step
        if char == "[":
            in_class = True
        elif char == "]":
            in_class = False
        elif char == "$" and not in_class:
            char = "\\Z"
        out.append(char)
    return re.compile("".join(out))


def _pattern(
    validator: Draft202012Validator, pattern: str, instance: object, schema: object
) -> Iterator[ValidationError]:
    """The ``pattern`` keyword with ECMA-262 anchors (``propertyNames`` uses it too)."""
    if isinstance(instance, str) and not ecma_pattern(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


_Validator = validators.extend(
    Draft202012Validator,
    validators={"pattern": _pattern},
    type_checker=Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_integer),
)


@lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    """The schema's validator: ``format`` keywords checked, integers written as integers.

    One rule for every integer field (traffic percentages included): ``60.0`` is
    refused with a hint to write ``60``, since the REST API's fields are int32/int64.
    """
    validator: Draft202012Validator = _Validator(load_schema(), format_checker=_formats())
    return validator


_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+")


def _formats() -> FormatChecker:
    """jsonschema's format checks, with ``email`` as an address, not just "has an @".

    jsonschema's own email check is ``"@" in value`` on purpose
    (python-jsonschema/jsonschema#1284); ``@``, ``a@b@.com`` or a trailing space
    (jsonschema#204, #403) would pass it and bounce at the control plane.
    """
    checker = copy.deepcopy(Draft202012Validator.FORMAT_CHECKER)
    checker.checks("email")(
        lambda value: not isinstance(value, str) or bool(_EMAIL.fullmatch(value))
    )
    return checker


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
    if render is _render_type:
        render = functools.partial(_render_type, written=doc.written.get(path))
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
        hint = _unknown_key_hint(key, allowed, path)
        yield (*path, key), f"unknown key '{show_key(key)}'", hint, True


def _unknown_key_hint(key: str, allowed: list[str], path: Path) -> str:
    if key == "task" and "external_model" in path:
        return "task is set once, at the top level of the file (one task per endpoint)"
    if key == "permissions" and not path and "served_entities" not in allowed:
        return (  # bundles users move their blocks over (databricks/cli#4367: "unknown")
            "a pay-per-token reference does not manage its ACL (the databricks-* endpoint is "
            "the workspace's): remove the key; allowed keys here: " + ", ".join(allowed)
        )
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    if close:
        return f"did you mean '{close[0]}'?"
    return "allowed keys here: " + ", ".join(allowed) if allowed else ""


def _render_required(err: ValidationError, path: Path) -> Iterator[Finding]:
    missing = [k for k in err.validator_value if k not in err.instance]
    for key in missing:
        where = "at the top level" if not path else f"in {json_path(path)}"
        yield path, f"missing required key '{key}' {where}", "", False


def _render_type(err: ValidationError, path: Path, written: str | None = None) -> Iterator[Finding]:
    """``written``: the value's source text, quoted in the hint (``0123``, not 83)."""
    wanted = err.validator_value if isinstance(err.validator_value, list) else [err.validator_value]
    names = " or ".join(TYPE_NAMES.get(str(t), str(t)) for t in wanted)
    got = _describe(err.instance, path)
    hint = ""
    if "string" in wanted and isinstance(err.instance, bool | int | float):
        hint = "quote the value to make it a string" + _quoted(err.instance, path, written)
        if isinstance(err.instance, bool):
            hint = "YAML reads yes/no/on/off/true/false as booleans; quote the value"
    if "integer" in wanted and isinstance(err.instance, float) and err.instance.is_integer():
        hint = f"write {int(err.instance)} without a decimal point (the API takes integers)"
    if not path and "object" in wanted:
        hint = "an endpoint file is a mapping with at least name, tier and task"
    yield path, f"{_field(path)} must be {names}, got {got}", hint, False


def _quoted(value: Any, path: Path, written: str | None) -> str:
    if _is_secret_path(path):
        return ""
    text = written if written is not None else str(value)
    read = "" if text == str(value) else f" (YAML reads {text} as the number {value})"
    return f': "{text}"{read}'


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
    width = _WIDTHS.get(err.validator_value) if isinstance(err.validator_value, int) else None
    hint = f"the control plane stores it as a {width} integer" if width else ""
    yield path, f"{_field(path)} must be {op} {err.validator_value}, got {got}", hint, False


FORMAT_NAMES = {"email": "an email address"}


def _render_format(err: ValidationError, path: Path) -> Iterator[Finding]:
    wanted = FORMAT_NAMES.get(str(err.validator_value), f"a valid {err.validator_value}")
    got = _describe(err.instance, path)
    yield path, f"{_field(path)} must be {wanted}, got {got}", "", False


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
    "format": _render_format,
}


def _field(path: Path) -> str:
    return f"'{show_key(path[-1])}'" if path and isinstance(path[-1], str) else "value"


def _describe(value: Any, path: Path) -> str:
    return show_value(value, secret=_is_secret_path(path))


def _is_secret_path(path: Path) -> bool:
    """Credential fields, and environment variable values (they may hold a credential)."""
    names = [p for p in path if isinstance(p, str)]
    key, parent = (names[-1] if names else ""), (names[-2] if len(names) > 1 else None)
    return parent == "environment_vars" or is_secret_key(key, parent)


def _dedupe(diags: list[Diagnostic]) -> list[Diagnostic]:
    seen: set[tuple[int, int, str]] = set()
    out = []
    for d in diags:
        if (d.line, d.col, d.message) not in seen:
            seen.add((d.line, d.col, d.message))
            out.append(d)
    return out
