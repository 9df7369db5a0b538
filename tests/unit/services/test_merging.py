"""并单 and "me too" on fakes: merging two reports of one problem, every reporter hearing the kept
case's reply and closure once, every reporter's rating counting (one rollback per round), the undoing
of a merge, and the refusals (another unit's case, a merged or closed case, another topic)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from minyi.domain import lifecycle
from minyi.domain.deadlines import CITY_TZ
from minyi.domain.errors import Forbidden, InvalidInput, InvalidTransition, NotFound
from minyi.domain.models import Actor, Case, CaseStatus, CloseReason, EventType, Role
from minyi.domain.scoreboard import UnitScores, increments
from minyi.services.results import Scorecard
from tests.fakes import Fakes
from tests.unit.services.conftest import (
    CITIZEN,
    DISPATCHER,
    OTHER_CITIZEN,
    OTHER_PHONE,
    OTHER_STAFF,
    PHONE,
    STAFF,
    SUPERVISOR,
    TRAFFIC,
    new_request,
)
from tests.unit.services.test_case_service import dispatched, park, stored

SATISFIED = Scorecard(speed=5, effectiveness=4, experience=5, feedback_quality=4)
UNSATISFIED = Scorecard(speed=2, effectiveness=4, experience=5, feedback_quality=4)
THIRD_PHONE = "+8613700002222"
THIRD_CITIZEN = Actor(role=Role.CITIZEN, id="citizen-3", phone=THIRD_PHONE)


def two_reports(fakes: Fakes) -> tuple[Case, Case]:
    """Two citizens report the same broken light; both cases are dispatched to the traffic police."""
    kept = dispatched(fakes)
    other = stored(fakes, fakes.request_service().submit(OTHER_CITIZEN, new_request(phone=OTHER_PHONE)).id)
    now = fakes.clock()
    due = fakes.deadlines.due_at(now, 5)
    other = fakes.cases.save(lifecycle.dispatch(other, TRAFFIC, due, lifecycle.ROUTER, now, "by rule"))
    return kept, park(fakes, other, "handling")


def notify_all(fakes: Fakes, case_id: str) -> None:
    service = fakes.notify_service()
    for event in fakes.cases.timeline(case_id):
        service.handle(event)


def replied_after_merge(fakes: Fakes) -> tuple[Case, Case]:
    kept, other = two_reports(fakes)
    fakes.case_service().merge(STAFF, other.id, kept.tracking_no, "the same light")
    service = fakes.case_service()
    service.accept(STAFF, kept.id)
    service.reply(STAFF, kept.id, "The light is repaired.")
    return park(fakes, stored(fakes, kept.id), "rating"), stored(fakes, other.id)


def test_a_merge_leaves_the_merged_case_off_the_lists_and_its_reporter_on_the_kept_case(fakes: Fakes) -> None:
    # Given two open reports of the same problem held by the same unit, the merged one's workflow parked
    kept, other = two_reports(fakes)
    # When the unit merges the second into the first
    detail = fakes.case_service().merge(STAFF, other.id, kept.tracking_no.lower(), "the same light")
    # Then the second is MERGED into the first's number, its workflow ends, and nothing is in its unit's inbox
    assert detail.case.status == CaseStatus.MERGED
    assert detail.case.merged_into == kept.tracking_no
    assert (other.wait.token, {"outcome": "closed"}) in fakes.workflow.signals  # type: ignore[union-attr]
    inbox = fakes.case_service().inbox(STAFF, TRAFFIC, None, 50, None)
    assert [c.id for c in inbox.cases] == [kept.id]
    # And the kept case lists the merged case's reporter, with their phone and language, both events written
    after = stored(fakes, kept.id)
    assert [(r.citizen_id, r.phone, r.case_id) for r in after.reporters] == [(OTHER_CITIZEN.id, OTHER_PHONE, other.id)]
    assert fakes.cases.event_types(other.id)[-1] == EventType.MERGED
    assert fakes.cases.event_types(kept.id)[-1] == EventType.REPORTER_ADDED
    merged_event = fakes.cases.timeline(other.id)[-1]
    assert merged_event.facts["into"] == kept.tracking_no and merged_event.note == "the same light"
    # And the scoreboard counts the merge and the reporter apart, and the merged case leaves its unit's workload
    assert increments(merged_event) == {"merged": 1, "dispatched": -1}
    assert increments(fakes.cases.timeline(kept.id)[-1]) == {"reporters": 1}


def test_the_merged_citizen_is_texted_into_which_case(fakes: Fakes) -> None:
    # Given two reports of one problem
    kept, other = two_reports(fakes)
    # When they are merged and the merge's events are streamed to notify
    fakes.case_service().merge(DISPATCHER, other.id, kept.tracking_no, "the same light")
    notify_all(fakes, other.id)
    # Then the merged case's citizen hears the kept case's number
    assert any(kept.tracking_no in body for body in fakes.sender.to(OTHER_PHONE))


def test_every_reporter_hears_the_reply_and_the_closure_exactly_once(fakes: Fakes) -> None:
    # Given a kept case with a merged reporter, answered by its unit
    kept, _ = replied_after_merge(fakes)
    # When its events are streamed to notify twice (a redelivered batch)
    notify_all(fakes, kept.id)
    notify_all(fakes, kept.id)
    # Then the citizen and the merged reporter each got the reply once, each with a code of their own
    mine = [b for b in fakes.sender.to(PHONE) if "repaired" in b or fakes.links.code(kept.tracking_no, 1) in b]
    theirs = fakes.sender.to(OTHER_PHONE)
    reporter_code = fakes.links.code(kept.tracking_no, 1, OTHER_CITIZEN.id)
    assert len([b for b in theirs if reporter_code in b]) == 1
    assert len(mine) == 1
    assert reporter_code != fakes.links.code(kept.tracking_no, 1)


def test_the_case_closes_when_every_reporter_rated_it_satisfied(fakes: Fakes) -> None:
    # Given a replied case with a merged reporter
    kept, other = replied_after_merge(fakes)
    # When its citizen rates it satisfied
    first = fakes.case_service().rate(CITIZEN, kept.id, SATISFIED)
    # Then it still waits for the other reporter
    assert first.case.status == CaseStatus.REPLIED
    # When the merged reporter rates through their own (merged) case
    theirs = fakes.case_service().rate(OTHER_CITIZEN, other.id, SATISFIED)
    # Then they are answered with their own case, and the kept case closes satisfied with both ratings
    assert theirs.case.id == other.id
    after = stored(fakes, kept.id)
    assert after.status == CaseStatus.CLOSED and after.closed_reason == CloseReason.SATISFIED
    assert [r.by for r in after.ratings] == [None, OTHER_CITIZEN.id]


def test_an_unsatisfied_reporter_rolls_back_once_per_round(fakes: Fakes) -> None:
    # Given a replied case with a merged reporter and a follower (me too)
    kept, _ = replied_after_merge(fakes)
    fakes.request_service().follow(THIRD_CITIZEN, kept.tracking_no)
    # When the merged reporter rates unsatisfied with the SMS code of their own
    code = fakes.links.code(kept.tracking_no, 1, OTHER_CITIZEN.id)
    fakes.link_rating().rate(kept.tracking_no, code, UNSATISFIED, "203.0.113.9")
    # Then the problem is rolled back to the unit
    after = stored(fakes, kept.id)
    assert after.status == CaseStatus.REOPENED and after.round == 2
    # When the follower rates the same reply unsatisfied too
    third = fakes.links.code(kept.tracking_no, 1, THIRD_CITIZEN.id)
    fakes.link_rating().rate(kept.tracking_no, third, UNSATISFIED, "203.0.113.10")
    # Then it is recorded and counted, but rolls nothing back again
    again = stored(fakes, kept.id)
    assert again.status == CaseStatus.REOPENED and again.round == 2 and again.reopen_count == 1
    assert [(r.by, r.round, r.satisfied) for r in again.ratings] == [
        (OTHER_CITIZEN.id, 1, False),
        (THIRD_CITIZEN.id, 1, False),
    ]
    rated = [e for e in fakes.cases.timeline(kept.id) if e.type == EventType.RATED]
    assert [increments(e) for e in rated] == [{"rated": 1}, {"rated": 1}]
    # And a second rating by the same person is refused
    with pytest.raises(InvalidTransition):
        fakes.link_rating().rate(kept.tracking_no, third, SATISFIED, "203.0.113.10")


def test_me_too_follows_an_open_case_once_and_never_a_closed_one(fakes: Fakes) -> None:
    # Given an open case
    kept = dispatched(fakes)
    # When another citizen says "me too" twice
    first = fakes.request_service().follow(OTHER_CITIZEN, kept.tracking_no)
    second = fakes.request_service().follow(OTHER_CITIZEN, kept.tracking_no)
    # Then they follow it once (one event), and its own citizen's "me too" changes nothing
    assert [r.citizen_id for r in second.reporters] == [OTHER_CITIZEN.id]
    assert first.version == second.version
    assert fakes.request_service().follow(CITIZEN, kept.tracking_no).version == second.version
    # When the case is withdrawn, Then nobody may follow it any more
    fakes.request_service().withdraw(CITIZEN, kept.id, None)
    with pytest.raises(InvalidTransition):
        fakes.request_service().follow(THIRD_CITIZEN, kept.tracking_no)
    with pytest.raises(NotFound):
        fakes.request_service().follow(THIRD_CITIZEN, "SZ0000-NOSUCH")


def test_merges_refused(fakes: Fakes) -> None:
    # Given two reports of one problem
    kept, other = two_reports(fakes)
    service = fakes.case_service()
    # Then another unit's staff do not know the case, and nothing merges into itself or an unknown number
    with pytest.raises(NotFound):
        service.merge(OTHER_STAFF, other.id, kept.tracking_no, "same")
    with pytest.raises(InvalidTransition):
        service.merge(STAFF, other.id, other.tracking_no, "same")
    with pytest.raises(InvalidInput):
        service.merge(STAFF, other.id, "SZ0000-NOSUCH", "same")
    # And once merged, nothing merges into the merged case, and a supervisor does not merge
    service.merge(STAFF, other.id, kept.tracking_no, "same")
    with pytest.raises(InvalidTransition) as into_merged:
        service.merge(STAFF, kept.id, other.tracking_no, "same")
    assert into_merged.value.status == CaseStatus.MERGED
    with pytest.raises(Forbidden):
        service.merge(SUPERVISOR, kept.id, other.tracking_no, "same")


def test_a_case_of_another_topic_is_not_merged(fakes: Fakes) -> None:
    # Given a traffic case and an environment case
    kept = dispatched(fakes)
    noise = fakes.request_service().submit(OTHER_CITIZEN, new_request(phone=OTHER_PHONE, topic="environment"))
    # When a dispatcher merges one into the other, Then it is refused
    with pytest.raises(InvalidTransition) as refused:
        fakes.case_service().merge(DISPATCHER, noise.id, kept.tracking_no, "same")
    assert refused.value.detail is not None and refused.value.detail.key == "error.merge_other_topic"


def test_a_supervisor_undoes_a_merge_and_the_case_is_routed_again(fakes: Fakes) -> None:
    # Given a merged case
    kept, other = two_reports(fakes)
    fakes.case_service().merge(STAFF, other.id, kept.tracking_no, "the same light")
    # When a supervisor undoes the merge
    detail = fakes.case_service().unmerge(SUPERVISOR, other.id, "another junction")
    # Then it is submitted again with no unit, a new workflow execution routes it, and it is off the kept case
    assert detail.case.status == CaseStatus.SUBMITTED and detail.case.unit_id is None
    assert detail.case.merged_into is None
    assert detail.case.execution_name == f"{other.id}-u1"
    assert (other.id, f"{other.id}-u1") in fakes.workflow.starts
    assert stored(fakes, kept.id).reporters == []
    assert fakes.cases.event_types(kept.id)[-1] == EventType.REPORTER_REMOVED
    assert increments(fakes.cases.timeline(other.id)[-1]) == {"merged": -1}
    # And only supervisors may undo a merge; an open case has no merge to undo
    with pytest.raises(InvalidTransition):
        fakes.case_service().unmerge(SUPERVISOR, kept.id, "no")


def count_all(fakes: Fakes, *case_ids: str) -> None:
    """The stream consumer: every event of the cases to the scoreboard, twice (a redelivered batch)."""
    service = fakes.scoreboard_service()
    for _ in range(2):
        for case_id in case_ids:
            for event in fakes.cases.timeline(case_id):
                service.count(event)


def traffic_scores(fakes: Fakes) -> UnitScores:
    day = fakes.clock().astimezone(CITY_TZ).date()
    report = fakes.scoreboard_service().stats_for(SUPERVISOR, day, day, None)
    return next(u for u in report.units if u.unit_id == TRAFFIC)


def test_a_merged_case_counts_once_in_its_units_workload_and_on_time_rate(fakes: Fakes) -> None:
    # Given two reports of one problem dispatched to the traffic police, the second past its deadline
    kept, other = two_reports(fakes)
    other = fakes.cases.save(lifecycle.mark_overdue(other, fakes.clock() + timedelta(days=30)))
    count_all(fakes, kept.id, other.id)
    assert traffic_scores(fakes).dispatched == 2
    # When the second is merged into the first, and the first is answered on time and rated satisfied
    fakes.case_service().merge(STAFF, other.id, kept.tracking_no, "the same light")
    service = fakes.case_service()
    service.accept(STAFF, kept.id)
    service.reply(STAFF, kept.id, "The light is repaired.")
    service.rate(CITIZEN, kept.id, SATISFIED)
    service.rate(OTHER_CITIZEN, other.id, SATISFIED)
    count_all(fakes, kept.id, other.id)
    # Then the unit's workload is one case, closed once and on time (the merged one's overdue does not count)
    scores = traffic_scores(fakes)
    assert (scores.dispatched, scores.closed, scores.closed_on_time) == (1, 1, 1)
    assert scores.open_overdue == 0 and scores.on_time_rate == 1.0
    assert (scores.merged, scores.reporters, scores.rated, scores.satisfied) == (1, 1, 2, 2)


def test_an_undone_merge_counts_the_case_again_once_when_it_is_routed_again(fakes: Fakes) -> None:
    # Given a merged case, every event counted
    kept, other = two_reports(fakes)
    fakes.case_service().merge(STAFF, other.id, kept.tracking_no, "the same light")
    count_all(fakes, kept.id, other.id)
    assert traffic_scores(fakes).dispatched == 1
    # When a supervisor undoes the merge
    fakes.case_service().unmerge(SUPERVISOR, other.id, "another junction")
    count_all(fakes, kept.id, other.id)
    # Then it is off the unit's workload until it is routed
    scores = traffic_scores(fakes)
    assert (scores.dispatched, scores.merged, scores.reporters) == (1, 0, 0)
    # When it is routed again to the same unit and merged again, its workload counts it exactly once each time
    again = stored(fakes, other.id)
    now = fakes.clock()
    again = fakes.cases.save(
        lifecycle.dispatch(again, TRAFFIC, fakes.deadlines.due_at(now, 5), lifecycle.ROUTER, now, "r")
    )
    count_all(fakes, other.id)
    assert traffic_scores(fakes).dispatched == 2
    fakes.case_service().merge(STAFF, other.id, kept.tracking_no, "the same light after all")
    count_all(fakes, kept.id, other.id)
    assert (traffic_scores(fakes).dispatched, traffic_scores(fakes).merged) == (1, 1)


def test_a_merge_from_the_dispatch_queue_takes_nothing_from_a_units_workload(fakes: Fakes) -> None:
    # Given a dispatched case and a second report of it still in the dispatch centre's queue
    kept = dispatched(fakes)
    waiting = stored(fakes, fakes.request_service().submit(OTHER_CITIZEN, new_request(phone=OTHER_PHONE)).id)
    waiting = fakes.cases.save(lifecycle.queue_for_dispatcher(waiting, fakes.clock(), "no rule"))
    # When a dispatcher merges it into the dispatched one
    fakes.case_service().merge(DISPATCHER, waiting.id, kept.tracking_no, "the same light")
    count_all(fakes, kept.id, waiting.id)
    # Then the unit's workload is the one case it was given
    assert traffic_scores(fakes).dispatched == 1
    assert increments(fakes.cases.timeline(waiting.id)[-1]) == {"merged": 1}
