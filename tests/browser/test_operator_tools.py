"""Operators' and units' tools in the console (issue 21, p3), driven in Chromium against the local runtime.

- 直接办结: an operator types the caller's consultation, the knowledge panel finds the entry as they
  type, its answer fills the form, and the call is filed CLOSED at once; the caller is texted the answer
  with a rating code.
- The unit's reply form: a reply template fills the answer.
- 回访: the replied hotline case is on the operators' callback list with the caller's number and the
  unit's answer; the operator records the caller's four scores and the case closes rated.
Every page passes an axe-core scan and is photographed (docs/screenshots/ with UPDATE_DOCS_SCREENSHOTS=1).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Pages, Runtime, check_page
from tests.browser.test_clients import console_sign_in, open_case_in_console

pytestmark = pytest.mark.browser

UNIT = "futian-traffic-police"


@pytest.fixture(scope="module")
def desk_page(desk: Pages) -> Page:
    return desk.new()


def test_operator_answers_a_consultation_on_the_call_from_the_knowledge_base(desk_page: Page, runtime: Runtime) -> None:
    page = desk_page
    # Given an operator on the new-call form
    console_sign_in(page, runtime.base_url, "operator")
    expect(page.get_by_test_id("new-call")).to_be_visible()
    page.get_by_test_id("call-phone").fill("13700001111")
    page.get_by_test_id("call-topic").select_option("social_security")
    page.get_by_test_id("call-district").select_option("futian")
    # When they type the caller's question
    page.get_by_test_id("call-description").fill("来电人想知道怎么查询社保缴费记录")
    # Then the knowledge panel finds the entry (searched as they type, best first)
    first = page.get_by_test_id("kb-entry").first
    expect(first).to_have_attribute("data-id", "shebao-query")
    # When they use its answer
    first.get_by_test_id("kb-use").click()
    # Then the form becomes a consultation answered on the call, with the entry's answer
    expect(page.get_by_test_id("call-category")).to_have_value("consultation")
    expect(page.get_by_test_id("call-direct")).to_be_checked()
    expect(page.get_by_test_id("call-answer")).to_have_value(containing("i深圳"))
    check_page(page, "console-knowledge-answer", full_page=True)
    # When the call is filed
    page.get_by_test_id("call-submit").click()
    # Then the receipt says the case is closed at once
    receipt = page.get_by_test_id("call-receipt")
    expect(receipt).to_have_attribute("data-status", "CLOSED")
    expect(page.get_by_test_id("receipt-status")).to_have_text("已办结")
    check_page(page, "console-direct-answer")
    # And the caller is texted the answer with a rating code
    tracking_no = page.get_by_test_id("tracking-no").inner_text().strip()
    body = runtime.wait_for(
        lambda: [b for b in all_citizen_sms(runtime) if tracking_no in b and "答复" in b], what="the answer's SMS"
    )[0]
    assert "12333" in body and "评价码" in body, body


def containing(text: str) -> Any:
    return re.compile(f".*{re.escape(text)}.*", re.S)


def all_citizen_sms(runtime: Runtime) -> list[str]:
    messages = runtime.http.get(f"{runtime.base_url}/local/sms", timeout=10).json()["messages"]
    return [m["body"] for m in messages if m["kind"] == "citizen"]


def test_unit_replies_from_a_template_and_operator_records_the_callback(desk_page: Page, runtime: Runtime) -> None:
    page = desk_page
    # Given a hotline complaint an operator filed, routed to the unit
    operator = runtime.token(sub="operator-callbacks", role="operator")
    created = runtime.call(
        "POST",
        "/v1/requests",
        operator,
        json={
            "category": "complaint",
            "topic": "traffic",
            "district": "futian",
            "channel": "hotline",
            "phone": "13700002222",
            "description": "福华路每天傍晚有车辆占用人行道停车，行人只能走机动车道。",
        },
    )
    assert created.status_code == 201, created.text
    case = created.json()
    staff = runtime.token(sub=f"staff-{UNIT}", role="staff", unit=UNIT)

    def routed() -> bool:
        items = runtime.call("GET", f"/v1/units/{UNIT}/cases", staff).json()["items"]
        return any(c["id"] == case["id"] for c in items)

    runtime.wait_for(routed, what="the case in the unit's inbox")
    # When the unit accepts it and picks a reply template
    console_sign_in(page, runtime.base_url, "staff", UNIT)
    open_case_in_console(page, case["tracking_no"])
    page.get_by_test_id("action-accept").click()
    expect(page.get_by_test_id("case-detail")).to_have_attribute("data-status", "IN_PROGRESS")
    picker = page.get_by_test_id("reply-template")
    expect(picker.locator("option[value='traffic-enforced']")).to_have_count(1)
    expect(picker.locator("option[value='noise-handled']")).to_have_count(0)  # another topic's template
    picker.select_option("traffic-enforced")
    # Then the template fills the answer, which the officer completes
    message = page.get_by_test_id("reply-message")
    expect(message).to_have_value(containing("违法停车问题"))
    message.fill(message.input_value().replace("[路段]", "福华路").replace("[时段]", "每日17时至20时"))
    check_page(page, "console-reply-template", full_page=True)
    page.get_by_test_id("action-reply").click()
    expect(page.get_by_test_id("case-detail")).to_have_attribute("data-status", "REPLIED")

    # Given the operator's 回访 list
    console_sign_in(page, runtime.base_url, "operator")
    page.get_by_role("link", name="回访").click()
    row = page.get_by_test_id("callback-row").filter(has_text=case["tracking_no"])
    # Then the case is on it with the caller's full number to dial and the unit's answer
    expect(row).to_have_count(1)
    expect(row.get_by_test_id("callback-phone")).to_have_attribute("href", "tel:+8613700002222")
    expect(row.get_by_test_id("callback-reply")).to_contain_text("福华路")
    expect(row.get_by_test_id("unreachable-days")).to_have_text("0 / 3")
    # When the caller gives the four scores on the call
    for dim in ("speed", "effectiveness", "experience", "feedback_quality"):
        row.get_by_test_id(f"callback-{dim}").select_option("5")
    row.get_by_test_id("callback-comment").fill("来电人表示人行道已清理")
    check_page(page, "console-callbacks", full_page=True)
    row.get_by_test_id("callback-submit").click()
    # Then the call is recorded as their rating and the case closes satisfied
    expect(page.get_by_test_id("callback-notice")).to_contain_text("已办结")
    expect(page.get_by_test_id("callback-row").filter(has_text=case["tracking_no"])).to_have_count(0)
    detail = runtime.call("GET", f"/v1/cases/{case['id']}", staff).json()
    assert detail["status"] == "CLOSED", detail
    assert detail["ratings"][-1]["channel"] == "callback", detail["ratings"]
