"""The rating page the SMS names (`/r`, constant text: no link in an SMS variable) asks for the tracking
number and the 6-digit code, then shows the form (issue 17). Its refusals are stubbed in the browser, so
no runtime's counters are touched; the whole loop through it runs in test_clients.py."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from playwright.sync_api import Request, Route, expect

from tests.browser.conftest import Pages, Runtime
from tests.browser.test_track_refusals import answer

#: The unit's answer as tracking with the code gives it (issue 21: the caller rates what they read).
TRACKED: dict[str, Any] = {
    "tracking_no": "SZ2612-WUENY8",
    "status": "REPLIED",
    "category": "complaint",
    "topic": "traffic",
    "district": "futian",
    "created_at": "2026-12-01T01:00:00Z",
    "events": [],
    "replies": [
        {
            "round": 1,
            "text": "已清理占道车辆。",
            "at": "2026-12-02T01:00:00Z",
            "unit": "福田区交警大队",
            "attachments": [],
        }
    ],
}


def state(rateable: bool, seen: list[str]) -> Callable[[Route, Request], None]:
    def fulfil(route: Route, request: Request) -> None:
        seen.append(f"{request.method} {request.url}" + (f" {request.post_data}" if request.post_data else ""))
        if "/rating" not in request.url:
            route.fulfill(status=200, headers={"Content-Type": "application/json"}, body=json.dumps(TRACKED))
            return
        body: dict[str, Any] = {"status": "REPLIED" if rateable else "CLOSED", "round": 1, "rateable": rateable}
        if request.method == "POST":
            body = {"status": "CLOSED", "round": 1, "rateable": False}
        route.fulfill(status=200, headers={"Content-Type": "application/json"}, body=json.dumps(body))

    return fulfil


def test_the_rating_page_asks_for_number_and_code_then_rates_with_the_code(phone: Pages, runtime: Runtime) -> None:
    page = phone.new()
    seen: list[str] = []
    try:
        # Given the constant address from the SMS
        page.goto(f"{runtime.base_url}/r")
        # Then it asks for both numbers and offers no form yet
        expect(page.get_by_test_id("rate-no")).to_be_visible()
        expect(page.get_by_test_id("rate-code")).to_be_visible()
        expect(page.locator("input[type=radio]")).to_have_count(0)
        # When an unknown number or code is entered / Then it says to check the latest SMS
        page.route("**/v1/track/**", answer(404, "not_found"))
        page.get_by_test_id("rate-no").fill("sz2612-wueny8")
        page.get_by_test_id("rate-code").fill("123456")
        page.get_by_test_id("rate-next").click()
        expect(page.get_by_test_id("rating-code-unknown")).to_be_visible()
        # When the number's code is locked / Then it says when to try again
        page.unroute("**/v1/track/**")
        page.route("**/v1/track/**", answer(429, "too_many_attempts", {"Retry-After": "3600"}))
        page.get_by_test_id("rate-next").click()
        expect(page.get_by_test_id("rating-code-locked")).to_contain_text("60")
        # When the right pair is entered / Then the form appears for that number, and rates with the code
        page.unroute("**/v1/track/**")
        page.route("**/v1/track/**", state(True, seen))
        page.get_by_test_id("rate-next").click()
        expect(page.get_by_test_id("tracking-no")).to_have_text("SZ2612-WUENY8")
        # And above the form the caller reads the unit's answer, read with the same code
        expect(page.get_by_test_id("answer-text")).to_have_text("已清理占道车辆。")
        expect(page.get_by_test_id("answer")).to_contain_text("福田区交警大队")
        for dim in ("speed", "effectiveness", "experience", "feedback_quality"):
            page.get_by_test_id(f"rate-{dim}").locator("input[type=radio][value='4']").check()
        page.get_by_test_id("submit-rating").click()
        expect(page.get_by_test_id("rating-done")).to_be_visible()
        assert seen[0].startswith("GET ") and seen[0].endswith("/v1/track/SZ2612-WUENY8/rating?code=123456"), seen
        assert seen[1] == f"GET {runtime.base_url}/v1/track/SZ2612-WUENY8?t=123456", seen
        posted = json.loads(seen[2].split(" ", 2)[2])
        assert seen[2].startswith("POST ") and posted["code"] == "123456" and "token" not in posted, seen
    finally:
        page.close()
