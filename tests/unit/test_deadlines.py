"""Unit tests for working-day deadlines (minyi.domain.deadlines) with the real `holidays` calendar.

Calendar facts used (China, 2026, as published by the State Council and shipped by `holidays`):
the Spring Festival break runs Sunday 2026-02-15 to Monday 2026-02-23; Saturday 2026-02-14 and
Saturday 2026-02-28 are make-up working days.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from minyi.domain.deadlines import (
    CITY_TZ,
    DeadlineClock,
    add_working_days,
    after_working_hours,
    is_working_day,
)
from minyi.domain.models import Category

FRIDAY_BEFORE_FESTIVAL = date(2026, 2, 13)


# --- is_working_day -------------------------------------------------------------------------------


@pytest.mark.parametrize("day", [date(2026, 2, 14), date(2026, 2, 28)])
def test_make_up_saturdays_are_working_days(day: date) -> None:
    """Given a Saturday designated as a make-up working day
    When asked whether it is a working day
    Then the answer is yes."""
    assert day.weekday() == 5
    assert is_working_day(day) is True


@pytest.mark.parametrize("day", [date(2026, 2, 15) + timedelta(days=i) for i in range(9)])
def test_spring_festival_days_are_not_working_days(day: date) -> None:
    """Given a day of the 2026 Spring Festival break (2026-02-15..2026-02-23)
    When asked whether it is a working day
    Then the answer is no, weekday or not."""
    assert is_working_day(day) is False


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 3, 6), True),  # Friday
        (date(2026, 3, 7), False),  # Saturday
        (date(2026, 3, 8), False),  # Sunday
        (date(2026, 3, 9), True),  # Monday
        (date(2026, 2, 24), True),  # first day back after the festival
    ],
)
def test_ordinary_days(day: date, expected: bool) -> None:
    """Given an ordinary weekday or weekend day
    When asked whether it is a working day
    Then weekdays are and weekends are not."""
    assert is_working_day(day) is expected


# --- add_working_days -----------------------------------------------------------------------------


def test_one_working_day_from_friday_before_festival_is_make_up_saturday() -> None:
    """Given Friday 2026-02-13, the last weekday before the Spring Festival
    When adding 1 working day
    Then the result is the make-up working Saturday 2026-02-14."""
    assert add_working_days(FRIDAY_BEFORE_FESTIVAL, 1) == date(2026, 2, 14)


def test_two_working_days_from_friday_before_festival_skip_the_festival() -> None:
    """Given Friday 2026-02-13
    When adding 2 working days
    Then the whole break is skipped and the result is Tuesday 2026-02-24."""
    assert add_working_days(FRIDAY_BEFORE_FESTIVAL, 2) == date(2026, 2, 24)


def test_five_working_days_from_friday_before_festival() -> None:
    """Given Friday 2026-02-13
    When adding 5 working days (the complaint deadline)
    Then the result is Friday 2026-02-27 (Sat 14, Tue 24, Wed 25, Thu 26, Fri 27)."""
    assert add_working_days(FRIDAY_BEFORE_FESTIVAL, 5) == date(2026, 2, 27)


def test_counting_through_the_second_make_up_saturday() -> None:
    """Given Friday 2026-02-27
    When adding 1 working day
    Then the result is the make-up working Saturday 2026-02-28, not Monday."""
    assert add_working_days(date(2026, 2, 27), 1) == date(2026, 2, 28)


def test_normal_weekend_is_skipped() -> None:
    """Given an ordinary Friday, 2026-03-06
    When adding 1 working day
    Then the weekend is skipped and the result is Monday 2026-03-09."""
    assert add_working_days(date(2026, 3, 6), 1) == date(2026, 3, 9)


def test_start_day_itself_does_not_count() -> None:
    """Given an ordinary Monday, 2026-03-02
    When adding 1 working day
    Then the result is the next day, Tuesday 2026-03-03."""
    assert add_working_days(date(2026, 3, 2), 1) == date(2026, 3, 3)


def test_starting_on_a_holiday_counts_from_the_next_working_day() -> None:
    """Given the first day of the break, Sunday 2026-02-15
    When adding 1 working day
    Then the result is Tuesday 2026-02-24."""
    assert add_working_days(date(2026, 2, 15), 1) == date(2026, 2, 24)


@pytest.mark.parametrize("days", [0, -1])
def test_add_working_days_rejects_less_than_one(days: int) -> None:
    """Given a non-positive number of days
    When adding working days
    Then ValueError is raised."""
    with pytest.raises(ValueError, match="at least 1"):
        add_working_days(FRIDAY_BEFORE_FESTIVAL, days)


# --- DeadlineClock --------------------------------------------------------------------------------


def test_due_at_is_end_of_day_in_shanghai() -> None:
    """Given a case dispatched on Friday 2026-02-13 at 09:00 Shanghai time
    When its 2-working-day deadline is computed
    Then it is 2026-02-24 23:59:59 in Asia/Shanghai."""
    start = datetime(2026, 2, 13, 9, 0, tzinfo=CITY_TZ)

    due = DeadlineClock().due_at(start, 2)

    assert due == datetime(2026, 2, 24, 23, 59, 59, tzinfo=CITY_TZ)
    assert due.utcoffset() == timedelta(hours=8)
    assert due.timetz().replace(tzinfo=None) == time(23, 59, 59)


def test_due_at_counts_from_the_shanghai_calendar_day_of_a_utc_start() -> None:
    """Given a start of Thursday 2026-02-12 17:00 UTC, which is already Friday 01:00 in Shanghai
    When a 1-working-day deadline is computed
    Then the count starts from the Shanghai date (Friday) and ends on Saturday 2026-02-14 23:59:59+08:00."""
    start = datetime(2026, 2, 12, 17, 0, tzinfo=UTC)

    due = DeadlineClock().due_at(start, 1)

    assert due == datetime(2026, 2, 14, 23, 59, 59, tzinfo=CITY_TZ)
    assert due.astimezone(UTC) == datetime(2026, 2, 14, 15, 59, 59, tzinfo=UTC)


def test_due_at_skips_an_ordinary_weekend() -> None:
    """Given a case dispatched on Friday 2026-03-06 at 16:00 Shanghai time
    When a 1-working-day deadline is computed
    Then it is Monday 2026-03-09 23:59:59 Shanghai time."""
    start = datetime(2026, 3, 6, 16, 0, tzinfo=CITY_TZ)

    assert DeadlineClock().due_at(start, 1) == datetime(2026, 3, 9, 23, 59, 59, tzinfo=CITY_TZ)


def test_compressed_mode_adds_days_times_seconds() -> None:
    """Given a clock that compresses a working day to 60 seconds
    When a 2-working-day deadline is computed from just before the festival
    Then it is exactly 120 seconds after the start, ignoring the calendar."""
    start = datetime(2026, 2, 13, 9, 0, tzinfo=CITY_TZ)

    due = DeadlineClock(working_day_seconds=60).due_at(start, 2)

    assert due == start + timedelta(seconds=120)
    assert due == datetime(2026, 2, 13, 9, 2, tzinfo=CITY_TZ)


def test_zero_working_day_seconds_means_real_calendar() -> None:
    """Given a clock with working_day_seconds set to 0
    When a deadline is computed
    Then the real working-day calendar is used."""
    start = datetime(2026, 2, 13, 9, 0, tzinfo=CITY_TZ)

    assert DeadlineClock(working_day_seconds=0).due_at(start, 2) == datetime(2026, 2, 24, 23, 59, 59, tzinfo=CITY_TZ)


# --- urgent cases (紧急): office hours of working days ----------------------------------------------


def test_an_urgent_deadline_counts_office_hours_across_the_festival() -> None:
    from minyi.domain.deadlines import after_working_hours
    from tests.fakes import FakeCatalogRepository

    # Given an urgent case at 16:00 on the Friday before the Spring Festival break (2026-02-13)
    catalog = FakeCatalogRepository.shenzhen().load()
    start = datetime.combine(FRIDAY_BEFORE_FESTIVAL, time(16, 0), tzinfo=CITY_TZ)
    clock = DeadlineClock()
    # Then its 4 working hours are 2 that Friday and 2 on the make-up Saturday (2026-02-14), 11:00
    expected = datetime.combine(date(2026, 2, 14), time(11, 0), tzinfo=CITY_TZ)
    assert after_working_hours(clock, start, catalog.urgent_hours) == expected
    case = _case_in(Category.COMPLAINT)
    assert clock.unit_due(case.model_copy(update={"urgent": True}), catalog, start) == expected
    assert clock.unit_due(case, catalog, start) == clock.due_at(start, 5)


def test_an_urgent_case_stays_urgent_in_its_redo_round() -> None:
    from tests.fakes import FakeCatalogRepository

    # Given an urgent complaint rated unsatisfied at 16:00 on the Friday before the Spring Festival break
    catalog = FakeCatalogRepository.shenzhen().load()
    case = _case_in(Category.COMPLAINT).model_copy(update={"urgent": True})
    start = datetime.combine(FRIDAY_BEFORE_FESTIVAL, time(16, 0), tzinfo=CITY_TZ)
    clock = DeadlineClock()
    # When the unit's deadline for the redo round is decided
    due = clock.unit_due(case, catalog, start)
    # Then it is the urgent case's office hours again (after the break), not the complaint's 5 working days
    assert due == after_working_hours(clock, start, catalog.urgent_hours)
    assert due < clock.due_at(start, catalog.deadline_days[Category.COMPLAINT])


def _case_in(category: Category):  # type: ignore[no-untyped-def]
    from minyi.domain.models import Case, CaseStatus

    now = datetime(2026, 2, 13, tzinfo=UTC)
    return Case(
        id="c", tracking_no="SZ2602-AAAAAA", citizen_id="x", phone="+8613812345678", category=category,
        topic="traffic", district="futian", description="d", status=CaseStatus.DISPATCHED, created_at=now,
        updated_at=now,
    )  # fmt: skip
