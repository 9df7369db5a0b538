"""`minyi.ports.UserDirectory` on a Cognito user pool (phone numbers as usernames; roles as groups;
a staff member's unit in `custom:unit_id`). The local runtime uses the same adapter on moto."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from minyi.adapters.aws import client
from minyi.domain.accounts import Account, NewAccount
from minyi.domain.errors import AlreadyExists
from minyi.domain.models import Role

UNIT_ATTRIBUTE = "custom:unit_id"
_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
#: The strongest role first: an account in several groups acts in the first (as `caller()` does).
_ROLE_ORDER = (Role.ADMIN, Role.SUPERVISOR, Role.DISPATCHER, Role.STAFF, Role.OPERATOR, Role.CITIZEN)


def _attributes(raw: Sequence[dict[str, str]]) -> dict[str, str]:
    return {a["Name"]: a["Value"] for a in raw}


def _account(user: dict[str, Any], role: Role | None) -> Account:
    attrs = _attributes(user.get("Attributes") or user.get("UserAttributes") or [])
    created = user.get("UserCreateDate")
    return Account(
        username=user["Username"],
        phone=attrs.get("phone_number"),
        name=attrs.get("name"),
        role=role,
        unit_id=attrs.get(UNIT_ATTRIBUTE),
        enabled=bool(user.get("Enabled", True)),
        status=user.get("UserStatus"),
        created_at=created if isinstance(created, datetime) else None,
    )


class CognitoUserDirectory:
    def __init__(self, user_pool_id: str):
        self.pool = user_pool_id

    @property
    def idp(self) -> Any:
        return client("cognito-idp")

    def create(self, account: NewAccount) -> Account:
        attributes = [
            {"Name": "phone_number", "Value": account.phone},
            {"Name": "phone_number_verified", "Value": "true"},
            {"Name": "name", "Value": account.name},
        ]
        if account.unit_id:
            attributes.append({"Name": UNIT_ATTRIBUTE, "Value": account.unit_id})
        try:
            user = self.idp.admin_create_user(
                UserPoolId=self.pool,
                Username=account.phone,
                UserAttributes=attributes,
                DesiredDeliveryMediums=["SMS"],
            )["User"]
        except self.idp.exceptions.UsernameExistsException as exc:
            raise AlreadyExists("error.phone_has_account") from exc
        self.idp.admin_add_user_to_group(UserPoolId=self.pool, Username=user["Username"], GroupName=account.role.value)
        return _account(user, account.role)

    def accounts(self, roles: Sequence[Role]) -> list[Account]:
        found: dict[str, Account] = {}
        for role in sorted(roles, key=_ROLE_ORDER.index, reverse=True):
            for page in self.idp.get_paginator("list_users_in_group").paginate(
                UserPoolId=self.pool, GroupName=role.value
            ):
                for user in page.get("Users", []):
                    found[user["Username"]] = _account(user, role)  # the strongest role wins
        return sorted(found.values(), key=lambda a: (a.role.value if a.role else "", a.name or "", a.username))

    def _role(self, username: str) -> Role | None:
        groups = {
            g["GroupName"]
            for g in self.idp.admin_list_groups_for_user(UserPoolId=self.pool, Username=username).get("Groups", [])
        }
        return next((r for r in _ROLE_ORDER if r.value in groups), None)

    def get(self, username: str) -> Account | None:
        try:
            user = self.idp.admin_get_user(UserPoolId=self.pool, Username=username)
        except self.idp.exceptions.UserNotFoundException:
            return None
        return _account(user, self._role(user["Username"]))

    def find_by_phone(self, phone: str) -> Account | None:
        if not _E164.match(phone):
            return None
        users = self.idp.list_users(UserPoolId=self.pool, Filter=f'phone_number = "{phone}"', Limit=1).get("Users", [])
        if not users:
            return None
        return _account(users[0], self._role(users[0]["Username"]))

    def disable(self, username: str) -> Account | None:
        try:
            self.idp.admin_disable_user(UserPoolId=self.pool, Username=username)
        except self.idp.exceptions.UserNotFoundException:
            return None
        self.idp.admin_user_global_sign_out(UserPoolId=self.pool, Username=username)
        return self.get(username)

    def add_to_group(self, username: str, role: Role) -> None:
        self.idp.admin_add_user_to_group(UserPoolId=self.pool, Username=username, GroupName=role.value)
