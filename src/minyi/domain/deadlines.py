"""Deadlines counted in mainland working days (pure).

Public holidays, substituted days off and weekend make-up working days come from the maintained
`holidays` library (holidays.China), never from a hand-written list. It is loaded when a deadline is
first counted, not when the module is imported: many handlers import this module only for the
city's time zone.

Where a unit's deadline is decided: `DeadlineClock.unit_due` (the catalogue's `deadline_days` per
category; an urgent case (紧急) counts office hours of working days instead, the catalogue's
`urgent_hours`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from minyi.domain.models import Case, Catalog

if TYPE_CHECKING:
    import holidays

CITY_TZ = ZoneInfo("Asia/Shanghai")


@lru_cache(maxsize=8)
def _calendar(first_year: int) -> holidays.HolidayBase:
    import holidays

    return holidays.China(years=range(first_year, first_year + 3))


def is_working_day(day: date) -> bool:
    return bool(_calendar(day.year).is_working_day(day))


def add_working_days(start: date, days: int) -> date:
    """The `days`-th working day after `start` (start itself does not count)."""
    if days < 1:
        raise ValueError("days must be at least 1")
    return _calendar(start.year).get_nth_working_day(start, days)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class DeadlineClock:
    """Computes due times. `working_day_seconds` compresses a working day to seconds for local
    demos and tests (set only by the local runtime); production counts real working days."""

    working_day_seconds: int | None = None

    def due_at(self, start: datetime, working_days: int) -> datetime:
        if self.working_day_seconds:
            return start + timedelta(seconds=working_days * self.working_day_seconds)
        local_start = start.astimezone(CITY_TZ)
        last_day = add_working_days(local_start.date(), working_days)
        return datetime.combine(last_day, time(23, 59, 59), tzinfo=CITY_TZ)

    def working_day(self, at: datetime) -> str:
        """Which working day `at` falls on, as a key (the city's date; with compressed days, the number
        of the compressed day): two calls on the same key were made on the same working day."""
        if self.working_day_seconds:
            return f"d{int(at.timestamp() // self.working_day_seconds)}"
        return at.astimezone(CITY_TZ).date().isoformat()

    def unit_due(self, case: Case, catalog: Catalog, now: datetime, urgent: bool = False) -> datetime:
        """When the unit that gets `case` at `now` must answer: the one place a unit's deadline is decided.

        The category's working days (the catalogue's `deadline_days`); for an urgent case (紧急: marked,
        or `urgent` as a dispatcher marks it now) the catalogue's `urgent_hours` office hours of working
        days. A redo round (the same unit again after an unsatisfied rating) is decided the same way:
        an urgent case stays urgent in its redo and under supervision."""
        if urgent or case.urgent:
            return after_working_hours(self, now, catalog.urgent_hours)
        return self.due_at(now, catalog.deadline_days[case.category])


#: Office hours of the dispatch centre on working days (Asia/Shanghai).
OFFICE_OPENS = time(9, 0)
OFFICE_CLOSES = time(18, 0)
OFFICE_HOURS_PER_DAY = 9


def after_working_hours(clock: DeadlineClock, start: datetime, hours: float) -> datetime:
    """`hours` office hours after `start`, counting only office hours of working days (a queued case
    at 17:00 on Friday with 2 hours to go is due at 10:00 on the next working day)."""
    if clock.working_day_seconds:
        return start + timedelta(seconds=hours * clock.working_day_seconds / OFFICE_HOURS_PER_DAY)
    remaining = timedelta(hours=hours)
    cursor = start.astimezone(CITY_TZ)
    while True:
        day = cursor.date()
        if is_working_day(day):
            opens = datetime.combine(day, OFFICE_OPENS, tzinfo=CITY_TZ)
            closes = datetime.combine(day, OFFICE_CLOSES, tzinfo=CITY_TZ)
            begin = max(cursor, opens)
            if begin < closes:
                if remaining <= closes - begin:
                    return begin + remaining
                remaining -= closes - begin
        cursor = datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=CITY_TZ)
