"""Browser fixtures: one local runtime (`python -m infra.local`) and one Chromium for the session.

Chromium is Debian's (`apt-get install chromium fonts-noto-cjk`; Playwright's own browser download does
not work here). Without it the browser tests are skipped, unless MINYI_REQUIRE_BROWSER=1 (CI and
`make test-browser` set it) turns the missing browser into a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.local_runtime import QUIET_RUNTIME, SharedRuntimes

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "tests" / "e2e" / "screenshots"
DOCS_SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
PHONE: Any = {"width": 390, "height": 844}
DESK: Any = {"width": 1280, "height": 800}

try:
    from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

    # generous: `make test` runs these next to other suites on two cores
    expect.set_options(timeout=30_000)
except ImportError:  # pragma: no cover - the dev requirements pin it
    sync_playwright = None  # type: ignore[assignment]


def _require_browser() -> None:
    missing = sync_playwright is None or not Path(CHROMIUM).exists()
    if missing:
        why = "playwright is not installed" if sync_playwright is None else f"{CHROMIUM} is missing"
        if os.environ.get("MINYI_REQUIRE_BROWSER") == "1":
            pytest.fail(f"browser tests need Chromium: {why} (apt-get install -y chromium fonts-noto-cjk)")
        pytest.skip(f"browser tests need Chromium: {why}")


class Runtime:
    """The local runtime the pages talk to, plus the shortcuts a test needs (tokens, sent SMS)."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.http = requests.Session()

    def token(self, **claims: str) -> str:
        resp = self.http.post(f"{self.base_url}/local/tokens", json=claims, timeout=10)
        resp.raise_for_status()
        return str(resp.json()["token"])

    def call(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return self.http.request(method, f"{self.base_url}{path}", headers=headers, timeout=30, **kwargs)

    def wait_for(self, probe: Any, timeout: float = 90.0, what: str = "condition") -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = probe()
            if value:
                return value
            time.sleep(0.25)
        raise AssertionError(f"{what} not met within {timeout}s")

    def rating_links(self, case_id: str) -> list[str]:
        """The rating codes texted to the citizen for a case, oldest first (the SMS names the constant
        address `<host>/r`, the tracking number and the 6-digit code)."""
        messages = self.http.get(f"{self.base_url}/local/sms", timeout=10).json()["messages"]
        codes = []
        for m in messages:
            if m["case_id"] == case_id and m["kind"] == "citizen" and "评价码" in m["body"]:
                assert f"{self.base_url.split('://', 1)[1]}/r" in m["body"], m["body"]
                codes.append(m["body"].split("评价码", 1)[1][:6])
        return codes


@pytest.fixture(scope="session")
def runtime(local_runtimes: SharedRuntimes, tmp_path_factory: pytest.TempPathFactory) -> Runtime:
    """The process's shared runtime without the background sweep, whose rating window (600 s) does not
    expire while the browser works (tests/local_runtime.py QUIET_RUNTIME; Open311's HTTP tests use it too)."""
    _require_browser()
    return Runtime(local_runtimes.get(QUIET_RUNTIME, "browser-runtime", tmp_path_factory).base_url)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    """One Chromium per test process: Playwright's sync API cannot run two at once in one process, and
    modules with a local runtime of their own (tests/browser/test_token_refresh.py) share it."""
    _require_browser()
    assert sync_playwright is not None
    with sync_playwright() as p:
        # a fake microphone and camera, granted without a prompt: the voice note is recorded in the page
        fake_media = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", *fake_media])
        yield b
        b.close()


@pytest.fixture(scope="session")
def browser(runtime: Runtime, chromium: Browser) -> Browser:
    """Chromium, with the session's local runtime started."""
    return chromium


def _context(browser: Browser, viewport: Any) -> BrowserContext:
    ctx = browser.new_context(
        viewport=viewport,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        device_scale_factor=1,
        geolocation={"latitude": 22.5431, "longitude": 114.0579},  # Shenzhen Civic Centre, Futian
        permissions=["geolocation", "microphone"],
    )
    ctx.set_default_timeout(45_000)
    return ctx


class Pages:
    """Pages of one context, each watched for console errors and CSP violations."""

    def __init__(self, ctx: BrowserContext, base_url: str):
        self.ctx = ctx
        self.base_url = base_url
        self.errors: list[str] = []

    def new(self) -> Page:
        page = self.ctx.new_page()
        page.on("console", self._console)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        return page

    def _console(self, message: Any) -> None:
        if message.type == "error" and "Failed to load resource" not in message.text:
            self.errors.append(message.text)


@pytest.fixture(scope="module")
def phone(browser: Browser, runtime: Runtime) -> Iterator[Pages]:
    ctx = _context(browser, PHONE)
    pages = Pages(ctx, runtime.base_url)
    yield pages
    ctx.close()
    assert not [e for e in pages.errors if "Content Security Policy" in e], pages.errors


@pytest.fixture(scope="module")
def desk(browser: Browser, runtime: Runtime) -> Iterator[Pages]:
    ctx = _context(browser, DESK)
    pages = Pages(ctx, runtime.base_url)
    yield pages
    ctx.close()
    assert not [e for e in pages.errors if "Content Security Policy" in e], pages.errors


_AXE: Any = None


def check_page(page: Page, name: str, full_page: bool = False) -> None:
    """Axe-core scan (no serious or critical violation) and a screenshot under tests/e2e/screenshots/.

    With UPDATE_DOCS_SCREENSHOTS=1 the screenshot is also copied to docs/screenshots/ for the README."""
    global _AXE
    from axe_playwright_python.sync_playwright import Axe

    _AXE = _AXE or Axe()
    page.wait_for_load_state("networkidle")
    result = _AXE.run(page)
    bad = [v for v in result.response["violations"] if v.get("impact") in {"serious", "critical"}]
    summary = [
        {"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in bad
    ]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    if full_page:  # the phone's fixed tab bar would sit mid-page in a full-page picture
        page.evaluate("document.querySelector('.tabbar')?.style.setProperty('position', 'static')")
    page.screenshot(path=str(path), full_page=full_page)
    if full_page:
        page.evaluate("document.querySelector('.tabbar')?.style.removeProperty('position')")
    if os.environ.get("UPDATE_DOCS_SCREENSHOTS") == "1":
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS_SCREENSHOTS / f"{name}.png")
    assert not bad, f"axe on {name}: " + json.dumps(summary, ensure_ascii=False, indent=1)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives the web clients in Chromium (tests/browser)")
