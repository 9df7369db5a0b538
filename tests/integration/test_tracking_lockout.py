"""Public tracking cannot be brute-forced, and no stranger can lock the owner out of it.

Wrong guesses count per client address (the `X-Minyi-Viewer-Ip` CloudFront writes when the request came
through CloudFront, else API Gateway's source IP): 5 within 15 minutes lock that client out for 15
minutes, and nobody else. A number that collects 30 wrong guesses within the hour from anyone answers
last-4 alone with 403 `verification_required` for 15 minutes; the SMS code and the signed-in owner still
see it. Guesses are charged before they are checked, by conditional updates, so a burst of parallel
guesses gets no more checks than the budget. The real handlers and adapter, on moto.
"""

from __future__ import annotations

import contextlib
import json
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from infra.local.gateway import LocalGateway
from minyi.adapters.dynamo.lockouts import DynamoTrackingLockouts
from minyi.adapters.secrets import secret_bytes
from minyi.domain.rating_links import RatingLinks
from minyi.ports import GuessScope
from minyi.services.guess_budgets import TRACKING_CLIENT_BUDGET, TRACKING_NUMBER_BUDGET
from tests.integration.conftest import Stack, citizen

REQUEST: dict[str, Any] = {
    "category": "complaint",
    "topic": "traffic",
    "district": "futian",
    "description": "Broken traffic light at Fuhua Road",
    "phone": "13812345678",
}
STRANGER = "203.0.113.7"
OWNER = "198.51.100.20"


def track(
    stack: Stack, number: str, query: str, source_ip: str, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], Any]:
    """GET /v1/track/{number}?{query} as API Gateway hands it to the function, from `source_ip`."""
    route, params = next((r, p) for r in stack.routes if (p := r.match("GET", f"/v1/track/{number}")) is not None)
    event = LocalGateway._proxy_event(
        route, "GET", f"/v1/track/{number}", query, {"Accept-Language": "en", **(headers or {})}, b"", params, None,
        source_ip,
    )  # fmt: skip
    result = stack.lambdas.invoke(route.function, event)
    headers = dict(result.get("headers") or {})
    headers |= {k: ", ".join(v) for k, v in (result.get("multiValueHeaders") or {}).items()}
    return result["statusCode"], headers, json.loads(result["body"])


@contextlib.contextmanager
def busy_switching() -> Iterator[None]:
    """Threads switch every 10 µs instead of 5 ms, so parallel requests interleave between their calls
    to DynamoDB as they do at scale (with the default, each request mostly runs through alone)."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    try:
        yield
    finally:
        sys.setswitchinterval(before)


def submitted(stack: Stack) -> tuple[str, str]:
    owner = citizen()
    status, created = stack.request("POST", "/v1/requests", owner, REQUEST)
    assert status == 201, created
    return created["id"], created["tracking_no"]


def test_a_stranger_locks_out_only_themselves(stack: Stack) -> None:
    # Given a case whose number a stranger harvested
    _, number = submitted(stack)
    # When the stranger guesses wrong five times
    answers = [track(stack, number, f"phone_last4={n:04d}", STRANGER) for n in range(5)]
    # Then the first four are plain 404s and the fifth locks the stranger out with a 429 and Retry-After
    assert [a[0] for a in answers] == [404, 404, 404, 404, 429]
    assert answers[-1][2]["error"] == "too_many_attempts"
    assert 0 < int(answers[-1][1]["Retry-After"]) <= 15 * 60
    # And the stranger stays refused, even with the right digits
    assert track(stack, number, "phone_last4=5678", STRANGER)[0] == 429
    # But the owner, from their own address, tracks the case with the right digits
    status, _, body = track(stack, number, "phone_last4=5678", OWNER)
    assert status == 200, body
    assert body["tracking_no"] == number


def test_behind_cloudfront_each_viewer_counts_on_its_own(stack: Stack) -> None:
    # Given requests that all reach API Gateway from one CloudFront edge address
    _, number = submitted(stack)
    edge = "130.176.0.1"
    stranger = {"X-Minyi-Viewer-Ip": "203.0.113.99"}
    owner = {"X-Minyi-Viewer-Ip": "2001:db8::7"}
    # When one viewer guesses wrong five times
    answers = [track(stack, number, f"phone_last4={n:04d}", edge, stranger)[0] for n in range(5)]
    assert answers == [404, 404, 404, 404, 429]
    # Then another viewer behind the same edge still tracks with the right digits
    assert track(stack, number, "phone_last4=5678", edge, owner)[0] == 200
    # And so does the same edge with no viewer header (the source address counts: it guessed nothing)
    assert track(stack, number, "phone_last4=5678", edge)[0] == 200


def test_an_unknown_number_answers_like_wrong_digits(stack: Stack) -> None:
    # Given a tracking number that does not exist, probed by one client
    answers = [track(stack, "SZ0000-ZZZZZZ", "phone_last4=1234", "203.0.113.50") for _ in range(6)]
    # Then it answers exactly like wrong digits for a real number: 404 four times, then 429
    assert [a[0] for a in answers] == [404, 404, 404, 404, 429, 429]
    assert answers[0][2]["message"] == "no request with this tracking number and phone"


def test_right_digits_do_not_count(stack: Stack) -> None:
    # Given four wrong guesses from one client
    _, number = submitted(stack)
    for n in range(4):
        assert track(stack, number, f"phone_last4={n:04d}", "203.0.113.60")[0] == 404
    # When the same client tracks with the right digits several times
    answers = [track(stack, number, "phone_last4=5678", "203.0.113.60")[0] for _ in range(3)]
    # Then each answers 200: only failures count
    assert answers == [200, 200, 200]


def test_a_number_under_attack_asks_for_more_than_the_last_four_digits(stack: Stack) -> None:
    # Given a case whose number collects 30 wrong guesses within the hour, 3 from each of 10 addresses
    case_id, number = submitted(stack)
    owner_claims = {**citizen(), "sub": stack.repo.get_case(case_id).citizen_id}  # type: ignore[union-attr]
    statuses = [
        track(stack, number, f"phone_last4={n:04d}", f"192.0.2.{n // 3 + 1}")[0]
        for n in range(TRACKING_NUMBER_BUDGET.limit)
    ]
    assert statuses[:-1] == [404] * (TRACKING_NUMBER_BUDGET.limit - 1)
    # Then the last guess, and any last-4 after it, even the right digits from a fresh address, answer 403
    assert statuses[-1] == 403
    status, _, body = track(stack, number, "phone_last4=5678", OWNER)
    assert status == 403, body
    assert body["error"] == "verification_required"
    assert "SMS" in body["message"]
    # But the code from the SMS rating link still shows the case
    rate = stack.lambdas.environment("RateFunction")
    links = RatingLinks(secret_bytes(rate["RATING_LINK_SECRET_ARN"]), "http://x")
    status, _, body = track(stack, number, f"t={links.token(number, 1)}", OWNER)
    assert status == 200, body
    # And the signed-in owner sees it as ever
    assert stack.request("GET", f"/v1/requests/{case_id}", owner_claims)[0] == 200


def test_the_track_route_takes_exactly_one_proof(stack: Stack) -> None:
    _, number = submitted(stack)
    for query in ("", "phone_last4=5678&t=AAAAAAAAAA"):
        status, _, body = track(stack, number, query, "203.0.113.70")
        assert status == 422, body
        assert body["problems"][0]["field"] == "phone_last4"


def test_a_burst_of_forty_parallel_guesses_gets_at_most_five_checks(stack: Stack) -> None:
    # Given one client's counter, and 40 guesses charged to it at the same moment from 40 threads
    lockouts = DynamoTrackingLockouts(stack.table)
    now = datetime.now(UTC)
    start = threading.Barrier(40)
    allowed: list[bool] = []

    def guess() -> None:
        start.wait()
        allowed.append(lockouts.charge(GuessScope.CLIENT, "203.0.113.80", now, TRACKING_CLIENT_BUDGET).allowed)

    threads = [threading.Thread(target=guess) for _ in range(40)]
    with busy_switching():
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    # Then exactly the budget of them was let through to be checked
    assert allowed.count(True) == TRACKING_CLIENT_BUDGET.limit


def test_a_burst_of_forty_parallel_requests_checks_at_most_five(stack: Stack) -> None:
    # Given a case, and 40 simultaneous requests from one client, 39 wrong and 1 right
    _, number = submitted(stack)
    start = threading.Barrier(40)
    statuses: list[int] = []

    def request(n: int) -> None:
        start.wait()
        digits = "5678" if n == 39 else f"{n:04d}"
        statuses.append(track(stack, number, f"phone_last4={digits}", "203.0.113.90")[0])

    threads = [threading.Thread(target=request, args=(n,)) for n in range(40)]
    with busy_switching():
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    # Then at most five were checked (a 404, or the right one's 200, or the fifth wrong one's 429);
    # every other got the lockout's 429 without a check
    checked = [s for s in statuses if s != 429]
    assert len(statuses) == 40 and len(checked) <= TRACKING_CLIENT_BUDGET.limit
