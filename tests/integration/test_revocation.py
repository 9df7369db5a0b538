"""A disabled staff account stops within a minute, on moto: the accounts service disables a staff
member and a supervisor (the status item, then the user pool), and their old tokens answer 401 on the
inbox, accept and reveal-phone routes once the cases function's cached minute has passed (the cache
runs on a clock the test moves, not on sleeps)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from infra.local.accounts import create_user_pools
from infra.local.template import Template
from minyi import bootstrap
from minyi.adapters.cognito import CognitoUserDirectory
from minyi.adapters.dynamo.accounts import DynamoAccountStatuses
from minyi.api.http import guard_accounts
from minyi.config import AccountsSettings
from minyi.domain.accounts import AccountStatus, NewAccount
from minyi.domain.models import Actor, Role
from minyi.services.account_status import STATUS_TTL_SECONDS
from tests.fakes import FakeClock
from tests.integration.conftest import REGION, Stack, citizen

UNIT = "futian-traffic-police"
CASES = "CasesFunction"
ADMIN = Actor(role=Role.ADMIN, id="admin-1")
REQUEST: dict[str, Any] = {
    "category": "complaint",
    "topic": "traffic",
    "district": "futian",
    "description": "Broken traffic light at Fuhua Road",
    "phone": "13812345678",
}


@pytest.fixture(scope="module")
def pools(stack: Stack) -> dict[str, str]:
    return create_user_pools(Template(REGION))


@pytest.fixture
def clock(stack: Stack) -> Iterator[FakeClock]:
    """The cases function's status cache on a clock the test moves (its container's own gate after)."""
    clock = FakeClock()
    app = stack.lambdas.module(CASES).app
    guard_accounts(app, bootstrap.account_gate(stack.resources["CasesTable"], clock=clock))
    try:
        yield clock
    finally:
        guard_accounts(app, None)


def dispatched_case(stack: Stack) -> str:
    _, created = stack.request("POST", "/v1/requests", citizen(), REQUEST)
    case_id: str = created["id"]
    stack.wait_for(lambda: (c := stack.repo.get_case(case_id)) and c.wait and c.wait.phase == "handling")
    return case_id


def test_old_tokens_of_disabled_accounts_answer_401_within_the_minute(
    stack: Stack, pools: dict[str, str], clock: FakeClock
) -> None:
    # Given a staff member of the unit and a supervisor, both created by an admin, and a dispatched case
    directory = CognitoUserDirectory(pools["StaffUserPool"])
    member = directory.create(NewAccount(phone="+8613911120001", name="王警官", role=Role.STAFF, unit_id=UNIT))
    chief = directory.create(NewAccount(phone="+8613911120002", name="张主任", role=Role.SUPERVISOR))
    unit = {"sub": member.username, "cognito:groups": "staff", "custom:unit_id": UNIT}
    supervisor = {"sub": chief.username, "cognito:groups": "supervisor"}
    case_id = dispatched_case(stack)
    inbox = f"/v1/units/{UNIT}/cases"
    assert stack.request("GET", inbox, unit)[0] == 200
    assert stack.request("GET", f"/v1/cases/{case_id}?reveal=phone", supervisor)[0] == 200

    # When an admin disables both accounts
    settings = stack.settings(AccountsSettings, "AccountsFunction")
    accounts = bootstrap.account_service(settings.model_copy(update={"user_pool_id": pools["StaffUserPool"]}))
    accounts.disable(ADMIN, member.username)
    accounts.disable(ADMIN, chief.username)
    statuses = DynamoAccountStatuses(stack.table)
    assert statuses.status(member.username) == statuses.status(chief.username) == AccountStatus.DISABLED
    assert directory.get(member.username).enabled is False  # type: ignore[union-attr]

    # Then, once the cases function's cached minute has passed, every route refuses their old tokens
    clock.advance(seconds=STATUS_TTL_SECONDS)
    for method, path, claims in [
        ("GET", inbox, unit),
        ("POST", f"/v1/cases/{case_id}/accept", unit),
        ("GET", f"/v1/cases/{case_id}?reveal=phone", supervisor),
        ("GET", f"/v1/cases/{case_id}/timeline", supervisor),
    ]:
        status, body = stack.request(method, path, claims)
        assert (status, body["error"]) == (401, "unauthorized"), (method, path, body)
    # And the case was not accepted
    assert stack.status(case_id) != "ACCEPTED"
    # And another staff member of the unit still works
    other = {"sub": "s-still-active", "cognito:groups": "staff", "custom:unit_id": UNIT}
    assert stack.request("POST", f"/v1/cases/{case_id}/accept", other)[0] == 200


def test_a_retried_disable_keeps_the_first_record(stack: Stack, pools: dict[str, str]) -> None:
    # Given an account disabled once
    directory = CognitoUserDirectory(pools["StaffUserPool"])
    member = directory.create(NewAccount(phone="+8613911120003", name="李警官", role=Role.STAFF, unit_id=UNIT))
    statuses = DynamoAccountStatuses(stack.table)
    statuses.record(member.username, AccountStatus.DISABLED, by="admin-1", at=FakeClock()())
    # When the admin's disable is retried (by another admin)
    settings = stack.settings(AccountsSettings, "AccountsFunction")
    accounts = bootstrap.account_service(settings.model_copy(update={"user_pool_id": pools["StaffUserPool"]}))
    accounts.disable(Actor(role=Role.ADMIN, id="admin-2"), member.username)
    # Then the record still names the first admin, and the user pool has the account disabled
    item = stack.table.get(f"ACCOUNT#{member.username}", "STATUS", consistent=True)
    assert item is not None and item["status"] == "DISABLED" and item["changed_by"] == "admin-1"
    assert directory.get(member.username).enabled is False  # type: ignore[union-attr]
