"""The staff console and the citizen app keep their sessions with the refresh token, and end them when the
refresh is refused: in Chromium against a local runtime whose tokens last 8 seconds (LOCAL_TOKEN_SECONDS),
as the staff pool's ID tokens last 15 minutes in AWS and the citizens' an hour."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import DESK, Runtime, _context, _require_browser
from tests.local_runtime import running

try:
    from playwright.sync_api import Browser, Page, expect, sync_playwright
except ImportError:  # pragma: no cover - the dev requirements pin it
    sync_playwright = None  # type: ignore[assignment]

TOKEN_SECONDS = 8
UNIT = "futian-traffic-police"
SESSION = "minyi.session.console"
CITIZEN_SESSION = "minyi.session.citizen"


@pytest.fixture(scope="module")
def short_runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    _require_browser()
    overrides = {"LOCAL_TOKEN_SECONDS": str(TOKEN_SECONDS), "LOCAL_SCHEDULE_SECONDS": "0"}
    with running(overrides, "short-token-runtime", tmp_path_factory) as started:
        yield Runtime(started.base_url)


@pytest.fixture
def page(chromium: Browser, short_runtime: Runtime) -> Iterator[Page]:
    ctx = _context(chromium, DESK)
    yield ctx.new_page()
    ctx.close()


def stored(page: Page, key: str = SESSION) -> dict[str, Any] | None:
    raw = page.evaluate(f"localStorage.getItem('{key}')")
    return json.loads(raw) if raw else None


def expiry(page: Page, token: str) -> int:
    return int(json.loads(page.evaluate(f"atob({json.dumps(token.split('.')[1])})"))["exp"])


def test_the_console_refreshes_its_token_before_it_expires(page: Page, short_runtime: Runtime) -> None:
    # Given a staff member signed in to the console with an 8-second token
    page.goto(f"{short_runtime.base_url}/console")
    page.get_by_test_id("signin-role").select_option("staff")
    page.get_by_test_id("signin-unit").select_option(UNIT)
    page.get_by_test_id("signin-submit").click()
    page.get_by_test_id("inbox").wait_for()
    first = stored(page)
    assert first is not None and first["refreshToken"]
    # When the token nears its end / Then the console trades the refresh token for a new one
    # (polled from here: the page's CSP refuses the evaluated predicates of wait_for_function)
    renewed = short_runtime.wait_for(
        lambda: (now := stored(page)) is not None and now["token"] != first["token"],
        timeout=TOKEN_SECONDS * 4,
        what="a refreshed token",
    )
    assert renewed
    # And after the first token expired the console still works, without a new sign-in
    expires = json.loads(page.evaluate(f"atob({json.dumps(first['token'].split('.')[1])})"))["exp"]
    time.sleep(max(0.0, expires - time.time() + 1))
    page.reload()
    page.get_by_test_id("inbox").wait_for()
    expect(page.get_by_test_id("signin-submit")).to_have_count(0)


def test_a_disabled_accounts_console_signs_out_when_its_refresh_is_refused(page: Page, short_runtime: Runtime) -> None:
    # Given a staff account an admin created, signed in to the console (its token and refresh token)
    admin = short_runtime.token(sub="admin-refresh", role="admin")
    phone = f"+86139{uuid.uuid4().int % 10**8:08d}"
    body = {"phone": phone, "name": "刷新测试", "role": "staff", "unit_id": UNIT}
    created = short_runtime.call("POST", "/v1/admin/staff", admin, json=body)
    assert created.status_code == 201, created.text
    signed_in = short_runtime.http.post(
        f"{short_runtime.base_url}/local/tokens", json={"username": created.json()["username"]}, timeout=10
    ).json()
    page.goto(f"{short_runtime.base_url}/console")
    session = {"token": signed_in["token"], "refreshToken": signed_in["refresh_token"], "role": "staff", "unit": UNIT}
    page.evaluate(f"localStorage.setItem('{SESSION}', {json.dumps(json.dumps(session))})")
    page.goto(f"{short_runtime.base_url}/console#/inbox")
    page.get_by_test_id("inbox").wait_for()
    # When an admin disables the account (with a token of the moment: this runtime's last 8 seconds)
    admin = short_runtime.token(sub="admin-refresh", role="admin")
    disabled = short_runtime.call("POST", f"/v1/admin/staff/{created.json()['username']}/disable", admin)
    assert disabled.status_code == 200
    # Then the next refresh is refused and the console signs out, saying why
    expect(page.get_by_test_id("session-ended")).to_be_visible(timeout=TOKEN_SECONDS * 4 * 1000)
    expect(page.get_by_test_id("signin-submit")).to_be_visible()
    assert stored(page) is None


def test_the_citizen_app_refreshes_its_token_before_it_expires(page: Page, short_runtime: Runtime) -> None:
    # Given a citizen signed in to the app with an 8-second token
    page.goto(f"{short_runtime.base_url}/")
    page.get_by_test_id("signin-phone").fill(f"139{uuid.uuid4().int % 10**8:08d}")
    page.get_by_test_id("signin-submit").click()
    page.get_by_test_id("new-request").wait_for()
    first = stored(page, CITIZEN_SESSION)
    assert first is not None and first["refreshToken"]
    # When the token nears its end / Then the app trades the refresh token for a new one
    renewed = short_runtime.wait_for(
        lambda: (now := stored(page, CITIZEN_SESSION)) is not None and now["token"] != first["token"],
        timeout=TOKEN_SECONDS * 4,
        what="a refreshed citizen token",
    )
    assert renewed
    # And after the first token expired the citizen's requests still open, without a new sign-in
    time.sleep(max(0.0, expiry(page, first["token"]) - time.time() + 1))
    page.goto(f"{short_runtime.base_url}/#/mine")
    page.get_by_test_id("my-requests").wait_for()
    expect(page.get_by_test_id("signin-submit")).to_have_count(0)


def test_the_citizen_app_signs_out_when_its_refresh_is_refused(page: Page, short_runtime: Runtime) -> None:
    # Given a citizen in the app whose refresh token is no longer honoured (revoked, or past its life)
    phone = f"+86139{uuid.uuid4().int % 10**8:08d}"
    token = short_runtime.token(sub=f"citizen-{phone[1:]}", role="citizen", phone=phone)
    page.goto(f"{short_runtime.base_url}/track")
    session = {"token": token, "refreshToken": "revoked-refresh-token", "phone": phone[3:]}
    page.evaluate(f"localStorage.setItem('{CITIZEN_SESSION}', {json.dumps(json.dumps(session))})")
    page.goto(f"{short_runtime.base_url}/#/mine")
    page.get_by_test_id("my-requests").wait_for()
    # When the app tries to refresh before the token expires
    # Then the refresh is refused and the app signs out cleanly, saying why
    expect(page.get_by_test_id("session-ended")).to_be_visible(timeout=TOKEN_SECONDS * 4 * 1000)
    expect(page.get_by_test_id("signin-submit")).to_be_visible()
    assert stored(page, CITIZEN_SESSION) is None
