"""The workspace's principals, as far as endpoint ACLs need them: users, groups and
service principals, with group members (seedable through ``PlaneSettings``).

The real service refuses an ACL entry naming a principal the workspace does not know
(400), and answers a query only for callers with ``CAN_QUERY`` or better, directly or
through a group. Workspace admins (the ``admins`` group) can manage every endpoint; the
``users`` group holds every user and service principal.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from plane.settings import PlaneSettings

ADMINS = "admins"
USERS = "users"


@dataclass(frozen=True)
class Directory:
    """Who exists: principal names by kind, and group name -> member names (user e-mails
    and application ids lowercased: they ignore case)."""

    users: frozenset[str]
    service_principals: frozenset[str]
    groups: Mapping[str, frozenset[str]]

    @classmethod
    def from_settings(cls, settings: PlaneSettings) -> Directory:
        """The seeded principals plus the plane's own: the start token's user (an admin)
        and the OAuth client (a service principal)."""
        users = _lower({*settings.users, settings.user_name})
        sps = _lower({*settings.service_principals, *filter(None, [settings.client_id])})
        groups = {name: _lower(members) for name, members in settings.groups.items()}
        groups[ADMINS] = groups.get(ADMINS, frozenset()) | _lower([settings.user_name])
        groups[USERS] = users | sps
        return cls(users, sps, groups)

    def exists(self, kind: str, name: str) -> bool:
        """True when a principal of that kind (``user_name``, ``group_name``,
        ``service_principal_name``) has that name."""
        match kind:
            case "user_name":
                return name.lower() in self.users
            case "service_principal_name":
                return name.lower() in self.service_principals
            case "group_name":
                return name in self.groups
        return False

    def is_member(self, principal: str, group: str) -> bool:
        """True when ``principal`` belongs to ``group``."""
        return principal.lower() in self.groups.get(group, frozenset())


def _lower(names: Iterable[str]) -> frozenset[str]:
    """User e-mails and application ids ignore case: kept lowercased."""
    return frozenset(name.lower() for name in names)
