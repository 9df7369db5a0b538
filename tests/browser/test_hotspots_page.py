"""The console's 热点 page (未诉先办, issue 18) in Chromium against the local runtime: residents file
located reports through the API until two ~150 m cells become hotspots; a dispatcher opens 热点 and sees
each cell in the list (centre, district, topic, count, baseline, its cases linked to the case page) and
in the SVG grid map (a rectangle with a tooltip), narrows the list by topic, and opens a case from it.
The page passes an axe-core scan and is photographed (docs/screenshots/console-hotspots.png with
UPDATE_DOCS_SCREENSHOTS=1).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import pytest
from playwright.sync_api import expect

from minyi.domain import hotspots
from minyi.domain.deadlines import CITY_TZ
from tests.browser.conftest import Pages, Runtime, check_page
from tests.browser.test_clients import console_sign_in

pytestmark = pytest.mark.browser

# two spots of their own (the browser context's position, and the other tests' reports, are elsewhere)
GATE = {"lat": 22.5560, "lon": 114.0550}  # 莲花山公园北门: a smell, six reports
MARKET = {"lat": 22.5535, "lon": 114.0585}  # a street market nearby: stalls on the pavement, five reports
GATE_CELL = hotspots.cell_of(GATE["lat"], GATE["lon"])
MARKET_CELL = hotspots.cell_of(MARKET["lat"], MARKET["lon"])


def file_reports(runtime: Runtime, topic: str, where: dict[str, float], words: str, count: int) -> list[dict[str, Any]]:
    filed = []
    for i in range(count):
        token = runtime.token(sub=f"citizen-hot-{topic}-{i}", role="citizen")
        body = {
            "category": "complaint",
            "topic": topic,
            "district": "futian",
            "location": where,
            "description": f"{words}（第{i + 1}位）",
        }
        resp = runtime.call("POST", "/v1/requests", token, json=body)
        assert resp.status_code == 201, resp.text
        filed.append(resp.json())
    return filed


def listed_cells(runtime: Runtime, token: str) -> dict[str, dict[str, Any]]:
    today = datetime.now(CITY_TZ).date().isoformat()
    resp = runtime.call("GET", f"/v1/hotspots?from={today}&to={today}", token)
    assert resp.status_code == 200, resp.text
    return {h["cell"]: h for h in resp.json()["hotspots"]}


def test_dispatcher_sees_hot_cells_in_the_list_and_on_the_grid_map(desk: Pages, runtime: Runtime) -> None:
    # Given six reports of a smell at one park gate and five of pavement stalls a street away
    smell = file_reports(runtime, "environment", GATE, "莲花山公园北门垃圾站臭味很大，夏天尤其严重", 6)
    file_reports(runtime, "urban_management", MARKET, "红荔路路口流动摊贩占道经营，行人只能走机动车道", 5)
    dispatcher = runtime.token(sub="dispatcher-hotspots", role="dispatcher")

    def both_hot() -> bool:
        cells = listed_cells(runtime, dispatcher)
        return cells.get(GATE_CELL, {}).get("count") == 6 and cells.get(MARKET_CELL, {}).get("count") == 5

    runtime.wait_for(both_hot, what="both cells listed as hotspots")
    # When a dispatcher opens 热点
    page = desk.new()
    console_sign_in(page, runtime.base_url, "dispatcher")
    page.get_by_role("link", name="热点").click()
    # Then the list shows the gate's cell: district, topic, count and every case by its number
    row = page.locator(f"[data-testid=hotspot-row][data-cell={GATE_CELL}][data-topic=environment]")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("福田区")
    expect(row).to_contain_text("生态环境")
    expect(row.get_by_test_id("hotspot-count")).to_contain_text("6")
    links = row.get_by_test_id("hotspot-case")
    expect(links).to_have_count(6)
    assert sorted(links.all_inner_texts()) == sorted(c["tracking_no"] for c in smell)
    expect(page.locator(f"[data-testid=hotspot-row][data-cell={MARKET_CELL}]")).to_have_count(1)
    # And the grid map draws both cells, each a rectangle with its tooltip; the map names them for a screen reader
    grid = page.get_by_test_id("hotspot-map")
    expect(grid).to_have_attribute("role", "img")
    expect(grid).to_have_attribute("aria-label", containing_all("6", "5"))
    cell = grid.locator(f"[data-cell={GATE_CELL}]")
    expect(cell.locator("rect")).to_have_count(1)
    expect(cell.locator("title")).to_contain_text("6件")
    expect(grid.locator(f"[data-cell={MARKET_CELL}] title")).to_contain_text("5件")
    expect(page.get_by_test_id("hotspot-legend").locator("li")).to_have_count(4)
    check_page(page, "console-hotspots", full_page=True)
    # When they narrow the list to environment
    page.get_by_test_id("hotspots-topic").select_option("environment")
    page.get_by_role("button", name="更新").click()
    # Then the stalls' cell is gone, the gate's stays
    expect(page.locator(f"[data-testid=hotspot-row][data-cell={MARKET_CELL}]")).to_have_count(0)
    expect(row).to_have_count(1)
    # When they open one of the gate's cases from the list
    first = smell[0]["tracking_no"]
    row.get_by_role("link", name=first).click()
    # Then its case page opens
    expect(page.get_by_test_id("case-detail")).to_be_visible()
    expect(page.get_by_test_id("case-detail")).to_contain_text(first)
    page.close()


def containing_all(*parts: str) -> Any:
    return re.compile("".join(f"(?=.*{re.escape(p)})" for p in parts), re.S)
