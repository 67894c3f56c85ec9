"""The typed endpoint: one declared endpoint file (``EndpointSpec``) and its parts.

**Absent, empty and set are three states** (Terraform's null vs empty list):

* a key the file leaves out is ``None`` here: *unmanaged*, never compared, never sent;
* a key set to an empty value (``tags: {}``, ``ai_gateway: {}``, ``rate_limits: []``,
  ``email_notifications: {}``, ``description: ""``) is *managed and empty*: the live
  value is cleared, and a live empty echo (``[]``, ``{}``, absent) equals it;
* a key with a value is managed.

Provider config blocks and the other fields of a served entity stay opaque mappings
exactly as written, so an explicit ``false``/``0`` is always sent
(terraform-provider-databricks#4064, #5362).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from servingops.model.kinds import Kind, OnFailure, PermissionLevel, PrincipalKind, Task, Tier

__all__ = [
    "DEFAULT_PROMPT",
    "GATEWAY_SECTIONS",
    "SWITCHED_OFF",
    "AiGateway",
    "EmailNotifications",
    "EndpointSpec",
    "Permission",
    "ServedEntity",
    "SmokeSpec",
    "compact",
    "default_entity_name",
]

DEFAULT_PROMPT = "Reply with the single word OK."
SWITCHED_OFF = "switched off by a rate limit of 0 (calls or tokens): smoke check skipped"
"""What ``smoke`` and ``up`` print for an endpoint whose file switches it off."""
INFERENCE_TABLE_NAMES = ("catalog_name", "schema_name", "table_name_prefix")
GATEWAY_SECTIONS = (
    "usage_tracking_config",
    "inference_table_config",
    "rate_limits",
    "guardrails",
    "fallback_config",
)


def compact(value: Any) -> Any:
    """``value`` without ``None``, ``{}`` and ``[]`` at any depth; ``None`` if nothing is left.

    The API echoes "nothing set" as any of these, so both sides of a comparison are
    compacted. ``false``, ``0`` and ``""`` are values and stay.
    """
    if isinstance(value, Mapping):
        out = {k: compact(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v is not None} or None
    if isinstance(value, list | tuple):
        return [v for v in (compact(i) for i in value) if v is not None] or None
    return value


def default_entity_name(entity: Mapping[str, Any]) -> str:
    """The name the control plane gives an entity that has none (control-plane-api.md §2).

    External model: ``external_model.name`` with ``.`` and ``:`` replaced by ``-``;
    otherwise the UC model's last name part and its version (``model-2``).
    """
    ext = entity.get("external_model")
    if isinstance(ext, Mapping):
        return str(ext.get("name", "")).replace(".", "-").replace(":", "-")
    base = str(entity.get("entity_name", "")).rsplit(".", 1)[-1]
    return f"{base}-{entity.get('entity_version', '')}"


@dataclass(frozen=True)
class SmokeSpec:
    """The smoke query run after every create/update (our ``smoke:`` key)."""

    enabled: bool = True
    prompt: str = DEFAULT_PROMPT
    input: str | None = None
    max_tokens: int = 4
    timeout_seconds: float = 30.0
    per_entity: bool = False
    contains: str | None = None
    max_latency_ms: int | None = None
    dimension: int | None = None
    on_failure: OnFailure = OnFailure.FAIL

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any] | None) -> SmokeSpec:
        """Build from the file's ``smoke`` mapping (absent = defaults)."""
        raw = raw or {}
        expect = raw.get("expect") or {}
        return cls(
            enabled=raw.get("enabled", True),
            prompt=raw.get("prompt", DEFAULT_PROMPT),
            input=raw.get("input"),
            max_tokens=raw.get("max_tokens", 4),
            timeout_seconds=float(raw.get("timeout_seconds", 30)),
            per_entity=raw.get("per_entity", False),
            contains=expect.get("contains"),
            max_latency_ms=expect.get("max_latency_ms"),
            dimension=expect.get("dimension"),
            on_failure=OnFailure(raw.get("on_failure", "fail")),
        )


@dataclass(frozen=True)
class ServedEntity:
    """One served entity: its (explicit) name and every other declared field as written."""

    name: str
    fields: Mapping[str, Any] = field(repr=False)  # may hold plaintext credentials
    """Everything but ``name``: ``external_model`` (provider block opaque) or the UC model
    and its sizing. Explicit ``false``/``0`` kept; nothing the file did not set."""

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> ServedEntity:
        """From a file's entity; a missing name becomes the server default, explicitly."""
        name = str(raw.get("name") or default_entity_name(raw))
        return cls(name, _frozen({k: v for k, v in raw.items() if k != "name"}))

    @property
    def external_model(self) -> Mapping[str, Any] | None:
        """The ``external_model`` block, or None for a UC model entity."""
        ext = self.fields.get("external_model")
        return ext if isinstance(ext, Mapping) else None

    @property
    def uses_model_units(self) -> bool:
        """Sized in model units (``provisioned_model_units``): the ``/pt`` routes."""
        return "provisioned_model_units" in self.fields

    def to_mapping(self) -> dict[str, Any]:
        """``{name, **fields}`` as plain JSON data."""
        return {"name": self.name, **_thawed(self.fields)}


@dataclass(frozen=True)
class AiGateway:
    """A managed AI gateway. The API replaces it whole (PUT), so a section that is not
    set here is cleared live; an empty section (``rate_limits: []``) is the same as none."""

    usage_tracking_config: Mapping[str, Any] | None = None
    inference_table_config: Mapping[str, Any] | None = None
    rate_limits: tuple[Mapping[str, Any], ...] = ()
    guardrails: Mapping[str, Any] | None = None
    fallback_config: Mapping[str, Any] | None = None

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any] | None) -> AiGateway:
        """From a file's or a GET's ``ai_gateway`` (``None`` or ``{}``: nothing set)."""
        clean = compact(dict(raw or {})) or {}
        return cls(
            usage_tracking_config=_frozen_or_none(clean.get("usage_tracking_config")),
            inference_table_config=_frozen_or_none(clean.get("inference_table_config")),
            rate_limits=tuple(_frozen(r) for r in clean.get("rate_limits") or ()),
            guardrails=_frozen_or_none(clean.get("guardrails")),
            fallback_config=_frozen_or_none(clean.get("fallback_config")),
        )

    def to_mapping(self) -> dict[str, Any]:
        """The sections that are set, as plain JSON data (the PUT body)."""
        out: dict[str, Any] = {}
        for section in GATEWAY_SECTIONS:
            value = getattr(self, section)
            if value:
                out[section] = _thawed(value)
        return out

    def section(self, name: str) -> Any:
        """One section as plain data (``None`` when not set)."""
        return self.to_mapping().get(name)

    def renames_table_of(self, live: AiGateway) -> bool:
        """True when going from ``live`` to this gateway renames an *enabled* inference
        table (catalog, schema or prefix): the API wants it disabled first, then enabled
        under the new names — two PUTs (control-plane-api.md §5)."""
        old, new = live.inference_table_config or {}, self.inference_table_config or {}
        if not (old.get("enabled") and new.get("enabled")):
            return False
        return any(old.get(k) != new.get(k) for k in INFERENCE_TABLE_NAMES)

    def with_default_table_prefix(self, endpoint_name: str) -> AiGateway:
        """This gateway with an enabled inference table's missing ``table_name_prefix``
        filled in with ``endpoint_name``, as the service fills it (plane/README.md, round
        two), so a file that leaves the prefix out neither drifts nor looks like a rename."""
        table = self.inference_table_config or {}
        if not table.get("enabled") or table.get("table_name_prefix") or not endpoint_name:
            return self
        filled = _frozen({**table, "table_name_prefix": endpoint_name})
        return replace(self, inference_table_config=filled)

    def with_table_disabled(self) -> AiGateway:
        """This gateway with its inference table switched off (the first rename step)."""
        table = {**(self.inference_table_config or {}), "enabled": False}
        return replace(self, inference_table_config=table)


@dataclass(frozen=True)
class EmailNotifications:
    """Managed e-mail notifications; an empty list and a missing one are the same."""

    on_update_failure: tuple[str, ...] = ()
    on_update_success: tuple[str, ...] = ()

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any] | None) -> EmailNotifications:
        """From a file's or a GET's ``email_notifications`` (order of addresses ignored)."""
        raw = raw or {}
        return cls(
            tuple(sorted(raw.get("on_update_failure") or ())),
            tuple(sorted(raw.get("on_update_success") or ())),
        )

    def to_mapping(self) -> dict[str, list[str]]:
        """Both lists, always (the PATCH body: an empty list clears that list)."""
        return {
            "on_update_failure": list(self.on_update_failure),
            "on_update_success": list(self.on_update_success),
        }


@dataclass(frozen=True, order=True)
class Permission:
    """One declared ACL entry: a principal and its level (a ``permissions`` list item).

    The file's shape is Databricks Asset Bundles' (``{level, group_name: ml-team}``), so
    permission blocks move between the two unchanged.
    """

    kind: PrincipalKind
    principal: str
    level: PermissionLevel

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> Permission:
        """From a file entry that passed the schema (exactly one principal key)."""
        kind = next(k for k in PrincipalKind if raw.get(k.value))
        return cls(kind, str(raw[kind.value]), PermissionLevel(raw["level"]))

    @property
    def key(self) -> str:
        """``<kind>:<principal>`` (``group_name:ml-team``): who, as one comparable string
        (``PrincipalKind.key``: e-mails and application ids lowercased)."""
        return self.kind.key(self.principal)

    def names(self, principal: str) -> bool:
        """True when this entry is for ``principal`` (e-mails and ids ignoring case)."""
        return self.kind.canonical(self.principal) == self.kind.canonical(principal)

    def to_mapping(self) -> dict[str, str]:
        """The file's entry: ``{level, <kind>: principal}``."""
        return {"level": self.level.value, self.kind.value: self.principal}


@dataclass(frozen=True)
class EndpointSpec:
    """One declared endpoint, as loaded from ``endpoints/<name>.yaml`` (desired state).

    ``None`` on an optional attribute means the file leaves the key out (unmanaged).
    """

    name: str
    tier: Tier
    task: Task
    source: str = ""
    description: str | None = None
    served_entities: tuple[ServedEntity, ...] = ()
    traffic: Mapping[str, int] | None = None
    ai_gateway: AiGateway | None = None
    tags: Mapping[str, str] | None = None
    route_optimized: bool | None = None
    email_notifications: EmailNotifications | None = None
    budget_policy_id: str | None = None
    permissions: tuple[Permission, ...] | None = None
    """The managed ACL entries, sorted; None: the ACL is not managed; ``()``: only the
    owner (the creator) and the inherited admins keep access."""
    smoke: SmokeSpec = field(default_factory=SmokeSpec)
    protect: bool = False
    adopt: bool = False
    """The file consents to taking over an existing endpoint that is not this stack's."""
    owner: str | None = None
    """``<project>/<stack>`` of the Pulumi stack that manages it (from the engine, not the
    file); written as the ownership tag. None outside Pulumi (diff, drift, smoke)."""
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    """The file's mapping as written (what overlays apply to and Pulumi receives)."""

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any], source: str = "") -> EndpointSpec:
        """Build from a file's mapping that passed the schema and semantic checks."""
        return cls(
            name=raw["name"],
            tier=Tier(raw["tier"]),
            task=Task(raw["task"]),
            source=source,
            description=raw.get("description"),
            served_entities=tuple(
                ServedEntity.from_mapping(e) for e in raw.get("served_entities") or ()
            ),
            traffic=_optional(raw, "traffic", lambda v: _frozen({k: int(p) for k, p in v.items()})),
            ai_gateway=_optional(raw, "ai_gateway", AiGateway.from_mapping),
            tags=_optional(raw, "tags", lambda v: _frozen({str(k): str(t) for k, t in v.items()})),
            route_optimized=raw.get("route_optimized"),
            email_notifications=_optional(
                raw, "email_notifications", EmailNotifications.from_mapping
            ),
            budget_policy_id=raw.get("budget_policy_id"),
            permissions=_optional(
                raw, "permissions", lambda v: tuple(sorted(map(Permission.from_mapping, v)))
            ),
            smoke=SmokeSpec.from_mapping(raw.get("smoke")),
            protect=bool(raw.get("protect", False)),
            adopt=bool(raw.get("adopt", False)),
            raw=_thawed(raw),
        )

    @property
    def kind(self) -> Kind:
        """Which family of endpoint this declares (a change of family forces replacement)."""
        match self.tier:
            case Tier.PAY_PER_TOKEN:
                return Kind.PAY_PER_TOKEN
            case Tier.PROVISIONED:
                return Kind.PT if self.uses_pt_route else Kind.PROVISIONED
            case Tier.EXTERNAL:
                return Kind.EXTERNAL

    @property
    def uses_pt_route(self) -> bool:
        """True when the endpoint is sized in model units (the ``/pt`` routes)."""
        return any(e.uses_model_units for e in self.served_entities)

    @property
    def is_reference(self) -> bool:
        """A pay-per-token reference: never created, changed in config, or deleted."""
        return self.tier is Tier.PAY_PER_TOKEN

    @property
    def switched_off(self) -> bool:
        """True when an AI-gateway rate limit of ``calls: 0`` or ``tokens: 0`` switches the
        endpoint off: every query gets 403 PERMISSION_DENIED (control-plane-api.md §5), so
        there is nothing to smoke-query and nothing to roll back.

        A limit for one ``principal`` only shuts that principal out, so it does not count.
        """
        limits = self.ai_gateway.rate_limits if self.ai_gateway is not None else ()
        return any(
            (limit.get("calls") == 0 or limit.get("tokens") == 0) and not limit.get("principal")
            for limit in limits
        )

    def entity_names(self) -> list[str]:
        """Names of the served entities, in file order."""
        return [e.name for e in self.served_entities]


def _optional(raw: Mapping[str, Any], key: str, build: Any) -> Any:
    """``build(raw[key])`` when the key is present (even if empty), else None (unmanaged)."""
    if key not in raw or raw[key] is None:
        return None
    return build(raw[key])


def _frozen(value: Mapping[str, Any]) -> Mapping[str, Any]:
    """A private plain copy, typed read-only (``Mapping``) for everyone else."""
    return _thawed(value)  # type: ignore[no-any-return]


def _frozen_or_none(value: Any) -> Mapping[str, Any] | None:
    return _frozen(value) if isinstance(value, Mapping) else None


def _thawed(value: Any) -> Any:
    """Plain ``dict``/``list`` copies all the way down (JSON-ready)."""
    if isinstance(value, Mapping):
        return {k: _thawed(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_thawed(v) for v in value]
    return value
