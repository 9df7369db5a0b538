"""The admin's catalogue page in the console (issue 21): the version in force and its history, a new
document uploaded and checked (the dry run's difference), then applied; the very next submission is
routed by it. Photographed for the README (console-catalog)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from minyi.adapters.catalog_file import shenzhen_document
from tests.browser.conftest import Pages, Runtime, check_page
from tests.browser.test_clients import console_sign_in

pytestmark = pytest.mark.browser


def test_an_admin_checks_and_applies_a_catalogue_and_the_next_case_follows_it(
    desk: Pages, runtime: Runtime, tmp_path: Path
) -> None:
    # Given the console's catalogue page for an admin, with the seeded Shenzhen catalogue in force
    page: Page = desk.new()
    console_sign_in(page, runtime.base_url, "admin")
    expect(page.get_by_test_id("staff-accounts")).to_be_visible()
    page.get_by_role("link", name="目录与派单规则").click()
    expect(page.get_by_test_id("catalog")).to_be_visible()
    expect(page.get_by_test_id("catalog-in-force")).to_contain_text("现行版本: 1")
    expect(page.get_by_test_id("catalog-version-row")).to_have_count(1)
    # When they upload a document that routes "other" in Dapeng to its urban management bureau
    document = copy.deepcopy(shenzhen_document().as_json())
    document["rules"].append({"topic": "other", "district": "dapeng", "unit": "dapeng-urban-management"})
    upload = tmp_path / "catalog.json"
    upload.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    page.get_by_test_id("catalog-file").set_input_files(str(upload))
    page.get_by_test_id("catalog-check").click()
    # Then the dry run shows the one rule it adds, and nothing is in force yet
    diff = page.get_by_test_id("catalog-diff")
    expect(diff).to_contain_text("1 项变更")
    expect(diff).to_contain_text("+ other/dapeng -> dapeng-urban-management")
    expect(page.get_by_test_id("catalog-version-row")).to_have_count(1)
    check_page(page, "console-catalog", full_page=True)
    # When they apply it
    page.get_by_test_id("catalog-apply").click()
    # Then version 2 is in force and listed, with who accepted it
    expect(page.get_by_test_id("catalog-notice")).to_contain_text("版本 2")
    expect(page.get_by_test_id("catalog-version-row")).to_have_count(2)
    expect(page.get_by_test_id("catalog-in-force")).to_contain_text("现行版本: 2")
    # And the very next case about "other" in Dapeng is dispatched to that bureau, not queued
    citizen = runtime.token(sub="citizen-catalog", role="citizen", phone="+8613900004321")
    created = runtime.call(
        "POST",
        "/v1/requests",
        citizen,
        json={"category": "help", "topic": "other", "district": "dapeng", "description": "海边步道的护栏断了一截。"},
    )
    assert created.status_code == 201, created.text

    def routed() -> dict[str, str] | None:
        case = runtime.call("GET", f"/v1/requests/{created.json()['id']}", citizen).json()
        return case if case.get("status") != "SUBMITTED" else None

    case = runtime.wait_for(routed, what="the case routed")
    assert case["status"] == "DISPATCHED" and case["unit_id"] == "dapeng-urban-management", case
