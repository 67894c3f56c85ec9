"""The asynchronous config-update state machine of one endpoint document.

Nothing runs in the background: an update records when it started and when it will
settle, and ``settle`` moves it forward lazily whenever the endpoint is read. Faults
(``stuck_seconds``, ``update_failed``) change the settle time or the outcome.

    create / config PUT -> pending (IN_PROGRESS) --settle_at--> config (NOT_UPDATING)
                                                 \\-- fail --> pending.failed (UPDATE_FAILED)
"""

from __future__ import annotations

from typing import Any

from plane.errors import UpdateInProgress

IN_PROGRESS, NOT_UPDATING, UPDATE_FAILED = "IN_PROGRESS", "NOT_UPDATING", "UPDATE_FAILED"


def ms(seconds: float) -> int:
    """Epoch seconds to epoch milliseconds (the API's timestamp unit)."""
    return int(seconds * 1000)


def config_update(doc: dict[str, Any]) -> str:
    """The endpoint's ``state.config_update`` (call ``settle`` first)."""
    pending = doc.get("pending")
    if pending is None:
        return NOT_UPDATING
    return UPDATE_FAILED if pending.get("failed") else IN_PROGRESS


def ready(doc: dict[str, Any]) -> str:
    """The endpoint's ``state.ready``: READY once a config has been deployed."""
    return "READY" if doc.get("config") else "NOT_READY"


def settle(doc: dict[str, Any], now: float) -> bool:
    """Finish a pending update whose time has come; True when ``doc`` changed."""
    pending = doc.get("pending")
    if pending is None or pending.get("failed") or now < pending["settle_at"]:
        return False
    if pending.get("fail") is not None:
        pending["failed"] = True
    else:
        doc["config"] = pending["config"]
        doc.update(pending.get("meta") or {})
        doc["pending"] = None
    doc["last_updated_timestamp"] = ms(pending["settle_at"])
    return True


def start_update(
    doc: dict[str, Any], config: dict[str, Any], now: float, settle_seconds: float, creator: str
) -> None:
    """Begin a config update (409 while another one is IN_PROGRESS)."""
    settle(doc, now)
    if config_update(doc) == IN_PROGRESS:
        raise UpdateInProgress(doc["name"])
    doc["version_counter"] = int(doc.get("version_counter", 0)) + 1
    new = dict(config, config_version=doc["version_counter"])
    new["entity_meta"] = _entity_meta(doc.get("config"), config, now, creator)
    fault = doc.pop("next_fault", None) or {}
    stuck = fault.get("stuck_seconds")
    settle_at = now + (settle_seconds if stuck is None else float(stuck))
    doc["pending"] = {"config": new, "start": now, "settle_at": settle_at, "fail": None}
    if fault.get("update_failed") is not None:
        doc["pending"]["fail"] = fault["update_failed"]
    doc["last_updated_timestamp"] = ms(now)


def _entity_meta(
    old: dict[str, Any] | None, new: dict[str, Any], now: float, creator: str
) -> dict[str, Any]:
    before = (old or {}).get("entity_meta", {})
    meta = {}
    for entity in new.get("served_entities", []):
        name = entity["name"]
        meta[name] = before.get(name) or {"creator": creator, "creation_timestamp": ms(now)}
    return meta


def inject_fault(
    doc: dict[str, Any], now: float, stuck_seconds: float | None, update_failed: str | None
) -> str:
    """Apply a fault to the running update, or keep it for the next one; say which."""
    settle(doc, now)
    pending = doc.get("pending")
    if pending is None or pending.get("failed"):
        fault = doc.setdefault("next_fault", {})
        if stuck_seconds is not None:
            fault["stuck_seconds"] = stuck_seconds
        if update_failed is not None:
            fault["update_failed"] = update_failed
        return "next"
    if stuck_seconds is not None:
        pending["settle_at"] = now + stuck_seconds
    if update_failed is not None:
        pending["fail"] = update_failed
    return "current"


def settle_seconds_for(doc: dict[str, Any], provisioned: bool, base: float, pt: float) -> float:
    """How long an update of this endpoint takes: provisioned ones take ``pt``."""
    return pt if provisioned or doc.get("kind") == "pt" else base
