"""Validation of served entities: external, foundation-model (provisioned) and custom.

``check_entity`` validates one ``ServedEntityInput`` and returns the entity as stored:
a copy with the server-default ``name`` (``default_entity_name``) filled in, write-only
fields still present.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from plane.checks import (
    as_object,
    check_enum,
    check_name,
    opt_bool,
    opt_int,
    opt_object,
    opt_str,
    req_str,
    where,
)
from plane.errors import InvalidParameter
from plane.validate_external import check_external_model
from servingcatalogue import Catalogue

WORKLOAD_TYPES = (
    "CPU",
    "CPU_MEDIUM",
    "CPU_LARGE",
    "GPU_SMALL",
    "GPU_MEDIUM",
    "GPU_LARGE",
    "GPU_XLARGE",
    "GPU_XLARGE_8",
    "MULTIGPU_MEDIUM",
)
NOT_WITH_EXTERNAL = (
    "entity_name",
    "entity_version",
    "workload_size",
    "workload_type",
    "scale_to_zero_enabled",
    "min_provisioned_concurrency",
    "max_provisioned_concurrency",
)
PT_FIELDS = ("min_provisioned_throughput", "max_provisioned_throughput", "provisioned_model_units")
FOUNDATION_PREFIX = "system.ai."


@dataclass
class EntityInfo:
    """A validated served entity: its stored form, kind and task (None for custom models)."""

    entity: dict[str, Any]
    kind: str
    """``external`` | ``foundation`` | ``custom``."""
    task: str | None


def check_entity(raw: Any, path: str, catalogue: Catalogue, max_name: int) -> EntityInfo:
    """Validate one regular-route served entity and return its stored form."""
    entity = copy.deepcopy(as_object(raw, path))
    if entity.get("external_model") is not None:
        info = _external(entity, path, catalogue)
    else:
        info = _uc_model(entity, path, catalogue)
    _name(entity, path, max_name)
    opt_bool(entity, "burst_scaling_enabled", path)
    _environment_vars(entity, path)
    return info


def check_pt_entity(raw: Any, path: str, catalogue: Catalogue, max_name: int) -> EntityInfo:
    """Validate one ``PtServedModel`` of the ``/pt`` routes and return its stored form."""
    entity = copy.deepcopy(as_object(raw, path))
    name = req_str(entity, "entity_name", path)
    if not name.startswith(FOUNDATION_PREFIX):
        raise _not_eligible(name)
    if entity.get("provisioned_model_units") is None:
        raise InvalidParameter(f"'{where(path, 'provisioned_model_units')}' is required.")
    info = _foundation(entity, path, catalogue)
    _name(entity, path, max_name)
    opt_bool(entity, "burst_scaling_enabled", path)
    return info


def _external(entity: dict[str, Any], path: str, catalogue: Catalogue) -> EntityInfo:
    for field in PT_FIELDS:
        if entity.get(field) is not None:
            raise InvalidParameter(
                f"Provisioned throughput is not supported for endpoints with external models "
                f"('{where(path, field)}')."
            )
    for field in NOT_WITH_EXTERNAL:
        if entity.get(field) is not None:
            raise InvalidParameter(
                f"'{path}' has an external_model, which cannot be combined with '{field}'."
            )
    task = check_external_model(entity["external_model"], where(path, "external_model"), catalogue)
    return EntityInfo(entity, "external", task)


def _uc_model(entity: dict[str, Any], path: str, catalogue: Catalogue) -> EntityInfo:
    name = opt_str(entity, "entity_name", path)
    if not name:
        raise InvalidParameter(f"'{path}' needs 'entity_name' or 'external_model'.")
    check_enum(opt_str(entity, "workload_type", path), WORKLOAD_TYPES, where(path, "workload_type"))
    if name.startswith(FOUNDATION_PREFIX):
        return _foundation(entity, path, catalogue)
    return _custom(entity, path, name)


def _version(entity: dict[str, Any], path: str) -> str:
    if isinstance(entity.get("entity_version"), int | float):
        raise InvalidParameter(f"'{where(path, 'entity_version')}' must be a string, got a number.")
    return req_str(entity, "entity_version", path)


def _foundation(entity: dict[str, Any], path: str, catalogue: Catalogue) -> EntityInfo:
    name, version = str(entity["entity_name"]), _version(entity, path)
    model = catalogue.foundation_models.get(name)
    if model is None:
        raise InvalidParameter(f"Model '{name}' does not exist in the system.ai catalogue.")
    if version not in [str(v) for v in model.get("versions", [])]:
        raise InvalidParameter(f"Version '{version}' of model '{name}' does not exist.")
    if model.get("retired"):
        raise _not_eligible(name, f" It was retired on {model['retired']}.")
    _sizing(entity, path, int(model["throughput_chunk_size"]), name)
    return EntityInfo(entity, "foundation", str(model["task"]))


def _sizing(entity: dict[str, Any], path: str, chunk: int, model: str) -> None:
    lo = opt_int(entity, "min_provisioned_throughput", path)
    hi = opt_int(entity, "max_provisioned_throughput", path)
    units = opt_int(entity, "provisioned_model_units", path, minimum=1)
    if units is not None and (lo is not None or hi is not None):
        raise InvalidParameter(
            f"'{path}' sets both provisioned_model_units and min/max_provisioned_throughput; "
            "use one."
        )
    if units is None and hi is None:
        raise InvalidParameter(
            f"'{path}' serves foundation model '{model}' and needs max_provisioned_throughput "
            "or provisioned_model_units."
        )
    if units is not None and opt_bool(entity, "scale_to_zero_enabled", path):
        raise InvalidParameter(f"'{path}': scale to zero is not available with model units.")
    _band(lo, hi, chunk, model, path)


def _band(lo: int | None, hi: int | None, chunk: int, model: str, path: str) -> None:
    for key, value in (("min", lo), ("max", hi)):
        if value is not None and value % chunk:
            raise InvalidParameter(
                f"'{path}.{key}_provisioned_throughput' must be a multiple of {chunk} for "
                f"model '{model}', got {value}."
            )
    if lo is not None and hi is not None and lo > hi:
        raise InvalidParameter(
            f"'{path}': min_provisioned_throughput {lo} is greater than "
            f"max_provisioned_throughput {hi}."
        )
    if hi == 0:
        raise InvalidParameter(f"'{path}.max_provisioned_throughput' must be positive.")


def _custom(entity: dict[str, Any], path: str, name: str) -> EntityInfo:
    _version(entity, path)
    for field in PT_FIELDS:
        if entity.get(field) is not None:
            raise _not_eligible(name)
    if opt_bool(entity, "scale_to_zero_enabled", path) is None:
        raise InvalidParameter(
            f"'{where(path, 'scale_to_zero_enabled')}' is required (scaleToZeroEnabled is "
            "undefined)."
        )
    lo = opt_int(entity, "min_provisioned_concurrency", path)
    hi = opt_int(entity, "max_provisioned_concurrency", path)
    if (lo is not None or hi is not None) and opt_str(entity, "workload_size", path):
        raise InvalidParameter(
            f"'{path}' sets workload_size and min/max_provisioned_concurrency; use one."
        )
    if lo is not None and hi is not None and lo > hi:
        raise InvalidParameter(f"'{path}': min_provisioned_concurrency {lo} > maximum {hi}.")
    return EntityInfo(entity, "custom", None)


def _not_eligible(name: str, why: str = "") -> InvalidParameter:
    return InvalidParameter(
        f"Served entity '{name}' is not eligible for Provisioned Throughput.{why}"
    )


def default_entity_name(entity: dict[str, Any]) -> str:
    """The name the control plane gives a served entity that has none (API doc §2 "Name rules").

    An external model is named after ``external_model.name`` with ``.`` and ``:`` made
    ``-``; any other entity after the last dotted part of its model name and its version
    (``main.ml.scorer`` version ``3`` -> ``scorer-3``). Call it once the entity is valid.
    The client predicts names on its own; tests/plane/test_contract_entity_names.py keeps
    the two in step.
    """
    external = entity.get("external_model")
    if isinstance(external, dict):
        return str(external["name"]).replace(".", "-").replace(":", "-")
    model = str(entity["entity_name"]).rsplit(".", 1)[-1]
    return f"{model}-{entity['entity_version']}"


def _name(entity: dict[str, Any], path: str, max_name: int) -> None:
    name = opt_str(entity, "name", path)
    if not name:
        entity["name"] = name = default_entity_name(entity)
    check_name(name, where(path, "name"), max_name)


def _environment_vars(entity: dict[str, Any], path: str) -> None:
    env = opt_object(entity, "environment_vars", path)
    for key in env or {}:
        opt_str(env or {}, key, where(path, "environment_vars"))
