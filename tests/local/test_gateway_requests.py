"""What the local API Gateway hands a function, over real HTTP: path parameters URL-decoded as API
Gateway decodes them, the caller's address as `requestContext.identity.sourceIp` (a client bound to
127.0.0.2 is 127.0.0.2), and a listen backlog that holds a burst of connections."""

from __future__ import annotations

import http.client
import json
import socket
import struct
import threading
import types
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from infra.local.gateway import LocalGateway, TokenIssuer
from infra.local.template import Route


class RecordingLambdas:
    """Stands in for the in-process functions: keeps every event, answers 200 with its path parameters."""

    def __init__(self) -> None:
        route = Route("GET", "/v1/requests/{case_id}", "CasesFunction", public=True)
        self.specs = {"CasesFunction": types.SimpleNamespace(routes=[route])}
        self.events: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def invoke(self, function: str, event: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self.events.append(event)
        return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": json.dumps({})}


@pytest.fixture
def served() -> Iterator[tuple[LocalGateway, RecordingLambdas, int]]:
    lambdas = RecordingLambdas()
    gateway = LocalGateway(lambdas, TokenIssuer(), {})  # type: ignore[arg-type]
    port = gateway.serve("127.0.0.1", 0)
    yield gateway, lambdas, port
    gateway.stop()


def get(port: int, path: str, source: str = "127.0.0.1", headers: dict[str, str] | None = None) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(source, 0))
    try:
        conn.request("GET", path, headers=headers or {})
        resp = conn.getresponse()
        resp.read()
        return resp.status
    finally:
        conn.close()


def test_path_parameters_arrive_url_decoded(served: tuple[LocalGateway, RecordingLambdas, int]) -> None:
    _, lambdas, port = served
    # When a client asks for a case with its id percent-encoded (and one with an encoded space and slash)
    first = get(port, "/v1/requests/%35a%2Db")
    second = get(port, "/v1/requests/a%20b%2Fc")
    # Then the function sees the decoded id, as API Gateway hands it over, in its parameters and its path
    assert (first, second) == (200, 200)
    assert [e["pathParameters"] for e in lambdas.events] == [{"case_id": "5a-b"}, {"case_id": "a b/c"}]
    assert lambdas.events[0]["path"] == "/v1/requests/5a-b"
    assert lambdas.events[0]["resource"] == "/v1/requests/{case_id}"


@pytest.mark.parametrize("source", ["127.0.0.2", "127.0.0.3"])
def test_the_source_ip_is_the_connections_peer_address(
    served: tuple[LocalGateway, RecordingLambdas, int], source: str
) -> None:
    _, lambdas, port = served
    # When a client bound to its own loopback address calls, claiming another address in X-Forwarded-For
    assert get(port, "/v1/requests/c-1", source=source, headers={"X-Forwarded-For": "10.9.9.9"}) == 200
    # Then the function sees the connection's address, and API Gateway's X-Forwarded-For ends with it
    event = lambdas.events[-1]
    assert event["requestContext"]["identity"]["sourceIp"] == source
    assert event["headers"]["X-Forwarded-For"] == f"10.9.9.9, {source}"


def test_a_call_without_x_forwarded_for_gets_one_naming_the_caller(
    served: tuple[LocalGateway, RecordingLambdas, int],
) -> None:
    _, lambdas, port = served
    assert get(port, "/v1/requests/c-1", source="127.0.0.2") == 200
    assert lambdas.events[-1]["multiValueHeaders"]["X-Forwarded-For"] == ["127.0.0.2"]


def max_backlog(listener: socket.socket) -> int:
    """The kernel's accept-queue limit of a listening socket (Linux: TCP_INFO's tcpi_sacked)."""
    info = listener.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
    return int(struct.unpack_from("I", info, 28)[0])


@pytest.mark.skipif(not hasattr(socket, "TCP_INFO"), reason="TCP_INFO is Linux's")
@pytest.mark.parametrize("own_listener", [False, True], ids=["make run's port", "a listener bound up front"])
def test_the_listen_backlog_holds_at_least_128_connections(own_listener: bool) -> None:
    # Given the gateway serving on its own port, or on a socket the runtime bound first (port 0)
    gateway = LocalGateway(RecordingLambdas(), TokenIssuer(), {})  # type: ignore[arg-type]
    listener = socket.create_server(("127.0.0.1", 0), backlog=5) if own_listener else None
    gateway.serve("127.0.0.1", 0, listener=listener)
    try:
        # Then the kernel queues at least 128 connections before it turns any away
        assert gateway._server is not None
        assert max_backlog(gateway._server.socket) >= min(128, somaxconn())
    finally:
        gateway.stop()


def somaxconn() -> int:
    try:
        with open("/proc/sys/net/core/somaxconn") as f:
            return int(f.read())
    except OSError:
        return 128


def test_a_burst_of_200_connections_is_answered_without_a_reset(
    served: tuple[LocalGateway, RecordingLambdas, int],
) -> None:
    _, lambdas, port = served
    start = threading.Barrier(200)

    def one(i: int) -> int | str:
        start.wait()
        try:
            return get(port, f"/v1/requests/c-{i}")
        except OSError as exc:  # ConnectionResetError, refused ...
            return type(exc).__name__

    # When 200 clients connect at the same moment
    with ThreadPoolExecutor(max_workers=200) as pool:
        answers = list(pool.map(one, range(200)))
    # Then every one is answered
    assert answers == [200] * 200
    assert len(lambdas.events) == 200
