"""Deterministic instances of a JSON Schema: tool-call arguments and structured outputs.

``generate_instance(schema, seed)`` returns a value that validates against ``schema``
for the keywords below, and the same value for the same ``(schema, seed)``.

Supported: ``type`` (a name or a list: the first non-null wins), ``properties`` (every
property is generated; below ``MAX_DEPTH`` only the required ones), ``required``,
``additionalProperties`` (for required names without a property schema),
``minProperties``, ``enum``, ``const``, ``items``, ``prefixItems``, ``minItems``,
``maxItems``, ``uniqueItems``, ``minimum``, ``maximum``, ``exclusiveMinimum``,
``exclusiveMaximum``, ``multipleOf``, ``minLength``, ``maxLength``, common ``format``
values, ``allOf`` (merged), ``anyOf``/``oneOf`` (first branch) and ``$ref`` to a JSON
pointer inside the schema (``#/$defs/...``, ``#/definitions/...``).

Not supported: ``pattern``, ``not``, ``if``/``then``, ``contains``, ``dependentRequired``;
a ``oneOf`` whose first branch overlaps another gives an instance that matches both.
"""

from __future__ import annotations

import hashlib
import math
import uuid
from dataclasses import dataclass
from typing import Any

__all__ = ["MAX_DEPTH", "UnsupportedSchema", "generate_instance"]

MAX_DEPTH = 6
_HARD_DEPTH = 24
_MAX_SIZE = 10_000  # largest minItems/minLength/minProperties honoured (keeps answers small)
_WORDS = ("alpha", "amber", "birch", "cedar", "delta", "ember", "fjord", "harbor", "iris")
_FORMATS = {
    "date-time": "2024-01-01T00:00:00Z",
    "date": "2024-01-01",
    "time": "12:00:00Z",
    "email": "user@example.com",
    "hostname": "example.com",
    "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1",
    "uri": "https://example.com/item",
    "url": "https://example.com/item",
    "duration": "PT1H",
}


class UnsupportedSchema(ValueError):
    """Raised when a schema cannot be instantiated (e.g. a ``$ref`` outside the schema)."""


@dataclass(frozen=True)
class _Gen:
    """The root schema (for ``$ref``) and the seed every choice is hashed with."""

    root: dict[str, Any]
    seed: str

    def pick(self, path: str) -> int:
        """A stable pseudo-random number for one position in the instance."""
        digest = hashlib.sha256(f"{self.seed}|{path}".encode()).digest()
        return int.from_bytes(digest[:6], "big")


def generate_instance(schema: Any, seed: str) -> Any:
    """A value valid against ``schema``, chosen deterministically from ``seed``."""
    root = schema if isinstance(schema, dict) else {}
    return _value(_Gen(root, seed), schema, "$", 0)


def _value(gen: _Gen, schema: Any, path: str, depth: int) -> Any:
    """Dispatch on the keywords of one (sub)schema."""
    if not isinstance(schema, dict) or depth > _HARD_DEPTH:
        return None if schema is False or depth > _HARD_DEPTH else "value"
    if "$ref" in schema:
        target = _resolve(gen.root, schema["$ref"])
        rest = {k: v for k, v in schema.items() if k != "$ref"}
        return _value(gen, _merge([target, rest]), path, depth + 1)
    if "const" in schema:
        return schema["const"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][gen.pick(path) % len(schema["enum"])]
    combined = _combine(schema)
    if combined is not None:
        return _value(gen, combined, path, depth + 1)
    return _GENERATORS[_type_of(schema)](gen, schema, path, depth)


def _combine(schema: dict[str, Any]) -> dict[str, Any] | None:
    """Fold ``allOf`` (merged) or ``anyOf``/``oneOf`` (first branch) into one schema."""
    for key in ("allOf", "anyOf", "oneOf"):
        branches = schema.get(key)
        if isinstance(branches, list) and branches:
            rest = {k: v for k, v in schema.items() if k != key}
            chosen = branches if key == "allOf" else branches[:1]
            return _merge([rest, *chosen])
    return None


def _merge(schemas: list[Any]) -> dict[str, Any]:
    """Shallow-merge subschemas, uniting ``properties`` and ``required``."""
    merged: dict[str, Any] = {}
    for sub in schemas:
        if not isinstance(sub, dict):
            continue
        for key, val in sub.items():
            if key == "properties" and isinstance(merged.get(key), dict):
                merged[key] = {**merged[key], **_dict(val)}
            elif key == "required" and isinstance(merged.get(key), list):
                merged[key] = list(dict.fromkeys([*merged[key], *_list(val)]))
            else:
                merged[key] = val
    return merged


def _resolve(root: dict[str, Any], ref: Any) -> Any:
    """Follow a local ``$ref`` (a JSON pointer starting with ``#``) inside ``root``."""
    if not isinstance(ref, str) or not ref.startswith("#"):
        raise UnsupportedSchema(f"$ref {ref!r} is not local: only '#/$defs/...' refs are supported")
    node: Any = root
    for part in [p for p in ref[1:].split("/") if p]:
        key = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            raise UnsupportedSchema(f"$ref {ref!r} does not point inside the schema")
    return node


def _type_of(schema: dict[str, Any]) -> str:
    """The JSON type to generate: declared, else guessed from the keywords present."""
    declared = schema.get("type")
    if isinstance(declared, list):
        named = [t for t in declared if t != "null"] or ["null"]
        declared = named[0]
    if isinstance(declared, str) and declared in _GENERATORS:
        return declared
    for keys, guessed in _GUESSES:
        if any(k in schema for k in keys):
            return guessed
    return "string"


_GUESSES = (
    (("properties", "required", "additionalProperties", "minProperties"), "object"),
    (("items", "prefixItems", "minItems", "maxItems"), "array"),
    (("minLength", "maxLength", "format", "pattern"), "string"),
    (("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"), "number"),
)


def _object(gen: _Gen, schema: dict[str, Any], path: str, depth: int) -> dict[str, Any]:
    """All properties (only required ones when deep), then extras up to ``minProperties``."""
    props = _dict(schema.get("properties"))
    required = [r for r in _list(schema.get("required")) if isinstance(r, str)]
    names = list(dict.fromkeys([*required, *(props if depth < MAX_DEPTH else [])]))
    extra = schema.get("additionalProperties", True)
    while len(names) < _size(schema, "minProperties") and extra is not False:
        names.append(f"extra_{len(names)}")
    return {n: _value(gen, props.get(n, extra), f"{path}.{n}", depth + 1) for n in names}


def _array(gen: _Gen, schema: dict[str, Any], path: str, depth: int) -> list[Any]:
    """``prefixItems`` then ``items``, as many as ``minItems`` (at least one if allowed)."""
    prefix = _list(schema.get("prefixItems"))
    low = _size(schema, "minItems")
    count = max(low, 1 if depth < MAX_DEPTH else 0, len(prefix) if depth < MAX_DEPTH else 0)
    if "maxItems" in schema:
        count = min(count, int(schema["maxItems"]))
    items = schema.get("items", {})
    for attempt in range(8):
        subs = [prefix[i] if i < len(prefix) else items for i in range(count)]
        tag = f"~{attempt}" if attempt else ""
        out = [_value(gen, s, f"{path}[{i}]{tag}", depth + 1) for i, s in enumerate(subs)]
        if not schema.get("uniqueItems") or _all_unique(out):
            break
    return out


def _size(schema: dict[str, Any], keyword: str) -> int:
    """A ``min*`` size keyword, refused above ``_MAX_SIZE`` rather than built."""
    size = int(schema.get(keyword, 0))
    if size > _MAX_SIZE:
        raise UnsupportedSchema(f"{keyword} {size} is larger than the {_MAX_SIZE} supported")
    return size


def _dict(value: Any) -> dict[str, Any]:
    """``value`` if it is an object, else an empty one."""
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    """``value`` if it is a list, else an empty one."""
    return value if isinstance(value, list) else []


def _all_unique(values: list[Any]) -> bool:
    """True when no two values are equal (JSON equality, so lists/dicts compare by value)."""
    return all(values[i] != values[j] for i in range(len(values)) for j in range(i))


def _string(gen: _Gen, schema: dict[str, Any], path: str, depth: int) -> str:
    """A format example or two hashed words, padded/cut to ``minLength``/``maxLength``."""
    fmt = schema.get("format")
    n = gen.pick(path)
    if fmt == "uuid":
        text = str(uuid.UUID(int=n, version=4))
    else:
        text = _FORMATS.get(str(fmt), f"{_WORDS[n % len(_WORDS)]}-{_WORDS[n // 7 % len(_WORDS)]}")
    low, high = _size(schema, "minLength"), schema.get("maxLength")
    if len(text) < low:
        text += "x" * (low - len(text))
    return text[: int(high)] if high is not None else text


def _integer(gen: _Gen, schema: dict[str, Any], path: str, depth: int) -> int:
    """An integer inside the (exclusive) bounds, on a ``multipleOf`` grid when given."""
    low, high = _bounds(schema)
    step = schema.get("multipleOf")
    step = int(step) if isinstance(step, int | float) and step >= 1 and step == int(step) else 1
    grid = _grid(schema, (math.ceil(low), math.floor(high)), step)
    if grid is None:
        return math.ceil(low)
    return (grid[0] + gen.pick(path) % (grid[1] - grid[0] + 1)) * step


def _number(gen: _Gen, schema: dict[str, Any], path: str, depth: int) -> float | int:
    """A number strictly inside the bounds (or on them when they meet)."""
    low, high = _bounds(schema)
    step = schema.get("multipleOf")
    if isinstance(step, int | float) and not isinstance(step, bool) and step > 0:
        grid = _grid(schema, (low, high), step)
        if grid is not None:
            return _grid_value(grid, step, gen.pick(path))
    value = low + (high - low) * (0.1 + 0.8 * (gen.pick(path) % 1000) / 1000)
    rounded = round(value, 2)
    return rounded if low <= rounded <= high and _inside(schema, rounded) else value


def _grid(schema: dict[str, Any], span: tuple[float, float], step: float) -> tuple[int, int] | None:
    """The range of k with ``k * step`` inside ``span`` and the exclusive bounds, or None."""
    first, last = math.ceil(span[0] / step), math.floor(span[1] / step)
    while first <= last and not _inside(schema, first * step):
        first += 1
    while last >= first and not _inside(schema, last * step):
        last -= 1
    return None if last < first else (first, last)


def _grid_value(grid: tuple[int, int], step: float, n: int) -> float | int:
    """``k * step`` for a hashed k, preferring a k whose float quotient is exact.

    Validators test a float ``multipleOf`` as ``int(v / step) == v / step``, which
    ``0.1 * 3`` fails; trying a few neighbours finds a value that passes.
    """
    first, last = grid
    start = first + n % (last - first + 1)
    for k in [*range(start, min(start + 10, last + 1)), *range(first, min(first + 10, last + 1))]:
        value: float = k * step if isinstance(step, int) else round(float(k * step), 12)
        if value / step == int(value / step):
            return value
    return start * step


def _bounds(schema: dict[str, Any]) -> tuple[float, float]:
    """[low, high] from minimum/maximum and the exclusive bounds; 100 wide when open-ended.

    Exclusive bounds are returned as they are; ``_inside`` keeps values off them.
    """
    lows = [_num(schema.get(k)) for k in ("minimum", "exclusiveMinimum")]
    highs = [_num(schema.get(k)) for k in ("maximum", "exclusiveMaximum")]
    low = max((v for v in lows if v is not None), default=None)
    high = min((v for v in highs if v is not None), default=None)
    if low is None:
        low = high - 100 if high is not None else 0.0
    return low, high if high is not None else low + 100


def _inside(schema: dict[str, Any], value: float) -> bool:
    """True when ``value`` respects the exclusive bounds (rounding may touch them)."""
    ex_low, ex_high = _num(schema.get("exclusiveMinimum")), _num(schema.get("exclusiveMaximum"))
    return (ex_low is None or value > ex_low) and (ex_high is None or value < ex_high)


def _num(value: Any) -> float | None:
    """A bound as a number, ignoring booleans and draft-4 style boolean exclusives."""
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _boolean(gen: _Gen, schema: dict[str, Any], path: str, depth: int) -> bool:
    """``True`` or ``False`` by hash."""
    return gen.pick(path) % 2 == 0


def _null(gen: _Gen, schema: dict[str, Any], path: str, depth: int) -> None:
    """The only null."""
    return None


_GENERATORS: dict[str, Any] = {
    "object": _object,
    "array": _array,
    "string": _string,
    "integer": _integer,
    "number": _number,
    "boolean": _boolean,
    "null": _null,
}
