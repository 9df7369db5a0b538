"""Scoreboard counters from the stream, and the stats query over them."""

from __future__ import annotations

from datetime import date, timedelta

from minyi import policy
from minyi.domain import scoreboard
from minyi.domain.errors import InvalidInput
from minyi.domain.models import Actor, TimelineEvent
from minyi.observability import logger
from minyi.ports import Clock, ScoreboardRepository
from minyi.services.catalog import CatalogCache
from minyi.services.results import StatsReport

MAX_DAYS = 366


class ScoreboardService:
    def __init__(self, counters: ScoreboardRepository, catalog: CatalogCache, clock: Clock):
        self.counters = counters
        self.catalog = catalog
        self.clock = clock

    def count(self, event: TimelineEvent) -> bool:
        counts = scoreboard.increments(event)
        if not counts:
            return False
        day = scoreboard.stats_day(event).isoformat()
        counted = self.counters.count_event(event, day, scoreboard.stats_unit(event), counts, self.clock())
        if not counted:
            logger.info("event already counted", extra={"case_id": event.case_id, "seq": event.seq})
        return counted

    def stats_for(self, actor: Actor, day_from: date, day_to: date, unit_id: str | None) -> StatsReport:
        """The numbers the actor may read (policy: staff only their unit's)."""
        return self.stats(day_from, day_to, policy.stats_scope(actor, unit_id))

    def stats(self, day_from: date, day_to: date, unit_id: str | None) -> StatsReport:
        if day_to < day_from:
            raise InvalidInput("to", "must not be before from")
        if (day_to - day_from).days >= MAX_DAYS:
            raise InvalidInput("to", f"at most {MAX_DAYS} days per query")
        catalog = self.catalog.get()
        if unit_id is not None and unit_id not in catalog.units:
            raise InvalidInput("unit_id", "unknown unit; see GET /v1/catalog")
        days = [(day_from + timedelta(days=i)).isoformat() for i in range((day_to - day_from).days + 1)]
        rows, read = self.counters.stats_rows(days, unit_id)
        names = {u.id: u.name for u in catalog.units.values()}
        totals, table = scoreboard.league(rows, names)
        return StatsReport(
            day_from=day_from, day_to=day_to, unit_id=unit_id, totals=totals, units=table, items_read=read
        )
