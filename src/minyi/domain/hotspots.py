"""Hotspots (未诉先办): where one kind of problem is reported far more often than usual (pure).

Every submitted case with a topic and a location is counted once in its geohash cell
(`geohash.HOTSPOT_PRECISION`, about 150 m x 150 m), per topic and Shenzhen day. A cell's day is a
hotspot when its count reaches the larger of
- the catalogue's `hotspot_min_reports` (default `DEFAULT_MIN_REPORTS`): a handful of reports is never
  news, however quiet the cell was, and
- the 99.9 % Poisson upper bound of its baseline: the mean reports per day in that cell and topic over
  the `BASELINE_DAYS` days before. A cell that always has many reports (a busy crossing) is a hotspot
  only when its day is unusual for it, and a false alarm costs at most one in a thousand quiet days.

The facts come from the `SUBMITTED` event (`hotspot_facts`: topic, district, cell, tracking number), so
the stream consumer counts without reading the case. The cell, not the point, is published to staff:
the map shows rectangles, never a citizen's position.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

from pydantic import Field

from minyi.domain import geohash
from minyi.domain.base import Model
from minyi.domain.messages import Message, message
from minyi.domain.models import Case, EventType, Language, TimelineEvent

#: The catalogue's `hotspot_min_reports` when it sets none.
DEFAULT_MIN_REPORTS = 5
#: The baseline: the mean reports per day over this many days before the day.
BASELINE_DAYS = 28
#: The Poisson bound's confidence: a count this unlikely under the baseline is a hotspot.
CONFIDENCE = 0.999
#: The longest period `GET /v1/hotspots` lists, in days.
MAX_PERIOD_DAYS = 31
#: The tracking numbers kept with a cell's day (the listing names them; the count counts them all).
MAX_CASES_PER_CELL = 20

#: The most cells (with at least the minimum count) a listing weighs against their baselines: one
#: query each, so a listing's reads stay bounded however many cells the city has.
MAX_CANDIDATES = 200
#: The supervision office's SMS when a cell crosses its bound (sent in Chinese only, one per cell,
#: topic and day).
SMS_KEY = "sms.supervision.hotspot"
SMS_LANGUAGES: tuple[Language, ...] = ("zh",)

#: The `SUBMITTED` event's facts the hotspot counters read (`lifecycle.submitted` writes them).
FACT_TOPIC = "topic"
FACT_DISTRICT = "district"
FACT_CELL = "cell"
FACT_TRACKING_NO = "no"


def poisson_upper_bound(mean: float, confidence: float = CONFIDENCE) -> int:
    """The smallest count k with P(X >= k) <= 1 - confidence for X ~ Poisson(mean): a count that
    reaches k happens on fewer than one day in a thousand (at 99.9 %) when nothing has changed.
    A mean of 0 gives 1 (any report is unusual; `threshold` keeps the catalogue's minimum)."""
    if mean < 0 or not math.isfinite(mean):
        raise ValueError("the mean must be a finite number >= 0")
    if not 0 < confidence < 1:
        raise ValueError("the confidence must be within (0, 1)")
    if mean == 0:
        return 1
    # P(X <= k) summed in log space (no underflow for large means), until it reaches `confidence`
    log_mean = math.log(mean)
    cumulative = 0.0
    k = 0
    while True:
        cumulative += math.exp(k * log_mean - mean - math.lgamma(k + 1))
        if cumulative >= confidence:
            return k + 1
        k += 1


def baseline(counts_before: list[int], days: int = BASELINE_DAYS) -> float:
    """The mean reports per day over the `days` days before (days without reports count as 0)."""
    return sum(counts_before) / days


def threshold(baseline_mean: float, min_reports: int = DEFAULT_MIN_REPORTS) -> int:
    """The count that makes a cell's day a hotspot: max(min_reports, the Poisson bound of its baseline)."""
    return max(min_reports, poisson_upper_bound(baseline_mean))


def is_hotspot(count: int, baseline_mean: float, min_reports: int = DEFAULT_MIN_REPORTS) -> bool:
    return count >= threshold(baseline_mean, min_reports)


def baseline_days(day: date, days: int = BASELINE_DAYS) -> tuple[date, date]:
    """The first and last day of `day`'s baseline window (the `days` days before it)."""
    return day - timedelta(days=days), day - timedelta(days=1)


@dataclass(frozen=True)
class Report:
    """One case as the hotspot counters see it."""

    case_id: str
    tracking_no: str
    topic: str
    district: str | None
    cell: str
    day: date


def report_of(event: TimelineEvent, day: date) -> Report | None:
    """The report a `SUBMITTED` event adds to the counters, or None (another event; a case without a
    topic or a location, which no cell can hold)."""
    if event.type != EventType.SUBMITTED:
        return None
    facts = event.facts
    topic, cell, no = facts.get(FACT_TOPIC), facts.get(FACT_CELL), facts.get(FACT_TRACKING_NO)
    if not (isinstance(topic, str) and topic and isinstance(cell, str) and cell and isinstance(no, str)):
        return None
    district = facts.get(FACT_DISTRICT)
    return Report(
        case_id=event.case_id,
        tracking_no=no,
        topic=topic,
        district=district if isinstance(district, str) and district else None,
        cell=cell,
        day=day,
    )


def cell_of(lat: float, lon: float) -> str:
    return geohash.encode(lat, lon, geohash.HOTSPOT_PRECISION)


def submitted_facts(case: Case) -> dict[str, str]:
    """The `SUBMITTED` event's facts for the counters: the topic, district, cell and tracking number
    (none without a topic or a location: such a case is in no cell)."""
    if not case.topic or case.location is None:
        return {}
    facts = {
        FACT_TOPIC: case.topic,
        FACT_CELL: cell_of(case.location.lat, case.location.lon),
        FACT_TRACKING_NO: case.tracking_no,
    }
    if case.district:
        facts[FACT_DISTRICT] = case.district
    return facts


@dataclass(frozen=True)
class CellDay:
    """One cell's reports of one topic on one day, as counted."""

    day: date
    topic: str
    cell: str
    district: str | None
    count: int
    #: Tracking numbers, at most `MAX_CASES_PER_CELL` (the first reported).
    cases: tuple[str, ...] = ()
    #: The same cases' ids, in the same order (empty when the row does not hold one for each number).
    case_ids: tuple[str, ...] = ()
    #: The report (case id, event seq) that owns the cell's day's alert, once one claimed it.
    alert_owner: tuple[str, int] | None = None


class Hotspot(Model):
    """A cell's day that reached its threshold, as the hotspot listing shows it."""

    day: date
    topic: str
    cell: str
    district: str | None
    #: The cell's centre and its bounds (the console draws the rectangle; no report's own position).
    lat: float
    lon: float
    south: float
    north: float
    west: float
    east: float
    count: int
    #: Mean reports per day over the `BASELINE_DAYS` days before.
    baseline: float
    threshold: int
    cases: list[str]
    #: The ids of `cases`, in the same order (the console links each number to its case page); empty
    #: when the counters hold no id for each number.
    case_ids: list[str] = Field(default_factory=list)


class Listing(Model):
    """What `GET /v1/hotspots` answers: the period, its filters, the minimum in force and the hotspots."""

    day_from: date
    day_to: date
    topic: str | None
    district: str | None
    min_reports: int
    hotspots: list[Hotspot]


def hotspot(row: CellDay, baseline_mean: float, min_reports: int) -> Hotspot | None:
    """The listing's entry for `row`, or None when its count stays below its threshold."""
    needed = threshold(baseline_mean, min_reports)
    if row.count < needed:
        return None
    south, north, west, east = geohash.bounds(row.cell)
    lat, lon = geohash.centre(row.cell)
    return Hotspot(
        day=row.day,
        topic=row.topic,
        cell=row.cell,
        district=row.district,
        lat=round(lat, 6),
        lon=round(lon, 6),
        south=round(south, 6),
        north=round(north, 6),
        west=round(west, 6),
        east=round(east, 6),
        count=row.count,
        baseline=round(baseline_mean, 3),
        threshold=needed,
        cases=list(row.cases),
        case_ids=list(row.case_ids) if len(row.case_ids) == len(row.cases) else [],
    )


def alert_message(hot: Hotspot, topic_name: str, district_name: str | None) -> Message:
    """The supervision office's SMS: where (district), what (topic), how many against how usual, and
    the first tracking number (the text is the catalogue's `SMS_KEY`)."""
    return message(
        SMS_KEY,
        district=district_name or "",
        topic=topic_name,
        count=hot.count,
        baseline=f"{hot.baseline:.1f}",
        no=hot.cases[0] if hot.cases else "-",
    )
