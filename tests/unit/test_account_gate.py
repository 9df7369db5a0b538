"""Revocation (minyi.services.account_status, minyi.api.http.caller) on fakes: a disabled staff
account's old token answers 401 once the per-container cache's minute has passed; the cache reads each
user at most once a minute; citizens are never read."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.local.gateway import LocalGateway
from infra.local.template import Route
from minyi import bootstrap
from minyi.api.http import caller, create_app, guard_accounts, resolve
from minyi.domain.accounts import AccountStatus
from minyi.domain.models import Actor, Role
from minyi.services.account_status import STATUS_TTL_SECONDS, AccountGate
from tests.fakes import T0, FakeAccountStatuses, FakeClock

STAFF = Actor(role=Role.STAFF, id="staff-1", unit_id="futian-traffic-police")


def gate() -> tuple[AccountGate, FakeAccountStatuses, FakeClock]:
    statuses, clock = FakeAccountStatuses(), FakeClock()
    return bootstrap.account_gate(statuses=statuses, clock=clock), statuses, clock


def test_a_disabled_account_is_refused_once_the_cached_minute_has_passed() -> None:
    # Given an active staff account whose status the gate has read
    g, statuses, clock = gate()
    assert g.is_active(STAFF)
    # When an admin disables it
    statuses.record(STAFF.id, AccountStatus.DISABLED, by="admin-1", at=T0)
    # Then the container may trust its read for under a minute, and not a second longer
    clock.advance(seconds=STATUS_TTL_SECONDS - 1)
    assert g.is_active(STAFF)
    clock.advance(seconds=1)
    assert not g.is_active(STAFF)


def test_one_read_per_user_per_minute() -> None:
    # Given a gate / When one user calls many times in a minute, and again after it
    g, statuses, clock = gate()
    for _ in range(50):
        assert g.is_active(STAFF)
        clock.advance(seconds=1)
    # Then the record was read once per minute
    assert statuses.reads == [STAFF.id]
    clock.advance(seconds=10)
    g.is_active(STAFF)
    assert statuses.reads == [STAFF.id, STAFF.id]


def test_an_account_disabled_before_its_first_request_is_refused_at_once() -> None:
    g, statuses, _ = gate()
    statuses.record(STAFF.id, AccountStatus.DISABLED, by="admin-1", at=T0)
    assert not g.is_active(STAFF)


def test_re_enabling_lets_the_account_back_in_after_the_minute() -> None:
    g, statuses, clock = gate()
    statuses.record(STAFF.id, AccountStatus.DISABLED, by="admin-1", at=T0)
    assert not g.is_active(STAFF)
    statuses.record(STAFF.id, AccountStatus.ACTIVE, by="admin-1", at=T0)
    clock.advance(seconds=STATUS_TTL_SECONDS)
    assert g.is_active(STAFF)


@pytest.mark.parametrize("role", [Role.STAFF, Role.DISPATCHER, Role.SUPERVISOR, Role.OPERATOR, Role.ADMIN])
def test_every_staff_desk_role_is_checked(role: Role) -> None:
    g, statuses, _ = gate()
    statuses.record("x", AccountStatus.DISABLED, by="admin-1", at=T0)
    assert not g.is_active(Actor(role=role, id="x"))


def test_citizens_cost_no_read() -> None:
    g, statuses, _ = gate()
    assert g.is_active(Actor(role=Role.CITIZEN, id="c-1"))
    assert statuses.reads == []


# --- caller(): the check every route makes ----------------------------------------------------------

ROUTE = Route(method="GET", path="/v1/whoami", function="Test", public=False)


def _app(g: AccountGate) -> Any:
    app = create_app()

    @app.get("/v1/whoami")
    def whoami() -> dict[str, str]:
        return {"id": caller(app).id}

    guard_accounts(app, g)
    return app


def _call(app: Any, claims: dict[str, str]) -> tuple[int, dict[str, Any]]:
    event = LocalGateway._proxy_event(ROUTE, "GET", "/v1/whoami", "", {}, b"", {}, claims, "127.0.0.1")
    result = resolve(app, event, None)
    return result["statusCode"], json.loads(result["body"])


def test_the_old_token_of_a_disabled_account_answers_401() -> None:
    # Given a staff member signed in and served
    g, statuses, clock = gate()
    app = _app(g)
    claims = {"sub": STAFF.id, "cognito:groups": "staff", "custom:unit_id": "futian-traffic-police"}
    assert _call(app, claims) == (200, {"id": STAFF.id})
    # When an admin disables the account and the cached minute passes
    statuses.record(STAFF.id, AccountStatus.DISABLED, by="admin-1", at=T0)
    clock.advance(seconds=STATUS_TTL_SECONDS)
    # Then the same token answers 401
    status, body = _call(app, claims)
    assert status == 401 and body["error"] == "unauthorized"


def test_a_citizens_token_is_not_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given functions that know no citizen pool (the `citizen` group then names a citizen)
    monkeypatch.delenv("CITIZEN_USER_POOL_ID", raising=False)
    g, statuses, _ = gate()
    status, _ = _call(_app(g), {"sub": "c-1", "cognito:groups": "citizen"})
    assert status == 200 and statuses.reads == []
