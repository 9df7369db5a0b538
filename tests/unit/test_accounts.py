"""Accounts (minyi.services.accounts) on an in-memory directory: only admins create, list and disable
staff accounts; staff belong to a unit of the catalogue; citizens sign up themselves (the Cognito
triggers: only numbers we can text, and a confirmed sign-up joins `citizen`)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from minyi import bootstrap
from minyi.config import AccountsSettings
from minyi.domain.accounts import STAFF_ROLES, AccountStatus, NewAccount
from minyi.domain.errors import AlreadyExists, Forbidden, InvalidInput, InvalidTransition, NotFound
from minyi.domain.models import Actor, Role
from minyi.policy import ROLES, Action, require
from minyi.services.accounts import AccountService
from minyi.services.catalog import CatalogCache
from tests.fakes import T0, FakeAccountStatuses, FakeCatalogRepository, FakeClock, FakeUserDirectory, fake_settings

ADMIN = Actor(role=Role.ADMIN, id="admin-1")
UNIT = "futian-traffic-police"


def service(directory: FakeUserDirectory | None = None, statuses: FakeAccountStatuses | None = None) -> AccountService:
    return bootstrap.account_service(
        fake_settings(AccountsSettings),
        directory=directory or FakeUserDirectory(),
        catalog=CatalogCache(FakeCatalogRepository.shenzhen()),
        statuses=statuses if statuses is not None else FakeAccountStatuses(),
        clock=FakeClock(),
    )


def staff(phone: str = "+8613911112222", role: Role = Role.STAFF, unit: str | None = UNIT) -> NewAccount:
    return NewAccount(phone=phone, name="王警官", role=role, unit_id=unit)


@pytest.mark.parametrize("action", [Action.MANAGE_STAFF, Action.MANAGE_CATALOG])
def test_only_admins_manage_accounts_and_the_catalogue(action: Action) -> None:
    assert ROLES[action] == frozenset({Role.ADMIN})
    require(ADMIN, action)
    for role in Role:
        if role != Role.ADMIN:
            with pytest.raises(Forbidden):
                require(Actor(role=role, id="x"), action)


@pytest.mark.parametrize("role", [r for r in Role if r != Role.ADMIN])
def test_no_one_else_creates_lists_or_disables(role: Role) -> None:
    svc = service()
    actor = Actor(role=role, id="x", unit_id=UNIT)
    with pytest.raises(Forbidden):
        svc.create_staff(actor, staff())
    with pytest.raises(Forbidden):
        svc.list_staff(actor)
    with pytest.raises(Forbidden):
        svc.disable(actor, "user-1")


def test_an_admin_creates_a_staff_account_in_a_unit() -> None:
    directory = FakeUserDirectory()
    account = service(directory).create_staff(ADMIN, staff())
    assert account.role == Role.STAFF and account.unit_id == UNIT and account.phone == "+8613911112222"
    assert service(directory).list_staff(ADMIN) == [account]


@pytest.mark.parametrize("role", [Role.DISPATCHER, Role.SUPERVISOR, Role.OPERATOR, Role.ADMIN])
def test_other_desk_roles_have_no_unit(role: Role) -> None:
    svc = service()
    assert svc.create_staff(ADMIN, staff(role=role, unit=None)).role == role
    with pytest.raises(InvalidInput) as caught:
        svc.create_staff(ADMIN, staff(phone="+8613911113333", role=role, unit=UNIT))
    assert caught.value.field == "unit_id"


@pytest.mark.parametrize("unit", [None, "no-such-unit", "dispatch-centre", "supervision-office"])
def test_staff_need_a_unit_of_the_catalogue(unit: str | None) -> None:
    with pytest.raises(InvalidInput) as caught:
        service().create_staff(ADMIN, staff(unit=unit))
    assert caught.value.field == "unit_id"


def test_citizens_are_not_created_by_admins() -> None:
    with pytest.raises(InvalidInput) as caught:
        service().create_staff(ADMIN, staff(role=Role.CITIZEN, unit=None))
    assert caught.value.field == "role"


def test_a_number_we_cannot_text_gets_no_account() -> None:
    with pytest.raises(InvalidInput) as caught:
        service().create_staff(ADMIN, staff(phone="+14155552671"))
    assert caught.value.field == "phone"


def test_one_account_per_phone() -> None:
    svc = service()
    svc.create_staff(ADMIN, staff())
    with pytest.raises(AlreadyExists):
        svc.create_staff(ADMIN, staff(role=Role.DISPATCHER, unit=None))


def test_disabling_ends_the_accounts_sessions() -> None:
    directory = FakeUserDirectory()
    svc = service(directory)
    account = svc.create_staff(ADMIN, staff())
    disabled = svc.disable(ADMIN, account.username)
    assert disabled.enabled is False and directory.signed_out == [account.username]


def test_disabling_records_the_status_every_staff_request_checks() -> None:
    # Given a staff account
    directory, statuses = FakeUserDirectory(), FakeAccountStatuses()
    svc = service(directory, statuses)
    account = svc.create_staff(ADMIN, staff())
    # When an admin disables it
    svc.disable(ADMIN, account.username)
    # Then the platform's record says DISABLED, by whom and when, and the directory disabled it too
    assert statuses.records[account.username] == (AccountStatus.DISABLED, ADMIN.id, T0)
    assert directory.users[account.username].enabled is False


def test_a_disable_whose_record_fails_changes_nothing_and_its_retry_finishes() -> None:
    # Given the status table refusing the next write
    directory, statuses = FakeUserDirectory(), FakeAccountStatuses()
    svc = service(directory, statuses)
    account = svc.create_staff(ADMIN, staff())
    statuses.fail_records = 1
    # When the admin disables the account / Then it fails before the directory is touched
    with pytest.raises(RuntimeError):
        svc.disable(ADMIN, account.username)
    assert directory.users[account.username].enabled is True and account.username not in statuses.records
    # When the admin retries / Then both steps are done, once
    svc.disable(ADMIN, account.username)
    svc.disable(ADMIN, account.username)
    assert statuses.records[account.username][0] == AccountStatus.DISABLED
    assert directory.users[account.username].enabled is False


def test_only_staff_accounts_are_disabled_here_and_never_ones_own() -> None:
    directory = FakeUserDirectory()
    svc = service(directory)
    with pytest.raises(NotFound):
        svc.disable(ADMIN, "nobody")
    directory.add_to_group("citizen-1", Role.CITIZEN)
    with pytest.raises(NotFound):
        svc.disable(ADMIN, "citizen-1")
    me = svc.create_staff(ADMIN, staff(role=Role.ADMIN, unit=None))
    with pytest.raises(InvalidTransition):
        svc.disable(Actor(role=Role.ADMIN, id=me.username), me.username)
    assert statuses_of(svc) == {}


def statuses_of(svc: AccountService) -> dict[str, object]:
    assert isinstance(svc.statuses, FakeAccountStatuses)
    return dict(svc.statuses.records)


def test_staff_roles_are_every_role_but_citizen_and_system() -> None:
    assert set(STAFF_ROLES) == set(Role) - {Role.CITIZEN, Role.SYSTEM}


# --- the Cognito triggers (functions/accounts/trigger.py) ------------------------------------------


@pytest.fixture
def trigger(monkeypatch: pytest.MonkeyPatch) -> tuple[ModuleType, FakeUserDirectory]:
    monkeypatch.setenv("TABLE_NAME", "t")
    monkeypatch.setenv("SMS_COUNTRY_CODES", "86")
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    path = Path(__file__).resolve().parents[2] / "functions" / "accounts" / "trigger.py"
    spec = importlib.util.spec_from_file_location("accounts_trigger_under_test", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    directory = FakeUserDirectory()
    real_build = module.bootstrap.account_trigger_service

    def build(settings: Any, pool: str) -> AccountService:
        assert pool == "ap-east-1_pool"
        return real_build(settings, pool, directory=directory)

    monkeypatch.setattr(module.bootstrap, "account_trigger_service", build)
    return module, directory


def cognito_event(source: str, phone: str = "+8613812345678") -> dict[str, Any]:
    return {
        "version": "1",
        "triggerSource": source,
        "region": "ap-east-1",
        "userPoolId": "ap-east-1_pool",
        "userName": "9c0a-citizen",
        "callerContext": {"awsSdkVersion": "x", "clientId": "client"},
        "request": {"userAttributes": {"phone_number": phone}},
        "response": {},
    }


class Context:
    function_name = "AccountsTriggerFunction"
    memory_limit_in_mb = 128
    invoked_function_arn = "arn:aws:lambda:ap-east-1:123456789012:function:AccountsTriggerFunction"
    aws_request_id = "req-1"


def test_a_confirmed_sign_up_joins_citizen(trigger: tuple[ModuleType, FakeUserDirectory]) -> None:
    module, directory = trigger
    event = cognito_event("PostConfirmation_ConfirmSignUp")
    assert module.handler(event, Context()) == event
    account = directory.get("9c0a-citizen")
    assert account is not None and account.role == Role.CITIZEN


def test_a_failed_group_add_never_fails_the_confirmation(trigger: tuple[ModuleType, FakeUserDirectory]) -> None:
    # Given Cognito cannot add the confirmed citizen to `citizen` (throttled, unreachable)
    module, directory = trigger
    directory.fail_group_adds = 1
    event = cognito_event("PostConfirmation_ConfirmSignUp")
    # When PostConfirmation runs, Then it answers the event (a raise would strand the confirmed account)
    assert module.handler(event, Context()) == event
    # and the account is in no group: harmless, a citizen-pool token is a citizen's (tests/unit/test_role_by_pool.py)
    assert directory.get("9c0a-citizen") is None


def test_a_failed_group_add_is_counted() -> None:
    from minyi.domain.metrics import Metric
    from minyi.observability import metrics

    # Given a directory that refuses the group add
    directory = FakeUserDirectory()
    directory.fail_group_adds = 1
    metrics.clear_metrics()
    try:
        # When the sign-up is confirmed
        AccountService(directory, None).confirmed("9c0a-citizen")
        # Then nothing raises and the failure is counted
        counted = metrics.metric_set.get(str(Metric.CITIZEN_GROUP_ADD_FAILURES), {}).get("Value")
    finally:
        metrics.clear_metrics()
    assert counted == [1.0]


def test_sign_up_is_for_numbers_we_can_text(trigger: tuple[ModuleType, FakeUserDirectory]) -> None:
    module, _ = trigger
    event = cognito_event("PreSignUp_SignUp")
    assert module.handler(event, Context()) == event
    with pytest.raises(module.SignUpRefused):
        module.handler(cognito_event("PreSignUp_SignUp", phone="+14155552671"), Context())


def test_other_trigger_sources_change_nothing(trigger: tuple[ModuleType, FakeUserDirectory]) -> None:
    module, directory = trigger
    module.handler(cognito_event("PostConfirmation_ConfirmForgotPassword"), Context())
    assert directory.users == {}
