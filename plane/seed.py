"""The pay-per-token ``databricks-*`` endpoints every workspace has, built from the catalogue."""

from __future__ import annotations

import uuid
from typing import Any

from plane.lifecycle import ms
from servingops.catalogue import Catalogue

SYSTEM_CREATOR = "system"


def pay_per_token_docs(catalogue: Catalogue, now: float) -> list[dict[str, Any]]:
    """One READY endpoint document per pay-per-token endpoint that is not retired."""
    return [
        _doc(name, info, now)
        for name, info in sorted(catalogue.pay_per_token.items())
        if not info.get("retired")
    ]


def _doc(name: str, info: dict[str, Any], now: float) -> dict[str, Any]:
    entity = {"name": name, "foundation_model": _foundation_model(name, info)}
    meta = {name: {"creator": SYSTEM_CREATOR, "creation_timestamp": ms(now)}}
    config = {
        "config_version": 1,
        "served_entities": [entity],
        "traffic_config": {"routes": [{"served_entity_name": name, "traffic_percentage": 100}]},
        "entity_meta": meta,
    }
    return {
        "name": name,
        "id": uuid.uuid5(uuid.NAMESPACE_URL, f"plane:{name}").hex,
        "creator": SYSTEM_CREATOR,
        "creation_timestamp": ms(now),
        "last_updated_timestamp": ms(now),
        "kind": "system",
        "task": info["task"],
        "external": False,
        "config": config,
        "pending": None,
        "version_counter": 1,
    }


def _foundation_model(name: str, info: dict[str, Any]) -> dict[str, Any]:
    display = " ".join(p.capitalize() for p in name.removeprefix("databricks-").split("-"))
    description = info.get("note") or f"{display}, served pay-per-token."
    return {
        "name": name,
        "display_name": display,
        "description": description,
        "docs": "https://docs.databricks.com/machine-learning/foundation-models/index.html",
    }
