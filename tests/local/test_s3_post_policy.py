"""The local runtime's S3 (`infra/local/aws.py`, moto behind `moto_patches`) refuses a browser upload its
presigned POST policy does not allow, as S3 does: real multipart POSTs over HTTP to its endpoint, with a
ticket signed as the upload service signs it (exact key, content type, 1 byte up to a limit, an expiry)."""

from __future__ import annotations

import base64
import json
import os
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import requests

from infra.local import moto_patches
from infra.local.aws import EmbeddedAws

BUCKET = "minyi-local-uploads"
KEY = "uploads/citizen-1/u-1"
LIMIT = 1000


@pytest.fixture(scope="module")
def s3() -> Iterator[Any]:
    """The runtime's embedded AWS (moto in process and over HTTP) with one private bucket."""
    saved = dict(os.environ)
    os.environ.update(
        {"AWS_REGION": "ap-east-1", "AWS_DEFAULT_REGION": "ap-east-1", "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled"}
    )
    aws = EmbeddedAws(template=None)  # type: ignore[arg-type]  # no resources from a template here
    aws.start()
    try:
        client = boto3.client("s3")
        client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "ap-east-1"})
        yield client
    finally:
        aws.stop()
        os.environ.clear()
        os.environ.update(saved)


def ticket(s3: Any, expires_in: int = 300, content_type: str = "image/jpeg") -> dict[str, Any]:
    """A presigned POST as `S3AttachmentStore.presign_upload` makes it."""
    return dict(
        s3.generate_presigned_post(
            Bucket=BUCKET,
            Key=KEY,
            Fields={"Content-Type": content_type},
            Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, LIMIT]],
            ExpiresIn=expires_in,
        )
    )


def post(presigned: dict[str, Any], data: bytes, **changed: str) -> requests.Response:
    fields = {**presigned["fields"], **changed}
    return requests.post(presigned["url"], data=fields, files={"file": ("p.jpg", data, "image/jpeg")}, timeout=30)


def error(resp: requests.Response) -> dict[str, str]:
    assert resp.headers["Content-Type"].startswith("application/xml"), resp.text
    return {child.tag: child.text or "" for child in ET.fromstring(resp.content)}


def stored(s3: Any) -> bool:
    return "Contents" in s3.list_objects_v2(Bucket=BUCKET, Prefix=KEY)


@pytest.fixture(autouse=True)
def empty_bucket(s3: Any) -> Iterator[None]:
    yield
    s3.delete_object(Bucket=BUCKET, Key=KEY)


def test_an_upload_the_policy_allows_is_stored(s3: Any) -> None:
    # When a phone posts a JPEG within the limit with its ticket
    resp = post(ticket(s3), b"\xff\xd8\xff" + b"x" * 100)
    # Then S3 stores it with the declared type
    assert resp.status_code == 204, resp.text
    assert s3.head_object(Bucket=BUCKET, Key=KEY)["ContentLength"] == 103


@pytest.mark.parametrize(
    ("changed", "condition"),
    [
        ({"Content-Type": "text/html"}, ["eq", "$Content-Type", "image/jpeg"]),
        ({"key": "evidence/other"}, ["eq", "$key", KEY]),
    ],
    ids=["another content type", "another key"],
)
def test_a_field_changed_from_the_ticket_is_refused_as_s3_refuses_it(
    s3: Any, changed: dict[str, str], condition: list[str]
) -> None:
    # When a client posts with a field changed from what the policy fixes
    resp = post(ticket(s3), b"\xff\xd8\xff" + b"x" * 100, **changed)
    # Then it gets S3's 403 naming the condition that failed, and nothing is stored
    assert resp.status_code == 403
    refusal = error(resp)
    assert refusal["Code"] == "AccessDenied"
    assert refusal["Message"] == f"Invalid according to Policy: Policy Condition failed: {json.dumps(condition)}"
    assert not stored(s3) and "Contents" not in s3.list_objects_v2(Bucket=BUCKET, Prefix="evidence/")


@pytest.mark.parametrize(
    ("size", "code", "bound"),
    [(LIMIT + 1, "EntityTooLarge", "MaxSizeAllowed"), (0, "EntityTooSmall", "MinSizeAllowed")],
    ids=["oversize", "empty"],
)
def test_a_file_outside_the_size_range_is_refused(s3: Any, size: int, code: str, bound: str) -> None:
    # When a client posts a file larger than the ticket's limit, or an empty one
    resp = post(ticket(s3), b"x" * size)
    # Then S3's 400 names the size proposed and the bound, and nothing is stored
    assert resp.status_code == 400
    refusal = error(resp)
    assert refusal["Code"] == code
    assert (refusal["ProposedSize"], refusal[bound]) == (str(size), str(LIMIT if size else 1))
    assert not stored(s3)


def test_an_expired_ticket_is_refused(s3: Any) -> None:
    # Given a ticket whose policy has expired
    expired = ticket(s3, expires_in=-1)
    # When it is used / Then S3's 403 says so
    resp = post(expired, b"\xff\xd8\xff")
    assert resp.status_code == 403
    assert error(resp) | {"RequestId": "", "HostId": ""} == {
        "Code": "AccessDenied",
        "Message": "Invalid according to Policy: Policy expired.",
        "RequestId": "",
        "HostId": "",
    }
    assert not stored(s3)


def test_a_policy_rewritten_by_the_client_fails_its_signature(s3: Any) -> None:
    # Given a client that rewrites its ticket's policy to allow any type and size
    presigned = ticket(s3)
    policy = json.loads(base64.b64decode(presigned["fields"]["policy"]))
    policy["conditions"] = [c for c in policy["conditions"] if not isinstance(c, list)] + [
        ["starts-with", "$Content-Type", ""]
    ]
    forged = base64.b64encode(json.dumps(policy).encode()).decode()
    # When it posts HTML with that policy
    resp = post(presigned, b"<script>x</script>", policy=forged, **{"Content-Type": "text/html"})
    # Then the signature does not match, and nothing is stored
    assert (resp.status_code, error(resp)["Code"]) == (403, "SignatureDoesNotMatch")
    assert not stored(s3)


def test_a_field_the_policy_does_not_name_is_refused(s3: Any) -> None:
    # When a client adds a field (a public ACL) the policy does not name
    resp = post(ticket(s3), b"\xff\xd8\xff", acl="public-read")
    # Then S3 refuses the extra input field
    assert resp.status_code == 403
    assert error(resp)["Message"] == "Invalid according to Policy: Extra input fields: acl"
    assert not stored(s3)


def test_a_form_without_a_policy_is_an_anonymous_write_and_refused(s3: Any) -> None:
    # When someone posts a form to the private bucket with only a key
    resp = requests.post(
        ticket(s3)["url"], data={"key": KEY}, files={"file": ("p.jpg", b"\xff\xd8\xff", "image/jpeg")}, timeout=30
    )
    # Then it is refused
    assert (resp.status_code, error(resp)["Code"]) == (403, "AccessDenied")
    assert not stored(s3)


def test_the_policy_check_is_one_of_the_version_checked_patches() -> None:
    # Given the patches installed on the moto release they were written for / Then S3's POST is among them
    assert moto_patches.installed() and moto_patches.moto_version() == moto_patches.SUPPORTED_MOTO
    assert "S3Response._bucket_response_post" in moto_patches.patch_names()
