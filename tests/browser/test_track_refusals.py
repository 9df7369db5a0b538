"""The /track page says what tracking's refusals mean, in the reader's language: this device guessed
wrong too often (try again in N minutes, from Retry-After), or the number was guessed at too often
(sign in, or use the code from the SMS). The API's answers are stubbed in the browser, so no runtime's
counters are touched (the browser runtime's other tests track from the same address)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from playwright.sync_api import Route, expect

from tests.browser.conftest import Pages, Runtime


def answer(status: int, error: str, headers: dict[str, str] | None = None) -> Callable[[Route], None]:
    def fulfil(route: Route) -> None:
        body = {"error": error, "message": error, "problems": []}
        route.fulfill(
            status=status, headers={"Content-Type": "application/json", **(headers or {})}, body=json.dumps(body)
        )

    return fulfil


@pytest.mark.parametrize(
    ("lang", "locked", "verify"),
    [
        ("zh", "请 10 分钟后再试", "请登录，或使用短信中的评价码"),
        ("en", "Try again in 10 minutes", "Sign in, or use the code from your SMS"),
    ],
)
def test_the_track_page_explains_a_lockout_and_a_number_under_attack(
    phone: Pages, runtime: Runtime, lang: str, locked: str, verify: str
) -> None:
    page = phone.new()
    page.goto(f"{runtime.base_url}/track")
    page.evaluate(f"localStorage.setItem('minyi.lang', '{lang}')")
    page.reload()
    page.wait_for_load_state("networkidle")  # the form is painted once the catalogue is in: fill that one
    try:
        # Given the API refuses this device for 600 s
        page.route("**/v1/track/**", answer(429, "too_many_attempts", {"Retry-After": "600"}))
        page.get_by_test_id("track-no").fill("SZ2611-ABCDEF")
        page.get_by_test_id("track-last4").fill("5678")
        page.get_by_test_id("track-submit").click()
        # Then the page says to try again in 10 minutes
        expect(page.get_by_test_id("track-locked")).to_contain_text(locked)
        # Given the number takes more than the last four digits for now
        page.unroute("**/v1/track/**")
        page.route("**/v1/track/**", answer(403, "verification_required"))
        page.get_by_test_id("track-submit").click()
        # Then the page asks to sign in or use the SMS code
        expect(page.get_by_test_id("track-verify")).to_contain_text(verify)
    finally:
        page.evaluate("localStorage.setItem('minyi.lang', 'zh')")
