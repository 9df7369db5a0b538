"""Hotspots (未诉先办, issue 18) end to end over HTTP: reports of one topic filed in one ~150 m cell go
through the table's stream to the projections, `GET /v1/hotspots` lists the cell for dispatchers and
supervisors (never citizens), and the supervision office's duty phone gets one SMS for it.

The runtime is shared by the whole e2e session (other tests file traffic cases at VALID_REQUEST's
spot), so this test files environment reports at a point of its own and looks only at its own cell and
cases.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from minyi.adapters.catalog_file import shenzhen_catalog
from minyi.domain import hotspots
from minyi.domain.deadlines import CITY_TZ
from minyi.domain.models import SUPERVISION_OFFICE_ID
from tests.e2e.conftest import VALID_REQUEST, Api

LIANHUASHAN = {"lat": 22.5560, "lon": 114.0550}  # Futian, away from every other e2e test's reports
CELL = hotspots.cell_of(LIANHUASHAN["lat"], LIANHUASHAN["lon"])
DUTY_PHONE = str(shenzhen_catalog().units[SUPERVISION_OFFICE_ID].duty_phone)
REPORT: dict[str, Any] = {
    **VALID_REQUEST,
    "topic": "environment",
    "district": "futian",
    "location": LIANHUASHAN,
    "address": "莲花山公园北门",
}


def our_cell(api: Api, token: str) -> dict[str, Any] | None:
    today = datetime.now(CITY_TZ).date().isoformat()
    resp = api.call("GET", "/v1/hotspots", token, params={"from": today, "to": today, "topic": "environment"})
    assert resp.status_code == 200, resp.text
    return next((h for h in resp.json()["hotspots"] if h["cell"] == CELL), None)


def hotspot_sms(api: Api, case_ids: set[str]) -> list[dict[str, Any]]:
    resp = api.call("GET", "/local/sms", params={"phone": DUTY_PHONE})
    assert resp.status_code == 200, resp.text
    return [m for m in resp.json()["messages"] if m["kind"] == "hotspot" and m["case_id"] in case_ids]


def test_reports_in_one_cell_are_listed_and_text_the_duty_phone_once(api: Api) -> None:
    # Given six residents reporting the same smell at the park's north gate
    filed = []
    for i in range(6):
        citizen = api.token(sub=f"citizen-hotspot-{i}")
        resp = api.call(
            "POST", "/v1/requests", citizen, json={**REPORT, "description": f"莲花山公园北门垃圾站臭味很大 {i}"}
        )
        assert resp.status_code == 201, resp.text
        filed.append(resp.json())
    numbers = [c["tracking_no"] for c in filed]
    ids = {c["id"] for c in filed}
    supervisor = api.token(role="supervisor", sub="supervisor-hotspots")
    dispatcher = api.token(role="dispatcher", sub="dispatcher-hotspots")
    # When the stream has reached the counters
    hot = api.wait_for(lambda: (h := our_cell(api, supervisor)) and h["count"] == 6 and h, timeout=60)
    # Then a supervisor sees the cell with its centre, district, count, baseline and every case
    assert (hot["topic"], hot["district"], hot["baseline"], hot["threshold"]) == ("environment", "futian", 0.0, 5)
    assert hot["south"] <= hot["lat"] <= hot["north"] and hot["west"] <= hot["lon"] <= hot["east"]
    assert sorted(hot["cases"]) == sorted(numbers)
    assert {hot["case_ids"][hot["cases"].index(c["tracking_no"])] for c in filed} == ids
    # and so does a dispatcher
    assert our_cell(api, dispatcher) == hot
    # and the supervision office's duty phone got one SMS about it (the sixth report sent none)
    sent = api.wait_for(lambda: hotspot_sms(api, ids), timeout=60)
    assert len(sent) == 1, sent
    assert sent[0]["to"] == DUTY_PHONE and "莲花山" not in sent[0]["body"], sent  # no citizen's words
    assert sent[0]["body"].split("首件", 1)[1][: len(numbers[0])] in numbers
    # and a citizen is refused the listing
    citizen = api.token(sub="citizen-hotspot-0")
    assert api.call("GET", "/v1/hotspots", citizen).status_code == 403
