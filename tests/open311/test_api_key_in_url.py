"""Open311 takes its api_key in the form-encoded body only (issue 20): a key in the URL ends up in
access logs, proxies and browser histories, so a query string carrying one is refused with a 400 in
GeoReport's error shape, naming api_key and never echoing the key, and nothing is filed or logged."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from minyi.adapters.aws import client
from minyi.observability import logger
from minyi.open311.params import KEY_IN_URL
from tests.integration.conftest import Stack
from tests.open311.conftest import GeoReport

FORM = {
    "service_code": "traffic",
    "attribute[category]": "complaint",
    "lat": "22.5431",
    "long": "114.0579",
    "description": "深南大道公交车道长期被违停车辆占用",
}


def items(stack: Stack) -> int:
    """How many cases exist (counters and caches that other tests' work writes meanwhile do not count)."""
    found = client("dynamodb").scan(
        TableName=stack.resources["CasesTable"],
        Select="COUNT",
        FilterExpression="#e = :case",
        ExpressionAttributeNames={"#e": "entity"},
        ExpressionAttributeValues={":case": {"S": "case"}},
    )
    return int(found["Count"])


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_a_key_in_the_query_string_of_a_post_is_400_naming_api_key_and_files_nothing(
    stack: Stack, geo: GeoReport, api_key: str, fmt: str, capfd: pytest.CaptureFixture[str]
) -> None:
    # Given a valid key, and the functions logging everything they log
    before = items(stack)
    logger.setLevel("DEBUG")
    try:
        # When a client sends it in the URL of a POST (with or without one in the body too)
        in_url = geo.post(f"requests.{fmt}?api_key={quote(api_key)}", FORM)
        in_both = geo.post(f"requests.{fmt}?api_key={quote(api_key)}", {**FORM, "api_key": api_key})
    finally:
        logger.setLevel("WARNING")
    # Then both are a 400 naming api_key, the key is in no answer and in no log line
    for answer in (in_url, in_both):
        assert answer.status == 400, answer.text
        assert answer.errors(fmt) == [(400, KEY_IN_URL)]
        assert api_key not in answer.text
    assert api_key not in capfd.readouterr().out
    assert items(stack) == before
    # And the same form with the key in the body is filed
    assert geo.post(f"requests.{fmt}", {**FORM, "api_key": api_key}).status == 200


@pytest.mark.parametrize("path", ["requests.json", "servicerequestupdates.json"])
def test_a_key_in_the_query_string_of_a_get_is_400_too(geo: GeoReport, api_key: str, path: str) -> None:
    # Given a client that puts its key in a GET's URL / When it reads / Then it is told to stop
    answer = geo.get(f"{path}?api_key={quote(api_key)}")
    assert answer.status == 400, answer.text
    assert answer.errors("json") == [(400, KEY_IN_URL)]
