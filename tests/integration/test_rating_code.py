"""Rating by tracking number and the SMS's 6-digit code, over the deployed handlers on moto (issue 17):
the rating SMS names a constant address (no link in a template variable), so a hotline caller without
an account rates with the two numbers; wrong codes lock the number as wrong digits lock tracking."""

from __future__ import annotations

from minyi.adapters.secrets import secret_bytes
from minyi.domain.rating_links import RatingLinks
from tests.integration.conftest import Stack, staff
from tests.integration.test_loop_for_people import OPERATOR, REQUEST, SCORES, parked


def answered_hotline_case(stack: Stack) -> tuple[str, str, str]:
    """A caller's case the unit answered: (case id, tracking number, the code its rating SMS carries)."""
    status, created = stack.request("POST", "/v1/requests", OPERATOR, {**REQUEST, "channel": "hotline"})
    assert status == 201, created
    case_id, number = created["id"], created["tracking_no"]
    parked(stack, case_id)
    unit = staff()
    stack.request("POST", f"/v1/cases/{case_id}/accept", unit)
    stack.request("POST", f"/v1/cases/{case_id}/reply", unit, {"message": "Fixed."})
    case = parked(stack, case_id, "rating")
    links = RatingLinks(secret_bytes(stack.resources["RatingLinkSecret"]), "https://x.test")
    return case_id, number, links.code(number, case.round)


def viewer(ip: str) -> dict[str, str]:
    return {"CloudFront-Viewer-Address": f"{ip}:443"}


def test_a_caller_rates_with_the_tracking_number_and_the_sms_code(stack: Stack) -> None:
    # Given an answered hotline case and the code of its rating SMS
    case_id, number, code = answered_hotline_case(stack)
    # When the caller enters both numbers on the rating page
    status, state = stack.request("GET", f"/v1/track/{number}/rating?code={code}", None, headers=viewer("192.0.2.11"))
    # Then the page learns the answer waits for a rating: its status, round and rateable, nothing more
    assert status == 200, state
    assert state == {"status": "REPLIED", "round": 1, "rateable": True}
    # And public tracking takes the same code as proof
    status, tracked = stack.request("GET", f"/v1/track/{number}?t={code}", None, headers=viewer("192.0.2.11"))
    assert status == 200 and tracked["tracking_no"] == number, tracked
    # When the caller rates with the code
    body = {**SCORES, "code": code}
    status, view = stack.request("POST", f"/v1/track/{number}/rating", None, body, headers=viewer("192.0.2.11"))
    # Then the case closes, and the same code a second time is a conflict
    assert status == 200, view
    assert view == {"status": "CLOSED", "round": 1, "rateable": False}
    assert stack.request("POST", f"/v1/track/{number}/rating", None, body, headers=viewer("192.0.2.11"))[0] == 409
    assert stack.status(case_id) == "CLOSED"


def test_a_rating_needs_exactly_one_proof_named_in_the_answer(stack: Stack) -> None:
    # Given an answered case
    _, number, code = answered_hotline_case(stack)
    # When the rating names no proof, or both a code and a token, or a code that is not 6 digits
    neither = stack.request("POST", f"/v1/track/{number}/rating", None, SCORES, headers=viewer("192.0.2.12"))
    both = stack.request(
        "POST", f"/v1/track/{number}/rating", None, {**SCORES, "code": code, "token": "x"}, headers=viewer("192.0.2.12")
    )
    short = stack.request(
        "POST", f"/v1/track/{number}/rating", None, {**SCORES, "code": "12345"}, headers=viewer("192.0.2.12")
    )
    # Then each is refused naming the code field, and nothing is rated
    for status, body in (neither, both, short):
        assert status in {400, 422}, body
        assert "code" in str(body), body
    assert stack.request("GET", f"/v1/track/{number}/rating?code={code}", None)[1]["rateable"] is True


def test_five_wrong_codes_lock_the_number_whoever_guesses(stack: Stack) -> None:
    # Given an answered case
    _, number, code = answered_hotline_case(stack)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    # When five clients each guess one wrong code
    for n in range(5):
        status, _ = stack.request(
            "GET", f"/v1/track/{number}/rating?code={wrong}", None, headers=viewer(f"198.51.100.{60 + n}")
        )
        assert status in {404, 429}
    # Then the number's code is locked: even the right code from a fresh client is refused for a while
    status, body = stack.request(
        "POST", f"/v1/track/{number}/rating", None, {**SCORES, "code": code}, headers=viewer("198.51.100.99")
    )
    assert status == 429, body
    assert body["error"] == "too_many_attempts"
    # And tracking by the code is locked too (the same secret is being guessed)
    assert stack.request("GET", f"/v1/track/{number}?t={code}", None, headers=viewer("198.51.100.98"))[0] == 429
