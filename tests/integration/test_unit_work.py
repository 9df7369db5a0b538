"""Units organise their work, through the handlers on moto (issue 21, part 4): a case given to one of the
unit's people from the staff pool and their "assigned to me" list; 协办 asked of other units, who read
and note but do not answer; an operator's urgent call with a working-hour deadline, first in the inbox,
and the unit's duty phone texted 紧急."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from infra.local.accounts import create_user_pools, pool_environment
from tests.integration.conftest import Stack, staff, template
from tests.integration.test_loop_for_people import DISPATCHER, OPERATOR, OTHER_UNIT, UNIT, dispatched, parked

ADMIN = {"sub": "admin-1", "cognito:groups": "admin"}


@pytest.fixture(autouse=True)
def staff_pool(stack: Stack) -> Iterator[None]:
    """The staff pool moto made from the template, named to the functions as the local runtime does
    (the staff pool only: the session's citizens stay those of the template's citizen pool)."""
    pools = create_user_pools(template())
    env = pool_environment(template(), pools)
    with stack.lambdas.configured(
        {"USER_POOL_ID": env["USER_POOL_ID"], "STAFF_USER_POOL_ID": env["STAFF_USER_POOL_ID"]}
    ):
        yield


def staff_account(stack: Stack, phone: str, unit: str = UNIT) -> str:
    body = {"phone": phone, "name": "李警官", "role": "staff", "unit_id": unit}
    status, created = stack.request("POST", "/v1/admin/staff", ADMIN, body)
    assert status == 201, created
    return str(created["username"])


def test_a_unit_gives_a_case_to_one_of_its_people_who_lists_theirs(stack: Stack) -> None:
    # Given a case with the unit and Li, a staff account of the unit in the staff pool
    _, case_id = dispatched(stack)
    li = staff_account(stack, "13911120001")
    other_units_man = staff_account(stack, "13911120002", unit=OTHER_UNIT)
    unit = staff()
    # Then the unit's people list names Li
    status, people = stack.request("GET", f"/v1/units/{UNIT}/staff", unit)
    assert status == 200 and li in {p["username"] for p in people["items"]}
    assert other_units_man not in {p["username"] for p in people["items"]}
    # When the unit gives the case to another unit's man, Then 422 naming the field
    status, refused = stack.request("POST", f"/v1/cases/{case_id}/assignee", unit, {"username": other_units_man})
    assert status == 422 and refused["problems"][0]["field"] == "username", refused
    # When it gives the case to Li
    status, view = stack.request("POST", f"/v1/cases/{case_id}/assignee", unit, {"username": li})
    assert status == 200 and view["assignee"] == li, view
    # Then Li's "assigned to me" holds it, and the staff timeline (not the citizen's) records it
    li_claims = {"sub": li, "cognito:groups": "staff", "custom:unit_id": UNIT}
    status, mine = stack.request("GET", f"/v1/units/{UNIT}/cases?assignee=me", li_claims)
    assert status == 200 and [c["id"] for c in mine["items"]] == [case_id]
    assert mine["items"][0]["assignee"] == li
    _, timeline = stack.request("GET", f"/v1/cases/{case_id}/timeline", unit)
    assert timeline["events"][-1]["type"] == "assigned"


def test_assisting_units_read_and_note_and_the_lead_answers(stack: Stack) -> None:
    # Given a case the Futian brigade leads
    _, case_id = dispatched(stack)
    lead, helper = staff(), staff(OTHER_UNIT)
    # When the dispatcher asks the Nanshan brigade to help (协办)
    body = {"units": [OTHER_UNIT], "note": "请南山大队核实路段"}
    status, view = stack.request("POST", f"/v1/cases/{case_id}/assist", DISPATCHER, body)
    assert status == 200 and view["assist_units"] == [OTHER_UNIT], view
    # Then Nanshan lists it marked 协办, reads it and adds a note
    status, listed = stack.request("GET", f"/v1/units/{OTHER_UNIT}/cases?assist=true", helper)
    assert status == 200 and [(c["id"], c["assisting"]) for c in listed["items"]] == [(case_id, True)]
    assert stack.request("GET", f"/v1/cases/{case_id}", helper)[0] == 200
    assert stack.request("POST", f"/v1/cases/{case_id}/notes", helper, {"text": "路段已核实"})[0] == 200
    # but it cannot answer or return it: 403
    assert stack.request("POST", f"/v1/cases/{case_id}/reply", helper, {"message": "x"})[0] == 403
    assert stack.request("POST", f"/v1/cases/{case_id}/return", helper, {"reason": "x"})[0] == 403
    # and the lead unit answers, on time, as the lead
    stack.request("POST", f"/v1/cases/{case_id}/accept", lead)
    status, answered = stack.request("POST", f"/v1/cases/{case_id}/reply", lead, {"message": "已处理"})
    assert status == 200 and answered["replies"][-1]["unit_id"] == UNIT and answered["replies"][-1]["on_time"]


def test_an_operators_urgent_call_is_due_in_hours_first_in_the_inbox_and_texted_to_the_unit(stack: Stack) -> None:
    # Given a normal case with the unit
    _, normal_id = dispatched(stack)
    # When an operator files an urgent call
    body = {
        "category": "help",
        "topic": "traffic",
        "district": "futian",
        "description": "请马上派人来，路口信号灯全灭",
        "phone": "13812340000",
        "channel": "hotline",
        "urgent": True,
    }
    status, created = stack.request("POST", "/v1/requests", OPERATOR, body)
    assert status == 201, created
    case = parked(stack, created["id"])
    # Then it is urgent, due within the catalogue's 4 working hours (a working day at most)
    assert case.urgent and case.due_at is not None and case.dispatched_at is not None
    assert case.due_at - case.dispatched_at <= timedelta(days=4)  # across a weekend at worst
    # and it is first in the unit's inbox, marked urgent
    _, inbox = stack.request("GET", f"/v1/units/{UNIT}/cases?limit=100", staff())
    assert inbox["items"][0]["id"] == case.id and inbox["items"][0]["urgent"] is True
    assert normal_id in {c["id"] for c in inbox["items"]}
    # and the notify function texts the unit's duty phone in urgent words (its dispatch event says urgent)
    from minyi import bootstrap
    from minyi.config import NotifySettings
    from tests.fakes import RecordingSmsSender

    event = next(e for e in stack.repo.timeline(case.id) if e.type == "dispatched")
    notify = bootstrap.notify_service(stack.settings(NotifySettings, "NotifyFunction"), sender=RecordingSmsSender())
    [to_unit] = [n for n in notify.notices_for(event) if n.kind == "unit"]
    assert to_unit.body.startswith("【民意速办】紧急工单") and to_unit.segments == 1


def test_a_citizen_cannot_mark_a_request_urgent(stack: Stack) -> None:
    from tests.integration.conftest import citizen

    body = {"category": "help", "topic": "traffic", "district": "futian", "description": "x", "urgent": True}
    status, refused = stack.request("POST", "/v1/requests", citizen(), body)
    assert status in {400, 422} and refused["problems"][0]["field"] == "urgent", refused
