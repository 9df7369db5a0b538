"""并单 in a real browser (issue 18): the citizen app's own view of a merged case says MERGED and into
which tracking number, with a link to follow that case's progress; the console shows a merged case with
the kept number, and a supervisor's 撤销并单 routes it again. The cases are set up through the API; what
is checked is what the pages show."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Pages, Runtime, check_page
from tests.browser.test_units_see_why import act, console_sign_in, open_case, own_case

pytestmark = pytest.mark.browser

UNIT = "futian-traffic-police"
PHONE_NO = "13800002222"
CITIZEN_SUB = f"citizen-86{PHONE_NO}"


def submitted(runtime: Runtime, token: str, mobile: str, description: str) -> dict[str, Any]:
    """A traffic complaint in Futian by the citizen signed in with `mobile`, dispatched by rule."""
    body = {"category": "complaint", "topic": "traffic", "district": "futian", "phone": mobile}
    created = runtime.call("POST", "/v1/requests", token, json={**body, "description": description})
    assert created.status_code == 201, created.text
    case = dict(created.json())
    runtime.wait_for(lambda: own_case(runtime, token, case["id"])["status"] == "DISPATCHED", what="dispatch")
    return case


def test_a_merged_case_in_the_app_and_the_console_and_a_supervisor_undoes_it(
    phone: Pages, desk: Pages, runtime: Runtime
) -> None:
    # Given two reports of one problem, the second (the app's citizen's) merged into the first
    other = runtime.token(sub="citizen-merge-kept", role="citizen", phone="+8613800003333")
    kept = submitted(runtime, other, "13800003333", "彩田路口的红绿灯坏了，一直黄灯闪烁。")
    token = runtime.token(sub=CITIZEN_SUB, role="citizen", phone=f"+86{PHONE_NO}")
    mine = submitted(runtime, token, PHONE_NO, "彩田路口红绿灯不亮，车辆乱走很危险。")
    dispatcher = runtime.token(sub="dispatcher-merge", role="dispatcher")
    act(runtime, f"/v1/cases/{mine['id']}/merge", dispatcher, {"into": kept["tracking_no"], "reason": "同一路口"})

    # When the citizen opens their own case in the app
    page = phone.new()
    page.goto(f"{runtime.base_url}/")
    page.evaluate("localStorage.removeItem('minyi.session.citizen')")
    page.goto(f"{runtime.base_url}/")
    page.get_by_test_id("signin-phone").fill(PHONE_NO)
    page.get_by_test_id("signin-submit").click()
    page.goto(f"{runtime.base_url}/#/case/{mine['id']}")
    # Then it reads MERGED, names the kept number and links to follow that case; no supplement form
    expect(page.get_by_test_id("case-status")).to_have_attribute("data-status", "MERGED")
    expect(page.get_by_test_id("merged-into")).to_contain_text(kept["tracking_no"])
    expect(page.get_by_test_id("merged-follow")).to_have_attribute("href", f"/track?no={kept['tracking_no']}")
    expect(page.get_by_test_id("supplement")).to_have_count(0)
    check_page(page, "citizen-merged-case", full_page=True)

    # When a supervisor opens the merged case in the console
    console = desk.new()
    console_sign_in(console, runtime.base_url, "supervisor")
    open_case(console, runtime.base_url, mine["id"])
    # Then it shows MERGED with the kept number, and the undo button
    expect(console.get_by_test_id("case-detail")).to_have_attribute("data-status", "MERGED")
    expect(console.get_by_test_id("merged-into")).to_contain_text(kept["tracking_no"])
    check_page(console, "console-merged-case", full_page=True)
    # When they undo the merge with a reason
    console.get_by_test_id("unmerge-reason").fill("不是同一个路口")
    console.get_by_test_id("action-unmerge").click()
    # Then the case is routed again by rule and no longer merged
    runtime.wait_for(lambda: own_case(runtime, token, mine["id"])["status"] == "DISPATCHED", what="routed again")
    assert own_case(runtime, token, mine["id"])["merged_into"] is None

    # And a dispatcher sees a merged case's number but no undo button
    merged_again = act(
        runtime, f"/v1/cases/{mine['id']}/merge", dispatcher, {"into": kept["tracking_no"], "reason": "同一路口"}
    )
    assert merged_again["status"] == "MERGED"
    desk_page = desk.new()
    console_sign_in(desk_page, runtime.base_url, "dispatcher")
    open_case(desk_page, runtime.base_url, mine["id"])
    expect(desk_page.get_by_test_id("merged-into")).to_contain_text(kept["tracking_no"])
    expect(desk_page.get_by_test_id("action-unmerge")).to_have_count(0)
