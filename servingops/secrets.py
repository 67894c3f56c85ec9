"""Keep plaintext secrets out of everything Pulumi stores in the clear.

The program splits every ``*_plaintext`` value out of an endpoint file into a
separate mapping that is passed to the resource as a Pulumi *secret* input (so it is
encrypted in state); the spec that remains holds a placeholder. The provider merges
them back just before it builds an API payload, and nowhere else.
"""

from __future__ import annotations

import copy
from typing import Any

PLACEHOLDER = "(secret)"


def split_secrets(raw: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """A copy of ``raw`` with plaintext values replaced, and the values keyed by path."""
    found: dict[str, str] = {}
    return _split(copy.deepcopy(raw), "", found), found


def merge_secrets(raw: dict[str, Any], secrets: dict[str, str]) -> dict[str, Any]:
    """A copy of ``raw`` with each placeholder replaced by its value from ``secrets``."""
    out = copy.deepcopy(raw)
    for path, value in secrets.items():
        _assign(out, _parse(path), value)
    return out


def _split(obj: Any, prefix: str, found: dict[str, str]) -> Any:
    if isinstance(obj, dict):
        for key, value in obj.items():
            path = f"{prefix}.{key}" if prefix else key
            if key.endswith("_plaintext") and isinstance(value, str):
                found[path] = value
                obj[key] = PLACEHOLDER
            else:
                obj[key] = _split(value, path, found)
    elif isinstance(obj, list):
        return [_split(v, f"{prefix}[{i}]", found) for i, v in enumerate(obj)]
    return obj


def _parse(path: str) -> list[str | int]:
    parts: list[str | int] = []
    for piece in path.split("."):
        name, _, rest = piece.partition("[")
        parts.append(name)
        for index in filter(None, rest.replace("]", "").split("[")):
            parts.append(int(index))
    return parts


def _assign(obj: Any, parts: list[str | int], value: str) -> None:
    for part in parts[:-1]:
        obj = obj[part]
    obj[parts[-1]] = value
