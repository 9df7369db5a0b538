"""Open311 GeoReport v2 conformance, written from the specification (wiki.open311.org/GeoReport_v2):
every endpoint in XML and JSON through the real handlers, JSON validated against the vendored
schemas, XML parsed with defusedxml, errors as the specification shows them."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from minyi.domain.models import Channel
from tests.integration.conftest import Stack
from tests.open311.conftest import ADMIN, Answer, FeedPoller, GeoReport, issue_key, validate

FORMATS = ["xml", "json"]
TRACKING = re.compile(r"^SZ\d{4}-[2-9A-HJKMNP-Z]{6}$")


def report(api_key: str, **extra: str) -> dict[str, str]:
    form = {
        "api_key": api_key,
        "service_code": "traffic",
        "attribute[category]": "complaint",
        "lat": "22.5431",
        "long": "114.0579",
        "description": "深南大道公交车道长期被违停车辆占用",
    }
    form.update(extra)
    return form


def file(geo: GeoReport, api_key: str, fmt: str = "json", **extra: str) -> dict[str, Any]:
    answer = geo.post(f"requests.{fmt}", report(api_key, **extra))
    assert answer.status == 200, answer.text
    if fmt == "json":
        return dict(answer.json()[0])
    request = answer.xml().find("request")
    assert request is not None
    return {child.tag: child.text for child in request}


def xml_requests(answer: Answer) -> list[dict[str, Any]]:
    root = answer.xml()
    assert root.tag == "service_requests"
    return [{child.tag: child for child in request} for request in root.findall("request")]


# --- discovery and services ------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_discovery_names_the_endpoint_its_specification_and_formats(geo: GeoReport, fmt: str) -> None:
    # When a client reads the discovery document
    answer = geo.get(f"discovery.{fmt}")
    # Then it has the changeset, contact, key service and one endpoint with both formats
    assert answer.status == 200
    if fmt == "json":
        doc = answer.json()
        endpoint = doc["endpoints"][0]
    else:
        root = answer.xml()
        assert root.tag == "discovery"
        doc = {c.tag: c.text for c in root if c.tag != "endpoints"}
        element = root.find("endpoints/endpoint")
        assert element is not None
        endpoint = {c.tag: c.text for c in element if c.tag != "formats"}
        endpoint["formats"] = [f.text for f in element.findall("formats/format")]
    assert {"changeset", "contact", "key_service"} <= set(doc)
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://open311.test/open311/v2"
    assert endpoint["type"] == "production"
    assert endpoint["formats"] == ["text/xml", "application/json"]
    assert re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$", str(endpoint["changeset"]))


@pytest.mark.parametrize("fmt", FORMATS)
def test_services_one_per_topic_in_chinese(stack: Stack, geo: GeoReport, fmt: str) -> None:
    answer = geo.get(f"services.{fmt}")
    assert answer.status == 200
    if fmt == "json":
        services = answer.json()
        validate(services, "services.json")
    else:
        root = answer.xml()
        assert root.tag == "services"
        services = [{c.tag: c.text for c in s} for s in root.findall("service")]
        assert all(s["metadata"] == "true" for s in services)
    topics = stack.catalog.load().topics
    assert [s["service_code"] for s in services] == list(topics)
    traffic = next(s for s in services if s["service_code"] == "traffic")
    assert traffic["service_name"] == "交通出行"
    assert traffic["type"] == "realtime" and traffic["group"] and "traffic" in traffic["keywords"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_definition_has_the_category_and_district_attributes(geo: GeoReport, fmt: str) -> None:
    answer = geo.get(f"services/traffic.{fmt}")
    assert answer.status == 200
    if fmt == "json":
        definition = answer.json()
        validate(definition, "service-definition.json")
        attributes = {a["code"]: a for a in definition["attributes"]}
        category_keys = [v["key"] for v in attributes["category"]["values"]]
        required = {code: a["required"] for code, a in attributes.items()}
        datatypes = {code: a["datatype"] for code, a in attributes.items()}
    else:
        root = answer.xml()
        assert root.tag == "service_definition" and root.findtext("service_code") == "traffic"
        elements = {a.findtext("code"): a for a in root.findall("attributes/attribute")}
        category_keys = [v.findtext("key") for v in elements["category"].findall("values/value")]
        required = {code: a.findtext("required") == "true" for code, a in elements.items()}
        datatypes = {code: a.findtext("datatype") for code, a in elements.items()}
    assert category_keys == ["consultation", "complaint", "suggestion", "help"]
    assert required == {"category": True, "district": False}
    assert datatypes == {"category": "singlevaluelist", "district": "singlevaluelist"}


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_service_definition_is_a_404_error_list(geo: GeoReport, fmt: str) -> None:
    answer = geo.get(f"services/potholes.{fmt}")
    assert answer.status == 404
    assert [code for code, _ in answer.errors(fmt)] == [404]


def test_a_resource_without_a_format_is_404(geo: GeoReport) -> None:
    assert geo.get("services/traffic").status == 404
    assert geo.get("requests/SZ2611-ABCDEF").status == 404


# --- POST requests ---------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_files_a_case_on_the_open311_channel_that_enters_the_loop(
    stack: Stack, geo: GeoReport, api_key: str, fmt: str
) -> None:
    # When an Open311 client posts a report form-encoded with its key
    answer = geo.post(f"requests.{fmt}", report(api_key, phone="13812345678", account_id="fms-77"))
    # Then the answer carries the public tracking number, a token and a notice
    assert answer.status == 200, answer.text
    if fmt == "json":
        body = answer.json()
        validate(body[0], "swagger.json", "RequestResponse")
        created = body[0]
    else:
        root = answer.xml()
        assert root.tag == "service_requests"
        created = {c.tag: c.text for c in root.find("request")}  # type: ignore[union-attr]
    assert TRACKING.match(created["service_request_id"])
    assert "5个工作日" in created["service_notice"]
    assert created["account_id"] == "fms-77"
    # And the case is an ordinary case of channel open311 that the workflow routes to its unit
    case = stack.repo.get_case(created["token"])
    assert case is not None
    assert case.channel == Channel.OPEN311 and case.phone == "+8613812345678"
    assert case.district == "futian"  # from the coordinates: no district attribute was needed
    assert case.tracking_no == created["service_request_id"]
    stack.wait_for(lambda: stack.status(case.id) == "DISPATCHED")


def test_a_phone_that_is_not_a_mainland_mobile_is_not_kept(stack: Stack, geo: GeoReport, api_key: str) -> None:
    created = file(geo, api_key, phone="+44 7911 123456", first_name="Ann", last_name="Lee", email="ann@example.org")
    case = stack.repo.get_case(created["token"])
    assert case is not None and case.phone == ""  # no SMS, and nothing personal stored


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_missing_or_revoked_key_is_403(stack: Stack, geo: GeoReport, fmt: str) -> None:
    assert geo.post(f"requests.{fmt}", report("")).errors(fmt) == [(403, "api_key: missing, invalid or revoked")]
    assert geo.post(f"requests.{fmt}", report("o311_000000000000_nope")).status == 403
    key = issue_key(stack)
    status, _ = stack.request("DELETE", f"/v1/admin/open311-keys/{key['key_id']}", ADMIN)
    assert status == 200
    answer = geo.post(f"requests.{fmt}", report(key["api_key"]))
    assert answer.status == 403 and answer.errors(fmt)[0][0] == 403


@pytest.mark.parametrize("fmt", FORMATS)
def test_several_wrong_fields_are_answered_at_once(geo: GeoReport, api_key: str, fmt: str) -> None:
    form = {
        "api_key": api_key,
        "service_code": "potholes",
        "attribute[category]": "praise",
        "attribute[colour]": "red",
        "lat": "22.5",
        "email": "not-an-address",
        "media_url": "javascript:alert(1)",
        "description": "x" * 4001,
    }
    answer = geo.post(f"requests.{fmt}", form)
    assert answer.status == 400
    errors = answer.errors(fmt)
    assert all(code == 400 for code, _ in errors)
    fields = {description.split(":")[0] for _, description in errors}
    assert fields >= {
        "service_code",
        "attribute[category]",
        "attribute[colour]",
        "long",
        "email",
        "media_url",
        "description",
    }


def test_empty_optional_fields_are_the_same_as_absent(stack: Stack, geo: GeoReport, api_key: str) -> None:
    created = file(
        geo,
        api_key,
        description="",
        media_url="",
        phone="",
        email="",
        first_name="",
        device_id="",
        account_id="",
        address_string="",
    )
    case = stack.repo.get_case(created["token"])
    assert case is not None and case.phone == "" and case.media_url is None and case.address is None


def test_a_location_is_required_and_a_district_outside_shenzhen(geo: GeoReport, api_key: str) -> None:
    no_place = {k: v for k, v in report(api_key).items() if k not in ("lat", "long")}
    assert geo.post("requests.json", no_place).errors("json")[0][1].startswith("lat:")
    beijing = report(api_key, lat="39.9", long="116.4")
    assert geo.post("requests.json", beijing).errors("json") == [
        (400, "attribute[district]: required unless lat and long are inside Shenzhen")
    ]
    by_address = {**no_place, "address_string": "福田区深南大道6008号", "attribute[district]": "futian"}
    assert geo.post("requests.json", by_address).status == 200


def test_a_json_body_is_refused_with_a_clear_400(geo: GeoReport, api_key: str) -> None:
    answer = geo.call(
        "POST", "requests.json", raw_body=b'{"api_key": "x"}', headers={"Content-Type": "application/json"}
    )
    assert answer.status == 400
    assert "form-encoded" in answer.errors("json")[0][1]


def test_a_retry_with_the_same_token_never_files_twice(stack: Stack, geo: GeoReport, api_key: str) -> None:
    # Given a client that retries the same report with its device id and request token
    first = file(geo, api_key, device_id="phone-1", idempotency_key="r-1")
    again = file(geo, api_key, device_id="phone-1", idempotency_key="r-1")
    by_header = geo.post("requests.json", report(api_key, device_id="phone-1"), headers={"Idempotency-Key": "r-1"})
    # Then every answer names the same request
    assert again["service_request_id"] == first["service_request_id"]
    assert by_header.json()[0]["service_request_id"] == first["service_request_id"]
    # And the same token from another device is another request
    other = file(geo, api_key, device_id="phone-2", idempotency_key="r-1")
    assert other["service_request_id"] != first["service_request_id"]
    # And the same token with other parameters is refused
    changed = geo.post("requests.json", report(api_key, device_id="phone-1", idempotency_key="r-1", lat="22.6"))
    assert changed.status == 400 and "idempotency_key" in changed.errors("json")[0][1]


# --- GET requests ----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_requests_lists_filters_and_pages(
    stack: Stack, geo: GeoReport, feed: FeedPoller, api_key: str, fmt: str
) -> None:
    # Given three reports of two services (the window starts now: other tests' reports stay out)
    since = "start_date=" + datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    a = file(geo, api_key)
    b = file(geo, api_key, service_code="environment")
    c = file(geo, api_key)
    feed.drain()

    def numbers(query: str, window: bool = True) -> list[str]:
        query = f"{query}&{since}" if window and query else (f"?{since}" if window else query)
        answer = geo.get(f"requests.{fmt}{query}")
        assert answer.status == 200, answer.text
        if fmt == "json":
            items = answer.json()
            validate(items, "requests.json")
            return [r["service_request_id"] for r in items]
        return [r["service_request_id"].text for r in xml_requests(answer)]

    ids = [a["service_request_id"], b["service_request_id"], c["service_request_id"]]
    # Then the default list (last 90 days) has them newest first
    assert numbers("", window=False)[:3] == ids[::-1]
    assert numbers("") == ids[::-1]
    # And filters, comma-separated lists and paging work; empty parameters are ignored
    assert numbers("?service_code=traffic") == [ids[2], ids[0]]
    assert numbers("?service_code=environment,traffic&status=open") == ids[::-1]
    assert numbers("?status=closed") == []
    assert numbers("?page_size=2") == [ids[2], ids[1]]
    assert numbers("?page_size=2&page=2") == [ids[0]]
    assert numbers("?status=&service_code=&page=&end_date=") == ids[::-1]
    # And service_request_id overrides every other filter
    by_id = f"?service_request_id={ids[0]},{ids[1]}&status=closed&service_code=nonsense&page=zero"
    assert numbers(by_id, window=False) == ids[:2]
    # And a range in the past finds nothing
    assert numbers("?start_date=2020-01-01T00:00:00Z&end_date=2020-02-01T00:00:00Z", window=False) == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_bad_filters_are_400_all_at_once(geo: GeoReport, fmt: str) -> None:
    answer = geo.get(
        f"requests.{fmt}?start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z&status=done&page=0&page_size=5000"
    )
    assert answer.status == 400
    fields = [d.split(":")[0] for _, d in answer.errors(fmt)]
    assert fields == ["status", "end_date", "page", "page_size"]
    assert geo.get(f"requests.{fmt}?start_date=yesterday").status == 400
    assert geo.get(f"requests.{fmt}?start_date=2026-11-01T00:00:00").status == 400  # no zone


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("dates", ["end_date=0001-01-01", "start_date=9999-12-31T23:59:59Z", "start_date=0001-01-01"])
def test_a_date_at_the_ends_of_the_calendar_is_a_400_naming_the_field(geo: GeoReport, fmt: str, dates: str) -> None:
    # Given a date whose 90-day window would leave the calendar (year 1 or 9999)
    # When requests and updates are asked for from it
    for path in (f"requests.{fmt}?{dates}", f"servicerequestupdates.json?{dates}"):
        answer = geo.get(path)
        # Then the answer is a GeoReport 400 naming the date, not a server error
        assert answer.status == 400, (path, answer.text)
        field = dates.split("=")[0]
        assert [d.split(":")[0] for _, d in answer.errors("json" if "updates" in path else fmt)] == [field]


@pytest.mark.parametrize("fmt", FORMATS)
def test_one_request_by_number_shows_public_fields_only(stack: Stack, geo: GeoReport, api_key: str, fmt: str) -> None:
    created = file(
        geo,
        api_key,
        phone="13812345678",
        first_name="张",
        last_name="三",
        email="zhangsan@example.org",
        description="电话13812345678，车牌粤B12345违停",
        media_url="https://fms.example.org/photo/1.jpg",
        address_string="深南大道6008号",
    )
    number = created["service_request_id"]
    stack.wait_for(lambda: stack.status(created["token"]) == "DISPATCHED")
    answer = geo.get(f"requests/{number.lower()}.{fmt}")
    assert answer.status == 200, answer.text
    if fmt == "json":
        (item,) = answer.json()
        validate([item], "requests.json")
    else:
        (element,) = xml_requests(answer)
        item = {k: v.text for k, v in element.items()}
    assert item["service_request_id"] == number
    assert item["status"] == "open"
    assert item["service_code"] == "traffic" and item["service_name"] == "交通出行"
    assert item["agency_responsible"] == "福田区交警大队"
    assert item["expected_datetime"] and item["requested_datetime"] and item["updated_datetime"]
    # And the notice board only: the district for the address, the place to three decimals, no partner's
    # media link, no description (a partner's report carries no consent of its reporter to this feed)
    assert item["address"] == "深圳市福田区"
    assert float(item["lat"]) == 22.543 and float(item["long"]) == 114.058
    assert not item["media_url"] and not item["description"]
    # And nothing personal: no phone, name, e-mail, plate, address or the internal case id
    personal = ("13812345678", "****5678", "zhangsan", "张三", "first_name", "email", "phone", "粤B", "深南大道")
    for text in (*personal, created["token"]):
        assert text not in answer.text
    assert "extended_attributes" not in answer.text and '"notes"' not in answer.text and "<notes" not in answer.text


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_request_and_token_are_404(geo: GeoReport, fmt: str) -> None:
    assert geo.get(f"requests/SZ2611-ZZZZZZ.{fmt}").errors(fmt) == [(404, "service_request_id: no such request")]
    assert geo.get(f"tokens/{'0' * 32}.{fmt}").errors(fmt) == [(404, "token: no such token")]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_token_names_its_request(geo: GeoReport, api_key: str, fmt: str) -> None:
    created = file(geo, api_key)
    answer = geo.get(f"tokens/{created['token']}.{fmt}")
    assert answer.status == 200
    if fmt == "json":
        (item,) = answer.json()
        validate(item, "swagger.json", "TokenResponse")
    else:
        (element,) = xml_requests(answer)
        item = {k: v.text for k, v in element.items()}
    assert item == {"service_request_id": created["service_request_id"], "token": created["token"]}


@pytest.mark.parametrize("fmt", FORMATS)
def test_extensions_add_the_attributes_and_the_public_notes(
    stack: Stack, geo: GeoReport, api_key: str, fmt: str
) -> None:
    created = file(geo, api_key)
    stack.wait_for(lambda: stack.status(created["token"]) == "DISPATCHED")
    answer = geo.get(f"requests/{created['service_request_id']}.{fmt}?extensions=true")
    if fmt == "json":
        (item,) = answer.json()
        attributes, notes = item["extended_attributes"], item["notes"]
    else:
        (element,) = xml_requests(answer)
        attributes = {c.tag: c.text for c in element["extended_attributes"]}
        notes = [{c.tag: c.text for c in note} for note in element["notes"].findall("note")]
        attributes["reopen_count"] = int(attributes["reopen_count"])
        attributes["supervised"] = attributes["supervised"] == "true"
    assert attributes == {
        "channel": "open311",
        "category": "complaint",
        "district": "futian",
        "reopen_count": 0,
        "supervised": False,
    }
    assert [n["type"] for n in notes] == ["submitted", "dispatched"]
    assert notes[1]["description"].startswith("已派至福田区交警大队办理")


# --- admin keys and the OpenAPI document -----------------------------------------------------------


def test_keys_are_for_admins_listed_without_secrets_and_revocable(stack: Stack) -> None:
    citizen = {"sub": "c-1", "cognito:groups": "citizen"}
    assert stack.request("POST", "/v1/admin/open311-keys", citizen, {"name": "x"})[0] == 403
    assert stack.request("POST", "/v1/admin/open311-keys", ADMIN, {"name": ""})[0] == 422
    key = issue_key(stack, "FixMyStreet")
    assert key["api_key"].startswith(f"o311_{key['key_id']}_")
    status, listing = stack.request("GET", "/v1/admin/open311-keys", ADMIN)
    assert status == 200
    (item,) = [k for k in listing["items"] if k["key_id"] == key["key_id"]]
    assert item["name"] == "FixMyStreet" and item["active"] is True
    assert "api_key" not in item and "secret_hash" not in item
    assert key["api_key"].split("_", 2)[2] not in str(listing)
    assert stack.request("DELETE", "/v1/admin/open311-keys/nope", ADMIN)[0] == 404
    status, revoked = stack.request("DELETE", f"/v1/admin/open311-keys/{key['key_id']}", ADMIN)
    assert status == 200 and revoked["active"] is False and revoked["revoked_at"]


def test_submissions_are_counted_per_key(stack: Stack, geo: GeoReport) -> None:
    key = issue_key(stack)
    file(geo, key["api_key"])
    file(geo, key["api_key"])
    _, listing = stack.request("GET", "/v1/admin/open311-keys", ADMIN)
    (item,) = [k for k in listing["items"] if k["key_id"] == key["key_id"]]
    assert item["submitted"] == 2 and item["last_used_at"]


def test_rate_limit_counter_refuses_past_the_limit(stack: Stack) -> None:
    from minyi.adapters.dynamo.api_keys import DynamoApiKeyRepository

    keys = DynamoApiKeyRepository(stack.table)
    one, two = uuid.uuid4().hex[:12], uuid.uuid4().hex[:12]
    assert [keys.take(one, 100, 2, 10_000) for _ in range(3)] == [True, True, False]
    assert keys.take(one, 101, 2, 10_000) is True  # the next minute starts afresh
    assert keys.take(two, 100, 2, 10_000) is True  # per key


def test_open311_routes_are_in_the_openapi_document(stack: Stack) -> None:
    module = stack.lambdas.module("Open311Function")
    paths = set(module.app.get_openapi_schema().paths)
    assert {
        "/open311/v2/discovery.xml",
        "/open311/v2/services.json",
        "/open311/v2/services/{service_code}",
        "/open311/v2/requests.xml",
        "/open311/v2/requests/{service_request_id}",
        "/open311/v2/tokens/{token}",
        "/open311/v2/servicerequestupdates.json",
    } <= paths


def test_open311_submissions_are_counted_by_channel_in_the_stats(
    stack: Stack, geo: GeoReport, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from infra.local.streams import StreamPoller

    monkeypatch.setenv("AWS_ACCOUNT_ID_ENDPOINT_MODE", "disabled")
    poller = StreamPoller(stack.lambdas.template, stack.lambdas, stack.resources)
    poller.mappings = [m for m in poller.mappings if m.function == "ProjectionsFunction"]
    poller.skip_to_latest()  # the module's earlier cases are not this test's: only its own are counted
    supervisor = {"sub": "sup-1", "cognito:groups": "supervisor"}
    day = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()

    def by_channel() -> dict[str, int]:
        idle = 0
        while idle < 2:
            idle = idle + 1 if poller.poll_once() == 0 else 0
        status, body = stack.request("GET", f"/v1/stats?from={day}&to={day}", supervisor)
        assert status == 200, body
        return dict(body["submitted_by_channel"])

    before = by_channel().get("open311", 0)
    file(geo, api_key)
    file(geo, api_key, service_code="environment")
    assert by_channel().get("open311", 0) == before + 2
