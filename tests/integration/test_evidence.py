"""Evidence cannot change: an attachment is sealed when the case is filed, and its bytes must fit
its declared type (issue 13: an old ticket could replace the photo; HTML passed as a PNG)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from minyi.adapters.aws import client
from minyi.domain.models import Upload
from tests.integration.conftest import Stack, citizen

REQUEST: dict[str, Any] = {
    "category": "complaint",
    "topic": "traffic",
    "district": "futian",
    "description": "Broken traffic light at Fuhua Road",
    "phone": "13812345678",
}
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(200))
HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(100)
MOV = b"\x00\x00\x00\x14ftypqt  \x00\x00\x02\x00qt  " + bytes(100)
M4A = b"\x00\x00\x00\x1cftypM4A \x00\x00\x00\x00M4A isommp42" + bytes(100)


def posted_upload(stack: Stack, who: dict[str, str], content_type: str, data: bytes) -> str:
    """What a phone does with its ticket: the upload record, then the bytes at the ticket's key."""
    upload_id = f"u-{datetime.now(UTC).timestamp():.6f}".replace(".", "")
    key = f"uploads/{who['sub']}/{upload_id}"
    stack.uploads.put(
        Upload(
            upload_id=upload_id,
            owner_id=who["sub"],
            key=key,
            content_type=content_type,
            size=len(data),
            created_at=datetime.now(UTC),
            expires_at=2_000_000_000,
        )
    )
    put(stack, key, data, content_type)
    return upload_id


def put(stack: Stack, key: str, data: bytes, content_type: str) -> None:
    client("s3").put_object(Bucket=stack.resources["AttachmentsBucket"], Key=key, Body=data, ContentType=content_type)


def test_html_declared_as_png_is_refused_naming_the_attachment(stack: Stack) -> None:
    # Given an upload whose bytes are an HTML page, posted as image/png
    who = citizen()
    upload_id = posted_upload(stack, who, "image/png", b"<html><script>alert(1)</script></html>")
    # When the citizen files a case with it
    status, body = stack.request(
        "POST", "/v1/requests", who, {**REQUEST, "attachments": [upload_id]}, headers={"Accept-Language": "en"}
    )
    # Then it is refused naming the attachment, and no case exists
    assert status == 422, body
    assert body["problems"][0]["field"] == "attachments[0]"
    assert "not image/png" in body["problems"][0]["problem"]
    _, cases = stack.request("GET", "/v1/requests", who)
    assert cases["items"] == []


def test_a_repost_with_the_old_ticket_changes_nothing_the_unit_sees(stack: Stack) -> None:
    # Given a case filed with a photo
    who = citizen()
    upload_id = posted_upload(stack, who, "image/png", PNG)
    status, created = stack.request("POST", "/v1/requests", who, {**REQUEST, "attachments": [upload_id]})
    assert status == 201, created
    # When different bytes are posted again to the upload's key afterwards
    put(stack, f"uploads/{who['sub']}/{upload_id}", b"\x89PNG\r\n\x1a\n" + b"swapped evidence", "image/png")
    # Then the case names the sealed copy, which still holds the original bytes
    case = stack.repo.get_case(created["id"])
    assert case is not None
    (attachment,) = case.attachments
    assert attachment.key == f"evidence/{upload_id}"
    assert who["sub"] not in attachment.key
    sealed = client("s3").get_object(Bucket=stack.resources["AttachmentsBucket"], Key=attachment.key)
    assert sealed["Body"].read() == PNG
    # And its download link always downloads, with the verified type
    _, view = stack.request("GET", f"/v1/requests/{created['id']}", who)
    query = parse_qs(urlparse(view["attachments"][0]["download_url"]).query)
    assert query["response-content-disposition"] == [f'attachment; filename="{upload_id}.png"']
    assert query["response-content-type"] == ["image/png"]


@pytest.mark.parametrize(
    ("content_type", "data", "kind"),
    [("image/heic", HEIC, "photo"), ("video/quicktime", MOV, "video"), ("audio/x-m4a", M4A, "voice")],
)
def test_media_from_real_phones_is_accepted(stack: Stack, content_type: str, data: bytes, kind: str) -> None:
    # Given an iPhone's HEIC photo, MOV video or M4A voice note
    who = citizen()
    upload_id = posted_upload(stack, who, content_type, data)
    # When a case is filed with it
    status, created = stack.request("POST", "/v1/requests", who, {**REQUEST, "attachments": [upload_id]})
    # Then it is attached with its kind
    assert status == 201, created
    _, view = stack.request("GET", f"/v1/requests/{created['id']}", who)
    assert [a["kind"] for a in view["attachments"]] == [kind]


def evidence_of(stack: Stack, *upload_ids: str) -> list[str]:
    """The evidence copies made of these uploads."""
    listed = client("s3").list_objects_v2(Bucket=stack.resources["AttachmentsBucket"], Prefix="evidence/")
    return [o["Key"] for o in listed.get("Contents", []) if o["Key"].rsplit("/", 1)[-1] in upload_ids]


def test_an_empty_file_is_refused_naming_the_attachment_and_nothing_is_copied(stack: Stack) -> None:
    # Given an upload whose file arrived empty (0 bytes)
    who = citizen()
    upload_id = posted_upload(stack, who, "image/png", b"")
    # When the citizen files a case with it
    status, body = stack.request(
        "POST", "/v1/requests", who, {**REQUEST, "attachments": [upload_id]}, headers={"Accept-Language": "en"}
    )
    # Then it is a 422 naming the attachment (not a 500), no case exists and no evidence copy was left
    assert status == 422, body
    assert body["problems"] == [{"field": "attachments[0]", "problem": "the uploaded file is empty"}]
    assert stack.request("GET", "/v1/requests", who)[1]["items"] == []
    assert evidence_of(stack, upload_id) == []


def test_a_bad_second_attachment_leaves_no_copy_of_the_first(stack: Stack) -> None:
    # Given a good photo and an HTML page declared as a PNG
    who = citizen()
    good = posted_upload(stack, who, "image/png", PNG)
    bad = posted_upload(stack, who, "image/png", b"<html></html>")
    # When the citizen files a case with both
    status, body = stack.request(
        "POST", "/v1/requests", who, {**REQUEST, "attachments": [good, bad]}, headers={"Accept-Language": "en"}
    )
    # Then the second is refused by name, and neither was copied as evidence
    assert status == 422, body
    assert body["problems"][0]["field"] == "attachments[1]"
    assert evidence_of(stack, good, bad) == []
