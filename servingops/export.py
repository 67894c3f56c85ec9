"""Generate an endpoint file from a live endpoint (adopting endpoints made by hand).

The GET answer is reduced to what a user would write by the REST codec
(``servingops.model.rest.file_from_detail``); this module adds what needs the
catalogue (the tier and the task) and the file text.
Write-only secrets never come back from the API, so a provider block that used a
``*_plaintext`` key is exported without it and ``validate`` says what to add.
"""

from __future__ import annotations

from typing import Any

import yaml

from servingcatalogue import Catalogue
from servingops.errors import PermissionDenied
from servingops.model.rest import endpoint_id, file_from_detail

MODELINE = "# yaml-language-server: $schema=../schemas/endpoint.schema.json\n"


def export_live(client: Any, name: str, catalogue: Catalogue) -> dict[str, Any]:
    """The endpoint-file mapping for the live endpoint ``name``, its ACL included.

    The ACL is read by the endpoint's id; a caller who may not read it (403) gets a file
    without ``permissions`` (the ACL stays unmanaged) rather than no file.
    """
    detail = client.get_endpoint(name)
    acl = None
    if name not in catalogue.pay_per_token:  # references never manage their ACL
        try:
            acl = client.get_permissions(endpoint_id(detail), name=name)
        except PermissionDenied:
            acl = None
    return export_endpoint(detail, catalogue, acl)


def export_endpoint(
    detail: dict[str, Any], catalogue: Catalogue, acl: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The endpoint-file mapping for a GET ``ServingEndpointDetailed`` answer (and its
    Permissions API answer ``acl``, which becomes ``permissions``)."""
    config = detail.get("config") or {}
    entities = config.get("served_entities") or []
    tier = _tier(str(detail.get("name")), entities, catalogue)
    return file_from_detail(detail, tier, _task(detail, config, catalogue), acl=acl)


def to_yaml(raw: dict[str, Any]) -> str:
    """File text: the schema modeline, a provenance comment, then the mapping."""
    body = yaml.safe_dump(raw, sort_keys=False, allow_unicode=True, width=100)
    return MODELINE + f"# exported from the live endpoint '{raw['name']}'\n" + body


def _tier(name: str, entities: list[dict[str, Any]], catalogue: Catalogue) -> str:
    if name in catalogue.pay_per_token:
        return "pay-per-token"
    if any("external_model" in e for e in entities):
        return "external"
    return "provisioned"


def _task(detail: dict[str, Any], config: dict[str, Any], catalogue: Catalogue) -> str:
    if detail.get("task"):
        return str(detail["task"])
    for entity in config.get("served_entities") or []:
        ext = entity.get("external_model") or {}
        model = catalogue.foundation_models.get(str(entity.get("entity_name")), {})
        if ext.get("task") or model.get("task"):
            return str(ext.get("task") or model.get("task"))
    return str(catalogue.pay_per_token.get(str(detail.get("name")), {}).get("task", "llm/v1/chat"))
