"""The plane's serving-endpoint resource: every key of the stored document, declared once.

moto keeps each emulated resource in one model class; this is the plane's. A row of the
``endpoints`` table (``plane.db``) is the JSON of one ``EndpointResource``, and the field
names are the row keys: ``from_row`` reads a row, ``to_row`` writes one. ``to_detailed``
and ``to_summary`` give the API's answers (the output quirks live in ``plane.render``).
Other modules read and set attributes; none of them names a stored key.

    EndpointResource            one endpoint: server fields, sub-resources, update state
    ├── config: StoredConfig    the deployed config (None until the first update settles)
    ├── pending: PendingUpdate  the update IN_PROGRESS, or the one that failed
    │   ├── config: StoredConfig
    │   └── meta: UpdateMeta    task / external, taken on when the update succeeds
    └── next_fault: UpdateFault a fault kept for the next update
    StoredConfig                served entities (input-shaped dicts, secrets included),
                                traffic_config (TrafficConfig), entity_meta (EntityMeta)
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum
from typing import Any

from plane import render


class Kind(StrEnum):
    """Which create made the endpoint; it decides the routes that may change it."""

    REGULAR = "regular"
    PT = "pt"
    SYSTEM = "system"
    """A pay-per-token ``databricks-*`` endpoint: only its AI gateway can change."""


class ConfigUpdate(StrEnum):
    """The endpoint's ``state.config_update``."""

    NOT_UPDATING = "NOT_UPDATING"
    IN_PROGRESS = "IN_PROGRESS"
    UPDATE_FAILED = "UPDATE_FAILED"


@dataclass
class TrafficRoute:
    """One route of ``traffic_config``: the share of queries a served entity gets."""

    served_entity_name: str
    traffic_percentage: int


@dataclass
class TrafficConfig:
    """``traffic_config``; ``routes`` may be empty (then a lone entity takes everything)."""

    routes: list[TrafficRoute]

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> TrafficConfig:
        """Read the stored form."""
        return cls([TrafficRoute(**route) for route in row["routes"]])


@dataclass
class EntityMeta:
    """Server fields of a served entity, kept across config versions while its name stays."""

    creator: str
    creation_timestamp: int
    """Epoch milliseconds."""


@dataclass
class StoredConfig:
    """One validated config version, as stored (write-only fields included)."""

    served_entities: list[dict[str, Any]]
    """Each ``ServedEntityInput`` as accepted, with its default ``name`` filled in."""
    traffic_config: TrafficConfig | None = None
    auto_capture_config: dict[str, Any] | None = None
    legacy_models: bool = False
    """Created through ``served_models``: answered as ``served_models`` too."""
    config_version: int = 1
    entity_meta: dict[str, EntityMeta] = field(default_factory=dict)
    """``EntityMeta`` by served-entity name."""

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> StoredConfig:
        """Read the stored form."""
        traffic, meta = row.get("traffic_config"), row.get("entity_meta") or {}
        return cls(
            served_entities=list(row["served_entities"]),
            traffic_config=None if traffic is None else TrafficConfig.from_row(traffic),
            auto_capture_config=row.get("auto_capture_config"),
            legacy_models=bool(row.get("legacy_models")),
            config_version=int(row.get("config_version", 1)),
            entity_meta={name: EntityMeta(**m) for name, m in meta.items()},
        )

    def entity_names(self) -> list[str]:
        """Names of the served entities, in stored order."""
        return [str(entity["name"]) for entity in self.served_entities]

    def weights(self) -> dict[str, int]:
        """Traffic percentage by served-entity name (empty without routes)."""
        routes = self.traffic_config.routes if self.traffic_config else []
        return {r.served_entity_name: r.traffic_percentage for r in routes}


@dataclass
class UpdateMeta:
    """What the endpoint takes on when an update succeeds (a failed one changes neither)."""

    task: str | None
    external: bool | None


@dataclass
class UpdateFault:
    """A fault kept for the next update (``POST /__plane/endpoints/{name}/fault``)."""

    stuck_seconds: float | None = None
    update_failed: str | None = None
    """The message the update fails with."""


@dataclass
class PendingUpdate:
    """A config update: IN_PROGRESS until ``settle_at``, then deployed or failed."""

    config: StoredConfig
    start: float
    """Epoch seconds (answered in milliseconds as ``pending_config.start_time``)."""
    settle_at: float
    meta: UpdateMeta
    fail: str | None = None
    """When set, the update fails with this message as it settles."""
    failed: bool = False

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> PendingUpdate:
        """Read the stored form."""
        return cls(
            config=StoredConfig.from_row(row["config"]),
            start=float(row["start"]),
            settle_at=float(row["settle_at"]),
            meta=UpdateMeta(**row["meta"]),
            fail=row.get("fail"),
            failed=bool(row.get("failed")),
        )


NESTED = ("kind", "config", "pending", "next_fault")
"""Fields ``from_row`` converts itself; every other field is plain JSON."""


@dataclass
class EndpointResource:
    """One serving endpoint as the plane stores it (secrets included: never answer it raw)."""

    name: str
    id: str
    creator: str
    creation_timestamp: int
    """Epoch milliseconds, like every ``*_timestamp``."""
    last_updated_timestamp: int
    kind: Kind
    config: StoredConfig | None = None
    pending: PendingUpdate | None = None
    task: str | None = None
    """Task of the deployed entities; None for custom models."""
    external: bool | None = None
    """True for external-model endpoints; None until the endpoint has entities."""
    version_counter: int = 0
    """Config versions started so far (the next update gets ``version_counter + 1``)."""
    next_fault: UpdateFault | None = None
    description: str = ""
    route_optimized: bool = False
    tags: dict[str, str | None] = field(default_factory=dict)
    acl: list[dict[str, str]] | None = None
    """Direct ACL entries (``plane.permissions``); None means the creator's default."""
    budget_policy_id: str | None = None
    """Accepted and kept, never answered (as upstream)."""
    ai_gateway: dict[str, Any] | None = None
    email_notifications: dict[str, Any] | None = None
    rate_limits: list[dict[str, Any]] = field(default_factory=list)
    """Legacy top-level rate limits: enforced, answered only by their own PUT."""
    telemetry_config: dict[str, Any] | None = None
    history: list[dict[str, Any]] = field(default_factory=list)
    """Settled config updates, oldest first (``plane.lifecycle.record``); never answered by
    the API, shown by the serving page (``plane.ui``)."""

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> EndpointResource:
        """Read a stored row; keys it lacks (or holds null) take their defaults."""
        plain = {
            f.name: row[f.name]
            for f in fields(cls)
            if f.name not in NESTED and row.get(f.name) is not None
        }
        config, pending, fault = row.get("config"), row.get("pending"), row.get("next_fault")
        return cls(
            **plain,
            kind=Kind(row["kind"]),
            config=None if config is None else StoredConfig.from_row(config),
            pending=None if pending is None else PendingUpdate.from_row(pending),
            next_fault=None if fault is None else UpdateFault(**fault),
        )

    def to_row(self) -> dict[str, Any]:
        """The stored row (plain JSON, a deep copy)."""
        row = asdict(self)
        row["kind"] = self.kind.value
        return row

    def is_system(self) -> bool:
        """True for a pay-per-token ``databricks-*`` endpoint."""
        return self.kind == Kind.SYSTEM

    def state(self) -> dict[str, str]:
        """``state``: READY once a config is deployed, and ``config_update``."""
        ready = "READY" if self.config is not None else "NOT_READY"
        return {"ready": ready, "config_update": self.config_update().value}

    def config_update(self) -> ConfigUpdate:
        """``state.config_update`` (settle the endpoint first, see ``plane.lifecycle``)."""
        if self.pending is None:
            return ConfigUpdate.NOT_UPDATING
        return ConfigUpdate.UPDATE_FAILED if self.pending.failed else ConfigUpdate.IN_PROGRESS

    def latest_config(self) -> StoredConfig | None:
        """The deployed config, else the one being deployed; None for an empty endpoint."""
        if self.config is not None:
            return self.config
        return None if self.pending is None else self.pending.config

    def entity_names(self) -> list[str]:
        """Names of the served entities of ``latest_config``."""
        config = self.latest_config()
        return [] if config is None else config.entity_names()

    def to_detailed(self, rng: random.Random | None = None) -> dict[str, Any]:
        """The ``ServingEndpointDetailed`` answer; ``rng`` shuffles the entities."""
        return render.render_endpoint(self, rng)

    def to_summary(self) -> dict[str, Any]:
        """The list item (``ServingEndpoint``)."""
        return render.render_summary(self)
