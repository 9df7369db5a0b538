"""Routing rules from a spreadsheet export (CSV with the columns topic, district, unit): every row's
rule and every bad row's problem by its line number. A cell may name a topic or district by its code,
its Chinese or its English name (水务, 福田区, Futian), a unit by its id or either name (`CatalogNames`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from minyi.domain.catalog_doc import CatalogDocument, RuleEntry, rule_problems

#: Accepted column headings (a spreadsheet export may carry Chinese ones).
_COLUMNS = {
    "topic": "topic",
    "主题": "topic",
    "district": "district",
    "区": "district",
    "辖区": "district",
    "unit": "unit",
    "unit_id": "unit",
    "单位": "unit",
    "责任单位": "unit",
}


@dataclass
class RowProblem:
    line: int
    field: str
    problem: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field}: {self.problem}"


@dataclass
class RulesFile:
    rules: list[RuleEntry] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)


def _decode(data: bytes) -> str:
    """Spreadsheets export UTF-8 (often with a byte order mark) or, from Chinese Excel, GB18030."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


def _aliases(entries: Iterable[tuple[str, Iterable[str]]]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for code, names in entries:
        for name in names:
            if name:
                out.setdefault(_key(name), set()).add(code)
    return out


class CatalogNames:
    """What a spreadsheet may call a topic or district (its code, Chinese or English name; 福田 for
    福田区) or a unit (its id, Chinese or English name), each mapped to its code."""

    def __init__(self, catalog: CatalogDocument):
        self.codes = {
            "topic": set(catalog.topics),
            "district": set(catalog.districts),
            "unit": {u.id for u in catalog.units},
        }
        self.names = {
            "topic": _aliases((code, (code, n.zh, n.en)) for code, n in catalog.topics.items()),
            "district": _aliases(
                (code, (code, n.zh, n.en, n.zh.removesuffix("区"))) for code, n in catalog.districts.items()
            ),
            "unit": _aliases((u.id, (u.id, u.name, u.name_en)) for u in catalog.units),
        }

    def resolve(self, kind: str, value: str) -> tuple[str | None, str | None]:
        """(the code, None), or (None, the problem): unknown, or a name that several share."""
        if value in self.codes[kind]:
            return value, None
        found = self.names[kind].get(_key(value), set())
        if len(found) == 1:
            return next(iter(found)), None
        if found:
            return None, f"{value} names {', '.join(sorted(found))}: write the {'id' if kind == 'unit' else 'code'}"
        return None, f"unknown {kind} {value}"


def parse_rules_csv(data: bytes, catalog: CatalogDocument | None = None) -> RulesFile:
    """Every row's rule and every bad row's problem, by the line it is on (the header is line 1). With
    a catalogue, each cell may be a code or a name (CatalogNames) and is checked against it."""
    names = CatalogNames(catalog) if catalog is not None else None
    text = _decode(data)
    try:
        dialect: Any = csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    result = RulesFile()
    header = next(reader, None)
    if header is None:
        result.problems.append(RowProblem(1, "header", "the file is empty; expected the columns topic, district, unit"))
        return result
    columns = {_COLUMNS.get(h.strip().lower()): i for i, h in enumerate(header) if _COLUMNS.get(h.strip().lower())}
    missing = [c for c in ("topic", "district", "unit") if c not in columns]
    if missing:
        result.problems.append(RowProblem(1, "header", f"missing column(s) {', '.join(missing)}"))
        return result
    entries: list[tuple[int, RuleEntry]] = []
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        values = {name: (row[i].strip() if i < len(row) else "") for name, i in columns.items() if name}
        bad = False
        for name in ("topic", "district", "unit"):
            if not values[name]:
                result.problems.append(RowProblem(line, name, "empty"))
                bad = True
        if bad:
            continue
        if names is not None:
            for name in ("topic", "district", "unit"):
                code, problem = names.resolve(name, values[name])
                if problem is not None:
                    result.problems.append(RowProblem(line, name, problem))
                    bad = True
                values[name] = code or values[name]
            if bad:
                continue
        try:
            entries.append((line, RuleEntry(topic=values["topic"], district=values["district"], unit=values["unit"])))
        except ValueError as exc:
            for err in getattr(exc, "errors", lambda: [])():
                name = str(err["loc"][0]) if err.get("loc") else "row"
                result.problems.append(RowProblem(line, name, "lower-case letters, digits, - and _ only"))
    lines = [line for line, _ in entries]
    rules = [rule for _, rule in entries]
    topics: set[str]
    districts: set[str]
    if catalog is not None:
        topics, districts = set(catalog.topics), set(catalog.districts)
        units = {u.id for u in catalog.units}
    else:
        topics = {r.topic for r in rules}
        districts = {r.district for r in rules}
        units = {r.unit for r in rules}
    triples = [(r.topic, r.district, r.unit) for r in rules]
    for path, problem in rule_problems(triples, topics, districts, units, "rules"):
        index = int(path.split("[", 1)[1].split("]", 1)[0])
        name = path.split(".", 1)[1] if "." in path else "row"
        if "first: rules[" in problem:
            first = int(problem.rsplit("rules[", 1)[1].rstrip("])"))
            problem = problem.split(" (first", 1)[0] + f" (first on line {lines[first]})"
        result.problems.append(RowProblem(lines[index], name, problem))
    result.problems.sort(key=lambda p: p.line)
    result.rules, result.lines = rules, lines
    return result
