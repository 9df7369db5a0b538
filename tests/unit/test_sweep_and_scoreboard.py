"""Unit tests for the escalation sweep's schedule (minyi.domain.sweep) and the scoreboard arithmetic
(minyi.domain.scoreboard) and its CSV rendering (minyi.api.views.stats_csv). Pure: no AWS, no I/O."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from minyi.api.views import stats_csv
from minyi.domain import lifecycle
from minyi.domain.lifecycle import RatingPolicy, Transition
from minyi.domain.models import Actor, Case, CaseStatus, Category, EventType, Role, TimelineEvent
from minyi.domain.scoreboard import COUNTERS, UNASSIGNED, Scores, increments, league, stats_day, stats_unit
from minyi.domain.sweep import ROUTING_GRACE, WARNING_AT, next_sweep_at, sweep_action
from minyi.services.results import StatsReport

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=TZ)  # a Monday
DISPATCHED_AT = T0 + timedelta(minutes=2)
DUE = DISPATCHED_AT + timedelta(days=8)  # a round number of hours keeps the 75 % point exact
WARN_AT = DISPATCHED_AT + timedelta(days=6)  # 75 % of 8 days
REDO_DUE = datetime(2026, 3, 20, 23, 59, 59, tzinfo=TZ)

UNIT = "futian-traffic-police"
CITIZEN = Actor(role=Role.CITIZEN, id="citizen-1")
STAFF = Actor(role=Role.STAFF, id="staff-1", unit_id=UNIT)
SUPERVISOR = Actor(role=Role.SUPERVISOR, id="supervisor-1")
POLICY = RatingPolicy()
SATISFIED = {"speed": 5, "effectiveness": 4, "experience": 5, "feedback_quality": 4}
UNSATISFIED = {"speed": 2, "effectiveness": 4, "experience": 5, "feedback_quality": 4}


# --- factories ------------------------------------------------------------------------------------


def make_case(**overrides: Any) -> Case:
    fields: dict[str, Any] = {
        "id": "case-1",
        "tracking_no": "SZ2603-7KQ3MX",
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
    return lifecycle.dispatch(submitted_case(), UNIT, DUE, lifecycle.ROUTER, DISPATCHED_AT, "by rule").after


def replied_case(case: Case | None = None, at: datetime = T0 + timedelta(days=1)) -> Case:
    case = lifecycle.accept(case or dispatched_case(), STAFF, at - timedelta(hours=1)).after
    return lifecycle.reply(case, "Fixed the lights.", STAFF, at).after


def rate(case: Case, scores: dict[str, int], at: datetime) -> Transition:
    return lifecycle.rate(case, scores, None, CITIZEN, at, POLICY, REDO_DUE)


def event(type_: EventType, unit_id: str | None = UNIT, at: datetime = T0, **facts: bool | int | str) -> TimelineEvent:
    return TimelineEvent(
        case_id="case-1",
        seq=1,
        type=type_,
        at=at,
        actor_role=Role.SYSTEM,
        actor_id="test",
        status=CaseStatus.DISPATCHED,
        unit_id=unit_id,
        facts=facts,
    )


def events_of(transition: Transition, type_: EventType) -> TimelineEvent:
    [found] = [e for e in transition.events if e.type == type_]
    return found


# --- next_sweep_at / sweep_action: SUBMITTED --------------------------------------------------------


def test_submitted_case_is_checked_after_the_routing_grace() -> None:
    """Given a case just submitted and not yet routed
    When the sweep schedule is computed
    Then it is due at created_at + 5 minutes, and only then does the sweep check its workflow."""
    case = submitted_case()

    assert next_sweep_at(case) == T0 + ROUTING_GRACE == T0 + timedelta(minutes=5)
    assert sweep_action(case, T0 + timedelta(minutes=4, seconds=59)) == "none"
    assert sweep_action(case, T0 + timedelta(minutes=5)) == "check_workflow"
    assert sweep_action(case, T0 + timedelta(days=3)) == "check_workflow"


def test_submitted_case_queued_for_a_dispatcher_is_not_swept() -> None:
    """Given a submitted case the router put in the dispatch centre's queue
    When the sweep schedule is computed
    Then there is nothing for the sweep to check (a person is responsible now)."""
    case = lifecycle.queue_for_dispatcher(submitted_case(), T0 + timedelta(seconds=5), "no rule").after

    assert next_sweep_at(case) is None
    assert sweep_action(case, T0 + timedelta(days=30)) == "none"


# --- next_sweep_at / sweep_action: handling -----------------------------------------------------------


@pytest.mark.parametrize("status", [CaseStatus.DISPATCHED, CaseStatus.IN_PROGRESS])
def test_handling_case_is_first_due_at_75_percent_of_its_handling_time(status: CaseStatus) -> None:
    """Given a dispatched (or accepted) case with 8 days to answer, not yet warned this round
    When the sweep schedule is computed
    Then it is due at 75 % of the handling time (6 days after dispatch), and the action there is a warning."""
    case = dispatched_case()
    if status == CaseStatus.IN_PROGRESS:
        case = lifecycle.accept(case, STAFF, DISPATCHED_AT + timedelta(hours=1)).after
    assert case.status == status

    assert next_sweep_at(case) == WARN_AT == DISPATCHED_AT + (DUE - DISPATCHED_AT) * WARNING_AT
    assert sweep_action(case, WARN_AT - timedelta(seconds=1)) == "none"
    assert sweep_action(case, WARN_AT) == "warn"
    assert sweep_action(case, DUE - timedelta(seconds=1)) == "warn"


def test_warned_case_is_next_due_at_its_deadline_then_overdue() -> None:
    """Given a case already warned this round
    When the sweep schedule is computed
    Then it is next due at the deadline, and from the deadline on the action is to mark it overdue."""
    case = lifecycle.warn_deadline(dispatched_case(), WARN_AT).after

    assert next_sweep_at(case) == DUE
    assert sweep_action(case, DUE - timedelta(seconds=1)) == "none"
    assert sweep_action(case, DUE) == "overdue"
    assert sweep_action(case, DUE + timedelta(days=2)) == "overdue"


def test_unwarned_case_past_its_deadline_goes_straight_to_overdue() -> None:
    """Given a case the sweep never warned (e.g. it was not running)
    When the sweep runs after the deadline
    Then it escalates rather than warning late."""
    case = dispatched_case()

    assert sweep_action(case, DUE + timedelta(seconds=1)) == "overdue"


def test_warning_then_overdue_in_sequence_empties_the_schedule() -> None:
    """Given a dispatched case
    When the sweep warns it at 75 % and marks it overdue at the deadline
    Then an overdue case leaves the sweep's schedule (the workflow and supervisors take over)."""
    case = dispatched_case()
    case = lifecycle.warn_deadline(case, WARN_AT).after
    case = lifecycle.mark_overdue(case, DUE + timedelta(seconds=1)).after

    assert case.overdue is True
    assert next_sweep_at(case) is None
    assert sweep_action(case, DUE + timedelta(days=10)) == "none"


def test_a_reopened_round_gets_its_own_warning_point() -> None:
    """Given a case warned in round 1, answered and rated unsatisfied (reopened for a redo)
    When the sweep schedule is computed
    Then round 2 is due at 75 % of its own handling time, from the rating to the redo deadline."""
    case = lifecycle.warn_deadline(dispatched_case(), WARN_AT).after
    rated_at = WARN_AT + timedelta(hours=2)
    case = rate(replied_case(case, WARN_AT + timedelta(hours=1)), UNSATISFIED, rated_at).after
    assert case.status == CaseStatus.REOPENED and case.round == 2

    expected = rated_at + (REDO_DUE - rated_at) * 0.75
    assert next_sweep_at(case) == expected
    assert sweep_action(case, expected) == "warn"


def test_supervised_round_is_swept_too() -> None:
    """Given a case under special supervision (round 3)
    When the sweep schedule is computed
    Then it is due at 75 % of the supervised round's handling time."""
    case = rate(replied_case(), UNSATISFIED, T0 + timedelta(days=2)).after
    case = rate(replied_case(case, T0 + timedelta(days=3)), UNSATISFIED, T0 + timedelta(days=4)).after
    assert case.status == CaseStatus.SUPERVISED

    start = T0 + timedelta(days=4)
    assert next_sweep_at(case) == start + (REDO_DUE - start) * 0.75


def test_overdue_closed_and_flagged_cases_are_not_swept() -> None:
    """Given an overdue case, a closed case and a flagged case
    When the sweep schedule is computed
    Then none of them is in the sweep's index and the sweep does nothing with them."""
    later = DUE + timedelta(days=30)
    overdue = lifecycle.mark_overdue(dispatched_case(), DUE + timedelta(seconds=1)).after
    closed = rate(replied_case(), SATISFIED, T0 + timedelta(days=2)).after
    flagged = lifecycle.flag_for_supervisor(dispatched_case(), T0, "restarts exhausted").after
    flagged_submitted = lifecycle.flag_for_supervisor(submitted_case(), T0, "not routed").after
    assert closed.status == CaseStatus.CLOSED

    for case in (overdue, closed, flagged, flagged_submitted):
        assert next_sweep_at(case) is None, case
        assert sweep_action(case, later) == "none"


@pytest.mark.parametrize("status", [CaseStatus.REPLIED, CaseStatus.RETURNED])
def test_statuses_where_no_unit_owes_an_answer_are_not_swept(status: CaseStatus) -> None:
    """Given a replied case (waiting for the citizen) or a returned one (with the dispatch centre)
    When the sweep schedule is computed
    Then there is no deadline for the sweep to watch."""
    if status == CaseStatus.REPLIED:
        case = replied_case()
    else:
        case = lifecycle.return_to_dispatch(dispatched_case(), "not ours", STAFF, T0 + timedelta(hours=1)).after
    assert case.status == status

    assert next_sweep_at(case) is None


def test_approved_extension_moves_the_sweep_to_the_new_deadline() -> None:
    """Given a warned case whose unit got more time
    When the sweep schedule is computed
    Then it is due at the new deadline."""
    case = lifecycle.warn_deadline(dispatched_case(), WARN_AT).after
    case = lifecycle.request_extension(case, 2, "waiting for a report", STAFF, WARN_AT).after
    new_due = DUE + timedelta(days=2)
    case = lifecycle.decide_extension(case, True, new_due, SUPERVISOR, WARN_AT + timedelta(hours=1), None).after

    assert next_sweep_at(case) == new_due
    assert sweep_action(case, DUE + timedelta(seconds=1)) == "none"


# --- increments ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_", "facts", "expected"),
    [
        (EventType.SUBMITTED, {}, {"submitted": 1}),
        (EventType.DISPATCHED, {}, {"dispatched": 1}),
        (EventType.RATED, {"satisfied": True}, {"rated": 1, "satisfied": 1}),
        (EventType.RATED, {"satisfied": False}, {"rated": 1}),
        (EventType.REOPENED, {}, {"reopened": 1}),
        (EventType.SUPERVISED, {}, {"supervised": 1}),
        (EventType.OVERDUE, {}, {"overdue": 1}),
        (
            EventType.CLOSED,
            {"on_time": True, "satisfied": True, "resolved_after_rollback": False},
            {"closed": 1, "closed_on_time": 1},
        ),
        (
            EventType.CLOSED,
            {"on_time": True, "satisfied": True, "resolved_after_rollback": True},
            {"closed": 1, "closed_on_time": 1, "resolved_after_rollback": 1},
        ),
        (
            EventType.CLOSED,
            {"on_time": False, "satisfied": True, "resolved_after_rollback": True},
            {"closed": 1, "resolved_after_rollback": 1},
        ),
        (EventType.CLOSED, {"on_time": False, "satisfied": False}, {"closed": 1}),
        (EventType.CLOSED, {}, {"closed": 1}),
    ],
)
def test_increments_per_event_type(type_: EventType, facts: dict[str, bool], expected: dict[str, int]) -> None:
    """Given a timeline event of a counted type with its facts
    When the scoreboard computes its increments
    Then it adds exactly the matching counters, each by one."""
    assert increments(event(type_, **facts)) == expected
    assert set(expected) <= set(COUNTERS)


@pytest.mark.parametrize(
    "type_",
    [
        EventType.QUEUED,
        EventType.ACCEPTED,
        EventType.RETURNED,
        EventType.REPLIED,
        EventType.DEADLINE_WARNING,
        EventType.EXTENSION_REQUESTED,
        EventType.EXTENSION_APPROVED,
        EventType.EXTENSION_REFUSED,
        EventType.WORKFLOW_REPAIRED,
        EventType.FLAGGED,
    ],
)
def test_events_the_scoreboard_does_not_count(type_: EventType) -> None:
    """Given an event that is not a scoreboard outcome
    When the scoreboard computes its increments
    Then they are empty."""
    assert increments(event(type_, satisfied=True, on_time=True)) == {}


def test_increments_from_real_transitions_carry_the_closing_facts() -> None:
    """Given the closing transitions the lifecycle really produces
    When the scoreboard counts their events
    Then satisfied-first-time, resolved-after-rollback, under-supervision and unrated closures count as expected."""
    # satisfied on time, first round
    first = rate(replied_case(), SATISFIED, T0 + timedelta(days=2))
    assert increments(events_of(first, EventType.RATED)) == {"rated": 1, "satisfied": 1}
    assert increments(events_of(first, EventType.CLOSED)) == {"closed": 1, "closed_on_time": 1}

    # unsatisfied, redone, then satisfied: resolved after a rollback
    rollback = rate(replied_case(), UNSATISFIED, T0 + timedelta(days=2))
    assert increments(events_of(rollback, EventType.RATED)) == {"rated": 1}
    assert increments(events_of(rollback, EventType.REOPENED)) == {"reopened": 1}
    redo = rate(replied_case(rollback.after, T0 + timedelta(days=3)), SATISFIED, T0 + timedelta(days=4))
    assert increments(events_of(redo, EventType.CLOSED)) == {
        "closed": 1,
        "closed_on_time": 1,
        "resolved_after_rollback": 1,
    }

    # unsatisfied twice: supervised, then closed under supervision (not a rollback success)
    supervised = rate(replied_case(rollback.after, T0 + timedelta(days=3)), UNSATISFIED, T0 + timedelta(days=4))
    assert increments(events_of(supervised, EventType.SUPERVISED)) == {"supervised": 1}
    final = rate(replied_case(supervised.after, T0 + timedelta(days=5)), UNSATISFIED, T0 + timedelta(days=6))
    assert increments(events_of(final, EventType.CLOSED)) == {"closed": 1, "closed_on_time": 1}

    # supervised, then satisfied: resolved after the rollback too (the footnote counts every reopened
    # case later closed satisfied, supervision included)
    after_supervision = rate(replied_case(supervised.after, T0 + timedelta(days=5)), SATISFIED, T0 + timedelta(days=6))
    assert increments(events_of(after_supervision, EventType.CLOSED)) == {
        "closed": 1,
        "closed_on_time": 1,
        "resolved_after_rollback": 1,
    }

    # replied late (after the deadline), closed unrated: closed, not on time
    late = lifecycle.mark_overdue(dispatched_case(), DUE + timedelta(seconds=1)).after
    late = replied_case(late, DUE + timedelta(hours=2))
    unrated = lifecycle.close_unrated(late, DUE + timedelta(days=4))
    assert increments(events_of(unrated, EventType.CLOSED)) == {"closed": 1}


def test_stats_day_is_the_shanghai_date_and_unitless_events_are_unassigned() -> None:
    """Given events just before and after midnight in Shenzhen, one without a unit
    When the scoreboard files them
    Then the day is the Asia/Shanghai date of the event time and the unit 'unassigned' when there is none."""
    before_midnight = event(EventType.DISPATCHED, at=datetime(2026, 3, 1, 15, 59, 59, tzinfo=UTC))
    after_midnight = event(EventType.SUBMITTED, unit_id=None, at=datetime(2026, 3, 1, 16, 0, 0, tzinfo=UTC))

    assert stats_day(before_midnight) == date(2026, 3, 1)
    assert stats_day(after_midnight) == date(2026, 3, 2)
    assert stats_unit(before_midnight) == UNIT
    assert stats_unit(after_midnight) == UNASSIGNED


# --- league -------------------------------------------------------------------------------------------


def test_league_totals_rates_and_ordering() -> None:
    """Given counter rows for three units over two days, plus unassigned submissions
    When the league is computed
    Then totals add every row, each unit's rows are summed, rates are closed_on_time/closed and
    satisfied/rated, and the table is ordered by on-time rate, then satisfaction, then volume."""
    rows = [
        (UNASSIGNED, {"submitted": 9}),
        ("a-unit", {"dispatched": 2, "closed": 2, "closed_on_time": 1, "rated": 2, "satisfied": 2}),
        ("a-unit", {"dispatched": 2, "closed": 2, "closed_on_time": 1, "rated": 2, "satisfied": 0}),
        ("b-unit", {"dispatched": 3, "closed": 3, "closed_on_time": 3, "rated": 4, "satisfied": 1, "reopened": 1}),
        ("c-unit", {"dispatched": 4, "closed": 4, "closed_on_time": 2, "rated": 3, "satisfied": 3, "overdue": 2}),
        ("d-unit", {"dispatched": 1}),
    ]
    names = {"a-unit": "A", "b-unit": "B", "c-unit": "C"}

    totals, table = league(rows, names)

    assert totals.submitted == 9
    assert totals.dispatched == 12
    assert totals.closed == 11
    assert totals.closed_on_time == 7
    assert totals.rated == 11
    assert totals.satisfied == 6
    assert totals.reopened == 1
    assert totals.overdue == 2
    assert totals.on_time_rate == round(7 / 11, 4)
    assert totals.satisfaction_rate == round(6 / 11, 4)

    # b: 1.0 on time; then a and c both at 0.5 on time, c more satisfied; d has nothing closed
    assert [u.unit_id for u in table] == ["b-unit", "c-unit", "a-unit", "d-unit"]
    by_id = {u.unit_id: u for u in table}
    assert UNASSIGNED not in by_id
    assert (by_id["a-unit"].closed, by_id["a-unit"].on_time_rate, by_id["a-unit"].satisfaction_rate) == (4, 0.5, 0.5)
    assert (by_id["b-unit"].on_time_rate, by_id["b-unit"].satisfaction_rate) == (1.0, 0.25)
    assert (by_id["c-unit"].on_time_rate, by_id["c-unit"].satisfaction_rate) == (0.5, 1.0)
    assert by_id["a-unit"].unit_name == "A"
    assert by_id["d-unit"].unit_name is None


def test_rates_are_none_when_nothing_was_closed_or_rated() -> None:
    """Given a unit that has only been dispatched cases
    When the league is computed
    Then its rates are None (not 0): there is nothing to divide by."""
    totals, [unit] = league([("a-unit", {"dispatched": 3})], {})

    assert unit.on_time_rate is None and unit.satisfaction_rate is None
    assert totals.on_time_rate is None and totals.satisfaction_rate is None
    empty_totals, empty_table = league([], {})
    assert empty_table == []
    assert empty_totals == Scores().with_rates()
    assert empty_totals.submitted == 0 and empty_totals.on_time_rate is None


def test_league_ties_fall_back_to_volume_then_unit_id() -> None:
    """Given units with the same rates
    When the league is computed
    Then the unit that closed more comes first, and equal ones are ordered by id."""
    same = {"closed": 2, "closed_on_time": 2, "rated": 2, "satisfied": 2}
    rows = [("z-unit", same), ("y-unit", same), ("x-unit", {k: v * 2 for k, v in same.items()})]

    _, table = league(rows, {})

    assert [u.unit_id for u in table] == ["x-unit", "y-unit", "z-unit"]


def test_scores_ignore_non_counter_fields_of_a_row() -> None:
    """Given a stored counter row with bookkeeping numbers besides the counters
    When it is added to the scores
    Then only the known counters are summed."""
    scores = Scores()
    scores.add({"closed": 2, "version": 7, "ttl": 99})

    assert scores.closed == 2
    assert scores.model_dump().keys() == {*COUNTERS, "open_overdue", "on_time_rate", "satisfaction_rate"}


# --- stats_csv -------------------------------------------------------------------------------------------


def test_csv_has_a_header_a_row_per_unit_and_a_total_row() -> None:
    """Given a stats report for two units
    When it is rendered as CSV
    Then there is a header, one row per unit in league order and a TOTAL row; rates of None are empty."""
    totals, table = league(
        [
            (UNASSIGNED, {"submitted": 3}),
            ("a-unit", {"closed": 1, "closed_on_time": 1, "rated": 1, "satisfied": 1}),
            ("b-unit", {"dispatched": 1}),
        ],
        {"a-unit": "福田交警"},
    )
    day = date(2026, 3, 2)
    report = StatsReport(day_from=day, day_to=day, unit_id=None, totals=totals, units=table, items_read=3)

    text = stats_csv(report)
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))

    assert text.startswith("\ufeff"), "a byte order mark, so Excel reads the Chinese unit names"
    assert rows[0] == ["unit_id", "unit_name", *COUNTERS, "open_overdue", "on_time_rate", "satisfaction_rate"]
    assert [r[0] for r in rows[1:]] == ["a-unit", "b-unit", "TOTAL"]
    header = rows[0]
    a, b, total = (dict(zip(header, r, strict=True)) for r in rows[1:])
    assert a["unit_name"] == "福田交警" and a["closed"] == "1" and a["on_time_rate"] == "1.0"
    assert b["on_time_rate"] == "" and b["satisfaction_rate"] == ""
    assert total["submitted"] == "3" and total["closed"] == "1" and total["unit_name"] == ""
