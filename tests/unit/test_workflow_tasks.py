"""The workflow's Lambda tasks on in-memory fakes: which wait a case is in, the timers, retry safety."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from minyi.domain import lifecycle
from minyi.domain.lifecycle import Phase
from minyi.domain.messages import message
from minyi.domain.models import (
    Actor,
    Case,
    CaseStatus,
    Category,
    Channel,
    CloseReason,
    EventType,
    Role,
    WorkflowWait,
)
from minyi.services.workflow_tasks import (
    OVERDUE_REARM_SECONDS,
    ParkTask,
    Signal,
    TaskAction,
    WorkflowState,
    wait_for,
)
from tests.fakes import Fakes

DAY = 60  # a working day lasts a minute here
WINDOW = 600  # the rating window
UNIT = "futian-traffic-police"
STAFF = Actor(role=Role.STAFF, id="s1", unit_id=UNIT)


class World:
    """The workflow tasks on the shared fakes (tests/fakes.py), with helpers to act on a case."""

    def __init__(self) -> None:
        self.fakes = Fakes(working_day_seconds=DAY)
        self.cases = self.fakes.cases
        self.workflow = self.fakes.workflow
        self.clock = self.fakes.clock
        self.tasks = self.fakes.workflow_tasks(WINDOW)

    def submit(self, topic: str = "traffic", district: str = "futian") -> Case:
        now = self.clock()
        case = Case(
            id=f"case-{len(self.cases.cases) + 1}",
            tracking_no=f"SZ-{len(self.cases.cases) + 1}",
            citizen_id="c1",
            phone="+8613812345678",
            category=Category.COMPLAINT,
            topic=topic,
            district=district,
            description="Illegal parking on the bus lane",
            status=CaseStatus.SUBMITTED,
            created_at=now,
            updated_at=now,
        )
        return self.cases.put(case)

    def case(self, case_id: str) -> Case:
        case = self.cases.get_case(case_id)
        assert case is not None
        return case

    def act(self, case_id: str, decide: Callable[[Case, datetime], lifecycle.Transition]) -> Case:
        return self.cases.save(decide(self.case(case_id), self.clock()))

    def park(self, phase: Phase, state: WorkflowState, token: str = "t1") -> None:
        self.tasks.park(ParkTask(action=TaskAction.PARK, phase=phase, token=token, state=state))

    def writes(self, kind: str) -> int:
        return sum(1 for k, _ in self.cases.writes if k == kind)


@pytest.fixture
def world() -> World:
    return World()


def test_route_dispatches_by_rule_and_returns_both_timers(world: World) -> None:
    # Given a new case a routing rule covers
    case = world.submit()
    # When the workflow routes it
    state = world.tasks.route(case.id)
    # Then the case is dispatched with a deadline, and the state carries the timers of both waits
    routed = world.case(case.id)
    assert routed.status == CaseStatus.DISPATCHED and routed.unit_id == UNIT
    assert state.outcome == "dispatched" and state.due_at == routed.due_at
    assert state.handling_timeout_seconds == 5 * DAY  # a complaint: 5 working days
    assert state.rating_timeout_seconds == WINDOW


def test_route_again_only_reads_the_case(world: World) -> None:
    # Given a routed case
    case = world.submit()
    first = world.tasks.route(case.id)
    writes = len(world.cases.writes)
    # When Route runs again (a retry, or the next round of the loop)
    again = world.tasks.route(case.id)
    # Then nothing is written and the same timers come back
    assert len(world.cases.writes) == writes
    assert again.due_at == first.due_at and again.round == 1


def test_route_reads_the_case_once_and_saves_on_that_read(world: World) -> None:
    # Given a new case a routing rule covers
    case = world.submit()
    reads = world.cases.case_reads
    # When the workflow routes it
    world.tasks.route(case.id)
    # Then the case was read once (the decision is made on that read) and saved once
    assert world.cases.case_reads - reads == 1
    assert world.writes("save") == 1 and world.case(case.id).status == CaseStatus.DISPATCHED


def test_route_reads_again_when_the_case_changed_after_its_first_read(world: World) -> None:
    # Given a new case that another writer changes between the route task's read and its save
    case = world.submit()

    def concurrent_write(_: lifecycle.Transition) -> None:
        world.cases.before_save = None
        stored = world.cases.cases[case.id]
        world.cases.cases[case.id] = stored.model_copy(update={"version": stored.version + 1})

    world.cases.before_save = concurrent_write
    reads = world.cases.case_reads
    # When the workflow routes it
    world.tasks.route(case.id)
    # Then the stale save is refused, the case is read anew and routed on the new version
    assert world.cases.conflicts == 1 and world.cases.case_reads - reads == 2
    assert world.case(case.id).status == CaseStatus.DISPATCHED


def test_route_queues_a_case_no_rule_covers(world: World) -> None:
    # Given a case no routing rule covers
    case = world.submit(topic="no-such-topic")
    # When routed
    state = world.tasks.route(case.id)
    # Then it waits in the dispatch centre's queue, with the re-arm timer (no deadline yet)
    assert world.case(case.id).in_dispatch_queue
    assert state.outcome == "queued" and state.due_at is None
    assert state.handling_timeout_seconds == OVERDUE_REARM_SECONDS


def test_the_router_says_what_it_did_as_keys_and_facts(world: World) -> None:
    # Given a case a rule covers and one no rule covers
    routed, queued = world.submit(), world.submit(topic="no-such-topic")
    # When both are routed
    world.tasks.route(routed.id)
    world.tasks.route(queued.id)
    # Then each event's note is the platform's message (the unit by id, the codes), never prose
    dispatched = world.cases.timeline(routed.id)[-1]
    assert dispatched.type == EventType.DISPATCHED and dispatched.note is None
    assert dispatched.message == message("note.routed", unit=world.case(routed.id).unit_id)
    waiting = world.cases.timeline(queued.id)[-1]
    assert waiting.type == EventType.QUEUED and waiting.note is None
    assert waiting.message == message("note.no_rule", topic="no-such-topic", district="futian")


def test_rating_window_left_after_a_reply_before_route(world: World) -> None:
    # Given a case replied to 100 s ago (a restarted execution reaches Route after the reply)
    case = world.submit()
    world.tasks.route(case.id)
    world.act(case.id, lambda c, now: lifecycle.accept(c, STAFF, now))
    world.act(case.id, lambda c, now: lifecycle.reply(c, "Fixed.", STAFF, now))
    world.clock.advance(seconds=100)
    # When Route reads it
    state = world.tasks.route(case.id)
    # Then the rating wait gets what is left of the window
    assert state.rating_timeout_seconds == WINDOW - 100


def test_unit_wait_parks_with_one_update_of_the_wait(world: World) -> None:
    # Given a routed case
    case = world.submit()
    state = world.tasks.route(case.id)
    saves = world.writes("save")
    # When the unit's wait starts
    world.park("handling", state, token="t-unit")
    # Then the token is stored by the repository's park (no whole-case save), with the deadline
    parked = world.case(case.id)
    assert world.writes("park") == 1 and world.writes("save") == saves
    assert parked.wait == WorkflowWait(phase="handling", round=1, token="t-unit", due_at=state.due_at)
    assert world.workflow.signals == []


def test_unit_wait_of_a_queued_case_waits_for_the_dispatch_centre(world: World) -> None:
    # Given a case in the dispatch centre's queue
    case = world.submit(topic="no-such-topic")
    state = world.tasks.route(case.id)
    # When the unit's wait starts
    world.park("handling", state)
    # Then the park task parks it in the dispatch phase (what a dispatcher's action completes)
    wait = world.case(case.id).wait
    assert wait is not None and wait.phase == "dispatch" and wait.due_at is None


def test_park_retries_on_a_version_conflict(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a routed case and a writer that changes it just before the token is stored
    case = world.submit()
    state = world.tasks.route(case.id)
    real_park = world.cases.park

    def park_after_a_concurrent_write(current: Case, wait: WorkflowWait) -> Case:
        monkeypatch.setattr(world.cases, "park", real_park)
        world.act(case.id, lambda c, now: lifecycle.accept(c, STAFF, now))
        return real_park(current, wait)

    monkeypatch.setattr(world.cases, "park", park_after_a_concurrent_write)
    # When the wait starts
    world.park("handling", state)
    # Then the park task reads the case again (now accepted) and parks
    parked = world.case(case.id)
    assert world.cases.conflicts == 1 and world.writes("park") == 1
    assert parked.status == CaseStatus.IN_PROGRESS and parked.wait is not None


def test_unit_wait_completes_at_once_when_the_unit_replied_first(world: World) -> None:
    # Given a routed case the unit answered before the workflow parked
    case = world.submit()
    state = world.tasks.route(case.id)
    world.act(case.id, lambda c, now: lifecycle.accept(c, STAFF, now))
    world.act(case.id, lambda c, now: lifecycle.reply(c, "Fixed.", STAFF, now))
    # When the unit's wait starts
    world.park("handling", state, token="t-late")
    # Then it completes at once with "replied" and stores nothing
    assert world.workflow.signals == [("t-late", {"outcome": "replied"})]
    assert world.case(case.id).wait is None


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (CaseStatus.DISPATCHED, "dispatched"),  # a dispatcher picked a unit
        (CaseStatus.RETURNED, "returned"),  # the unit returned it
        (CaseStatus.IN_PROGRESS, "extended"),  # a new deadline
    ],
)
def test_rating_wait_passes_straight_on_when_the_unit_did_not_reply(
    world: World, status: CaseStatus, outcome: str
) -> None:
    # Given a case whose unit wait ended without a reply
    case = world.submit().model_copy(update={"status": status})
    state = WorkflowState(case_id=case.id, signal=Signal(outcome=outcome))  # type: ignore[arg-type]
    task = ParkTask(action=TaskAction.PARK, phase="rating", token="t", state=state)
    # When the rating wait starts, Then it ends at once with what ended the unit's wait
    assert wait_for(case, task) == outcome


def test_rating_wait_parks_after_a_reply_and_ends_on_closed_or_redo(world: World) -> None:
    # Given a replied case
    case = world.submit().model_copy(update={"status": CaseStatus.REPLIED})
    state = WorkflowState(case_id=case.id, round=1, signal=Signal(outcome="replied"))
    task = ParkTask(action=TaskAction.PARK, phase="rating", token="t", state=state)
    # Then the rating wait parks; a closed case ends it; a reopened round means redo
    assert wait_for(case, task) == WorkflowWait(phase="rating", round=1, token="t")
    assert wait_for(case.model_copy(update={"status": CaseStatus.CLOSED}), task) == "closed"
    reopened = case.model_copy(update={"status": CaseStatus.REOPENED, "round": 2})
    assert wait_for(reopened, task) == "redo"


def test_previous_definitions_dispatch_wait_still_works(world: World) -> None:
    # Given an execution of the previous definition parking in the dispatch phase
    case = world.submit(topic="no-such-topic")
    world.tasks.route(case.id)
    state = WorkflowState(case_id=case.id)
    # When it parks while the case is queued, and again after a dispatcher picked a unit
    queued = ParkTask(action=TaskAction.PARK, phase="dispatch", token="t", state=state)
    dispatched = world.case(case.id).model_copy(update={"status": CaseStatus.DISPATCHED})
    # Then it waits, and completes at once with "dispatched"
    assert isinstance(wait_for(world.case(case.id), queued), WorkflowWait)
    assert wait_for(dispatched, queued) == "dispatched"


def test_overdue_marks_once_and_rearms_the_wait(world: World) -> None:
    # Given a routed case whose deadline passed
    case = world.submit()
    world.tasks.route(case.id)
    world.clock.advance(seconds=5 * DAY + 1)
    # When the unit's wait times out (twice: a retry)
    first = world.tasks.overdue(case.id)
    again = world.tasks.overdue(case.id)
    # Then the case is overdue, with one overdue event, and the wait re-arms
    overdue = world.case(case.id)
    assert overdue.overdue and overdue.event_count == 2  # dispatched, overdue
    assert first.handling_timeout_seconds == again.handling_timeout_seconds == OVERDUE_REARM_SECONDS


def test_overdue_timer_after_an_extension_rearms_at_the_new_deadline(world: World) -> None:
    # Given a routed case whose deadline moved 2 days later before the old timer fired
    case = world.submit()
    world.tasks.route(case.id)
    world.act(case.id, lambda c, now: lifecycle.request_extension(c, 2, "site closed", STAFF, now))
    old_due = world.case(case.id).due_at
    assert old_due is not None
    new_due = old_due + timedelta(seconds=2 * DAY)
    supervisor = Actor(role=Role.SUPERVISOR, id="sup")
    world.act(case.id, lambda c, now: lifecycle.decide_extension(c, True, new_due, supervisor, now, None))
    world.clock.advance(seconds=5 * DAY + 1)
    # When the old timer fires
    state = world.tasks.overdue(case.id)
    # Then nothing is marked and the wait re-arms until the new deadline
    assert not world.case(case.id).overdue
    assert state.due_at == new_due and state.handling_timeout_seconds == 2 * DAY - 1


def test_close_unrated_closes_or_reports_the_rating_that_won(world: World) -> None:
    # Given two replied cases, one of which was closed just before the window ended (a rating won)
    closing, rated = world.submit(), world.submit()
    for case in (closing, rated):
        world.tasks.route(case.id)
        world.act(case.id, lambda c, now: lifecycle.accept(c, STAFF, now))
        world.act(case.id, lambda c, now: lifecycle.reply(c, "Fixed.", STAFF, now))
    world.act(rated.id, lambda c, now: lifecycle.close_unrated(c, now))
    # When the rating window ends for both, Then both report closed
    assert world.tasks.close_unrated(closing.id) == Signal(outcome="closed")
    assert world.tasks.close_unrated(rated.id) == Signal(outcome="closed")
    assert world.case(closing.id).closed_reason == CloseReason.UNRATED


def test_a_hotline_rating_wait_outlasts_the_window_until_the_callback_days_pass() -> None:
    # Given a 3-day rating window and a hotline case replied to (回访 needs 5 working days)
    world = World()
    world.tasks = world.fakes.workflow_tasks(3 * DAY)
    case = world.submit()
    world.cases.put(case.model_copy(update={"channel": Channel.HOTLINE}))
    world.tasks.route(case.id)
    world.act(case.id, lambda c, now: lifecycle.accept(c, STAFF, now))
    world.act(case.id, lambda c, now: lifecycle.reply(c, "Fixed.", STAFF, now))
    # When the window (armed before the reply) times out after 3 days
    world.clock.advance(seconds=3 * DAY + 1)
    signal = world.tasks.close_unrated(case.id)
    # Then the case stays open for its callbacks and the execution goes round for the rest
    assert signal == Signal(outcome="redo")
    assert world.case(case.id).status == CaseStatus.REPLIED
    state = world.tasks.route(case.id)
    assert state.rating_timeout_seconds == 2 * DAY - 1
    # And once the callback days have passed the wait closes it unrated
    world.clock.advance(seconds=2 * DAY)
    assert world.tasks.close_unrated(case.id) == Signal(outcome="closed")
    assert world.case(case.id).closed_reason == CloseReason.UNRATED


def test_an_online_case_still_closes_unrated_when_the_window_ends() -> None:
    # Given a 3-day rating window and an app case replied to
    world = World()
    world.tasks = world.fakes.workflow_tasks(3 * DAY)
    case = world.submit()
    world.tasks.route(case.id)
    world.act(case.id, lambda c, now: lifecycle.accept(c, STAFF, now))
    world.act(case.id, lambda c, now: lifecycle.reply(c, "Fixed.", STAFF, now))
    # When the window ends, Then it closes unrated (no callback days for it)
    world.clock.advance(seconds=3 * DAY + 1)
    assert world.tasks.close_unrated(case.id) == Signal(outcome="closed")
