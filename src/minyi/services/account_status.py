"""Revocation: a disabled staff account stops within a minute, whatever tokens it still holds.

API Gateway's Cognito authorizer accepts an ID token until it expires, even after the admin disabled
the user and signed them out everywhere. So every request of a staff-desk role (staff, dispatcher,
supervisor, operator, admin) also asks the platform's own record (`minyi.ports.AccountStatuses`),
through this per-container cache: at most one read per user per `ttl` (60 s), so a disable takes
effect everywhere within a minute at the cost of one GetItem per container, user and minute.

Citizens are not checked: no admin action disables a citizen account (their requests would pay a read
for a record that is never written); public routes have no caller at all.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from minyi.domain.accounts import STAFF_ROLES, AccountStatus
from minyi.domain.models import Actor

if TYPE_CHECKING:
    from minyi.ports import AccountStatuses, Clock

#: How long a container trusts what it read: the longest a disabled account keeps working.
STATUS_TTL_SECONDS = 60
#: Entries a container keeps before it forgets them all (a container serves a few hundred staff).
MAX_CACHED_ACCOUNTS = 10_000


class AccountGate:
    """Is this caller's account still active? Cached per container, read again after `ttl_seconds`."""

    def __init__(self, statuses: AccountStatuses, clock: Clock, ttl_seconds: int = STATUS_TTL_SECONDS):
        self.statuses = statuses
        self.clock = clock
        self.ttl = timedelta(seconds=ttl_seconds)
        self._seen: dict[str, tuple[bool, datetime]] = {}

    def checked(self, actor: Actor) -> bool:
        """Whether this actor's account is one the gate checks (staff-desk roles)."""
        return actor.role in STAFF_ROLES

    def is_active(self, actor: Actor) -> bool:
        if not self.checked(actor):
            return True
        now = self.clock()
        seen = self._seen.get(actor.id)
        if seen is not None and now - seen[1] < self.ttl:
            return seen[0]
        active = self.statuses.status(actor.id) != AccountStatus.DISABLED
        if len(self._seen) >= MAX_CACHED_ACCOUNTS:
            self._seen.clear()
        self._seen[actor.id] = (active, now)
        return active
