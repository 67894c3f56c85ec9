"""The Pulumi codec: a spec ↔ the resource's inputs, and state ↔ its outputs (no ``pulumi``).

Plaintext credentials (the registry's ``PLAINTEXT_SECRET`` fields) never sit in the
``spec`` input: ``to_inputs`` replaces each with ``MASK`` and returns the values by
path (``served_entities[gpt].external_model.openai_config.openai_api_key_plaintext``)
for the program to pass as a Pulumi *secret* input, encrypted in state. ``from_inputs``
puts them back just before a payload is built, and nowhere else.

A previous spec (for rollback) is only as good as its secrets: Pulumi keeps the new
secret values, not the old ones. ``previous_spec`` says which old values are unknown
(a key no longer declared, or a rotated one whose fingerprint no longer matches)
as an explicit ``PreviousSpec.unknown_secrets``, never as a placeholder string.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from servingops.model.endpoint import EndpointSpec, ServedEntity
from servingops.model.fields import MASK, FieldRegistry, Item, PathPart, format_path, registry
from servingops.model.state import EndpointState, fingerprint

LEGACY_MASK = "(secret)"
"""The placeholder stacks written before 0.2 hold in their ``spec`` input."""

__all__ = ["PreviousSpec", "from_inputs", "integral", "previous_spec", "to_inputs"]


@dataclass(frozen=True)
class PreviousSpec:
    """The last applied spec, with the secret values that could be recovered."""

    spec: EndpointSpec
    unknown_secrets: tuple[str, ...] = ()
    """Paths of plaintext secrets whose previous value is not known (rollback refuses)."""


def to_inputs(
    spec: EndpointSpec, fields: FieldRegistry | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    """``(spec input, secret values by path)``: the file mapping with plaintext masked."""
    reg = fields or registry()
    raw = copy.deepcopy(dict(spec.raw))
    found: dict[str, str] = {}
    for path, holder, key in _plaintext_slots(raw, reg):
        value = holder[key]
        if isinstance(value, str) and value != MASK:
            found[format_path(path)] = value
            holder[key] = MASK
    return raw, found


def from_inputs(
    spec_input: Mapping[str, Any],
    secret_values: Mapping[str, str] | None,
    source: str = "",
    fields: FieldRegistry | None = None,
) -> EndpointSpec:
    """The spec with every masked plaintext value put back from ``secret_values``."""
    raw, _ = _merged(spec_input, secret_values or {}, fields or registry())
    return EndpointSpec.from_mapping(raw, source)


def previous_spec(
    old_input: Mapping[str, Any],
    old_state: EndpointState | None,
    secret_values: Mapping[str, str] | None,
    source: str = "",
    fields: FieldRegistry | None = None,
) -> PreviousSpec:
    """The old spec with today's secret values where they are provably the old ones.

    A value counts as the old one when its fingerprint equals the one recorded in
    ``old_state`` at the last write; anything else is listed in ``unknown_secrets``.
    """
    reg = fields or registry()
    raw, missing = _merged(old_input, secret_values or {}, reg)
    recorded = (old_state.write_only if old_state else None) or {}
    for path, holder, key in _plaintext_slots(raw, reg):
        name = format_path(path)
        if name not in missing and recorded.get(name) != fingerprint(holder[key]):
            missing.append(name)
    return PreviousSpec(EndpointSpec.from_mapping(raw, source), tuple(sorted(set(missing))))


def integral(value: Any) -> Any:
    """Whole-number floats back to ints (Pulumi carries every number as a double)."""
    if isinstance(value, Mapping):
        return {k: integral(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [integral(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _merged(
    spec_input: Mapping[str, Any], values: Mapping[str, str], reg: FieldRegistry
) -> tuple[dict[str, Any], list[str]]:
    """A copy with masked slots filled; the paths that had no value are returned."""
    raw: dict[str, Any] = integral(copy.deepcopy(dict(spec_input)))
    missing = []
    for path, holder, key in _plaintext_slots(raw, reg):
        name = format_path(path)
        if holder[key] not in (MASK, LEGACY_MASK):
            continue
        if name in values:
            holder[key] = values[name]
        else:
            missing.append(name)
    return raw, missing


def _plaintext_slots(
    raw: dict[str, Any], reg: FieldRegistry
) -> list[tuple[tuple[PathPart, ...], dict[str, Any], str]]:
    """``(path, holder, key)`` of every plaintext-secret value in a file mapping."""
    slots: list[tuple[tuple[PathPart, ...], dict[str, Any], str]] = []
    for entity in raw.get("served_entities") or []:
        if isinstance(entity, dict):
            name = ServedEntity.from_mapping(entity).name
            _collect(entity, ("served_entities", Item(name)), reg, slots)
    return slots


def _collect(
    obj: Any,
    path: tuple[PathPart, ...],
    reg: FieldRegistry,
    slots: list[tuple[tuple[PathPart, ...], dict[str, Any], str]],
) -> None:
    if isinstance(obj, list):
        for i, item in enumerate(obj):
            _collect(item, (*path, i), reg, slots)
    elif isinstance(obj, dict):
        for key, value in obj.items():
            if reg.is_plaintext_secret((*path, key)):
                slots.append(((*path, key), obj, key))
            else:
                _collect(value, (*path, key), reg, slots)
