"""The loop as clerks, dispatchers, supervisors and citizens need it (issue 10), through the real
handlers on moto with the workflow running: media and the staff timeline for staff, withdraw and
supplement for citizens, the dispatch queue's deadline, transfers, honest extensions, supervision
with reasons and instructions, lists, the unit directory, the hotline operator and rating by link."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from minyi.adapters.aws import client
from minyi.adapters.dynamo import DynamoCaseRepository
from minyi.adapters.secrets import secret_bytes
from minyi.domain.models import Upload
from minyi.domain.rating_links import RatingLinks
from tests.integration.conftest import Stack, citizen, staff

REQUEST: dict[str, Any] = {
    "category": "complaint",
    "topic": "traffic",
    "district": "futian",
    "description": "Broken traffic light at Fuhua Road",
    "phone": "13812345678",
}
UNIT = "futian-traffic-police"
OTHER_UNIT = "nanshan-traffic-police"
DISPATCHER = {"sub": "dispatcher-1", "cognito:groups": "dispatcher"}
SUPERVISOR = {"sub": "supervisor-1", "cognito:groups": "supervisor"}
OPERATOR = {"sub": "operator-7", "cognito:groups": "operator"}
SCORES = {"speed": 5, "effectiveness": 5, "experience": 5, "feedback_quality": 5}
#: The tests that read an error's words ask for them in English (the default is Chinese).
ENGLISH = {"Accept-Language": "en"}
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))


def parked(stack: Stack, case_id: str, phase: str = "handling") -> Any:
    return stack.wait_for(lambda: (c := stack.repo.get_case(case_id)) and c.wait and c.wait.phase == phase and c)


def dispatched(stack: Stack, who: dict[str, str] | None = None, **extra: Any) -> tuple[dict[str, str], str]:
    who = who or citizen()
    status, created = stack.request("POST", "/v1/requests", who, {**REQUEST, **extra})
    assert status == 201, created
    parked(stack, created["id"])
    return who, created["id"]


def queued(stack: Stack) -> tuple[dict[str, str], str]:
    """A case no rule covers: it waits in the dispatch centre's queue."""
    who = citizen()
    _, created = stack.request("POST", "/v1/requests", who, {**REQUEST, "topic": "other"})
    stack.wait_for(lambda: (c := stack.repo.get_case(created["id"])) and c.in_dispatch_queue and c.wait)
    return who, created["id"]


def posted_upload(stack: Stack, owner: str, data: bytes = PNG) -> str:
    upload_id = f"u{datetime.now(UTC).timestamp():.6f}".replace(".", "")
    key = f"uploads/{owner}/{upload_id}"
    stack.uploads.put(
        Upload(
            upload_id=upload_id,
            owner_id=owner,
            key=key,
            content_type="image/png",
            size=len(data),
            created_at=datetime.now(UTC),
            expires_at=2_000_000_000,
        )
    )
    client("s3").put_object(Bucket=stack.resources["AttachmentsBucket"], Key=key, Body=data, ContentType="image/png")
    return upload_id


def staff_timeline(stack: Stack, case_id: str, who: dict[str, str] = SUPERVISOR) -> list[dict[str, Any]]:
    status, body = stack.request("GET", f"/v1/cases/{case_id}/timeline", who)
    assert status == 200, body
    return list(body["events"])


# --- 1, 2: media and the staff timeline ---------------------------------------------------------


def test_staff_get_links_to_the_citizens_media_and_each_read_is_recorded(stack: Stack) -> None:
    # Given a case filed with a photo
    who = citizen()
    upload_id = posted_upload(stack, who["sub"])
    _, case_id = dispatched(stack, who, attachments=[upload_id])
    # When the unit and a dispatcher read it
    _, as_unit = stack.request("GET", f"/v1/cases/{case_id}", staff())
    _, as_dispatcher = stack.request("GET", f"/v1/cases/{case_id}", DISPATCHER)
    # Then both get a download link, and the staff timeline says who was given one
    assert as_unit["attachments"][0]["download_url"] and as_dispatcher["attachments"][0]["download_url"]
    views = [e for e in staff_timeline(stack, case_id) if e["type"] == "media_viewed"]
    assert [e["actor"] for e in views] == ["staff", "dispatcher"]
    # But staff of another unit get nothing
    assert stack.request("GET", f"/v1/cases/{case_id}", staff(OTHER_UNIT))[0] == 404


def test_a_note_is_for_staff_only_and_the_return_names_the_returning_unit(stack: Stack) -> None:
    # Given a dispatched case with an internal note, returned as misrouted
    who, case_id = dispatched(stack)
    status, timeline = stack.request("POST", f"/v1/cases/{case_id}/notes", staff(), {"text": "Called the caller"})
    assert status == 200, timeline
    assert stack.request("POST", f"/v1/cases/{case_id}/return", staff(), {"reason": "Not a traffic matter"})[0] == 200
    # When the dispatcher reads the staff timeline
    events = staff_timeline(stack, case_id, DISPATCHER)
    # Then the note and the return reason are there, with the unit that returned it
    assert [e["note"] for e in events if e["type"] == "note_added"] == ["Called the caller"]
    returned = next(e for e in events if e["type"] == "returned")
    assert returned["note"] == "Not a traffic matter" and returned["unit_id"] == UNIT
    # And the citizen sees neither, and may not read the staff timeline at all
    _, own = stack.request("GET", f"/v1/requests/{case_id}/timeline", who)
    assert "Called the caller" not in str(own) and "Not a traffic matter" not in str(own)
    assert stack.request("GET", f"/v1/cases/{case_id}/timeline", who)[0] == 403


# --- 3: withdraw and supplement -----------------------------------------------------------------


def test_a_citizen_withdraws_and_the_workflow_ends_cleanly(stack: Stack) -> None:
    # Given a dispatched case
    who, case_id = dispatched(stack)
    # When the citizen withdraws it
    status, view = stack.request("POST", f"/v1/requests/{case_id}/withdraw", who, {"reason": "Fixed by itself"})
    # Then it is WITHDRAWN, leaves the unit's inbox, and its execution succeeds
    assert status == 200, view
    assert view["status"] == "WITHDRAWN"
    sfn = client("stepfunctions")
    arn = stack.resources["CaseWorkflow"].replace(":stateMachine:", ":execution:") + f":{case_id}"
    stack.wait_for(lambda: sfn.describe_execution(executionArn=arn)["status"] == "SUCCEEDED")
    _, inbox = stack.request("GET", f"/v1/units/{UNIT}/cases", staff())
    assert case_id not in [c["id"] for c in inbox["items"]]
    # And it appears in the unit's finished cases
    _, done = stack.request("GET", f"/v1/units/{UNIT}/cases?status=WITHDRAWN", staff())
    assert case_id in [c["id"] for c in done["items"]]


def test_a_withdraw_after_the_reply_is_refused(stack: Stack) -> None:
    # Given a case the unit answered
    who, case_id = dispatched(stack)
    unit = staff()
    stack.request("POST", f"/v1/cases/{case_id}/accept", unit)
    assert stack.request("POST", f"/v1/cases/{case_id}/reply", unit, {"message": "Repaired."})[0] == 200
    # When the citizen tries to withdraw / Then it is a conflict naming the status
    status, body = stack.request("POST", f"/v1/requests/{case_id}/withdraw", who, {})
    assert status == 409 and body["current_status"] == "REPLIED"
    # And another citizen cannot even see it
    assert stack.request("POST", f"/v1/requests/{case_id}/withdraw", citizen(), {})[0] == 404


def test_a_supplement_with_a_photo_reaches_the_unit_at_once(stack: Stack) -> None:
    # Given an open case
    who, case_id = dispatched(stack)
    upload_id = posted_upload(stack, who["sub"])
    # When the citizen adds text and a photo
    status, view = stack.request(
        "POST", f"/v1/requests/{case_id}/supplements", who, {"text": "It is dark now", "attachments": [upload_id]}
    )
    # Then the case carries both, and the unit sees the text in its timeline and a link to the photo
    assert status == 200, view
    assert view["supplements"][0]["text"] == "It is dark now"
    _, as_unit = stack.request("GET", f"/v1/cases/{case_id}", staff())
    assert [a["upload_id"] for a in as_unit["attachments"]] == [upload_id]
    assert as_unit["attachments"][0]["download_url"]
    assert any(e["type"] == "supplemented" and e["note"] == "It is dark now" for e in staff_timeline(stack, case_id))
    # And the same upload cannot be attached twice
    again = stack.request("POST", f"/v1/requests/{case_id}/supplements", who, {"text": "x", "attachments": [upload_id]})
    assert again[0] == 422


# --- 4: the dispatch queue's deadline, transfers --------------------------------------------------


def test_a_dispatcher_transfers_a_case_with_a_reason_and_a_fresh_deadline(stack: Stack) -> None:
    # Given a case the first unit holds
    _, case_id = dispatched(stack)
    before = stack.repo.get_case(case_id)
    assert before is not None
    # When the dispatcher transfers it without a reason / with one
    assert stack.request("POST", f"/v1/cases/{case_id}/dispatch", DISPATCHER, {"unit_id": OTHER_UNIT})[0] == 422
    status, view = stack.request(
        "POST", f"/v1/cases/{case_id}/dispatch", DISPATCHER, {"unit_id": OTHER_UNIT, "reason": "Nanshan side"}
    )
    # Then the other unit holds it with a new deadline, and the first unit still finds it in its history
    assert status == 200, view
    assert view["unit_id"] == OTHER_UNIT and view["status"] == "DISPATCHED"
    after = stack.repo.get_case(case_id)
    assert after is not None and after.dispatched_at is not None and before.dispatched_at is not None
    assert after.dispatched_at > before.dispatched_at and after.due_at is not None  # the new unit's own clock
    transferred = next(e for e in staff_timeline(stack, case_id) if e["type"] == "transferred")
    assert transferred["note"] == "Nanshan side"
    parked(stack, case_id)
    assert stack.request("POST", f"/v1/cases/{case_id}/accept", staff(OTHER_UNIT))[0] == 200


def test_a_dispatcher_corrects_a_queued_cases_classification_and_then_dispatches_it(stack: Stack) -> None:
    # Given a case filed as "other" in futian, waiting in the dispatch queue
    who, case_id = queued(stack)
    path = f"/v1/cases/{case_id}/classification"
    # When a unit's staff, or a dispatcher with codes outside the catalogue or without a reason, try
    assert stack.request("POST", path, staff(UNIT), {"district": "nanshan", "reason": "r"})[0] == 403
    status, refused = stack.request("POST", path, DISPATCHER, {"district": "atlantis", "reason": "r"}, ENGLISH)
    assert status == 422 and refused["problems"][0]["field"] == "district"
    status, refused = stack.request("POST", path, DISPATCHER, {"topic": "traffic"}, ENGLISH)
    assert status == 422 and refused["problems"][0]["field"] == "reason"
    assert stack.request("POST", path, DISPATCHER, {"reason": "r"})[0] == 422
    # ... and then a dispatcher corrects it to traffic in nanshan, with a reason
    status, view = stack.request(
        "POST", path, DISPATCHER, {"topic": "traffic", "district": "nanshan", "reason": "路口在南山区一侧"}
    )
    # Then the case is traffic in nanshan, still in the queue (nothing routed it anywhere)
    assert status == 200, view
    assert (view["topic"], view["district"], view["unit_id"]) == ("traffic", "nanshan", None)
    after = stack.repo.get_case(case_id)
    assert after is not None and after.in_dispatch_queue and after.wait is not None and after.wait.phase == "dispatch"
    # the staff read the reason, the citizen reads what it became (never the reason)
    corrected = next(e for e in staff_timeline(stack, case_id, DISPATCHER) if e["type"] == "reclassified")
    assert corrected["note"] == "路口在南山区一侧"
    status, own = stack.request("GET", f"/v1/requests/{case_id}/timeline", who)
    assert status == 200, own
    texts = [e["text"] for e in own["events"]]
    assert "诉求分类已更正为 交通出行 · 南山区" in texts and "路口在南山区一侧" not in str(own)
    # and the dispatcher sends it to the unit its new classification suggests
    status, units = stack.request("GET", "/v1/units?district=nanshan&topic=traffic", DISPATCHER)
    assert status == 200 and OTHER_UNIT in [u["id"] for u in units["units"]]
    assert stack.request("POST", f"/v1/cases/{case_id}/dispatch", DISPATCHER, {"unit_id": OTHER_UNIT})[0] == 200
    parked(stack, case_id)


# --- 5, 6: honest extensions, supervision ----------------------------------------------------------


def test_one_extension_per_round_and_none_after_the_deadline(stack: Stack) -> None:
    # Given a case the unit holds
    _, case_id = dispatched(stack)
    unit = staff()
    # When the unit asks for an extension twice in the round
    first = stack.request("POST", f"/v1/cases/{case_id}/extension", unit, {"days": 2, "reason": "Parts ordered"})
    decided = stack.request("POST", f"/v1/cases/{case_id}/extension/decision", SUPERVISOR, {"approve": False})
    second = stack.request(
        "POST", f"/v1/cases/{case_id}/extension", unit, {"days": 1, "reason": "Again"}, headers=ENGLISH
    )
    # Then the first is accepted and the second refused
    assert first[0] == 200 and decided[0] == 200
    assert second[0] == 409 and "per handling round" in second[1]["message"]


def test_an_extension_after_the_deadline_is_refused(stack: Stack) -> None:
    # Given a case whose deadline has passed
    _, case_id = dispatched(stack)
    case = stack.repo.get_case(case_id)
    assert case is not None
    late = case.model_copy(update={"due_at": datetime.now(UTC) - timedelta(minutes=1)})
    from minyi.domain.lifecycle import Transition

    DynamoCaseRepository(stack.table).save(Transition(before=case, after=late))
    # When the unit asks for more time / Then it is refused
    status, body = stack.request(
        "POST", f"/v1/cases/{case_id}/extension", staff(), {"days": 2, "reason": "Late"}, headers=ENGLISH
    )
    assert status == 409 and "deadline has already passed" in body["message"]


def test_supervisor_instructions_set_a_deadline_and_the_case_lists_why(stack: Stack) -> None:
    # Given a case the unit holds
    _, case_id = dispatched(stack)
    # When a supervisor gives instructions with 1 working day
    status, view = stack.request(
        "POST", f"/v1/cases/{case_id}/supervision", SUPERVISOR, {"instructions": "Call back today", "due_in_days": 1}
    )
    # Then the deadline moves, the case is on the supervision list as supervised
    assert status == 200, view
    _, listing = stack.request("GET", "/v1/supervision?limit=100", SUPERVISOR)
    item = next(i for i in listing["items"] if i["id"] == case_id)
    assert "supervised" in item["reasons"]
    # And a dispatcher may not give instructions
    assert (
        stack.request("POST", f"/v1/cases/{case_id}/supervision", DISPATCHER, {"instructions": "x", "due_in_days": 1})[
            0
        ]
        == 403
    )


# --- 7: lists and the directory ----------------------------------------------------------------------


def test_the_unit_directory_filters_by_district_and_topic(stack: Stack) -> None:
    # When a dispatcher asks for Futian's traffic units
    status, body = stack.request("GET", "/v1/units?district=futian&topic=traffic", DISPATCHER)
    # Then there is exactly the traffic police brigade; staff may not browse the directory
    assert status == 200, body
    assert [u["id"] for u in body["units"]] == [UNIT]
    assert stack.request("GET", "/v1/units", staff())[0] == 403


def test_a_citizen_filters_their_list_by_status(stack: Stack) -> None:
    # Given a citizen with a withdrawn and an open request
    who, withdrawn_id = dispatched(stack)
    stack.request("POST", f"/v1/requests/{withdrawn_id}/withdraw", who, {})
    _, open_id = dispatched(stack, who)
    # When they list only withdrawn ones
    _, body = stack.request("GET", "/v1/requests?status=WITHDRAWN", who)
    # Then only that one comes back
    assert [c["id"] for c in body["items"]] == [withdrawn_id]
    assert open_id != withdrawn_id


def test_a_location_outside_the_city_is_refused(stack: Stack) -> None:
    # When a request is placed in Beijing / Then it is refused naming the location
    status, body = stack.request(
        "POST", "/v1/requests", citizen(), {**REQUEST, "location": {"lat": 39.9, "lon": 116.4}}
    )
    assert status == 422 and body["problems"][0]["field"] == "location"


# --- 8, 10: the hotline operator, rating by the SMS link -------------------------------------------


def test_an_operator_files_for_a_caller_who_rates_from_the_link(stack: Stack) -> None:
    # Given a hotline operator taking a call
    status, created = stack.request("POST", "/v1/requests", OPERATOR, {**REQUEST, "channel": "hotline"})
    assert status == 201, created
    case_id, number = created["id"], created["tracking_no"]
    case = parked(stack, case_id)
    # Then the case belongs to the caller's number and came in by the hotline
    assert case.channel == "hotline" and case.citizen_id.startswith("caller-")
    # When the unit answers
    unit = staff()
    stack.request("POST", f"/v1/cases/{case_id}/accept", unit)
    stack.request("POST", f"/v1/cases/{case_id}/reply", unit, {"message": "Fixed."})
    case = parked(stack, case_id, "rating")
    # And the caller opens the SMS link with its token: the page learns the answer waits for a rating
    links = RatingLinks(secret_bytes(stack.resources["RatingLinkSecret"]), "http://x")
    token = links.token(number, case.round)
    status, state = stack.request("GET", f"/v1/track/{number}/rating?t={token}", None)
    assert (status, state["rateable"], state["status"]) == (200, True, "REPLIED"), state
    status, view = stack.request("POST", f"/v1/track/{number}/rating", None, {**SCORES, "token": token})
    # Then the rating closes the case; the same link a second time is a conflict, and the link's page
    # now says the case is closed instead of offering the form; a forged token is an unknown link
    assert status == 200, view
    assert view["status"] == "CLOSED"
    again = stack.request("POST", f"/v1/track/{number}/rating", None, {**SCORES, "token": token})
    assert again[0] == 409
    status, state = stack.request("GET", f"/v1/track/{number}/rating?t={token}", None)
    assert (status, state["rateable"], state["status"]) == (200, False, "CLOSED"), state
    assert stack.request("GET", f"/v1/track/{number}/rating?t=AAAAAAAAAA", None)[0] == 404


def test_a_rating_token_for_another_case_is_refused(stack: Stack) -> None:
    # Given two cases, one waiting for its rating
    _, first = dispatched(stack)
    unit = staff()
    stack.request("POST", f"/v1/cases/{first}/accept", unit)
    stack.request("POST", f"/v1/cases/{first}/reply", unit, {"message": "Fixed."})
    case = parked(stack, first, "rating")
    _, second = dispatched(stack)
    other = stack.repo.get_case(second)
    assert other is not None
    # When the second case's token is used on the first
    links = RatingLinks(secret_bytes(stack.resources["RatingLinkSecret"]), "http://x")
    token = links.token(other.tracking_no, other.round)
    status, _ = stack.request("POST", f"/v1/track/{case.tracking_no}/rating", None, {**SCORES, "token": token})
    # Then it is refused like an unknown link
    assert status == 404


def test_an_operator_must_file_hotline_calls(stack: Stack) -> None:
    # When an operator files without channel hotline / Then it is refused naming the field
    status, body = stack.request("POST", "/v1/requests", OPERATOR, REQUEST)
    assert status == 422 and body["problems"][0]["field"] == "channel"


def test_a_unit_replies_with_a_photo_the_citizen_can_open(stack: Stack) -> None:
    # Given a case the unit has taken up, and a photo of the repair the unit uploaded
    who, case_id = dispatched(stack)
    unit = staff()
    stack.request("POST", f"/v1/cases/{case_id}/accept", unit)
    upload_id = posted_upload(stack, unit["sub"])
    # When the unit replies with it
    status, view = stack.request(
        "POST", f"/v1/cases/{case_id}/reply", unit, {"message": "Repaired, see photo", "attachments": [upload_id]}
    )
    # Then the reply names the file and the citizen gets a link to it
    assert status == 200, view
    assert view["replies"][-1]["attachments"] == [upload_id]
    _, own = stack.request("GET", f"/v1/requests/{case_id}", who)
    (attachment,) = own["attachments"]
    assert attachment["upload_id"] == upload_id and attachment["download_url"]
    # And a file another account uploaded cannot be attached
    other = posted_upload(stack, "someone-else")
    _, second = dispatched(stack)
    stack.request("POST", f"/v1/cases/{second}/accept", unit)
    refused = stack.request("POST", f"/v1/cases/{second}/reply", unit, {"message": "x", "attachments": [other]})
    assert refused[0] == 422 and refused[1]["problems"][0]["field"] == "attachments[0]"
