"""The asynchronous config-update state machine of one endpoint resource.

Nothing runs in the background: an update records when it started and when it will
settle, and ``settle`` moves it forward lazily whenever the endpoint is read. Faults
(``stuck_seconds``, ``update_failed``) change the settle time or the outcome.

    create / config PUT -> pending (IN_PROGRESS) --settle_at--> config (NOT_UPDATING)
                                                 \\-- fail --> pending.failed (UPDATE_FAILED)
"""

from __future__ import annotations

from dataclasses import replace

from plane.errors import UpdateInProgress
from plane.resource import (
    ConfigUpdate,
    EndpointResource,
    EntityMeta,
    Kind,
    PendingUpdate,
    StoredConfig,
    UpdateFault,
    UpdateMeta,
)
from plane.settings import ms
from plane.validate_config import CheckedConfig


def settle(endpoint: EndpointResource, now: float) -> bool:
    """Finish a pending update whose time has come; True when ``endpoint`` changed."""
    pending = endpoint.pending
    if pending is None or pending.failed or now < pending.settle_at:
        return False
    if pending.fail is not None:
        pending.failed = True
    else:
        endpoint.config = pending.config
        endpoint.task, endpoint.external = pending.meta.task, pending.meta.external
        endpoint.pending = None
    endpoint.last_updated_timestamp = ms(pending.settle_at)
    record(endpoint, pending)
    return True


HISTORY_LIMIT = 50
"""Most settled updates an endpoint keeps in ``history`` (the oldest are dropped)."""


def record(endpoint: EndpointResource, pending: PendingUpdate) -> None:
    """Append a settled update to ``endpoint.history``: version, outcome, times (epoch ms),
    served-entity names and traffic percentages (no entity bodies: they hold secrets)."""
    config = pending.config
    entry = {
        "config_version": config.config_version,
        "outcome": "FAILED" if pending.failed else "DEPLOYED",
        "start_time": ms(pending.start),
        "settled_time": ms(pending.settle_at),
        "served_entities": config.entity_names(),
        "traffic": config.weights(),
        "message": pending.fail if pending.failed else "",
    }
    endpoint.history = [*endpoint.history, entry][-HISTORY_LIMIT:]


def start_update(
    endpoint: EndpointResource,
    checked: CheckedConfig,
    now: float,
    settle_seconds: float,
    creator: str,
) -> None:
    """Begin a config update (409 while another one is IN_PROGRESS)."""
    settle(endpoint, now)
    if endpoint.config_update() == ConfigUpdate.IN_PROGRESS:
        raise UpdateInProgress(endpoint.name)
    endpoint.version_counter += 1
    meta = _entity_meta(endpoint.config, checked.config, now, creator)
    config = replace(checked.config, config_version=endpoint.version_counter, entity_meta=meta)
    fault, endpoint.next_fault = endpoint.next_fault or UpdateFault(), None
    stuck = fault.stuck_seconds
    endpoint.pending = PendingUpdate(
        config=config,
        start=now,
        settle_at=now + (settle_seconds if stuck is None else float(stuck)),
        meta=UpdateMeta(checked.task, checked.external),
        fail=fault.update_failed,
    )
    endpoint.last_updated_timestamp = ms(now)


def _entity_meta(
    old: StoredConfig | None, new: StoredConfig, now: float, creator: str
) -> dict[str, EntityMeta]:
    before = {} if old is None else old.entity_meta
    return {name: before.get(name) or EntityMeta(creator, ms(now)) for name in new.entity_names()}


def inject_fault(
    endpoint: EndpointResource, now: float, stuck_seconds: float | None, update_failed: str | None
) -> str:
    """Apply a fault to the running update, or keep it for the next one; say which."""
    settle(endpoint, now)
    pending = endpoint.pending
    if pending is None or pending.failed:
        fault = endpoint.next_fault = endpoint.next_fault or UpdateFault()
        if stuck_seconds is not None:
            fault.stuck_seconds = stuck_seconds
        if update_failed is not None:
            fault.update_failed = update_failed
        return "next"
    if stuck_seconds is not None:
        pending.settle_at = now + stuck_seconds
    if update_failed is not None:
        pending.fail = update_failed
    return "current"


def settle_seconds_for(
    endpoint: EndpointResource, provisioned: bool, base: float, pt: float
) -> float:
    """How long an update of this endpoint takes: provisioned ones take ``pt``."""
    return pt if provisioned or endpoint.kind == Kind.PT else base
