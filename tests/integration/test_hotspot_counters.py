"""The hotspot counters (未诉先办) on moto and on the fake, with the same expectations: a report counted
once per event in its cell's day and the cell's series, the tracking numbers kept (bounded, never
twice), a period read one day partition at a time, a baseline in one query, one alert owner per cell's
day. Each scenario works on a topic of its own (one stack serves the module)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from minyi.adapters.dynamo.cases import DynamoCaseRepository
from minyi.adapters.dynamo.hotspots import DynamoHotspotRepository
from minyi.domain import hotspots, lifecycle
from minyi.domain.deadlines import CITY_TZ
from minyi.domain.models import Case, CaseStatus, Category, Location, TimelineEvent
from minyi.ports import CaseRepository, HotspotRepository
from tests.fakes import FakeCaseRepository, FakeHotspotRepository
from tests.integration.conftest import Stack

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 in Shenzhen
DAY = date(2026, 3, 2)
CAITIAN = Location(lat=22.5403, lon=114.0580)


@dataclass
class Repos:
    cases: CaseRepository
    counters: HotspotRepository


@pytest.fixture(params=["dynamo", "fake"])
def repos(request: pytest.FixtureRequest) -> Iterator[Repos]:
    if request.param == "dynamo":
        stack: Stack = request.getfixturevalue("stack")
        yield Repos(DynamoCaseRepository(stack.table), DynamoHotspotRepository(stack.table))
    else:
        cases = FakeCaseRepository()
        yield Repos(cases, FakeHotspotRepository(cases))


def filed(repos: Repos, topic: str, at: datetime = NOW, **overrides: Any) -> tuple[TimelineEvent, hotspots.Report]:
    """A case stored with its SUBMITTED event; that event and the report it carries."""
    fields: dict[str, Any] = {
        "id": uuid.uuid4().hex,
        "tracking_no": f"SZ-{uuid.uuid4().hex[:10].upper()}",
        "citizen_id": "c-1",
        "phone": "+8613812345678",
        "category": Category.COMPLAINT,
        "topic": topic,
        "district": "futian",
        "description": "红绿灯坏了",
        "location": CAITIAN,
        "status": CaseStatus.SUBMITTED,
        "created_at": at,
        "updated_at": at,
    }
    case = Case(**{**fields, **overrides})
    transition = lifecycle.submitted(case, at)
    repos.cases.create_case(transition, "5678", [])
    event = transition.events[0]
    report = hotspots.report_of(event, at.astimezone(CITY_TZ).date())
    assert report is not None
    return event, report


def topic() -> str:
    return f"t{uuid.uuid4().hex[:8]}"


def test_a_report_is_counted_once_with_its_tracking_number(repos: Repos) -> None:
    # Given two reports of a topic in one cell
    name = topic()
    first, first_report = filed(repos, name)
    second, second_report = filed(repos, name)
    # When both are counted, and the first delivered again
    assert repos.counters.count_report(first, first_report, NOW) is True
    assert repos.counters.count_report(second, second_report, NOW) is True
    assert repos.counters.count_report(first, first_report, NOW) is False
    # Then the cell's day holds two reports and each number once; the series says 2 that day
    row = repos.counters.cell_day(DAY, name, first_report.cell)
    assert row is not None
    assert (row.count, row.district, row.cases) == (2, "futian", (first_report.tracking_no, second_report.tracking_no))
    # and each number's case id beside it, in the same order
    assert row.case_ids == (first_report.case_id, second_report.case_id)
    assert repos.counters.cell_counts(name, first_report.cell, DAY - timedelta(days=28), DAY) == {DAY: 2}


def test_an_event_that_is_not_in_the_table_is_not_counted(repos: Repos) -> None:
    name = topic()
    event, report = filed(repos, name)
    ghost = event.model_copy(update={"case_id": uuid.uuid4().hex})
    assert repos.counters.count_report(ghost, report, NOW) is False
    assert repos.counters.cell_day(DAY, name, report.cell) is None


def test_the_tracking_numbers_are_bounded(repos: Repos) -> None:
    name = topic()
    for _ in range(hotspots.MAX_CASES_PER_CELL + 3):
        event, report = filed(repos, name)
        repos.counters.count_report(event, report, NOW)
    row = repos.counters.cell_day(DAY, name, report.cell)
    assert row is not None
    assert (row.count, len(row.cases)) == (hotspots.MAX_CASES_PER_CELL + 3, hotspots.MAX_CASES_PER_CELL)
    assert len(row.case_ids) == hotspots.MAX_CASES_PER_CELL


def test_a_period_and_a_baseline_are_read_by_day_and_by_cell(repos: Repos) -> None:
    # Given reports of one topic on two days, and of another topic
    name, other = topic(), topic()
    for at in (NOW - timedelta(days=3), NOW - timedelta(days=3), NOW):
        event, report = filed(repos, name, at)
        repos.counters.count_report(event, report, at)
    event, report = filed(repos, other)
    repos.counters.count_report(event, report, NOW)
    # When the period is read for the topic
    rows, requests = repos.counters.cells(DAY - timedelta(days=3), DAY, name)
    # Then one request per day, and the topic's two cell-days
    assert requests == 4
    assert sorted((r.day, r.count) for r in rows) == [(DAY - timedelta(days=3), 2), (DAY, 1)]
    # and the cell's series covers the days asked for only
    assert repos.counters.cell_counts(name, report.cell, DAY - timedelta(days=28), DAY - timedelta(days=1)) == {
        DAY - timedelta(days=3): 2
    }


def test_one_event_owns_a_cell_days_alert(repos: Repos) -> None:
    name = topic()
    first, report = filed(repos, name)
    second, _ = filed(repos, name)
    repos.counters.count_report(first, report, NOW)
    assert repos.counters.claim_alert(DAY, name, report.cell, first.case_id, first.seq) is True
    # the same event again (a redelivery) still owns it; another does not
    assert repos.counters.claim_alert(DAY, name, report.cell, first.case_id, first.seq) is True
    assert repos.counters.claim_alert(DAY, name, report.cell, second.case_id, second.seq) is False
    # and a cell's day nobody reported has no alert to claim
    assert repos.counters.claim_alert(DAY, topic(), report.cell, first.case_id, first.seq) is False
