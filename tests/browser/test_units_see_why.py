"""Units and supervisors see why; the small things (issue 21, part 2), in a real browser.

The console's case page shows the citizen's rating (the four scores by the platform's names,
处置速度、处置效果、服务体验、反馈质量, and the comment) to the unit redoing the case and to supervisors,
worded for staff (never "您已评价"); phones read `138 0000 1111` (masked `138 **** 1111`) in both
clients; an admin creating an account for a phone that has one reads 该手机号已有账号; the citizen
confirms a withdrawal in a dialog that says what it means (cancelling keeps the case) and adds a photo
to a supplement. The cases are set up through the API; what is checked is what the pages show."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.browser.conftest import Pages, Runtime, check_page

pytestmark = pytest.mark.browser

UNIT = "futian-traffic-police"
PHONE_NO = "13800001111"
#: The citizen app's local sign-in names its citizen after the number (web/js/app.js).
CITIZEN_SUB = f"citizen-86{PHONE_NO}"
COMMENT = "路口还是没人管"
UNSATISFIED = {"speed": 4, "effectiveness": 2, "experience": 3, "feedback_quality": 2}
SCORES_TEXT = "处置速度 4，处置效果 2，服务体验 3，反馈质量 2"


@pytest.fixture(scope="module")
def photo(browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A photo of the crossing (drawn, then photographed by the browser as a PNG)."""
    path = tmp_path_factory.mktemp("media") / "crossing.png"
    page = browser.new_page(viewport={"width": 320, "height": 240})
    page.set_content(
        "<body style='margin:0;background:#5b5f66'><div style='height:80px;background:#9cc9ee'></div></body>"
    )
    page.screenshot(path=str(path))
    page.close()
    return path


def citizen_token(runtime: Runtime) -> str:
    return runtime.token(sub=CITIZEN_SUB, role="citizen", phone=f"+86{PHONE_NO}")


def own_case(runtime: Runtime, token: str, case_id: str) -> dict[str, Any]:
    resp = runtime.call("GET", f"/v1/requests/{case_id}", token)
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


def submitted(runtime: Runtime, token: str, description: str) -> dict[str, Any]:
    """A traffic complaint in Futian, dispatched by rule to the brigade."""
    body = {
        "category": "complaint",
        "topic": "traffic",
        "district": "futian",
        "phone": PHONE_NO,
        "description": description,
    }
    created = runtime.call("POST", "/v1/requests", token, json=body)
    assert created.status_code == 201, created.text
    case = dict(created.json())
    runtime.wait_for(lambda: own_case(runtime, token, case["id"])["status"] == "DISPATCHED", what="dispatch")
    return case


def act(runtime: Runtime, path: str, token: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    """POST an action that must succeed; a 409 (the workflow has not caught up yet) is tried again."""

    def attempt() -> dict[str, Any] | None:
        resp = runtime.call("POST", path, token, json=body or {})
        if resp.status_code == 409:
            return None
        assert resp.status_code == 200, f"POST {path}: {resp.status_code} {resp.text}"
        return dict(resp.json())

    return dict(runtime.wait_for(attempt, what=f"POST {path}"))


def console_sign_in(page: Page, base_url: str, role: str, unit: str | None = None) -> None:
    page.goto(f"{base_url}/console")
    page.evaluate("localStorage.removeItem('minyi.session.console')")
    page.goto(f"{base_url}/console")
    page.get_by_test_id("signin-role").select_option(role)
    if unit:
        page.get_by_test_id("signin-unit").select_option(unit)
    page.get_by_test_id("signin-submit").click()
    # signed in once the form has gone (a page opened before that would be the sign-in page's)
    page.get_by_test_id("signin-submit").wait_for(state="detached")


def open_case(page: Page, base_url: str, case_id: str) -> None:
    page.goto(f"{base_url}/console#/case/{case_id}")
    expect(page.get_by_test_id("case-detail")).to_be_visible()


def the_unit_and_a_supervisor_read_why_the_citizen_was_unsatisfied(desk: Pages, runtime: Runtime) -> None:
    # Given a case the brigade answered, rated unsatisfied with a comment
    token = citizen_token(runtime)
    case = submitted(runtime, token, "福华路与金田路口早高峰没有交警疏导，车辆乱穿。")
    staff = runtime.token(sub="staff-why", role="staff", unit=UNIT)
    act(runtime, f"/v1/cases/{case['id']}/accept", staff)
    act(runtime, f"/v1/cases/{case['id']}/reply", staff, {"message": "已安排交警早高峰到路口疏导。"})
    rated = act(runtime, f"/v1/requests/{case['id']}/rating", token, {**UNSATISFIED, "comment": COMMENT})
    assert rated["status"] == "REOPENED"

    # When the unit redoing it opens the case in the console
    page = desk.new()
    console_sign_in(page, runtime.base_url, "staff", UNIT)
    page.get_by_test_id("inbox").wait_for()
    open_case(page, runtime.base_url, case["id"])
    detail = page.get_by_test_id("case-detail")
    expect(detail).to_have_attribute("data-status", "REOPENED")
    # Then the rating shows its four scores by the platform's names and what the citizen said
    rating = page.get_by_test_id("rating")
    expect(rating).to_have_count(1)
    expect(rating.get_by_test_id("rating-scores")).to_have_text(SCORES_TEXT)
    expect(rating.get_by_test_id("rating-comment")).to_have_text(COMMENT)
    # And the timeline's rating event says it for staff, with the same scores and comment
    event = page.locator("[data-testid=timeline-event][data-type=rated]")
    expect(event).to_contain_text("群众已评价")
    expect(event).to_contain_text(f"不满意（{SCORES_TEXT}）。群众意见：{COMMENT}")
    expect(detail).not_to_contain_text("您已评价")
    # And the citizen's number, which the unit holding the case sees in full, reads 138 0000 1111
    expect(page.get_by_test_id("citizen-phone")).to_have_text("138 0000 1111")
    expect(detail).not_to_contain_text("+86")
    check_page(page, "console-case-rating", full_page=True)

    # When a supervisor opens it / Then they read the same, with the number masked as 138 **** 1111
    console_sign_in(page, runtime.base_url, "supervisor")
    page.get_by_test_id("supervision-list").wait_for()
    open_case(page, runtime.base_url, case["id"])
    expect(page.get_by_test_id("rating-comment")).to_have_text(COMMENT)
    expect(page.get_by_test_id("citizen-phone")).to_contain_text("138 **** 1111")
    sms = page.locator("details").filter(has_text="短信记录")  # the SMS the citizen was sent
    sms.locator("summary").click()
    expect(sms.locator("li").first).to_contain_text("138 **** 1111")
    page.close()


def an_admin_reads_that_the_number_has_an_account(desk: Pages, runtime: Runtime) -> None:
    # Given an account for a clerk's mobile
    admin = runtime.token(sub="admin-why", role="admin")
    body = {"phone": "+8613700003333", "name": "李文", "role": "staff", "unit_id": UNIT}
    assert runtime.call("POST", "/v1/admin/staff", admin, json=body).status_code == 201
    page = desk.new()
    console_sign_in(page, runtime.base_url, "admin")
    expect(page.get_by_test_id("staff-accounts")).to_be_visible()
    # Then the list shows its number grouped, without +86
    expect(page.get_by_test_id("account-row").filter(has_text="李文")).to_contain_text("137 0000 3333")
    # When the admin creates another account for the same number
    page.get_by_test_id("account-name").fill("李文二")
    page.get_by_test_id("account-phone").fill("137 0000 3333")
    page.get_by_test_id("account-role").select_option("dispatcher")
    page.get_by_test_id("account-create").click()
    # Then the console says the number already has an account
    expect(page.get_by_test_id("account-exists")).to_have_text("该手机号已有账号")
    check_page(page, "console-account-exists")
    # And in English too
    page.get_by_role("button", name="切换语言").click()
    expect(page.get_by_test_id("account-create")).to_have_text("New account")  # the page painted in English
    page.get_by_test_id("account-name").fill("Li Wen")
    page.get_by_test_id("account-phone").fill("13700003333")
    page.get_by_test_id("account-role").select_option("dispatcher")
    page.get_by_test_id("account-create").click()
    expect(page.get_by_test_id("account-exists")).to_have_text("This mobile number already has an account")
    page.evaluate("localStorage.setItem('minyi.lang', 'zh')")
    page.close()


def the_citizen_adds_a_photo_and_confirms_a_withdrawal(phone: Pages, runtime: Runtime, photo: Path) -> None:
    # Given a citizen signed in to the app with an open case
    token = citizen_token(runtime)
    case = submitted(runtime, token, "深南大道公交站的顶棚漏雨，候车的人都被淋湿。")
    page = phone.new()
    page.goto(f"{runtime.base_url}/")
    page.evaluate("localStorage.removeItem('minyi.session.citizen')")
    page.goto(f"{runtime.base_url}/")
    page.get_by_test_id("signin-phone").fill(PHONE_NO)
    page.get_by_test_id("signin-submit").click()
    # Then the new request's phone, the account's, reads grouped
    expect(page.get_by_test_id("field-phone")).to_have_value("138 0000 1111")

    # When they add a supplement with a photo to the case
    page.goto(f"{runtime.base_url}/#/case/{case['id']}")
    expect(page.get_by_test_id("case-status")).to_have_attribute("data-status", "DISPATCHED")
    page.get_by_test_id("supplement").locator("summary").click()
    page.get_by_test_id("supplement-text").fill("下雨时更严重，附照片。")
    page.get_by_test_id("supplement-photos").set_input_files(str(photo))
    expect(page.get_by_test_id("supplement").locator("li[data-uploaded=true]")).to_have_count(1)
    check_page(page, "citizen-supplement-photo", full_page=True)
    page.get_by_test_id("supplement-send").click()
    # Then the case carries the supplement with its photo, and the page shows the photo
    runtime.wait_for(lambda: own_case(runtime, token, case["id"])["supplements"], what="the supplement")
    supplement = own_case(runtime, token, case["id"])["supplements"][0]
    assert supplement["text"] == "下雨时更严重，附照片。" and len(supplement["upload_ids"]) == 1
    # (with the supplement, and again at its step of the timeline once that has painted)
    expect(page.locator("img.thumb").first).to_be_visible()

    # When they ask to withdraw it (once the page painted after the supplement has settled)
    page.wait_for_load_state("networkidle")
    ask_to_withdraw(page)
    # Then a dialog says what withdrawing means, and nothing is withdrawn yet
    dialog = page.get_by_test_id("withdraw-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("不能恢复")
    check_page(page, "citizen-withdraw-confirm")
    assert own_case(runtime, token, case["id"])["status"] == "DISPATCHED"
    # When they keep it / Then the dialog closes and the case stays as it was
    page.get_by_test_id("withdraw-keep").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_test_id("case-status")).to_have_attribute("data-status", "DISPATCHED")
    assert own_case(runtime, token, case["id"])["status"] == "DISPATCHED"
    # When they withdraw after all and confirm / Then the case is withdrawn
    ask_to_withdraw(page)
    page.get_by_test_id("withdraw-confirm").click()
    expect(page.get_by_test_id("case-status")).to_have_attribute("data-status", "WITHDRAWN")
    assert own_case(runtime, token, case["id"])["status"] == "WITHDRAWN"
    page.close()


def ask_to_withdraw(page: Page) -> None:
    """Open the withdrawal form and press withdraw; the case page may paint itself again meanwhile (a
    late answer of an earlier read), which closes the form: then it is opened again."""
    button = page.get_by_test_id("withdraw")
    for _ in range(3):
        if not button.is_visible():
            page.locator("details").filter(has_text="撤回诉求").locator("summary").click()
        try:
            button.click(timeout=5_000)
            expect(page.get_by_test_id("withdraw-dialog")).to_be_visible(timeout=5_000)
            return
        except (AssertionError, PlaywrightTimeout):
            continue
    raise AssertionError("the withdrawal form could not be opened")


def test_units_see_why_and_the_small_things(phone: Pages, desk: Pages, runtime: Runtime, photo: Path) -> None:
    """One test, its steps in order: one runtime and one browser."""
    the_unit_and_a_supervisor_read_why_the_citizen_was_unsatisfied(desk, runtime)
    an_admin_reads_that_the_number_has_an_account(desk, runtime)
    the_citizen_adds_a_photo_and_confirms_a_withdrawal(phone, runtime, photo)
