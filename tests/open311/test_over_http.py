"""Open311 through the local runtime over real HTTP (`python -m infra.local`, as `make run` starts it):
the /open311 routes answer without a bearer token, an admin issues a key, a form-encoded POST files a
case, and the open-data feed (kept from the stream by the runtime's poller) lists it."""

from __future__ import annotations

from collections.abc import Iterator

import defusedxml.ElementTree as SafeET
import pytest

from tests.e2e.conftest import Api, _start

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    yield from _start({"LOCAL_SCHEDULE_SECONDS": "0"}, "open311-runtime", tmp_path_factory)


def test_a_client_files_and_follows_a_report_over_http(runtime: Api) -> None:
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
