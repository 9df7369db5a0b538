"""Unit tests for the pure case lifecycle (minyi.domain.lifecycle). No AWS, no I/O."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from minyi.domain import lifecycle
from minyi.domain.errors import Forbidden, InvalidTransition, NotFound
from minyi.domain.lifecycle import RatingPolicy, Transition, is_unsatisfied, workflow_outcome
from minyi.domain.messages import message
from minyi.domain.models import (
    Actor,
    CallbackOutcome,
    Case,
    CaseStatus,
    Category,
    Channel,
    EventType,
    Extension,
    Rating,
    Reply,
    Reporter,
    ReporterVia,
    Role,
    WorkflowWait,
)

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=TZ)  # a Monday
DUE = datetime(2026, 3, 9, 23, 59, 59, tzinfo=TZ)
REDO_DUE = datetime(2026, 3, 20, 23, 59, 59, tzinfo=TZ)

UNIT = "futian-traffic-police"
OTHER_UNIT = "nanshan-traffic-police"

CITIZEN = Actor(role=Role.CITIZEN, id="citizen-1")
OTHER_CITIZEN = Actor(role=Role.CITIZEN, id="citizen-2")
STAFF = Actor(role=Role.STAFF, id="staff-1", unit_id=UNIT)
OTHER_STAFF = Actor(role=Role.STAFF, id="staff-9", unit_id=OTHER_UNIT)
SUPERVISOR = Actor(role=Role.SUPERVISOR, id="supervisor-1")
DISPATCHER = Actor(role=Role.DISPATCHER, id="dispatcher-1")

POLICY = RatingPolicy()
SATISFIED = {"speed": 5, "effectiveness": 4, "experience": 5, "feedback_quality": 4}
UNSATISFIED = {"speed": 2, "effectiveness": 4, "experience": 5, "feedback_quality": 4}
DIMENSIONS = ("speed", "effectiveness", "experience", "feedback_quality")


# --- factories ------------------------------------------------------------------------------------


def make_case(**overrides: Any) -> Case:
    """A freshly submitted case; any field can be overridden."""
    fields: dict[str, Any] = {
        "id": "case-1",
        "tracking_no": "MY202603020001",
        "citizen_id": CITIZEN.id,
        "phone": "+8613812345678",
        "category": Category.COMPLAINT,
        "topic": "traffic",
        "district": "futian",
        "description": "Traffic lights broken at Shennan Road / Caitian Road",
        "status": CaseStatus.SUBMITTED,
        "created_at": T0,
        "updated_at": T0,
    }
    fields.update(overrides)
    return Case(**fields)


def submitted_case() -> Case:
    return lifecycle.submitted(make_case(), T0).after


def dispatched_case() -> Case:
    return lifecycle.dispatch(submitted_case(), UNIT, DUE, DISPATCHER, T0 + timedelta(minutes=5), "by rule").after


def in_progress_case() -> Case:
    return lifecycle.accept(dispatched_case(), STAFF, T0 + timedelta(hours=1)).after


def replied_case(at: datetime = T0 + timedelta(days=1)) -> Case:
    return lifecycle.reply(in_progress_case(), "Fixed the lights.", STAFF, at).after


def rate(case: Case, scores: dict[str, int], at: datetime, policy: RatingPolicy = POLICY) -> Transition:
    return lifecycle.rate(case, scores, "comment", CITIZEN, at, policy, REDO_DUE)


def reopened_case() -> Case:
    """Round 1 answered and rated unsatisfied: REOPENED in round 2."""
    return rate(replied_case(), UNSATISFIED, T0 + timedelta(days=2)).after


def redo_replied_case() -> Case:
    """Round 2 (the redo) accepted and answered on time."""
    case = lifecycle.accept(reopened_case(), STAFF, T0 + timedelta(days=3)).after
    return lifecycle.reply(case, "Redone.", STAFF, T0 + timedelta(days=4)).after


def supervised_case() -> Case:
    """Unsatisfied again after the redo: SUPERVISED in round 3."""
    return rate(redo_replied_case(), UNSATISFIED, T0 + timedelta(days=5)).after


def supervised_replied_case() -> Case:
    case = lifecycle.accept(supervised_case(), SUPERVISOR, T0 + timedelta(days=6)).after
    return lifecycle.reply(case, "Handled under supervision.", SUPERVISOR, T0 + timedelta(days=7)).after


def only_event(transition: Transition) -> Any:
    assert len(transition.events) == 1
    return transition.events[0]


# --- submitted ------------------------------------------------------------------------------------


def test_submitted_records_first_event_by_citizen() -> None:
    """Given a new case in SUBMITTED
    When the submission is recorded
    Then one SUBMITTED event with seq 1 by the citizen is appended and the status stays SUBMITTED."""
    case = make_case()

    t = lifecycle.submitted(case, T0)

    event = only_event(t)
    assert event.type == EventType.SUBMITTED
    assert event.seq == 1
    assert event.actor_role == Role.CITIZEN
    assert event.actor_id == "citizen-1"
    assert event.status == CaseStatus.SUBMITTED
    assert event.case_id == "case-1"
    assert event.round == 1
    assert t.after.status == CaseStatus.SUBMITTED
    assert t.after.event_count == 1
    assert t.after.updated_at == T0


def test_transition_does_not_mutate_the_input_case() -> None:
    """Given a submitted case
    When it is dispatched
    Then `before` is the original, untouched case and `after` is a separate copy."""
    case = submitted_case()
    snapshot = case.model_dump()

    t = lifecycle.dispatch(case, UNIT, DUE, DISPATCHER, T0, "by rule")

    assert t.before is case
    assert case.model_dump() == snapshot
    assert t.after is not case
    assert t.after.status == CaseStatus.DISPATCHED


# --- dispatch -------------------------------------------------------------------------------------


def test_dispatch_from_submitted_assigns_unit_and_starts_deadline() -> None:
    """Given a submitted case waiting in the dispatch queue
    When a dispatcher routes it to a unit
    Then it is DISPATCHED to that unit with the deadline set, the clock started and the queue flag cleared."""
    case = submitted_case().model_copy(update={"in_dispatch_queue": True})
    now = T0 + timedelta(minutes=10)

    t = lifecycle.dispatch(case, UNIT, DUE, DISPATCHER, now, "dispatched by a dispatcher")

    after = t.after
    assert after.status == CaseStatus.DISPATCHED
    assert after.unit_id == UNIT
    assert after.due_at == DUE
    assert after.dispatched_at == now
    assert after.in_dispatch_queue is False
    assert after.overdue is False
    assert after.updated_at == now
    event = only_event(t)
    assert event.type == EventType.DISPATCHED
    assert event.seq == 2
    assert event.note == "dispatched by a dispatcher"
    assert event.actor_role == Role.DISPATCHER
    assert event.actor_id == "dispatcher-1"
    assert event.status == CaseStatus.DISPATCHED
    assert event.unit_id == UNIT


def test_dispatch_from_returned_sends_to_new_unit_and_keeps_history() -> None:
    """Given a case returned by its first unit as misrouted
    When the dispatcher sends it to another unit
    Then it is DISPATCHED to the new unit and the previous unit stays in the history."""
    returned = lifecycle.return_to_dispatch(in_progress_case(), "not ours", STAFF, T0 + timedelta(hours=2)).after
    now = T0 + timedelta(hours=3)
    new_due = DUE + timedelta(days=1)

    t = lifecycle.dispatch(returned, OTHER_UNIT, new_due, DISPATCHER, now, "re-dispatched")

    assert t.after.status == CaseStatus.DISPATCHED
    assert t.after.unit_id == OTHER_UNIT
    assert t.after.due_at == new_due
    assert t.after.dispatched_at == now
    assert t.after.in_dispatch_queue is False
    assert t.after.previous_unit_ids == [UNIT]


@pytest.mark.parametrize(
    "status",
    [
        CaseStatus.DISPATCHED,
        CaseStatus.IN_PROGRESS,
        CaseStatus.REPLIED,
        CaseStatus.REOPENED,
        CaseStatus.SUPERVISED,
        CaseStatus.CLOSED,
    ],
)
def test_dispatch_refused_outside_dispatch_statuses(status: CaseStatus) -> None:
    """Given a case in a status where no dispatching is due
    When someone tries to dispatch it
    Then InvalidTransition is raised carrying the action and the current status."""
    case = make_case(status=status, unit_id=UNIT, due_at=DUE)

    with pytest.raises(InvalidTransition) as exc:
        lifecycle.dispatch(case, OTHER_UNIT, DUE, DISPATCHER, T0, "x")

    assert exc.value.status == status
    assert exc.value.action == "dispatch"
    assert exc.value.code == "invalid_state"
    assert str(status) in str(exc.value)


# --- queue_for_dispatcher -------------------------------------------------------------------------


def test_queue_for_dispatcher_flags_the_case_by_the_router() -> None:
    """Given a submitted case with no routing rule
    When the router queues it for a human dispatcher
    Then it is flagged in_dispatch_queue, stays SUBMITTED and a QUEUED event by the router is appended."""
    case = submitted_case()

    t = lifecycle.queue_for_dispatcher(case, T0, "no routing rule for topic other")

    assert t.after.in_dispatch_queue is True
    assert t.after.status == CaseStatus.SUBMITTED
    event = only_event(t)
    assert event.type == EventType.QUEUED
    assert event.seq == 2
    assert event.actor_role == Role.SYSTEM
    assert event.actor_id == "router"
    assert event.note == "no routing rule for topic other"
    assert event.status == CaseStatus.SUBMITTED


def test_queue_for_dispatcher_refuses_a_second_queue() -> None:
    """Given a case already in the dispatch queue
    When the router queues it again
    Then InvalidTransition explains it is already queued."""
    queued = lifecycle.queue_for_dispatcher(submitted_case(), T0, "no rule").after

    with pytest.raises(InvalidTransition, match=r"error.already_queued") as exc:
        lifecycle.queue_for_dispatcher(queued, T0, "no rule")

    assert exc.value.status == CaseStatus.SUBMITTED


def test_queue_for_dispatcher_refused_once_dispatched() -> None:
    """Given a dispatched case
    When the router tries to queue it
    Then InvalidTransition carries the status DISPATCHED."""
    with pytest.raises(InvalidTransition) as exc:
        lifecycle.queue_for_dispatcher(dispatched_case(), T0, "no rule")

    assert exc.value.status == CaseStatus.DISPATCHED
    assert exc.value.action == "queue"


# --- accept ---------------------------------------------------------------------------------------


def test_accept_by_own_unit_staff_starts_handling() -> None:
    """Given a case dispatched to the staff member's unit
    When the staff member accepts it
    Then it is IN_PROGRESS and an ACCEPTED event by that staff member is appended."""
    now = T0 + timedelta(hours=1)

    t = lifecycle.accept(dispatched_case(), STAFF, now)

    assert t.after.status == CaseStatus.IN_PROGRESS
    assert t.after.unit_id == UNIT
    event = only_event(t)
    assert event.type == EventType.ACCEPTED
    assert event.actor_role == Role.STAFF
    assert event.actor_id == "staff-1"
    assert event.status == CaseStatus.IN_PROGRESS
    assert event.at == now


def test_accept_by_other_unit_staff_is_forbidden() -> None:
    """Given a case dispatched to unit A
    When a staff member of unit B tries to accept it
    Then Forbidden is raised."""
    with pytest.raises(Forbidden):
        lifecycle.accept(dispatched_case(), OTHER_STAFF, T0)


def test_accept_by_supervisor_of_no_unit_is_allowed() -> None:
    """Given a dispatched case
    When a supervisor (who belongs to no unit) accepts it
    Then it is IN_PROGRESS, attributed to the supervisor."""
    t = lifecycle.accept(dispatched_case(), SUPERVISOR, T0)

    assert t.after.status == CaseStatus.IN_PROGRESS
    assert only_event(t).actor_role == Role.SUPERVISOR


@pytest.mark.parametrize("status", [CaseStatus.REOPENED, CaseStatus.SUPERVISED])
def test_accept_allowed_for_redo_statuses(status: CaseStatus) -> None:
    """Given a reopened or supervised case of the staff member's unit
    When the staff member accepts it
    Then it is IN_PROGRESS again."""
    case = make_case(status=status, unit_id=UNIT, due_at=REDO_DUE, round=2)

    assert lifecycle.accept(case, STAFF, T0).after.status == CaseStatus.IN_PROGRESS


@pytest.mark.parametrize(
    "status",
    [CaseStatus.SUBMITTED, CaseStatus.RETURNED, CaseStatus.IN_PROGRESS, CaseStatus.REPLIED, CaseStatus.CLOSED],
)
def test_accept_refused_outside_waiting_handling_statuses(status: CaseStatus) -> None:
    """Given a case that is not waiting to be taken up
    When a supervisor accepts it
    Then InvalidTransition carries the current status."""
    case = make_case(status=status, unit_id=UNIT, due_at=DUE)

    with pytest.raises(InvalidTransition) as exc:
        lifecycle.accept(case, SUPERVISOR, T0)

    assert exc.value.status == status


# --- reply ----------------------------------------------------------------------------------------


def test_reply_before_due_is_on_time() -> None:
    """Given a case in progress with a deadline ahead
    When the unit replies before the deadline
    Then the case is REPLIED and the reply is recorded as on time for round 1."""
    now = DUE - timedelta(days=1)

    t = lifecycle.reply(in_progress_case(), "Fixed the lights.", STAFF, now)

    assert t.after.status == CaseStatus.REPLIED
    assert t.after.replies == [Reply(round=1, unit_id=UNIT, message="Fixed the lights.", at=now, on_time=True)]
    event = only_event(t)
    assert event.type == EventType.REPLIED
    assert event.note == "Fixed the lights."
    assert event.status == CaseStatus.REPLIED
    assert event.actor_id == "staff-1"


def test_reply_exactly_at_due_is_on_time() -> None:
    """Given a case in progress
    When the unit replies at the exact due instant
    Then the reply still counts as on time."""
    t = lifecycle.reply(in_progress_case(), "Done.", STAFF, DUE)

    assert t.after.replies[-1].on_time is True


def test_reply_after_due_is_late() -> None:
    """Given a case in progress whose deadline has passed (not yet flagged overdue)
    When the unit replies
    Then the reply is recorded as not on time."""
    t = lifecycle.reply(in_progress_case(), "Sorry.", STAFF, DUE + timedelta(seconds=1))

    assert t.after.replies[-1].on_time is False


def test_reply_when_flagged_overdue_is_late_and_clears_the_flag() -> None:
    """Given a case flagged overdue (even though `now` is before its due time)
    When the unit replies
    Then the reply is not on time, the overdue flag is cleared and ever_overdue stays."""
    case = in_progress_case().model_copy(update={"overdue": True, "ever_overdue": True})

    t = lifecycle.reply(case, "Late answer.", STAFF, DUE - timedelta(days=1))

    assert t.after.replies[-1].on_time is False
    assert t.after.overdue is False
    assert t.after.ever_overdue is True


def test_reply_drops_a_pending_extension_but_keeps_a_decided_one() -> None:
    """Given one case with a pending extension request and one with an approved extension
    When the unit replies to each
    Then the pending request is dropped and the approved one is kept."""
    pending = lifecycle.request_extension(in_progress_case(), 3, "need survey", STAFF, T0).after
    approved = lifecycle.decide_extension(pending, True, REDO_DUE, SUPERVISOR, T0, None).after

    after_pending = lifecycle.reply(pending, "Done.", STAFF, T0 + timedelta(days=1)).after
    after_approved = lifecycle.reply(approved, "Done.", STAFF, T0 + timedelta(days=1)).after

    assert after_pending.extension is None
    assert after_approved.extension is not None
    assert after_approved.extension.status == "approved"


def test_reply_by_other_unit_staff_is_forbidden() -> None:
    """Given a case in progress at unit A
    When a staff member of unit B replies
    Then Forbidden is raised."""
    with pytest.raises(Forbidden):
        lifecycle.reply(in_progress_case(), "Not mine.", OTHER_STAFF, T0)


def test_reply_before_accepting_is_refused() -> None:
    """Given a dispatched case not yet accepted
    When the unit replies
    Then InvalidTransition carries the status DISPATCHED."""
    with pytest.raises(InvalidTransition) as exc:
        lifecycle.reply(dispatched_case(), "Too quick.", STAFF, T0)

    assert exc.value.status == CaseStatus.DISPATCHED


# --- return_to_dispatch ---------------------------------------------------------------------------


@pytest.mark.parametrize("factory", [dispatched_case, in_progress_case], ids=["dispatched", "in_progress"])
def test_return_in_round_one_sends_back_to_dispatch(factory: Any) -> None:
    """Given a round-1 case at a unit, with a pending extension request
    When the unit returns it as misrouted
    Then it is RETURNED, the unit, deadline and extension are cleared, the unit goes into the history
    and the case is back in the dispatch queue."""
    case = lifecycle.request_extension(factory(), 2, "unsure", STAFF, T0).after
    now = T0 + timedelta(hours=2)

    t = lifecycle.return_to_dispatch(case, "belongs to the housing bureau", STAFF, now)

    after = t.after
    assert after.status == CaseStatus.RETURNED
    assert after.unit_id is None
    assert after.due_at is None
    assert after.extension is None
    assert after.overdue is False
    assert after.in_dispatch_queue is True
    assert after.previous_unit_ids == [UNIT]
    event = only_event(t)
    assert event.type == EventType.RETURNED
    assert event.note == "belongs to the housing bureau"
    assert event.status == CaseStatus.RETURNED
    assert event.unit_id == UNIT  # the unit that returned it, for the dispatcher to see
    assert event.actor_id == "staff-1"


def test_return_refused_after_reopen() -> None:
    """Given a reopened case (round 2) taken up again by its unit
    When the unit tries to return it
    Then InvalidTransition says it stays with its unit."""
    case = lifecycle.accept(reopened_case(), STAFF, T0 + timedelta(days=3)).after
    assert case.round == 2

    with pytest.raises(InvalidTransition, match=r"error.reopened_stays_with_unit") as exc:
        lifecycle.return_to_dispatch(case, "not ours", STAFF, T0 + timedelta(days=3))

    assert exc.value.status == CaseStatus.IN_PROGRESS


def test_return_refused_after_reply() -> None:
    """Given a replied case
    When the unit tries to return it
    Then InvalidTransition carries the status REPLIED."""
    with pytest.raises(InvalidTransition) as exc:
        lifecycle.return_to_dispatch(replied_case(), "not ours", STAFF, T0)

    assert exc.value.status == CaseStatus.REPLIED


def test_return_by_other_unit_staff_is_forbidden() -> None:
    """Given a case at unit A
    When staff of unit B try to return it
    Then Forbidden is raised."""
    with pytest.raises(Forbidden):
        lifecycle.return_to_dispatch(dispatched_case(), "not ours", OTHER_STAFF, T0)


# --- rate -----------------------------------------------------------------------------------------


def test_satisfied_rating_closes_on_time() -> None:
    """Given a case answered on time, with a workflow parked waiting for the rating
    When the citizen rates every dimension above the threshold
    Then the case is CLOSED as satisfied and on time, the wait is cleared, and RATED then CLOSED events follow."""
    case = replied_case().model_copy(update={"wait": WorkflowWait(phase="rating", round=1, token="tok")})
    seq_before = case.event_count
    now = T0 + timedelta(days=2)

    t = rate(case, SATISFIED, now)

    after = t.after
    assert after.status == CaseStatus.CLOSED
    assert after.closed_reason == "satisfied"
    assert after.closed_at == now
    assert after.on_time is True
    assert after.wait is None
    assert after.round == 1
    assert after.ratings == [Rating(round=1, comment="comment", satisfied=True, at=now, **SATISFIED)]
    assert [e.type for e in t.events] == [EventType.RATED, EventType.CLOSED]
    assert [e.seq for e in t.events] == [seq_before + 1, seq_before + 2]
    # the citizen's comment goes with the scores (the unit and supervisors read why)
    assert t.events[0].message == message("note.rated.satisfied.commented", **SATISFIED)
    assert t.events[0].note == "comment"
    assert t.events[1].message == message("note.closed.satisfied") and t.events[1].note is None
    assert t.events[1].status == CaseStatus.CLOSED
    assert all(e.actor_role == Role.CITIZEN and e.actor_id == "citizen-1" for e in t.events)


def test_satisfied_rating_of_a_late_reply_closes_not_on_time() -> None:
    """Given a case answered after its deadline
    When the citizen is satisfied
    Then the case closes with on_time False."""
    case = replied_case(at=DUE + timedelta(hours=1))

    t = rate(case, SATISFIED, DUE + timedelta(days=1))

    assert t.after.status == CaseStatus.CLOSED
    assert t.after.on_time is False


@pytest.mark.parametrize("dimension", DIMENSIONS)
@pytest.mark.parametrize("score", [1, 2])
def test_first_unsatisfied_rating_reopens_to_same_unit(dimension: str, score: int) -> None:
    """Given a round-1 reply
    When the citizen scores any single dimension at or below 2
    Then the case is REOPENED to the same unit: reopen_count 1, round 2 and the redo deadline."""
    scores = dict.fromkeys(DIMENSIONS, 5) | {dimension: score}
    case = replied_case().model_copy(update={"overdue": True})

    t = rate(case, scores, T0 + timedelta(days=2))

    after = t.after
    assert after.status == CaseStatus.REOPENED
    assert after.reopen_count == 1
    assert after.round == 2
    assert after.due_at == REDO_DUE
    assert after.unit_id == UNIT
    assert after.overdue is False
    assert after.supervised is False
    assert after.closed_at is None
    assert after.ratings[-1].satisfied is False
    assert after.ratings[-1].round == 1
    assert [e.type for e in t.events] == [EventType.RATED, EventType.REOPENED]
    assert [e.round for e in t.events] == [1, 2]
    assert t.events[-1].status == CaseStatus.REOPENED


def test_scores_of_three_are_satisfied_under_default_policy() -> None:
    """Given the default policy (unsatisfied at or below 2)
    When the citizen scores 3 on every dimension
    Then the case closes as satisfied."""
    t = rate(replied_case(), dict.fromkeys(DIMENSIONS, 3), T0 + timedelta(days=2))

    assert t.after.status == CaseStatus.CLOSED
    assert t.after.closed_reason == "satisfied"


def test_unsatisfied_after_redo_puts_case_under_supervision() -> None:
    """Given a reopened case redone and answered again (round 2)
    When the citizen is unsatisfied again
    Then the case is SUPERVISED in round 3 with the new deadline and supervised True."""
    case = redo_replied_case()
    assert case.round == 2

    t = rate(case, UNSATISFIED, T0 + timedelta(days=5))

    after = t.after
    assert after.status == CaseStatus.SUPERVISED
    assert after.supervised is True
    assert after.round == 3
    assert after.reopen_count == 1
    assert after.due_at == REDO_DUE
    assert [e.type for e in t.events] == [EventType.RATED, EventType.SUPERVISED]
    assert t.events[-1].status == CaseStatus.SUPERVISED


def test_supervised_case_closes_on_unsatisfied_rating() -> None:
    """Given a supervised case answered again
    When the citizen is still unsatisfied
    Then the case is CLOSED with reason closed_under_supervision."""
    case = supervised_replied_case()

    t = rate(case, UNSATISFIED, T0 + timedelta(days=8))

    assert t.after.status == CaseStatus.CLOSED
    assert t.after.closed_reason == "closed_under_supervision"
    assert t.after.supervised is True
    assert t.after.round == 3
    assert t.events[-1].type == EventType.CLOSED
    assert t.events[-1].message == message("note.closed.closed_under_supervision")


def test_supervised_case_closes_satisfied_on_good_rating() -> None:
    """Given a supervised case answered again
    When the citizen is satisfied
    Then the case is CLOSED as satisfied."""
    t = rate(supervised_replied_case(), SATISFIED, T0 + timedelta(days=8))

    assert t.after.closed_reason == "satisfied"


def test_on_time_at_close_requires_every_round_on_time() -> None:
    """Given a case whose first reply was late and whose redo reply was on time
    When the citizen is finally satisfied
    Then the case closes with on_time False."""
    late = replied_case(at=DUE + timedelta(hours=1))
    reopened = rate(late, UNSATISFIED, DUE + timedelta(days=1)).after
    accepted = lifecycle.accept(reopened, STAFF, DUE + timedelta(days=1)).after
    redone = lifecycle.reply(accepted, "Redone.", STAFF, DUE + timedelta(days=2)).after
    assert [r.on_time for r in redone.replies] == [False, True]

    t = rate(redone, SATISFIED, DUE + timedelta(days=3))

    assert t.after.on_time is False


def test_rating_twice_in_same_round_is_refused() -> None:
    """Given a case already rated (and closed) in round 1
    When the citizen rates again
    Then InvalidTransition says this reply was already rated."""
    closed = rate(replied_case(), SATISFIED, T0 + timedelta(days=2)).after

    with pytest.raises(InvalidTransition, match=r"error.reply_already_rated") as exc:
        rate(closed, SATISFIED, T0 + timedelta(days=3))

    assert exc.value.status == CaseStatus.CLOSED


def test_rating_twice_refused_even_if_status_is_replied() -> None:
    """Given a REPLIED case that already carries a rating for the current round
    When the citizen rates again
    Then InvalidTransition is raised."""
    existing = Rating(round=1, satisfied=True, at=T0, **SATISFIED)
    case = replied_case().model_copy(update={"ratings": [existing]})

    with pytest.raises(InvalidTransition, match=r"error.reply_already_rated"):
        rate(case, SATISFIED, T0 + timedelta(days=2))


def test_rating_by_another_citizen_is_not_found() -> None:
    """Given a replied case submitted by citizen-1
    When citizen-2 rates it
    Then NotFound is raised, as for a case that does not exist."""
    with pytest.raises(NotFound):
        lifecycle.rate(replied_case(), SATISFIED, None, OTHER_CITIZEN, T0, POLICY, REDO_DUE)


def test_rating_before_reply_is_refused() -> None:
    """Given a case still in progress
    When the citizen rates it
    Then InvalidTransition carries the status IN_PROGRESS."""
    with pytest.raises(InvalidTransition) as exc:
        rate(in_progress_case(), SATISFIED, T0)

    assert exc.value.status == CaseStatus.IN_PROGRESS
    assert exc.value.action == "rate"


def test_stricter_policy_threshold_reopens_on_threes() -> None:
    """Given a policy where 3 or below is unsatisfied
    When the citizen scores 3 on every dimension
    Then the case is REOPENED."""
    t = rate(replied_case(), dict.fromkeys(DIMENSIONS, 3), T0, RatingPolicy(unsatisfied_at_or_below=3))

    assert t.after.status == CaseStatus.REOPENED
    assert t.after.ratings[-1].satisfied is False


def test_lenient_policy_threshold_accepts_twos() -> None:
    """Given a policy where only 1 is unsatisfied
    When the citizen scores a 2
    Then the case closes as satisfied."""
    t = rate(replied_case(), UNSATISFIED, T0, RatingPolicy(unsatisfied_at_or_below=1))

    assert t.after.status == CaseStatus.CLOSED
    assert t.after.closed_reason == "satisfied"


@pytest.mark.parametrize(
    ("scores", "threshold", "expected"),
    [
        ({"a": 3, "b": 3}, 2, False),
        ({"a": 3, "b": 2}, 2, True),
        ({"a": 5, "b": 4}, 4, True),
        ({"a": 5, "b": 5}, 4, False),
    ],
)
def test_is_unsatisfied(scores: dict[str, int], threshold: int, expected: bool) -> None:
    """Given scores and a threshold
    When judging satisfaction
    Then any score at or below the threshold is unsatisfied."""
    assert is_unsatisfied(scores, RatingPolicy(unsatisfied_at_or_below=threshold)) is expected


# --- close_unrated --------------------------------------------------------------------------------


def test_close_unrated_closes_replied_case_by_system() -> None:
    """Given a replied case the citizen never rated
    When the rating window expires
    Then the case is CLOSED as unrated by the system, with on_time from its replies."""
    now = T0 + timedelta(days=10)

    t = lifecycle.close_unrated(replied_case(), now)

    assert t.after.status == CaseStatus.CLOSED
    assert t.after.closed_reason == "unrated"
    assert t.after.closed_at == now
    assert t.after.on_time is True
    assert t.after.ratings == []
    event = only_event(t)
    assert event.type == EventType.CLOSED
    assert event.actor_role == Role.SYSTEM
    assert event.actor_id == "rating-window"
    assert event.status == CaseStatus.CLOSED


def test_close_unrated_refused_before_reply() -> None:
    """Given a case in progress
    When the rating window tries to close it
    Then InvalidTransition carries the status IN_PROGRESS."""
    with pytest.raises(InvalidTransition) as exc:
        lifecycle.close_unrated(in_progress_case(), T0)

    assert exc.value.status == CaseStatus.IN_PROGRESS


# --- mark_overdue ---------------------------------------------------------------------------------


def test_mark_overdue_refused_before_due() -> None:
    """Given a dispatched case whose deadline has not passed
    When the deadline check runs
    Then InvalidTransition says the deadline has not passed."""
    with pytest.raises(InvalidTransition, match=r"error.deadline_not_passed") as exc:
        lifecycle.mark_overdue(dispatched_case(), DUE - timedelta(seconds=1))

    assert exc.value.status == CaseStatus.DISPATCHED


def test_mark_overdue_at_due_flags_and_escalates() -> None:
    """Given a case in progress
    When the deadline check runs at the due instant
    Then the case is overdue and ever_overdue, and an OVERDUE event by the system names the deadline."""
    t = lifecycle.mark_overdue(in_progress_case(), DUE)

    assert t.after.overdue is True
    assert t.after.ever_overdue is True
    assert t.after.status == CaseStatus.IN_PROGRESS
    event = only_event(t)
    assert event.type == EventType.OVERDUE
    assert event.actor_role == Role.SYSTEM
    assert event.actor_id == "deadline"
    assert event.message == message("note.overdue", due=DUE) and event.note is None


def test_mark_overdue_refuses_twice() -> None:
    """Given a case already flagged overdue
    When the deadline check runs again
    Then InvalidTransition says it is already overdue."""
    overdue = lifecycle.mark_overdue(dispatched_case(), DUE + timedelta(hours=1)).after

    with pytest.raises(InvalidTransition, match=r"error.already_overdue"):
        lifecycle.mark_overdue(overdue, DUE + timedelta(hours=2))


def test_mark_overdue_refused_after_reply() -> None:
    """Given a replied case
    When the deadline check runs after the deadline
    Then InvalidTransition carries the status REPLIED."""
    with pytest.raises(InvalidTransition) as exc:
        lifecycle.mark_overdue(replied_case(), DUE + timedelta(days=1))

    assert exc.value.status == CaseStatus.REPLIED


# --- warn_deadline --------------------------------------------------------------------------------


def test_warn_deadline_once_per_round() -> None:
    """Given a dispatched case in round 1
    When the sweep warns twice
    Then the first warning records warned_round 1 and the second is refused."""
    t = lifecycle.warn_deadline(dispatched_case(), T0 + timedelta(days=4))

    assert t.after.warned_round == 1
    event = only_event(t)
    assert event.type == EventType.DEADLINE_WARNING
    assert event.actor_id == "sweep"
    assert event.message == message("note.deadline_warning", due=DUE) and event.note is None
    with pytest.raises(InvalidTransition, match=r"error.already_warned"):
        lifecycle.warn_deadline(t.after, T0 + timedelta(days=5))


def test_warn_deadline_again_in_the_next_round() -> None:
    """Given a case warned in round 1 and then reopened into round 2
    When the sweep warns
    Then the warning is allowed and records warned_round 2."""
    warned = lifecycle.warn_deadline(in_progress_case(), T0 + timedelta(days=4)).after
    answered = lifecycle.reply(warned, "Done.", STAFF, T0 + timedelta(days=5)).after
    reopened = rate(answered, UNSATISFIED, T0 + timedelta(days=6)).after

    t = lifecycle.warn_deadline(reopened, T0 + timedelta(days=7))

    assert t.after.warned_round == 2


def test_warn_deadline_refused_when_overdue() -> None:
    """Given an overdue case never warned
    When the sweep warns
    Then InvalidTransition is raised."""
    overdue = lifecycle.mark_overdue(dispatched_case(), DUE).after

    with pytest.raises(InvalidTransition):
        lifecycle.warn_deadline(overdue, DUE)


def test_warn_deadline_for_new_unit_after_return_and_redispatch() -> None:
    """Given a round-1 case warned at unit A, returned as misrouted and re-dispatched to unit B
    When the sweep warns about unit B's new deadline
    Then the warning is allowed."""
    warned = lifecycle.warn_deadline(dispatched_case(), T0 + timedelta(days=4)).after
    returned = lifecycle.return_to_dispatch(warned, "not ours", STAFF, T0 + timedelta(days=4)).after
    redispatched = lifecycle.dispatch(returned, OTHER_UNIT, REDO_DUE, DISPATCHER, T0 + timedelta(days=5), "x").after

    t = lifecycle.warn_deadline(redispatched, T0 + timedelta(days=12))

    assert t.events[0].type == EventType.DEADLINE_WARNING


# --- extensions -----------------------------------------------------------------------------------


def test_request_extension_records_pending_request() -> None:
    """Given a case in progress at the staff member's unit
    When the staff member asks for 3 more working days
    Then a pending extension is recorded and an EXTENSION_REQUESTED event names days and reason."""
    now = T0 + timedelta(days=1)

    t = lifecycle.request_extension(in_progress_case(), 3, "site survey needed", STAFF, now)

    assert t.after.extension == Extension(
        days=3, reason="site survey needed", requested_at=now, requested_by="staff-1", status="pending"
    )
    assert t.after.due_at == DUE
    event = only_event(t)
    assert event.type == EventType.EXTENSION_REQUESTED
    assert event.message == message("note.extension_requested", days=3)
    assert event.note == "site survey needed"


def test_request_extension_refused_while_one_is_pending() -> None:
    """Given a case with a pending extension
    When the unit asks again
    Then InvalidTransition says one is already pending."""
    pending = lifecycle.request_extension(in_progress_case(), 3, "survey", STAFF, T0).after

    with pytest.raises(InvalidTransition, match=r"error.extension_pending"):
        lifecycle.request_extension(pending, 2, "again", STAFF, T0)


def test_request_extension_by_other_unit_staff_is_forbidden() -> None:
    """Given a case at unit A
    When staff of unit B ask for an extension
    Then Forbidden is raised."""
    with pytest.raises(Forbidden):
        lifecycle.request_extension(in_progress_case(), 3, "x", OTHER_STAFF, T0)


def test_request_extension_refused_after_reply() -> None:
    """Given a replied case
    When the unit asks for an extension
    Then InvalidTransition carries the status REPLIED."""
    with pytest.raises(InvalidTransition) as exc:
        lifecycle.request_extension(replied_case(), 3, "x", STAFF, T0)

    assert exc.value.status == CaseStatus.REPLIED


def test_approved_extension_moves_the_deadline() -> None:
    """Given an overdue case with a pending extension request
    When a supervisor approves it with a later deadline
    Then due_at moves, the overdue flag clears and an EXTENSION_APPROVED event names the new deadline."""
    pending = lifecycle.request_extension(in_progress_case(), 3, "survey", STAFF, T0).after
    overdue = lifecycle.mark_overdue(pending, DUE).after
    now = DUE + timedelta(hours=1)

    t = lifecycle.decide_extension(overdue, True, REDO_DUE, SUPERVISOR, now, "ok")

    assert t.after.due_at == REDO_DUE
    assert t.after.overdue is False
    assert t.after.ever_overdue is True
    assert t.after.extension is not None
    assert t.after.extension.status == "approved"
    assert t.after.extension.decided_at == now
    event = only_event(t)
    assert event.type == EventType.EXTENSION_APPROVED
    assert event.message == message("note.extension_approved.noted", due=REDO_DUE)
    assert event.note == "ok"
    assert event.actor_role == Role.SUPERVISOR


def test_approved_extension_to_a_past_deadline_stays_overdue() -> None:
    """Given a pending extension
    When it is approved with a deadline that has already passed
    Then the case is flagged overdue and the event note has no trailing note."""
    pending = lifecycle.request_extension(in_progress_case(), 1, "x", STAFF, T0).after
    now = DUE + timedelta(days=2)

    t = lifecycle.decide_extension(pending, True, DUE + timedelta(days=1), SUPERVISOR, now, None)

    assert t.after.overdue is True
    assert t.events[0].message == message("note.extension_approved", due=DUE + timedelta(days=1))
    assert t.events[0].note is None


def test_refused_extension_keeps_the_deadline() -> None:
    """Given a pending extension
    When a supervisor refuses it
    Then the deadline is unchanged, the request is marked refused, and a second request in the same
    handling round is refused unless the deployment allows more than one per round."""
    pending = lifecycle.request_extension(in_progress_case(), 3, "survey", STAFF, T0).after
    now = T0 + timedelta(days=1)

    t = lifecycle.decide_extension(pending, False, None, SUPERVISOR, now, "not justified")

    assert t.after.due_at == DUE
    assert t.after.extension is not None
    assert t.after.extension.status == "refused"
    assert t.after.extension.decided_at == now
    event = only_event(t)
    assert event.type == EventType.EXTENSION_REFUSED
    assert event.note == "not justified"
    with pytest.raises(InvalidTransition, match=r"error.extensions_per_round"):
        lifecycle.request_extension(t.after, 1, "smaller ask", STAFF, now)
    again = lifecycle.request_extension(t.after, 1, "smaller ask", STAFF, now, max_per_round=2)
    assert again.after.extension is not None
    assert again.after.extension.status == "pending"


def test_decide_extension_refused_without_pending_request() -> None:
    """Given a case with no pending extension
    When a supervisor decides
    Then InvalidTransition says none is pending."""
    with pytest.raises(InvalidTransition, match=r"error.no_extension_pending"):
        lifecycle.decide_extension(in_progress_case(), True, REDO_DUE, SUPERVISOR, T0, None)


# --- repaired and the event log -------------------------------------------------------------------


def test_restart_workflow_names_a_new_execution_and_keeps_the_status() -> None:
    """Given a case in progress whose execution died
    When the sweep restarts its workflow
    Then a WORKFLOW_REPAIRED event is appended, the status is unchanged and the new execution is named."""
    case = in_progress_case()

    t = lifecycle.restart_workflow(case, T0, "FAILED")

    assert t.after.status == case.status
    assert t.after.execution_name == f"{case.id}-r1" and t.after.repair_count == 1
    event = only_event(t)
    assert event.type == EventType.WORKFLOW_REPAIRED
    assert event.message == message("note.workflow_repaired", workflow="FAILED", execution=f"{case.id}-r1")
    assert event.actor_id == "sweep"


def test_restart_workflow_gives_up_after_three_restarts_and_flagging_happens_once() -> None:
    """Given a case restarted three times
    When the sweep would restart it again
    Then it is refused (flag it instead), and a flagged case cannot be flagged twice."""
    case = in_progress_case()
    for _ in range(3):
        case = lifecycle.restart_workflow(case, T0, "FAILED").after
    with pytest.raises(InvalidTransition):
        lifecycle.restart_workflow(case, T0, "FAILED")
    flagged = lifecycle.flag_for_supervisor(case, T0, "cannot repair").after
    assert flagged.flagged is True
    with pytest.raises(InvalidTransition):
        lifecycle.flag_for_supervisor(flagged, T0, "again")


def test_event_sequence_numbers_increase_by_one_over_a_whole_lifecycle() -> None:
    """Given a case taken through submission, queueing, dispatch, warning, acceptance, extension, reply,
    an unsatisfied rating, the redo and a satisfied rating
    When all the events are collected
    Then their seq numbers are 1..n without gaps, match event_count, and each single-event transition's
    event carries the actor's role and the status after the transition."""
    steps: list[tuple[Any, Actor | None]] = [
        (lambda c: lifecycle.submitted(c, T0), CITIZEN),
        (lambda c: lifecycle.queue_for_dispatcher(c, T0, "no rule"), None),
        (lambda c: lifecycle.dispatch(c, UNIT, DUE, DISPATCHER, T0, "x"), DISPATCHER),
        (lambda c: lifecycle.warn_deadline(c, T0), None),
        (lambda c: lifecycle.accept(c, STAFF, T0), STAFF),
        (lambda c: lifecycle.request_extension(c, 2, "x", STAFF, T0), STAFF),
        (lambda c: lifecycle.decide_extension(c, False, None, SUPERVISOR, T0, None), SUPERVISOR),
        (lambda c: lifecycle.reply(c, "done", STAFF, T0), STAFF),
        (lambda c: rate(c, UNSATISFIED, T0), CITIZEN),
        (lambda c: lifecycle.accept(c, STAFF, T0), STAFF),
        (lambda c: lifecycle.reply(c, "redone", STAFF, T0), STAFF),
        (lambda c: rate(c, SATISFIED, T0), CITIZEN),
    ]
    case = make_case()
    events = []
    for step, actor in steps:
        t = step(case)
        if len(t.events) == 1:
            assert t.events[0].status == t.after.status
        if actor is not None:
            assert all(e.actor_role == actor.role and e.actor_id == actor.id for e in t.events)
        assert t.events[-1].status == t.after.status
        events.extend(t.events)
        case = t.after

    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert case.event_count == len(events) == 14
    assert case.status == CaseStatus.CLOSED
    assert all(e.case_id == "case-1" for e in events)


# --- workflow_outcome -----------------------------------------------------------------------------


@pytest.mark.parametrize("phase", ["dispatch", "handling", "rating"])
def test_workflow_outcome_closed_in_every_phase(phase: Any) -> None:
    """Given a closed case
    When a workflow parked in any phase asks what to do
    Then the answer is closed."""
    case = make_case(status=CaseStatus.CLOSED, unit_id=UNIT, due_at=DUE)

    assert workflow_outcome(case, phase, 1, DUE) == "closed"


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (CaseStatus.SUBMITTED, None),
        (CaseStatus.RETURNED, None),
        (CaseStatus.DISPATCHED, "dispatched"),
        (CaseStatus.IN_PROGRESS, "dispatched"),
        (CaseStatus.REPLIED, "dispatched"),
    ],
)
def test_workflow_outcome_dispatch_phase(status: CaseStatus, expected: str | None) -> None:
    """Given a workflow parked waiting for dispatch
    When the case is in `status`
    Then it keeps waiting while the case awaits a dispatcher, and moves on once it has been dispatched."""
    case = make_case(status=status)

    assert workflow_outcome(case, "dispatch", 1, None) == expected


@pytest.mark.parametrize(
    ("status", "case_round", "due_at", "expected"),
    [
        (CaseStatus.DISPATCHED, 1, DUE, None),
        (CaseStatus.IN_PROGRESS, 1, DUE, None),
        (CaseStatus.IN_PROGRESS, 1, REDO_DUE, "extended"),
        (CaseStatus.DISPATCHED, 1, REDO_DUE, "extended"),
        (CaseStatus.RETURNED, 1, None, "returned"),
        (CaseStatus.REPLIED, 1, DUE, "replied"),
        (CaseStatus.REOPENED, 2, REDO_DUE, "redo"),
        (CaseStatus.IN_PROGRESS, 2, REDO_DUE, "redo"),
    ],
)
def test_workflow_outcome_handling_phase(
    status: CaseStatus, case_round: int, due_at: datetime | None, expected: str | None
) -> None:
    """Given a workflow parked in the handling phase of round 1, scheduled for DUE
    When the case is in `status`, round `case_round`, with deadline `due_at`
    Then the outcome is `expected` (None keeps waiting)."""
    case = make_case(status=status, round=case_round, unit_id=UNIT, due_at=due_at)

    assert workflow_outcome(case, "handling", 1, DUE) == expected


@pytest.mark.parametrize(
    ("status", "case_round", "expected"),
    [
        (CaseStatus.REPLIED, 1, None),
        (CaseStatus.REOPENED, 2, "redo"),
        (CaseStatus.SUPERVISED, 2, "redo"),
        (CaseStatus.CLOSED, 1, "closed"),
    ],
)
def test_workflow_outcome_rating_phase(status: CaseStatus, case_round: int, expected: str | None) -> None:
    """Given a workflow parked waiting for the round-1 rating
    When the case is in `status`, round `case_round`
    Then it waits while REPLIED, redoes after a reopen and ends once closed."""
    case = make_case(status=status, round=case_round, unit_id=UNIT, due_at=DUE)

    assert workflow_outcome(case, "rating", 1, None) == expected


def test_workflow_outcome_follows_real_transitions() -> None:
    """Given the same case moving through real transitions
    When the workflow asks after each step
    Then the outcomes are dispatched, replied, redo and closed in that order."""
    submitted = submitted_case()
    dispatched = dispatched_case()
    replied = replied_case()
    reopened = reopened_case()
    closed = rate(redo_replied_case(), SATISFIED, T0 + timedelta(days=5)).after

    assert workflow_outcome(submitted, "dispatch", 1, None) is None
    assert workflow_outcome(dispatched, "dispatch", 1, None) == "dispatched"
    assert workflow_outcome(dispatched, "handling", 1, DUE) is None
    assert workflow_outcome(replied, "handling", 1, DUE) == "replied"
    assert workflow_outcome(replied, "rating", 1, None) is None
    assert workflow_outcome(reopened, "rating", 1, None) == "redo"
    assert workflow_outcome(reopened, "handling", 2, REDO_DUE) is None
    assert workflow_outcome(closed, "rating", 2, None) == "closed"


# --- the dispatcher corrects the classification ------------------------------------------------

LABELS: dict[Any, str] = {"zh": "城市管理 · 南山区", "en": "City management · Nanshan"}


def test_a_correction_changes_topic_and_district_and_tells_the_citizen_what_it_became() -> None:
    """Given a case waiting in the dispatch queue, classified traffic / futian
    When a dispatcher corrects it to city management in nanshan, with a reason
    Then the case carries the new classification and stays in the queue, unrouted; one event keeps
    the reason as the staff note, both classifications as facts, and the citizen reads the new one."""
    from minyi.domain.models import Language, TimelineEvent
    from minyi.domain.timeline_text import public_message
    from minyi.text import render

    def public_text(event: TimelineEvent, language: Language) -> str:
        said = public_message(event, language)
        assert said is not None
        return render(said, language)

    queued = lifecycle.queue_for_dispatcher(submitted_case(), T0, "no rule").after

    t = lifecycle.correct_classification(queued, "city", "nanshan", LABELS, "地址在南山", DISPATCHER, T0)

    assert (t.after.topic, t.after.district) == ("city", "nanshan")
    assert t.after.status == CaseStatus.SUBMITTED and t.after.in_dispatch_queue and t.after.unit_id is None
    event = only_event(t)
    assert event.type == EventType.RECLASSIFIED and event.note == "地址在南山"
    assert event.actor_role == Role.DISPATCHER
    assert event.facts["from_topic"] == "traffic" and event.facts["from_district"] == "futian"
    assert event.facts["topic"] == "city" and event.facts["district"] == "nanshan"
    assert public_text(event, "zh") == "诉求分类已更正为 城市管理 · 南山区"
    assert public_text(event, "en") == "Request reclassified as City management · Nanshan"


def test_a_correction_leaves_a_held_case_with_its_unit() -> None:
    """Given a case a unit holds
    When a dispatcher corrects its district
    Then the unit, status and deadline are unchanged (a transfer is a separate, explicit act)."""
    held = in_progress_case()

    after = lifecycle.correct_classification(held, "traffic", "nanshan", LABELS, "reason", DISPATCHER, T0).after

    assert (after.unit_id, after.status, after.due_at) == (UNIT, CaseStatus.IN_PROGRESS, DUE)
    assert after.district == "nanshan"


def test_a_correction_to_the_same_classification_or_of_a_closed_case_is_refused() -> None:
    """Given a case already classified traffic / futian, and a withdrawn one
    When a dispatcher "corrects" the first to the same, or the withdrawn one at all
    Then both are refused (409): nothing would change, or the case is over."""
    with pytest.raises(InvalidTransition, match=r"error.already_classified"):
        lifecycle.correct_classification(submitted_case(), "traffic", "futian", LABELS, "r", DISPATCHER, T0)
    withdrawn = lifecycle.withdraw(submitted_case(), None, CITIZEN, T0).after
    with pytest.raises(InvalidTransition):
        lifecycle.correct_classification(withdrawn, "city", "futian", LABELS, "r", DISPATCHER, T0)


# --- the transition table: one source for every status check ------------------------------------

OPERATOR = Actor(role=Role.OPERATOR, id="operator-1")
LATE = DUE + timedelta(days=1)


def _answer_at_intake(case: Case) -> Transition:
    return lifecycle.answer_at_intake(Transition(before=case, after=case), "answer", None, OPERATOR, T0)


def _another_open() -> Case:
    """Another citizen's open case of the same topic (a merge's other side)."""
    return make_case(id="case-2", tracking_no="MY202603020002", citizen_id="citizen-3", status=CaseStatus.DISPATCHED)


def _follower() -> Reporter:
    return Reporter(citizen_id=OTHER_CITIZEN.id, phone="+8613900001111", via=ReporterVia.FOLLOW, at=T0)


#: Each action of the table, taken on a given case (the other arguments valid for it).
ACTIONS: dict[lifecycle.LifecycleAction, Callable[[Case], Transition]] = {
    lifecycle.LifecycleAction.DISPATCH: lambda c: lifecycle.dispatch(c, OTHER_UNIT, DUE, DISPATCHER, T0, "by hand"),
    lifecycle.LifecycleAction.QUEUE: lambda c: lifecycle.queue_for_dispatcher(c, T0, "no rule"),
    lifecycle.LifecycleAction.ACCEPT: lambda c: lifecycle.accept(c, STAFF, T0),
    lifecycle.LifecycleAction.REPLY: lambda c: lifecycle.reply(c, "fixed", STAFF, T0),
    lifecycle.LifecycleAction.RETURN: lambda c: lifecycle.return_to_dispatch(c, "not ours", STAFF, T0),
    lifecycle.LifecycleAction.RATE: lambda c: lifecycle.rate(c, SATISFIED, None, CITIZEN, T0, POLICY, REDO_DUE),
    lifecycle.LifecycleAction.CLOSE_UNRATED: lambda c: lifecycle.close_unrated(c, T0),
    lifecycle.LifecycleAction.ANSWER_AT_INTAKE: _answer_at_intake,
    lifecycle.LifecycleAction.CALL_BACK: lambda c: lifecycle.callback(
        c, CallbackOutcome.UNREACHABLE, "2026-03-02", OPERATOR, T0
    ),
    lifecycle.LifecycleAction.MARK_OVERDUE: lambda c: lifecycle.mark_overdue(c, LATE),
    lifecycle.LifecycleAction.WARN: lambda c: lifecycle.warn_deadline(c, T0),
    lifecycle.LifecycleAction.EXTEND: lambda c: lifecycle.request_extension(c, 2, "parts", STAFF, T0),
    lifecycle.LifecycleAction.DECIDE_EXTENSION: lambda c: lifecycle.decide_extension(
        c, False, None, SUPERVISOR, T0, None
    ),
    lifecycle.LifecycleAction.RESTART_WORKFLOW: lambda c: lifecycle.restart_workflow(c, T0, "failed"),
    lifecycle.LifecycleAction.FLAG: lambda c: lifecycle.flag_for_supervisor(c, T0, "stuck"),
    lifecycle.LifecycleAction.WITHDRAW: lambda c: lifecycle.withdraw(c, None, CITIZEN, T0),
    lifecycle.LifecycleAction.SUPPLEMENT: lambda c: lifecycle.supplement(c, "more", [], CITIZEN, T0),
    lifecycle.LifecycleAction.TRANSFER: lambda c: lifecycle.transfer(c, OTHER_UNIT, DUE, "theirs", DISPATCHER, T0),
    lifecycle.LifecycleAction.MARK_DISPATCH_OVERDUE: lambda c: lifecycle.mark_dispatch_overdue(c, LATE),
    lifecycle.LifecycleAction.INSTRUCT: lambda c: lifecycle.instruct(c, "do it", DUE, SUPERVISOR, T0),
    lifecycle.LifecycleAction.ASSIGN: lambda c: lifecycle.assign(c, "staff-2", STAFF, T0),
    lifecycle.LifecycleAction.CORRECT_CLASSIFICATION: lambda c: lifecycle.correct_classification(
        c, "noise", "nanshan", {}, "misfiled", DISPATCHER, T0
    ),
    lifecycle.LifecycleAction.REQUEST_ASSIST: lambda c: lifecycle.request_assist(c, [OTHER_UNIT], "help", STAFF, T0),
    lifecycle.LifecycleAction.MERGE: lambda c: lifecycle.merge(c, _another_open(), "same light", DISPATCHER, T0)[0],
    lifecycle.LifecycleAction.MERGE_INTO: lambda c: lifecycle.merge(_another_open(), c, "same", DISPATCHER, T0)[1],
    lifecycle.LifecycleAction.UNMERGE: lambda c: lifecycle.unmerge(c, None, "not the same", SUPERVISOR, T0)[0],
    lifecycle.LifecycleAction.FOLLOW: lambda c: (
        lifecycle.follow(c, _follower(), OTHER_CITIZEN, T0) or Transition(before=c, after=c)
    ),
}


def case_in(status: CaseStatus) -> Case:
    """A hotline consultation held by UNIT in `status`, waiting in the dispatch queue past its
    dispatch deadline: every other rule of an action lets it through where it can."""
    return make_case(
        status=status,
        unit_id=UNIT,
        due_at=DUE,
        channel=Channel.HOTLINE,
        category=Category.CONSULTATION,
        in_dispatch_queue=True,
        dispatch_due_at=DUE,
    )


def test_every_action_of_the_table_is_taken_here() -> None:
    # Given the lifecycle's transition table, When the test lists its actions, Then it lists them all
    assert set(ACTIONS) == set(lifecycle.LifecycleAction) == set(lifecycle.ALLOWED_STATUSES)


@pytest.mark.parametrize(
    ("action", "status"),
    [(a, s) for a in lifecycle.LifecycleAction for s in CaseStatus if s not in lifecycle.ALLOWED_STATUSES[a]],
)
def test_each_status_the_table_does_not_allow_is_refused(action: lifecycle.LifecycleAction, status: CaseStatus) -> None:
    # Given a case in a status the table does not allow for the action
    case = case_in(status)
    # When the action is taken, Then it is refused for that status, by the action's name
    with pytest.raises(InvalidTransition) as refused:
        ACTIONS[action](case)
    assert (refused.value.action, refused.value.status) == (action.value, status)


@pytest.mark.parametrize(
    ("action", "status"), [(a, s) for a in lifecycle.LifecycleAction for s in sorted(lifecycle.ALLOWED_STATUSES[a])]
)
def test_each_status_the_table_allows_passes_the_status_check(
    action: lifecycle.LifecycleAction, status: CaseStatus
) -> None:
    # Given a case in a status the table allows for the action
    case = case_in(status)
    # When the action is taken, Then it happens, or another of its rules refuses it (with a reason)
    try:
        ACTIONS[action](case)
    except InvalidTransition as refused:
        assert refused.detail, f"{action} refused in {status} by its status alone"
