"""Scoreboard counters from the stream, and the stats query over them."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date, datetime, timedelta

from minyi.adapters.dynamo import DynamoRepository
from minyi.domain import scoreboard
from minyi.domain.errors import InvalidInput
from minyi.domain.models import TimelineEvent
from minyi.observability import logger
from minyi.services.requests import CatalogCache, utcnow

MAX_DAYS = 366


class ScoreboardService:
    def __init__(self, repo: DynamoRepository, clock: Callable[[], datetime] = utcnow):
        self.repo = repo
        self.clock = clock
        self.catalog = CatalogCache(repo)

    def count(self, event: TimelineEvent) -> bool:
        counts = scoreboard.increments(event)
        if not counts:
            return False
        day = scoreboard.stats_day(event).isoformat()
        counted = self.repo.count_event(event, day, scoreboard.stats_unit(event), counts, self.clock())
        if not counted:
            logger.info("event already counted", extra={"case_id": event.case_id, "seq": event.seq})
        return counted

    def stats(self, day_from: date, day_to: date, unit_id: str | None) -> tuple[dict[str, object], int]:
        if day_to < day_from:
            raise InvalidInput("to", "must not be before from")
        if (day_to - day_from).days >= MAX_DAYS:
            raise InvalidInput("to", f"at most {MAX_DAYS} days per query")
        catalog = self.catalog.get()
        if unit_id is not None and unit_id not in catalog.units:
            raise InvalidInput("unit_id", f"unknown unit '{unit_id}'")
        days = [(day_from + timedelta(days=i)).isoformat() for i in range((day_to - day_from).days + 1)]
        rows, read = self.repo.stats_rows(days, unit_id)
        names = {u.id: u.name for u in catalog.units.values()}
        totals, table = scoreboard.league(rows, names)
        body: dict[str, object] = {
            "from": day_from.isoformat(),
            "to": day_to.isoformat(),
            "unit_id": unit_id,
            "totals": totals.model_dump(),
            "units": [u.model_dump() for u in table],
        }
        return body, read


def to_csv(body: dict[str, object]) -> str:
    fields = ["unit_id", "unit_name", *scoreboard.COUNTERS, "on_time_rate", "satisfaction_rate"]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, extrasaction="ignore")
    writer.writeheader()
    for row in body["units"]:  # type: ignore[attr-defined]
        writer.writerow(row)
    writer.writerow({"unit_id": "TOTAL", **body["totals"]})  # type: ignore[dict-item]
    return out.getvalue()
