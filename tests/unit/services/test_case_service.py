"""CaseService on fakes: every action of units, dispatchers, supervisors and the rating citizen, the
policy's answers (role 403, a case the actor may not know 404, wrong state 409), optimistic locking,
and the workflow signalled exactly when the wait it is parked in ends."""

from __future__ import annotations

from datetime import datetime

import pytest

from minyi.domain import lifecycle
from minyi.domain.deadlines import after_working_hours
from minyi.domain.errors import ConcurrentUpdate, Forbidden, InvalidInput, InvalidTransition, NotFound
from minyi.domain.lifecycle import Transition
from minyi.domain.metrics import Metric
from minyi.domain.models import (
    DISPATCH_QUEUE,
    Actor,
    Case,
    CaseStatus,
    CloseReason,
    EventType,
    OutboxStatus,
    Role,
    WorkflowWait,
)
from minyi.domain.notices import Notice
from minyi.services.cases import MAX_ATTEMPTS
from minyi.services.results import Scorecard
from tests.fakes import Fakes
from tests.unit.services.conftest import (
    ADMIN,
    CITIZEN,
    DISPATCHER,
    OTHER_CITIZEN,
    OTHER_STAFF,
    OTHER_UNIT,
    STAFF,
    SUPERVISOR,
    TRAFFIC,
    Recorded,
    new_request,
)

SATISFIED = Scorecard(speed=5, effectiveness=4, experience=5, feedback_quality=4)
UNSATISFIED = Scorecard(speed=2, effectiveness=4, experience=5, feedback_quality=4)


# --- given: cases where the workflow would have put them --------------------------------------------


def park(fakes: Fakes, case: Case, phase: str) -> Case:
    """The workflow's park task: store a callback token for the case's current wait."""
    token = f"token-{phase}-{case.round}-{case.version}"
    wait = WorkflowWait(phase=phase, round=case.round, token=token, due_at=case.due_at)  # type: ignore[arg-type]
    return fakes.cases.park(case, wait)


def submitted(fakes: Fakes) -> Case:
    return stored(fakes, fakes.request_service().submit(CITIZEN, new_request()).id)


def dispatched(fakes: Fakes, unit: str = TRAFFIC) -> Case:
    """Routed to `unit` by rule, its workflow waiting for the unit."""
    case = submitted(fakes)
    now = fakes.clock()
    due = fakes.deadlines.due_at(now, 5)
    case = fakes.cases.save(lifecycle.dispatch(case, unit, due, lifecycle.ROUTER, now, "by rule"))
    return park(fakes, case, "handling")


def queued(fakes: Fakes) -> Case:
    """In the dispatch centre's queue, its workflow waiting for a dispatcher."""
    case = submitted(fakes)
    case = fakes.cases.save(lifecycle.queue_for_dispatcher(case, fakes.clock(), "no rule"))
    return park(fakes, case, "dispatch")


def replied(fakes: Fakes) -> Case:
    """Answered by the unit, its workflow waiting for the citizen's rating."""
    service = fakes.case_service()
    case = dispatched(fakes)
    service.accept(STAFF, case.id)
    service.reply(STAFF, case.id, "The car was towed.")
    stored = fakes.cases.get_case(case.id)
    assert stored is not None
    return park(fakes, stored, "rating")


def stored(fakes: Fakes, case_id: str) -> Case:
    case = fakes.cases.get_case(case_id)
    assert case is not None
    return case


# --- unit actions ----------------------------------------------------------------------------------


def test_accept_moves_the_case_on_without_ending_the_units_wait(fakes: Fakes) -> None:
    # Given a case dispatched to the unit, its workflow waiting for the unit
    case = dispatched(fakes)
    # When the unit accepts it
    detail = fakes.case_service().accept(STAFF, case.id)
    # Then it is in progress, the event is written, and the workflow keeps waiting (no signal)
    assert detail.case.status == CaseStatus.IN_PROGRESS
    assert detail.unit is not None and detail.unit.id == TRAFFIC
    assert fakes.cases.event_types(case.id)[-1] == EventType.ACCEPTED
    assert fakes.workflow.signals == []


def test_a_reply_ends_the_units_wait_and_signals_the_workflow_once(fakes: Fakes, recorded: Recorded) -> None:
    # Given an accepted case, the workflow parked on the unit
    case = dispatched(fakes)
    service = fakes.case_service()
    service.accept(STAFF, case.id)
    # When the unit replies
    detail = service.reply(STAFF, case.id, "The car was towed.")
    # Then the case waits for the rating, and the parked task is completed with the outcome
    assert detail.case.status == CaseStatus.REPLIED
    assert fakes.workflow.signals == [(case.wait.token, {"outcome": "replied"})]  # type: ignore[union-attr]
    assert recorded(Metric.CASES_REPLIED) == 1
    # And a retried reply is a conflict naming the status, with nothing written or signalled again
    with pytest.raises(InvalidTransition) as conflict:
        service.reply(STAFF, case.id, "The car was towed.")
    assert conflict.value.status == CaseStatus.REPLIED
    assert fakes.cases.event_types(case.id).count(EventType.REPLIED) == 1
    assert len(fakes.workflow.signals) == 1


def test_a_unit_returns_a_misrouted_case_to_the_dispatch_centre(fakes: Fakes, recorded: Recorded) -> None:
    case = dispatched(fakes)
    detail = fakes.case_service().return_case(STAFF, case.id, "Not ours: housing bureau")
    assert detail.case.status == CaseStatus.RETURNED
    assert detail.case.unit_id is None and TRAFFIC in detail.case.previous_unit_ids
    assert fakes.workflow.outcomes() == ["returned"]
    assert recorded(Metric.CASES_RETURNED) == 1
    # the case is now in the dispatchers' queue, and the unit still knows it (404 would hide it)
    queue = fakes.case_service().inbox(DISPATCHER, DISPATCH_QUEUE, None, 10, None)
    assert [c.id for c in queue.cases] == [case.id]
    assert fakes.case_service().staff_case(STAFF, case.id).case.id == case.id


def test_a_dispatcher_sends_a_queued_case_to_a_unit_with_a_deadline(fakes: Fakes) -> None:
    case = queued(fakes)
    detail = fakes.case_service().dispatch(DISPATCHER, case.id, OTHER_UNIT)
    assert (detail.case.status, detail.case.unit_id) == (CaseStatus.DISPATCHED, OTHER_UNIT)
    assert detail.case.due_at is not None and detail.case.due_at > fakes.clock()
    assert fakes.workflow.outcomes() == ["dispatched"]
    inbox = fakes.case_service().inbox(OTHER_STAFF, OTHER_UNIT, None, 10, None)
    assert [c.id for c in inbox.cases] == [case.id]


@pytest.mark.parametrize("unit_id", ["no-such-unit", DISPATCH_QUEUE, "supervision-office"])
def test_a_dispatch_to_no_real_unit_is_refused_naming_the_field(fakes: Fakes, unit_id: str) -> None:
    case = queued(fakes)
    with pytest.raises(InvalidInput) as refused:
        fakes.case_service().dispatch(DISPATCHER, case.id, unit_id)
    assert refused.value.field == "unit_id"
    assert stored(fakes, case.id).status == CaseStatus.SUBMITTED


def test_a_transfer_of_a_case_a_unit_holds_needs_a_reason(fakes: Fakes) -> None:
    case = dispatched(fakes)
    service = fakes.case_service()
    with pytest.raises(InvalidInput) as refused:
        service.dispatch(DISPATCHER, case.id, OTHER_UNIT)
    assert refused.value.field == "reason"
    detail = service.dispatch(DISPATCHER, case.id, OTHER_UNIT, "the road belongs to Luohu")
    assert detail.case.unit_id == OTHER_UNIT
    assert fakes.cases.event_types(case.id)[-1] == EventType.TRANSFERRED


# --- the dispatcher corrects the classification -----------------------------------------------------


def test_a_dispatcher_corrects_the_district_of_a_queued_case_which_stays_in_the_queue(fakes: Fakes) -> None:
    # Given a case waiting in the dispatch queue, filed as traffic in futian
    case = queued(fakes)
    # When a dispatcher corrects its district to nanshan, with a reason
    detail = fakes.case_service().correct_classification(DISPATCHER, case.id, None, "nanshan", "路口在南山区")
    # Then the case is traffic in nanshan, still queued for a dispatcher; the workflow keeps waiting;
    # one event records the reason and what it was corrected to
    after = stored(fakes, case.id)
    assert (detail.case.topic, detail.case.district) == (after.topic, after.district) == ("traffic", "nanshan")
    assert after.in_dispatch_queue and after.unit_id is None and after.status == CaseStatus.SUBMITTED
    assert fakes.workflow.signals == []
    event = fakes.cases.timeline(case.id)[-1]
    assert event.type == EventType.RECLASSIFIED and event.note == "路口在南山区"
    assert event.facts["label_zh"] == "交通出行 · 南山区"


def test_a_correction_of_a_held_case_leaves_it_with_its_unit(fakes: Fakes) -> None:
    # Given a case the traffic police of futian hold
    case = dispatched(fakes)
    # When a dispatcher corrects its topic to urban management
    fakes.case_service().correct_classification(DISPATCHER, case.id, "urban_management", None, "占道经营")
    # Then it is urban management in futian, still with the same unit and deadline (a transfer is separate)
    after = stored(fakes, case.id)
    assert (after.topic, after.district) == ("urban_management", "futian")
    assert (after.unit_id, after.due_at, after.status) == (TRAFFIC, case.due_at, CaseStatus.DISPATCHED)
    assert fakes.workflow.signals == []


@pytest.mark.parametrize(
    ("topic", "district", "field"),
    [("no-such-topic", None, "topic"), (None, "atlantis", "district"), (None, None, "topic")],
)
def test_a_correction_to_codes_outside_the_catalogue_or_to_nothing_is_refused_naming_the_field(
    fakes: Fakes, topic: str | None, district: str | None, field: str
) -> None:
    case = queued(fakes)
    with pytest.raises(InvalidInput) as refused:
        fakes.case_service().correct_classification(DISPATCHER, case.id, topic, district, "reason")
    assert refused.value.field == field
    assert stored(fakes, case.id).version == case.version


@pytest.mark.parametrize("actor", [STAFF, SUPERVISOR, CITIZEN])
def test_only_a_dispatcher_corrects_a_classification(fakes: Fakes, actor: Actor) -> None:
    case = dispatched(fakes)
    with pytest.raises(Forbidden):
        fakes.case_service().correct_classification(actor, case.id, None, "nanshan", "reason")
    assert stored(fakes, case.id).district == "futian"


def test_an_extension_asked_by_the_unit_and_approved_by_a_supervisor_moves_the_deadline(fakes: Fakes) -> None:
    # Given a case the unit is working on
    case = dispatched(fakes)
    service = fakes.case_service()
    service.accept(STAFF, case.id)
    # When the unit asks for 3 more working days and a supervisor approves
    asked = service.request_extension(STAFF, case.id, 3, "waiting for the road survey")
    assert asked.case.extension is not None and asked.case.extension.status == "pending"
    assert case.id in [c.id for c in service.supervision(SUPERVISOR, 10, None).cases]
    approved = service.decide_extension(SUPERVISOR, case.id, True, None)
    # Then the deadline moved, and the workflow (waiting for the old deadline) was told
    assert approved.case.due_at is not None and case.due_at is not None
    assert approved.case.due_at > case.due_at
    assert fakes.workflow.outcomes() == ["extended"]
    assert case.id not in [c.id for c in service.supervision(SUPERVISOR, 10, None).cases]


def test_a_refused_extension_leaves_the_deadline_and_the_workflow_alone(fakes: Fakes) -> None:
    case = dispatched(fakes)
    service = fakes.case_service()
    service.request_extension(STAFF, case.id, 3, "waiting for the road survey")
    refused = service.decide_extension(SUPERVISOR, case.id, False, "no")
    assert refused.case.due_at == case.due_at
    assert fakes.workflow.signals == []


# --- the rating citizen ----------------------------------------------------------------------------


def test_a_satisfied_rating_closes_the_case_and_ends_the_rating_wait(fakes: Fakes, recorded: Recorded) -> None:
    case = replied(fakes)
    rating_token = stored(fakes, case.id).wait.token  # type: ignore[union-attr]
    detail = fakes.case_service().rate(CITIZEN, case.id, SATISFIED)
    assert detail.case.status == CaseStatus.CLOSED and detail.case.closed_reason == CloseReason.SATISFIED
    assert fakes.workflow.signals[-1] == (rating_token, {"outcome": "closed"})
    assert (recorded(Metric.CASES_RATED), recorded(Metric.CASES_CLOSED)) == (1, 1)
    assert recorded(Metric.ROLLBACKS) == 0


def test_an_urgent_case_rated_unsatisfied_is_redone_within_the_urgent_hours(fakes: Fakes) -> None:
    # Given an urgent (紧急) case the unit answered
    case = replied(fakes)
    fakes.cases.save(lifecycle.Transition(case, case.model_copy(update={"urgent": True}), []))
    # When the citizen is unsatisfied and the same unit must redo it
    reopened = fakes.case_service().rate(CITIZEN, case.id, UNSATISFIED).case
    # Then the redo round's deadline is the catalogue's urgent office hours from now, not the category's days
    assert reopened.status == CaseStatus.REOPENED and reopened.urgent
    hours = fakes.catalog.get().urgent_hours
    assert reopened.due_at == after_working_hours(fakes.deadlines, reopened.dispatched_at, hours)  # type: ignore[arg-type]


def test_unsatisfied_ratings_reopen_then_supervise_then_close(fakes: Fakes, recorded: Recorded) -> None:
    # Given an answered case
    case = replied(fakes)
    service = fakes.case_service()
    # When the citizen is unsatisfied: the same unit redoes it (rollback), the workflow goes round again
    reopened = service.rate(CITIZEN, case.id, UNSATISFIED)
    assert reopened.case.status == CaseStatus.REOPENED and reopened.case.round == 2
    assert fakes.workflow.outcomes()[-1] == "redo"
    assert recorded(Metric.ROLLBACKS) == 1
    # When unsatisfied again after the redo: special supervision
    park(fakes, stored(fakes, case.id), "handling")
    service.accept(STAFF, case.id)
    service.reply(STAFF, case.id, "Done again.")
    park(fakes, stored(fakes, case.id), "rating")
    supervised = service.rate(CITIZEN, case.id, UNSATISFIED)
    assert supervised.case.status == CaseStatus.SUPERVISED
    assert recorded(Metric.SUPERVISIONS) == 1
    # And the next rating closes it whatever it says
    park(fakes, stored(fakes, case.id), "handling")
    service.accept(SUPERVISOR, case.id)
    service.reply(SUPERVISOR, case.id, "Done under supervision.")
    park(fakes, stored(fakes, case.id), "rating")
    closed = service.rate(CITIZEN, case.id, UNSATISFIED)
    assert closed.case.status == CaseStatus.CLOSED
    assert closed.case.closed_reason == CloseReason.CLOSED_UNDER_SUPERVISION


def test_a_round_is_rated_once(fakes: Fakes) -> None:
    case = replied(fakes)
    service = fakes.case_service()
    service.rate(CITIZEN, case.id, SATISFIED)
    with pytest.raises(InvalidTransition) as conflict:
        service.rate(CITIZEN, case.id, SATISFIED)
    assert conflict.value.status == CaseStatus.CLOSED


# --- the policy's answers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actor", "act"),
    [
        (CITIZEN, lambda s, cid: s.accept(CITIZEN, cid)),
        (DISPATCHER, lambda s, cid: s.reply(DISPATCHER, cid, "x")),
        (SUPERVISOR, lambda s, cid: s.return_case(SUPERVISOR, cid, "x")),
        (STAFF, lambda s, cid: s.dispatch(STAFF, cid, TRAFFIC)),
        (DISPATCHER, lambda s, cid: s.request_extension(DISPATCHER, cid, 2, "x")),
        (STAFF, lambda s, cid: s.decide_extension(STAFF, cid, True, None)),
        (STAFF, lambda s, cid: s.rate(STAFF, cid, SATISFIED)),
        (CITIZEN, lambda s, cid: s.staff_case(CITIZEN, cid)),
        (STAFF, lambda s, cid: s.supervision(STAFF, 10, None)),
    ],
    ids=["accept", "reply", "return", "dispatch", "extension", "decision", "rate", "read", "supervision"],
)
def test_a_role_that_may_never_act_gets_403_and_nothing_changes(fakes: Fakes, actor: Actor, act: object) -> None:
    case = dispatched(fakes)
    before = stored(fakes, case.id)
    with pytest.raises(Forbidden):
        act(fakes.case_service(), case.id)  # type: ignore[operator]
    assert stored(fakes, case.id) == before
    assert fakes.workflow.signals == []


def test_another_citizens_case_is_404_for_rating_as_for_a_missing_one(fakes: Fakes) -> None:
    case = replied(fakes)
    service = fakes.case_service()
    with pytest.raises(NotFound) as other:
        service.rate(OTHER_CITIZEN, case.id, SATISFIED)
    with pytest.raises(NotFound) as missing:
        service.rate(OTHER_CITIZEN, "no-such-case", SATISFIED)
    assert str(other.value) == str(missing.value)
    assert stored(fakes, case.id).status == CaseStatus.REPLIED


@pytest.mark.parametrize(
    "act",
    [
        lambda s, cid: s.staff_case(OTHER_STAFF, cid),
        lambda s, cid: s.accept(OTHER_STAFF, cid),
        lambda s, cid: s.return_case(OTHER_STAFF, cid, "x"),
        lambda s, cid: s.request_extension(OTHER_STAFF, cid, 2, "x"),
    ],
    ids=["read", "accept", "return", "extension"],
)
def test_staff_of_another_unit_get_404_as_for_a_missing_case(fakes: Fakes, act: object) -> None:
    case = dispatched(fakes)
    service = fakes.case_service()
    with pytest.raises(NotFound) as refused:
        act(service, case.id)  # type: ignore[operator]
    with pytest.raises(NotFound) as missing:
        act(service, "no-such-case")  # type: ignore[operator]
    assert str(refused.value) == str(missing.value)  # the message does not tell them apart either
    assert stored(fakes, case.id).status == CaseStatus.DISPATCHED


def test_staff_list_only_their_own_units_inbox(fakes: Fakes) -> None:
    dispatched(fakes)
    service = fakes.case_service()
    assert len(service.inbox(STAFF, TRAFFIC, None, 10, None).cases) == 1
    with pytest.raises(Forbidden):
        service.inbox(STAFF, OTHER_UNIT, None, 10, None)
    with pytest.raises(NotFound):
        service.inbox(DISPATCHER, "no-such-unit", None, 10, None)


@pytest.mark.parametrize(
    ("given", "act", "status"),
    [
        (queued, lambda s, cid: s.accept(ADMIN, cid), CaseStatus.SUBMITTED),
        (dispatched, lambda s, cid: s.reply(STAFF, cid, "x"), CaseStatus.DISPATCHED),
        (replied, lambda s, cid: s.return_case(STAFF, cid, "x"), CaseStatus.REPLIED),
        (dispatched, lambda s, cid: s.rate(CITIZEN, cid, SATISFIED), CaseStatus.DISPATCHED),
        (dispatched, lambda s, cid: s.decide_extension(SUPERVISOR, cid, True, None), CaseStatus.DISPATCHED),
    ],
    ids=["accept-queued", "reply-unaccepted", "return-replied", "rate-unanswered", "decide-nothing-asked"],
)
def test_an_action_in_the_wrong_state_is_409_with_the_status(
    fakes: Fakes, given: object, act: object, status: CaseStatus
) -> None:
    case = given(fakes)  # type: ignore[operator]
    writes = len(fakes.cases.writes)
    with pytest.raises(InvalidTransition) as conflict:
        act(fakes.case_service(), case.id)  # type: ignore[operator]
    assert conflict.value.status == status
    assert len(fakes.cases.writes) == writes


def test_a_unit_that_returned_a_case_hears_returned_not_unknown(fakes: Fakes) -> None:
    # the domain's state rule comes before who holds the case now
    case = dispatched(fakes)
    service = fakes.case_service()
    service.return_case(STAFF, case.id, "not ours")
    with pytest.raises(InvalidTransition) as conflict:
        service.accept(STAFF, case.id)
    assert conflict.value.status == CaseStatus.RETURNED


# --- optimistic locking ----------------------------------------------------------------------------


def test_an_action_that_loses_a_race_is_decided_again_on_the_new_state(fakes: Fakes) -> None:
    # Given a dispatched case, and a sweep warning it between the unit's read and its write
    case = dispatched(fakes)
    raced: list[Transition] = []

    def warn_first(transition: Transition) -> None:
        if not raced:
            raced.append(lifecycle.warn_deadline(stored(fakes, case.id), fakes.clock()))
            fakes.cases.save(raced[0])

    fakes.cases.before_save = warn_first
    # When the unit accepts
    detail = fakes.case_service().accept(STAFF, case.id)
    # Then the first save lost, the action was decided again on the warned case, and both events exist
    assert fakes.cases.conflicts == 1
    assert detail.case.status == CaseStatus.IN_PROGRESS and detail.case.warned_round == 1
    assert fakes.cases.event_types(case.id)[-2:] == [EventType.DEADLINE_WARNING, EventType.ACCEPTED]


def test_an_action_gives_up_when_the_case_keeps_changing(fakes: Fakes) -> None:
    case = dispatched(fakes)

    def always_changed(transition: Transition) -> None:
        current = stored(fakes, case.id)
        fakes.cases.cases[case.id] = current.model_copy(update={"version": current.version + 1})

    fakes.cases.before_save = always_changed
    with pytest.raises(ConcurrentUpdate):
        fakes.case_service().accept(STAFF, case.id)
    assert fakes.cases.conflicts == MAX_ATTEMPTS


# --- the workflow signal ---------------------------------------------------------------------------


def test_no_signal_without_a_parked_workflow_and_a_stale_token_does_not_fail_the_action(fakes: Fakes) -> None:
    # Given a case whose workflow has not parked yet (no token)
    case = submitted(fakes)
    now: datetime = fakes.clock()
    case = fakes.cases.save(lifecycle.queue_for_dispatcher(case, now, "no rule"))
    service = fakes.case_service()
    # When a dispatcher sends it to a unit: the case moves, nothing is signalled
    service.dispatch(DISPATCHER, case.id, TRAFFIC)
    assert fakes.workflow.signals == []
    # Given a parked wait whose token went stale (its timer fired meanwhile)
    parked = park(fakes, stored(fakes, case.id), "handling")
    fakes.workflow.stale.add(parked.wait.token)  # type: ignore[union-attr]
    service.accept(STAFF, case.id)
    # When the unit replies, the signal is answered "stale" and the reply still stands
    detail = service.reply(STAFF, case.id, "done")
    assert detail.case.status == CaseStatus.REPLIED
    assert fakes.workflow.outcomes() == ["replied"]


# --- reading ---------------------------------------------------------------------------------------


def test_staff_see_the_cases_sms_outbox_and_the_full_phone_while_they_hold_it(fakes: Fakes) -> None:
    case = dispatched(fakes)
    notice = Notice(
        case_id=case.id,
        event_seq=2,
        event_type=EventType.DISPATCHED,
        kind="citizen",
        to=case.phone,
        body="...",
        segments=1,
    )
    fakes.outbox.claim(notice, fakes.clock())
    fakes.outbox.finish(notice, OutboxStatus.SENT, fakes.clock(), "sms-1", None)

    detail = fakes.case_service().staff_case(STAFF, case.id)

    assert [(o.kind, o.status, o.provider_message_id) for o in detail.outbox] == [("citizen", "SENT", "sms-1")]
    assert detail.citizen_phone == case.phone
    # a dispatcher sees the case, not the full number
    assert fakes.case_service().staff_case(DISPATCHER, case.id).citizen_phone is None


def test_a_supervisor_who_reveals_the_phone_is_recorded(fakes: Fakes) -> None:
    case = dispatched(fakes)
    detail = fakes.case_service().staff_case(SUPERVISOR, case.id, reveal_phone=True)
    assert detail.citizen_phone == case.phone
    events = fakes.cases.timeline(case.id)
    assert events[-1].actor_role == Role.SUPERVISOR and events[-1].actor_id == SUPERVISOR.id
