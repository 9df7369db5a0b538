"""The catalogue as a document: what `data/catalog/*.yaml`, `PUT /v1/admin/catalog` and the `minyi`
CLI exchange. Pure: validation as a whole (every problem named by its path), the catalogue and routing
rules it defines, and the difference between two versions. It takes parsed data (a mapping); reading a
file is the callers' part (`minyi.adapters.catalog_file`, the `minyi` CLI).

The document's shape (YAML or JSON)::

    schema: 1
    city: {id, zh, en}
    deadline_days: {help: 1, consultation: 2, complaint: 5, suggestion: 10}
    urgent_hours: 4                             # optional: working hours an urgent case (紧急) gets
    hotspot_min_reports: 5                      # optional: the fewest reports of a topic in one cell
                                                # and day that make a hotspot (domain/hotspots.py)
    bounds: {south, west, north, east}          # optional
    districts: {<code>: {zh, en}}
    district_areas: {<code>: [[lat, lon], ...]}  # optional: a simple polygon per district, to suggest
                                                 # the district from a phone's position (domain/geo.py)
    topics: {<code>: {zh, en, keywords?: [<word>]}}   # keywords: the intake model's cold start
                                                     # (domain/intake_model.py)
    dispatch_centre: {id: dispatch-centre, name, name_en, duty_phone}
    supervision_office: {id: supervision-office, name, name_en, duty_phone}
    units: [{id, name, name_en, district?, duty_phone, topics: [<topic>]}]
    rules: [{topic, district, unit}]
    knowledge: [{id, topic?, question, answer}]        # optional: the operators' knowledge base (知识库)
    reply_templates: [{id, topic?, title, text}]       # optional: the units' reply templates (答复模板)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, ValidationError, field_validator

from minyi.domain.base import Model
from minyi.domain.errors import InvalidFields, InvalidValue
from minyi.domain.hotspots import DEFAULT_MIN_REPORTS
from minyi.domain.messages import Message
from minyi.domain.models import (
    DISPATCH_QUEUE,
    SUPERVISION_OFFICE_ID,
    Bounds,
    Catalog,
    Category,
    KnowledgeEntry,
    ReplyTemplate,
    RoutingRule,
    Unit,
)
from minyi.domain.phone import normalise_phone

CODE_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
MAX_DEADLINE_DAYS = 60
#: Generous bounds so a typo, not a big city, is what trips them.
MAX_UNITS = 5000
MAX_RULES = 20000
MAX_CODES = 500
MAX_KNOWLEDGE = 2000
MAX_REPLY_TEMPLATES = 500
#: An answer is read out on the call and texted to the caller (notices.py declares its SMS length).
MAX_ANSWER_LENGTH = 300
MAX_QUESTION_LENGTH = 100
MAX_TEMPLATE_TEXT_LENGTH = 1000
#: Keywords per topic: what suggests the topic before a model is trained (domain/intake_model.py).
MAX_KEYWORDS, MAX_KEYWORD_LENGTH = 100, 20
#: Corners of one district's area: enough for a recognisable outline, small enough to ship to phones.
MIN_CORNERS, MAX_CORNERS = 3, 200

Problem = tuple[str, str]
#: A problem of the document's shape: a refused value (a duty phone) is a `Message`, rendered where shown.
ShapeProblem = tuple[str, Message | str]


class InvalidDocument(InvalidFields):
    """The document breaks one or more rules; each problem names its path (`units[3].duty_phone`)."""

    code = "invalid_catalog"


class _Strict(Model):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class Names(_Strict):
    zh: str = Field(min_length=1, max_length=64)
    en: str = Field(min_length=1, max_length=128)


class TopicEntry(Names):
    keywords: list[Annotated[str, Field(min_length=1, max_length=MAX_KEYWORD_LENGTH)]] | None = Field(
        default=None, max_length=MAX_KEYWORDS
    )

    @field_validator("keywords")
    @classmethod
    def _unique_keywords(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and len(set(value)) != len(value):
            repeated = sorted({k for k in value if value.count(k) > 1})
            raise ValueError(f"a keyword is listed twice: {', '.join(repeated)}")
        return value


class City(Names):
    id: str = Field(pattern=CODE_PATTERN)


class _Phoned(_Strict):
    duty_phone: str

    @field_validator("duty_phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        return normalise_phone(value)


class Office(_Phoned):
    id: str = Field(pattern=CODE_PATTERN)
    name: str = Field(min_length=1, max_length=64)
    name_en: str = Field(min_length=1, max_length=128)


class UnitEntry(Office):
    district: str | None = Field(default=None, pattern=CODE_PATTERN)
    topics: list[str] = Field(default_factory=list, max_length=100)


class RuleEntry(_Strict):
    topic: str = Field(pattern=CODE_PATTERN)
    district: str = Field(pattern=CODE_PATTERN)
    unit: str = Field(pattern=CODE_PATTERN)


class KnowledgeDoc(_Strict):
    id: str = Field(pattern=CODE_PATTERN)
    topic: str | None = Field(default=None, pattern=CODE_PATTERN)
    question: str = Field(min_length=1, max_length=MAX_QUESTION_LENGTH)
    answer: str = Field(min_length=1, max_length=MAX_ANSWER_LENGTH)


class ReplyTemplateDoc(_Strict):
    id: str = Field(pattern=CODE_PATTERN)
    topic: str | None = Field(default=None, pattern=CODE_PATTERN)
    title: str = Field(min_length=1, max_length=40)
    text: str = Field(min_length=1, max_length=MAX_TEMPLATE_TEXT_LENGTH)


class BoundsEntry(_Strict):
    south: float = Field(ge=-90, le=90, allow_inf_nan=False)
    west: float = Field(ge=-180, le=180, allow_inf_nan=False)
    north: float = Field(ge=-90, le=90, allow_inf_nan=False)
    east: float = Field(ge=-180, le=180, allow_inf_nan=False)


Degrees = Annotated[float, Field(allow_inf_nan=False)]
#: One corner of a district's area, (lat, lon); checked against the city's bounds as a cross-reference.
Corner = tuple[Degrees, Degrees]


class CatalogDocument(_Strict):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True, populate_by_name=True)

    schema_version: Literal[1] = Field(default=1, alias="schema")
    city: City
    deadline_days: dict[Category, int]
    urgent_hours: float | None = Field(default=None, gt=0, le=72, allow_inf_nan=False)
    hotspot_min_reports: int | None = Field(default=None, ge=1, le=1000, strict=True)
    bounds: BoundsEntry | None = None
    districts: dict[str, Names] = Field(max_length=MAX_CODES)
    district_areas: dict[str, list[Corner]] | None = Field(default=None, max_length=MAX_CODES)
    topics: dict[str, TopicEntry] = Field(max_length=MAX_CODES)
    dispatch_centre: Office
    supervision_office: Office
    units: list[UnitEntry] = Field(max_length=MAX_UNITS)
    rules: list[RuleEntry] = Field(default_factory=list, max_length=MAX_RULES)
    knowledge: list[KnowledgeDoc] = Field(default_factory=list, max_length=MAX_KNOWLEDGE)
    reply_templates: list[ReplyTemplateDoc] = Field(default_factory=list, max_length=MAX_REPLY_TEMPLATES)

    def as_json(self) -> dict[str, Any]:
        """The document as stored and exported (keys in the file's order, `schema` first)."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)

    # --- what it defines ----------------------------------------------------------------------

    def all_units(self) -> list[Unit]:
        units = [
            Unit(
                id=u.id,
                name=u.name,
                name_en=u.name_en,
                district=u.district,
                duty_phone=u.duty_phone,
                topics=list(u.topics),
            )
            for u in self.units
        ]
        for office in (self.dispatch_centre, self.supervision_office):
            units.append(Unit(id=office.id, name=office.name, name_en=office.name_en, duty_phone=office.duty_phone))
        return units

    def topic_keywords(self) -> dict[str, list[str]]:
        """Keywords per topic that has them: the intake model's cold start (domain/intake_model.py)."""
        return {code: list(n.keywords) for code, n in self.topics.items() if n.keywords}

    def routing_rules(self, version: int | None = None) -> list[RoutingRule]:
        return [
            RoutingRule(topic=r.topic, district=r.district, unit_id=r.unit, catalog_version=version) for r in self.rules
        ]

    def catalog(self, version: int = 0) -> Catalog:
        b = self.bounds
        return Catalog(
            categories=list(Category),
            topics={code: n.model_dump(exclude={"keywords"}) for code, n in self.topics.items()},
            districts={code: n.model_dump() for code, n in self.districts.items()},
            units={u.id: u for u in self.all_units()},
            deadline_days=dict(self.deadline_days),
            **({"urgent_hours": self.urgent_hours} if self.urgent_hours is not None else {}),
            bounds=Bounds(south=b.south, west=b.west, north=b.north, east=b.east) if b else None,
            district_areas={
                code: [[lat, lon] for lat, lon in area] for code, area in (self.district_areas or {}).items()
            },
            topic_keywords=self.topic_keywords(),
            version=version,
            knowledge=[KnowledgeEntry.model_validate(k.model_dump()) for k in self.knowledge],
            reply_templates=[ReplyTemplate.model_validate(t.model_dump()) for t in self.reply_templates],
            hotspot_min_reports=self.hotspot_min_reports or DEFAULT_MIN_REPORTS,
        )


# --- validation as a whole ---------------------------------------------------------------------


def _path(loc: Iterable[Any]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            name = "schema" if part == "schema_version" else str(part)
            out += f".{name}" if out else name
    return out or "document"


def _pydantic_problems(exc: ValidationError) -> list[ShapeProblem]:
    problems: list[ShapeProblem] = []
    for err in exc.errors():
        loc = [p for p in err.get("loc", ()) if p not in ("function-after[_phone(), str]",)]
        message = str(err.get("msg", "invalid"))
        cause = (err.get("ctx") or {}).get("error")
        if isinstance(cause, InvalidValue):
            problems.append((_path(loc), cause.message))
            continue
        if err.get("type") == "value_error":
            message = message.removeprefix("Value error, ")
        elif err.get("type") == "extra_forbidden":
            message = "unknown field"
        problems.append((_path(loc), message))
    return problems


def parse_document(raw: Any) -> CatalogDocument:
    """The document, or InvalidDocument naming every problem: its shape and its cross-references
    (unknown districts, topics and units, duplicates), all at once."""
    if not isinstance(raw, dict):
        raise InvalidDocument([("document", "must be a mapping (districts, topics, units, rules, ...)")])
    problems: list[ShapeProblem] = []
    doc: CatalogDocument | None = None
    try:
        doc = CatalogDocument.model_validate(raw)
    except ValidationError as exc:
        problems = _pydantic_problems(exc)
    reported = {path for path, _ in problems}
    problems += [p for p in cross_reference_problems(raw) if p[0] not in reported]
    if problems or doc is None:
        raise InvalidDocument(problems)
    return doc


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def cross_reference_problems(raw: dict[str, Any]) -> list[Problem]:
    """What the shape cannot say, read tolerantly from the raw document (so a document with shape
    errors still hears about every unknown reference too)."""
    problems: list[Problem] = []
    districts, topics = _mapping(raw.get("districts")), _mapping(raw.get("topics"))
    for name, codes in (("districts", districts), ("topics", topics)):
        if not codes:
            problems.append((name, "must name at least one"))
        for code in codes:
            if not re.match(CODE_PATTERN, str(code)):
                problems.append((f"{name}.{code}", "codes are lower-case letters, digits, - and _"))
    days = _mapping(raw.get("deadline_days"))
    for category in Category:
        value = days.get(category.value)
        if value is None:
            problems.append((f"deadline_days.{category.value}", "missing: every category needs its deadline"))
        elif isinstance(value, int) and not isinstance(value, bool) and not 1 <= value <= MAX_DEADLINE_DAYS:
            problems.append((f"deadline_days.{category.value}", f"must be 1 to {MAX_DEADLINE_DAYS} working days"))
    bounds = _mapping(raw.get("bounds"))
    south, west, north, east = (_number(bounds.get(k)) for k in ("south", "west", "north", "east"))
    if south is not None and north is not None and south >= north:
        problems.append(("bounds.north", "must be north of bounds.south"))
    if west is not None and east is not None and west >= east:
        problems.append(("bounds.east", "must be east of bounds.west"))
    problems.extend(area_problems(_mapping(raw.get("district_areas")), districts, (south, west, north, east)))
    for section, wanted in (("dispatch_centre", DISPATCH_QUEUE), ("supervision_office", SUPERVISION_OFFICE_ID)):
        given = _mapping(raw.get(section)).get("id")
        if section in raw and isinstance(given, str) and given != wanted:
            problems.append((f"{section}.id", f"must be {wanted}"))
    units = _list(raw.get("units"))
    if not units:
        problems.append(("units", "must name at least one unit"))
    seen: dict[str, int] = {}
    for i, unit in enumerate(units):
        unit = _mapping(unit)
        where = f"units[{i}]"
        unit_id = unit.get("id")
        if isinstance(unit_id, str):
            if unit_id in (DISPATCH_QUEUE, SUPERVISION_OFFICE_ID):
                problems.append((f"{where}.id", f"{unit_id} is defined by its own section"))
            elif unit_id in seen:
                problems.append((f"{where}.id", f"duplicate: {unit_id} is also units[{seen[unit_id]}]"))
            else:
                seen[unit_id] = i
        district = unit.get("district")
        if isinstance(district, str) and district not in districts:
            problems.append((f"{where}.district", f"unknown district {district}"))
        for j, topic in enumerate(_list(unit.get("topics"))):
            if isinstance(topic, str) and topic not in topics:
                problems.append((f"{where}.topics[{j}]", f"unknown topic {topic}"))
    rules = [_mapping(r) for r in _list(raw.get("rules"))]
    triples = [(r.get("topic"), r.get("district"), r.get("unit")) for r in rules]
    problems.extend(rule_problems(triples, topics, districts, seen, "rules"))
    for section in ("knowledge", "reply_templates"):
        problems.extend(_entry_problems(section, _list(raw.get(section)), topics))
    return problems


def _entry_problems(section: str, entries: list[Any], topics: dict[str, Any]) -> list[Problem]:
    """Knowledge entries and reply templates: ids unique within their section, topics known."""
    problems: list[Problem] = []
    first: dict[str, int] = {}
    for i, entry in enumerate(entries):
        entry = _mapping(entry)
        entry_id, topic = entry.get("id"), entry.get("topic")
        if isinstance(entry_id, str):
            if entry_id in first:
                problems.append((f"{section}[{i}].id", f"duplicate: {entry_id} is also {section}[{first[entry_id]}]"))
            else:
                first[entry_id] = i
        if isinstance(topic, str) and topic not in topics:
            problems.append((f"{section}[{i}].topic", f"unknown topic {topic}"))
    return problems


def area_problems(areas: dict[str, Any], districts: dict[str, Any], bounds: tuple[float | None, ...]) -> list[Problem]:
    """Each district area names a known district, has 3 to 200 corners of two numbers each, lies
    within the city's bounds when the document has them, and is not flat (a polygon with an inside)."""
    problems: list[Problem] = []
    south, west, north, east = bounds
    for code, corners in areas.items():
        where = f"district_areas.{code}"
        if code not in districts:
            problems.append((where, f"unknown district {code}"))
        corners = _list(corners)
        if not MIN_CORNERS <= len(corners) <= MAX_CORNERS:
            problems.append((where, f"must have {MIN_CORNERS} to {MAX_CORNERS} corners [lat, lon]"))
            continue
        points = [_list(c) for c in corners]
        pairs = [(_number(p[0]), _number(p[1])) for p in points if len(p) == 2]
        if len(pairs) != len(points) or any(lat is None or lon is None for lat, lon in pairs):
            continue  # the shape's problem, named by the model
        for i, (lat, lon) in enumerate(pairs):
            assert lat is not None and lon is not None
            if None not in bounds and not (south <= lat <= north and west <= lon <= east):  # type: ignore[operator]
                problems.append((f"{where}[{i}]", "outside the city's bounds"))
        twice_area = sum(
            (pairs[i - 1][1] or 0) * (pairs[i][0] or 0) - (pairs[i][1] or 0) * (pairs[i - 1][0] or 0)
            for i in range(len(pairs))
        )
        if abs(twice_area) < 1e-12:
            problems.append((where, "the corners enclose no area"))
    return problems


RuleTriple = tuple[Any, Any, Any]


def rule_problems(
    rules: Sequence[RuleTriple], topics: Iterable[str], districts: Iterable[str], units: Iterable[str], prefix: str
) -> list[Problem]:
    """Unknown topics, districts and units, and a second rule for the same topic and district, for
    (topic, district, unit) triples (values that are not text are the shape's problem)."""
    topic_set, district_set, unit_set = set(topics), set(districts), set(units)
    problems: list[Problem] = []
    first: dict[tuple[str, str], int] = {}
    for i, (topic, district, unit) in enumerate(rules):
        where = f"{prefix}[{i}]"
        if isinstance(topic, str) and topic not in topic_set:
            problems.append((f"{where}.topic", f"unknown topic {topic}"))
        if isinstance(district, str) and district not in district_set:
            problems.append((f"{where}.district", f"unknown district {district}"))
        if isinstance(unit, str) and unit not in unit_set:
            problems.append((f"{where}.unit", f"unknown unit {unit}"))
        if isinstance(topic, str) and isinstance(district, str):
            if (topic, district) in first:
                problems.append(
                    (where, f"a second rule for {topic} in {district} (first: {prefix}[{first[(topic, district)]}])")
                )
            else:
                first[(topic, district)] = i
    return problems


# --- the difference between two versions -------------------------------------------------------


class SectionDiff(Model):
    added: list[str] = Field(default_factory=list)
    removed: list[str] = Field(default_factory=list)
    changed: list[str] = Field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.added) + len(self.removed) + len(self.changed)


class CatalogDiff(Model):
    """What a document changes, per section; `changes` is 0 when it changes nothing."""

    sections: dict[str, SectionDiff]
    changes: int


def _keyed(old: dict[str, Any], new: dict[str, Any]) -> SectionDiff:
    return SectionDiff(
        added=[k for k in new if k not in old],
        removed=[k for k in old if k not in new],
        changed=[k for k in new if k in old and old[k] != new[k]],
    )


def diff(old: CatalogDocument | None, new: CatalogDocument) -> CatalogDiff:
    before = old.as_json() if old is not None else {}
    after = new.as_json()
    sections: dict[str, SectionDiff] = {}
    for name in ("districts", "topics"):
        sections[name] = _keyed(before.get(name, {}), after[name])
    sections["district_areas"] = _keyed(before.get("district_areas") or {}, after.get("district_areas") or {})
    sections["units"] = _keyed({u["id"]: u for u in before.get("units", [])}, {u["id"]: u for u in after["units"]})
    old_rules = {f"{r['topic']}/{r['district']}": r["unit"] for r in before.get("rules", [])}
    new_rules = {f"{r['topic']}/{r['district']}": r["unit"] for r in after["rules"]}
    rules = _keyed(old_rules, new_rules)
    rules.changed = [f"{k}: {old_rules[k]} -> {new_rules[k]}" for k in rules.changed]
    rules.added = [f"{k} -> {new_rules[k]}" for k in rules.added]
    sections["rules"] = rules
    for name in ("knowledge", "reply_templates"):
        sections[name] = _keyed({e["id"]: e for e in before.get(name, [])}, {e["id"]: e for e in after.get(name, [])})
    days_before = before.get("deadline_days", {})
    sections["deadline_days"] = SectionDiff(
        changed=[
            f"{c}: {days_before.get(c)} -> {d}" if c in days_before else f"{c}: {d}"
            for c, d in after["deadline_days"].items()
            if days_before.get(c) != d
        ]
    )
    for name in ("city", "bounds", "dispatch_centre", "supervision_office"):
        was, now = before.get(name), after.get(name)
        section = SectionDiff()
        if was != now:
            if was is None:
                section.added.append(name)
            elif now is None:
                section.removed.append(name)
            else:
                section.changed.extend(k for k in sorted(set(was) | set(now)) if was.get(k) != now.get(k))
        sections[name] = section
    return CatalogDiff(sections=sections, changes=sum(s.count for s in sections.values()))


class StoredCatalog(Model):
    """An accepted document as kept: its version, when and by whom it was accepted."""

    version: int = Field(ge=1)
    document: dict[str, Any]
    published_at: datetime
    published_by: str


class CatalogVersion(Model):
    """One accepted version in the history: when and by whom (the document itself is fetched apart)."""

    version: int = Field(ge=1)
    published_at: datetime
    published_by: str
