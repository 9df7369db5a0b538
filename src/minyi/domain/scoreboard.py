"""The city's scoreboard: what each timeline event adds to its unit's daily counters, and the rates (pure)."""

from __future__ import annotations

from datetime import date
from typing import Self

from pydantic import BaseModel

from minyi.domain.deadlines import CITY_TZ
from minyi.domain.models import EventType, TimelineEvent

COUNTERS = (
    "submitted",
    "dispatched",
    "closed",
    "closed_on_time",
    "rated",
    "satisfied",
    "reopened",
    "resolved_after_rollback",
    "supervised",
    "overdue",
)
UNASSIGNED = "unassigned"
#: Submissions are also counted per channel, as `submitted_via_<channel>` (app, hotline, web, open311).
VIA_CHANNEL = "submitted_via_"


def increments(event: TimelineEvent) -> dict[str, int]:
    """Counters this event adds to (empty for events the scoreboard does not count)."""
    facts = event.facts
    match event.type:
        case EventType.SUBMITTED:
            channel = facts.get("channel")
            return {"submitted": 1, **({f"{VIA_CHANNEL}{channel}": 1} if isinstance(channel, str) else {})}
        case EventType.DISPATCHED:
            return {"dispatched": 1}
        case EventType.RATED:
            return {"rated": 1, **({"satisfied": 1} if facts.get("satisfied") else {})}
        case EventType.REOPENED:
            return {"reopened": 1}
        case EventType.SUPERVISED:
            return {"supervised": 1}
        case EventType.OVERDUE:
            return {"overdue": 1}
        case EventType.CLOSED:
            counts = {"closed": 1}
            if facts.get("on_time"):
                counts["closed_on_time"] = 1
            if facts.get("resolved_after_rollback"):
                counts["resolved_after_rollback"] = 1
            return counts
    return {}


def channel_counts(rows: list[tuple[str, dict[str, int]]]) -> dict[str, int]:
    """Submissions per channel (app, hotline, web, open311) over counter rows."""
    totals: dict[str, int] = {}
    for _, counts in rows:
        for name, value in counts.items():
            if name.startswith(VIA_CHANNEL):
                channel = name.removeprefix(VIA_CHANNEL)
                totals[channel] = totals.get(channel, 0) + int(value)
    return dict(sorted(totals.items()))


def stats_day(event: TimelineEvent) -> date:
    return event.at.astimezone(CITY_TZ).date()


def stats_unit(event: TimelineEvent) -> str:
    return event.unit_id or UNASSIGNED


class Scores(BaseModel):
    submitted: int = 0
    dispatched: int = 0
    closed: int = 0
    closed_on_time: int = 0
    rated: int = 0
    satisfied: int = 0
    reopened: int = 0
    resolved_after_rollback: int = 0
    supervised: int = 0
    overdue: int = 0
    on_time_rate: float | None = None
    satisfaction_rate: float | None = None

    def add(self, counts: dict[str, int]) -> None:
        for name in COUNTERS:
            setattr(self, name, getattr(self, name) + int(counts.get(name, 0)))

    def with_rates(self) -> Self:
        self.on_time_rate = round(self.closed_on_time / self.closed, 4) if self.closed else None
        self.satisfaction_rate = round(self.satisfied / self.rated, 4) if self.rated else None
        return self


class UnitScores(Scores):
    unit_id: str
    unit_name: str | None = None


def league(rows: list[tuple[str, dict[str, int]]], names: dict[str, str]) -> tuple[Scores, list[UnitScores]]:
    """Totals and the league table (best on-time rate first, then satisfaction, then volume)."""
    totals = Scores()
    per_unit: dict[str, UnitScores] = {}
    for unit_id, counts in rows:
        totals.add(counts)
        if unit_id != UNASSIGNED:
            per_unit.setdefault(unit_id, UnitScores(unit_id=unit_id, unit_name=names.get(unit_id))).add(counts)
    table = [u.with_rates() for u in per_unit.values()]
    table.sort(key=lambda u: (-(u.on_time_rate or 0), -(u.satisfaction_rate or 0), -u.closed, u.unit_id))
    return totals.with_rates(), table
