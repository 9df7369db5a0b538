"""The handling loop end to end: dispatch, accept, reply, rating, rollback, supervision, return,
overdue escalation, unrated closing, extensions and the refusals, over HTTP as the apps drive it.

Each case runs a real Step Functions execution on the embedded AWS. The workflow is asynchronous:
every step waits for the status it expects before the next action, and an action refused with 409
while the workflow catches up is retried for a few seconds.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from tests.e2e.conftest import VALID_REQUEST, Api

TRAFFIC_POLICE = "futian-traffic-police"
URBAN_MANAGEMENT = "futian-urban-management"
DISPATCH_CENTRE = "dispatch-centre"


# --- helpers ---------------------------------------------------------------------------------------


def scores(value: int, **overrides: int) -> dict[str, int]:
    """A rating body with every dimension at `value`, except the overridden ones."""
    body = {"speed": value, "effectiveness": value, "experience": value, "feedback_quality": value}
    body.update(overrides)
    return body


def submit(api: Api, citizen: str, **overrides: Any) -> str:
    resp = api.call("POST", "/v1/requests", citizen, json={**VALID_REQUEST, **overrides})
    assert resp.status_code == 201, resp.text
    assert resp.json()["status"] == "SUBMITTED"
    return str(resp.json()["id"])


def own_case(api: Api, citizen: str, case_id: str) -> dict[str, Any]:
    resp = api.call("GET", f"/v1/requests/{case_id}", citizen)
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


def wait_status(api: Api, citizen: str, case_id: str, status: str, timeout: float = 40.0) -> dict[str, Any]:
    """The citizen's view of the case once it reaches `status`."""
    return dict(api.wait_for(lambda: (c := own_case(api, citizen, case_id))["status"] == status and c, timeout=timeout))


def timeline(api: Api, citizen: str, case_id: str) -> list[str]:
    """The citizen's timeline: public steps only (extension requests and refusals are internal)."""
    resp = api.call("GET", f"/v1/requests/{case_id}/timeline", citizen)
    assert resp.status_code == 200, resp.text
    return [e["type"] for e in resp.json()["events"]]


def act_get(api: Api, path: str, token: str) -> dict[str, Any]:
    resp = api.call("GET", path, token)
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


def staff_timeline(api: Api, token: str, case_id: str) -> list[str]:
    """Every event, as staff see it."""
    resp = api.call("GET", f"/v1/cases/{case_id}/timeline", token)
    assert resp.status_code == 200, resp.text
    return [e["type"] for e in resp.json()["events"]]


def act(api: Api, path: str, token: str, body: dict[str, Any] | None = None, timeout: float = 30.0) -> dict[str, Any]:
    """POST an action that must succeed (200); a 409 (the workflow has not caught up) is retried."""
    last: list[Any] = []

    def attempt() -> dict[str, Any] | None:
        resp = api.call("POST", path, token, json=body if body is not None else {})
        last[:] = [resp.status_code, resp.text]
        if resp.status_code == 409:
            return None
        assert resp.status_code == 200, f"POST {path}: {resp.status_code} {resp.text}"
        return dict(resp.json())

    try:
        return dict(api.wait_for(attempt, timeout=timeout, interval=0.2))
    except AssertionError as exc:
        raise AssertionError(f"POST {path} kept failing: {last}") from exc


def listed(api: Api, path: str, token: str, case_id: str) -> bool:
    resp = api.call("GET", path, token, params={"limit": 100})
    assert resp.status_code == 200, resp.text
    return any(item["id"] == case_id for item in resp.json()["items"])


def dispatched_to(api: Api, citizen: str, case_id: str, unit_id: str = TRAFFIC_POLICE) -> dict[str, Any]:
    case = wait_status(api, citizen, case_id, "DISPATCHED")
    assert case["unit_id"] == unit_id
    return case


def handle(api: Api, case_id: str, staff: str, message: str = "We have dealt with it.") -> dict[str, Any]:
    """The unit accepts and replies (one round)."""
    accepted = act(api, f"/v1/cases/{case_id}/accept", staff)
    assert accepted["status"] == "IN_PROGRESS"
    replied = act(api, f"/v1/cases/{case_id}/reply", staff, {"message": message})
    assert replied["status"] == "REPLIED"
    assert replied["replies"][-1]["message"] == message
    return replied


def parse_ts(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


# --- 1. the happy path -------------------------------------------------------------------------


def test_satisfied_on_first_reply_closes_the_case(api: Api) -> None:
    # Given a citizen's traffic complaint in Futian, dispatched by rule to the traffic police
    citizen = api.token("citizen")
    staff = api.token("staff", unit=TRAFFIC_POLICE)
    case_id = submit(api, citizen)
    dispatched_to(api, citizen, case_id)
    # And it is in the brigade's inbox of dispatched cases
    assert api.wait_for(
        lambda: listed(api, f"/v1/units/{TRAFFIC_POLICE}/cases?status=DISPATCHED", staff, case_id), timeout=20
    )

    # When the brigade accepts it
    accepted = act(api, f"/v1/cases/{case_id}/accept", staff)
    # Then it is in progress, and leaves the DISPATCHED inbox filter
    assert accepted["status"] == "IN_PROGRESS"
    assert accepted["citizen_phone"] is None  # an action's answer never carries the full number
    # And the unit holding the open case reads the caller's full number to call back
    assert act_get(api, f"/v1/cases/{case_id}", staff)["citizen_phone"].endswith("13812345678")
    assert not listed(api, f"/v1/units/{TRAFFIC_POLICE}/cases?status=DISPATCHED", staff, case_id)

    # When it replies
    replied = act(api, f"/v1/cases/{case_id}/reply", staff, {"message": "Cameras installed, tickets issued."})
    # Then the citizen sees the reply, on time
    assert replied["status"] == "REPLIED"
    view = wait_status(api, citizen, case_id, "REPLIED")
    assert view["replies"][0]["on_time"] is True
    assert view["replies"][0]["message"] == "Cameras installed, tickets issued."

    # When the citizen rates it 4 on every dimension
    rated = act(api, f"/v1/requests/{case_id}/rating", citizen, scores(4))
    # Then the case is closed, satisfied and on time
    assert rated["status"] == "CLOSED"
    closed = wait_status(api, citizen, case_id, "CLOSED")
    assert closed["closed_reason"] == "satisfied"
    assert closed["on_time"] is True
    assert closed["ratings"][0]["satisfied"] is True
    # And the timeline tells the whole story in order
    assert timeline(api, citizen, case_id) == ["submitted", "dispatched", "accepted", "replied", "rated", "closed"]
    # And a closed case leaves the unit's inbox
    assert not listed(api, f"/v1/units/{TRAFFIC_POLICE}/cases", staff, case_id)


# --- 2. rollback ---------------------------------------------------------------------------------


def test_unsatisfied_rating_reopens_to_the_same_unit_then_satisfied_closes(api: Api) -> None:
    # Given a case the brigade has answered
    citizen = api.token("citizen")
    staff = api.token("staff", unit=TRAFFIC_POLICE)
    case_id = submit(api, citizen)
    dispatched_to(api, citizen, case_id)
    handle(api, case_id, staff, "Warned the drivers.")

    # When the citizen is unsatisfied (one dimension at 2)
    rated = act(api, f"/v1/requests/{case_id}/rating", citizen, scores(4, effectiveness=2))
    # Then the case is reopened to the same unit for a second round
    assert rated["status"] == "REOPENED"
    reopened = wait_status(api, citizen, case_id, "REOPENED")
    assert reopened["reopen_count"] == 1
    assert reopened["round"] == 2
    assert reopened["unit_id"] == TRAFFIC_POLICE
    assert reopened["supervised"] is False
    assert reopened["ratings"][0]["satisfied"] is False
    # And the unit sees it again in its inbox
    assert api.wait_for(lambda: listed(api, f"/v1/units/{TRAFFIC_POLICE}/cases?status=REOPENED", staff, case_id))
    # And it cannot hand a reopened case back to the dispatch centre
    resp = api.call("POST", f"/v1/cases/{case_id}/return", staff, json={"reason": "not ours after all"})
    assert resp.status_code == 409, resp.text
    assert resp.json()["current_status"] == "REOPENED"

    # When the unit redoes it and the citizen is satisfied this time
    handle(api, case_id, staff, "Towed the cars and posted a warden.")
    rated = act(api, f"/v1/requests/{case_id}/rating", citizen, scores(5))
    # Then the case is closed as satisfied, on time
    assert rated["status"] == "CLOSED"
    closed = wait_status(api, citizen, case_id, "CLOSED")
    assert closed["closed_reason"] == "satisfied"
    assert closed["on_time"] is True
    assert [r["round"] for r in closed["replies"]] == [1, 2]
    assert [r["satisfied"] for r in closed["ratings"]] == [False, True]
    assert timeline(api, citizen, case_id) == [
        "submitted",
        "dispatched",
        "accepted",
        "replied",
        "rated",
        "reopened",
        "accepted",
        "replied",
        "rated",
        "closed",
    ]


# --- 3. special supervision ---------------------------------------------------------------------


def test_unsatisfied_twice_goes_under_supervision_and_closes_on_the_next_rating(api: Api) -> None:
    # Given a case rolled back once after an unsatisfied rating
    citizen = api.token("citizen")
    staff = api.token("staff", unit=TRAFFIC_POLICE)
    supervisor = api.token("supervisor")
    case_id = submit(api, citizen)
    dispatched_to(api, citizen, case_id)
    handle(api, case_id, staff)
    assert act(api, f"/v1/requests/{case_id}/rating", citizen, scores(2))["status"] == "REOPENED"
    wait_status(api, citizen, case_id, "REOPENED")
    handle(api, case_id, staff, "Second try.")

    # When the citizen is unsatisfied again
    rated = act(api, f"/v1/requests/{case_id}/rating", citizen, scores(3, speed=1))
    # Then the case goes under special supervision, still with the same unit
    assert rated["status"] == "SUPERVISED"
    supervised = wait_status(api, citizen, case_id, "SUPERVISED")
    assert supervised["supervised"] is True
    assert supervised["reopen_count"] == 1
    assert supervised["round"] == 3
    assert supervised["unit_id"] == TRAFFIC_POLICE
    # And supervisors see it in the supervision list
    assert api.wait_for(lambda: listed(api, "/v1/supervision", supervisor, case_id))

    # When the unit handles it a third time and the citizen is still unhappy
    handle(api, case_id, staff, "Third try, under supervision.")
    rated = act(api, f"/v1/requests/{case_id}/rating", citizen, scores(1))
    # Then it closes anyway, as closed under supervision
    assert rated["status"] == "CLOSED"
    closed = wait_status(api, citizen, case_id, "CLOSED")
    assert closed["closed_reason"] == "closed_under_supervision"
    assert closed["on_time"] is True
    assert [r["satisfied"] for r in closed["ratings"]] == [False, False, False]
    # And it leaves the supervision list
    assert not listed(api, "/v1/supervision", supervisor, case_id)
    assert timeline(api, citizen, case_id) == [
        "submitted",
        "dispatched",
        "accepted",
        "replied",
        "rated",
        "reopened",
        "accepted",
        "replied",
        "rated",
        "supervised",
        "accepted",
        "replied",
        "rated",
        "closed",
    ]


# --- 4. misrouting and the dispatch centre -------------------------------------------------------


def test_misrouted_case_returns_to_the_dispatch_centre_and_is_redispatched(api: Api) -> None:
    # Given a case routed by rule to the traffic police
    citizen = api.token("citizen")
    traffic = api.token("staff", unit=TRAFFIC_POLICE)
    urban = api.token("staff", unit=URBAN_MANAGEMENT)
    dispatcher = api.token("dispatcher")
    case_id = submit(api, citizen, description="Street vendors block the pavement near the metro exit")
    dispatched_to(api, citizen, case_id)

    # When the brigade returns it as not theirs
    returned = act(api, f"/v1/cases/{case_id}/return", traffic, {"reason": "street vending is urban management"})
    # Then it is back with the dispatch centre, with no unit
    assert returned["status"] == "RETURNED"
    view = wait_status(api, citizen, case_id, "RETURNED")
    assert view["unit_id"] is None
    # And it waits in the dispatch centre's queue, no longer in the brigade's inbox
    assert api.wait_for(lambda: listed(api, f"/v1/units/{DISPATCH_CENTRE}/cases", dispatcher, case_id))
    assert not listed(api, f"/v1/units/{TRAFFIC_POLICE}/cases", traffic, case_id)

    # When a dispatcher sends it to urban management
    dispatched = act(api, f"/v1/cases/{case_id}/dispatch", dispatcher, {"unit_id": URBAN_MANAGEMENT})
    # Then it is dispatched to that unit, with a fresh deadline
    assert dispatched["status"] == "DISPATCHED"
    assert dispatched["unit_id"] == URBAN_MANAGEMENT
    assert dispatched["due_at"] is not None
    dispatched_to(api, citizen, case_id, URBAN_MANAGEMENT)
    assert not listed(api, f"/v1/units/{DISPATCH_CENTRE}/cases", dispatcher, case_id)
    # And the brigade can no longer act on it
    refused = api.call("POST", f"/v1/cases/{case_id}/accept", traffic)
    assert refused.status_code in (403, 404), refused.text

    # When urban management handles it and the citizen is satisfied
    handle(api, case_id, urban, "Vendors relocated to the night market.")
    rated = act(api, f"/v1/requests/{case_id}/rating", citizen, scores(5))
    # Then it is closed
    assert rated["status"] == "CLOSED"
    closed = wait_status(api, citizen, case_id, "CLOSED")
    assert closed["closed_reason"] == "satisfied"
    assert closed["unit_id"] == URBAN_MANAGEMENT
    assert timeline(api, citizen, case_id) == [
        "submitted",
        "dispatched",
        "returned",
        "dispatched",
        "accepted",
        "replied",
        "rated",
        "closed",
    ]


def test_case_without_a_routing_rule_waits_for_a_dispatcher(api: Api) -> None:
    # Given a citizen's request on topic "other", which no routing rule covers
    citizen = api.token("citizen")
    dispatcher = api.token("dispatcher")
    urban = api.token("staff", unit=URBAN_MANAGEMENT)
    case_id = submit(api, citizen, topic="other", description="Noisy drums in the park at night")

    # When the workflow has routed it
    api.wait_for(lambda: "queued_for_dispatch" in timeline(api, citizen, case_id))
    # Then it is still SUBMITTED, with no unit, queued in the dispatch centre
    view = own_case(api, citizen, case_id)
    assert view["status"] == "SUBMITTED"
    assert view["unit_id"] is None
    assert timeline(api, citizen, case_id) == ["submitted", "queued_for_dispatch"]
    assert api.wait_for(lambda: listed(api, f"/v1/units/{DISPATCH_CENTRE}/cases?status=SUBMITTED", dispatcher, case_id))

    # When a dispatcher picks a unit
    dispatched = act(api, f"/v1/cases/{case_id}/dispatch", dispatcher, {"unit_id": URBAN_MANAGEMENT})
    # Then it is dispatched there and leaves the queue
    assert dispatched["status"] == "DISPATCHED"
    dispatched_to(api, citizen, case_id, URBAN_MANAGEMENT)
    assert not listed(api, f"/v1/units/{DISPATCH_CENTRE}/cases", dispatcher, case_id)
    assert api.wait_for(lambda: listed(api, f"/v1/units/{URBAN_MANAGEMENT}/cases?status=DISPATCHED", urban, case_id))
    assert timeline(api, citizen, case_id) == ["submitted", "queued_for_dispatch", "dispatched"]

    # And the workflow carries on from there: handled, rated, closed
    handle(api, case_id, urban)
    assert act(api, f"/v1/requests/{case_id}/rating", citizen, scores(4))["status"] == "CLOSED"
    assert wait_status(api, citizen, case_id, "CLOSED")["closed_reason"] == "satisfied"


# --- 5. overdue escalation (compressed time) ---------------------------------------------------


def test_overdue_case_is_escalated_and_a_late_reply_is_not_on_time(fast_api: Api) -> None:
    api = fast_api
    # Given a request for help (1 working day = 2 s here) dispatched to the brigade
    citizen = api.token("citizen")
    staff = api.token("staff", unit=TRAFFIC_POLICE)
    supervisor = api.token("supervisor")
    case_id = submit(api, citizen, category="help")
    dispatched_to(api, citizen, case_id)

    # When the deadline passes without a reply
    overdue = api.wait_for(lambda: (c := own_case(api, citizen, case_id))["overdue"] and c, timeout=30)
    # Then the case is flagged overdue, with an "overdue" event, and escalated to supervisors
    assert overdue["status"] == "DISPATCHED"
    assert "overdue" in timeline(api, citizen, case_id)
    assert api.wait_for(lambda: listed(api, "/v1/supervision", supervisor, case_id), timeout=20)

    # When the brigade finally accepts and replies
    handle(api, case_id, staff, "Sorry for the delay: done now.")
    # Then the reply is recorded as late and the escalation ends
    replied = wait_status(api, citizen, case_id, "REPLIED")
    assert replied["replies"][0]["on_time"] is False
    assert replied["overdue"] is False
    assert not listed(api, "/v1/supervision", supervisor, case_id)

    # When the citizen is satisfied anyway
    assert act(api, f"/v1/requests/{case_id}/rating", citizen, scores(4))["status"] == "CLOSED"
    # Then it closes, but not on time
    closed = wait_status(api, citizen, case_id, "CLOSED")
    assert closed["closed_reason"] == "satisfied"
    assert closed["on_time"] is False
    assert timeline(api, citizen, case_id) == [
        "submitted",
        "dispatched",
        "overdue",
        "accepted",
        "replied",
        "rated",
        "closed",
    ]


# --- 6. rating window (compressed time) --------------------------------------------------------


def test_reply_left_unrated_closes_when_the_rating_window_ends(short_rating_window_api: Api) -> None:
    api = short_rating_window_api
    # Given a complaint (5 working days = 20 s here) the brigade answers promptly
    citizen = api.token("citizen")
    staff = api.token("staff", unit=TRAFFIC_POLICE)
    case_id = submit(api, citizen)
    dispatched_to(api, citizen, case_id)
    handle(api, case_id, staff)

    # When the citizen does not rate within the 3 s rating window
    closed = wait_status(api, citizen, case_id, "CLOSED", timeout=30)
    # Then the case closes as unrated, on time
    assert closed["closed_reason"] == "unrated"
    assert closed["on_time"] is True
    assert closed["ratings"] == []
    assert timeline(api, citizen, case_id) == ["submitted", "dispatched", "accepted", "replied", "closed"]
    # And a late rating is refused
    late = api.call("POST", f"/v1/requests/{case_id}/rating", citizen, json=scores(5))
    assert late.status_code == 409, late.text
    assert late.json()["current_status"] == "CLOSED"


# --- 7. extension --------------------------------------------------------------------------------


def test_approved_extension_moves_the_deadline_and_the_case_still_closes(api: Api) -> None:
    # Given a complaint the brigade has accepted
    citizen = api.token("citizen")
    staff = api.token("staff", unit=TRAFFIC_POLICE)
    supervisor = api.token("supervisor")
    case_id = submit(api, citizen)
    original_due = parse_ts(dispatched_to(api, citizen, case_id)["due_at"])
    act(api, f"/v1/cases/{case_id}/accept", staff)

    # When the brigade asks for 3 more working days
    requested = act(api, f"/v1/cases/{case_id}/extension", staff, {"days": 3, "reason": "needs a site survey"})
    # Then the extension is pending and supervisors see the case
    assert requested["extension"]["status"] == "pending"
    assert requested["extension"]["days"] == 3
    assert api.wait_for(lambda: listed(api, "/v1/supervision", supervisor, case_id))

    # When a supervisor approves it
    decided = act(api, f"/v1/cases/{case_id}/extension/decision", supervisor, {"approve": True})
    # Then the deadline moves later and the case leaves the supervision list
    assert decided["extension"]["status"] == "approved"
    assert parse_ts(decided["due_at"]) > original_due
    assert parse_ts(own_case(api, citizen, case_id)["due_at"]) > original_due
    assert decided["status"] == "IN_PROGRESS"
    assert not listed(api, "/v1/supervision", supervisor, case_id)

    # When the brigade replies and the citizen is satisfied
    replied = act(api, f"/v1/cases/{case_id}/reply", staff, {"message": "Survey done, bollards installed."})
    assert replied["status"] == "REPLIED"
    wait_status(api, citizen, case_id, "REPLIED")
    assert act(api, f"/v1/requests/{case_id}/rating", citizen, scores(5))["status"] == "CLOSED"
    # Then the case closes on time
    closed = wait_status(api, citizen, case_id, "CLOSED")
    assert closed["closed_reason"] == "satisfied"
    assert closed["on_time"] is True
    assert timeline(api, citizen, case_id) == [
        "submitted",
        "dispatched",
        "accepted",
        "extension_approved",
        "replied",
        "rated",
        "closed",
    ]
    assert "extension_requested" in staff_timeline(api, supervisor, case_id)


def test_refused_extension_keeps_the_deadline(api: Api) -> None:
    # Given a dispatched complaint with a pending extension request
    citizen = api.token("citizen")
    staff = api.token("staff", unit=TRAFFIC_POLICE)
    supervisor = api.token("supervisor")
    case_id = submit(api, citizen)
    due = dispatched_to(api, citizen, case_id)["due_at"]
    act(api, f"/v1/cases/{case_id}/extension", staff, {"days": 10, "reason": "want a long holiday"})
    # And a second request while one is pending is refused
    resp = api.call("POST", f"/v1/cases/{case_id}/extension", staff, json={"days": 1, "reason": "again"})
    assert resp.status_code == 409, resp.text

    # When a supervisor refuses it
    decided = act(api, f"/v1/cases/{case_id}/extension/decision", supervisor, {"approve": False, "note": "no"})
    # Then the deadline is unchanged and the case leaves the supervision list
    assert decided["extension"]["status"] == "refused"
    assert parse_ts(decided["due_at"]) == parse_ts(due)
    assert not listed(api, "/v1/supervision", supervisor, case_id)
    # And the unit can still answer, and the case still closes
    handle(api, case_id, staff)
    assert act(api, f"/v1/requests/{case_id}/rating", citizen, scores(4))["status"] == "CLOSED"
    closed = wait_status(api, citizen, case_id, "CLOSED")
    assert closed["on_time"] is True
    assert timeline(api, citizen, case_id) == ["submitted", "dispatched", "accepted", "replied", "rated", "closed"]
    assert staff_timeline(api, supervisor, case_id)[2:4] == ["extension_requested", "extension_refused"]


def test_reply_drops_a_pending_extension(api: Api) -> None:
    # Given an accepted case with an extension request nobody has decided yet
    citizen = api.token("citizen")
    staff = api.token("staff", unit=TRAFFIC_POLICE)
    supervisor = api.token("supervisor")
    case_id = submit(api, citizen)
    dispatched_to(api, citizen, case_id)
    act(api, f"/v1/cases/{case_id}/accept", staff)
    act(api, f"/v1/cases/{case_id}/extension", staff, {"days": 2, "reason": "waiting for a report"})
    assert api.wait_for(lambda: listed(api, "/v1/supervision", supervisor, case_id))

    # When the unit replies anyway
    replied = act(api, f"/v1/cases/{case_id}/reply", staff, {"message": "Report arrived early."})
    # Then the request is dropped: no longer in supervision, and nothing left to decide
    assert replied["extension"] is None
    assert not listed(api, "/v1/supervision", supervisor, case_id)
    resp = api.call("POST", f"/v1/cases/{case_id}/extension/decision", supervisor, json={"approve": True})
    assert resp.status_code == 409, resp.text
    assert resp.json()["current_status"] == "REPLIED"
    # And the rating loop carries on
    assert act(api, f"/v1/requests/{case_id}/rating", citizen, scores(5))["status"] == "CLOSED"


def test_extension_on_an_overdue_case_rearms_the_deadline(fast_api: Api) -> None:
    api = fast_api
    # Given a request for help (2 s) whose unit asked for one more working day before the deadline,
    # and that went overdue while the request waited for a supervisor
    citizen = api.token("citizen")
    staff = api.token("staff", unit=TRAFFIC_POLICE)
    supervisor = api.token("supervisor")
    case_id = submit(api, citizen, category="help")
    dispatched_to(api, citizen, case_id)
    act(api, f"/v1/cases/{case_id}/extension", staff, {"days": 1, "reason": "the site was closed"})
    api.wait_for(lambda: own_case(api, citizen, case_id)["overdue"], timeout=30)
    # And a second request after the deadline is refused
    late = api.call("POST", f"/v1/cases/{case_id}/extension", staff, json={"days": 1, "reason": "again"})
    assert late.status_code == 409, late.text

    # When a supervisor approves the pending one
    decided = act(api, f"/v1/cases/{case_id}/extension/decision", supervisor, {"approve": True})
    # Then the new deadline applies (no longer overdue), though the case can never count as on time
    assert decided["overdue"] is False
    assert decided["extension"]["status"] == "approved"

    # When that new deadline passes too
    api.wait_for(lambda: timeline(api, citizen, case_id).count("overdue") == 2, timeout=30)
    # Then the workflow escalates it again
    assert own_case(api, citizen, case_id)["overdue"] is True
    assert api.wait_for(lambda: listed(api, "/v1/supervision", supervisor, case_id), timeout=20)
    assert timeline(api, citizen, case_id) == ["submitted", "dispatched", "overdue", "extension_approved", "overdue"]


# --- 8. refusals ---------------------------------------------------------------------------------


def test_refusals_by_role_unit_state_owner_and_input(api: Api) -> None:
    # Given a dispatched case, its owner, the right unit, another unit, another citizen and a dispatcher
    citizen = api.token("citizen")
    other_citizen = api.token("citizen")
    staff = api.token("staff", unit=TRAFFIC_POLICE)
    other_staff = api.token("staff", unit="nanshan-traffic-police")
    case_id = submit(api, citizen)
    dispatched_to(api, citizen, case_id)

    # Wrong role: a citizen cannot accept, staff cannot dispatch
    resp = api.call("POST", f"/v1/cases/{case_id}/accept", citizen)
    assert resp.status_code == 403, resp.text
    resp = api.call("POST", f"/v1/cases/{case_id}/dispatch", staff, json={"unit_id": URBAN_MANAGEMENT})
    assert resp.status_code == 403, resp.text

    # Wrong unit: another unit's staff cannot accept it nor see it (another unit's case is 404,
    # reads and actions alike), nor read this unit's inbox
    resp = api.call("POST", f"/v1/cases/{case_id}/accept", other_staff)
    assert resp.status_code == 404, resp.text
    resp = api.call("GET", f"/v1/cases/{case_id}", other_staff)
    assert resp.status_code == 404, resp.text
    resp = api.call("GET", f"/v1/units/{TRAFFIC_POLICE}/cases", other_staff)
    assert resp.status_code == 403, resp.text

    # Dispatching: a case already with a unit moves only as a transfer, which needs a reason; and
    # only to a real unit
    dispatcher = api.token("dispatcher")
    resp = api.call("POST", f"/v1/cases/{case_id}/dispatch", dispatcher, json={"unit_id": URBAN_MANAGEMENT})
    assert resp.status_code == 422, resp.text
    assert [p["field"] for p in resp.json()["problems"]] == ["reason"]
    for unit in ("no-such-unit", DISPATCH_CENTRE):
        resp = api.call("POST", f"/v1/cases/{case_id}/dispatch", dispatcher, json={"unit_id": unit})
        assert resp.status_code in (409, 422), resp.text
        if resp.status_code == 422:
            assert [p["field"] for p in resp.json()["problems"]] == ["unit_id"]

    # Extensions: only the case's own unit asks, only a supervisor decides, only when one is pending
    extension = {"days": 2, "reason": "busy"}
    resp = api.call("POST", f"/v1/cases/{case_id}/extension", other_staff, json=extension)
    assert resp.status_code == 404, resp.text
    resp = api.call("POST", f"/v1/cases/{case_id}/extension/decision", staff, json={"approve": True})
    assert resp.status_code == 403, resp.text
    resp = api.call("POST", f"/v1/cases/{case_id}/extension/decision", api.token("supervisor"), json={"approve": True})
    assert resp.status_code == 409, resp.text

    # Wrong state: no reply before accepting; no rating before a reply
    resp = api.call("POST", f"/v1/cases/{case_id}/reply", staff, json={"message": "too early"})
    assert resp.status_code == 409, resp.text
    assert resp.json()["current_status"] == "DISPATCHED"
    resp = api.call("POST", f"/v1/requests/{case_id}/rating", citizen, json=scores(5))
    assert resp.status_code == 409, resp.text
    assert resp.json()["current_status"] == "DISPATCHED"

    # None of the refused actions changed the case
    assert own_case(api, citizen, case_id)["status"] == "DISPATCHED"
    assert timeline(api, citizen, case_id) == ["submitted", "dispatched"]

    # Once replied: invalid score, another citizen, then a double rating
    handle(api, case_id, staff)
    wait_status(api, citizen, case_id, "REPLIED")
    resp = api.call("POST", f"/v1/requests/{case_id}/rating", citizen, json=scores(5, speed=6))
    assert resp.status_code == 422, resp.text
    assert [p["field"] for p in resp.json()["problems"]] == ["speed"]
    resp = api.call("POST", f"/v1/requests/{case_id}/rating", other_citizen, json=scores(5))
    assert resp.status_code == 404, resp.text
    assert wait_status(api, citizen, case_id, "REPLIED")["ratings"] == []

    assert act(api, f"/v1/requests/{case_id}/rating", citizen, scores(5))["status"] == "CLOSED"
    resp = api.call("POST", f"/v1/requests/{case_id}/rating", citizen, json=scores(1))
    assert resp.status_code == 409, resp.text
    closed = wait_status(api, citizen, case_id, "CLOSED")
    assert len(closed["ratings"]) == 1
    assert closed["closed_reason"] == "satisfied"


def test_double_rating_in_a_reopened_round_is_refused(api: Api) -> None:
    # Given a case whose first reply was rated unsatisfied (round 2 now pending with the unit)
    citizen = api.token("citizen")
    staff = api.token("staff", unit=TRAFFIC_POLICE)
    case_id = submit(api, citizen)
    dispatched_to(api, citizen, case_id)
    handle(api, case_id, staff)
    assert act(api, f"/v1/requests/{case_id}/rating", citizen, scores(2))["status"] == "REOPENED"

    # When the citizen tries to rate again before the redo is replied
    resp = api.call("POST", f"/v1/requests/{case_id}/rating", citizen, json=scores(5))
    # Then it is refused and nothing changes
    assert resp.status_code == 409, resp.text
    assert resp.json()["current_status"] == "REOPENED"
    view = wait_status(api, citizen, case_id, "REOPENED")
    assert len(view["ratings"]) == 1


@pytest.mark.parametrize("field", ["speed", "effectiveness", "experience", "feedback_quality"])
def test_rating_score_out_of_range_names_the_field(api: Api, field: str) -> None:
    # Given any case of the citizen's (validation comes before any state check)
    citizen = api.token("citizen")
    case_id = submit(api, citizen)
    # When a score is 6 or 0
    for bad in (6, 0):
        resp = api.call("POST", f"/v1/requests/{case_id}/rating", citizen, json=scores(4, **{field: bad}))
        # Then 422 names exactly that field
        assert resp.status_code == 422, resp.text
        assert [p["field"] for p in resp.json()["problems"]] == [field]
