"""`minyi rules import FILE.csv`: routing rules from a spreadsheet export, every bad row reported with
its line number (minyi.cli.rules_csv), and the command itself on files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from minyi.adapters.catalog_file import SHENZHEN_FILE, shenzhen_document
from minyi.cli import main
from minyi.cli.catalog import import_rules
from minyi.cli.http import AdminApi
from minyi.cli.rules_csv import parse_rules_csv
from minyi.domain.catalog_doc import parse_document

GOOD = "topic,district,unit\ntraffic,futian,futian-traffic-police\nhousing,luohu,luohu-housing\n"


def test_good_rows_become_rules() -> None:
    parsed = parse_rules_csv(GOOD.encode(), shenzhen_document())
    assert parsed.problems == []
    assert [(r.topic, r.district, r.unit) for r in parsed.rules] == [
        ("traffic", "futian", "futian-traffic-police"),
        ("housing", "luohu", "luohu-housing"),
    ]
    assert parsed.lines == [2, 3]


def test_every_bad_row_is_reported_with_its_line() -> None:
    text = (
        "topic,district,unit\n"  # 1
        "traffic,futian,futian-traffic-police\n"  # 2
        "traffic,futian,futian-police\n"  # 3: second rule for traffic/futian
        "aliens,futian,futian-police\n"  # 4: unknown topic
        "\n"  # 5: blank, skipped
        "housing,atlantis,luohu-housing\n"  # 6: unknown district
        "housing,luohu,no-such-unit\n"  # 7: unknown unit
        "health,,futian-health\n"  # 8: empty district
        "Health Care,futian,futian-health\n"  # 9: neither a code nor a name
    )
    parsed = parse_rules_csv(text.encode(), shenzhen_document())
    assert [str(p) for p in parsed.problems] == [
        "line 3: row: a second rule for traffic in futian (first on line 2)",
        "line 4: topic: unknown topic aliens",
        "line 6: district: unknown district atlantis",
        "line 7: unit: unknown unit no-such-unit",
        "line 8: district: empty",
        "line 9: topic: unknown topic Health Care",
    ]


def test_excel_exports_in_gb18030_with_chinese_headings_and_semicolons_are_read() -> None:
    text = "主题;辖区;责任单位\r\ntraffic;futian;futian-traffic-police\r\n"
    parsed = parse_rules_csv(text.encode("gb18030"), shenzhen_document())
    assert parsed.problems == [] and len(parsed.rules) == 1


def test_a_utf8_byte_order_mark_is_not_part_of_the_first_heading() -> None:
    parsed = parse_rules_csv(b"\xef\xbb\xbf" + GOOD.encode(), shenzhen_document())
    assert parsed.problems == [] and len(parsed.rules) == 2


def test_a_missing_column_is_reported_on_line_1() -> None:
    parsed = parse_rules_csv(b"topic,unit\ntraffic,futian-traffic-police\n", None)
    assert [str(p) for p in parsed.problems] == ["line 1: header: missing column(s) district"]


def test_a_multi_line_cell_counts_its_lines() -> None:
    text = 'topic,district,unit\n"traffic",futian,futian-traffic-police\n"hou\nsing",luohu,luohu-housing\n'
    parsed = parse_rules_csv(text.encode(), shenzhen_document())
    assert [p.line for p in parsed.problems] == [4]


def test_the_command_with_replace_makes_the_file_every_rule(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rules = tmp_path / "rules.csv"
    rules.write_text(GOOD, encoding="utf-8")
    out = tmp_path / "catalog.yaml"
    argv = ["rules", "import", str(rules), "--catalog", str(SHENZHEN_FILE), "--output", str(out), "--replace"]
    assert main(argv) == 0
    written = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert written["rules"] == [
        {"topic": "traffic", "district": "futian", "unit": "futian-traffic-police"},
        {"topic": "housing", "district": "luohu", "unit": "luohu-housing"},
    ]
    printed = capsys.readouterr().out
    assert "wrote 2 rules" in printed and "replacing every rule" in printed
    # the pairs left without a rule are named, not silently dropped
    assert "warning: 98 topic x district pair(s) have no rule" in printed


# --- names, merging, and the dry run's warnings ----------------------------------------------------


def test_cells_may_name_topics_districts_and_units_in_chinese_or_english() -> None:
    # Given a spreadsheet written by people, with names rather than codes
    text = (
        "主题,辖区,责任单位\n"
        "交通出行,福田区,福田区交警大队\n"  # Chinese names
        "Housing and Construction,Luohu,Luohu Housing and Construction Bureau\n"  # English names, any case
        "health,福田,futian-health\n"  # codes, and a district without 区
    )
    # When it is parsed against the catalogue
    parsed = parse_rules_csv(text.encode(), shenzhen_document())
    # Then every cell is its code
    assert parsed.problems == []
    assert [(r.topic, r.district, r.unit) for r in parsed.rules] == [
        ("traffic", "futian", "futian-traffic-police"),
        ("housing", "luohu", "luohu-housing"),
        ("health", "futian", "futian-health"),
    ]


def test_a_name_two_units_share_asks_for_the_id() -> None:
    document = shenzhen_document().as_json()
    document["units"][1]["name"] = document["units"][0]["name"]  # two units called 福田区交警大队
    catalog = parse_document(document)
    parsed = parse_rules_csv("topic,district,unit\ntraffic,futian,福田区交警大队\n".encode(), catalog)
    assert [str(p) for p in parsed.problems] == [
        "line 2: unit: 福田区交警大队 names futian-ecology, futian-traffic-police: write the id"
    ]


def test_the_command_merges_by_default(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Given the Shenzhen catalogue (90 rules) and a one-row file moving traffic in Futian to the police
    rules = tmp_path / "rules.csv"
    rules.write_text("topic,district,unit\n交通出行,福田区,福田区公安分局\n", encoding="utf-8")
    out = tmp_path / "catalog.yaml"
    # When it is imported without --replace
    assert main(["rules", "import", str(rules), "--catalog", str(SHENZHEN_FILE), "--output", str(out)]) == 0
    # Then that pair changes in place and the 89 others stay
    before = shenzhen_document().as_json()["rules"]
    written = yaml.safe_load(out.read_text(encoding="utf-8"))["rules"]
    assert len(written) == len(before) == 90
    changed = [(b, w) for b, w in zip(before, written, strict=True) if b != w]
    assert changed == [
        (
            {"topic": "traffic", "district": "futian", "unit": "futian-traffic-police"},
            {"topic": "traffic", "district": "futian", "unit": "futian-police"},
        )
    ]
    assert "merged" in capsys.readouterr().out


def test_a_dry_run_prints_the_difference_and_warnings_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a file with a new pair, a changed pair and a row naming a unit that does not exist
    rules = tmp_path / "rules.csv"
    rules.write_text(
        "topic,district,unit\n"
        "Other,Dapeng New Area,大鹏新区城市管理和综合执法局\n"
        "traffic,futian,futian-police\n"
        "水务,nanshan,nanshan-water\n",
        encoding="utf-8",
    )
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(SHENZHEN_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    # When it is a dry run
    assert main(["rules", "import", str(rules), "--catalog", str(catalog), "--dry-run"]) == 0
    # Then the difference, the bad row and the uncovered pairs are printed, and the file is untouched
    printed = capsys.readouterr().out
    assert "rules: +1 -0 ~1" in printed
    assert "  + other/dapeng -> dapeng-urban-management" in printed
    assert "  ~ traffic/futian: futian-traffic-police -> futian-police" in printed
    assert f"warning: {rules}:line 4: topic: unknown topic 水务 (left out)" in printed
    assert "warning: 9 topic x district pair(s) have no rule" in printed
    assert "staff accounts not checked" in printed
    assert "dry run: nothing was changed" in printed
    assert catalog.read_text(encoding="utf-8") == SHENZHEN_FILE.read_text(encoding="utf-8")


def test_the_command_changes_nothing_when_a_row_is_bad(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rules = tmp_path / "rules.csv"
    rules.write_text(GOOD + "traffic,nanshan,nowhere\n", encoding="utf-8")
    out = tmp_path / "catalog.yaml"
    assert main(["rules", "import", str(rules), "--catalog", str(SHENZHEN_FILE), "--output", str(out)]) == 1
    err = capsys.readouterr().err
    assert f"{rules}:line 4: unit: unknown unit nowhere" in err
    assert "1 bad row(s)" in err
    assert not out.exists()


def test_catalog_check_reports_problems_by_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    document = shenzhen_document().as_json()
    document["units"][0]["duty_phone"] = "12345"
    broken = tmp_path / "broken.yaml"
    broken.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    assert main(["catalog", "check", str(broken)]) == 1
    assert "units[0].duty_phone: not a valid phone number" in capsys.readouterr().err
    assert main(["catalog", "check", str(SHENZHEN_FILE)]) == 0


class FakeStack:
    """A stack's admin routes as `minyi.cli.http.Send` answers them: the Shenzhen catalogue in force as version
    1, one staff account (for futian-traffic-police), and every PUT recorded."""

    def __init__(self) -> None:
        self.document = shenzhen_document().as_json()
        self.staff = [{"username": "u-1", "role": "staff", "unit_id": "futian-traffic-police", "enabled": True}]
        self.puts: list[tuple[str, dict[str, Any]]] = []

    def send(self, method: str, path: str, body: bytes | None, headers: dict[str, str]) -> tuple[int, bytes]:
        if method == "GET" and path == "/v1/admin/catalog":
            answer: Any = {
                "version": 1,
                "published_at": "2026-11-26T08:00:00Z",
                "published_by": "a",
                "document": self.document,
            }
        elif method == "GET" and path == "/v1/admin/staff":
            answer = {"items": self.staff}
        elif method == "PUT":
            self.puts.append((path, json.loads(body or b"{}")))
            answer = {"dry_run": "dry_run" in path, "previous_version": 1, "version": None, "changes": 1, "diff": {}}
        else:
            return 404, b'{"error":"not_found"}'
        return 200, json.dumps(answer).encode()


def test_a_dry_run_against_a_stack_names_the_units_without_staff_and_sends_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a stack whose only staff account is for Futian's traffic police
    stack = FakeStack()
    rules = tmp_path / "rules.csv"
    rules.write_text("topic,district,unit\n交通出行,福田区,futian-police\n", encoding="utf-8")
    # When a rules file is tried against it
    assert import_rules(rules, AdminApi("http://stack", "t", send=stack.send), dry_run=True) == 0
    # Then the other 89 units are named as having nobody to read their cases, and nothing was put
    printed = capsys.readouterr().out
    assert "warning: 89 unit(s) have no staff account (nobody reads their cases): futian-ecology," in printed
    assert "futian-traffic-police" not in printed.split("no staff account", 1)[1].split("\n", 1)[0]
    assert "  ~ traffic/futian: futian-traffic-police -> futian-police" in printed
    assert stack.puts == []
