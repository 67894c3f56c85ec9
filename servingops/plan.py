"""Plan and drift without Pulumi: compare each declared endpoint with the live one.

``plan_endpoints`` is what ``servingops diff`` and ``servingops drift`` print; it uses
the same ``diff_endpoint`` as the Pulumi provider, so the three never disagree.
"""

from __future__ import annotations

from typing import Any

from servingops.diff import diff_endpoint
from servingops.model.endpoint import EndpointSpec
from servingops.model.rest import endpoint_id, live_state
from servingops.model.state import desired_state
from servingops.pool import DEFAULT_READ_JOBS, bounded_map
from servingops.review import EndpointChanges


def plan_endpoint(client: Any, spec: EndpointSpec) -> EndpointChanges:
    """What applying ``spec`` would do to the live endpoint of the same name."""
    item = _plan(client, spec)
    item.source = spec.source
    return item


def _plan(client: Any, spec: EndpointSpec) -> EndpointChanges:
    detail = client.find_endpoint(spec.name)
    if detail is None:
        if spec.is_reference:
            return EndpointChanges(spec.name, "missing", note="pay-per-token endpoint not found")
        return EndpointChanges(spec.name, "create")
    acl = None
    if spec.permissions is not None:  # the ACL is read only when the file manages it
        acl = client.get_permissions(endpoint_id(detail), name=spec.name)
    changes = diff_endpoint(live_state(detail, acl=acl), desired_state(spec))
    item = EndpointChanges.from_changes(spec.name, changes)
    version = (detail.get("config") or {}).get("config_version")
    if version is not None and item.verdict != "same":
        item.note = (item.note + "; " if item.note else "") + f"live config_version {version}"
    return item


def compare_specs(base: list[EndpointSpec], head: list[EndpointSpec]) -> list[EndpointChanges]:
    """Offline review: what changes from ``base`` files to ``head`` files (no control plane)."""
    old = {s.name: s for s in base}
    new = {s.name: s for s in head}
    items = []
    for name in sorted(set(old) | set(new)):
        if name not in old:
            items.append(EndpointChanges(name, "create"))
        elif name not in new:
            items.append(EndpointChanges(name, "delete"))
        else:
            changes = diff_endpoint(desired_state(old[name]), desired_state(new[name]))
            items.append(EndpointChanges.from_changes(name, changes))
    return items


def plan_endpoints(
    client: Any, specs: list[EndpointSpec], *, jobs: int = DEFAULT_READ_JOBS
) -> list[EndpointChanges]:
    """``plan_endpoint`` for every spec, in name order, at most ``jobs`` GETs at a time.

    The first GET runs alone: a wrong host or token fails once, an OAuth token is
    fetched once, and the client knows the host answers before the others start.
    Raises the first ``ToolError`` (in name order) of the GETs, e.g. ``Unauthenticated``
    or ``ControlPlaneUnreachable``.
    """
    ordered = sorted(specs, key=lambda s: s.name)
    first = [plan_endpoint(client, spec) for spec in ordered[:1]]
    return first + bounded_map(lambda spec: plan_endpoint(client, spec), ordered[1:], jobs)
