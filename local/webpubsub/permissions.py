"""Client permissions: roles from the access token plus grants made through REST."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

Permission = Literal["joinLeaveGroup", "sendToGroup"]
PERMISSIONS: tuple[Permission, ...] = ("joinLeaveGroup", "sendToGroup")
Grant = tuple[Permission, str | None]
"""A permission for one group, or for every group when the target is None."""

_ROLE_PREFIX = "webpubsub."


def parse_permission(name: str) -> Permission | None:
    """Return the canonical permission for a REST path segment (case-insensitive)."""
    for permission in PERMISSIONS:
        if name.lower() == permission.lower():
            return permission
    return None


def grants_from_roles(roles: Iterable[str]) -> set[Grant]:
    """Map `webpubsub.<permission>[.<group>]` roles to grants; other roles grant nothing."""
    grants: set[Grant] = set()
    for role in roles:
        if not role.startswith(_ROLE_PREFIX):
            continue
        name, dot, group = role[len(_ROLE_PREFIX) :].partition(".")
        permission = parse_permission(name)
        if permission is not None:
            grants.add((permission, group if dot else None))
    return grants


def is_allowed(grants: set[Grant], permission: Permission, group: str) -> bool:
    """Whether the grants allow `permission` on `group`."""
    return (permission, None) in grants or (permission, group) in grants


def revoke(grants: set[Grant], permission: Permission, target: str | None) -> None:
    """Revoke one group's grant, or every grant of that permission when target is None."""
    if target is None:
        grants.difference_update({grant for grant in grants if grant[0] == permission})
    else:
        grants.discard((permission, target))
