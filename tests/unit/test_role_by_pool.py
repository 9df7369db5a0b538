"""A citizen is a citizen because the citizen pool signed the token, not because PostConfirmation added a group
(issue 17, part g): a failed group add can no longer strand a confirmed citizen with 403, a group in the
citizen pool cannot make anyone staff, and a staff-pool token without a group is still refused."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from infra.local.gateway import LocalGateway, pool_issuer
from infra.local.template import Route
from minyi.api.http import caller, create_app, guard_accounts, resolve
from minyi.services.account_status import AccountGate
from tests.fakes import FakeAccountStatuses, FakeClock

CITIZEN_POOL = "ap-east-1_Citizens1"
STAFF_POOL = "ap-east-1_Staff0001"
ROUTE = Route(method="GET", path="/v1/whoami", function="Whoami", public=False)


@pytest.fixture
def pools(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # Given functions told which pool is the citizens' (CITIZEN_USER_POOL_ID, as the template sets it)
    monkeypatch.setenv("CITIZEN_USER_POOL_ID", CITIZEN_POOL)
    yield


def _whoami(claims: dict[str, str]) -> tuple[int, dict[str, Any]]:
    app = create_app()
    guard_accounts(app, AccountGate(FakeAccountStatuses(), FakeClock()))

    @app.get("/v1/whoami")
    def whoami() -> dict[str, str]:
        actor = caller(app)
        return {"role": actor.role.value, "id": actor.id}

    event = LocalGateway._proxy_event(ROUTE, "GET", "/v1/whoami", "", {}, b"", {}, claims, "127.0.0.1")
    result = resolve(app, event, None)
    return result["statusCode"], json.loads(result["body"])


def test_a_confirmed_citizen_pool_token_without_groups_is_a_citizen(pools: None) -> None:
    # Given a citizen whose PostConfirmation never added the `citizen` group
    claims = {"sub": "c-1", "iss": pool_issuer(CITIZEN_POOL), "phone_number": "+8613812345678"}
    # Then the API serves them as a citizen
    assert _whoami(claims) == (200, {"role": "citizen", "id": "c-1"})


def test_a_group_in_the_citizen_pool_makes_nobody_staff(pools: None) -> None:
    claims = {"sub": "c-2", "iss": pool_issuer(CITIZEN_POOL), "cognito:groups": "admin"}
    assert _whoami(claims) == (200, {"role": "citizen", "id": "c-2"})


def test_a_staff_pool_token_without_a_group_is_refused(pools: None) -> None:
    status, body = _whoami({"sub": "s-1", "iss": pool_issuer(STAFF_POOL)})
    assert status == 403 and body["error"] == "forbidden"


def test_the_citizen_group_from_any_other_pool_is_not_a_citizen(pools: None) -> None:
    status, _ = _whoami({"sub": "s-2", "iss": pool_issuer(STAFF_POOL), "cognito:groups": "citizen"})
    assert status == 403


def test_staff_pool_groups_still_name_staff_roles(pools: None) -> None:
    claims = {"sub": "d-1", "iss": pool_issuer(STAFF_POOL), "cognito:groups": "dispatcher"}
    assert _whoami(claims) == (200, {"role": "dispatcher", "id": "d-1"})
