"""Validation of an endpoint ``config``: entities together, traffic routes, auto capture."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from plane.checks import as_object, opt_bool, opt_int, opt_list, opt_object, opt_str, where
from plane.errors import InvalidParameter
from plane.resource import StoredConfig, TrafficConfig, TrafficRoute
from plane.validate_entities import EntityInfo, check_entity, check_pt_entity
from servingcatalogue import Catalogue

LEGACY_TABLES_REFUSED = (
    "'{path}': legacy inference tables can no longer be enabled on new or existing "
    "endpoints (since 2026-02-20). Use AI Gateway inference tables instead: "
    "ai_gateway.inference_table_config (PUT /api/2.0/serving-endpoints/{{name}}/ai-gateway)."
)
"""Source: Databricks docs, "Enable inference tables on model serving endpoints using the
API" (legacy experience; enabling refused from 2026-02-20, unsupported from 2026-03-20)."""


@dataclass
class Limits:
    """The configurable limits validation needs."""

    max_entities: int = 15
    max_name_length: int = 63
    require_traffic_sum_100: bool = True


@dataclass
class CheckedConfig:
    """A validated config: what is stored, the endpoint task and whether it is external."""

    config: StoredConfig
    task: str | None
    external: bool | None
    """True / False by entity kind; None when the config has no entities."""


def check_config(
    raw: Any, path: str, catalogue: Catalogue, limits: Limits, *, pt: bool = False
) -> CheckedConfig:
    """Validate a regular (or, with ``pt``, a ``/pt``) config and return its stored form."""
    config = as_object(raw, path)
    infos = _entities(config, path, catalogue, limits, pt)
    stored = StoredConfig([i.entity for i in infos])
    stored.legacy_models = bool(config.get("served_models")) and not pt
    routes = _routes(config, path, stored.entity_names(), limits)
    if routes is not None:
        stored.traffic_config = TrafficConfig(routes)
    stored.auto_capture_config = _auto_capture(config, path)
    return CheckedConfig(stored, _task(infos), _external(infos))


def _entities(
    config: dict[str, Any], path: str, catalogue: Catalogue, limits: Limits, pt: bool
) -> list[EntityInfo]:
    entities = opt_list(config, "served_entities", path) or []
    models = [] if pt else opt_list(config, "served_models", path) or []
    if entities and models:
        raise InvalidParameter(f"'{path}' may set served_entities or served_models, not both.")
    key = "served_models" if models else "served_entities"
    items = [
        _from_served_model(m, where(path, f"served_models[{i}]")) for i, m in enumerate(models)
    ]
    check = check_pt_entity if pt else check_entity
    infos = [
        check(e, where(path, f"{key}[{i}]"), catalogue, limits.max_name_length)
        for i, e in enumerate(items or entities)
    ]
    if len(infos) > limits.max_entities:
        raise InvalidParameter(
            f"'{path}.{key}' has {len(infos)} entities; at most {limits.max_entities} are allowed."
        )
    _unique_names(infos, f"{path}.{key}")
    return infos


def _from_served_model(raw: Any, path: str) -> dict[str, Any]:
    model = dict(as_object(raw, path))
    for old, new in (("model_name", "entity_name"), ("model_version", "entity_version")):
        if model.get(old) is None:
            raise InvalidParameter(f"'{where(path, old)}' is required.")
        model[new] = model.pop(old)
    return model


def _unique_names(infos: list[EntityInfo], path: str) -> None:
    seen: set[str] = set()
    for info in infos:
        name = str(info.entity["name"])
        if name in seen:
            raise InvalidParameter(
                f"Served entity name '{name}' is used more than once in '{path}'."
            )
        seen.add(name)


def _task(infos: list[EntityInfo]) -> str | None:
    tasks = sorted({i.task for i in infos if i.task})
    if len(tasks) > 1:
        raise InvalidParameter(
            f"All served entities of an endpoint must have the same task, got {', '.join(tasks)}."
        )
    return tasks[0] if tasks else None


def _external(infos: list[EntityInfo]) -> bool | None:
    kinds = {i.kind == "external" for i in infos}
    if len(kinds) > 1:
        raise InvalidParameter("An endpoint cannot mix external models with other served entities.")
    return kinds.pop() if kinds else None


def _routes(
    config: dict[str, Any], path: str, names: list[str], limits: Limits
) -> list[TrafficRoute] | None:
    traffic = opt_object(config, "traffic_config", path)
    if traffic is None:
        if len(names) > 1:
            raise InvalidParameter(
                f"'{path}.traffic_config' is required when an endpoint has more than one "
                "served entity."
            )
        return [TrafficRoute(names[0], 100)] if names else None
    tpath = where(path, "traffic_config")
    routes = [
        _route(r, where(tpath, f"routes[{i}]"), names)
        for i, r in enumerate(opt_list(traffic, "routes", tpath) or [])
    ]
    _check_route_set(routes, tpath, limits)
    return routes


def _route(raw: Any, path: str, names: list[str]) -> TrafficRoute:
    route = as_object(raw, path)
    entity = opt_str(route, "served_entity_name", path)
    model = opt_str(route, "served_model_name", path)
    if entity and model and entity != model:
        raise InvalidParameter(f"'{path}' names two different entities: '{entity}', '{model}'.")
    name = entity or model
    if not name:
        raise InvalidParameter(f"'{path}' needs 'served_entity_name'.")
    if name not in names:
        raise InvalidParameter(
            f"'{path}' routes traffic to '{name}', which is not a served entity of this "
            f"config (served entities: {', '.join(names) or 'none'})."
        )
    pct = opt_int(route, "traffic_percentage", path)
    if pct is None or pct > 100:
        raise InvalidParameter(f"'{path}.traffic_percentage' must be an integer from 0 to 100.")
    return TrafficRoute(name, pct)


def _check_route_set(routes: list[TrafficRoute], path: str, limits: Limits) -> None:
    names = [r.served_entity_name for r in routes]
    for name in names:
        if names.count(name) > 1:
            raise InvalidParameter(f"'{path}' has more than one route to '{name}'.")
    total = sum(r.traffic_percentage for r in routes)
    if limits.require_traffic_sum_100 and routes and total != 100:
        raise InvalidParameter(f"'{path}' traffic percentages must sum to 100, got {total}.")


def _auto_capture(config: dict[str, Any], path: str) -> dict[str, Any] | None:
    auto = opt_object(config, "auto_capture_config", path)
    if auto is None:
        return None
    apath = where(path, "auto_capture_config")
    for key in ("catalog_name", "schema_name", "table_name_prefix"):
        opt_str(auto, key, apath)
    if opt_bool(auto, "enabled", apath) is not False:
        raise InvalidParameter(LEGACY_TABLES_REFUSED.format(path=apath))
    return {k: v for k, v in auto.items() if v is not None}
