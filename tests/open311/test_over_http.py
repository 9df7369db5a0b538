"""Open311 through the local runtime over real HTTP (`python -m infra.local`, as `make run` starts it):
the /open311 routes answer without a bearer token, an admin issues a key, a form-encoded POST files a
case, and the open-data feed (kept from the stream by the runtime's poller) lists it."""

from __future__ import annotations

import random
import re

import defusedxml.ElementTree as SafeET
import pytest

from tests.open311.conftest import Runtime

pytestmark = pytest.mark.e2e


def test_a_client_files_and_follows_a_report_over_http(runtime: Runtime) -> None:
    # Given the public discovery document, without any token
    discovery = runtime.call("GET", "/open311/v2/discovery.xml")
    assert discovery.status_code == 200 and discovery.headers["Content-Type"].startswith("text/xml")
    assert SafeET.fromstring(discovery.content).findtext("endpoints/endpoint/url", "").endswith("/open311/v2")
    # And a key issued by an admin
    admin = runtime.token("admin")
    issued = runtime.call("POST", "/v1/admin/open311-keys", admin, json={"name": "FixMyStreet"})
    assert issued.status_code == 201, issued.text
    # When the client posts a report form-encoded
    form = {
        "api_key": issued.json()["api_key"],
        "service_code": "traffic",
        "attribute[category]": "complaint",
        "lat": "22.5431",
        "long": "114.0579",
        "description": "深南大道公交车道被违停车辆占用",
    }
    posted = runtime.call("POST", "/open311/v2/requests.json", data=form)
    assert posted.status_code == 200, posted.text
    number = posted.json()[0]["service_request_id"]

    # Then it is dispatched by the same loop and shows in the open-data list and the updates
    def dispatched() -> bool:
        answer = runtime.call("GET", f"/open311/v2/requests/{number}.json")
        return answer.status_code == 200 and answer.json()[0]["agency_responsible"] == "福田区交警大队"

    runtime.wait_for(dispatched)
    runtime.wait_for(
        lambda: number in [r["service_request_id"] for r in runtime.call("GET", "/open311/v2/requests.json").json()]
    )
    runtime.wait_for(
        lambda: (
            {"SUBMITTED", "DISPATCHED"}
            <= {
                u["external_status_code"]
                for u in runtime.call("GET", "/open311/v2/servicerequestupdates.json").json()
                if u["service_request_id"] == number
            }
        )
    )
    # And a POST without a key is refused the GeoReport way
    refused = runtime.call("POST", "/open311/v2/requests.xml", data={k: v for k, v in form.items() if k != "api_key"})
    assert refused.status_code == 403
    assert SafeET.fromstring(refused.content).findtext("error/code") == "403"


def test_a_reporter_with_a_mainland_mobile_rates_with_the_sms_code_and_the_feed_shows_it_closed(
    runtime: Runtime,
) -> None:
    # Given a report filed through Open311 with the reporter's mainland mobile
    admin = runtime.token("admin")
    api_key = runtime.call("POST", "/v1/admin/open311-keys", admin, json={"name": "311 app"}).json()["api_key"]
    phone = f"139{random.randint(0, 99_999_999):08d}"
    form = {
        "api_key": api_key,
        "service_code": "traffic",
        "attribute[category]": "complaint",
        "lat": "22.5431",
        "long": "114.0579",
        "description": "红绿灯故障",
        "phone": phone,
    }
    posted = runtime.call("POST", "/open311/v2/requests.json", data=form)
    assert posted.status_code == 200, posted.text
    number, case_id = posted.json()[0]["service_request_id"], posted.json()[0]["token"]
    # When the unit takes it up and answers through the cases API
    staff = runtime.token("staff", unit="futian-traffic-police")

    def accepted() -> bool:
        return runtime.call("POST", f"/v1/cases/{case_id}/accept", staff).status_code == 200

    runtime.wait_for(accepted)
    replied = runtime.call("POST", f"/v1/cases/{case_id}/reply", staff, json={"message": "已修复信号灯"})
    assert replied.status_code == 200, replied.text

    # Then the reporter gets the SMS inviting a rating, and rates with its code without signing in
    def rating_code() -> str | None:
        sms = runtime.call("GET", f"/local/sms?phone={phone}").json()["messages"]
        found = [m["body"] for m in sms if m["event"] == "replied" and m["kind"] == "citizen"]
        match = re.search(r"评价码\s*(\d{6})", found[0]) if found else None
        return match.group(1) if match else None

    code = runtime.wait_for(rating_code)
    scores = {"speed": 5, "effectiveness": 5, "experience": 4, "feedback_quality": 5}
    rated = runtime.call("POST", f"/v1/track/{number}/rating", json={"code": code, **scores})
    assert rated.status_code == 200, rated.text
    # And the open-data feed shows it closed, satisfied, with each public step as an update
    runtime.wait_for(
        lambda: (
            [
                r["status_notes"]
                for r in runtime.call("GET", "/open311/v2/requests.json?status=closed").json()
                if r["service_request_id"] == number
            ]
            == ["已办结（群众满意）"]
        )
    )
    # (each step reaches the updates feed from the stream on its own, the closing one last)

    def steps_so_far() -> list[str | None]:
        root = SafeET.fromstring(runtime.call("GET", "/open311/v2/servicerequestupdates.xml").content)
        return [
            u.findtext("external_status_code")
            for u in root.findall("request_update")
            if u.findtext("service_request_id") == number
        ]

    steps = runtime.wait_for(lambda: (found := steps_so_far()) and found[-1] == "CLOSED" and found)
    assert steps[0] == "SUBMITTED" and "REPLIED" in steps
    updates = runtime.call("GET", "/open311/v2/servicerequestupdates.xml")
    assert phone not in updates.text and phone not in runtime.call("GET", f"/open311/v2/requests/{number}.xml").text
