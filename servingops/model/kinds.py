"""The closed vocabularies of an endpoint: tier, task, kind of endpoint, change group.

String enums (``StrEnum``), so they compare equal to the file's and the API's strings
and a ``match`` over them is checked by mypy (the SDK's ``ExternalModelProvider`` idea).
"""

from __future__ import annotations

from enum import StrEnum


class Tier(StrEnum):
    """The throughput tier an endpoint file declares (``tier:``)."""

    EXTERNAL = "external"
    PROVISIONED = "provisioned"
    PAY_PER_TOKEN = "pay-per-token"


class Task(StrEnum):
    """The task of every served entity (``task:``; control-plane-api.md §4)."""

    CHAT = "llm/v1/chat"
    COMPLETIONS = "llm/v1/completions"
    EMBEDDINGS = "llm/v1/embeddings"


class Kind(StrEnum):
    """The family of an endpoint; a change of family forces a replacement (§8)."""

    EXTERNAL = "external"
    PROVISIONED = "provisioned"
    PT = "pt"
    """Sized in model units: created and updated through the ``/pt`` routes."""
    PAY_PER_TOKEN = "pay-per-token"
    EMPTY = "empty"
    """Live only: an endpoint with no served entities (its family cannot be told)."""


class ChangeGroup(StrEnum):
    """Which API call applies a change; ``APPLY_ORDER`` is the order they are sent in."""

    REPLACE = "replace"
    """No update API (name, kind, route_optimized, description): delete and create."""
    TAGS = "tags"
    AI_GATEWAY = "ai_gateway"
    CONFIG = "config"
    NOTIFICATIONS = "notifications"
    PERMISSIONS = "permissions"
    """The endpoint's ACL (``/api/2.0/permissions/serving-endpoints/{id}``), keyed by id."""


APPLY_ORDER = (
    ChangeGroup.TAGS,
    ChangeGroup.AI_GATEWAY,
    ChangeGroup.CONFIG,
    ChangeGroup.NOTIFICATIONS,
    ChangeGroup.PERMISSIONS,
)
"""tags → ai_gateway → config → notifications: the Databricks CLI's order (§7); the ACL
last, after the endpoint exists and its config is sent (bundles set permissions after
the resource, too)."""


class PermissionLevel(StrEnum):
    """A level of the serving-endpoint ACL (control-plane-api.md §1)."""

    CAN_VIEW = "CAN_VIEW"
    CAN_QUERY = "CAN_QUERY"
    CAN_MANAGE = "CAN_MANAGE"


class PrincipalKind(StrEnum):
    """Who a permission names; the key of a ``permissions`` entry (Databricks Asset Bundles'
    shape, which is also the Permissions API's)."""

    USER = "user_name"
    GROUP = "group_name"
    SERVICE_PRINCIPAL = "service_principal_name"

    def canonical(self, principal: str) -> str:
        """``principal`` as the Permissions API answers it: user e-mails and service
        principal application ids are case-insensitive and come back lowercased
        (terraform-provider-databricks#5183, fixed in #5757 the same way); group names
        keep their case."""
        return principal if self is PrincipalKind.GROUP else principal.lower()

    def key(self, principal: str) -> str:
        """``<kind>:<principal>`` (``group_name:ml-team``), ``principal`` canonical: who,
        as one comparable string (the key of ``EndpointState.permissions``)."""
        return f"{self.value}:{self.canonical(principal)}"


class OnFailure(StrEnum):
    """What a failed smoke check does after an update (``smoke.on_failure``)."""

    FAIL = "fail"
    ROLLBACK = "rollback"
