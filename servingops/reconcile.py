"""Reconcile one endpoint against the control plane: create, read, update, delete.

The Pulumi provider is a thin shell over these functions. Each write is followed
by a wait until the endpoint settles and a smoke query. Order of sub-APIs in an
update: tags → ai_gateway (whole object) → config (wait) → notifications, one at a
time and only for the groups that changed. ``create`` adopts an endpoint that
already exists under the same name (Pulumi dynamic providers have no ``import``;
pulumi/pulumi#16175), so a run that failed after the create converges on re-run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, assert_never

from servingops.clock import Clock, RealClock
from servingops.diff import FieldChange, changed_groups, diff_endpoint
from servingops.errors import NotFound, SmokeFailed, ToolError
from servingops.model import rest
from servingops.model.endpoint import EndpointSpec
from servingops.model.kinds import APPLY_ORDER, ChangeGroup, OnFailure
from servingops.model.pulumi_inputs import PreviousSpec
from servingops.model.state import EndpointState, desired_state
from servingops.smoke import raise_on_failure, run_smoke
from servingops.waiter import default_deadline, describe_state, wait_until_settled

Progress = Callable[[str], None]


@dataclass
class Reconciler:
    """Applies specs through a control-plane client; clock, deadline and logging injected."""

    client: Any
    host: str
    clock: Clock = field(default_factory=RealClock)
    deadline_s: float | None = None
    adopt: bool = True
    log: Progress = lambda _msg: None

    def outputs(self, spec: EndpointSpec, detail: dict[str, Any]) -> dict[str, Any]:
        """The Pulumi outputs: live state (as JSON) plus what apps consume."""
        state = rest.live_state(detail, previous=desired_state(spec)).to_json()
        config = detail.get("config") or {}
        return {
            "name": spec.name,
            "endpoint_id": detail.get("id") or "",
            "invocation_url": f"{self.host.rstrip('/')}/serving-endpoints/{spec.name}/invocations",
            "config_version": int(config.get("config_version") or 0),
            "ready": (detail.get("state") or {}).get("ready", ""),
            "state": state,
        }

    def create(self, spec: EndpointSpec) -> dict[str, Any]:
        """Create (or adopt) the endpoint, wait, smoke-check; return its outputs."""
        if spec.is_reference:
            return self._reference(spec)
        existing = self.client.find_endpoint(spec.name)
        if existing is not None:
            return self._adopt(spec, existing)
        self.log(f"creating {spec.name}")
        body = rest.create_body(spec)
        if spec.uses_pt_route:
            self.client.create_pt_endpoint(body)
        else:
            self.client.create_endpoint(body)
        detail = self._settle(spec)
        raise_on_failure(run_smoke(self.client, spec))
        return self.outputs(spec, detail)

    def read(self, name: str, previous: EndpointState | None) -> EndpointState | None:
        """Live state (None when the endpoint is gone)."""
        detail = self.client.find_endpoint(name)
        if detail is None:
            return None
        return rest.live_state(detail, previous=previous)

    def update(
        self,
        spec: EndpointSpec,
        previous: PreviousSpec | None,
        record: EndpointState | None = None,
    ) -> dict[str, Any]:
        """Bring the live endpoint to ``spec``: changed groups only; rollback on smoke failure.

        ``record`` is the state stored at the last write (its write-only fingerprints say
        what was sent); without it, the fingerprints of ``previous`` stand in.
        """
        if spec.is_reference:
            return self._reference(spec)
        detail = self.client.find_endpoint(spec.name)
        if detail is None:
            self.log(f"{spec.name} was deleted outside Pulumi: creating it again")
            return self.create(spec)
        if record is None and previous is not None:
            record = desired_state(previous.spec)
        self._apply(spec, detail, self.plan(spec, detail, record))
        detail = self._settle(spec)
        try:
            raise_on_failure(run_smoke(self.client, spec))
        except SmokeFailed as err:
            self._maybe_rollback(spec, previous, err)
            raise
        return self.outputs(spec, detail)

    def delete(self, spec: EndpointSpec) -> None:
        """Delete the endpoint; pay-per-token references are never deleted."""
        if spec.is_reference:
            self.log(f"{spec.name} is a pay-per-token reference: left in place")
            return
        try:
            self.client.delete_endpoint(spec.name, missing_ok=True)
        except NotFound:
            self.log(f"{spec.name} was already gone")

    def plan(
        self, spec: EndpointSpec, detail: dict[str, Any], record: EndpointState | None
    ) -> list[FieldChange]:
        """Changes from the live endpoint to ``spec`` (write-only compared to ``record``)."""
        return diff_endpoint(rest.live_state(detail, previous=record), desired_state(spec))

    def _apply(
        self, spec: EndpointSpec, detail: dict[str, Any], changes: list[FieldChange]
    ) -> None:
        """Send each changed group's call, in ``APPLY_ORDER``."""
        groups = changed_groups(changes)
        for group in APPLY_ORDER:
            if group in groups:
                self._apply_group(group, spec, detail)

    def _apply_group(self, group: ChangeGroup, spec: EndpointSpec, detail: dict[str, Any]) -> None:
        match group:
            case ChangeGroup.TAGS:
                self._put_tags(spec, detail)
            case ChangeGroup.AI_GATEWAY:
                self.log(f"{spec.name}: replacing ai_gateway")
                self.client.put_ai_gateway(spec.name, rest.gateway_body(spec))
            case ChangeGroup.CONFIG:
                self._put_config(spec)
            case ChangeGroup.NOTIFICATIONS:
                self.client.patch_notifications(spec.name, rest.notifications_body(spec) or {})
            case ChangeGroup.REPLACE:
                raise ToolError(f"{spec.name}: a replacement cannot be applied as an update")
            case _:
                assert_never(group)

    def _put_tags(self, spec: EndpointSpec, detail: dict[str, Any]) -> None:
        live = rest.tags_from_api(detail.get("tags"))
        add, delete = rest.tags_patch(live, spec.tags or {})
        self.log(f"{spec.name}: tags +{len(add)} -{len(delete)}")
        self.client.patch_tags(spec.name, add, delete)

    def _put_config(self, spec: EndpointSpec) -> None:
        self.log(f"{spec.name}: updating config")
        self._settle(spec)  # an update already running is waited out first
        if spec.uses_pt_route:
            self.client.update_pt_config(spec.name, rest.config_body(spec))
        else:
            self.client.update_config(spec.name, rest.config_body(spec))

    def _settle(self, spec: EndpointSpec) -> dict[str, Any]:
        deadline = self.deadline_s if self.deadline_s is not None else default_deadline(spec.tier)
        detail: dict[str, Any] = wait_until_settled(
            self.client,
            spec.name,
            deadline_s=deadline,
            clock=self.clock,
            on_progress=lambda e: self.log(f"{spec.name}: {describe_state(e)}"),
        )
        return detail

    def _adopt(self, spec: EndpointSpec, detail: dict[str, Any]) -> dict[str, Any]:
        if not self.adopt:
            raise ToolError(
                f"endpoint '{spec.name}' already exists and adoption is off",
                hint="set servingops:adopt true, or delete/rename the existing endpoint",
            )
        self.log(f"{spec.name} exists: adopting it and bringing it to the declared state")
        detail = self._settle(spec)
        self._apply(spec, detail, self.plan(spec, detail, None))
        detail = self._settle(spec)
        raise_on_failure(run_smoke(self.client, spec))
        return self.outputs(spec, detail)

    def _reference(self, spec: EndpointSpec) -> dict[str, Any]:
        try:
            detail = self.client.get_endpoint(spec.name)
        except NotFound as err:
            raise ToolError(
                f"pay-per-token endpoint '{spec.name}' does not exist in this workspace",
                hint="pay-per-token endpoints are pre-configured by the platform; check the name",
            ) from err
        raise_on_failure(run_smoke(self.client, spec))
        return self.outputs(spec, detail)

    def _maybe_rollback(
        self, spec: EndpointSpec, previous: PreviousSpec | None, err: SmokeFailed
    ) -> None:
        """Put the previous spec back through the same plan/apply path as any update."""
        if spec.smoke.on_failure is not OnFailure.ROLLBACK or previous is None:
            return
        if previous.unknown_secrets:
            err.message += "\n  not rolled back: the previous value of "
            err.message += ", ".join(previous.unknown_secrets)
            err.message += " is not known (it changed or is no longer declared, and secrets "
            err.message += "are never stored)"
            return
        self.log(f"{spec.name}: smoke failed, restoring the previous spec")
        detail = self.client.get_endpoint(spec.name)
        old = previous.spec
        self._apply(old, detail, self.plan(old, detail, desired_state(spec)))
        version = (self._settle(old).get("config") or {}).get("config_version")
        err.message += (
            f"\n  rolled back: the previous spec is live again (config_version {version})"
        )
