"""Reconcile one endpoint against the control plane, from whatever state it is in.

The Pulumi provider is a thin shell over these functions. Each step starts from the
*live* endpoint, so a run that failed or was killed half-way is continued, not
repeated or blocked:

* a leftover ``UPDATE_FAILED``/``UPDATE_CANCELED`` (of an update or of the create) is
  no reason to stop: the declared config is sent again (the API accepts a new config
  on a failed endpoint); an update still ``IN_PROGRESS`` is waited out first;
* changes that need more than one call are sent as steps (an enabled inference table
  is disabled, then enabled under its new names); a failed step leaves a live state
  that the next plan continues from;
* sub-APIs go in ``APPLY_ORDER`` (tags → ai_gateway → config (wait) → notifications →
  permissions), only the groups that changed; the ACL is read and written by the
  endpoint's id, and only when the file manages ``permissions``;
* a create that finds the name taken converges on it only when it is ours or the
  user consented (``servingops.ownership``);
* every write is followed by a wait and a smoke query; the outputs record when it
  last passed (``servingops.outputs``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, assert_never

from servingops.clock import Clock, RealClock
from servingops.diff import FieldChange, changed_groups, diff_endpoint
from servingops.errors import BadRequest, NotFound, SmokeFailed, ToolError, UpdateFailed
from servingops.model import rest
from servingops.model.endpoint import SWITCHED_OFF, AiGateway, EndpointSpec
from servingops.model.kinds import APPLY_ORDER, ChangeGroup, OnFailure
from servingops.model.pulumi_inputs import PreviousSpec
from servingops.model.state import EndpointState, desired_state
from servingops.outputs import endpoint_outputs, smoke_record, utc_now
from servingops.ownership import (
    check_caller_kept,
    check_creator_keeps_manage,
    check_delete,
    check_takeover,
    check_update,
    check_workspace,
)
from servingops.redact import secret_values
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
    adopt: bool = False
    """Stack-wide consent to take over endpoints made by hand (``servingops:adopt``)."""
    log: Progress = lambda _msg: None
    now: Callable[[], str] = utc_now
    smoke_skipped: dict[str, tuple[str, bool]] = field(default_factory=dict)
    """Endpoint name -> (the smoke queries skipped at the last write and why, whether every
    query was skipped), e.g. a route-optimized endpoint with a personal access token: the
    ``smoke.skipped`` output (``skipped_at`` instead of ``passed_at`` when none was sent)."""
    """Wall-clock time for the ``smoke.passed_at`` output (injected in tests)."""
    workspace: str | None = None
    """The workspace recorded at the last write (outputs' ``workspace_id``): read, update
    and delete refuse to act in another one. None: not recorded (nothing to compare)."""

    def outputs(self, spec: EndpointSpec, detail: dict[str, Any]) -> dict[str, Any]:
        """The Pulumi outputs after a write whose smoke check passed."""
        acl = self._acl(spec.name, detail) if spec.permissions is not None else None
        out = endpoint_outputs(self.host, spec.name, detail, desired_state(spec), acl)
        out["workspace_id"] = self.client.workspace()
        if spec.switched_off:
            self.log(f"{spec.name}: {SWITCHED_OFF}")
        elif spec.smoke.enabled:
            out["smoke"] = smoke_record(out, self.now(), spec.ai_gateway is not None)
            if spec.name in self.smoke_skipped:
                out["smoke"] = _skipped_record(out["smoke"], *self.smoke_skipped[spec.name])
        return out

    def _smoke(self, spec: EndpointSpec) -> None:
        """Smoke-query ``spec``; log and remember skipped queries (``smoke_skipped``), raise
        ``SmokeFailed`` naming every failed one."""
        outcomes = run_smoke(self.client, spec)
        self.smoke_skipped.pop(spec.name, None)  # an earlier write's skip is not this one's
        skipped = [o for o in outcomes if o.skipped]
        for outcome in skipped:
            self.log(f"smoke {outcome.describe()}")
        if skipped:
            why = "; ".join(o.describe() for o in skipped)
            self.smoke_skipped[spec.name] = (why, len(skipped) == len(outcomes))
        raise_on_failure(outcomes)

    def takeover_reason(self, spec: EndpointSpec) -> str:
        """Why creating ``spec`` would adopt a live endpoint ("" when the name is free);
        raises ``NotOurs`` when it may not be taken over."""
        detail = self.client.find_endpoint(spec.name)
        return "" if detail is None else check_takeover(spec, detail, stack_adopt=self.adopt)

    def create(self, spec: EndpointSpec) -> dict[str, Any]:
        """Create (or adopt) the endpoint, wait, smoke-check; return its outputs."""
        if spec.is_reference:
            return self._reference(spec)
        existing = self.client.find_endpoint(spec.name)
        if existing is not None:
            return self._take_over(spec, existing)
        self.log(f"creating {spec.name}")
        body = rest.create_body(spec)
        if spec.uses_pt_route:
            self.client.create_pt_endpoint(body)
        else:
            self.client.create_endpoint(body)
        detail = self._settle(spec)
        self._sync_permissions(spec, detail)
        self._smoke(spec)
        return self.outputs(spec, detail)

    def read(self, name: str, previous: EndpointState | None) -> dict[str, Any] | None:
        """Every output recomputed from the live endpoint (None when it is gone)."""
        detail = self.client.find_endpoint(name)
        self._guard_workspace(name)
        if detail is None:
            return None
        managed = previous is not None and previous.permissions is not None
        out = endpoint_outputs(
            self.host, name, detail, previous, self._acl(name, detail) if managed else None
        )
        return {**out, "workspace_id": self.client.workspace()}

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
        self._guard_workspace(spec.name)
        if detail is None:
            self.log(f"{spec.name} was deleted outside Pulumi: creating it again")
            return self.create(spec)
        check_update(spec, detail)
        if record is None and previous is not None:
            record = desired_state(previous.spec)
        self._apply(spec, detail, self.plan(spec, detail, record))
        detail = self._settle(spec)
        try:
            self._smoke(spec)
        except SmokeFailed as err:
            self._maybe_rollback(spec, previous, err)
            raise
        return self.outputs(spec, detail)

    def delete(self, spec: EndpointSpec) -> None:
        """Delete the endpoint; pay-per-token references are never deleted.

        A reference's AI gateway is left as it is too: the ``databricks-*`` endpoint is
        shared by the workspace and its limits are a cost guard, so removing the file must
        not lift them (to clear it, declare ``ai_gateway: {}`` and ``up`` first)."""
        if spec.is_reference:
            kept = " (its AI gateway too)" if spec.ai_gateway is not None else ""
            self.log(f"{spec.name} is a pay-per-token reference: left in place{kept}")
            return
        detail = self.client.find_endpoint(spec.name)
        self._guard_workspace(spec.name)
        if detail is None:
            self.log(f"{spec.name} was already gone")
            return
        if not check_delete(spec, detail):
            self.log(f"{spec.name} belongs to stack '{rest.owner_of(detail)}' now: left in place")
            return
        try:
            self.client.delete_endpoint(spec.name, missing_ok=True)
        except NotFound:
            self.log(f"{spec.name} was already gone")

    def plan(
        self, spec: EndpointSpec, detail: dict[str, Any], record: EndpointState | None
    ) -> list[FieldChange]:
        """Changes from the live endpoint to ``spec`` (write-only compared to ``record``),
        plus the ownership tag, and the config again after a failed update. Refuses a
        file that would take the creator's CAN_MANAGE away, or drop the caller's own
        entry (before anything is written)."""
        check_creator_keeps_manage(spec, rest.creator_of(detail))
        acl = self._acl(spec.name, detail) if spec.permissions is not None else None
        live, desired = rest.live_state(detail, previous=record, acl=acl), desired_state(spec)
        changes = diff_endpoint(live, desired)
        self._check_caller_kept(spec, live, desired)
        if spec.owner is not None and rest.owner_of(detail) != spec.owner:
            path = f"tags.{rest.OWNER_TAG}"
            changes.append(FieldChange(path, rest.owner_of(detail), spec.owner, ChangeGroup.TAGS))
        failed = rest.config_update(detail)
        if failed in rest.FAILED_UPDATES and ChangeGroup.CONFIG not in changed_groups(changes):
            note = "the last update failed: the declared config is sent again"
            changes.append(FieldChange("config", failed, "resend", ChangeGroup.CONFIG, note))
        return changes

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
                self._put_gateway(spec, detail)
            case ChangeGroup.CONFIG:
                self._put_config(spec)
            case ChangeGroup.NOTIFICATIONS:
                self.client.patch_notifications(spec.name, rest.notifications_body(spec) or {})
            case ChangeGroup.PERMISSIONS:
                self.log(
                    f"{spec.name}: setting permissions ({len(spec.permissions or ())} declared)"
                )
                self._put_permissions(spec, detail)
            case ChangeGroup.REPLACE:
                raise ToolError(f"{spec.name}: a replacement cannot be applied as an update")
            case _:
                assert_never(group)

    def _put_gateway(self, spec: EndpointSpec, detail: dict[str, Any]) -> None:
        """One PUT, or two when an enabled inference table is renamed (disable first)."""
        live = AiGateway.from_mapping(detail.get("ai_gateway")).with_default_table_prefix(spec.name)
        wanted = (spec.ai_gateway or AiGateway()).with_default_table_prefix(spec.name)
        if wanted.renames_table_of(live):
            self.log(f"{spec.name}: disabling the inference table before renaming it")
            self.client.put_ai_gateway(spec.name, live.with_table_disabled().to_mapping())
        self.log(f"{spec.name}: replacing ai_gateway")
        self.client.put_ai_gateway(spec.name, rest.gateway_body(spec))

    def _put_tags(self, spec: EndpointSpec, detail: dict[str, Any]) -> None:
        live = rest.tags_from_api(detail.get("tags"))
        add, delete = rest.tags_patch(live, spec.tags, spec.owner)
        self.log(f"{spec.name}: tags +{len(add)} -{len(delete)}")
        self.client.patch_tags(spec.name, add, delete)

    def _put_config(self, spec: EndpointSpec) -> None:
        self.log(f"{spec.name}: updating config")
        self._wait_idle(spec)
        if spec.uses_pt_route:
            self.client.update_pt_config(spec.name, rest.config_body(spec))
        else:
            self.client.update_config(spec.name, rest.config_body(spec))

    def _check_caller_kept(
        self, spec: EndpointSpec, live: EndpointState, desired: EndpointState
    ) -> None:
        """Refuse a PUT that would drop servingops' own entry (``ownership.check_caller_kept``);
        asks who the caller is only when the PUT would remove a direct entry."""
        if desired.permissions is None or live.permissions is None:
            return
        creator = (live.creator or "").lower()
        removed = [
            key
            for key in set(live.permissions) - set(desired.permissions)
            if key.partition(":")[2] != creator  # the PUT keeps the creator's entry
        ]
        if removed:
            check_caller_kept(spec, rest.user_name_of(self.client.current_user()), removed)

    def _put_permissions(self, spec: EndpointSpec, detail: dict[str, Any]) -> None:
        """One PUT of the declared ACL by the endpoint's id; a refusal names the file."""
        body = rest.permissions_body(spec, rest.creator_of(detail))
        try:
            self.client.set_permissions(rest.endpoint_id(detail), body, name=spec.name)
        except BadRequest as err:
            err.message += f"\n  permissions are declared in {spec.source or 'its file'}"
            raise

    def _acl(self, name: str, detail: dict[str, Any]) -> dict[str, Any]:
        """The endpoint's ACL, read by its id (the Permissions API is id-keyed)."""
        answer: dict[str, Any] = self.client.get_permissions(rest.endpoint_id(detail), name=name)
        return answer

    def _sync_permissions(self, spec: EndpointSpec, detail: dict[str, Any]) -> None:
        """After a create: set the declared ACL when it differs from the new endpoint's."""
        if spec.permissions is None:
            return
        changes = self.plan(spec, detail, None)
        if any(c.group is ChangeGroup.PERMISSIONS for c in changes):
            self._apply_group(ChangeGroup.PERMISSIONS, spec, detail)

    def _settle(self, spec: EndpointSpec) -> dict[str, Any]:
        deadline = self.deadline_s if self.deadline_s is not None else default_deadline(spec.tier)
        secrets = secret_values(dict(spec.raw))
        detail: dict[str, Any] = wait_until_settled(
            self.client,
            spec.name,
            deadline_s=deadline,
            clock=self.clock,
            on_progress=lambda e: self.log(f"{spec.name}: {describe_state(e, secrets)}"),
            secrets=secrets,
        )
        return detail

    def _guard_workspace(self, name: str) -> None:
        check_workspace(f"endpoint '{name}'", self.workspace, self.client.workspace())

    def _wait_idle(self, spec: EndpointSpec) -> dict[str, Any]:
        """Wait out an update in progress; a failed one is no reason to stop (ours goes next)."""
        detail: dict[str, Any] = self.client.get_endpoint(spec.name)
        if rest.config_update(detail) != "IN_PROGRESS":
            return detail
        try:
            return self._settle(spec)
        except UpdateFailed:
            self.log(f"{spec.name}: the update in progress failed; sending the declared config")
            refreshed: dict[str, Any] = self.client.get_endpoint(spec.name)
            return refreshed

    def _take_over(self, spec: EndpointSpec, detail: dict[str, Any]) -> dict[str, Any]:
        """Converge on an endpoint that exists already: ours, or taken over with consent."""
        why = check_takeover(spec, detail, stack_adopt=self.adopt)
        self.log(f"{spec.name} exists: adopting it ({why})")
        detail = self._wait_idle(spec)
        changes = self.plan(spec, detail, None)
        if desired_state(spec).write_only and ChangeGroup.CONFIG not in changed_groups(changes):
            note = "write-only values cannot be compared with what is live: sent"
            changes.append(FieldChange("config", None, "write-only", ChangeGroup.CONFIG, note))
        self._apply(spec, detail, changes)
        detail = self._settle(spec)
        self._smoke(spec)
        return self.outputs(spec, detail)

    def _reference(self, spec: EndpointSpec) -> dict[str, Any]:
        """A pay-per-token reference: check it exists, set its AI gateway when the file
        manages one (never its config, tags, ACL, nor a create), smoke-query it."""
        try:
            detail = self.client.get_endpoint(spec.name)
        except NotFound as err:
            raise ToolError(
                f"pay-per-token endpoint '{spec.name}' does not exist in this workspace",
                hint="pay-per-token endpoints are pre-configured by the platform; check the name",
            ) from err
        changes = diff_endpoint(rest.live_state(detail), desired_state(spec))
        if ChangeGroup.AI_GATEWAY in changed_groups(changes):  # the only thing it manages
            self._put_gateway(spec, detail)
            detail = self.client.get_endpoint(spec.name)  # the outputs show the new gateway
        self._smoke(spec)
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


def _skipped_record(record: dict[str, str], why: str, all_skipped: bool) -> dict[str, str]:
    """The ``smoke`` output with the skipped queries: ``skipped`` names them and why; when
    no query was sent, ``skipped_at`` replaces ``passed_at`` (nothing passed)."""
    out = {**record, "skipped": why}
    if all_skipped:
        out["skipped_at"] = out.pop("passed_at")
    return out
