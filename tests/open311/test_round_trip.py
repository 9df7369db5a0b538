"""The round trip in a stack of its own (a 2-second rating window): an Open311 report becomes a case,
the unit answers it through the cases API, it closes unrated, and the open-data feed shows it all."""

from __future__ import annotations

import pytest

from tests.integration.conftest import Stack
from tests.open311.conftest import FeedPoller, GeoReport, issue_key
from tests.open311.test_georeport import file


def test_round_trip_open311_report_answered_by_the_unit_closes_and_is_published(
    short_window_stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack = short_window_stack
    geo, feed = GeoReport(stack), FeedPoller(stack)
    api_key = issue_key(stack)["api_key"]
    # Given a report filed through Open311 without a phone (no SMS: the client follows the feed)
    created = file(geo, api_key, fmt="xml")
    case_id, number = created["token"], created["service_request_id"]
    stack.wait_for(lambda: stack.status(case_id) == "DISPATCHED")
    # When the unit takes it up and answers through the cases API
    unit = {"sub": "officer-1", "cognito:groups": "staff", "custom:unit_id": "futian-traffic-police"}
    assert stack.request("POST", f"/v1/cases/{case_id}/accept", unit)[0] == 200
    answer_text = "已现场劝离并张贴告示，咨询请拨0755-8888 8888"
    status, body = stack.request("POST", f"/v1/cases/{case_id}/reply", unit, {"message": answer_text})
    assert status == 200, body
    # And nobody rates it within the rating window, so it closes unrated
    stack.wait_for(lambda: stack.status(case_id) == "CLOSED", timeout=60)
    feed.drain()
    # Then the request is closed in the list and by number
    listed = [r for r in geo.get("requests.json?status=closed").json() if r["service_request_id"] == number]
    assert len(listed) == 1 and listed[0]["status_notes"] == "已办结（群众未评价）"
    (item,) = geo.get(f"requests/{number}.json?extensions=true").json()
    assert item["status"] == "closed" and item["expected_datetime"] is None
    # And the updates extension shows each public status change, the last one closed
    answer = geo.get("servicerequestupdates.xml")
    assert answer.status == 200
    root = answer.xml()
    assert root.tag == "service_request_updates"
    mine = [u for u in root.findall("request_update") if u.findtext("service_request_id") == number]
    assert [u.findtext("external_status_code") for u in mine] == [
        "SUBMITTED",
        "DISPATCHED",
        "IN_PROGRESS",
        "REPLIED",
        "CLOSED",
    ]
    assert [u.findtext("status") for u in mine][-1] == "closed"
    assert all(u.findtext("update_id") and u.findtext("updated_datetime") for u in mine)
    # And the unit's answer is public, scrubbed (its phone number hidden), after the platform's text
    assert [u.findtext("description") for u in mine][3] == "福田区交警大队已答复：已现场劝离并张贴告示，咨询请拨[电话]"
    json_updates = [u for u in geo.get("servicerequestupdates.json").json() if u["service_request_id"] == number]
    assert [u["description"] for u in json_updates] == [u.findtext("description") for u in mine]
