"""Accounts: who may sign in, in which role, for which unit. Pure: no AWS.

Citizens sign up themselves with their mobile number (verified by SMS) and land in `citizen`; every
other account exists only because an admin created it.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from minyi.domain.base import Model
from minyi.domain.models import Role

#: Roles whose accounts an admin creates (`POST /v1/admin/staff`).
STAFF_ROLES: tuple[Role, ...] = (Role.STAFF, Role.DISPATCHER, Role.SUPERVISOR, Role.OPERATOR, Role.ADMIN)


class AccountStatus(StrEnum):
    """Whether an account's tokens still open the API: the platform's own record, read by every staff
    request, because a Cognito ID token stays valid until it expires even after the user is disabled."""

    ACTIVE = "ACTIVE"
    DISABLED = "DISABLED"


class NewAccount(Model):
    phone: str  # E.164, verified by the admin who creates the account
    name: str
    role: Role
    unit_id: str | None = None


class Account(Model):
    username: str
    phone: str | None = None
    name: str | None = None
    role: Role | None = None
    unit_id: str | None = None
    enabled: bool = True
    #: The directory's account status (Cognito: FORCE_CHANGE_PASSWORD until the first sign-in, CONFIRMED).
    status: str | None = None
    created_at: datetime | None = None
