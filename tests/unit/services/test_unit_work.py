"""Units organise their work (issue 21, part 4) on fakes: a case given to one of the unit's people
(checked against the staff pool) and their own list; other units asked to help (协办), who read the
case and add notes but neither answer nor return it, and see it in their 协办 list; urgent cases (紧急)
with a deadline in working hours, first in the inbox, the unit's duty phone texted in urgent words."""

from __future__ import annotations

import pytest

from minyi.domain import lifecycle
from minyi.domain.accounts import NewAccount
from minyi.domain.deadlines import after_working_hours
from minyi.domain.errors import Forbidden, InvalidInput, InvalidTransition, NotFound
from minyi.domain.messages import message
from minyi.domain.models import Actor, Case, CaseStatus, EventType, Role
from minyi.domain.notices import NoticeContext
from minyi.domain.timeline_text import is_public
from minyi.services.notify import plan_notices
from tests.fakes import Fakes
from tests.unit.services.conftest import CITIZEN, DISPATCHER, OTHER_STAFF, OTHER_UNIT, STAFF, TRAFFIC, new_request

OPERATOR = Actor(role=Role.OPERATOR, id="operator-1")
THIRD_UNIT = "futian-urban-management"


def dispatched(fakes: Fakes, unit: str = TRAFFIC, urgent: bool = False) -> Case:
    case = fakes.request_service().submit(CITIZEN, new_request())
    now = fakes.clock()
    stored = fakes.cases.get_case(case.id)
    assert stored is not None
    due = fakes.deadlines.due_at(now, 5)
    return fakes.cases.save(lifecycle.dispatch(stored, unit, due, lifecycle.ROUTER, now, "by rule", urgent=urgent))


def staff_account(fakes: Fakes, phone: str, unit: str | None = TRAFFIC, role: Role = Role.STAFF) -> str:
    return fakes.directory.create(NewAccount(phone=phone, name="李四", role=role, unit_id=unit)).username


# --- assignee -----------------------------------------------------------------------------------------


def test_the_unit_gives_a_case_to_one_of_its_people_and_they_list_theirs(fakes: Fakes) -> None:
    # Given a case with the traffic police and Li, one of their staff
    case = dispatched(fakes)
    other = dispatched(fakes)
    li = staff_account(fakes, "+8613800000001")
    service = fakes.case_service()
    # When the unit gives the case to Li
    detail = service.assign(STAFF, case.id, li)
    # Then the case is Li's, the staff timeline says so, and the citizen's timeline does not
    assert detail.case.assignee == li
    event = fakes.cases.timeline(case.id)[-1]
    assert event.type == EventType.ASSIGNED and event.message == message("note.assigned", name="李四", username=li)
    citizen_view = fakes.request_service().timeline(CITIZEN, case.id)
    assert not is_public(event) and EventType.ASSIGNED in {e.type for e in citizen_view.events}
    # (the citizen's views show only public events: minyi.api.views.owner_timeline)
    # and Li's "assigned to me" list holds exactly that case, the unit's inbox both
    li_actor = Actor(role=Role.STAFF, id=li, unit_id=TRAFFIC)
    mine = service.inbox(li_actor, TRAFFIC, None, 20, None, mine=True)
    assert [c.id for c in mine.cases] == [case.id]
    assert {c.id for c in service.inbox(li_actor, TRAFFIC, None, 20, None).cases} == {case.id, other.id}


@pytest.mark.parametrize(
    "who",
    ["nobody", "another unit's staff", "a dispatcher of the unit", "disabled"],
)
def test_only_an_active_staff_account_of_the_holding_unit_can_be_the_assignee(fakes: Fakes, who: str) -> None:
    # Given a case with the traffic police and an account that is not one of its active staff
    case = dispatched(fakes)
    username = {
        "nobody": lambda: "no-such-user",
        "another unit's staff": lambda: staff_account(fakes, "+8613800000002", unit=OTHER_UNIT),
        "a dispatcher of the unit": lambda: staff_account(fakes, "+8613800000003", role=Role.DISPATCHER),
        "disabled": lambda: fakes.directory.disable(staff_account(fakes, "+8613800000004")).username,  # type: ignore[union-attr]
    }[who]()
    # When the unit gives the case to it, Then 4xx naming the field, and nothing is written
    with pytest.raises(InvalidInput) as refused:
        fakes.case_service().assign(STAFF, case.id, username)
    assert refused.value.field == "username"
    assert fakes.cases.get_case(case.id).assignee is None  # type: ignore[union-attr]


def test_another_unit_cannot_assign_nor_learn_the_case_exists(fakes: Fakes) -> None:
    case = dispatched(fakes)
    theirs = staff_account(fakes, "+8613800000005", unit=OTHER_UNIT)
    with pytest.raises(NotFound):
        fakes.case_service().assign(OTHER_STAFF, case.id, theirs)
    with pytest.raises(Forbidden):
        fakes.case_service().assign(DISPATCHER, case.id, theirs)


def test_the_assignee_is_cleared_when_the_case_leaves_the_unit(fakes: Fakes) -> None:
    case = dispatched(fakes)
    li = staff_account(fakes, "+8613800000006")
    service = fakes.case_service()
    service.assign(STAFF, case.id, li)
    after = service.dispatch(DISPATCHER, case.id, OTHER_UNIT, reason="not ours").case
    assert after.unit_id == OTHER_UNIT and after.assignee is None


# --- 协办 ------------------------------------------------------------------------------------------------


def test_assisting_units_read_and_note_but_do_not_answer_and_see_it_marked_in_their_list(fakes: Fakes) -> None:
    # Given a case the traffic police lead
    case = dispatched(fakes)
    service = fakes.case_service()
    # When the unit asks Luohu's traffic police to help
    detail = service.request_assist(STAFF, case.id, [OTHER_UNIT], "please check the Luohu side of the road")
    # Then Luohu is an assisting unit, the staff timeline says what was asked
    assert detail.case.assist_units == [OTHER_UNIT] and detail.case.unit_id == TRAFFIC
    event = fakes.cases.timeline(case.id)[-1]
    assert event.type == EventType.ASSIST_REQUESTED and event.facts["assist_units"] == OTHER_UNIT
    # and Luohu lists it under 协办, not in its own inbox
    assert [c.id for c in service.inbox(OTHER_STAFF, OTHER_UNIT, None, 20, None, assisting=True).cases] == [case.id]
    assert service.inbox(OTHER_STAFF, OTHER_UNIT, None, 20, None).cases == []
    # and Luohu reads the case and adds a note, but neither accepts, answers nor returns it
    assert service.staff_case(OTHER_STAFF, case.id).citizen_phone is None  # the full number is the lead's
    service.add_note(OTHER_STAFF, case.id, "the Luohu side is clear")
    for act in (
        lambda: service.accept(OTHER_STAFF, case.id),
        lambda: service.reply(OTHER_STAFF, case.id, "done"),
        lambda: service.return_case(OTHER_STAFF, case.id, "not ours"),
    ):
        with pytest.raises(Forbidden):
            act()
    # and the lead unit still answers: the reply and its on-time count are the lead unit's
    service.accept(STAFF, case.id)
    answered = service.reply(STAFF, case.id, "towed").case
    assert answered.replies[-1].unit_id == TRAFFIC and answered.replies[-1].on_time


def test_a_dispatcher_asks_for_help_and_unknown_or_lead_units_are_refused(fakes: Fakes) -> None:
    case = dispatched(fakes)
    service = fakes.case_service()
    with pytest.raises(InvalidInput) as unknown:
        service.request_assist(DISPATCHER, case.id, ["no-such-unit"], "help")
    assert unknown.value.field == "units"
    with pytest.raises(InvalidTransition):
        service.request_assist(DISPATCHER, case.id, [TRAFFIC], "help")
    assert service.request_assist(DISPATCHER, case.id, [OTHER_UNIT], "help").case.assist_units == [OTHER_UNIT]
    with pytest.raises(InvalidTransition):  # already assisting
        service.request_assist(DISPATCHER, case.id, [OTHER_UNIT], "again")
    # an assisting unit may not ask others in the lead's name
    with pytest.raises(Forbidden):
        service.request_assist(OTHER_STAFF, case.id, [THIRD_UNIT], "help")


def test_a_closed_case_leaves_the_assisting_units_list(fakes: Fakes) -> None:
    case = dispatched(fakes)
    service = fakes.case_service()
    service.request_assist(STAFF, case.id, [OTHER_UNIT], "help")
    fakes.request_service().withdraw(CITIZEN, case.id, "solved")
    assert service.inbox(OTHER_STAFF, OTHER_UNIT, None, 20, None, assisting=True).cases == []


# --- urgent (紧急) ---------------------------------------------------------------------------------------


def test_an_operators_urgent_call_gets_working_hours_and_comes_first(fakes: Fakes) -> None:
    # Given a normal case already with the unit
    normal = dispatched(fakes)
    # When an operator files an urgent call ("请马上派人来") and the router dispatches it
    urgent = fakes.request_service().submit(
        OPERATOR, new_request(channel="hotline", urgent=True, description="请马上派人来，有人被困电梯")
    )
    fakes.workflow_tasks(3600).route(urgent.id)
    routed = fakes.cases.get_case(urgent.id)
    assert routed is not None and routed.urgent and routed.status == CaseStatus.DISPATCHED
    # Then its deadline is the catalogue's urgent hours (4 working hours by default)
    assert routed.due_at == after_working_hours(fakes.deadlines, routed.dispatched_at, 4)  # type: ignore[arg-type]
    # and it comes first in the unit's inbox
    inbox = fakes.case_service().inbox(STAFF, routed.unit_id, None, 20, None)  # type: ignore[arg-type]
    assert [c.id for c in inbox.cases][:1] == [urgent.id] and normal.id in [c.id for c in inbox.cases]


def test_only_an_operator_marks_a_request_urgent(fakes: Fakes) -> None:
    with pytest.raises(InvalidInput) as refused:
        fakes.request_service().submit(CITIZEN, new_request(urgent=True))
    assert refused.value.field == "urgent"


def test_a_dispatcher_dispatches_urgently_and_the_units_duty_phone_hears_it(fakes: Fakes) -> None:
    # Given a case waiting in the dispatch queue
    case = fakes.request_service().submit(CITIZEN, new_request())
    stored = fakes.cases.get_case(case.id)
    assert stored is not None
    fakes.cases.save(lifecycle.queue_for_dispatcher(stored, fakes.clock(), "no rule"))
    # When the dispatcher sends it urgently
    after = fakes.case_service().dispatch(DISPATCHER, case.id, TRAFFIC, urgent=True).case
    # Then the deadline is in working hours and the dispatch event says urgent
    assert after.urgent and after.due_at == after_working_hours(fakes.deadlines, fakes.clock(), 4)
    event = fakes.cases.timeline(case.id)[-1]
    assert event.type == EventType.DISPATCHED and event.facts.get("urgent") is True
    # and the unit's SMS is the urgent text, under its own template
    unit = fakes.catalog.get().units[TRAFFIC]
    ctx = NoticeContext(case=after, unit=unit, supervisors_phone=None, rating_address="x/r", rating_code="123456")
    [to_unit] = [n for n in plan_notices(event, ctx) if n.kind == "unit"]
    assert to_unit.to == unit.duty_phone and "紧急工单" in to_unit.body and to_unit.segments == 1
    assert to_unit.template is not None and to_unit.template.key == "unit.dispatched.urgent.zh"


def test_the_catalogue_sets_the_urgent_hours(fakes: Fakes) -> None:
    # Given a catalogue whose urgent cases get 2 working hours
    catalog = fakes.catalog.get().model_copy(update={"urgent_hours": 2.0})
    case = dispatched(fakes)
    now = fakes.clock()
    # Then an urgent deadline is 2 office hours on, a normal one the category's working days
    assert fakes.deadlines.unit_due(case, catalog, now, urgent=True) == after_working_hours(fakes.deadlines, now, 2)
    assert fakes.deadlines.unit_due(case, catalog, now) == fakes.deadlines.due_at(now, 5)
