"""Hotspots (未诉先办) on moto: reports filed in one cell go through the table's stream to the real
ProjectionsFunction, which counts them and texts the supervision office once; the real StatsFunction
lists the cell at `GET /v1/hotspots` for dispatchers and supervisors only, and refuses a period longer
than 31 days naming the field. One stack serves the module; each test uses days of its own."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest

from minyi.adapters.dynamo import DynamoOutboxRepository
from minyi.domain import hotspots, lifecycle
from minyi.domain.models import Location
from tests.integration.conftest import Stack, citizen, staff
from tests.integration.stats_helpers import DISPATCHER, SUPERVISOR, RecordingPoller, new_case, problem_fields

CAITIAN = Location(lat=22.5403, lon=114.0580)
DUTY_PHONE = "+8613900000000"  # the Shenzhen catalogue's supervision office


@pytest.fixture(scope="module")
def module_poller(stack: Stack) -> Iterator[RecordingPoller]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AWS_ACCOUNT_ID_ENDPOINT_MODE", "disabled")
        yield RecordingPoller(stack)


@pytest.fixture
def poller(module_poller: RecordingPoller) -> RecordingPoller:
    module_poller.start_at_the_end()
    return module_poller


def file_reports(stack: Stack, at: datetime, count: int) -> list[str]:
    """`count` cases filed at the crossing at `at` (stored with their SUBMITTED events)."""
    ids = []
    for _ in range(count):
        case = new_case(at).model_copy(update={"location": CAITIAN})
        stack.repo.create_case(lifecycle.submitted(case, at), "5678", [])
        ids.append(case.id)
    return ids


def test_five_reports_in_a_cell_are_listed_and_text_the_supervision_office_once(
    stack: Stack, poller: RecordingPoller
) -> None:
    # Given five reports of traffic at one crossing on 15 April (10:00 in Shenzhen)
    day = date(2026, 4, 15)
    ids = file_reports(stack, datetime(2026, 4, 15, 2, tzinfo=UTC), 5)
    # When the stream is delivered to the projections
    poller.drain()
    # Then a supervisor sees the cell, with its centre, district, count, baseline and cases
    status, body = stack.request("GET", f"/v1/hotspots?from={day}&to={day}", SUPERVISOR)
    assert status == 200, body
    [hot] = body["hotspots"]
    cell = hotspots.cell_of(CAITIAN.lat, CAITIAN.lon)
    assert (hot["cell"], hot["topic"], hot["district"], hot["count"], hot["baseline"]) == (
        cell,
        "traffic",
        "futian",
        5,
        0.0,
    )
    assert hot["south"] <= hot["lat"] <= hot["north"] and hot["west"] <= hot["lon"] <= hot["east"]
    numbers = [stack.repo.get_case(i).tracking_no for i in ids]  # type: ignore[union-attr]
    assert hot["cases"] == numbers
    # and the cases' ids beside their numbers (the console links each number to its case page)
    assert hot["case_ids"] == ids
    # and the supervision office's duty phone was texted once, from the fifth case's outbox
    outbox = DynamoOutboxRepository(stack.table)
    alerts = [e for i in ids for e in outbox.entries(i) if e.kind == "hotspot"]
    assert [(e.to, e.case_id, e.status.value) for e in alerts] == [(DUTY_PHONE, ids[4], "SENT")]
    assert numbers[0] in alerts[0].body and "5件" in alerts[0].body
    # and a dispatcher sees the same; a topic filter narrows it
    status, body = stack.request("GET", f"/v1/hotspots?from={day}&to={day}&topic=environment", DISPATCHER)
    assert status == 200 and body["hotspots"] == [], body


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2026-03-01&to=2026-04-01", "to"),
        ("from=2026-03-05&to=2026-03-04", "to"),
        ("from=2026-03-01&to=2026-03-02&topic=no-such-topic", "topic"),
        ("from=yesterday", "from"),
    ],
)
def test_a_bad_period_is_refused_naming_the_field(stack: Stack, query: str, field: str) -> None:
    status, body = stack.request("GET", f"/v1/hotspots?{query}", SUPERVISOR)
    assert status == 422, body
    assert problem_fields(body) == [field]


def test_a_31_day_period_is_answered(stack: Stack) -> None:
    first = date(2026, 1, 1)
    status, body = stack.request("GET", f"/v1/hotspots?from={first}&to={first + timedelta(days=30)}", SUPERVISOR)
    assert status == 200, body


@pytest.mark.parametrize("claims", [citizen(), staff()])
def test_citizens_and_unit_staff_get_no_hotspots(stack: Stack, claims: dict[str, str]) -> None:
    status, body = stack.request("GET", "/v1/hotspots", claims)
    assert status == 403, body
