"""Desired state of one endpoint (``EndpointSpec``) and its REST payloads (``to_api``).

The file format stays close to the REST payload, so nested blocks (provider configs,
``ai_gateway``) are kept as the user wrote them: what was not set is absent, and an
explicit ``false``/``0`` is kept. Our own sugar is translated here and only here:
the top-level ``task`` goes into each ``external_model``, ``traffic`` becomes
``traffic_config.routes``, ``tags`` a list of ``{key, value}``, and entity names are
always sent explicitly (never left to the server's default).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from servingops.rules.context import entity_name

TIERS = ("external", "provisioned", "pay-per-token")
DEFAULT_PROMPT = "Reply with the single word OK."


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
    on_failure: str = "fail"

    @classmethod
    def from_yaml(cls, raw: dict[str, Any] | None) -> SmokeSpec:
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
            on_failure=raw.get("on_failure", "fail"),
        )


@dataclass(frozen=True)
class EndpointSpec:
    """One declared endpoint, as loaded from ``endpoints/<name>.yaml``."""

    name: str
    tier: str
    task: str
    source: str = ""
    description: str | None = None
    served_entities: list[dict[str, Any]] = field(default_factory=list)
    traffic: dict[str, int] | None = None
    ai_gateway: dict[str, Any] | None = None
    tags: dict[str, str] | None = None
    route_optimized: bool | None = None
    email_notifications: dict[str, Any] | None = None
    budget_policy_id: str | None = None
    smoke: SmokeSpec = field(default_factory=SmokeSpec)
    protect: bool = False
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    """The file's mapping as written (what the Pulumi resource receives as ``spec``)."""

    @classmethod
    def from_yaml(cls, raw: dict[str, Any], source: str = "") -> EndpointSpec:
        """Build from a file that passed schema and semantic checks."""
        entities = [_named(e) for e in raw.get("served_entities") or []]
        return cls(
            name=raw["name"],
            tier=raw["tier"],
            task=raw["task"],
            source=source,
            description=raw.get("description"),
            served_entities=entities,
            traffic=raw.get("traffic"),
            ai_gateway=copy.deepcopy(raw.get("ai_gateway")),
            tags=raw.get("tags"),
            route_optimized=raw.get("route_optimized"),
            email_notifications=raw.get("email_notifications"),
            budget_policy_id=raw.get("budget_policy_id"),
            smoke=SmokeSpec.from_yaml(raw.get("smoke")),
            protect=raw.get("protect", False),
            raw=copy.deepcopy(raw),
        )

    @property
    def uses_pt_route(self) -> bool:
        """True when the endpoint is sized in model units (the ``/pt`` routes)."""
        return any("provisioned_model_units" in e for e in self.served_entities)

    def entity_names(self) -> list[str]:
        """Names of the served entities, in file order."""
        return [str(e["name"]) for e in self.served_entities]

    def config_to_api(self) -> dict[str, Any]:
        """The ``config`` object: served entities (task filled in) and traffic routes."""
        config: dict[str, Any] = {
            "served_entities": [self._entity_to_api(e) for e in self.served_entities]
        }
        if self.traffic is not None:
            config["traffic_config"] = {"routes": self._routes()}
        return config

    def tags_to_api(self) -> list[dict[str, str]]:
        """Tags as the API's ``[{key, value}]`` list, sorted by key."""
        return [{"key": k, "value": v} for k, v in sorted((self.tags or {}).items())]

    def create_to_api(self) -> dict[str, Any]:
        """The create request body (regular or ``/pt`` route): only what the user set."""
        body: dict[str, Any] = {"name": self.name, "config": self.config_to_api()}
        optional: dict[str, Any] = {
            "ai_gateway": self.ai_gateway,
            "tags": self.tags_to_api() if self.tags is not None else None,
            "email_notifications": self.email_notifications,
            "budget_policy_id": self.budget_policy_id,
        }
        if not self.uses_pt_route:
            optional |= {"route_optimized": self.route_optimized, "description": self.description}
        body |= {k: v for k, v in optional.items() if v is not None}
        return body

    def _entity_to_api(self, entity: dict[str, Any]) -> dict[str, Any]:
        out = copy.deepcopy(entity)
        if isinstance(out.get("external_model"), dict):
            out["external_model"]["task"] = self.task
        return out

    def _routes(self) -> list[dict[str, Any]]:
        return [
            {"served_entity_name": name, "traffic_percentage": pct}
            for name, pct in (self.traffic or {}).items()
        ]


def _named(entity: dict[str, Any]) -> dict[str, Any]:
    """A copy of the entity whose ``name`` is explicit (the server default if unset)."""
    out = copy.deepcopy(entity)
    out["name"] = entity_name(entity)
    return {"name": out.pop("name"), **out}
