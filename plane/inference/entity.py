"""What the served entity says about the model: its reported name and embedding size."""

from __future__ import annotations

from typing import Any

from servingcatalogue import load_catalogue

__all__ = ["embedding_dimension", "external_model", "model_name"]


def external_model(entity: dict[str, Any]) -> dict[str, Any] | None:
    """The entity's ``external_model`` block, or None for a served (foundation/UC) model."""
    ext = entity.get("external_model")
    return ext if isinstance(ext, dict) else None


def model_name(entity: dict[str, Any], endpoint_name: str) -> str:
    """The ``model`` a response reports: the upstream model (external) or the entity name."""
    ext = external_model(entity)
    if ext and isinstance(ext.get("name"), str):
        return str(ext["name"])
    for name in (entity.get("name"), entity.get("entity_name")):
        if isinstance(name, str) and name:
            return name
    return endpoint_name


def embedding_dimension(entity: dict[str, Any], endpoint_name: str) -> int:
    """Vector length from the catalogue, trying every name the entity is known by."""
    catalogue = load_catalogue()
    for name in _candidate_names(entity, endpoint_name):
        known = catalogue.foundation_models.get(name) or catalogue.pay_per_token.get(name) or {}
        if known.get("dimension") or name in catalogue.embedding_dimensions:
            return catalogue.embedding_dimension(name)
    return catalogue.default_embedding_dimension


def _candidate_names(entity: dict[str, Any], endpoint_name: str) -> list[str]:
    """Upstream model, foundation model, UC entity, entity and endpoint names, in that order."""
    ext = external_model(entity) or {}
    foundation = entity.get("foundation_model")
    names = [
        ext.get("name"),
        foundation.get("name") if isinstance(foundation, dict) else None,
        entity.get("entity_name"),
        entity.get("name"),
        endpoint_name,
    ]
    return [n for n in names if isinstance(n, str) and n]
