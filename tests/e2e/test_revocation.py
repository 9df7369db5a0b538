"""A disabled staff account stops at once, over HTTP against the local runtime: tokens signed before
the admin's disable answer 401 on the inbox, accept and reveal-phone routes, and their refresh is
refused; before it, the refresh the staff console makes before a token expires gives a working token."""

from __future__ import annotations

import uuid
from typing import Any

import requests

from tests.e2e.conftest import VALID_REQUEST, Api

UNIT = "futian-traffic-police"


def mobile() -> str:
    return f"+86139{uuid.uuid4().int % 10**8:08d}"


def tokens(api: Api, **sign_in: str) -> dict[str, Any]:
    resp = api.http.post(f"{api.base_url}/local/tokens", json=sign_in, timeout=10)
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


def refresh(api: Api, refresh_token: str) -> requests.Response:
    return api.http.post(f"{api.base_url}/local/tokens", json={"refresh_token": refresh_token}, timeout=10)


def test_tokens_of_a_disabled_account_answer_401_and_no_longer_refresh(api: Api) -> None:
    # Given a staff member and a supervisor an admin created, each signed in (token and refresh token)
    admin = api.token("admin")
    made = {}
    for role, unit in (("staff", UNIT), ("supervisor", None)):
        body = {"phone": mobile(), "name": "测试", "role": role, **({"unit_id": unit} if unit else {})}
        created = api.call("POST", "/v1/admin/staff", admin, json=body)
        assert created.status_code == 201, created.text
        made[role] = tokens(api, username=created.json()["username"])
    member, chief = made["staff"], made["supervisor"]
    assert member["expires_in"] > 0 and member["refresh_token"]
    # And a case dispatched to the unit
    citizen = api.token("citizen")
    case_id = api.call("POST", "/v1/requests", citizen, json=VALID_REQUEST).json()["id"]
    api.wait_for(lambda: api.call("GET", f"/v1/requests/{case_id}", citizen).json()["status"] == "DISPATCHED")

    # When the console refreshes the staff member's token / Then it gets a new one for the same account
    renewed = refresh(api, member["refresh_token"])
    assert renewed.status_code == 200, renewed.text
    assert renewed.json()["sub"] == member["sub"] and renewed.json()["role"] == "staff"

    # When the admin disables both accounts
    for account in (member, chief):
        disabled = api.call("POST", f"/v1/admin/staff/{account['sub']}/disable", admin)
        assert disabled.status_code == 200 and disabled.json()["enabled"] is False

    # Then every token they hold answers 401, on every route
    for method, path, token in [
        ("GET", f"/v1/units/{UNIT}/cases", member["token"]),
        ("GET", f"/v1/units/{UNIT}/cases", renewed.json()["token"]),
        ("POST", f"/v1/cases/{case_id}/accept", member["token"]),
        ("GET", f"/v1/cases/{case_id}?reveal=phone", chief["token"]),
        ("GET", "/v1/supervision", chief["token"]),
    ]:
        answer = api.call(method, path, token)
        assert answer.status_code == 401, (method, path, answer.text)
        assert answer.json()["error"] == "unauthorized"
    # And their refresh tokens are refused, as Cognito refuses a disabled user's
    for account in (member, chief):
        refused = refresh(api, account["refresh_token"])
        assert refused.status_code == 401 and refused.json()["problems"][0]["field"] == "refresh_token"
    # And the case is still waiting for the unit
    assert api.call("GET", f"/v1/requests/{case_id}", citizen).json()["status"] == "DISPATCHED"


def test_an_unknown_refresh_token_is_refused(api: Api) -> None:
    refused = refresh(api, "not-a-refresh-token")
    assert refused.status_code == 401 and refused.json()["error"] == "unauthorized"


def test_a_role_token_refreshes_to_the_same_claims(api: Api) -> None:
    signed_in = tokens(api, sub="dispatcher-r", role="dispatcher")
    renewed = refresh(api, signed_in["refresh_token"])
    assert renewed.status_code == 200 and renewed.json()["sub"] == "dispatcher-r"
    assert api.call("GET", "/v1/units", renewed.json()["token"]).status_code == 200
