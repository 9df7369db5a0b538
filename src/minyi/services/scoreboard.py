"""Scoreboard counters from the stream, and the stats queries over them (never over cases).

Periods are Shenzhen dates. Without one, the last 30 days. How long a period may be depends on who
asks: a unit's staff a quarter, dispatchers half a year, supervisors and the public a year.
"""

from __future__ import annotations

from datetime import date, timedelta

from minyi import policy
from minyi.domain import scoreboard
from minyi.domain.deadlines import CITY_TZ
from minyi.domain.errors import InvalidInput
from minyi.domain.models import Actor, Role, TimelineEvent
from minyi.observability import logger
from minyi.ports import Clock, ScoreboardRepository
from minyi.services.catalog import CatalogCache
from minyi.services.results import AreaScores, PublicStats, StatsReport

DEFAULT_DAYS = 30
#: The longest period each reader may ask for, in days.
MAX_DAYS_BY_ROLE: dict[Role, int] = {Role.STAFF: 93, Role.DISPATCHER: 186, Role.SUPERVISOR: 366, Role.ADMIN: 366}
MAX_DAYS = 366


class ScoreboardService:
    def __init__(self, counters: ScoreboardRepository, catalog: CatalogCache, clock: Clock):
        self.counters = counters
        self.catalog = catalog
        self.clock = clock

    def count(self, event: TimelineEvent) -> bool:
        counts = scoreboard.increments(event)
        gauges = scoreboard.gauge_changes(event)
        if not counts and not gauges:
            return False
        day = scoreboard.stats_day(event).isoformat()
        counted = self.counters.count_event(
            event, day, scoreboard.stats_unit(event), counts, self.clock(), gauges=gauges
        )
        if not counted:
            logger.info("event already counted", extra={"case_id": event.case_id, "seq": event.seq})
        return counted

    def period(self, day_from: date | None, day_to: date | None, max_days: int) -> tuple[date, date]:
        """The period asked for, or the last 30 days (Shenzhen dates), checked against `max_days`."""
        today = self.clock().astimezone(CITY_TZ).date()
        day_to = day_to or (today if day_from is None else min(today, day_from + timedelta(days=DEFAULT_DAYS - 1)))
        day_from = day_from or day_to - timedelta(days=DEFAULT_DAYS - 1)
        if day_to < day_from:
            raise InvalidInput("to", "error.to_before_from")
        if (day_to - day_from).days >= max_days:
            raise InvalidInput("to", "error.days_per_query_for_role", days=max_days)
        return day_from, day_to

    def stats_for(self, actor: Actor, day_from: date | None, day_to: date | None, unit_id: str | None) -> StatsReport:
        """The numbers the actor may read (policy: staff only their unit's), over a period their role allows."""
        scope = policy.stats_scope(actor, unit_id)
        first, last = self.period(day_from, day_to, MAX_DAYS_BY_ROLE.get(actor.role, DEFAULT_DAYS))
        return self.stats(first, last, scope)

    def stats(self, day_from: date, day_to: date, unit_id: str | None) -> StatsReport:
        if day_to < day_from:
            raise InvalidInput("to", "error.to_before_from")
        if (day_to - day_from).days >= MAX_DAYS:
            raise InvalidInput("to", "error.days_per_query", days=MAX_DAYS)
        catalog = self.catalog.get()
        if unit_id is not None and unit_id not in catalog.units:
            raise InvalidInput("unit_id", "error.unknown_unit")
        rows, read = self.counters.stats_rows(day_from, day_to, unit_id)
        names = {u.id: u.name for u in catalog.units.values()}
        totals, table = scoreboard.league(rows, names, self.counters.open_overdue(unit_id))
        for row in table:  # the English pages name units in English (the catalogue has both)
            known = catalog.units.get(row.unit_id)
            row.unit_name_en = known.name_en if known else None
        return StatsReport(
            day_from=day_from,
            day_to=day_to,
            unit_id=unit_id,
            totals=totals,
            units=table,
            items_read=read,
            by_channel=scoreboard.channel_counts(rows),
        )

    def public(self, day_from: date | None, day_to: date | None) -> PublicStats:
        """What the city publishes: its rates, each district's and each unit's (counters only, no case)."""
        first, last = self.period(day_from, day_to, MAX_DAYS)
        report = self.stats(first, last, None)
        catalog = self.catalog.get()
        districts: dict[str, scoreboard.Scores] = {}
        for unit in report.units:
            district = catalog.units[unit.unit_id].district if unit.unit_id in catalog.units else None
            if district is None:
                continue
            area = districts.setdefault(district, scoreboard.Scores())
            area.add(unit.model_dump())
            area.open_overdue += unit.open_overdue
        return PublicStats(
            day_from=first,
            day_to=last,
            city=report.totals,
            districts=[
                AreaScores(code=code, name=catalog.districts.get(code, {}).get("zh", code), scores=s.with_rates())
                for code, s in sorted(districts.items())
            ],
            units=report.units,
            by_channel=report.by_channel,
        )
