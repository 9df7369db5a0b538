"""Uploads and evidence links on the bucket's regional host, the CSP that lets the web clients reach it,
and a refused HeadObject read as "not uploaded" (issue 17: where AWS is stricter than moto).

Presigning is local to botocore (no request leaves), so these tests need no moto: they run the adapter's
own client with no endpoint override, as a function in AWS does. HeadObject answers come from
`botocore.stub.Stubber` on that same client.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from botocore.stub import Stubber

from infra.local import static
from infra.local.template import load_template
from minyi.adapters.aws import client, reset_clients
from minyi.adapters.storage import S3AttachmentStore

ROOT = Path(__file__).resolve().parents[2]
BUCKET = "minyi-prod-attachmentsbucket-1a2b3c4d5e6f"
KEY = "uploads/u-1"


def _samconfig_regions() -> set[str]:
    """Every `region` of samconfig.toml's `[<env>.<command>.parameters]` tables."""
    config = tomllib.loads((ROOT / "samconfig.toml").read_text(encoding="utf-8"))
    commands = [cmd for env in config.values() if isinstance(env, dict) for cmd in env.values()]
    return {cmd["parameters"]["region"] for cmd in commands if "region" in cmd.get("parameters", {})}


#: the regions the tests hold to: the deploy targets in samconfig.toml, the first regions of both partitions,
#: us-east-1 (whose default is the global host too) and a region launched before 2019
REGIONS = sorted({"ap-east-1", "us-east-1", "eu-west-1", "cn-north-1", "cn-northwest-1"} | _samconfig_regions())


def _suffix(region: str) -> str:
    """AWS::URLSuffix of the region's partition."""
    return "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"


@pytest.fixture
def in_region(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The adapter's clients as a function in `region` builds them: credentials, no endpoint override."""

    def use(region: str) -> None:
        for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_S3_US_EAST_1_REGIONAL_ENDPOINT", "AWS_PROFILE"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
        monkeypatch.setenv("AWS_REGION", region)
        monkeypatch.setenv("AWS_DEFAULT_REGION", region)
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        reset_clients()

    yield use
    reset_clients()


def _presigned_hosts(store: S3AttachmentStore) -> tuple[str, str]:
    post = store.presign_upload(KEY, "image/jpeg", 10_000_000, 600)["url"]
    get = store.download_url(KEY, 300, "image/jpeg", "u-1.jpg")
    return urlsplit(post).netloc, urlsplit(get).netloc


@pytest.mark.parametrize("region", REGIONS)
def test_uploads_and_links_are_on_the_buckets_regional_host(in_region: Any, region: str) -> None:
    # Given a function in the region, with no endpoint override (as in AWS)
    in_region(region)
    # When it presigns an upload and an evidence link
    post_host, get_host = _presigned_hosts(S3AttachmentStore(BUCKET))
    # Then both are on the bucket's regional virtual host, never the legacy global s3.amazonaws.com
    regional = f"{BUCKET}.s3.{region}.{_suffix(region)}"
    assert (post_host, get_host) == (regional, regional)


def test_the_deploy_regions_are_among_those_tested() -> None:
    assert _samconfig_regions() and _samconfig_regions() <= set(REGIONS)


def test_on_a_local_ip_endpoint_uploads_stay_on_that_endpoint(in_region: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given the local runtime's S3 endpoint on an IP address (infra/local/aws.py sets AWS_ENDPOINT_URL_S3)
    in_region("ap-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:4566")
    # When the adapter presigns
    post = S3AttachmentStore(BUCKET).presign_upload(KEY, "image/jpeg", 1000, 600)["url"]
    get = S3AttachmentStore(BUCKET).download_url(KEY, 300, "image/jpeg", "u-1.jpg")
    # Then botocore addresses the bucket by path on that endpoint (a phone can reach it)
    assert post.rstrip("/") == f"http://127.0.0.1:4566/{BUCKET}"
    assert get.startswith(f"http://127.0.0.1:4566/{BUCKET}/{KEY}?")


# --- the CSP names exactly the hosts the functions presign on ------------------------------------------------

S3_DIRECTIVES = ("img-src", "media-src", "connect-src")


def _deployed_csp(region: str) -> dict[str, list[str]]:
    """WebHeadersPolicy's Content-Security-Policy as CloudFormation renders it in `region`."""
    policy = load_template()["Resources"]["WebHeadersPolicy"]["Properties"]["ResponseHeadersPolicyConfig"]
    text = policy["SecurityHeadersConfig"]["ContentSecurityPolicy"]["ContentSecurityPolicy"]["Fn::Sub"]
    values = {"AWS::Region": region, "AWS::URLSuffix": _suffix(region), "AttachmentsBucket": BUCKET}
    rendered = re.sub(r"\$\{([^}]+)\}", lambda m: values.get(m.group(1), m.group(0)), text)
    return _directives(rendered)


def _directives(policy: str) -> dict[str, list[str]]:
    return {words[0]: words[1:] for part in policy.split(";") if (words := part.split())}


def _s3_sources(sources: list[str]) -> set[str]:
    return {s for s in sources if ".s3." in s or "s3.amazonaws" in s or "127.0.0.1" in s}


@pytest.mark.parametrize("region", REGIONS)
def test_the_csp_names_exactly_the_presigned_hosts(in_region: Any, region: str) -> None:
    # Given the hosts a function in the region presigns uploads and links on
    in_region(region)
    hosts = {f"https://{host}" for host in _presigned_hosts(S3AttachmentStore(BUCKET))}
    # When CloudFront sends the template's CSP in that region
    csp = _deployed_csp(region)
    # Then images, media and uploads may reach exactly those hosts: no wildcard, no global host
    for directive in S3_DIRECTIVES:
        assert _s3_sources(csp[directive]) == hosts, directive
        assert not any("*" in source for source in csp[directive]), directive


def test_the_local_csp_names_the_local_presigned_host(in_region: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given the local runtime's S3 endpoint
    in_region("ap-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:4566")
    post = urlsplit(S3AttachmentStore(BUCKET).presign_upload(KEY, "image/jpeg", 1000, 600)["url"])
    # When the local static server sends its CSP, then it names that origin for the same directives
    csp = _directives(static.security_headers()["Content-Security-Policy"])
    for directive in S3_DIRECTIVES:
        assert _s3_sources(csp[directive]) == {f"{post.scheme}://{post.netloc}"}, directive


# --- a refused HeadObject is "not uploaded" --------------------------------------------------------------


@pytest.mark.parametrize(
    "status, code",
    [(404, "404"), (404, "NoSuchKey"), (403, "403"), (403, "AccessDenied"), (403, "Forbidden")],
)
def test_a_missing_or_refused_head_object_is_not_uploaded(in_region: Any, status: int, code: str) -> None:
    # Given S3 answering HeadObject with 404, or with 403 as it does for a missing key without s3:ListBucket
    in_region("ap-east-1")
    with Stubber(client("s3")) as s3:
        s3.add_client_error("head_object", service_error_code=code, http_status_code=status)
        # When the adapter asks what was uploaded under the key
        stored = S3AttachmentStore(BUCKET).stored_object(KEY)
        # Then nothing was uploaded (the caller answers "not uploaded", not a 500)
        assert stored is None
        s3.assert_no_pending_responses()


@pytest.mark.parametrize("status, code", [(500, "InternalError"), (503, "SlowDown"), (400, "InvalidBucketName")])
def test_other_head_object_errors_still_raise(in_region: Any, status: int, code: str) -> None:
    # Given S3 failing HeadObject for another reason
    in_region("ap-east-1")
    s3_client = client("s3")
    with Stubber(s3_client) as s3:
        s3.add_client_error("head_object", service_error_code=code, http_status_code=status)
        # When / Then the error reaches the caller
        with pytest.raises(s3_client.exceptions.ClientError):
            S3AttachmentStore(BUCKET).stored_object(KEY)


def test_an_uploaded_object_is_its_size_and_type(in_region: Any) -> None:
    in_region("ap-east-1")
    with Stubber(client("s3")) as s3:
        head = {"ContentLength": 1234, "ContentType": "image/png"}
        s3.add_response("head_object", head, {"Bucket": BUCKET, "Key": KEY})
        assert S3AttachmentStore(BUCKET).stored_object(KEY) == (1234, "image/png")
