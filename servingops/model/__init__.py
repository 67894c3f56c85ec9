"""The one home of an endpoint: typed values, the field registry and the two codecs.

* ``kinds``: ``Tier``, ``Task``, ``Kind``, ``ChangeGroup``, ``OnFailure``.
* ``fields``: the field registry derived from the schema (secrets, write-only and
  server-added fields, provider blocks), the one mask and the one path syntax.
* ``endpoint``: ``EndpointSpec`` and its parts (desired state, three states per key).
* ``state``: ``EndpointState``, the comparable form of desired and live endpoints.
* ``rest``: the REST codec (request bodies, live state and export from a GET).
* ``pulumi_inputs``: the Pulumi codec (inputs with secrets split out, previous specs).
"""

from servingops.model.endpoint import (
    AiGateway,
    EmailNotifications,
    EndpointSpec,
    Permission,
    ServedEntity,
    SmokeSpec,
)
from servingops.model.fields import MASK, FieldRegistry, registry
from servingops.model.kinds import (
    APPLY_ORDER,
    ChangeGroup,
    Kind,
    OnFailure,
    PermissionLevel,
    PrincipalKind,
    Task,
    Tier,
)
from servingops.model.state import EndpointState, desired_state

__all__ = [
    "APPLY_ORDER",
    "MASK",
    "AiGateway",
    "ChangeGroup",
    "EmailNotifications",
    "EndpointSpec",
    "EndpointState",
    "FieldRegistry",
    "Kind",
    "OnFailure",
    "Permission",
    "PermissionLevel",
    "PrincipalKind",
    "ServedEntity",
    "SmokeSpec",
    "Task",
    "Tier",
    "desired_state",
    "registry",
]
