"""Settings of the local control plane, and the clock type it runs on."""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from plane.inference.context import FORWARD_MODES

Clock = Callable[[], float]
"""Returns the current time as epoch seconds; inject a fake one in tests."""

WORKSPACE_ID_DIGITS = 16
"""Length of a generated workspace id (real workspace / org ids are 15-16 digits)."""
_WORKSPACE_ID = re.compile(r"[1-9][0-9]{0,17}")


def generate_token() -> str:
    """Return a fresh personal-access-token look-alike (``dapi`` + 32 hex digits)."""
    return "dapi" + secrets.token_hex(16)


def generate_workspace_id() -> str:
    """Return a fresh workspace id: 16 random decimal digits, no leading zero."""
    low = 10 ** (WORKSPACE_ID_DIGITS - 1)
    return str(low + secrets.randbelow(9 * low))


def check_workspace_id(value: str) -> str:
    """Return ``value`` if it is a workspace id (1-18 digits, no leading zero), else raise.

    Clients parse the id as a 64-bit integer (``WorkspaceClient.get_workspace_id``).
    """
    if not _WORKSPACE_ID.fullmatch(value):
        raise ValueError(f"workspace_id must be 1-18 digits without a leading zero, got {value!r}")
    return value


def system_clock() -> float:
    """Return the wall-clock time in epoch seconds (the default clock)."""
    return time.time()


def ms(seconds: float) -> int:
    """Epoch seconds (a ``Clock`` reading) to epoch milliseconds (the API's timestamp unit)."""
    return int(seconds * 1000)


DEMO_USERS = ("ana@example.com",)
DEMO_SERVICE_PRINCIPALS = ("5f3c9a52-7d3e-4b1a-9c4e-2a8b6d0e1f37",)
"""The support app's service principal, named in ``endpoints/support-chat.yaml``."""
DEMO_GROUPS = {"ml-platform": ("ana@example.com",)}
"""The group that manages the example endpoints (``endpoints/*.yaml`` permissions)."""


@dataclass
class PlaneSettings:
    """Everything that changes how the plane behaves; all fields have safe defaults."""

    token: str = field(default_factory=generate_token)
    """The bearer token every request must carry (besides OAuth-issued tokens)."""
    client_id: str | None = None
    """OAuth M2M client id; with ``client_secret`` enables ``POST /oidc/v1/token``."""
    client_secret: str | None = None
    """OAuth M2M client secret."""
    user_name: str = "plane-user@example.com"
    """Principal of the start token: the ``creator`` of endpoints it creates."""
    workspace_id: str | None = None
    """Fixed workspace id (``x-databricks-org-id``); None = the one stored in the database."""
    settle_seconds: float = 1.0
    """Seconds a create / config update stays IN_PROGRESS (external, custom models)."""
    pt_settle_seconds: float = 5.0
    """Seconds a provisioned-throughput create / update stays IN_PROGRESS."""
    shuffle_entities: bool = False
    """Return served entities in a random order on every read (default: sorted by name)."""
    seed: int | None = None
    """Seed of the random generator (traffic split, shuffling); None = unpredictable."""
    max_entities: int = 15
    """Most served entities one endpoint may have."""
    max_name_length: int = 63
    """Longest endpoint / served-entity name accepted (unverified upstream; configurable)."""
    max_body_bytes: int = 4 * 1024 * 1024
    """Largest request body accepted; larger ones get 413."""
    require_traffic_sum_100: bool = True
    """Reject a traffic_config whose percentages do not add up to 100."""
    oauth_token_ttl_seconds: int = 3600
    """Lifetime of tokens issued by the OAuth client-credentials route."""
    forward: str = "loopback"
    """Which upstream base URLs the inference engine may forward to: none | loopback | all."""
    seed_pay_per_token: bool = True
    """Create the catalogue's pay-per-token ``databricks-*`` endpoints at start-up."""
    enforce_acl: bool = False
    """Refuse a query (403 PERMISSION_DENIED) from a caller without CAN_QUERY on the
    endpoint, directly or through a group (``plane.principals``); on in tests."""
    users: tuple[str, ...] = DEMO_USERS
    """Workspace users an ACL may name (besides ``user_name``, always known)."""
    service_principals: tuple[str, ...] = DEMO_SERVICE_PRINCIPALS
    """Service principals (application ids) an ACL may name (besides ``client_id``)."""
    groups: dict[str, tuple[str, ...]] = field(default_factory=lambda: dict(DEMO_GROUPS))
    """Group name -> members; ``admins`` (plus ``user_name``) and ``users`` always exist."""

    def __post_init__(self) -> None:
        if self.forward not in FORWARD_MODES:
            raise ValueError(f"forward must be one of {FORWARD_MODES}, got {self.forward!r}")
        if (self.client_id is None) != (self.client_secret is None):
            raise ValueError("client_id and client_secret must be given together")
        if not self.token:
            raise ValueError("token must not be empty")
        if self.workspace_id is not None:
            check_workspace_id(self.workspace_id)

    @property
    def oauth_enabled(self) -> bool:
        """True when an OAuth M2M client is configured."""
        return bool(self.client_id and self.client_secret)
