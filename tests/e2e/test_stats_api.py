"""The city's numbers end to end: a case handled over HTTP shows up in GET /v1/stats once the
table's stream has reached the scoreboard; the sweep can be fired on demand; CSV export.

The runtime is shared by the whole e2e session, so the numbers are compared with a baseline taken
before acting, on a unit no other e2e test routes to (education in Dapeng).
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from typing import Any

from minyi.domain.deadlines import CITY_TZ
from minyi.domain.scoreboard import COUNTERS
from tests.e2e.conftest import VALID_REQUEST, Api

UNIT = "dapeng-education"
REQUEST: dict[str, Any] = {
    **VALID_REQUEST,
    "topic": "education",
    "district": "dapeng",
    "description": "The school bus stop has no shelter and children wait in the rain",
}
SATISFIED = {"speed": 5, "effectiveness": 5, "experience": 4, "feedback_quality": 5}


def city_days() -> tuple[date, date]:
    """Today in Shenzhen and tomorrow (a case handled around midnight spans both)."""
    today = datetime.now(CITY_TZ).date()
    return today, today + timedelta(days=1)


def get_stats(api: Api, token: str, **params: str) -> dict[str, Any]:
    day_from, day_to = city_days()
    resp = api.call(
        "GET", "/v1/stats", token, params={"from": day_from.isoformat(), "to": day_to.isoformat(), **params}
    )
    assert resp.status_code == 200, resp.text
    assert resp.headers["Content-Type"].startswith("application/json")
    return dict(resp.json())


def unit_row(body: dict[str, Any]) -> dict[str, Any]:
    rows = [u for u in body["units"] if u["unit_id"] == UNIT]
    return rows[0] if rows else {name: 0 for name in COUNTERS}


def act(api: Api, path: str, token: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    """POST an action that must succeed; a 409 while the workflow catches up is retried."""
    last: list[Any] = []

    def attempt() -> dict[str, Any] | None:
        resp = api.call("POST", path, token, json=body if body is not None else {})
        last[:] = [resp.status_code, resp.text]
        if resp.status_code == 409:
            return None
        assert resp.status_code == 200, f"POST {path}: {resp.status_code} {resp.text}"
        return dict(resp.json())

    try:
        return dict(api.wait_for(attempt, timeout=30, interval=0.2))
    except AssertionError as exc:
        raise AssertionError(f"POST {path} kept failing: {last}") from exc


def status_of(api: Api, citizen: str, case_id: str) -> str:
    resp = api.call("GET", f"/v1/requests/{case_id}", citizen)
    assert resp.status_code == 200, resp.text
    return str(resp.json()["status"])


def test_a_completed_case_shows_up_in_the_stats(api: Api) -> None:
    # Given the numbers so far, as a supervisor sees them
    supervisor = api.token("supervisor")
    before = get_stats(api, supervisor)
    before_unit = unit_row(before)

    # When a citizen's request is dispatched, handled and rated satisfied
    citizen = api.token("citizen")
    staff = api.token("staff", unit=UNIT)
    resp = api.call("POST", "/v1/requests", citizen, json=REQUEST)
    assert resp.status_code == 201, resp.text
    case_id = resp.json()["id"]
    api.wait_for(lambda: status_of(api, citizen, case_id) == "DISPATCHED")
    assert act(api, f"/v1/cases/{case_id}/accept", staff)["status"] == "IN_PROGRESS"
    assert act(api, f"/v1/cases/{case_id}/reply", staff, {"message": "A shelter goes up next week."})["status"] == (
        "REPLIED"
    )
    closed = act(api, f"/v1/requests/{case_id}/rating", citizen, SATISFIED)
    assert closed["status"] == "CLOSED" and closed["on_time"] is True

    # Then, once the stream has reached the scoreboard, the unit's numbers grew by exactly this case
    def counted() -> dict[str, Any] | None:
        body = get_stats(api, supervisor)
        row = unit_row(body)
        return body if row["closed"] > before_unit["closed"] else None

    after = api.wait_for(counted, timeout=30, interval=0.5)
    row = unit_row(after)
    for name, delta in {"dispatched": 1, "closed": 1, "closed_on_time": 1, "rated": 1, "satisfied": 1}.items():
        assert row[name] == before_unit[name] + delta, name
    assert row["on_time_rate"] == round(row["closed_on_time"] / row["closed"], 4)
    assert row["satisfaction_rate"] == round(row["satisfied"] / row["rated"], 4)
    # And the city totals include it (its submission is counted before it had a unit)
    assert after["totals"]["submitted"] >= before["totals"]["submitted"] + 1
    assert after["totals"]["closed"] >= before["totals"]["closed"] + 1

    # And the unit's own staff see the same row, and only their unit
    own = get_stats(api, staff)
    assert own["unit_id"] == UNIT
    assert [u["unit_id"] for u in own["units"]] == [UNIT]
    assert {k: own["totals"][k] for k in COUNTERS} == {k: row[k] for k in COUNTERS}
    # But not another unit's numbers
    day_from, day_to = city_days()
    other = api.call(
        "GET", "/v1/stats", staff, params={"from": str(day_from), "to": str(day_to), "unit_id": "futian-traffic-police"}
    )
    assert other.status_code == 403, other.text


def test_firing_the_schedules_runs_the_sweep_and_returns_its_report(api: Api) -> None:
    # When the local schedules are fired on demand
    resp = api.call("POST", "/local/schedules/run")
    # Then the sweep ran and its report is returned
    assert resp.status_code == 200, resp.text
    results = resp.json()["results"]
    assert isinstance(results, list) and len(results) == 1
    [report] = results
    for name in ("due", "items_read", "warned", "escalated", "repaired", "flagged", "skipped"):
        assert isinstance(report[name], int) and report[name] >= 0, name
    assert report["errors"] == []


def test_stats_as_csv(api: Api) -> None:
    # Given a dispatcher
    dispatcher = api.token("dispatcher")
    day_from, day_to = city_days()
    params = {"from": str(day_from), "to": str(day_to)}

    def consistent_read() -> tuple[Any, dict[str, Any]] | None:
        """The CSV, with the JSON answer read before and after it unchanged (the stream may be busy)."""
        first = get_stats(api, dispatcher)
        resp = api.call("GET", "/v1/stats", dispatcher, params={**params, "format": "csv"})
        return (resp, first) if get_stats(api, dispatcher) == first else None

    # When the stats are asked for as CSV
    resp, body = api.wait_for(consistent_read, timeout=30, interval=0.5)

    # Then it is a CSV download: a header, a row per unit and a TOTAL row last
    assert resp.status_code == 200, resp.text
    assert resp.headers["Content-Type"].startswith("text/csv")
    assert resp.headers["Content-Disposition"] == f'attachment; filename="minyi-stats-{day_from}-{day_to}.csv"'
    text = resp.content.decode("utf-8")
    assert text.startswith("\ufeff"), "a byte order mark, so Excel reads the Chinese unit names"
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert rows[0] == ["unit_id", "unit_name", *COUNTERS, "open_overdue", "on_time_rate", "satisfaction_rate"]
    assert rows[-1][0] == "TOTAL"
    units = [r[0] for r in rows[1:-1]]
    assert len(units) == len(set(units)) and "TOTAL" not in units
    # And it carries the same numbers as the JSON answer
    assert units == [u["unit_id"] for u in body["units"]]
    total = dict(zip(rows[0], rows[-1], strict=True))
    assert {k: int(total[k]) for k in COUNTERS} == {k: body["totals"][k] for k in COUNTERS}
