"""``EndpointState``: the one comparable form of an endpoint, desired or live.

``desired_state(spec)`` builds it from a file; ``servingops.model.rest.live_state``
from a GET answer. ``servingops.diff.diff_endpoint`` compares two of them. Optional
attributes follow the spec's three states: ``None`` = unmanaged (desired) or unknown
(live); an empty value = managed and empty.

Write-only fields never come back from GET, so desired state keeps a SHA-256
fingerprint of each (never the value) under its path, and live state carries the
fingerprints recorded at the last write forward: a changed key is an update and an
unchanged one is no drift (terraform-provider-databricks#5074).

The JSON form (``to_json``/``from_json``) is what Pulumi stores as the ``state`` output.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from servingops.model.endpoint import AiGateway, EmailNotifications, EndpointSpec, compact
from servingops.model.fields import FieldRegistry, Item, PathPart, format_path, registry
from servingops.model.kinds import Kind

__all__ = ["EndpointState", "desired_state", "fingerprint", "split_write_only"]


def fingerprint(value: Any) -> str:
    """A one-way fingerprint of a write-only value (never reversible, never the value)."""
    return "sha256:" + hashlib.sha256(str(value).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class EndpointState:
    """An endpoint reduced to what can be compared; see the module docstring."""

    name: str
    kind: Kind
    entities: Mapping[str, Mapping[str, Any]] | None
    """Entity name -> its fields without name, write-only and server-added keys.
    ``None``: not managed (a pay-per-token reference)."""
    traffic: Mapping[str, int] | None = None
    ai_gateway: AiGateway | None = None
    tags: Mapping[str, str] | None = None
    description: str | None = None
    route_optimized: bool | None = None
    email_notifications: EmailNotifications | None = None
    permissions: Mapping[str, str] | None = None
    """Direct ACL entries, ``<kind>:<principal>`` (``group_name:ml-team``) -> level, without
    the owner's and inherited entries (``rest.acl_from_api``); ``None``: not managed
    (desired) or not read (live)."""
    creator: str | None = None
    """Live only: who created the endpoint (GET ``creator``). The creator's own ACL entry
    is the owner's: kept on every write and not compared unless the file names it."""
    write_only: Mapping[str, str] | None = None
    """Path (``served_entities[gpt].…_plaintext``) -> fingerprint; ``None``: no record."""

    def to_json(self) -> dict[str, Any]:
        """Plain JSON data (the Pulumi ``state`` output); ``None`` stays ``null``."""
        return {
            "name": self.name,
            "kind": self.kind.value,
            "entities": _plain(self.entities),
            "traffic": _plain(self.traffic),
            "ai_gateway": None if self.ai_gateway is None else self.ai_gateway.to_mapping(),
            "tags": _plain(self.tags),
            "description": self.description,
            "route_optimized": self.route_optimized,
            "email_notifications": _notifications_json(self.email_notifications),
            "permissions": _plain(self.permissions),
            "creator": self.creator,
            "write_only": _plain(self.write_only),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> EndpointState:
        """Read ``to_json`` output (and the pre-0.2 shape, whose write-only keys and
        empty sections were written differently)."""
        gateway, notes = data.get("ai_gateway"), data.get("email_notifications")
        return cls(
            name=str(data.get("name") or ""),
            kind=Kind(data.get("kind") or Kind.EMPTY),
            entities=_plain(data.get("entities")),
            traffic=_plain(data.get("traffic")),
            ai_gateway=None if gateway is None else AiGateway.from_mapping(gateway),
            tags=_plain(data.get("tags")),
            description=data.get("description"),
            route_optimized=data.get("route_optimized"),
            email_notifications=None if notes is None else EmailNotifications.from_mapping(notes),
            permissions=_plain(data.get("permissions")),
            creator=data.get("creator"),
            write_only=_write_only_keys(data.get("write_only")),
        )


def desired_state(spec: EndpointSpec, fields: FieldRegistry | None = None) -> EndpointState:
    """The comparable form of a spec; write-only values become fingerprints."""
    reg = fields or registry()
    write_only: dict[str, str] = {}
    entities: dict[str, Mapping[str, Any]] = {}
    for entity in spec.served_entities:
        entities[entity.name] = split_write_only(entity.fields, entity.name, write_only, reg)
    managed_identity = not spec.is_reference and not spec.uses_pt_route  # /pt takes neither
    return EndpointState(
        name=spec.name,
        kind=spec.kind,
        entities=None if spec.is_reference else entities,
        traffic=spec.traffic,
        ai_gateway=None
        if spec.ai_gateway is None
        else spec.ai_gateway.with_default_table_prefix(spec.name),
        tags=spec.tags,
        description=spec.description if managed_identity else None,
        route_optimized=spec.route_optimized if managed_identity else None,
        email_notifications=spec.email_notifications,
        permissions=None
        if spec.permissions is None
        else {p.key: p.level.value for p in spec.permissions},
        write_only=write_only,
    )


def split_write_only(
    fields: Mapping[str, Any], entity: str, sink: dict[str, str], reg: FieldRegistry
) -> dict[str, Any]:
    """``fields`` without write-only keys; their fingerprints go to ``sink`` by path."""
    prefix: tuple[PathPart, ...] = ("served_entities", Item(entity))
    out: dict[str, Any] = _strip(fields, prefix, sink, reg)
    return out


def _strip(obj: Any, path: tuple[PathPart, ...], sink: dict[str, str], reg: FieldRegistry) -> Any:
    if isinstance(obj, list | tuple):
        return [_strip(v, (*path, i), sink, reg) for i, v in enumerate(obj)]
    if not isinstance(obj, Mapping):
        return obj
    out = {}
    for key, value in obj.items():
        here = (*path, key)
        if reg.is_write_only(here):
            sink[format_path(here)] = fingerprint(value)
        else:
            out[key] = _strip(value, here, sink, reg)
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _notifications_json(notes: EmailNotifications | None) -> dict[str, Any] | None:
    return None if notes is None else compact(notes.to_mapping()) or {}


def _write_only_keys(raw: Any) -> dict[str, str] | None:
    """Write-only fingerprints by path; pre-0.2 keys (``gpt.external_model…``) upgraded."""
    if raw is None:
        return None
    out = {}
    for key, value in dict(raw).items():
        if not str(key).startswith("served_entities["):
            entity, _, rest = str(key).partition(".")
            key = f"served_entities[{entity}].{rest}"
        out[str(key)] = str(value)
    return out
