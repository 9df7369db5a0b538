"""`minyi rules import FILE.csv`: routing rules from a spreadsheet export, every bad row reported with
its line number (minyi.cli), and the command itself on files."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from minyi.cli import main, parse_rules_csv
from minyi.domain.catalog import SHENZHEN_FILE, shenzhen_document

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
        "Health Care,futian,futian-health\n"  # 9: not a code
    )
    parsed = parse_rules_csv(text.encode(), shenzhen_document())
    assert [str(p) for p in parsed.problems] == [
        "line 3: row: a second rule for traffic in futian (first on line 2)",
        "line 4: topic: unknown topic aliens",
        "line 6: district: unknown district atlantis",
        "line 7: unit: unknown unit no-such-unit",
        "line 8: district: empty",
        "line 9: topic: lower-case letters, digits, - and _ only",
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


def test_the_command_writes_the_rules_into_a_catalogue_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rules = tmp_path / "rules.csv"
    rules.write_text(GOOD, encoding="utf-8")
    out = tmp_path / "catalog.yaml"
    assert main(["rules", "import", str(rules), "--catalog", str(SHENZHEN_FILE), "--output", str(out)]) == 0
    written = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert written["rules"] == [
        {"topic": "traffic", "district": "futian", "unit": "futian-traffic-police"},
        {"topic": "housing", "district": "luohu", "unit": "luohu-housing"},
    ]
    assert "wrote 2 rules" in capsys.readouterr().out


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
