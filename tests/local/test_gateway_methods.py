"""The local API Gateway over HTTP: a method no route has (OPTIONS, HEAD, TRACE, QUERY, PROPFIND, a
lowercase one, or a wrong one for the path) gets the API's JSON error, 404 no_route with a request id,
as API Gateway's MISSING_AUTHENTICATION_TOKEN gateway response gives it in AWS, not the HTTP server's
501 page; HEAD gets no body."""

from __future__ import annotations

import http.client
import json
import types
from collections.abc import Iterator

import pytest

from infra.local.gateway import LocalGateway, TokenIssuer
from infra.local.template import Route


@pytest.fixture
def gateway() -> Iterator[int]:
    spec = types.SimpleNamespace(routes=[Route("GET", "/v1/catalog", "SubmitFunction", public=True)])
    local = LocalGateway(types.SimpleNamespace(specs={"SubmitFunction": spec}), TokenIssuer(), {})  # type: ignore[arg-type]
    port = local.serve("127.0.0.1", 0)
    yield port
    local.stop()


def ask(port: int, method: str, path: str) -> tuple[int, str, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path)
        resp = conn.getresponse()
        return resp.status, resp.getheader("Content-Type") or "", resp.read()
    finally:
        conn.close()


@pytest.mark.parametrize("method", ["OPTIONS", "TRACE", "DELETE", "QUERY", "PROPFIND", "MKCOL", "get", "Post"])
def test_a_method_without_a_route_gets_the_apis_json_error(gateway: int, method: str) -> None:
    # When a client sends a method no route has, to a path that exists and to one that does not
    on_route = ask(gateway, method, "/v1/catalog")
    nowhere = ask(gateway, method, "/v1/nothing-here")
    # Then both answer as API Gateway does (it cannot tell the two apart), in the API's error shape
    for status, content_type, body in (on_route, nowhere):
        error = json.loads(body)
        assert (status, content_type, error["error"]) == (404, "application/json", "no_route")
        assert error["request_id"]


def test_head_answers_with_a_head_and_no_body(gateway: int) -> None:
    # When a client asks HEAD of an unknown path / Then it gets the status and headers, and no body
    status, content_type, body = ask(gateway, "HEAD", "/v1/nothing-here")
    assert (status, content_type, body) == (404, "application/json", b"")


@pytest.mark.parametrize("path", ["/" + "a" * 300, "/v1/catalog/" + "b" * 5000])
def test_a_path_too_long_for_a_file_name_is_no_route_not_a_502(gateway: int, path: str) -> None:
    # When a client asks for a path whose last part is longer than a file name may be
    status, content_type, body = ask(gateway, "GET", path)
    # Then it is an unknown route, in the API's error shape, naming no exception
    assert (status, content_type, json.loads(body)["error"]) == (404, "application/json", "no_route")
    assert b"Error" not in body
