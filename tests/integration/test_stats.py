"""The scoreboard on moto: timeline events delivered from the table's stream to the real
ScoreboardFunction (as Lambda's event source mapping does), counted exactly once per unit and
Asia/Shanghai day, and read back through the real StatsFunction (range checks, role limits). The
stats query reads a few counter partitions, never cases.

One stack serves the module: the stream mapping starts at the end of the stream for each test, and
each test counts on days of its own. The exact totals of a scripted set of outcomes (league, CSV,
roles, redelivery of every batch) need a table of their own: tests/integration/test_stats_totals.py.
Period defaults and limits per role are service logic: tests/unit/services/test_scoreboard_service.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest

from minyi import bootstrap
from minyi.config import ProjectionsSettings
from minyi.domain import lifecycle, scoreboard
from minyi.domain.errors import ConcurrentUpdate
from minyi.domain.models import Actor, Role
from tests.integration.conftest import Stack
from tests.integration.stats_helpers import (
    SUPERVISOR,
    TRAFFIC,
    ZERO,
    RecordingPoller,
    counters,
    problem_fields,
    seed_dispatched,
    stats,
)

SCOREBOARD = "ProjectionsFunction"  # the stream consumer that keeps the counters


@pytest.fixture(scope="module")
def module_poller(stack: Stack) -> Iterator[RecordingPoller]:
    with pytest.MonkeyPatch.context() as mp:
        # the poller creates plain boto3 dynamodbstreams clients (platform notes)
        mp.setenv("AWS_ACCOUNT_ID_ENDPOINT_MODE", "disabled")
        yield RecordingPoller(stack)


@pytest.fixture
def poller(module_poller: RecordingPoller) -> RecordingPoller:
    """The scoreboard's mapping, past whatever earlier tests of the module wrote."""
    module_poller.start_at_the_end()
    return module_poller


def test_days_are_shanghai_dates_of_the_event_time(stack: Stack, poller: RecordingPoller) -> None:
    # Given a case submitted at 23:59 and dispatched at 00:01 Shenzhen time (15:59 and 16:01 UTC)
    submitted_at = datetime(2026, 3, 1, 15, 59, tzinfo=UTC)
    dispatched_at = datetime(2026, 3, 1, 16, 1, tzinfo=UTC)
    seed_dispatched(stack, submitted_at, dispatched_at, dispatched_at + timedelta(days=5), TRAFFIC)

    # When the stream is delivered
    assert poller.drain() == 2

    # Then the submission counts on 1 March and the dispatch on 2 March (not both on the UTC date)
    first = stats(stack, SUPERVISOR, date(2026, 3, 1), date(2026, 3, 1))
    second = stats(stack, SUPERVISOR, date(2026, 3, 2), date(2026, 3, 2))
    both = stats(stack, SUPERVISOR, date(2026, 3, 1), date(2026, 3, 2))
    assert (first["totals"]["submitted"], first["totals"]["dispatched"]) == (1, 0)
    assert (second["totals"]["submitted"], second["totals"]["dispatched"]) == (0, 1)
    assert (both["totals"]["submitted"], both["totals"]["dispatched"]) == (1, 1)
    assert first["units"] == []  # an unrouted submission belongs to no unit's row
    assert [u["unit_id"] for u in second["units"]] == [TRAFFIC]


# --- refusals --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2026-03-05&to=2026-03-04", "to"),
        ("from=2025-01-01&to=2026-01-02", "to"),
        ("from=2026-03-01&to=2026-03-02&unit_id=no-such-unit", "unit_id"),
        ("from=2026-03-01&to=2026-02-31", "to"),
        ("from=yesterday&to=2026-03-02", "from"),
        ("from=2026-03-01&to=2026-03-02&format=xlsx", "format"),
    ],
)
def test_bad_ranges_are_refused_naming_the_field(stack: Stack, query: str, field: str) -> None:
    # Given a supervisor
    # When the range is backwards, longer than 366 days, names an unknown unit or is malformed
    status, body = stack.request("GET", f"/v1/stats?{query}", SUPERVISOR)
    # Then 422 names the field
    assert status == 422, body
    assert problem_fields(body) == [field]


def test_a_full_366_day_range_is_allowed(stack: Stack) -> None:
    # Given a supervisor, when asking for exactly 366 days (a leap year's worth)
    body = stats(stack, SUPERVISOR, date(2024, 1, 1), date(2024, 12, 31))
    # Then it is answered (and empty)
    assert counters(body["totals"]) == ZERO


@pytest.mark.parametrize(
    ("claims", "expected"),
    [
        (None, 401),
        ({"sub": "c-1", "cognito:groups": "citizen"}, 403),
    ],
)
def test_citizens_and_anonymous_callers_get_no_stats(
    stack: Stack, claims: dict[str, str] | None, expected: int
) -> None:
    status, body = stack.request("GET", "/v1/stats?from=2026-03-01&to=2026-03-02", claims)
    assert status == expected, body


def test_staff_without_a_unit_get_no_city_wide_stats(stack: Stack) -> None:
    # Given a staff member whose token carries no unit
    unitless = {"sub": "s-nounit", "cognito:groups": "staff"}
    # When they ask for the stats without naming a unit
    status, body = stack.request("GET", "/v1/stats?from=2026-03-01&to=2026-03-02", unitless)
    # Then they are refused, as they are for any unit's inbox
    assert status == 403, body


# --- reads -----------------------------------------------------------------------------------------


def test_stats_reads_do_not_grow_with_the_number_of_cases(stack: Stack) -> None:
    # Given 2 cases submitted and dispatched to one unit on one day, counted by the scoreboard
    service = bootstrap.scoreboard_service(stack.settings(ProjectionsSettings, SCOREBOARD))
    at = datetime(2025, 6, 10, 2, 0, tzinfo=UTC)  # 10:00 in Shenzhen, a day no other test counts on
    day = date(2025, 6, 10)

    def add_cases(n: int, count_twice: bool = False) -> None:
        for _ in range(n):
            case = seed_dispatched(stack, at, at + timedelta(minutes=1), at + timedelta(days=5), TRAFFIC)
            for event in stack.repo.timeline(case.id):
                assert service.count(event) is True
                # counted once, whatever happens (checked on the first cases only: each second count is
                # a cancelled transaction, which moto rolls back by copying the whole table)
                assert not count_twice or service.count(event) is False

    add_cases(2, count_twice=True)
    few = service.stats(day, day, TRAFFIC)
    few_all = service.stats(day, day, None)

    # When 10 more arrive (the reads would grow sixfold if they followed the cases)
    add_cases(10)
    many = service.stats(day, day, TRAFFIC)
    many_all = service.stats(day, day, None)

    # Then the numbers grew sixfold but the reads did not: one counter partition per period
    assert few.totals.dispatched == 2 and many.totals.dispatched == 12
    assert few_all.totals.submitted == 2 and many_all.totals.submitted == 12
    assert few.items_read == many.items_read == 1
    assert few_all.items_read == many_all.items_read == 1
    # And a week reads one month's partition (or two), a whole year one read per month
    assert service.stats(day - timedelta(days=6), day, None).items_read <= 2
    year = service.stats(date(2024, 6, 10), date(2025, 6, 9), None)
    assert year.items_read == 13 and year.totals.dispatched == 0


def test_redelivered_records_with_a_failure_are_not_double_counted(stack: Stack, poller: RecordingPoller) -> None:
    # Given a case's events delivered once (on a day of its own)
    now = datetime(2025, 7, 1, 2, 0, tzinfo=UTC)
    case = seed_dispatched(stack, now, now, now + timedelta(days=5), TRAFFIC)
    poller.drain()
    day = scoreboard.stats_day(stack.repo.timeline(case.id)[0])
    once = stats(stack, SUPERVISOR, day, day)
    # When the same batch arrives again together with a record the handler cannot parse
    [batch] = poller.batches
    broken = json.loads(json.dumps(batch[0]))
    broken["dynamodb"]["SequenceNumber"] = "999999999999"
    broken["dynamodb"]["NewImage"].pop("type")
    result = stack.lambdas.invoke(SCOREBOARD, {"Records": [*batch, broken]})
    # Then only the broken record is reported failed, and the counts are unchanged
    assert result == {"batchItemFailures": [{"itemIdentifier": "999999999999"}]}
    assert stats(stack, SUPERVISOR, day, day) == once
    assert (once["totals"]["submitted"], once["totals"]["dispatched"]) == (1, 1)


def test_stream_delivery_goes_on_after_a_cancelled_transaction(stack: Stack, poller: RecordingPoller) -> None:
    """Regression: moto rolls a cancelled transaction back by swapping in a copy of the table and its
    stream; the poller must keep reading the live stream (it stalled for good before c911575)."""
    # Given a dispatched case, its events delivered to the scoreboard (on a day of its own)
    now = datetime(2025, 7, 2, 2, 0, tzinfo=UTC)
    case = seed_dispatched(stack, now, now, now + timedelta(days=5), TRAFFIC)
    poller.drain()
    # And a write that lost an optimistic-lock race (its transaction was cancelled)
    unit = Actor(role=Role.STAFF, id="s-1", unit_id=TRAFFIC)
    stack.repo.save(lifecycle.accept(case, unit, now))
    with pytest.raises(ConcurrentUpdate):
        stack.repo.save(lifecycle.accept(case, unit, now))
    poller.drain()

    # When another case is submitted and dispatched
    seed_dispatched(stack, now, now, now + timedelta(days=5), TRAFFIC)
    delivered = poller.drain()

    # Then its two events reach the scoreboard, and both dispatches are counted
    assert delivered == 2
    day = scoreboard.stats_day(stack.repo.timeline(case.id)[0])
    assert stats(stack, SUPERVISOR, day, day)["totals"]["dispatched"] == 2
