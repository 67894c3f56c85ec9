"""Typed field getters for request bodies: each raises InvalidParameter naming the field.

``path`` is the dotted location of the parent object in the request
(``config.served_entities[0]``), so every message says exactly which field is wrong.
"""

from __future__ import annotations

import re
from typing import Any

from plane.errors import InvalidParameter

NAME_RE = re.compile(r"[A-Za-z0-9_-]+")
"""Matched with ``fullmatch``: ``$`` would also match before a final line break."""
SECRET_REF = re.compile(r"\{\{secrets/[A-Za-z0-9_.\-]+/[A-Za-z0-9_.\-]+\}\}")


def where(path: str, key: str | int) -> str:
    """Join a parent path and a key or index: ``a.b`` / ``a[0]``."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _kind(value: Any) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return "a number"
    return names.get(type(value), type(value).__name__)


def as_object(value: Any, path: str) -> dict[str, Any]:
    """Return ``value`` if it is a JSON object, else raise."""
    if not isinstance(value, dict):
        raise InvalidParameter(f"'{path}' must be an object, got {_kind(value)}.")
    return value


def opt_object(parent: dict[str, Any], key: str, path: str) -> dict[str, Any] | None:
    """Return ``parent[key]`` as an object, or None when absent or null."""
    value = parent.get(key)
    return None if value is None else as_object(value, where(path, key))


def opt_list(parent: dict[str, Any], key: str, path: str) -> list[Any] | None:
    """Return ``parent[key]`` as an array, or None when absent or null."""
    value = parent.get(key)
    if value is None:
        return None
    if not isinstance(value, list):
        raise InvalidParameter(f"'{where(path, key)}' must be an array, got {_kind(value)}.")
    return value


def opt_str(parent: dict[str, Any], key: str, path: str) -> str | None:
    """Return ``parent[key]`` as a string, or None when absent or null."""
    value = parent.get(key)
    if value is not None and not isinstance(value, str):
        raise InvalidParameter(f"'{where(path, key)}' must be a string, got {_kind(value)}.")
    return value


def req_str(parent: dict[str, Any], key: str, path: str) -> str:
    """Return ``parent[key]`` as a non-empty string, or raise ``... is required``."""
    value = opt_str(parent, key, path)
    if not value:
        raise InvalidParameter(f"'{where(path, key)}' is required.")
    return value


def opt_bool(parent: dict[str, Any], key: str, path: str) -> bool | None:
    """Return ``parent[key]`` as a boolean, or None when absent or null."""
    value = parent.get(key)
    if value is not None and not isinstance(value, bool):
        raise InvalidParameter(f"'{where(path, key)}' must be a boolean, got {_kind(value)}.")
    return value


def opt_int(parent: dict[str, Any], key: str, path: str, *, minimum: int = 0) -> int | None:
    """Return ``parent[key]`` as an integer >= ``minimum``, or None when absent or null."""
    value = parent.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidParameter(f"'{where(path, key)}' must be an integer, got {_kind(value)}.")
    if value < minimum:
        raise InvalidParameter(f"'{where(path, key)}' must be >= {minimum}, got {value}.")
    return value


def check_enum(value: str | None, allowed: tuple[str, ...], path: str) -> None:
    """Raise unless ``value`` is None or one of ``allowed``."""
    if value is not None and value not in allowed:
        raise InvalidParameter(f"'{path}' must be one of {', '.join(allowed)}, got '{value}'.")


def check_name(name: str, path: str, max_length: int) -> None:
    """Raise unless ``name`` uses only ``[A-Za-z0-9_-]`` and fits ``max_length``."""
    if not NAME_RE.fullmatch(name):
        raise InvalidParameter(
            f"'{path}' must contain only alphanumeric characters, dashes and underscores, "
            f"got '{name}'."
        )
    if len(name) > max_length:
        raise InvalidParameter(
            f"'{path}' must be at most {max_length} characters long, got {len(name)}."
        )


def exactly_one(block: dict[str, Any], name: str, path: str, *, required: bool = True) -> None:
    """Check the secret pair ``name`` / ``name_plaintext``: exactly one (or none if optional)."""
    has_ref, has_plain = block.get(name) is not None, block.get(f"{name}_plaintext") is not None
    if has_ref and has_plain:
        raise InvalidParameter(
            f"'{path}' sets both '{name}' and '{name}_plaintext'; set exactly one of them."
        )
    if required and not (has_ref or has_plain):
        raise InvalidParameter(
            f"'{path}' needs one of '{name}' (a secret reference) or '{name}_plaintext'."
        )
    if has_ref and not SECRET_REF.fullmatch(str(block[name])):
        raise InvalidParameter(
            f"'{where(path, name)}' must be a secret reference like "
            "{{secrets/<scope>/<key>}}; put a raw key in "
            f"'{name}_plaintext' instead."
        )
    opt_str(block, f"{name}_plaintext", path)
