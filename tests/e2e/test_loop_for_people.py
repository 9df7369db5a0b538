"""The loop as clerks, dispatchers, supervisors and citizens need it (issue 10), over HTTP as the apps
drive it, with the refusals: staff media and timeline, notes, withdraw and supplement, the dispatch
queue's deadline, transfers, one extension per round and none after the deadline, supervision, lists
and the directory, the hotline operator and rating from the SMS link."""

from __future__ import annotations

import re
from typing import Any

import requests

from tests.e2e.conftest import VALID_REQUEST, Api
from tests.e2e.test_citizen_api import upload_file
from tests.e2e.test_handling_loop import (
    TRAFFIC_POLICE,
    act,
    act_get,
    dispatched_to,
    handle,
    listed,
    scores,
    staff_timeline,
    submit,
    wait_status,
)
from tests.e2e.test_sms import sms, wait_sms

OTHER_UNIT = "nanshan-traffic-police"
JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4 + b"\xff\xd9"
CALLER = "13912345678"


def sent(api: Api, case_id: str, event: str) -> list[dict[str, Any]]:
    """Every SMS sent about the case for one kind of event, to anyone."""
    messages = api.call("GET", "/local/sms").json()["messages"]
    return [m for m in messages if m["case_id"] == case_id and m["event"] == event]


def test_staff_see_the_media_and_another_unit_sees_nothing(api: Api) -> None:
    # Given a complaint filed with a photo
    citizen = api.token("citizen")
    upload_id = upload_file(api, citizen, JPEG)
    case_id = submit(api, citizen, attachments=[upload_id])
    dispatched_to(api, citizen, case_id)
    # When the unit reads it
    view = act_get(api, f"/v1/cases/{case_id}", api.token("staff", unit=TRAFFIC_POLICE))
    # Then it gets a working download link to the very bytes, and the read is on the staff timeline
    download = requests.get(view["attachments"][0]["download_url"], timeout=30)
    assert download.status_code == 200 and download.content == JPEG
    assert "media_viewed" in staff_timeline(api, api.token("supervisor"), case_id)
    # But staff of another unit get 404 for the case and its timeline
    other = api.token("staff", unit=OTHER_UNIT)
    assert api.call("GET", f"/v1/cases/{case_id}", other).status_code == 404
    assert api.call("GET", f"/v1/cases/{case_id}/timeline", other).status_code == 404


def test_a_citizen_cannot_read_notes_and_the_unit_is_texted_what_the_citizen_adds(api: Api) -> None:
    # Given a dispatched case with an internal note
    citizen = api.token("citizen")
    staff = api.token("staff", unit=TRAFFIC_POLICE)
    case_id = submit(api, citizen)
    dispatched_to(api, citizen, case_id)
    noted = act(api, f"/v1/cases/{case_id}/notes", staff, {"text": "Caller is Mr Li, call after 6pm"})
    assert any(e["note"] == "Caller is Mr Li, call after 6pm" for e in noted["events"])
    # Then the citizen can neither read the staff timeline nor see the note in their own
    assert api.call("GET", f"/v1/cases/{case_id}/timeline", citizen).status_code == 403
    own = api.call("GET", f"/v1/requests/{case_id}/timeline", citizen).json()
    assert "Mr Li" not in str(own)
    # When the citizen adds information / Then the unit sees it and its duty phone is texted
    added = act(api, f"/v1/requests/{case_id}/supplements", citizen, {"text": "The light is still off"})
    assert added["supplements"][0]["text"] == "The light is still off"
    message = wait_sms(api, added_unit_phone(api, case_id), case_id, "supplemented", "unit")
    assert "补充" in message["body"]


def added_unit_phone(api: Api, case_id: str) -> str:
    """The duty phone the notify function texted for the case's unit, once it has (the texts go out
    from the stream, after the answer that dispatched the case)."""

    def probe() -> list[str]:
        messages = api.call("GET", "/local/sms").json()["messages"]
        return [str(m["to"]) for m in messages if m["case_id"] == case_id and m["kind"] == "unit"]

    return api.wait_for(probe, timeout=40, interval=0.2)[0]


def test_withdraw_ends_the_case_and_tells_the_unit_but_not_after_the_reply(api: Api) -> None:
    # Given two dispatched cases, one of them answered
    citizen = api.token("citizen")
    staff = api.token("staff", unit=TRAFFIC_POLICE)
    open_case = submit(api, citizen)
    answered = submit(api, citizen)
    dispatched_to(api, citizen, open_case)
    dispatched_to(api, citizen, answered)
    handle(api, answered, staff)
    # When the citizen withdraws both
    withdrawn = act(api, f"/v1/requests/{open_case}/withdraw", citizen, {"reason": "Solved itself"})
    late = api.call("POST", f"/v1/requests/{answered}/withdraw", citizen, json={})
    # Then the open one is WITHDRAWN, the unit is texted, and it is in the unit's finished cases
    assert withdrawn["status"] == "WITHDRAWN"
    wait_sms(api, added_unit_phone(api, open_case), open_case, "withdrawn", "unit")
    assert api.wait_for(lambda: listed(api, f"/v1/units/{TRAFFIC_POLICE}/cases?status=WITHDRAWN", staff, open_case))
    # And the answered one cannot be withdrawn
    assert late.status_code == 409 and late.json()["current_status"] == "REPLIED"


def test_one_extension_per_round_and_a_transfer_tells_both_units(api: Api) -> None:
    # Given a case at the Futian brigade that asked for an extension which was refused
    citizen = api.token("citizen")
    staff = api.token("staff", unit=TRAFFIC_POLICE)
    supervisor = api.token("supervisor")
    dispatcher = api.token("dispatcher")
    case_id = submit(api, citizen)
    dispatched_to(api, citizen, case_id)
    act(api, f"/v1/cases/{case_id}/extension", staff, {"days": 2, "reason": "parts"})
    act(api, f"/v1/cases/{case_id}/extension/decision", supervisor, {"approve": False})
    # When it asks again in the same round / Then it is refused
    again = api.call("POST", f"/v1/cases/{case_id}/extension", staff, json={"days": 1, "reason": "again"})
    assert again.status_code == 409, again.text
    # When a dispatcher transfers it to Nanshan with a reason
    transfer = {"unit_id": OTHER_UNIT, "reason": "Nanshan side"}
    moved = act(api, f"/v1/cases/{case_id}/dispatch", dispatcher, transfer)
    # Then Nanshan holds it, both units and the citizen are texted
    assert moved["unit_id"] == OTHER_UNIT and moved["status"] == "DISPATCHED"
    citizen_sms = api.wait_for(
        lambda: [m for m in sms(api, VALID_REQUEST["phone"], case_id) if m["event"] == "transferred"]
    )
    assert len(citizen_sms) == 1
    kinds = api.wait_for(
        lambda: (
            {
                m["kind"]
                for m in api.call("GET", "/local/sms").json()["messages"]
                if m["case_id"] == case_id and m["event"] == "transferred"
            }
            >= {"unit", "previous_unit", "citizen"}
        )
    )
    assert kinds


def test_an_extension_after_the_deadline_is_refused(fast_api: Api) -> None:
    api = fast_api
    # Given a request for help (a 2 s working day) that went overdue
    citizen = api.token("citizen")
    case_id = submit(api, citizen, category="help")
    dispatched_to(api, citizen, case_id)
    api.wait_for(lambda: act_get(api, f"/v1/requests/{case_id}", citizen)["overdue"], timeout=30)
    # When the unit asks for more time / Then it is too late
    resp = api.call(
        "POST",
        f"/v1/cases/{case_id}/extension",
        api.token("staff", unit=TRAFFIC_POLICE),
        json={"days": 1, "reason": "x"},
    )
    assert resp.status_code == 409, resp.text


def test_a_queued_case_past_its_dispatch_deadline_reaches_supervision(fast_api: Api) -> None:
    api = fast_api
    # Given a case no rule covers, waiting in the dispatch centre's queue (2 office hours: under a second here)
    citizen = api.token("citizen")
    case_id = submit(api, citizen, topic="other")
    supervisor = api.token("supervisor")

    # When the sweep runs after its dispatch deadline
    def escalated() -> bool:
        api.call("POST", "/local/schedules/run")
        items = act_get(api, "/v1/supervision?limit=100", supervisor)["items"]
        return any(i["id"] == case_id and "dispatch_overdue" in i["reasons"] for i in items)

    # Then it is on the supervision list for that reason, and the dispatchers are texted
    assert api.wait_for(escalated, timeout=30, interval=0.5)
    messages = api.wait_for(
        lambda: [
            m
            for m in api.call("GET", "/local/sms").json()["messages"]
            if m["case_id"] == case_id and m["event"] == "dispatch_overdue"
        ]
    )
    assert {m["kind"] for m in messages} >= {"dispatchers"}


def test_supervisor_instructions_reach_the_unit(api: Api) -> None:
    citizen = api.token("citizen")
    case_id = submit(api, citizen)
    dispatched_to(api, citizen, case_id)
    supervisor = api.token("supervisor")
    act(
        api,
        f"/v1/cases/{case_id}/supervision",
        supervisor,
        {"instructions": "Call the citizen today", "due_in_days": 1},
    )
    items = act_get(api, "/v1/supervision?limit=100", supervisor)["items"]
    assert "supervised" in next(i for i in items if i["id"] == case_id)["reasons"]
    assert api.wait_for(
        lambda: [
            m
            for m in api.call("GET", "/local/sms").json()["messages"]
            if m["case_id"] == case_id and m["event"] == "supervision_instructed"
        ]
    )


def test_the_hotline_caller_gets_a_receipt_tracks_publicly_and_rates_from_the_sms_link(api: Api) -> None:
    # Given an operator filing a call for a caller
    operator = api.token("operator")
    resp = api.call("POST", "/v1/requests", operator, json={**VALID_REQUEST, "phone": CALLER, "channel": "hotline"})
    assert resp.status_code == 201, resp.text
    created = resp.json()
    case_id, number = created["id"], created["tracking_no"]
    # Then the caller is texted a receipt with the tracking number, and can track it publicly
    receipt = wait_sms(api, CALLER, case_id, "submitted", "citizen")
    assert number in receipt["body"] and receipt["segments"] == 1
    assert api.call("GET", f"/v1/track/{number}", params={"phone_last4": CALLER[-4:]}).status_code == 200
    # When the unit answers
    staff = api.token("staff", unit=TRAFFIC_POLICE)
    api.wait_for(lambda: api.call("GET", f"/v1/cases/{case_id}", staff).json().get("status") == "DISPATCHED")
    handle(api, case_id, staff)
    invitation = wait_sms(api, CALLER, case_id, "replied", "citizen")
    # (the constant rating address, the tracking number and a 6-digit code: no link in a variable)
    sms = re.search(r"【民意速办】福田区交警大队已答复(\S+?)，请凭评价码([0-9]{6})到(\S+)/r评价", invitation["body"])
    assert sms is not None and sms.group(1) == number and invitation["segments"] == 1, invitation["body"]
    code = sms.group(2)
    # And the caller rates with the number and the code without signing in
    rated = api.call("POST", f"/v1/track/{number}/rating", json={**scores(5), "code": code})
    # Then the case closes; the same code again is a conflict, and a made-up token is refused
    assert rated.status_code == 200, rated.text
    assert rated.json()["status"] == "CLOSED"
    assert api.call("POST", f"/v1/track/{number}/rating", json={**scores(5), "code": code}).status_code == 409
    assert api.call("POST", f"/v1/track/{number}/rating", json={**scores(5), "token": "AAAAAAAAAA"}).status_code == 404


def test_a_rating_token_of_another_case_is_refused(api: Api) -> None:
    # Given two answered cases of the same citizen
    citizen = api.token("citizen")
    staff = api.token("staff", unit=TRAFFIC_POLICE)
    first, second = submit(api, citizen), submit(api, citizen)
    for case_id in (first, second):
        dispatched_to(api, citizen, case_id)
        handle(api, case_id, staff)
    wait_status(api, citizen, first, "REPLIED")
    other = wait_sms(api, VALID_REQUEST["phone"], second, "replied", "citizen")
    code = other["body"].split("评价码")[1][:6]
    number = act_get(api, f"/v1/requests/{first}", citizen)["tracking_no"]
    # When the second case's code is used for the first / Then it is refused like an unknown number
    resp = api.call("POST", f"/v1/track/{number}/rating", json={**scores(5), "code": code})
    assert resp.status_code == 404, resp.text


def test_lists_directory_and_places(api: Api) -> None:
    citizen = api.token("citizen")
    staff = api.token("staff", unit=TRAFFIC_POLICE)
    case_id = submit(api, citizen)
    dispatched_to(api, citizen, case_id)
    handle(api, case_id, staff)
    act(api, f"/v1/requests/{case_id}/rating", citizen, scores(5))
    # The unit lists the cases it finished, the citizen filters their own list
    assert api.wait_for(lambda: listed(api, f"/v1/units/{TRAFFIC_POLICE}/cases?status=CLOSED", staff, case_id))
    assert listed(api, "/v1/requests?status=CLOSED", citizen, case_id)
    assert not listed(api, "/v1/requests?status=DISPATCHED", citizen, case_id)
    # The directory answers dispatchers, not staff
    units = act_get(api, "/v1/units?district=futian&topic=traffic", api.token("dispatcher"))["units"]
    assert [u["id"] for u in units] == [TRAFFIC_POLICE]
    assert api.call("GET", "/v1/units", staff).status_code == 403
    # A place outside the city is refused naming the location
    outside = {**VALID_REQUEST, "location": {"lat": 39.9, "lon": 116.4}}  # Beijing
    beijing = api.call("POST", "/v1/requests", citizen, json=outside)
    assert beijing.status_code == 422 and beijing.json()["problems"][0]["field"] == "location"
