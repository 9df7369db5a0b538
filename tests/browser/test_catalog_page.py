"""The admin's catalogue page in the console (issue 21): the version in force and its history, a new
document uploaded and checked (the dry run's difference), then applied; the very next submission is
routed by it. Photographed for the README (console-catalog). The upload takes the YAML file the CLI
imports, read in the browser (web/js/console/yaml.js) as PyYAML reads it."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import Page, expect

from minyi.adapters.catalog_file import SHENZHEN_FILE, shenzhen_document
from minyi.cli.yaml_files import dump_yaml
from tests.browser.conftest import Pages, Runtime, check_page
from tests.browser.test_clients import console_sign_in

pytestmark = pytest.mark.browser

#: YAML the console reads, each as PyYAML reads it (the CLI's loader).
YAML_READ = {
    "comments, document markers, indentless and compact lists": (
        "# a catalogue\n"
        "---\n"
        "schema: 1   # the version\n"
        "units:\n"
        "- id: a\n"
        "  topics:\n"
        "  - traffic\n"
        "  - health\n"
        "\n"
        "- id: b   \n"
        "  topics: []\n"
        "rules:\n"
        "  - {topic: traffic, district: futian, unit: a}\n"
        "  -\n"
        "    topic: health\n"
        "...\n"
    ),
    "quoted text, escapes and folding": (
        "a: 'it''s\n"
        "  folded\n"
        "\n"
        "  twice'\n"
        'b: "tab\\there\\nline \\u00e9\\x41 \\\n'
        '  joined"\n'
        'c: "福田区"\n'
        "'quoted key': 1\n"
        '"two": 2\n'
    ),
    "plain text over lines": (
        "note: first line\n  second line\n\n  after a blank line\nnext: x\nlist:\n- one\n  two\n"
    ),
    "YAML 1.1 plain types": (
        "b: [yes, No, on, OFF, true, False, y, n]\n"
        "n: [~, null, NULL, '']\n"
        "i: [0, +12, -3, 010, 0x1F, 0b101, 1_000, 08, +8613900000001]\n"
        "f: [1.5, -3.25, 1.5e+3, 1e5, .5, 1.]\n"
        "t: [09:00, 2024-1-1, 'true', '010']\n"
        "empty:\n"
        "items:\n"
        "- \n"
        "- x\n"
    ),
    "flow collections over lines": (
        "city: {id: shenzhen, zh: 深圳市, en: Shenzhen}\n"
        "areas: [[22.50, 114.00], [22.60, 114.00],  # corners\n"
        "  [22.6, 114.1]]\n"
        "m: {a: [1, {b: c}], 'd e': \"f, g\", h, i: }\n"
        "e: {}\n"
        "url: {u: http://a.cn/x#z}\n"
    ),
    "text with # and : inside": ("a: b#c\nurl: https://12345.sz.gov.cn/r#top\ntime: 12:30:00x\nk: v # a comment\n"),
    "keys that resolve": ("on: 1\nno: 2\n3: three\n~: null key\n"),
    "nested blocks": ("a:\n  b:\n    c:\n    - - x\n      - y\n    - k: v\n      l:\n        m: n\n  d: e\nz: 1\n"),
}
#: YAML it refuses, naming the line (PyYAML refuses these too, or reads what JSON cannot carry or the
#: catalogue's YAML does not use: anchors, tags, block scalars, dates).
YAML_REFUSED = {
    "anchors": ("a: &x 1\nb: *x\n", 1),
    "a tag": ("a: 1\nb: !!str 2\n", 2),
    "a block scalar": ("a: 1\nb: |\n  text\n", 2),
    "a second document": ("a: 1\n---\nb: 2\n", 2),
    "a tab": ("a:\n\tb: 1\n", 2),
    "a date": ("a: 1\n\nb: 2024-10-01\n", 3),
    "an over-indented line": ("a: 1\n   b: 2\n", 2),
    "an unclosed flow": ("a: [1, 2\nb: 3\n", 2),
    "a colon inside a value": ("a: b: c\n", 1),
}

#: Parses each source with the console's reader: {name: {value} | {line, error}}.
_PARSE_ALL = """async (sources) => {
  const { parseYaml } = await import('/js/console/yaml.js');
  const out = {};
  for (const [name, source] of Object.entries(sources)) {
    try { out[name] = { value: parseYaml(source) }; }
    catch (err) { out[name] = { line: err.line, error: err.message }; }
  }
  return out;
}"""


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


def test_the_console_reads_the_catalogue_yaml_as_the_cli_does(desk: Pages, runtime: Runtime) -> None:
    # Given the repo's catalogue file, the same document as `minyi catalog export` writes it, and YAML of
    # every construct the reader takes or refuses
    page: Page = desk.new()
    page.goto(f"{runtime.base_url}/console")
    source = SHENZHEN_FILE.read_text(encoding="utf-8")
    sources = {"repo": source, "export": dump_yaml(yaml.safe_load(source)), **YAML_READ}
    sources |= {name: text for name, (text, _) in YAML_REFUSED.items()}
    # When the console's reader parses them
    parsed = page.evaluate(_PARSE_ALL, sources)
    # Then each document is what PyYAML reads, as JSON carries it
    for name in ["repo", "export", *YAML_READ]:
        assert parsed[name] == {"value": json.loads(json.dumps(yaml.safe_load(sources[name])))}, name
    # And what it does not read is refused on its line
    for name, (_, line) in YAML_REFUSED.items():
        assert parsed[name].get("line") == line, (name, parsed[name])


def test_an_admin_checks_the_yaml_file_the_cli_imports(desk: Pages, runtime: Runtime, tmp_path: Path) -> None:
    # Given an admin on the catalogue page, and the repo's YAML with one rule added
    page: Page = desk.new()
    console_sign_in(page, runtime.base_url, "admin")
    page.get_by_role("link", name="目录与派单规则").click()
    expect(page.get_by_test_id("catalog")).to_be_visible()
    rule = "  - {topic: other, district: pingshan, unit: pingshan-urban-management}  # 坪山的其他诉求\n"
    source = SHENZHEN_FILE.read_text(encoding="utf-8").replace("\nrules:\n", "\nrules:\n" + rule, 1)
    upload = tmp_path / "shenzhen.yaml"
    upload.write_text(source, encoding="utf-8")
    # When they upload it and check it
    page.get_by_test_id("catalog-file").set_input_files(str(upload))
    page.get_by_test_id("catalog-check").click()
    # Then the dry run shows the rule it adds, and apply is offered
    expect(page.get_by_test_id("catalog-diff")).to_contain_text("+ other/pingshan -> pingshan-urban-management")
    expect(page.get_by_test_id("catalog-apply")).to_be_enabled()
    # When the file has a line the reader does not take (a tab indents it)
    broken = tmp_path / "broken.yml"
    broken.write_text("schema: 1\ncity:\n\tid: shenzhen\n", encoding="utf-8")
    page.get_by_test_id("catalog-file").set_input_files(str(broken))
    page.get_by_test_id("catalog-check").click()
    # Then it is refused by its line before anything is sent, and nothing can be applied
    expect(page.get_by_test_id("catalog-status").get_by_role("alert")).to_contain_text("第 3 行")
    expect(page.get_by_test_id("catalog-apply")).to_be_disabled()
