"""Whose guesses public tracking counts: the client address, decided in one place (`api.http.client_address`).

Behind CloudFront, API Gateway sees CloudFront's edge as the source IP, so the viewer's own address
comes in `X-Minyi-Viewer-Ip`, which CloudFront's viewer-request function writes on every API route
(overwriting whatever the caller sent) and the API's cache behaviours forward to the API origin.
"""

from __future__ import annotations

from typing import Any

import pytest
from aws_lambda_powertools.event_handler import APIGatewayRestResolver

from infra.local.template import load_template
from minyi.api.http import client_address

#: Managed-AllViewerExceptHostHeader: every viewer header but Host, X-Minyi-Viewer-Ip as the viewer
#: function wrote it among them (Managed-AllViewer would pass Host, which API Gateway refuses).
ALL_VIEWER_EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac"


def test_every_path_to_the_api_forwards_the_viewer_address() -> None:
    # Given the distribution's behaviours that reach the API origin, /v1/track/* among them
    config = load_template()["Resources"]["WebDistribution"]["Properties"]["DistributionConfig"]
    to_api = [b for b in config["CacheBehaviors"] if b["TargetOriginId"] == "api"]
    assert any(b["PathPattern"] in ("/v1/*", "/v1/track/*") for b in to_api)
    # Then each writes the viewer's address on the way in and forwards it to the API
    for behaviour in to_api:
        assert behaviour["OriginRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST, behaviour["PathPattern"]
        functions = behaviour.get("FunctionAssociations", [])
        assert [f["EventType"] for f in functions] == ["viewer-request"], behaviour["PathPattern"]


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


@pytest.mark.parametrize(("header", "expected"), [("203.0.113.7", "203.0.113.7"), ("2001:db8::7", "2001:db8::7")])
def test_the_viewer_address_from_cloudfront_is_the_client(header: str, expected: str) -> None:
    # Given a request through CloudFront (API Gateway's source IP is the edge) / Then the viewer is the client
    assert address({"X-Minyi-Viewer-Ip": header}) == expected
    assert address({"x-minyi-viewer-ip": header}) == expected


@pytest.mark.parametrize(
    "headers",
    [{}, {"X-Minyi-Viewer-Ip": "not an address"}, {"X-Minyi-Viewer-Ip": ""}, {"X-Minyi-Viewer-Ip": "1.2.3.4:80"}],
)
def test_without_a_usable_viewer_address_the_source_ip_is_the_client(headers: dict[str, str]) -> None:
    assert address(headers, "198.51.100.20") == "198.51.100.20"
    assert address(headers, None) == "unknown"
