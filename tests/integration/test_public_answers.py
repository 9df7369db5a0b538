"""Public answers say no more than their caller may know (issue 20): every route without sign-in is
walked (every key and value, `tests/leaks.py`) for the case's private fields.

One case carries everything private a case can: the citizen's id and mobile, an address, an exact
position, a description, an attachment (upload id, upload and evidence keys) and a rating link's token.
Whoever holds the SMS holds the rating link, so its answers carry the status and round only; the
owner's view by the last four digits may show their own description and address, nothing else private.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import pytest

from infra.local.streams import StreamPoller
from minyi.adapters.aws import client
from minyi.adapters.secrets import secret_bytes
from minyi.domain.models import Upload
from minyi.domain.rating_links import RatingLinks
from tests.integration.conftest import Stack, citizen, staff
from tests.leaks import Private, leaks, private_of

PHONE = "+8613812345678"
LAT, LON = 22.543123, 114.057865
DESCRIPTION = "My neighbour Wang Lei in flat 1201 blocks the fire exit every night"
ADDRESS = "福田区福华路88号3栋1201室"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))
SCORES = {"speed": 5, "effectiveness": 5, "experience": 5, "feedback_quality": 5}


@dataclass(frozen=True)
class Published:
    tracking_no: str
    token: str
    private: Private


def _upload(stack: Stack, owner: str) -> tuple[str, str]:
    upload_id = f"u{datetime.now(UTC).timestamp():.6f}".replace(".", "")
    key = f"uploads/{owner}/{upload_id}"
    stack.uploads.put(
        Upload(
            upload_id=upload_id,
            owner_id=owner,
            key=key,
            content_type="image/png",
            size=len(PNG),
            created_at=datetime.now(UTC),
            expires_at=2_000_000_000,
        )
    )
    client("s3").put_object(Bucket=stack.resources["AttachmentsBucket"], Key=key, Body=PNG, ContentType="image/png")
    return upload_id, key


@pytest.fixture(scope="module")
def published(stack: Stack) -> Published:
    """A case full of personal data, answered by its unit and waiting for the citizen's rating."""
    who = citizen(phone=PHONE)
    upload_id, upload_key = _upload(stack, who["sub"])
    body = {
        "category": "complaint",
        "topic": "traffic",
        "district": "futian",
        "description": DESCRIPTION,
        "address": ADDRESS,
        "location": {"lat": LAT, "lon": LON},
        "phone": PHONE,
        "attachments": [upload_id],
    }
    status, created = stack.request("POST", "/v1/requests", who, body)
    assert status == 201, created
    case_id = created["id"]
    stack.wait_for(lambda: (c := stack.repo.get_case(case_id)) and c.wait and c.wait.phase == "handling")
    unit = staff()
    assert stack.request("POST", f"/v1/cases/{case_id}/accept", unit)[0] == 200
    assert stack.request("POST", f"/v1/cases/{case_id}/reply", unit, {"message": "Cleared the exit."})[0] == 200
    case = stack.wait_for(lambda: (c := stack.repo.get_case(case_id)) and c.wait and c.wait.phase == "rating" and c)
    feeds(stack)
    links = RatingLinks(secret_bytes(stack.resources["RatingLinkSecret"]), "http://x")
    token = links.token(case.tracking_no, case.round)
    private = private_of(
        keys={"id", "case_id", "citizen_id", "citizen_phone", "phone", "description", "address", "location"}
        | {"lat", "lon", "attachments", "upload_id", "key", "download_url", "token", "replies", "ratings"},
        texts={
            "description": DESCRIPTION,
            "address": ADDRESS,
            "case_id": case_id,
            "citizen_id": who["sub"],
            "upload_id": upload_id,
            "upload_key": upload_key,
            "evidence_key": case.attachments[0].key,
            "token": token,
        },
        phones=[PHONE],
        numbers=[LAT, LON],
    )
    return Published(case.tracking_no, token, private)


def feeds(stack: Stack) -> None:
    """Deliver the table's stream to the open-data feed and the published counts, as Lambda would."""
    poller = StreamPoller(stack.lambdas.template, stack.lambdas, stack.resources)
    poller.mappings = [m for m in poller.mappings if m.function == "ProjectionsFunction"]
    assert len(poller.mappings) == 1
    idle = 0
    while idle < 2:
        idle = idle + 1 if poller.poll_once() == 0 else 0


def values_of(published: Published) -> Private:
    """The private values alone: GeoReport's own field names (`description`, `address`) may stay."""
    return replace(published.private, keys=frozenset())


def get(stack: Stack, path: str) -> Any:
    status, body = stack.request("GET", path, None)
    assert status == 200, body
    return body


def test_the_rating_link_answers_its_status_and_round_and_nothing_private(stack: Stack, published: Published) -> None:
    # Given a case waiting for its rating, and its SMS link's token
    number, token = published.tracking_no, published.token
    # When whoever holds the link opens it, then rates with it
    state = get(stack, f"/v1/track/{number}/rating?t={token}")
    status, rated = stack.request("POST", f"/v1/track/{number}/rating", None, {**SCORES, "token": token})
    # Then both answers carry the status and round (and whether the form still applies), nothing else
    assert status == 200, rated
    assert state == {"status": "REPLIED", "round": 1, "rateable": True}
    assert rated == {"status": "CLOSED", "round": 1, "rateable": False}
    assert leaks([state, rated], published.private) == []


def test_public_tracking_by_the_last_four_shows_the_owner_no_ids_keys_tokens_or_full_phone(
    stack: Stack, published: Published
) -> None:
    # Given the owner, who proves it with the last four digits of the mobile
    # When they track the case without signing in
    found = get(stack, f"/v1/track/{published.tracking_no}?phone_last4={PHONE[-4:]}")
    # Then they may read their own description and address, and the unit's answers with the answer
    # files' list (issue 21), but no id, key, token, position or number, nor their own media
    assert found["tracking_no"] == published.tracking_no
    assert [r["text"] for r in found["replies"]] == ["Cleared the exit."]
    # (each event's `key` is its text's message-catalogue key, no storage key: the storage keys' values
    # are still looked for everywhere)
    assert all(e["key"].startswith("event.") for e in found["events"])
    shown = published.private.without("description", "address", "replies", "attachments", "key")
    assert leaks(found, shown) == []


@pytest.mark.parametrize(
    "path",
    ["/v1/catalog", "/v1/public/stats", "/open311/v2/services.json", "/open311/v2/discovery.json"],
)
def test_the_catalogue_the_published_counts_and_the_open311_services_carry_no_case_data(
    stack: Stack, published: Published, path: str
) -> None:
    # Given a case full of personal data / When a public listing is read / Then none of it shows (the
    # GeoReport field names, such as a service's `description`, are not the case's)
    assert leaks(get(stack, path), values_of(published)) == []


@pytest.mark.parametrize("path", ["/open311/v2/requests.json", "/open311/v2/requests/{number}.json"])
def test_open311_requests_publish_no_private_description_address_position_or_phone(
    stack: Stack, published: Published, path: str
) -> None:
    # Given a case full of personal data, not made public by its citizen
    # When the open-data feed lists it, or is asked for it by its number
    answer = get(stack, path.format(number=published.tracking_no))
    # Then it is there, but with none of its private fields (GeoReport's own field names may stay)
    assert published.tracking_no in str(answer)
    assert leaks(answer, values_of(published)) == []


def test_open311_updates_publish_nothing_private(stack: Stack, published: Published) -> None:
    # Given a case full of personal data, answered by its unit / When the updates feed is read
    answer = get(stack, "/open311/v2/servicerequestupdates.json")
    # Then none of its private fields shows
    assert leaks(answer, values_of(published)) == []
