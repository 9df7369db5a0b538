"""ScoreboardService on fakes: events counted once per unit and Shenzhen day, open-overdue gauges,
the period asked for (or the last 30 days) within what the reader's role may ask, and who sees what."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from minyi.domain import lifecycle
from minyi.domain.deadlines import CITY_TZ
from minyi.domain.errors import Forbidden, InvalidInput
from minyi.domain.models import Actor, Case, Role
from minyi.domain.scoreboard import UNASSIGNED
from minyi.services.scoreboard import DEFAULT_DAYS, MAX_DAYS_BY_ROLE
from tests.fakes import Fakes
from tests.unit.services.conftest import (
    CITIZEN,
    DISPATCHER,
    OTHER_UNIT,
    STAFF,
    SUPERVISOR,
    TRAFFIC,
    new_request,
)

#: The fakes' clock starts at 09:00 on Monday 2 March in Shenzhen.
DAY = date(2026, 3, 2)
SATISFIED = {"speed": 5, "effectiveness": 5, "experience": 5, "feedback_quality": 5}


def counted_case(fakes: Fakes, unit: str = TRAFFIC) -> Case:
    """Submitted, dispatched to `unit`, answered and rated satisfied on time; every event counted."""
    case = fakes.cases.get_case(fakes.request_service().submit(CITIZEN, new_request()).id)
    assert case is not None
    now = fakes.clock()
    staff = Actor(role=Role.STAFF, id="s", unit_id=unit)
    case = fakes.cases.save(lifecycle.dispatch(case, unit, now + timedelta(days=5), lifecycle.ROUTER, now, "rule"))
    case = fakes.cases.save(lifecycle.accept(case, staff, now))
    case = fakes.cases.save(lifecycle.reply(case, "done", staff, now))
    owner = Actor(role=Role.CITIZEN, id=case.citizen_id)
    case = fakes.cases.save(
        lifecycle.rate(case, SATISFIED, None, owner, now, lifecycle.RatingPolicy(), now + timedelta(days=5))
    )
    service = fakes.scoreboard_service()
    for event in fakes.cases.timeline(case.id):
        service.count(event)
    return case


def test_each_event_is_counted_once_per_unit_and_day(fakes: Fakes) -> None:
    case = counted_case(fakes)
    service = fakes.scoreboard_service()
    # a redelivered event adds nothing
    assert all(service.count(e) is False for e in fakes.cases.timeline(case.id))

    report = service.stats(DAY, DAY, None)

    assert (report.totals.submitted, report.totals.dispatched, report.totals.closed) == (1, 1, 1)
    assert (report.totals.rated, report.totals.satisfied, report.totals.closed_on_time) == (1, 1, 1)
    assert [u.unit_id for u in report.units] == [TRAFFIC]
    # each unit named as the catalogue names it, in Chinese and in English
    unit = fakes.catalog.get().units[TRAFFIC]
    assert (report.units[0].unit_name, report.units[0].unit_name_en) == (unit.name, unit.name_en)
    assert report.totals.on_time_rate == 1.0 and report.totals.satisfaction_rate == 1.0
    # the submission belongs to no unit until it is routed
    assert fakes.counters.day_rows(DAY.isoformat())[UNASSIGNED]["submitted"] == 1


def test_an_event_that_is_not_in_the_table_is_not_counted(fakes: Fakes) -> None:
    case = counted_case(fakes)
    ghost = fakes.cases.timeline(case.id)[0].model_copy(update={"case_id": "ghost"})
    assert fakes.scoreboard_service().count(ghost) is False


def test_a_case_past_its_deadline_counts_against_its_unit_until_it_leaves(fakes: Fakes) -> None:
    # Given a dispatched case that goes overdue
    case = fakes.cases.get_case(fakes.request_service().submit(CITIZEN, new_request()).id)
    assert case is not None
    now = fakes.clock()
    case = fakes.cases.save(lifecycle.dispatch(case, TRAFFIC, now + timedelta(days=1), lifecycle.ROUTER, now, "r"))
    case = fakes.cases.save(lifecycle.mark_overdue(case, now + timedelta(days=2)))
    service = fakes.scoreboard_service()
    for event in fakes.cases.timeline(case.id):
        service.count(event)
    # Then the unit has one case open past its deadline
    assert fakes.counters.open_overdue(TRAFFIC) == {TRAFFIC: 1}
    # When it is answered and closed, the gauge goes back down
    staff = Actor(role=Role.STAFF, id="s", unit_id=TRAFFIC)
    case = fakes.cases.save(lifecycle.accept(case, staff, now + timedelta(days=2)))
    case = fakes.cases.save(lifecycle.reply(case, "late", staff, now + timedelta(days=2)))
    case = fakes.cases.save(lifecycle.close_unrated(case, now + timedelta(days=6)))
    for event in fakes.cases.timeline(case.id):
        service.count(event)
    assert fakes.counters.open_overdue(TRAFFIC) == {TRAFFIC: 0}


def test_without_a_period_the_last_30_days_and_one_bound_fills_the_other(fakes: Fakes) -> None:
    service = fakes.scoreboard_service()
    first, last = service.period(None, None, 366)
    assert last == fakes.clock().astimezone(CITY_TZ).date()
    assert (last - first).days == DEFAULT_DAYS - 1
    assert service.period(date(2026, 1, 1), None, 366) == (date(2026, 1, 1), date(2026, 1, 30))
    assert service.period(None, date(2026, 2, 28), 366) == (date(2026, 1, 30), date(2026, 2, 28))


@pytest.mark.parametrize(
    ("day_from", "day_to", "field"),
    [(date(2026, 3, 5), date(2026, 3, 4), "to"), (date(2025, 1, 1), date(2026, 1, 2), "to")],
    ids=["backwards", "longer-than-a-year"],
)
def test_a_bad_period_is_refused_naming_the_field(fakes: Fakes, day_from: date, day_to: date, field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        fakes.scoreboard_service().stats_for(SUPERVISOR, day_from, day_to, None)
    assert refused.value.field == field


def test_a_full_leap_year_is_allowed_and_read_once_per_month(fakes: Fakes) -> None:
    report = fakes.scoreboard_service().stats_for(SUPERVISOR, date(2024, 1, 1), date(2024, 12, 31), None)
    assert report.totals.closed == 0 and report.items_read == 12


@pytest.mark.parametrize(("actor", "days"), [(STAFF, 93), (DISPATCHER, 186), (SUPERVISOR, 366)])
def test_how_long_a_period_may_be_depends_on_the_role(fakes: Fakes, actor: Actor, days: int) -> None:
    assert MAX_DAYS_BY_ROLE[actor.role] == days
    service = fakes.scoreboard_service()
    start = date(2025, 1, 1)
    service.stats_for(actor, start, start + timedelta(days=days - 1), None)
    with pytest.raises(InvalidInput):
        service.stats_for(actor, start, start + timedelta(days=days), None)


def test_an_unknown_unit_is_refused_naming_the_field(fakes: Fakes) -> None:
    with pytest.raises(InvalidInput) as refused:
        fakes.scoreboard_service().stats_for(SUPERVISOR, DAY, DAY, "no-such-unit")
    assert refused.value.field == "unit_id"


def test_staff_see_only_their_units_numbers(fakes: Fakes) -> None:
    counted_case(fakes, TRAFFIC)
    counted_case(fakes, OTHER_UNIT)
    service = fakes.scoreboard_service()
    day = DAY

    everyone = service.stats_for(SUPERVISOR, day, day, None)
    own = service.stats_for(STAFF, day, day, None)

    assert {u.unit_id for u in everyone.units} == {TRAFFIC, OTHER_UNIT}
    assert own.unit_id == TRAFFIC and [u.unit_id for u in own.units] == [TRAFFIC]
    assert own.totals.closed == 1
    with pytest.raises(Forbidden):
        service.stats_for(STAFF, day, day, OTHER_UNIT)
    with pytest.raises(Forbidden):
        service.stats_for(Actor(role=Role.STAFF, id="s"), day, day, None)
    with pytest.raises(Forbidden):
        service.stats_for(CITIZEN, day, day, None)


def test_a_day_is_the_shanghai_date_of_the_event(fakes: Fakes) -> None:
    # 23:59 and 00:01 in Shenzhen are two days, though one UTC date
    fakes.clock.set(datetime(2026, 3, 1, 15, 59, tzinfo=UTC))
    case = fakes.cases.get_case(fakes.request_service().submit(CITIZEN, new_request()).id)
    assert case is not None
    at = datetime(2026, 3, 1, 16, 1, tzinfo=UTC)
    fakes.cases.save(lifecycle.dispatch(case, TRAFFIC, at + timedelta(days=5), lifecycle.ROUTER, at, "rule"))
    service = fakes.scoreboard_service()
    for event in fakes.cases.timeline(case.id):
        service.count(event)
    first = service.stats(date(2026, 3, 1), date(2026, 3, 1), None).totals
    second = service.stats(date(2026, 3, 2), date(2026, 3, 2), None).totals
    assert (first.submitted, first.dispatched) == (1, 0)
    assert (second.submitted, second.dispatched) == (0, 1)
