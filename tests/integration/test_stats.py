"""The scoreboard on moto: timeline events delivered from the table's stream to the real
ScoreboardFunction (as Lambda's event source mapping does), counted exactly once per unit and
Asia/Shanghai day, and read back through the real StatsFunction (JSON and CSV, role limits, range
checks). The stats query reads daily counter rows, never cases.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from infra.local.gateway import LocalGateway
from infra.local.streams import StreamMapping, StreamPoller
from minyi.domain import lifecycle, scoreboard
from minyi.domain.errors import ConcurrentUpdate
from minyi.domain.lifecycle import RatingPolicy, Transition
from minyi.domain.models import Actor, Case, CaseStatus, Category, Role
from minyi.services.scoreboard import ScoreboardService
from tests.integration.conftest import Stack, citizen, staff

SCOREBOARD = "ScoreboardFunction"
TRAFFIC = "futian-traffic-police"
URBAN = "futian-urban-management"
REQUEST: dict[str, Any] = {
    "category": "complaint",
    "topic": "traffic",
    "district": "futian",
    "description": "Lorries use the residential street as a shortcut at night",
    "phone": "+86 138 1234 5678",
}
SUPERVISOR = {"sub": "sup-1", "cognito:groups": "supervisor"}
DISPATCHER = {"sub": "disp-1", "cognito:groups": "dispatcher"}
ADMIN = {"sub": "admin-1", "cognito:groups": "admin"}
SATISFIED = {"speed": 5, "effectiveness": 4, "experience": 5, "feedback_quality": 4}
UNSATISFIED = {"speed": 4, "effectiveness": 2, "experience": 4, "feedback_quality": 4}
ZERO = dict.fromkeys(scoreboard.COUNTERS, 0)


# --- stream delivery -------------------------------------------------------------------------------


class RecordingPoller(StreamPoller):
    """Lambda's event source mapping for the scoreboard only, remembering every batch it delivered."""

    def __init__(self, stack: Stack):
        super().__init__(stack.lambdas.template, stack.lambdas, stack.resources)
        self.mappings = [m for m in self.mappings if m.function == SCOREBOARD]
        assert len(self.mappings) == 1, "the scoreboard has one stream event source"
        self.batches: list[list[dict[str, Any]]] = []

    def deliver(self, mapping: StreamMapping, batch: list[dict[str, Any]], shard_id: str, stream_arn: str) -> None:
        self.batches.append(batch)
        super().deliver(mapping, batch, shard_id, stream_arn)

    def drain(self) -> int:
        """poll_once() until two polls in a row read nothing more. Returns how many records this
        delivered to the scoreboard (timeline event INSERTs only, per the mapping's filter)."""
        already, idle = sum(len(b) for b in self.batches), 0
        while idle < 2:
            idle = idle + 1 if self.poll_once() == 0 else 0
        assert self.mappings[0].stats["dead_lettered"] == 0
        return sum(len(b) for b in self.batches) - already


@pytest.fixture
def poller(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Iterator[RecordingPoller]:
    # the poller creates plain boto3 dynamodbstreams clients (platform notes)
    monkeypatch.setenv("AWS_ACCOUNT_ID_ENDPOINT_MODE", "disabled")
    yield RecordingPoller(stack)


# --- HTTP helpers ----------------------------------------------------------------------------------


def raw_get(stack: Stack, path: str, claims: dict[str, str] | None) -> dict[str, Any]:
    """Like Stack.request, but the handler's raw response (the CSV body is not JSON)."""
    route, params = next((r, p) for r in stack.routes if (p := r.match("GET", path.split("?")[0])) is not None)
    query = path.split("?", 1)[1] if "?" in path else ""
    event = LocalGateway._proxy_event(route, "GET", path.split("?")[0], query, {}, b"", params, claims, "127.0.0.1")
    return dict(stack.lambdas.invoke(route.function, event))


def stats(stack: Stack, claims: dict[str, str] | None, day_from: date, day_to: date, **query: str) -> dict[str, Any]:
    extra = "".join(f"&{k}={v}" for k, v in query.items())
    status, body = stack.request("GET", f"/v1/stats?from={day_from}&to={day_to}{extra}", claims)
    assert status == 200, body
    return dict(body)


def counters(scores: dict[str, Any]) -> dict[str, int]:
    return {k: scores[k] for k in scoreboard.COUNTERS}


def problem_fields(body: dict[str, Any]) -> list[str]:
    return [p["field"] for p in body["problems"]]


# --- driving cases ---------------------------------------------------------------------------------


def parked(stack: Stack, case_id: str, phase: str) -> Case:
    """The case once its workflow waits in `phase` of the case's current round."""
    return stack.wait_for(  # type: ignore[no-any-return]
        lambda: (
            (c := stack.repo.get_case(case_id)) and c.wait and c.wait.phase == phase and c.wait.round == c.round and c
        )
    )


def handle_round(stack: Stack, case_id: str, unit: dict[str, str]) -> None:
    parked(stack, case_id, "handling")
    assert stack.request("POST", f"/v1/cases/{case_id}/accept", unit)[0] == 200
    status, body = stack.request("POST", f"/v1/cases/{case_id}/reply", unit, {"message": "Done."})
    assert status == 200, body
    parked(stack, case_id, "rating")


def rate(stack: Stack, case_id: str, who: dict[str, str], scores: dict[str, int], expect: str) -> None:
    status, body = stack.request("POST", f"/v1/requests/{case_id}/rating", who, scores)
    assert status == 200, body
    assert body["status"] == expect


def scripted_case(stack: Stack, script: list[tuple[dict[str, int], str]] | None) -> str:
    """Submit over HTTP, let the workflow dispatch it to the traffic police, then one handled round
    per rating in `script` (scores, expected status). None: handled once and left unrated."""
    who = citizen()
    status, created = stack.request("POST", "/v1/requests", who, REQUEST)
    assert status == 201, created
    case_id = str(created["id"])
    unit = staff(TRAFFIC)
    for scores, expect in script or [({}, "")]:
        handle_round(stack, case_id, unit)
        if script is not None:
            rate(stack, case_id, who, scores, expect)
    return case_id


def new_case(created_at: datetime) -> Case:
    return Case(
        id=uuid.uuid4().hex,
        tracking_no=f"SZ-{uuid.uuid4().hex[:12].upper()}",
        citizen_id=f"c-{uuid.uuid4().hex[:8]}",
        phone="+8613812345678",
        category=Category.COMPLAINT,
        topic="traffic",
        district="futian",
        description="Seeded directly in the table",
        status=CaseStatus.SUBMITTED,
        created_at=created_at,
        updated_at=created_at,
    )


def seed_dispatched(stack: Stack, submitted_at: datetime, dispatched_at: datetime, due_at: datetime, unit: str) -> Case:
    """Submitted and dispatched in one write through the repository, no workflow."""
    case = new_case(submitted_at)
    first = lifecycle.submitted(case, submitted_at)
    routed = lifecycle.dispatch(first.after, unit, due_at, lifecycle.ROUTER, dispatched_at, "seeded")
    transition = Transition(before=case, after=routed.after, events=[*first.events, *routed.events])
    stack.repo.create_case(transition, "5678", [])
    stored = stack.repo.get_case(case.id)
    assert stored is not None
    return stored


def late_case_closed_satisfied(stack: Stack, unit: str) -> str:
    """A case that went overdue, was answered late and rated satisfied (lifecycle + repository)."""
    now = datetime.now(UTC)
    case = seed_dispatched(
        stack, now - timedelta(seconds=3), now - timedelta(seconds=2), now - timedelta(seconds=1), unit
    )
    actor = Actor(role=Role.STAFF, id="s-late", unit_id=unit)
    case = stack.repo.save(lifecycle.mark_overdue(case, now))
    case = stack.repo.save(lifecycle.accept(case, actor, now))
    case = stack.repo.save(lifecycle.reply(case, "Sorry for the delay.", actor, now))
    who = Actor(role=Role.CITIZEN, id=case.citizen_id)
    closed = stack.repo.save(lifecycle.rate(case, SATISFIED, None, who, now, RatingPolicy(), now + timedelta(days=5)))
    assert closed.status == CaseStatus.CLOSED and closed.on_time is False
    return case.id


def event_days(stack: Stack, case_ids: list[str]) -> tuple[date, date]:
    days = [scoreboard.stats_day(e) for cid in case_ids for e in stack.repo.timeline(cid)]
    return min(days), max(days)


# --- the scripted outcomes -------------------------------------------------------------------------


def test_stats_count_a_scripted_set_of_outcomes_exactly_once(stack: Stack, poller: RecordingPoller) -> None:
    # Given five cases with known outcomes:
    # A: satisfied on the first reply, on time
    a = scripted_case(stack, [(SATISFIED, "CLOSED")])
    # B: unsatisfied, redone, then satisfied (resolved after a rollback)
    b = scripted_case(stack, [(UNSATISFIED, "REOPENED"), (SATISFIED, "CLOSED")])
    # C: unsatisfied twice (supervised), then closed under supervision, still unsatisfied
    c = scripted_case(stack, [(UNSATISFIED, "REOPENED"), (UNSATISFIED, "SUPERVISED"), (UNSATISFIED, "CLOSED")])
    # D: answered, and the rating window closed it unrated (the workflow's close_unrated task)
    d = scripted_case(stack, None)
    result = stack.lambdas.invoke("AssignFunction", {"action": "close_unrated", "case_id": d})
    assert result == {"outcome": "closed"}
    # E: another unit's case that went overdue, was answered late and rated satisfied
    e = late_case_closed_satisfied(stack, URBAN)
    closed = {cid: stack.repo.get_case(cid) for cid in (a, b, c, d, e)}
    assert {cid: (x.status, x.closed_reason) for cid, x in closed.items() if x} == {
        a: (CaseStatus.CLOSED, "satisfied"),
        b: (CaseStatus.CLOSED, "satisfied"),
        c: (CaseStatus.CLOSED, "closed_under_supervision"),
        d: (CaseStatus.CLOSED, "unrated"),
        e: (CaseStatus.CLOSED, "satisfied"),
    }
    day_from, day_to = event_days(stack, [a, b, c, d, e])

    # When the stream is delivered to the scoreboard until idle
    delivered = poller.drain()
    assert delivered == sum(len(stack.repo.timeline(cid)) for cid in (a, b, c, d, e))
    body = stats(stack, SUPERVISOR, day_from, day_to)

    # Then the totals are exact
    assert counters(body["totals"]) == {
        "submitted": 5,
        "dispatched": 5,
        "closed": 5,
        "closed_on_time": 4,
        "rated": 7,
        "satisfied": 3,
        "reopened": 2,
        "resolved_after_rollback": 1,
        "supervised": 1,
        "overdue": 1,
    }
    assert body["totals"]["on_time_rate"] == 0.8
    assert body["totals"]["satisfaction_rate"] == round(3 / 7, 4)
    # And the league ranks the traffic police (all on time) above urban management (late)
    assert [u["unit_id"] for u in body["units"]] == [TRAFFIC, URBAN]
    traffic, urban = body["units"]
    assert counters(traffic) == {
        **ZERO,
        "dispatched": 4,
        "closed": 4,
        "closed_on_time": 4,
        "rated": 6,
        "satisfied": 2,
        "reopened": 2,
        "resolved_after_rollback": 1,
        "supervised": 1,
    }
    assert (traffic["on_time_rate"], traffic["satisfaction_rate"]) == (1.0, round(2 / 6, 4))
    assert traffic["unit_name"]
    assert counters(urban) == {**ZERO, "dispatched": 1, "closed": 1, "rated": 1, "satisfied": 1, "overdue": 1}
    assert (urban["on_time_rate"], urban["satisfaction_rate"]) == (0.0, 1.0)
    assert (body["from"], body["to"], body["unit_id"]) == (day_from.isoformat(), day_to.isoformat(), None)

    # When every batch is delivered again (a redelivery after a lost checkpoint)
    for batch in poller.batches:
        result = stack.lambdas.invoke(SCOREBOARD, {"Records": batch})
        assert result == {"batchItemFailures": []}
    # And a new event source mapping replays the whole stream from its start
    replayed = RecordingPoller(stack).drain()
    assert replayed == delivered
    # Then nothing changed
    assert stats(stack, SUPERVISOR, day_from, day_to) == body

    # And the days around them are empty
    before = stats(stack, SUPERVISOR, day_from - timedelta(days=3), day_from - timedelta(days=1))
    assert counters(before["totals"]) == ZERO and before["units"] == []
    assert before["totals"]["on_time_rate"] is None and before["totals"]["satisfaction_rate"] is None

    # And other roles see the same numbers: dispatchers and admins everything...
    assert stats(stack, DISPATCHER, day_from, day_to) == body
    assert stats(stack, ADMIN, day_from, day_to) == body
    # ...staff only their own unit, whatever they ask for
    own = stats(stack, staff(TRAFFIC), day_from, day_to)
    assert own["unit_id"] == TRAFFIC
    assert [u["unit_id"] for u in own["units"]] == [TRAFFIC]
    assert counters(own["totals"]) == counters(traffic)
    assert stats(stack, staff(TRAFFIC), day_from, day_to, unit_id=TRAFFIC) == own
    status, refused = stack.request("GET", f"/v1/stats?from={day_from}&to={day_to}&unit_id={URBAN}", staff(TRAFFIC))
    assert status == 403, refused
    # And a supervisor can narrow to one unit
    narrowed = stats(stack, SUPERVISOR, day_from, day_to, unit_id=URBAN)
    assert [u["unit_id"] for u in narrowed["units"]] == [URBAN]
    assert counters(narrowed["totals"]) == counters(urban)

    # When the same numbers are asked for as CSV
    resp = raw_get(stack, f"/v1/stats?from={day_from}&to={day_to}&format=csv", SUPERVISOR)
    # Then it is a CSV download with a header, one row per unit and a TOTAL row
    assert resp["statusCode"] == 200
    headers = {k.lower(): v[-1] for k, v in resp["multiValueHeaders"].items()}
    assert headers["content-type"].startswith("text/csv")
    assert "attachment" in headers["content-disposition"]
    assert f"minyi-stats-{day_from}-{day_to}.csv" in headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(resp["body"])))
    assert [r["unit_id"] for r in rows] == [TRAFFIC, URBAN, "TOTAL"]
    assert rows[0]["closed_on_time"] == "4" and rows[0]["on_time_rate"] == "1.0"
    assert rows[1]["overdue"] == "1" and rows[1]["on_time_rate"] == "0.0"
    assert rows[2]["submitted"] == "5" and rows[2]["closed"] == "5" and rows[2]["on_time_rate"] == "0.8"
    assert list(rows[0])[:2] == ["unit_id", "unit_name"]


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
        ("to=2026-03-02", "from"),
        ("from=2026-03-01", "to"),
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
    # Given 5 cases submitted and dispatched to one unit on one day, counted by the scoreboard
    service = ScoreboardService(stack.repo)
    at = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 in Shenzhen
    day = date(2026, 3, 2)

    def add_cases(n: int) -> None:
        for _ in range(n):
            case = seed_dispatched(stack, at, at + timedelta(minutes=1), at + timedelta(days=5), TRAFFIC)
            for event in stack.repo.timeline(case.id):
                assert service.count(event) is True
                assert service.count(event) is False  # counted once, whatever happens

    add_cases(5)
    body_5, unit_reads_5 = service.stats(day, day, TRAFFIC)
    _, all_reads_5 = service.stats(day, day, None)

    # When 45 more arrive
    add_cases(45)
    body_50, unit_reads_50 = service.stats(day, day, TRAFFIC)
    _, all_reads_50 = service.stats(day, day, None)

    # Then the numbers grew tenfold but the reads did not: one counter row per unit and day
    assert body_5["totals"]["dispatched"] == 5  # type: ignore[index]
    assert body_50["totals"]["dispatched"] == 50  # type: ignore[index]
    assert unit_reads_5 == unit_reads_50 == 1
    assert all_reads_5 == all_reads_50 == 2  # the unit's row and the unassigned submissions' row
    # And a week's range reads at most one row per unit per day
    _, week_reads = service.stats(day - timedelta(days=6), day, None)
    assert week_reads == 2


def test_redelivered_records_with_a_failure_are_not_double_counted(stack: Stack, poller: RecordingPoller) -> None:
    # Given a case's events delivered once
    now = datetime.now(UTC)
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
    # Given a dispatched case, its events delivered to the scoreboard
    now = datetime.now(UTC)
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
