"""Validation of the in-place sub-resources: AI gateway, tags, notifications, legacy limits."""

from __future__ import annotations

from typing import Any

from plane.checks import (
    as_object,
    check_enum,
    opt_bool,
    opt_int,
    opt_list,
    opt_object,
    opt_str,
    req_str,
    where,
)
from plane.errors import InvalidParameter

GATEWAY_SECTIONS = (
    "guardrails",
    "inference_table_config",
    "rate_limits",
    "usage_tracking_config",
    "fallback_config",
)
LIMIT_KEYS = ("endpoint", "user", "user_group", "service_principal")
TABLE_NAMES = ("catalog_name", "schema_name", "table_name_prefix")


def check_ai_gateway(
    raw: Any, path: str, current: dict[str, Any] | None, endpoint_name: str | None = None
) -> dict[str, Any] | None:
    """Validate a full AI-gateway object; None when every section is null (= cleared).

    An enabled ``inference_table_config`` without ``table_name_prefix`` gets the
    endpoint's name as its prefix, as the service fills it (see plane/README.md).
    """
    gateway = as_object(raw, path)
    out = {k: gateway[k] for k in GATEWAY_SECTIONS if gateway.get(k) is not None}
    if "rate_limits" in out:
        out["rate_limits"] = [
            _gateway_limit(limit, where(path, f"rate_limits[{i}]"))
            for i, limit in enumerate(opt_list(gateway, "rate_limits", path) or [])
        ]
    for key in ("usage_tracking_config", "fallback_config"):
        section = opt_object(gateway, key, path)
        if section is not None:
            _enabled(section, where(path, key), required=key == "fallback_config")
    _guardrails(opt_object(gateway, "guardrails", path), where(path, "guardrails"))
    table = opt_object(gateway, "inference_table_config", path)
    if table is not None and endpoint_name and table.get("enabled") is True:
        if not table.get("table_name_prefix"):
            table = out["inference_table_config"] = {**table, "table_name_prefix": endpoint_name}
    _inference_table(table, where(path, "inference_table_config"), current)
    return out or None


def _enabled(section: dict[str, Any], path: str, *, required: bool) -> None:
    if opt_bool(section, "enabled", path) is None and required:
        raise InvalidParameter(f"'{where(path, 'enabled')}' is required.")


def _gateway_limit(raw: Any, path: str) -> dict[str, Any]:
    limit = as_object(raw, path)
    check_enum(req_str(limit, "renewal_period", path), ("minute",), where(path, "renewal_period"))
    check_enum(opt_str(limit, "key", path), LIMIT_KEYS, where(path, "key"))
    calls, tokens = opt_int(limit, "calls", path), opt_int(limit, "tokens", path)
    if calls is None and tokens is None:
        raise InvalidParameter(f"'{path}' needs 'calls' or 'tokens'.")
    opt_str(limit, "principal", path)
    return {k: v for k, v in limit.items() if v is not None}


def _guardrails(guardrails: dict[str, Any] | None, path: str) -> None:
    for side in ("input", "output"):
        rail = opt_object(guardrails or {}, side, path)
        if rail is None:
            continue
        rpath = where(path, side)
        opt_bool(rail, "safety", rpath)
        pii = opt_object(rail, "pii", rpath)
        if pii is not None:
            behavior = opt_str(pii, "behavior", where(rpath, "pii"))
            check_enum(behavior, ("BLOCK", "MASK", "NONE"), where(rpath, "pii.behavior"))
        for key in ("invalid_keywords", "valid_topics"):
            for i, word in enumerate(opt_list(rail, key, rpath) or []):
                if not isinstance(word, str):
                    raise InvalidParameter(f"'{rpath}.{key}[{i}]' must be a string.")


def _inference_table(
    table: dict[str, Any] | None, path: str, current: dict[str, Any] | None
) -> None:
    if table is None:
        return
    for key in TABLE_NAMES:
        opt_str(table, key, path)
    if not opt_bool(table, "enabled", path):
        return
    for key in ("catalog_name", "schema_name"):
        req_str(table, key, path)
    old = (current or {}).get("inference_table_config") or {}
    if old.get("enabled") and any(old.get(k) != table.get(k) for k in TABLE_NAMES):
        raise InvalidParameter(
            f"'{path}': to change the inference table's catalog, schema or prefix, "
            "disable the inference table first, then enable it with the new names."
        )


def check_legacy_rate_limits(raw: Any, path: str) -> list[dict[str, Any]]:
    """Validate the deprecated top-level ``rate_limits`` list (keys user / endpoint)."""
    limits = opt_list({"rate_limits": raw}, "rate_limits", "") or []
    out = []
    for i, item in enumerate(limits):
        lpath = where(path, i)
        limit = as_object(item, lpath)
        if opt_int(limit, "calls", lpath) is None:
            raise InvalidParameter(f"'{where(lpath, 'calls')}' is required.")
        check_enum(req_str(limit, "renewal_period", lpath), ("minute",), f"{lpath}.renewal_period")
        check_enum(opt_str(limit, "key", lpath), ("user", "endpoint"), f"{lpath}.key")
        out.append({k: v for k, v in limit.items() if v is not None})
    return out


def check_tags(raw: Any, path: str) -> dict[str, str | None]:
    """Validate ``[{key, value?}]`` and return it as an ordered mapping (keys unique)."""
    tags: dict[str, str | None] = {}
    for i, item in enumerate(opt_list({"tags": raw}, "tags", "") or []):
        tpath = where(path, i)
        tag = as_object(item, tpath)
        key = req_str(tag, "key", tpath)
        if key in tags:
            raise InvalidParameter(f"Tag key '{key}' appears more than once in '{path}'.")
        tags[key] = opt_str(tag, "value", tpath)
    return tags


def check_notifications(raw: Any, path: str) -> dict[str, list[str]]:
    """Validate ``{on_update_failure[], on_update_success[]}`` (lists of e-mail addresses)."""
    notes = as_object(raw, path)
    out: dict[str, list[str]] = {}
    for key in ("on_update_failure", "on_update_success"):
        emails = opt_list(notes, key, path)
        if emails is None:
            continue
        for i, email in enumerate(emails):
            if not isinstance(email, str):
                raise InvalidParameter(f"'{path}.{key}[{i}]' must be a string.")
        out[key] = list(emails)
    return out
