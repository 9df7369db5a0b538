"""Citizen API end to end: what the mobile app does over HTTP against the local runtime.

Submitting (with and without an Idempotency-Key), following one's own cases, public tracking, the
catalogue, photo/voice/video attachments through presigned S3 uploads, and every rejection the
citizen can run into. Every 4xx must be JSON naming the field at fault; nothing may be a 5xx.
"""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from datetime import datetime
from typing import Any

import jwt
import pytest
import requests

from tests.e2e.conftest import VALID_REQUEST, Api

PHONE = VALID_REQUEST["phone"]
MB = 1024 * 1024
ISO_WITH_ZONE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


# --- helpers ---------------------------------------------------------------------------------------


def request_body(**overrides: Any) -> dict[str, Any]:
    """VALID_REQUEST with a unique description (so cases are told apart) and the given changes."""
    body: dict[str, Any] = {**VALID_REQUEST, "description": f"{VALID_REQUEST['description']} ({uuid.uuid4().hex[:6]})"}
    body.update(overrides)
    return body


def submit(api: Api, token: str, **overrides: Any) -> dict[str, Any]:
    resp = api.call("POST", "/v1/requests", token, json=request_body(**overrides))
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


def assert_error(resp: requests.Response, status: int, field: str | None = None) -> dict[str, Any]:
    """A JSON error of the given status, in the API's error shape, naming `field` if one is at fault."""
    assert resp.status_code < 500, f"server error {resp.status_code}: {resp.text}"
    assert resp.status_code == status, f"expected {status}, got {resp.status_code}: {resp.text}"
    assert resp.headers.get("Content-Type", "").startswith("application/json"), resp.headers
    body = resp.json()
    assert isinstance(body.get("error"), str) and body["error"], body
    assert isinstance(body.get("message"), str) and body["message"], body
    assert isinstance(body.get("problems"), list), body
    if field is not None:
        fields = [p["field"] for p in body["problems"]]
        assert field in fields, f"expected a problem naming {field!r}, got {body}"
        assert all(isinstance(p.get("problem"), str) and p["problem"] for p in body["problems"]), body
    return dict(body)


def new_upload(api: Api, token: str, content_type: str = "image/jpeg", size: int = 1000) -> requests.Response:
    return api.call("POST", "/v1/uploads", token, json={"content_type": content_type, "size": size})


def upload_file(
    api: Api, token: str, data: bytes, content_type: str = "image/jpeg", declared: int | None = None
) -> str:
    """Ask for a presigned POST and really upload `data` to the embedded S3; returns the upload id."""
    ticket_resp = new_upload(api, token, content_type, declared if declared is not None else len(data))
    assert ticket_resp.status_code == 201, ticket_resp.text
    ticket = ticket_resp.json()
    stored = requests.post(
        ticket["url"], data=ticket["fields"], files={"file": ("p.jpg", data, content_type)}, timeout=30
    )
    assert 200 <= stored.status_code < 300, f"S3 upload failed: {stored.status_code} {stored.text}"
    return str(ticket["upload_id"])


def case_view(api: Api, token: str, case_id: str) -> dict[str, Any]:
    resp = api.call("GET", f"/v1/requests/{case_id}", token)
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


def timeline(api: Api, token: str, case_id: str) -> list[dict[str, Any]]:
    resp = api.call("GET", f"/v1/requests/{case_id}/timeline", token)
    assert resp.status_code == 200, resp.text
    return list(resp.json()["events"])


def own_ids(api: Api, token: str) -> list[str]:
    resp = api.call("GET", "/v1/requests", token, params={"limit": 100})
    assert resp.status_code == 200, resp.text
    return [c["id"] for c in resp.json()["items"]]


def cursor_of(key: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


def parse_iso(value: str) -> datetime:
    assert ISO_WITH_ZONE.match(value), f"not ISO 8601 with a zone offset: {value!r}"
    parsed = datetime.fromisoformat(value)
    assert parsed.tzinfo is not None and parsed.utcoffset() is not None, value
    return parsed


# --- submit ----------------------------------------------------------------------------------------


def test_submit_returns_the_new_case(api: Api) -> None:
    # Given a signed-in citizen
    token = api.token()
    # When they submit a valid request
    before = time.time()
    resp = api.call("POST", "/v1/requests", token, json=request_body())
    # Then it is created as SUBMITTED with an id, a readable tracking number and a creation time
    assert resp.status_code == 201, resp.text
    assert resp.headers["Content-Type"].startswith("application/json")
    case = resp.json()
    assert set(case) >= {"id", "tracking_no", "status", "created_at"}
    assert case["status"] == "SUBMITTED"
    assert re.fullmatch(r"[0-9a-f]{32}", case["id"]), case
    assert re.fullmatch(r"SZ\d{4}-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{6}", case["tracking_no"]), case
    created_at = parse_iso(case["created_at"])
    assert before - 60 < created_at.timestamp() < time.time() + 60
    # And it is in the citizen's list
    assert own_ids(api, token) == [case["id"]]


def test_submit_accepts_an_e164_phone_and_minimal_body(api: Api) -> None:
    # Given a citizen with an international-format phone and no address/location
    token = api.token()
    body = {k: v for k, v in request_body(phone="+8613812345678").items() if k not in {"address", "location"}}
    # When they submit
    resp = api.call("POST", "/v1/requests", token, json=body)
    # Then it is accepted and the phone is shown masked
    assert resp.status_code == 201, resp.text
    view = case_view(api, token, resp.json()["id"])
    assert view["phone"] == "138****5678"
    assert view["address"] is None and view["location"] is None


def test_same_idempotency_key_and_body_return_the_same_case(api: Api) -> None:
    # Given a citizen whose app retries a submission with the same Idempotency-Key
    token = api.token()
    body = request_body()
    key = f"retry-{uuid.uuid4().hex}"
    # When the same request is sent twice
    first = api.call("POST", "/v1/requests", token, json=body, headers={"Idempotency-Key": key})
    second = api.call("POST", "/v1/requests", token, json=body, headers={"Idempotency-Key": key})
    # Then both answers name the same case
    assert first.status_code == 201, first.text
    assert second.status_code == 201, second.text
    assert second.json()["id"] == first.json()["id"]
    assert second.json()["tracking_no"] == first.json()["tracking_no"]
    # And only one case exists
    assert own_ids(api, token) == [first.json()["id"]]


def test_same_idempotency_key_with_another_body_is_rejected(api: Api) -> None:
    # Given a citizen who submitted with an Idempotency-Key
    token = api.token()
    key = f"k-{uuid.uuid4().hex}"
    first = api.call("POST", "/v1/requests", token, json=request_body(), headers={"Idempotency-Key": key})
    assert first.status_code == 201, first.text
    # When they reuse the key with a different body
    resp = api.call(
        "POST", "/v1/requests", token, json=request_body(topic="environment"), headers={"Idempotency-Key": key}
    )
    # Then it is refused, naming the header, and no second case exists
    assert_error(resp, 422, "Idempotency-Key")
    assert own_ids(api, token) == [first.json()["id"]]


def test_idempotency_keys_are_per_citizen(api: Api) -> None:
    # Given two citizens whose apps happen to pick the same Idempotency-Key
    alice, bob = api.token(), api.token()
    key = f"shared-{uuid.uuid4().hex}"
    body = request_body()
    # When both submit the same body with that key
    a = api.call("POST", "/v1/requests", alice, json=body, headers={"Idempotency-Key": key})
    b = api.call("POST", "/v1/requests", bob, json=body, headers={"Idempotency-Key": key})
    # Then each gets a case of their own
    assert a.status_code == 201 and b.status_code == 201, (a.text, b.text)
    assert a.json()["id"] != b.json()["id"]
    assert own_ids(api, bob) == [b.json()["id"]]


def test_overlong_idempotency_key_is_rejected(api: Api) -> None:
    # Given a citizen
    token = api.token()
    # When the Idempotency-Key is longer than 128 characters
    resp = api.call("POST", "/v1/requests", token, json=request_body(), headers={"Idempotency-Key": "k" * 129})
    # Then it is refused naming the header
    assert_error(resp, 422, "Idempotency-Key")
    assert own_ids(api, token) == []


def test_idempotency_key_header_name_is_case_insensitive(api: Api) -> None:
    # Given a citizen whose HTTP stack lower-cases header names
    token = api.token()
    body = request_body()
    key = f"lc-{uuid.uuid4().hex}"
    # When the retry arrives with the header in another case
    first = api.call("POST", "/v1/requests", token, json=body, headers={"idempotency-key": key})
    second = api.call("POST", "/v1/requests", token, json=body, headers={"IDEMPOTENCY-KEY": key})
    # Then it still names the same case
    assert first.status_code == 201 and second.status_code == 201, (first.text, second.text)
    assert second.json()["id"] == first.json()["id"]
    assert own_ids(api, token) == [first.json()["id"]]


# --- list ------------------------------------------------------------------------------------------


def test_list_is_newest_first_with_cursor_pagination(api: Api) -> None:
    # Given a citizen with three cases
    token = api.token()
    ids = []
    for _ in range(3):
        ids.append(submit(api, token)["id"])
        time.sleep(0.01)
    # When they list two at a time
    page1 = api.call("GET", "/v1/requests", token, params={"limit": 2})
    assert page1.status_code == 200, page1.text
    body1 = page1.json()
    # Then the first page holds the two newest and a cursor
    assert [c["id"] for c in body1["items"]] == [ids[2], ids[1]]
    assert body1["next_cursor"]
    # And the next page holds the oldest, and no further cursor
    page2 = api.call("GET", "/v1/requests", token, params={"limit": 2, "cursor": body1["next_cursor"]})
    assert page2.status_code == 200, page2.text
    body2 = page2.json()
    assert [c["id"] for c in body2["items"]] == [ids[0]]
    assert body2.get("next_cursor") is None
    # And the summaries carry no personal details
    for item in body1["items"] + body2["items"]:
        assert {"id", "tracking_no", "status", "category", "topic", "district", "created_at"} <= set(item)
        assert "phone" not in item and "description" not in item
        parse_iso(item["created_at"])


def test_list_is_empty_for_a_new_citizen(api: Api) -> None:
    # Given a citizen who never submitted (while others have)
    submit(api, api.token())
    token = api.token()
    # When they list their requests
    resp = api.call("GET", "/v1/requests", token)
    # Then the list is empty
    assert resp.status_code == 200, resp.text
    assert resp.json()["items"] == [] and resp.json().get("next_cursor") is None


@pytest.mark.parametrize(
    "cursor",
    [
        "not-a-cursor!!",
        "%%%",
        cursor_of({"foo": "bar"}),
        base64.urlsafe_b64encode(b"[1,2,3]").decode(),
        cursor_of({"PK": 1}),
        cursor_of({"PK": "x"}),
        cursor_of({"PK": "CASE#x", "SK": "CASE"}),
        cursor_of({"PK": "CASE#x", "SK": "CASE", "GSI1PK": "CITIZEN#nobody", "GSI1SK": "x"}),
    ],
)
def test_bad_cursor_is_rejected_naming_cursor(api: Api, cursor: str) -> None:
    # Given a citizen with cases
    token = api.token()
    submit(api, token)
    # When the app sends a cursor the API never handed out
    resp = api.call("GET", "/v1/requests", token, params={"cursor": cursor})
    # Then it is a 4xx naming the cursor (never a 5xx)
    assert resp.status_code < 500, resp.text
    assert 400 <= resp.status_code < 500, resp.text
    assert_error(resp, resp.status_code, "cursor")


def test_cursor_survives_url_encoding_round_trip(api: Api) -> None:
    # Given a citizen with two cases and the cursor after the first
    token = api.token()
    ids = [submit(api, token)["id"] for _ in range(2)]
    cursor = api.call("GET", "/v1/requests", token, params={"limit": 1}).json()["next_cursor"]
    # When the app pages on with that cursor, percent-encoded in the query string
    resp = api.call("GET", f"/v1/requests?limit=1&cursor={requests.utils.quote(cursor, safe='')}", token)
    # Then the older case follows
    assert resp.status_code == 200, resp.text
    assert [c["id"] for c in resp.json()["items"]] == [ids[0]]


def test_another_citizens_cursor_shows_none_of_their_cases(api: Api) -> None:
    # Given Alice with three cases and a cursor into her list
    alice, bob = api.token(), api.token()
    alice_ids = {submit(api, alice)["id"] for _ in range(3)}
    cursor = api.call("GET", "/v1/requests", alice, params={"limit": 1}).json()["next_cursor"]
    assert cursor
    # When Bob replays Alice's cursor
    resp = api.call("GET", "/v1/requests", bob, params={"cursor": cursor})
    # Then he sees none of Alice's cases (an empty page or a rejection naming the cursor)
    assert resp.status_code < 500, resp.text
    if resp.status_code == 200:
        assert not alice_ids & {c["id"] for c in resp.json()["items"]}
    else:
        assert_error(resp, resp.status_code, "cursor")


@pytest.mark.parametrize("limit", ["0", "101", "-1", "ten"])
def test_bad_limit_is_rejected(api: Api, limit: str) -> None:
    # Given a citizen
    token = api.token()
    # When they ask for a page size out of 1..100
    resp = api.call("GET", "/v1/requests", token, params={"limit": limit})
    # Then it is refused naming limit
    assert_error(resp, 422, "limit")


# --- one case and its timeline ---------------------------------------------------------------------


def test_citizen_gets_their_own_case_with_masked_phone(api: Api) -> None:
    # Given a citizen who submitted a request
    token = api.token()
    body = request_body()
    created = submit(api, token, **body)
    # When they open it
    view = case_view(api, token, created["id"])
    # Then they see what they submitted, with the phone masked
    assert view["id"] == created["id"] and view["tracking_no"] == created["tracking_no"]
    assert view["phone"] == "138****5678"
    assert PHONE not in json.dumps(view)
    assert view["description"] == body["description"]
    assert view["category"] == "complaint" and view["topic"] == "traffic" and view["district"] == "futian"
    assert view["address"] == body["address"]
    assert view["location"] == body["location"]
    assert view["language"] == "zh"
    assert view["attachments"] == [] and view["replies"] == [] and view["ratings"] == []
    parse_iso(view["created_at"])


def test_another_citizen_cannot_see_the_case_or_its_timeline(api: Api) -> None:
    # Given Alice's case
    alice, bob = api.token(), api.token()
    case = submit(api, alice)
    # When Bob asks for it and its timeline
    view = api.call("GET", f"/v1/requests/{case['id']}", bob)
    events = api.call("GET", f"/v1/requests/{case['id']}/timeline", bob)
    # Then both are 404, exactly as for a case that does not exist
    assert_error(view, 404)
    assert_error(events, 404)
    assert case["id"] not in view.text and PHONE not in view.text and PHONE not in events.text
    missing = api.call("GET", f"/v1/requests/{uuid.uuid4().hex}", bob)
    assert_error(missing, 404)
    assert missing.json()["message"] == view.json()["message"]


def test_unknown_and_overlong_case_ids(api: Api) -> None:
    # Given a citizen
    token = api.token()
    # When they ask for a case id that does not exist, and one that is absurdly long
    missing = api.call("GET", f"/v1/requests/{uuid.uuid4().hex}/timeline", token)
    overlong = api.call("GET", f"/v1/requests/{'a' * 65}", token)
    # Then the first is a 404 and the second a 4xx, never a 5xx
    assert_error(missing, 404)
    assert 400 <= overlong.status_code < 500, overlong.text
    assert_error(overlong, overlong.status_code)


def test_timeline_starts_submitted_then_dispatched(api: Api) -> None:
    # Given a citizen who submitted a traffic complaint in Futian
    token = api.token()
    case = submit(api, token)
    # When they read the timeline right away
    events = timeline(api, token, case["id"])
    # Then the first event is "submitted" by the citizen, with a zoned ISO 8601 time
    assert events, "empty timeline"
    first = events[0]
    assert first["type"] == "submitted"
    assert first["actor"] == "citizen"
    assert first["status"] == "SUBMITTED"
    for e in events:
        assert {"type", "at", "actor", "status"} <= set(e), e
        parse_iso(e["at"])
    # And once the workflow has run, a "dispatched" event follows
    events = api.wait_for(
        lambda: (evs := timeline(api, token, case["id"])) and any(e["type"] == "dispatched" for e in evs) and evs
    )
    types = [e["type"] for e in events]
    assert types[0] == "submitted"
    dispatched = next(e for e in events if e["type"] == "dispatched")
    assert dispatched["status"] == "DISPATCHED"
    assert dispatched["unit_id"] == "futian-traffic-police"
    times = [parse_iso(e["at"]) for e in events]
    assert times == sorted(times)


# --- public tracking -------------------------------------------------------------------------------


def test_public_tracking_shows_status_but_no_personal_details(api: Api) -> None:
    # Given a citizen's case with a distinctive description
    token = api.token()
    description = f"Broken streetlight outside my flat, call me {uuid.uuid4().hex[:8]}"
    case = submit(api, token, description=description)
    api.wait_for(lambda: case_view(api, token, case["id"])["status"] == "DISPATCHED")
    # When anyone tracks it by number and the phone's last four digits, without a token
    resp = requests.get(f"{api.base_url}/v1/track/{case['tracking_no']}", params={"phone_last4": "5678"}, timeout=30)
    # Then they see the status and the events
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["tracking_no"] == case["tracking_no"]
    assert body["status"] == "DISPATCHED"
    assert [e["type"] for e in body["events"]][:1] == ["submitted"]
    assert "dispatched" in [e["type"] for e in body["events"]]
    for e in body["events"]:
        parse_iso(e["at"])
        assert not e.get("note"), e
    # And nothing personal: no phone, no description, no address, no notes
    text = resp.text
    assert PHONE not in text and "+86" not in text
    assert description not in text and "Broken streetlight" not in text
    assert VALID_REQUEST["address"] not in text
    assert "phone" not in body and "description" not in body and "address" not in body
    assert "location" not in body and "attachments" not in body
    assert "citizen" not in {k.lower() for k in body}


def test_public_tracking_is_case_insensitive_on_the_number(api: Api) -> None:
    # Given a case
    token = api.token()
    case = submit(api, token)
    # When it is tracked with the number typed in lower case
    resp = api.call("GET", f"/v1/track/{case['tracking_no'].lower()}", params={"phone_last4": "5678"})
    # Then it is found
    assert resp.status_code == 200, resp.text
    assert resp.json()["tracking_no"] == case["tracking_no"]


def test_public_tracking_with_wrong_last4_or_number_is_404(api: Api) -> None:
    # Given a case
    case = submit(api, api.token())
    # When it is tracked with the wrong last four digits, or a number that does not exist
    wrong_phone = api.call("GET", f"/v1/track/{case['tracking_no']}", params={"phone_last4": "0000"})
    wrong_no = api.call("GET", "/v1/track/SZ0001-ZZZZZZ", params={"phone_last4": "5678"})
    # Then both are the same 404, revealing nothing
    assert_error(wrong_phone, 404)
    assert_error(wrong_no, 404)
    assert wrong_phone.json()["message"] == wrong_no.json()["message"]
    assert case["tracking_no"] not in wrong_phone.text


@pytest.mark.parametrize(
    "params", [{}, {"phone_last4": ""}, {"phone_last4": "567"}, {"phone_last4": "56789"}, {"phone_last4": "abcd"}]
)
def test_public_tracking_needs_four_digits(api: Api, params: dict[str, str]) -> None:
    # Given a case
    case = submit(api, api.token())
    # When it is tracked without a valid phone_last4
    resp = api.call("GET", f"/v1/track/{case['tracking_no']}", params=params)
    # Then it is refused naming phone_last4
    assert_error(resp, 422, "phone_last4")


@pytest.mark.parametrize("last4", ["５６７８", "٥٦٧٨"])
def test_public_tracking_with_non_ascii_digits_is_not_a_server_error(api: Api, last4: str) -> None:
    # Given a case
    case = submit(api, api.token())
    # When it is tracked with the last four digits typed as full-width (or other non-ASCII) digits
    resp = api.call("GET", f"/v1/track/{case['tracking_no']}", params={"phone_last4": last4})
    # Then the answer is the case (digits normalised) or a 422 naming phone_last4, never a 5xx
    assert resp.status_code < 500, resp.text
    if resp.status_code == 200:
        assert resp.json()["tracking_no"] == case["tracking_no"]
    else:
        assert_error(resp, 422, "phone_last4")


def test_public_tracking_of_an_overlong_number_is_4xx(api: Api) -> None:
    # Given no case at all
    # When a tracking number longer than any real one is tracked
    resp = api.call("GET", f"/v1/track/{'X' * 40}", params={"phone_last4": "5678"})
    # Then it is a JSON 4xx naming tracking_no
    assert_error(resp, 422, "tracking_no")


# --- catalogue -------------------------------------------------------------------------------------


def test_catalog_is_public(api: Api) -> None:
    # Given no token at all
    # When the app loads the catalogue
    resp = requests.get(f"{api.base_url}/v1/catalog", timeout=30)
    # Then it lists the four categories, ten topics and ten districts with both languages
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert set(body["categories"]) == {"consultation", "complaint", "suggestion", "help"}
    assert set(body["districts"]) == {
        "futian",
        "luohu",
        "nanshan",
        "yantian",
        "baoan",
        "longgang",
        "longhua",
        "pingshan",
        "guangming",
        "dapeng",
    }
    assert set(body["topics"]) == {
        "traffic",
        "environment",
        "housing",
        "urban_management",
        "social_security",
        "market_regulation",
        "public_security",
        "education",
        "health",
        "other",
    }
    assert body["districts"]["futian"] == {"zh": "福田区", "en": "Futian"}
    for names in [*body["districts"].values(), *body["topics"].values()]:
        assert names.get("zh") and names.get("en"), names
    assert set(body["deadline_days"]) == set(body["categories"])
    assert all(isinstance(d, int) and d > 0 for d in body["deadline_days"].values())


# --- uploads ---------------------------------------------------------------------------------------


def test_photo_upload_is_attached_and_downloadable(api: Api) -> None:
    # Given a citizen with a photo
    token = api.token()
    photo = b"\xff\xd8\xff\xe0" + uuid.uuid4().bytes * 64 + b"\xff\xd9"
    # When they ask for an upload ticket
    resp = new_upload(api, token, "image/jpeg", len(photo))
    # Then they get a presigned POST
    assert resp.status_code == 201, resp.text
    ticket = resp.json()
    assert ticket["upload_id"] and ticket["url"].startswith("http")
    assert isinstance(ticket["fields"], dict) and ticket["fields"].get("key")
    assert ticket["max_size"] == len(photo)
    # When they upload the photo straight to S3
    stored = requests.post(
        ticket["url"], data=ticket["fields"], files={"file": ("p.jpg", photo, "image/jpeg")}, timeout=30
    )
    assert 200 <= stored.status_code < 300, stored.text
    # And submit a request with it
    case = submit(api, token, attachments=[ticket["upload_id"]])
    # Then the case shows the photo
    view = case_view(api, token, case["id"])
    assert len(view["attachments"]) == 1
    att = view["attachments"][0]
    assert att["upload_id"] == ticket["upload_id"]
    assert att["kind"] == "photo" and att["content_type"] == "image/jpeg" and att["size"] == len(photo)
    # And its download URL really serves the same bytes
    assert att["download_url"]
    download = requests.get(att["download_url"], timeout=30)
    assert download.status_code == 200, download.text
    assert download.content == photo


def test_voice_upload_is_attached(api: Api) -> None:
    # Given a citizen who recorded a voice note
    token = api.token()
    voice = b"ID3" + bytes(range(256)) * 4
    upload_id = upload_file(api, token, voice, "audio/mpeg")
    # When they submit with it
    case = submit(api, token, attachments=[upload_id])
    # Then the case lists it as a voice attachment
    (att,) = case_view(api, token, case["id"])["attachments"]
    assert att["kind"] == "voice" and att["size"] == len(voice)


@pytest.mark.parametrize(
    ("content_type", "size"),
    [("image/jpeg", 10 * MB), ("image/png", 1), ("audio/amr", 20 * MB), ("video/mp4", 100 * MB)],
)
def test_upload_tickets_up_to_the_limit_are_issued(api: Api, content_type: str, size: int) -> None:
    # Given a citizen
    token = api.token()
    # When they ask to upload a file at the size limit of its kind
    resp = new_upload(api, token, content_type, size)
    # Then a ticket is issued
    assert resp.status_code == 201, resp.text
    assert resp.json()["max_size"] == size


@pytest.mark.parametrize(
    ("content_type", "size", "field"),
    [
        ("application/pdf", 1000, "content_type"),
        ("text/html", 1000, "content_type"),
        ("image/jpeg", 10 * MB + 1, "size"),
        ("image/png", 11 * MB, "size"),
        ("audio/mpeg", 20 * MB + 1, "size"),
        ("video/mp4", 101 * MB, "size"),
        ("image/jpeg", 0, "size"),
        ("image/jpeg", -5, "size"),
    ],
)
def test_upload_tickets_are_refused(api: Api, content_type: str, size: int, field: str) -> None:
    # Given a citizen
    token = api.token()
    # When they ask to upload a file of a kind or size that is not allowed
    resp = new_upload(api, token, content_type, size)
    # Then it is refused naming the field
    assert_error(resp, 422, field)


def test_upload_ticket_needs_an_account_that_attaches_files(api: Api) -> None:
    # Given no token, and a dispatcher's token (dispatchers attach nothing; citizens, operators,
    # staff and supervisors do)
    dispatcher = api.token("dispatcher")
    # When each asks for an upload ticket
    anonymous = api.call("POST", "/v1/uploads", json={"content_type": "image/jpeg", "size": 10})
    as_dispatcher = new_upload(api, dispatcher)
    as_staff = new_upload(api, api.token("staff", unit="futian-traffic-police"))
    # Then the first is 401, the second 403, and staff get a ticket (for files with their reply)
    assert_error(anonymous, 401, "Authorization")
    assert_error(as_dispatcher, 403)
    assert as_staff.status_code == 201, as_staff.text


def test_attaching_an_upload_never_uploaded_is_rejected(api: Api) -> None:
    # Given a citizen with a ticket but no file sent to S3
    token = api.token()
    ticket = new_upload(api, token).json()
    # When they submit with it
    resp = api.call("POST", "/v1/requests", token, json=request_body(attachments=[ticket["upload_id"]]))
    # Then it is refused naming the attachment, and no case is created
    assert_error(resp, 422, "attachments[0]")
    assert own_ids(api, token) == []


def test_attaching_an_unknown_upload_id_names_its_position(api: Api) -> None:
    # Given a citizen with one real upload
    token = api.token()
    good = upload_file(api, token, b"\xff\xd8\xff" + b"x" * 100)
    # When the second attachment is an id that never existed
    resp = api.call("POST", "/v1/requests", token, json=request_body(attachments=[good, uuid.uuid4().hex]))
    # Then the problem names attachments[1]
    assert_error(resp, 422, "attachments[1]")
    # And the good upload is still free to use
    case = submit(api, token, attachments=[good])
    assert len(case_view(api, token, case["id"])["attachments"]) == 1


def test_attaching_another_citizens_upload_is_rejected(api: Api) -> None:
    # Given Alice's uploaded photo
    alice, bob = api.token(), api.token()
    upload_id = upload_file(api, alice, b"\xff\xd8\xff" + b"a" * 500)
    # When Bob submits a request naming it
    resp = api.call("POST", "/v1/requests", bob, json=request_body(attachments=[upload_id]))
    # Then it is refused, naming the attachment
    assert_error(resp, 422, "attachments[0]")
    assert own_ids(api, bob) == []
    # And Alice can still attach it
    case = submit(api, alice, attachments=[upload_id])
    assert case_view(api, alice, case["id"])["attachments"][0]["upload_id"] == upload_id


def test_reusing_an_attached_upload_is_rejected(api: Api) -> None:
    # Given a citizen whose photo is already attached to a case
    token = api.token()
    upload_id = upload_file(api, token, b"\xff\xd8\xff" + b"b" * 300)
    first = submit(api, token, attachments=[upload_id])
    # When they attach the same upload to a second request
    resp = api.call("POST", "/v1/requests", token, json=request_body(attachments=[upload_id]))
    # Then it is refused, and only the first case exists
    assert_error(resp, 422, "attachments[0]")
    assert own_ids(api, token) == [first["id"]]


def test_naming_the_same_upload_twice_is_rejected(api: Api) -> None:
    # Given a citizen with one upload
    token = api.token()
    upload_id = upload_file(api, token, b"\xff\xd8\xff" + b"c" * 300)
    # When the same upload id is listed twice
    resp = api.call("POST", "/v1/requests", token, json=request_body(attachments=[upload_id, upload_id]))
    # Then it is refused naming attachments
    body = assert_error(resp, 422)
    assert any(p["field"].startswith("attachments") for p in body["problems"]), body


def test_more_than_nine_attachments_are_rejected(api: Api) -> None:
    # Given a citizen
    token = api.token()
    # When they name ten attachments
    resp = api.call("POST", "/v1/requests", token, json=request_body(attachments=[uuid.uuid4().hex for _ in range(10)]))
    # Then it is refused naming attachments
    assert_error(resp, 422, "attachments")


def put_past_the_policy(ticket: dict[str, Any], data: bytes, content_type: str) -> None:
    """Writes the ticket's key straight into the embedded S3 (as a holder of the bucket's credentials
    could), where a presigned POST would be refused: the submit-time checks must hold on their own."""
    import boto3

    endpoint, bucket = ticket["url"].rstrip("/").rsplit("/", 1)
    s3 = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id="local", aws_secret_access_key="local")
    s3.put_object(Bucket=bucket, Key=ticket["fields"]["key"], Body=data, ContentType=content_type)


def test_file_larger_than_declared_is_rejected_at_submit(api: Api) -> None:
    # Given a citizen who declared 10 bytes but sent 1000: S3 refuses the presigned POST
    token = api.token()
    data = b"\xff\xd8\xff" + b"d" * 998
    ticket = new_upload(api, token, "image/jpeg", 10).json()
    refused = requests.post(
        ticket["url"], data=ticket["fields"], files={"file": ("p.jpg", data, "image/jpeg")}, timeout=30
    )
    assert (refused.status_code, "<Code>EntityTooLarge</Code>" in refused.text) == (400, True), refused.text
    # And the file is there all the same (written past the policy)
    put_past_the_policy(ticket, data, "image/jpeg")
    upload_id = ticket["upload_id"]
    # When they submit with it
    resp = api.call("POST", "/v1/requests", token, json=request_body(attachments=[upload_id]))
    # Then it is refused naming the attachment
    assert_error(resp, 422, "attachments[0]")
    assert own_ids(api, token) == []


def test_file_of_another_type_than_declared_is_rejected_at_submit(api: Api) -> None:
    # Given a citizen who declared a JPEG but sent the file as text/html: S3 refuses the presigned POST
    token = api.token()
    ticket = new_upload(api, token, "image/jpeg", 100).json()
    fields = {**ticket["fields"], "Content-Type": "text/html"}
    refused = requests.post(
        ticket["url"], data=fields, files={"file": ("p.html", b"<script>x</script>", "text/html")}, timeout=30
    )
    assert (refused.status_code, "<Code>AccessDenied</Code>" in refused.text) == (403, True), refused.text
    # And the file is there all the same (written past the policy)
    put_past_the_policy(ticket, b"<script>x</script>", "text/html")
    # When they submit with it
    resp = api.call("POST", "/v1/requests", token, json=request_body(attachments=[ticket["upload_id"]]))
    # Then it is refused naming the attachment
    assert_error(resp, 422, "attachments[0]")
    assert own_ids(api, token) == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"content_type": "image/jpeg"}, "size"),
        ({"size": 10}, "content_type"),
        ({"content_type": "image/jpeg", "size": "ten"}, "size"),
        ({"content_type": "image/jpeg", "size": 1.5}, "size"),
        ({"content_type": "image/jpeg", "size": 10, "filename": "f" * 201}, "filename"),
        ({"content_type": "image/jpeg", "size": 10, "bucket": "other"}, "bucket"),
    ],
)
def test_malformed_upload_request_is_rejected(api: Api, body: dict[str, Any], field: str) -> None:
    # Given a citizen
    token = api.token()
    # When the upload request is malformed
    resp = api.call("POST", "/v1/uploads", token, json=body)
    # Then it is refused naming the field
    assert_error(resp, 422, field)


def test_idempotency_key_is_free_again_after_a_rejected_submission(api: Api) -> None:
    # Given a citizen whose first attempt with a key was rejected (unknown topic)
    token = api.token()
    key = f"k-{uuid.uuid4().hex}"
    rejected = api.call(
        "POST", "/v1/requests", token, json=request_body(topic="aliens"), headers={"Idempotency-Key": key}
    )
    assert_error(rejected, 422, "topic")
    # When they fix the request and send it again with the same key
    fixed = api.call("POST", "/v1/requests", token, json=request_body(), headers={"Idempotency-Key": key})
    # Then it is accepted
    assert fixed.status_code == 201, fixed.text
    assert own_ids(api, token) == [fixed.json()["id"]]


# --- rejections of the request itself --------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"topic": "aliens"}, "topic"),
        ({"district": "atlantis"}, "district"),
        ({"topic": ""}, "topic"),
        ({"category": "praise"}, "category"),
        ({"phone": "12345"}, "phone"),
        ({"phone": "not a phone"}, "phone"),
        ({"phone": "02112345678"}, "phone"),
        ({"description": "x" * 4001}, "description"),
        ({"description": ""}, "description"),
        ({"description": "   "}, "description"),
        ({"address": "a" * 301}, "address"),
        ({"location": {"lat": 123, "lon": 114.0}}, "location.lat"),
        ({"location": {"lat": 22.5}}, "location.lon"),
        ({"language": "fr"}, "language"),
        ({"attachments": "not-a-list"}, "attachments"),
        ({"unexpected": True}, "unexpected"),
    ],
)
def test_invalid_request_is_rejected_naming_the_field(api: Api, overrides: dict[str, Any], field: str) -> None:
    # Given a citizen
    token = api.token()
    # When they submit a request with one bad field
    resp = api.call("POST", "/v1/requests", token, json=request_body(**overrides))
    # Then it is refused with a JSON error naming that field, and nothing is created
    assert_error(resp, 422, field)
    assert own_ids(api, token) == []


# `phone` is optional for a citizen: the notices go to the account's verified number (tests/e2e/test_fresh_stack.py);
# `topic` and `district` too: the platform suggests and routes (issue 18; test_a_request_without_a_district_...)
@pytest.mark.parametrize("missing", ["category", "description"])
def test_missing_required_field_is_rejected(api: Api, missing: str) -> None:
    # Given a citizen
    token = api.token()
    body = {k: v for k, v in request_body().items() if k != missing}
    # When they leave out a required field
    resp = api.call("POST", "/v1/requests", token, json=body)
    # Then it is refused naming it
    assert_error(resp, 422, missing)


def test_a_request_without_a_district_needs_a_location_that_names_one(api: Api) -> None:
    # Given a citizen who leaves out the district and the location
    token = api.token()
    body = {k: v for k, v in request_body().items() if k not in ("district", "location")}
    # When they file / Then it is refused naming the district (nothing else can say where it is)
    assert_error(api.call("POST", "/v1/requests", token, json=body), 422, "district")


def test_description_of_exactly_4000_chars_is_accepted(api: Api) -> None:
    # Given a citizen with a long story
    token = api.token()
    # When the description is exactly 4000 characters (Chinese text)
    created = submit(api, token, description="路" * 4000)
    # Then it is accepted intact
    assert len(case_view(api, token, created["id"])["description"]) == 4000


@pytest.mark.parametrize("raw", [b"{not json", b"", b"[]", b"null", "描述".encode()])
def test_malformed_body_is_a_4xx_not_a_5xx(api: Api, raw: bytes) -> None:
    # Given a citizen
    token = api.token()
    # When the body is not a JSON object
    resp = api.call("POST", "/v1/requests", token, data=raw, headers={"Content-Type": "application/json"})
    # Then it is a JSON 4xx
    assert 400 <= resp.status_code < 500, resp.text
    assert_error(resp, resp.status_code)


def test_missing_token_is_401(api: Api) -> None:
    # Given no Authorization header
    # When the app submits, lists or reads
    for method, path in [
        ("POST", "/v1/requests"),
        ("GET", "/v1/requests"),
        ("GET", f"/v1/requests/{uuid.uuid4().hex}"),
    ]:
        resp = api.call(method, path, json=request_body() if method == "POST" else None)
        # Then each is a JSON 401 naming Authorization
        assert_error(resp, 401, "Authorization")


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer garbage",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",
    ],
)
def test_garbage_token_is_401(api: Api, authorization: str) -> None:
    # Given a malformed Authorization header
    # When the app submits with it
    resp = api.call("POST", "/v1/requests", json=request_body(), headers={"Authorization": authorization})
    # Then it is a JSON 401 naming Authorization
    assert_error(resp, 401, "Authorization")


def _forged(claims: dict[str, Any], key: bytes = b"not-the-local-key-0123456789abcdef", alg: str = "HS256") -> str:
    now = int(time.time())
    return jwt.encode({"iss": "minyi-local", "iat": now, "exp": now + 3600, "token_use": "id", **claims}, key, alg)


def test_token_signed_with_another_key_is_401(api: Api) -> None:
    # Given a well-formed JWT with the right claims but signed with another key
    token = _forged({"sub": f"citizen-{uuid.uuid4().hex[:8]}", "cognito:groups": "citizen"})
    # When the app submits and lists with it
    submitted = api.call("POST", "/v1/requests", token, json=request_body())
    listed = api.call("GET", "/v1/requests", token)
    # Then both are JSON 401s naming Authorization
    assert_error(submitted, 401, "Authorization")
    assert_error(listed, 401, "Authorization")


def test_forged_admin_token_cannot_read_anothers_case(api: Api) -> None:
    # Given Alice's case and a forged token claiming to be Alice
    alice_sub = f"citizen-{uuid.uuid4().hex[:8]}"
    case = submit(api, api.token(sub=alice_sub))
    forged = _forged({"sub": alice_sub, "cognito:groups": "admin"})
    # When the forged token reads the case
    resp = api.call("GET", f"/v1/requests/{case['id']}", forged)
    # Then it is 401
    assert_error(resp, 401, "Authorization")


def test_expired_and_foreign_issuer_tokens_are_401(api: Api) -> None:
    # Given tokens that are expired, or from another issuer (both signed with a stranger's key)
    now = int(time.time())
    expired = _forged({"sub": "x", "cognito:groups": "citizen", "iat": now - 7200, "exp": now - 3600})
    unsigned = jwt.encode(
        {"sub": "x", "cognito:groups": "citizen", "iss": "minyi-local", "exp": now + 60}, None, "none"
    )
    # When they are used
    for token in (expired, unsigned):
        resp = api.call("GET", "/v1/requests", token)
        # Then each is 401
        assert_error(resp, 401, "Authorization")


@pytest.mark.parametrize(
    ("role", "unit"), [("staff", "futian-traffic-police"), ("dispatcher", None), ("supervisor", None)]
)
def test_non_citizen_cannot_submit(api: Api, role: str, unit: str | None) -> None:
    # Given a signed-in member of staff
    token = api.token(role, unit=unit)
    # When they try to submit a citizen request
    resp = api.call("POST", "/v1/requests", token, json=request_body())
    # Then it is a JSON 403
    assert_error(resp, 403)
    # And they may not list citizen requests either (a role that never may: 403)
    assert_error(api.call("GET", "/v1/requests", token), 403)
    # And nothing was filed under their name
    sub = jwt.decode(token, options={"verify_signature": False})["sub"]
    assert own_ids(api, api.token("citizen", sub=sub)) == []


# --- the API description ---------------------------------------------------------------------------


def test_openapi_lists_every_route(api: Api) -> None:
    # Given the running API
    # When the OpenAPI document is fetched
    resp = requests.get(f"{api.base_url}/openapi.json", timeout=30)
    # Then it lists every route with its methods
    assert resp.status_code == 200, resp.text
    spec = resp.json()
    assert spec["openapi"].startswith("3.")
    paths = spec["paths"]
    expected = {
        "/v1/requests": {"get", "post"},
        "/v1/requests/{case_id}": {"get"},
        "/v1/requests/{case_id}/timeline": {"get"},
        "/v1/requests/{case_id}/rating": {"post"},
        "/v1/uploads": {"post"},
        "/v1/track/{tracking_no}": {"get"},
        "/v1/catalog": {"get"},
        "/v1/cases/{case_id}": {"get"},
        "/v1/cases/{case_id}/accept": {"post"},
        "/v1/cases/{case_id}/reply": {"post"},
        "/v1/cases/{case_id}/return": {"post"},
        "/v1/cases/{case_id}/dispatch": {"post"},
        "/v1/cases/{case_id}/extension": {"post"},
        "/v1/cases/{case_id}/extension/decision": {"post"},
        "/v1/units/{unit_id}/cases": {"get"},
        "/v1/supervision": {"get"},
    }
    for path, methods in expected.items():
        assert path in paths, f"{path} missing from {sorted(paths)}"
        assert methods <= set(paths[path]), (path, sorted(paths[path]))
    # And the public routes need no token
    assert paths["/v1/catalog"]["get"]["security"] == []
    assert paths["/v1/track/{tracking_no}"]["get"]["security"] == []
    assert paths["/v1/requests"]["post"].get("security") != []


def test_swagger_ui_is_html(api: Api) -> None:
    # Given the running API
    # When the Swagger UI is opened
    resp = requests.get(f"{api.base_url}/swagger", timeout=30)
    # Then it is an HTML page
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith("text/html")
    assert "<html" in resp.text.lower() and "swagger" in resp.text.lower()
