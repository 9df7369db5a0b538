"""SMS notices on the local runtime: the table's stream drives the notify function, which sends
through (embedded) SNS and records each message in the outbox that GET /local/sms lists.

Cases go through the real workflow over HTTP; the SMS arrive asynchronously (stream poller), so
every check waits for them.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import datetime
from typing import Any

from minyi.adapters.catalog_file import shenzhen_catalog
from tests.e2e.conftest import VALID_REQUEST, Api

TRAFFIC_POLICE = "futian-traffic-police"
DUTY_PHONE = str(shenzhen_catalog().units[TRAFFIC_POLICE].duty_phone)  # +8613900000001
CITIZEN_PHONE = "+86" + VALID_REQUEST["phone"]
SATISFIED = {"speed": 4, "effectiveness": 5, "experience": 4, "feedback_quality": 4}

# --- helpers ---------------------------------------------------------------------------------------


def submit(api: Api, citizen: str, **overrides: Any) -> dict[str, Any]:
    resp = api.call("POST", "/v1/requests", citizen, json={**VALID_REQUEST, **overrides})
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


def wait_status(api: Api, citizen: str, case_id: str, status: str) -> dict[str, Any]:
    def probe() -> dict[str, Any] | None:
        resp = api.call("GET", f"/v1/requests/{case_id}", citizen)
        assert resp.status_code == 200, resp.text
        return resp.json() if resp.json()["status"] == status else None

    return dict(api.wait_for(probe))


def act(api: Api, path: str, token: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    """POST an action; a 409 while the workflow catches up is retried."""

    def attempt() -> dict[str, Any] | None:
        resp = api.call("POST", path, token, json=body or {})
        if resp.status_code == 409:
            return None
        assert resp.status_code == 200, f"POST {path}: {resp.status_code} {resp.text}"
        return dict(resp.json())

    return dict(api.wait_for(attempt, timeout=30, interval=0.2))


def sms(api: Api, phone: str, case_id: str) -> list[dict[str, Any]]:
    """The SMS sent to `phone` about one case (the phone is shared by other tests' cases)."""
    resp = api.call("GET", "/local/sms", params={"phone": phone})
    assert resp.status_code == 200, resp.text
    return [m for m in resp.json()["messages"] if m["case_id"] == case_id]


def wait_sms(api: Api, phone: str, case_id: str, event: str, kind: str) -> dict[str, Any]:
    """The one SMS of `event` to `kind` for the case, once it has been sent."""

    def probe() -> list[dict[str, Any]]:
        return [m for m in sms(api, phone, case_id) if (m["event"], m["kind"]) == (event, kind)]

    found = api.wait_for(probe, timeout=40, interval=0.2)
    assert len(found) == 1, found
    return dict(found[0])


def dispatched_case(api: Api, **overrides: Any) -> tuple[str, dict[str, Any]]:
    citizen = api.token("citizen")
    created = submit(api, citizen, **overrides)
    case = wait_status(api, citizen, created["id"], "DISPATCHED")
    assert case["unit_id"] == TRAFFIC_POLICE
    return citizen, created


# --- tests -----------------------------------------------------------------------------------------


def test_dispatch_texts_the_citizen_and_the_units_duty_phone(api: Api) -> None:
    # Given a citizen's request, dispatched by rule to the Futian traffic police
    _, created = dispatched_case(api)
    case_id, tracking_no = created["id"], created["tracking_no"]

    # When the notify function has processed the stream
    # Then the citizen's phone got the "dispatched" SMS, with the tracking number and the unit
    message = wait_sms(api, VALID_REQUEST["phone"], case_id, "dispatched", "citizen")
    assert message["to"] == CITIZEN_PHONE
    assert tracking_no in message["body"]
    assert "福田区交警大队" in message["body"]
    assert message["case_id"] == case_id
    assert message["event"] == "dispatched" and message["kind"] == "citizen"
    assert datetime.fromisoformat(message["sent_at"])
    assert message["provider_message_id"]
    assert message["segments"] >= 1
    # And the unit's duty phone got the new-case SMS
    unit_message = wait_sms(api, DUTY_PHONE, case_id, "dispatched", "unit")
    assert unit_message["to"] == DUTY_PHONE
    assert tracking_no in unit_message["body"]
    assert "新工单" in unit_message["body"]
    assert datetime.fromisoformat(unit_message["sent_at"])


def test_an_english_citizen_is_texted_in_english(api: Api) -> None:
    # Given a request from a citizen who chose English
    _, created = dispatched_case(api, language="en")
    # When it is dispatched / Then the citizen's SMS is English, the unit's Chinese
    message = wait_sms(api, VALID_REQUEST["phone"], created["id"], "dispatched", "citizen")
    assert message["body"].startswith(f"[Minyi] Your request {created['tracking_no']} is with ")
    assert "Futian Traffic Police Brigade" in message["body"]
    assert message["segments"] == 1  # GSM-7, the brackets counting two septets each
    unit_message = wait_sms(api, DUTY_PHONE, created["id"], "dispatched", "unit")
    assert unit_message["body"].startswith("【民意速办】")


def test_reply_and_close_each_text_the_citizen_exactly_once(api: Api) -> None:
    # Given a dispatched case, and the brigade's staff
    citizen, created = dispatched_case(api)
    case_id, tracking_no = created["id"], created["tracking_no"]
    staff = api.token("staff", unit=TRAFFIC_POLICE)

    # When the brigade accepts and replies
    act(api, f"/v1/cases/{case_id}/accept", staff)
    replied = act(api, f"/v1/cases/{case_id}/reply", staff, {"message": "Cameras installed."})
    assert replied["status"] == "REPLIED"
    # Then the citizen is texted the answer with an invitation to rate
    message = wait_sms(api, VALID_REQUEST["phone"], case_id, "replied", "citizen")
    # the constant rating page of the web app, the tracking number and a 6-digit code (one SMS segment)
    assert f"{api.base_url.split('://', 1)[1]}/r评价" in message["body"] and tracking_no in message["body"]
    assert "?t=" not in message["body"]
    assert message["segments"] == 1
    assert "评价" in message["body"]

    # When the citizen rates it satisfied, which closes it
    rated = act(api, f"/v1/requests/{case_id}/rating", citizen, SATISFIED)
    assert rated["status"] == "CLOSED"
    wait_status(api, citizen, case_id, "CLOSED")
    # Then the citizen is texted that the case is closed
    closed = wait_sms(api, VALID_REQUEST["phone"], case_id, "closed", "citizen")
    assert tracking_no in closed["body"]
    assert "办结" in closed["body"]

    # And after the stream has settled, each notice of the case was sent exactly once
    time.sleep(1.5)  # several poll intervals: a duplicate would show up by now
    citizen_sms = sms(api, VALID_REQUEST["phone"], case_id)
    unit_sms = sms(api, DUTY_PHONE, case_id)
    assert Counter((m["event"], m["kind"]) for m in citizen_sms + unit_sms) == {
        ("submitted", "citizen"): 1,  # the receipt with the tracking number
        ("dispatched", "citizen"): 1,
        ("dispatched", "unit"): 1,
        ("replied", "citizen"): 1,
        ("closed", "citizen"): 1,
    }
    # And the citizen's messages arrived in the order of the case's events
    assert [m["event"] for m in citizen_sms] == ["submitted", "dispatched", "replied", "closed"]
    assert len({m["provider_message_id"] for m in citizen_sms + unit_sms}) == 5


def test_an_unsatisfied_rating_texts_the_citizen_and_the_unit_about_the_redo(api: Api) -> None:
    # Given a case the brigade has answered
    citizen, created = dispatched_case(api)
    case_id, tracking_no = created["id"], created["tracking_no"]
    staff = api.token("staff", unit=TRAFFIC_POLICE)
    act(api, f"/v1/cases/{case_id}/accept", staff)
    act(api, f"/v1/cases/{case_id}/reply", staff, {"message": "Warned the drivers."})

    # When the citizen is unsatisfied
    rated = act(api, f"/v1/requests/{case_id}/rating", citizen, {**SATISFIED, "effectiveness": 2})
    assert rated["status"] == "REOPENED"

    # Then the citizen is told the case went back to the unit, and the unit is told to redo it
    citizen_message = wait_sms(api, VALID_REQUEST["phone"], case_id, "reopened", "citizen")
    assert tracking_no in citizen_message["body"] and "重新办理" in citizen_message["body"]
    unit_message = wait_sms(api, DUTY_PHONE, case_id, "reopened", "unit")
    assert tracking_no in unit_message["body"] and "不满意" in unit_message["body"]
    # And the rating itself texts nobody
    assert not [m for m in sms(api, VALID_REQUEST["phone"], case_id) if m["event"] == "rated"]


def test_nothing_is_dead_lettered(api: Api) -> None:
    # Given the runtime after the cases of this session (at least one case is submitted here)
    _, created = dispatched_case(api)
    wait_sms(api, VALID_REQUEST["phone"], created["id"], "dispatched", "citizen")
    # When the dead-letter queues are inspected
    resp = api.call("GET", "/local/dlq")
    # Then the notify function's dead-letter queue is empty
    assert resp.status_code == 200, resp.text
    queues = resp.json()["queues"]
    assert queues["NotifyDeadLetterQueue"] == 0, queues
    # And a replay finds nothing to do
    replayed = api.call("POST", "/local/replay-dlq")
    assert replayed.status_code == 200, replayed.text
    assert replayed.json()["NotifyFunction"]["messages"] == 0


# --- the user pools' own SMS (issue 17, part g): through the custom SMS sender -----------------------


def test_an_admin_created_staff_account_gets_its_temporary_password_by_sms(api: Api) -> None:
    import re
    import uuid

    # Given an admin and a new staff member's mobile
    admin = api.token("admin")
    phone = f"+86139{uuid.uuid4().int % 10**8:08d}"
    # When the admin creates the account (Cognito's AdminCreateUser, SMS delivery)
    created = api.call(
        "POST",
        "/v1/admin/staff",
        admin,
        json={"phone": phone, "name": "李科员", "role": "staff", "unit_id": TRAFFIC_POLICE},
    )
    assert created.status_code == 201, created.text
    # Then the temporary password went through SmsSenderFunction (decrypted from the local CodeKey) to that
    # phone, and /local/sms lists it as an account SMS, on the temporary-password text
    messages = api.call("GET", "/local/sms", params={"phone": phone}).json()["messages"]
    assert [(m["to"], m["kind"], m["event"]) for m in messages] == [
        (phone, "account", "CustomSMSSender_AdminCreateUser")
    ]
    password = re.search(r"临时密码 (\S+?)，", messages[0]["body"])
    assert password is not None and len(password.group(1)) >= 8
    # and the console printed it with the password masked
    log = api.log_path.read_text(encoding="utf-8") if api.log_path else ""
    assert "临时密码 ****" in log and password.group(1) not in log
