"""An unexpected failure answers 500 with a request id the logs carry, and never names the exception.

Its own module: it deletes the table, so it needs a stack of its own."""

from __future__ import annotations

import json

from minyi.adapters.aws import client
from tests.integration.conftest import Stack, citizen


def test_an_unexpected_failure_answers_500_with_a_request_id_and_no_exception_name(fresh_stack: Stack) -> None:
    stack = fresh_stack
    # Given the table is gone (a real AWS error the code does not expect)
    client("dynamodb").delete_table(TableName=stack.resources["CasesTable"])
    # When a citizen lists their requests
    status, body = stack.request("GET", "/v1/requests", citizen())
    # Then the answer is a 500 that names no exception but carries the request id
    assert status == 500, body
    assert body["error"] == "internal_error" and body["request_id"] not in ("", "unknown")
    assert body["request_id"] in body["message"]
    text = json.dumps(body)
    assert "ResourceNotFound" not in text and "Exception" not in text and "Traceback" not in text
