"""``WorkspaceBinding``: which workspace a stack manages, checked before anything else.

Created once per stack, it records the workspace's identity as the API reports it (the
``x-databricks-org-id`` every workspace answer carries; the host where there is none),
so a local plane restarted on another port is still the same workspace. Every
``ServingEndpoint`` depends on it, and its ``diff`` runs first in every ``preview`` and
``up``: credentials that point at another workspace stop the run before any endpoint is
read, created or taken over there. ``servingops:allowWorkspaceChange true`` moves the
stack on purpose (the binding is updated; the endpoints follow their files there).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pulumi
from pulumi.dynamic import (
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    Resource,
    ResourceProvider,
    UpdateResult,
)

from providers.connection import open_client, settings_from
from servingops.ownership import WorkspaceMismatch

if TYPE_CHECKING:
    import httpx

__all__ = ["WorkspaceBinding", "WorkspaceMismatch", "WorkspaceProvider"]


class WorkspaceProvider(ResourceProvider):
    """Records the workspace identity on create; compares it on every diff."""

    def __init__(self, *, http: httpx.Client | None = None) -> None:
        self.http = http
        self.settings: dict[str, str] = {}

    def __getstate__(self) -> dict[str, Any]:
        """Nothing but the class goes into Pulumi state."""
        return {}

    def __setstate__(self, _state: dict[str, Any]) -> None:
        self.__init__()  # type: ignore[misc]

    def configure(self, req: ConfigureRequest) -> None:
        """Keep the stack's control-plane settings on this (per-process) instance."""
        self.settings.update(settings_from(req))

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Record the identity of the workspace the credentials reach."""
        outs = self._identity()
        return CreateResult(outs["workspace_id"], {**props, **outs})

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """Same workspace: no change. Another one: stop, unless the stack allows the move."""
        now = self._identity()
        if now["workspace_id"] == olds.get("workspace_id"):
            return DiffResult(changes=False)
        if not news.get("allow_change"):
            raise _mismatch(olds, now)
        return DiffResult(changes=True)

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Record the new workspace (only reached with ``allowWorkspaceChange``)."""
        return UpdateResult({**news, **self._identity()})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """The record is ours, not the workspace's: refresh keeps it (diff compares)."""
        return ReadResult(id_, props)

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """Nothing to delete: the binding exists only in the stack."""

    def _identity(self) -> dict[str, str]:
        with open_client(self.settings, self.http) as client:
            workspace = client.workspace_id()
            return {"workspace_id": workspace or client.host, "host": client.host}


def _mismatch(olds: dict[str, Any], now: dict[str, str]) -> WorkspaceMismatch:
    return WorkspaceMismatch(
        f"this stack manages workspace {olds.get('workspace_id')} ({olds.get('host')}), but "
        f"the credentials reach workspace {now['workspace_id']} ({now['host']}): "
        "refusing to read, create or take over endpoints there",
        hint="check DATABRICKS_HOST / servingops:host; to move the stack on purpose, "
        "`pulumi config set servingops:allowWorkspaceChange true`",
    )


class WorkspaceBinding(Resource, module="serving", name="WorkspaceBinding"):
    """The workspace this stack manages (one per stack)."""

    workspace_id: pulumi.Output[str]
    host: pulumi.Output[str]

    def __init__(self, resource_name: str, *, allow_change: bool = False) -> None:
        props = {"allow_change": allow_change, "workspace_id": None, "host": None}
        super().__init__(WorkspaceProvider(), resource_name, props)
