"""Smart intake over HTTP on the local runtime (issue 18, parts 1 and 2): suggestions while writing for
a citizen (no other citizen's words) and for staff (phone numbers masked), a case filed without topic
or district routed by the packaged model when it is sure, else queued for the dispatch centre with its
suggestion for the dispatcher, and a case's duplicates for the dispatcher only."""

from __future__ import annotations

import uuid
from typing import Any

from tests.e2e.conftest import Api

CROSSING = {"lat": 22.5405, "lon": 114.0550}  # 彩田路 x 福华路, inside Futian
NEAR = {"lat": 22.5407, "lon": 114.0551}  # about 25 m away
LIGHT = "彩田路和福华路口的红绿灯坏了，一直黄灯闪，车都乱开，我电话13912345678"
DISPATCH_CENTRE = "dispatch-centre"
TRAFFIC_POLICE = "futian-traffic-police"


def file(api: Api, token: str, description: str, location: dict[str, float], **fields: Any) -> dict[str, Any]:
    body = {"category": "complaint", "description": description, "location": location, **fields}
    resp = api.call("POST", "/v1/requests", token, json=body)
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


def suggest(api: Api, token: str, description: str, location: dict[str, float]) -> dict[str, Any]:
    body = {"description": description, "lat": location["lat"], "lon": location["lon"]}
    resp = api.call("POST", "/v1/intake/suggestions", token, json=body)
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


def staff_case(api: Api, token: str, case_id: str) -> dict[str, Any]:
    resp = api.call("GET", f"/v1/cases/{case_id}", token)
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


def test_suggestions_show_a_citizen_no_one_elses_words_and_staff_the_words_masked(api: Api) -> None:
    # Given a citizen's located complaint about the crossing, with a phone number in its words
    light = f"{LIGHT}（{uuid.uuid4().hex[:4]}）"
    filed = file(api, api.token(), light, CROSSING, topic="traffic", district="futian")
    # When another citizen writes about the same crossing
    found = suggest(api, api.token(), "彩田路福华路路口红绿灯不亮了", NEAR)
    # Then traffic comes first of at least three topics, Futian by its boundary, and the case as a duplicate
    assert found["topics"][0]["topic"] == "traffic" and len(found["topics"]) >= 3
    assert all(0 <= t["score"] <= 1 for t in found["topics"])
    assert found["district"] == {"district": "futian", "source": "boundary"}
    assert found["model_version"]
    mine = [d for d in found["duplicates"] if d["tracking_no"] == filed["tracking_no"]]
    assert mine and mine[0]["likely_duplicate"] is True and len(found["duplicates"]) <= 5
    # And the citizen reads the topic and the place, none of the other citizen's words
    summary = mine[0]["summary"]
    assert "红绿灯" not in summary and "13912345678" not in summary and "彩田路" not in summary
    # When a dispatcher asks the same
    staffed = suggest(api, api.token("dispatcher"), "彩田路福华路路口红绿灯不亮了", NEAR)
    # Then they read the description, its phone number masked
    summary = next(d["summary"] for d in staffed["duplicates"] if d["tracking_no"] == filed["tracking_no"])
    assert "红绿灯" in summary and "13912345678" not in summary


def test_a_sure_case_without_topic_or_district_is_routed_and_records_its_suggestion(api: Api) -> None:
    # Given a citizen who writes about a broken light and leaves topic and district to the platform
    citizen, dispatcher = api.token(), api.token("dispatcher")
    case = file(api, citizen, f"深南大道公交车道上每天早上都有车违章停车，堵住公交 {uuid.uuid4().hex[:4]}", CROSSING)
    # Then the packaged model's sure topic and the boundary's district route it to the traffic police
    routed = api.wait_for(lambda: (c := staff_case(api, dispatcher, case["id"]))["unit_id"] == TRAFFIC_POLICE and c)
    assert routed["topic"] == "traffic" and routed["district"] == "futian"
    # And the case records what was suggested, by which model, and what was chosen
    suggestion = routed["suggestion"]
    assert suggestion["chosen"] == "traffic" and suggestion["source"] == "model"
    assert suggestion["model_version"] and suggestion["topics"][0]["topic"] == "traffic"


def test_an_unsure_case_waits_for_the_dispatch_centre_with_its_suggestion(api: Api) -> None:
    # Given a citizen whose words name no problem the model is sure of
    citizen, dispatcher = api.token(), api.token("dispatcher")
    case = file(api, citizen, "我想问一下这个事情怎么办，找谁都没用", CROSSING)

    # Then it waits in the dispatch centre's queue, its district from the boundary
    def queued() -> bool:
        resp = api.call("GET", f"/v1/units/{DISPATCH_CENTRE}/cases", dispatcher, params={"limit": 100})
        assert resp.status_code == 200, resp.text
        return any(c["id"] == case["id"] for c in resp.json()["items"])

    assert api.wait_for(queued)
    # And the dispatcher sees what was suggested, left to a person
    seen = staff_case(api, dispatcher, case["id"])
    assert seen["unit_id"] is None and seen["district"] == "futian" and seen["topic"] == "unsorted"
    assert seen["suggestion"]["source"] == "dispatch" and seen["suggestion"]["chosen"] == "unsorted"
    assert len(seen["suggestion"]["topics"]) >= 3


def test_a_cases_duplicates_for_the_dispatcher_and_not_for_a_citizen(api: Api) -> None:
    # Given two citizens' complaints about the same light
    first = file(api, api.token(), f"{LIGHT}（{uuid.uuid4().hex[:4]}）", CROSSING, topic="traffic", district="futian")
    citizen = api.token()
    second = file(api, citizen, "彩田路福华路路口红绿灯不亮了", NEAR, topic="traffic", district="futian")
    # When the dispatcher reads the second case's duplicates
    resp = api.call("GET", f"/v1/cases/{second['id']}/duplicates", api.token("dispatcher"))
    # Then the first is among them, a likely duplicate, its phone masked; the case itself is not
    assert resp.status_code == 200, resp.text
    listed = resp.json()
    assert listed["tracking_no"] == second["tracking_no"]
    numbers = [d["tracking_no"] for d in listed["duplicates"]]
    assert first["tracking_no"] in numbers and second["tracking_no"] not in numbers
    mine = next(d for d in listed["duplicates"] if d["tracking_no"] == first["tracking_no"])
    assert mine["likely_duplicate"] is True and "13912345678" not in mine["summary"]
    # And a citizen, even the case's own reporter, is refused
    assert api.call("GET", f"/v1/cases/{second['id']}/duplicates", citizen).status_code == 403
