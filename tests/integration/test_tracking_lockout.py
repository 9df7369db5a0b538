"""Public tracking cannot be brute-forced: a tracking number locks after 5 wrong guesses in 15 minutes.

The lockout is per tracking number (whatever the caller's address), stored with a TTL, and an
unknown number answers exactly like wrong digits, so neither can be told apart by probing.
"""

from __future__ import annotations

from typing import Any

from tests.integration.conftest import Stack, citizen

REQUEST: dict[str, Any] = {
    "category": "complaint",
    "topic": "traffic",
    "district": "futian",
    "description": "Broken traffic light at Fuhua Road",
    "phone": "13812345678",
}


def track(stack: Stack, tracking_no: str, last4: str) -> tuple[int, Any]:
    return stack.request("GET", f"/v1/track/{tracking_no}?phone_last4={last4}", None, headers={"Accept-Language": "en"})


def test_six_wrong_guesses_lock_the_number_even_for_the_right_digits(stack: Stack) -> None:
    # Given a submitted case, tracked by its number and the last four digits 5678
    status, created = stack.request("POST", "/v1/requests", citizen(), REQUEST)
    assert status == 201, created
    number = created["tracking_no"]
    assert track(stack, number, "5678")[0] == 200
    # When someone guesses wrong five times
    answers = [track(stack, number, f"{n:04d}") for n in range(5)]
    # Then the first four are plain 404s and the fifth locks the number with a 429 and Retry-After
    assert [a[0] for a in answers] == [404, 404, 404, 404, 429]
    # And the sixth guess, even with the right digits, is refused while the lock holds
    status, body = track(stack, number, "5678")
    assert status == 429, body
    assert body["error"] == "too_many_attempts"


def test_an_unknown_number_answers_like_wrong_digits_and_locks_the_same_way(stack: Stack) -> None:
    # Given a tracking number that does not exist
    number = "SZ0000-ZZZZZZ"
    # When it is probed six times
    answers = [track(stack, number, "1234") for _ in range(6)]
    # Then it answers exactly like wrong digits for a real number: 404 four times, then 429
    assert [a[0] for a in answers] == [404, 404, 404, 404, 429, 429]
    assert answers[0][1]["message"] == "no request with this tracking number and phone"


def test_right_digits_do_not_count_towards_the_lockout(stack: Stack) -> None:
    # Given a case, and four wrong guesses
    _, created = stack.request("POST", "/v1/requests", citizen(), REQUEST)
    number = created["tracking_no"]
    for n in range(4):
        assert track(stack, number, f"{n:04d}")[0] == 404
    # When the owner tracks it with the right digits several times
    answers = [track(stack, number, "5678")[0] for _ in range(3)]
    # Then each answers 200: only failures count
    assert answers == [200, 200, 200]
