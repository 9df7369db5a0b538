"""Smoke: the banner's curl example, as the mobile app does it."""

from __future__ import annotations

from tests.e2e.conftest import VALID_REQUEST, Api


def test_citizen_submits_and_sees_the_case_dispatched(api: Api) -> None:
    # Given a signed-in citizen
    token = api.token("citizen")
    # When they submit a traffic complaint in Futian
    created = api.call("POST", "/v1/requests", token, json=VALID_REQUEST)
    # Then it is accepted as SUBMITTED with a tracking number
    assert created.status_code == 201, created.text
    case = created.json()
    assert case["status"] == "SUBMITTED" and case["tracking_no"].startswith("SZ")
    # And the workflow dispatches it to the Futian traffic police brigade
    view = api.wait_for(
        lambda: (r := api.call("GET", f"/v1/requests/{case['id']}", token).json())["status"] == "DISPATCHED" and r
    )
    assert view["unit_id"] == "futian-traffic-police"
    assert view["phone"] == "138****5678"
