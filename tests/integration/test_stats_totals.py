"""Exact totals of the scoreboard on moto, with a table of its own (this module's stack): six cases
with known outcomes, driven over HTTP through the real workflow, delivered from the stream to the
real ScoreboardFunction, counted exactly once (redelivery of every batch, a new mapping replaying the
whole stream) and read back through the real StatsFunction as JSON and CSV, for every role."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import timedelta

import pytest

from minyi.domain.models import CaseStatus
from tests.integration.conftest import Stack, staff
from tests.integration.stats_helpers import (
    ADMIN,
    DISPATCHER,
    SATISFIED,
    SUPERVISOR,
    TRAFFIC,
    UNSATISFIED,
    URBAN,
    ZERO,
    RecordingPoller,
    counters,
    event_days,
    late_case_closed_satisfied,
    raw_get,
    scripted_case,
    stats,
)


@pytest.fixture
def poller(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Iterator[RecordingPoller]:
    # the poller creates plain boto3 dynamodbstreams clients (platform notes)
    monkeypatch.setenv("AWS_ACCOUNT_ID_ENDPOINT_MODE", "disabled")
    yield RecordingPoller(stack)


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
    # F: unsatisfied twice (supervised), then satisfied under supervision (resolved after the rollback too)
    f = scripted_case(stack, [(UNSATISFIED, "REOPENED"), (UNSATISFIED, "SUPERVISED"), (SATISFIED, "CLOSED")])
    cases = (a, b, c, d, e, f)
    closed = {cid: stack.repo.get_case(cid) for cid in cases}
    assert {cid: (x.status, x.closed_reason) for cid, x in closed.items() if x} == {
        a: (CaseStatus.CLOSED, "satisfied"),
        b: (CaseStatus.CLOSED, "satisfied"),
        c: (CaseStatus.CLOSED, "closed_under_supervision"),
        d: (CaseStatus.CLOSED, "unrated"),
        e: (CaseStatus.CLOSED, "satisfied"),
        f: (CaseStatus.CLOSED, "satisfied"),
    }
    day_from, day_to = event_days(stack, list(cases))

    # When the stream is delivered to the scoreboard until idle
    delivered = poller.drain()
    assert delivered == sum(len(stack.repo.timeline(cid)) for cid in cases)
    body = stats(stack, SUPERVISOR, day_from, day_to)

    # Then the totals are exact
    assert counters(body["totals"]) == {
        **ZERO,
        "submitted": 6,
        "dispatched": 6,
        "closed": 6,
        "closed_on_time": 5,
        "rated": 10,
        "satisfied": 4,
        "reopened": 3,
        "resolved_after_rollback": 2,
        "supervised": 2,
        "overdue": 1,
    }
    assert body["totals"]["on_time_rate"] == round(5 / 6, 4)
    assert body["totals"]["satisfaction_rate"] == 0.4
    # And "resolved after rollback" is the recount over the raw cases: every reopened case closed
    # satisfied, after the redo or under supervision
    recount = sum(1 for x in closed.values() if x and x.reopen_count > 0 and x.closed_reason == "satisfied")
    assert body["totals"]["resolved_after_rollback"] == recount == 2
    # And the league ranks the traffic police (all on time) above urban management (late)
    assert [u["unit_id"] for u in body["units"]] == [TRAFFIC, URBAN]
    traffic, urban = body["units"]
    assert counters(traffic) == {
        **ZERO,
        "dispatched": 5,
        "closed": 5,
        "closed_on_time": 5,
        "rated": 9,
        "satisfied": 3,
        "reopened": 3,
        "resolved_after_rollback": 2,
        "supervised": 2,
    }
    assert (traffic["on_time_rate"], traffic["satisfaction_rate"]) == (1.0, round(3 / 9, 4))
    assert traffic["unit_name"]
    assert counters(urban) == {**ZERO, "dispatched": 1, "closed": 1, "rated": 1, "satisfied": 1, "overdue": 1}
    assert (urban["on_time_rate"], urban["satisfaction_rate"]) == (0.0, 1.0)
    assert (body["from"], body["to"], body["unit_id"]) == (day_from.isoformat(), day_to.isoformat(), None)

    # When a new event source mapping replays the whole stream from its start: every batch delivered
    # again, as after a lost checkpoint (each redelivered event is a cancelled transaction, and moto
    # copies the whole table to roll each one back, so the stream is replayed once, not twice)
    replay = RecordingPoller(stack)
    replayed = replay.drain()
    # Then every batch succeeded again (no failures reported, nothing dead-lettered) and nothing changed
    assert replayed == delivered
    assert replay.mappings[0].stats["dead_lettered"] == 0 and replay.mappings[0].stats["records"] == delivered
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
    assert resp["body"].startswith("\ufeff")  # a byte order mark, so spreadsheets read it as UTF-8
    rows = list(csv.DictReader(io.StringIO(resp["body"].removeprefix("\ufeff"))))
    assert [r["unit_id"] for r in rows] == [TRAFFIC, URBAN, "TOTAL"]
    assert rows[0]["closed_on_time"] == "5" and rows[0]["on_time_rate"] == "1.0"
    assert rows[1]["overdue"] == "1" and rows[1]["on_time_rate"] == "0.0"
    assert rows[2]["submitted"] == "6" and rows[2]["closed"] == "6" and rows[2]["on_time_rate"] == "0.8333"
    assert list(rows[0])[:2] == ["unit_id", "unit_name"]
