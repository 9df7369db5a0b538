"""`minyi smoke`'s verdicts when a deployed stack answers wrongly (a fake web address; the passing run
is tests/e2e/test_ops_smoke.py against a local runtime)."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from typing import Any

from minyi.cli.checks import report
from minyi.cli.smoke import Smoke

WEB = "https://12345.sz.gov.cn"
CATALOG = {"categories": ["consultation"], "topics": {"traffic": {}}, "districts": {"futian": {}}, "deadline_days": {}}
TICKET = {"upload_id": "u1", "url": "https://minyi-attachments.s3.ap-east-1.amazonaws.com/", "fields": {"key": "k"}}
CASE = {"id": "c1", "tracking_no": "SZ2612-AAAAAA"}
VIEW = {**CASE, "attachments": [{"upload_id": "u1", "size": 3}]}


class FakeStack:
    """Answers by (method, URL without query); records every call."""

    def __init__(self, **overrides: tuple[int, Any]):
        self.answers: dict[str, tuple[int, Any]] = {
            f"GET {WEB}/v1/catalog": (200, CATALOG),
            f"POST {WEB}/v1/uploads": (201, TICKET),
            f"POST {TICKET['url']}": (204, b""),
            f"POST {WEB}/v1/requests": (201, CASE),
            f"GET {WEB}/v1/requests/c1": (200, VIEW),
            f"GET {WEB}/r/SZ2612-AAAAAA": (200, b"<html>"),
            f"GET {WEB}/v1/requests": (401, {"error": "unauthorized", "message": "m", "request_id": "r1"}),
            "GET 404": (404, {"error": "no_route", "message": "m", "request_id": "r2"}),
            f"POST {WEB}/v1/requests/c1/withdraw": (200, {**CASE, "status": "WITHDRAWN"}),
        }
        self.answers.update({k.replace("_", " ", 1): v for k, v in overrides.items()})
        self.calls: list[str] = []

    def __call__(
        self, method: str, url: str, body: bytes | None, headers: Mapping[str, str]
    ) -> tuple[int, Mapping[str, str], bytes]:
        key = f"{method} {url}"
        self.calls.append(key)
        status, answer = self.answers.get(key) or self.answers["GET 404"]
        raw = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
        kind = "text/html" if raw.startswith(b"<html") else "application/json"
        return status, {"Content-Type": kind}, raw


def _run(stack: FakeStack) -> tuple[int, list[str]]:
    out = io.StringIO()
    code = report(Smoke(WEB, "token", stack, rating_base=WEB).run(), out)
    return code, out.getvalue().splitlines()


def test_a_healthy_stack_passes_every_step() -> None:
    code, lines = _run(FakeStack())
    assert code == 0 and all(line.startswith("PASS") for line in lines), lines


def test_the_gateways_own_401_without_our_shape_fails_and_the_run_stops_there() -> None:
    # Given a gateway that answers a missing token with API Gateway's default body (no GatewayResponses)
    stack = FakeStack(**{f"GET_{WEB}/v1/requests": (401, {"message": "Unauthorized"})})
    # When smoke runs
    code, lines = _run(stack)
    # Then the no-token step fails, nothing after it runs but the withdrawal of its request
    assert code == 1
    assert [line.split(":", 1)[0] for line in lines][-2:] == ["FAIL no token", "PASS cleanup"]
    assert not any("no-such-route" in call for call in stack.calls)


def test_a_presigned_post_refused_by_s3_fails_naming_the_host() -> None:
    # Given S3 refusing the upload (the legacy global host for a bucket in ap-east-1, say)
    stack = FakeStack(**{f"POST_{TICKET['url']}": (400, b"<Error><Code>IllegalLocationConstraintException</Code>")})
    code, lines = _run(stack)
    # Then the upload fails with the host and S3's answer, and no request was filed
    assert code == 1
    assert lines[-1].startswith("FAIL upload: the presigned POST to minyi-attachments.s3.ap-east-1.amazonaws.com")
    assert "IllegalLocationConstraint" in lines[-1]
    assert f"POST {WEB}/v1/requests" not in stack.calls


def test_an_empty_catalogue_fails_first() -> None:
    empty = {"categories": [], "topics": {}, "districts": {}, "deadline_days": {}}
    code, lines = _run(FakeStack(**{f"GET_{WEB}/v1/catalog": (200, empty)}))
    assert code == 1 and len(lines) == 1 and lines[0].startswith("FAIL catalogue: empty")


def test_a_rating_base_on_another_host_fails() -> None:
    stack = FakeStack(**{"GET_https://other.example/r/SZ2612-AAAAAA": (200, b"<html>")})
    out = io.StringIO()
    code = report(Smoke(WEB, "token", stack, rating_base="https://other.example").run(), out)
    assert code == 1 and "FAIL rating address: RatingLinkBase https://other.example is not" in out.getvalue()
