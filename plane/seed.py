"""The pay-per-token ``databricks-*`` endpoints every workspace has, built from the catalogue."""

from __future__ import annotations

import uuid
from typing import Any

from plane.resource import (
    EndpointResource,
    EntityMeta,
    Kind,
    StoredConfig,
    TrafficConfig,
    TrafficRoute,
)
from plane.settings import ms
from servingcatalogue import Catalogue

SYSTEM_CREATOR = "system"


def pay_per_token_endpoints(catalogue: Catalogue, now: float) -> list[EndpointResource]:
    """One READY endpoint per pay-per-token endpoint that is not retired."""
    return [
        _endpoint(name, info, now)
        for name, info in sorted(catalogue.pay_per_token.items())
        if not info.get("retired")
    ]


def _endpoint(name: str, info: dict[str, Any], now: float) -> EndpointResource:
    entity = {"name": name, "foundation_model": _foundation_model(name, info)}
    config = StoredConfig(
        served_entities=[entity],
        traffic_config=TrafficConfig([TrafficRoute(name, 100)]),
        entity_meta={name: EntityMeta(SYSTEM_CREATOR, ms(now))},
    )
    return EndpointResource(
        name=name,
        id=uuid.uuid5(uuid.NAMESPACE_URL, f"plane:{name}").hex,
        creator=SYSTEM_CREATOR,
        creation_timestamp=ms(now),
        last_updated_timestamp=ms(now),
        kind=Kind.SYSTEM,
        task=info["task"],
        external=False,
        config=config,
        version_counter=1,
    )


def _foundation_model(name: str, info: dict[str, Any]) -> dict[str, Any]:
    display = " ".join(p.capitalize() for p in name.removeprefix("databricks-").split("-"))
    description = info.get("note") or f"{display}, served pay-per-token."
    return {
        "name": name,
        "display_name": display,
        "description": description,
        "docs": "https://docs.databricks.com/machine-learning/foundation-models/index.html",
    }
