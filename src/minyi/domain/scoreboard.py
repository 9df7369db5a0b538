"""The city's scoreboard: what each timeline event adds to its unit's counters, and the rates (pure).

Two kinds of numbers. Flows (submitted, closed, rated, ...) are added per unit and day, in one
partition per month, so a query over any period reads one partition per month, whatever the number
of cases.
One gauge, a unit's cases open past their deadline now, goes up when a case it holds goes overdue
and down when that case closes, is withdrawn, returned or transferred away: the on-time rate counts
them against the unit (closed on time ÷ (closed + open past deadline)), so open overdue work cannot
make a unit look better than one without.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Self

from minyi.domain.base import Model
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
    "withdrawn",
    "answered_at_intake",
    "merged",
    "reporters",
)
#: The gauge of cases open past their deadline, per unit (not a flow: it is read as it is now).
OPEN_OVERDUE = "open_overdue"
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
        case EventType.WITHDRAWN:
            return {"withdrawn": 1}
        # 并单: a merged case is counted apart (it never closes: its unit's work is the kept case's, counted
        # once, so its dispatch leaves the unit's workload), as are the people who reported a problem another
        # case holds; an undone merge takes both back (the case is counted again when it is routed again)
        case EventType.MERGED:
            return {"merged": 1, **({"dispatched": -1} if facts.get("uncounts_dispatch") else {})}
        case EventType.UNMERGED:
            return {"merged": -1}
        case EventType.REPORTER_ADDED:
            return {"reporters": int(facts.get("count", 0))}
        case EventType.REPORTER_REMOVED:
            return {"reporters": -int(facts.get("count", 0))}
        case EventType.CLOSED if facts.get("answered_at_intake"):
            # 直接办结: answered on the call, counted apart (no unit handled it, no deadline ran)
            return {"answered_at_intake": 1}
        case EventType.CLOSED:
            counts = {"closed": 1}
            if facts.get("on_time"):
                counts["closed_on_time"] = 1
            if facts.get("resolved_after_rollback"):
                counts["resolved_after_rollback"] = 1
            return counts
    return {}


def gauge_changes(event: TimelineEvent) -> dict[str, int]:
    """How the event moves units' open-overdue gauges: +1 for the unit whose case just went overdue
    (once per holding), -1 for the unit an overdue case leaves (closed, withdrawn, returned, moved)."""
    facts = event.facts
    if event.type == EventType.OVERDUE and facts.get("opens_overdue") and event.unit_id:
        return {event.unit_id: 1}
    leaving = facts.get("overdue_unit")
    if isinstance(leaving, str) and leaving:
        return {leaving: -1}
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


class Scores(Model):
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
    withdrawn: int = 0
    #: 直接办结: consultations answered on the call (not in `closed`: no unit handled them).
    answered_at_intake: int = 0
    #: 并单: cases merged into another of the same problem (not in `closed`: the kept case closes for them).
    merged: int = 0
    #: People who reported a problem another case holds (merged cases' reporters, "me too"s).
    reporters: int = 0
    #: Cases open past their deadline now (a gauge, not a count over the period).
    open_overdue: int = 0
    on_time_rate: float | None = None
    satisfaction_rate: float | None = None

    def add(self, counts: dict[str, int]) -> None:
        for name in COUNTERS:
            setattr(self, name, getattr(self, name) + int(counts.get(name, 0)))

    def with_rates(self) -> Self:
        """On time = closed on time ÷ (closed + open past deadline); satisfied ÷ rated."""
        judged = self.closed + self.open_overdue
        self.on_time_rate = round(self.closed_on_time / judged, 4) if judged else None
        self.satisfaction_rate = round(self.satisfied / self.rated, 4) if self.rated else None
        return self


class UnitScores(Scores):
    unit_id: str
    unit_name: str | None = None
    unit_name_en: str | None = None


def league(
    rows: list[tuple[str, dict[str, int]]], names: dict[str, str], open_overdue: dict[str, int] | None = None
) -> tuple[Scores, list[UnitScores]]:
    """Totals and the league table (best on-time rate first, then satisfaction, then volume); each
    unit's open overdue cases count against its on-time rate."""
    totals = Scores()
    per_unit: dict[str, UnitScores] = {}
    for unit_id, counts in rows:
        totals.add(counts)
        if unit_id != UNASSIGNED:
            per_unit.setdefault(unit_id, UnitScores(unit_id=unit_id, unit_name=names.get(unit_id))).add(counts)
    for unit_id, value in (open_overdue or {}).items():
        if value > 0 and unit_id != UNASSIGNED:
            per_unit.setdefault(unit_id, UnitScores(unit_id=unit_id, unit_name=names.get(unit_id))).open_overdue = value
            totals.open_overdue += value
    table = [u.with_rates() for u in per_unit.values()]
    table.sort(key=lambda u: (-(u.on_time_rate or 0), -(u.satisfaction_rate or 0), -u.closed, u.unit_id))
    return totals.with_rates(), table


@dataclass(frozen=True)
class Span:
    """Days read from one month's partition of daily counters."""

    partition: str  # YYYY-MM
    first: str  # first day, YYYY-MM-DD
    last: str  # last day


def spans(day_from: date, day_to: date) -> list[Span]:
    """One read per month the period touches (the daily counters are partitioned by month): a year
    is 12 or 13 reads, not 366, and nothing is written twice to make it so."""
    result: list[Span] = []
    cursor = day_from
    while cursor <= day_to:
        last = min(_month_end(cursor), day_to)
        result.append(Span(f"{cursor:%Y-%m}", cursor.isoformat(), last.isoformat()))
        cursor = last + timedelta(days=1)
    return result


def _month_end(day: date) -> date:
    following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)
