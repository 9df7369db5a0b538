"""Issue 21 p1 over HTTP: every reporter reads the answer, and the citizen reads one story.

A hotline caller reads the unit's answer (tracking with the SMS's code, as the rating page does) and
the reply SMS names the unit; signed in later with the same mobile, they find the call under their
requests. A transfer, a supplement and a withdrawal are in the citizen's timeline as their SMS told them.
"""

from __future__ import annotations

from tests.e2e.conftest import VALID_REQUEST, Api
from tests.e2e.test_citizen_api import upload_file
from tests.e2e.test_handling_loop import TRAFFIC_POLICE, act, dispatched_to, handle, submit
from tests.e2e.test_sms import wait_sms

CALLER = "13923456789"
ANSWER = "已安排交警巡查，违停车辆已拖移。"
JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4 + b"\xff\xd9"


def test_a_hotline_caller_reads_the_answer_and_later_finds_the_call_under_their_requests(api: Api) -> None:
    # Given a call an operator filed for a caller, answered by the unit
    operator = api.token("operator")
    resp = api.call("POST", "/v1/requests", operator, json={**VALID_REQUEST, "phone": CALLER, "channel": "hotline"})
    assert resp.status_code == 201, resp.text
    case_id, number = resp.json()["id"], resp.json()["tracking_no"]
    staff = api.token("staff", unit=TRAFFIC_POLICE)
    api.wait_for(lambda: api.call("GET", f"/v1/cases/{case_id}", staff).json().get("status") == "DISPATCHED")
    handle(api, case_id, staff, ANSWER)
    # When the reply SMS arrives / Then it names the unit, in one segment
    invitation = wait_sms(api, CALLER, case_id, "replied", "citizen")
    assert "福田区交警大队已答复" in invitation["body"] and invitation["segments"] == 1, invitation["body"]
    code = invitation["body"].split("评价码", 1)[1][:6]
    # When the caller enters the number and the code (the rating page reads the answer this way)
    tracked = api.call("GET", f"/v1/track/{number}", params={"t": code})
    # Then they read the unit's answer and who gave it
    assert tracked.status_code == 200, tracked.text
    (answer,) = tracked.json()["replies"]
    assert (answer["text"], answer["unit"]) == (ANSWER, "福田区交警大队")
    # When the caller signs in to the app with the same mobile
    caller = api.token("citizen", phone=f"+86{CALLER}")
    # Then the call is under their requests and opens, with the answer on its timeline
    mine = api.call("GET", "/v1/requests", caller).json()["items"]
    assert case_id in [c["id"] for c in mine]
    assert api.call("GET", f"/v1/requests/{case_id}", caller).status_code == 200
    timeline = api.call("GET", f"/v1/requests/{case_id}/timeline", caller).json()["events"]
    assert [e["note"] for e in timeline if e["type"] == "replied"] == [ANSWER]
    # And someone signed in with another mobile neither lists nor opens it
    stranger = api.token("citizen", phone="+8613700009999")
    assert case_id not in [c["id"] for c in api.call("GET", "/v1/requests", stranger).json()["items"]]
    assert api.call("GET", f"/v1/requests/{case_id}", stranger).status_code == 404


def test_the_citizens_timeline_tells_the_transfer_the_supplement_and_the_withdrawal(api: Api) -> None:
    # Given a case at the Futian brigade that a dispatcher transferred to Nanshan
    citizen = api.token("citizen")
    case_id = submit(api, citizen)
    dispatched_to(api, citizen, case_id)
    act(
        api,
        f"/v1/cases/{case_id}/dispatch",
        api.token("dispatcher"),
        {"unit_id": "nanshan-traffic-police", "reason": "x"},
    )
    # And the citizen added a photo, then withdrew
    photo = upload_file(api, citizen, JPEG)
    act(api, f"/v1/requests/{case_id}/supplements", citizen, {"text": "补充现场照片", "attachments": [photo]})
    act(api, f"/v1/requests/{case_id}/withdraw", citizen, {})
    # When the citizen reads their timeline
    events = api.call("GET", f"/v1/requests/{case_id}/timeline", citizen).json()["events"]
    by_type = {e["type"]: e for e in events}
    # Then the transfer names the new unit, the supplement has their words and photo, the withdrawal ends it
    assert by_type["transferred"]["text"].startswith("已改派至南山区交警大队办理")
    assert by_type["supplemented"]["note"] == "补充现场照片"
    assert [a["upload_id"] for a in by_type["supplemented"]["attachments"]] == [photo]
    assert events[-1]["type"] == "withdrawn" and events[-1]["text"] == "诉求已撤回"
    # And public tracking tells the same steps, without the citizen's words or photo
    number = api.call("GET", f"/v1/requests/{case_id}", citizen).json()["tracking_no"]
    tracked = api.call("GET", f"/v1/track/{number}", params={"phone_last4": VALID_REQUEST["phone"][-4:]})
    assert tracked.status_code == 200, tracked.text
    assert [e["type"] for e in tracked.json()["events"]] == [e["type"] for e in events]
    assert "补充现场照片" not in tracked.text and photo not in tracked.text
