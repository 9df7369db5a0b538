"""Hostile input through the real handlers: no input yields a 5xx, and nothing is half-written.

Each case here once produced a 502 naming a Python exception (issue 13): deep nesting
(RecursionError), a 5,000-digit integer (ValueError), a tiny float (decimal Underflow after part of
the submission was written), and strings or booleans coerced to numbers.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.local.gateway import LocalGateway
from minyi.adapters.aws import client
from tests.integration.conftest import Stack, citizen

REQUEST: dict[str, Any] = {
    "category": "complaint",
    "topic": "traffic",
    "district": "futian",
    "description": "Broken traffic light at Fuhua Road",
    "phone": "13812345678",
}


def raw_request(stack: Stack, method: str, path: str, claims: dict[str, str], raw: bytes) -> tuple[int, Any]:
    route, params = next((r, p) for r in stack.routes if (p := r.match(method, path)) is not None)
    headers = {"Content-Type": "application/json", "Accept-Language": "en"}
    event = LocalGateway._proxy_event(route, method, path, "", headers, raw, params, claims, "127.0.0.1")
    result = stack.lambdas.invoke(route.function, event)
    return result["statusCode"], json.loads(result["body"]) if result.get("body") else None


def table_items(stack: Stack) -> int:
    return int(client("dynamodb").scan(TableName=stack.resources["CasesTable"], Select="COUNT")["Count"])


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (b"[" * 1000 + b"]" * 1000, "nested deeper"),
        (b'{"category": "complaint", "x": ' + b"9" * 5000 + b"}", "more than 38 digits"),
        (b"{" + b" " * (70 * 1024) + b"}", "at most 64 KB"),
        (b"[" + json.dumps(REQUEST).encode() + b"]", "must be a JSON object"),
        (b'"a string"', "must be a JSON object"),
        (b"nope", "not valid JSON"),
        (b'{"category": "complaint",', "not valid JSON"),
    ],
    ids=["nested-1000-deep", "5000-digit-integer", "oversized", "a-list", "a-string", "not-json", "cut-short"],
)
def test_hostile_bodies_are_refused_with_a_4xx_naming_the_body(stack: Stack, raw: bytes, problem: str) -> None:
    # Given a citizen and the number of items in the table
    before = table_items(stack)
    # When they post a hostile body
    status, body = raw_request(stack, "POST", "/v1/requests", citizen(), raw)
    # Then the answer is a 4xx naming the body, and nothing was written
    assert status in (413, 422), body
    assert body["problems"][0]["field"] == "body" and problem in body["problems"][0]["problem"]
    assert table_items(stack) == before


@pytest.mark.parametrize("tiny", [1e-200, 1e-131, -1e-10])
def test_a_coordinate_too_close_to_zero_is_refused_and_nothing_is_written(stack: Stack, tiny: float) -> None:
    # Given a submission whose longitude DynamoDB could not store (or that is no real place)
    before = table_items(stack)
    # When it is submitted
    status, body = stack.request(
        "POST", "/v1/requests", citizen(), {**REQUEST, "location": {"lat": 22.54, "lon": tiny}}
    )
    # Then it is refused naming the field, and no tracking number or event was left behind
    assert status == 422, body
    assert body["problems"][0]["field"] == "location.lon"
    assert table_items(stack) == before


@pytest.mark.parametrize("size", ["100", True, 1.5])
def test_an_upload_size_must_be_a_json_integer(stack: Stack, size: Any) -> None:
    # When a citizen asks for an upload with a size that is not an integer
    status, body = stack.request("POST", "/v1/uploads", citizen(), {"content_type": "image/png", "size": size})
    # Then it is refused naming the field (no coercion of strings or booleans)
    assert status == 422, body
    assert body["problems"][0]["field"] == "size"
