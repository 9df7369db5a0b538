"""Units organise their work in the console (issue 21, part 4), one story in order: an operator's urgent
call comes first in the Futian brigade's inbox with its 紧急 badge; the unit gives it to one of its people
(the picker lists the unit's accounts) and asks the Luohu brigade to help (协办) in a dialog; the person
signs in and finds it under "assigned to me"; Luohu finds it in its inbox marked 协办 and adds a note.
Every page passes axe and is photographed (docs/screenshots/ with UPDATE_DOCS_SCREENSHOTS=1)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Pages, Runtime, check_page
from tests.browser.test_clients import console_sign_in, open_case_in_console

pytestmark = pytest.mark.browser

UNIT = "futian-traffic-police"
HELPER = "luohu-traffic-police"
PERSON_PHONE = "13911130001"

story: dict[str, Any] = {}


@pytest.fixture(scope="module")
def desk_page(desk: Pages) -> Page:
    return desk.new()


def test_urgent_first_then_assignee_then_assist(desk_page: Page, runtime: Runtime) -> None:
    page = desk_page
    # Given Wang, a staff account of the Futian brigade an admin created
    admin = runtime.token(sub="admin-p4", role="admin")
    body = {"phone": PERSON_PHONE, "name": "王警官", "role": "staff", "unit_id": UNIT}
    created = runtime.call("POST", "/v1/admin/staff", admin, json=body)
    assert created.status_code == 201, created.text
    story["person"] = created.json()["username"]
    # and a normal complaint with the brigade, then an operator's urgent call
    citizen = runtime.token(sub="citizen-p4", role="citizen", phone="+8613812340001")
    request = {"category": "complaint", "topic": "traffic", "district": "futian", "description": "路边违停"}
    normal = runtime.call("POST", "/v1/requests", citizen, json=request).json()
    operator = runtime.token(sub="operator-p4", role="operator")
    call = {**request, "category": "help", "description": "请马上派人来，路口信号灯全灭", "phone": "13812340002"}
    urgent = runtime.call("POST", "/v1/requests", operator, json={**call, "channel": "hotline", "urgent": True})
    assert urgent.status_code == 201, urgent.text
    story["tracking_no"] = urgent.json()["tracking_no"]
    unit_token = runtime.token(sub="staff-p4", role="staff", unit=UNIT)

    def routed() -> bool:
        items = runtime.call("GET", f"/v1/units/{UNIT}/cases?limit=100", unit_token).json()["items"]
        return {normal["id"], urgent.json()["id"]} <= {c["id"] for c in items}

    runtime.wait_for(routed, what="both cases with the unit")

    # When the unit opens its inbox, Then the urgent call is first, marked 紧急
    console_sign_in(page, runtime.base_url, "staff", UNIT)
    page.get_by_test_id("inbox").wait_for()
    first = page.get_by_test_id("case-row").first
    expect(first).to_contain_text(story["tracking_no"])
    expect(first.get_by_test_id("urgent-badge")).to_have_text("紧急")

    # When it opens the case and gives it to Wang
    open_case_in_console(page, story["tracking_no"])
    expect(page.get_by_test_id("case-detail").get_by_test_id("urgent-badge")).to_be_visible()
    page.get_by_test_id("assignee-pick").select_option(story["person"])
    page.get_by_test_id("action-assign").click()
    # Then the case page names Wang, and the staff timeline records it
    expect(page.get_by_test_id("case-assignee")).to_have_text("王警官")
    expect(page.locator("[data-testid=timeline-event][data-type=assigned]")).to_have_count(1)
    check_page(page, "console-assignee")

    # When it asks the Luohu brigade to help, in the 协办 dialog
    page.get_by_test_id("action-assist").click()
    dialog = page.get_by_test_id("assist-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_test_id(f"assist-unit-{HELPER}").check()
    dialog.get_by_test_id("assist-note").fill("请罗湖大队核实相邻路口信号灯")
    check_page(page, "console-assist-dialog")
    dialog.get_by_test_id("assist-send").click()
    # Then the case names the assisting unit
    expect(page.get_by_test_id("case-assist-units")).to_have_text("罗湖区交警大队")
    expect(page.locator("[data-testid=timeline-event][data-type=assist_requested]")).to_have_count(1)

    # When Wang signs in with his account and shows "assigned to me", Then the case is there
    page.goto(f"{runtime.base_url}/console")
    page.evaluate("localStorage.removeItem('minyi.session.console')")
    page.goto(f"{runtime.base_url}/console")
    page.get_by_test_id("signin-account").fill(PERSON_PHONE)
    page.get_by_test_id("signin-submit").click()
    page.get_by_test_id("inbox").wait_for()
    page.get_by_test_id("inbox-show").select_option("mine")
    expect(page.get_by_test_id("case-row")).to_have_count(1)
    expect(page.get_by_test_id("case-row")).to_contain_text(story["tracking_no"])
    check_page(page, "console-assigned-to-me")

    # When the Luohu brigade opens its inbox, Then the case is there marked 协办, and it adds a note
    console_sign_in(page, runtime.base_url, "staff", HELPER)
    page.get_by_test_id("inbox").wait_for()
    row = page.locator("[data-testid=case-row][data-assisting=true]").filter(has_text=story["tracking_no"])
    expect(row.get_by_test_id("assist-badge")).to_have_text("协办")
    check_page(page, "console-inbox-assist")
    row.get_by_role("link", name=story["tracking_no"]).click()
    expect(page.get_by_test_id("case-detail")).to_be_visible()
    expect(page.get_by_test_id("action-reply")).to_have_count(0)  # the lead unit answers
    page.get_by_test_id("note-text").fill("罗湖侧信号灯正常")
    page.get_by_test_id("note-text").locator("xpath=ancestor::form").get_by_role("button").click()
    expect(page.locator("[data-testid=timeline-event][data-type=note_added]")).to_have_count(1)
