"""Whose guesses public tracking counts: the client address, decided in one place (`api.http.client_address`).

Behind CloudFront, API Gateway sees CloudFront's edge as the source IP, so the viewer's own address
must come in `CloudFront-Viewer-Address`, which the API's cache behaviours forward to the API origin.
"""

from __future__ import annotations

from typing import Any

import pytest
from aws_lambda_powertools.event_handler import APIGatewayRestResolver

from infra.local.template import load_template
from minyi.api.http import client_address

#: Managed-AllViewerExceptHostHeader: every viewer header but Host, and CloudFront's own headers,
#: CloudFront-Viewer-Address among them (Managed-AllViewer would pass Host, which API Gateway refuses).
ALL_VIEWER_EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac"


def test_every_path_to_the_api_forwards_the_viewer_address() -> None:
    # Given the distribution's behaviours that reach the API origin, /v1/track/* among them
    config = load_template()["Resources"]["WebDistribution"]["Properties"]["DistributionConfig"]
    to_api = [b for b in config["CacheBehaviors"] if b["TargetOriginId"] == "api"]
    assert any(b["PathPattern"] in ("/v1/*", "/v1/track/*") for b in to_api)
    # Then each forwards CloudFront-Viewer-Address to the API
    for behaviour in to_api:
        assert behaviour["OriginRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST, behaviour["PathPattern"]


def address(headers: dict[str, str], source_ip: str | None = "130.176.0.1") -> str:
    app = APIGatewayRestResolver()
    event: dict[str, Any] = {
        "httpMethod": "GET",
        "path": "/v1/track/X",
        "headers": headers,
        "requestContext": {"identity": {"sourceIp": source_ip}},
    }
    app.current_event = app._to_proxy_event(event)
    return client_address(app)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("203.0.113.7:51234", "203.0.113.7"),
        ("2001:db8::7:443", "2001:db8::7"),
        ("[2001:db8::7]:443", "2001:db8::7"),
    ],
)
def test_the_viewer_address_from_cloudfront_is_the_client(header: str, expected: str) -> None:
    # Given a request through CloudFront (API Gateway's source IP is the edge) / Then the viewer is the client
    assert address({"CloudFront-Viewer-Address": header}) == expected
    assert address({"cloudfront-viewer-address": header}) == expected


@pytest.mark.parametrize(
    "headers", [{}, {"CloudFront-Viewer-Address": "not an address"}, {"CloudFront-Viewer-Address": ""}]
)
def test_without_a_usable_viewer_address_the_source_ip_is_the_client(headers: dict[str, str]) -> None:
    assert address(headers, "198.51.100.20") == "198.51.100.20"
    assert address(headers, None) == "unknown"
