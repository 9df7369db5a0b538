"""The catalogue as a document (minyi.domain.catalog_doc): validated as a whole with every problem named
by its path, what it defines, and the difference between two versions."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from minyi.adapters.catalog_file import SHENZHEN_FILE, load_document_file, shenzhen_document
from minyi.domain.catalog_doc import InvalidDocument, diff, parse_document
from minyi.domain.messages import message
from minyi.domain.models import Category


def raw() -> dict[str, Any]:
    return copy.deepcopy(shenzhen_document().as_json())


def problems(document: Any) -> list[tuple[str, str]]:
    with pytest.raises(InvalidDocument) as caught:
        parse_document(document)
    return caught.value.problems


def test_the_shipped_shenzhen_file_is_a_valid_document() -> None:
    doc = load_document_file(SHENZHEN_FILE)
    assert doc.city.id == "shenzhen"
    assert len(doc.districts) == 10 and len(doc.topics) == 10
    assert len(doc.units) == 90 and len(doc.rules) == 90
    assert doc.deadline_days == {
        Category.HELP: 1,
        Category.CONSULTATION: 2,
        Category.COMPLAINT: 5,
        Category.SUGGESTION: 10,
    }
    catalog = doc.catalog(version=3)
    assert catalog.version == 3
    assert catalog.units["futian-traffic-police"].duty_phone == "+8613900000001"
    assert catalog.bounds is not None and catalog.bounds.south == 22.4
    assert {"dispatch-centre", "supervision-office"} <= set(catalog.units)
    rules = doc.routing_rules(version=3)
    assert rules[0].catalog_version == 3 and rules[0].unit_id == "futian-traffic-police"


def test_the_document_round_trips_through_its_json() -> None:
    doc = shenzhen_document()
    assert parse_document(doc.as_json()) == doc
    assert next(iter(doc.as_json())) == "schema"


def test_every_problem_is_named_by_its_path_at_once() -> None:
    # Given a document with a bad phone, an unknown unit in a rule, a duplicate rule, a unit of an
    # unknown district, a missing deadline and a field no one knows
    document = raw()
    document["units"][0]["duty_phone"] = "12345"
    document["units"][1]["district"] = "atlantis"
    document["units"][2]["topics"] = ["traffic", "aliens"]
    document["rules"][0]["unit"] = "no-such-unit"
    document["rules"][1] = {**document["rules"][2]}
    del document["deadline_days"]["help"]
    document["colour"] = "red"
    # When it is validated, Then every problem is reported with its path
    found = dict(problems(document))
    assert found["units[0].duty_phone"] == message("error.not_a_valid_phone_number")
    assert found["units[1].district"] == "unknown district atlantis"
    assert found["units[2].topics[1]"] == "unknown topic aliens"
    assert found["rules[0].unit"] == "unknown unit no-such-unit"
    assert found["rules[2]"].startswith("a second rule for")
    assert "first: rules[1]" in found["rules[2]"]
    assert found["deadline_days.help"].startswith("missing")
    assert found["colour"] == "unknown field"


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda d: d.update(units=[]), "units"),
        (lambda d: d.update(districts={}), "districts"),
        (lambda d: d["deadline_days"].update(complaint=0), "deadline_days.complaint"),
        (lambda d: d["deadline_days"].update(complaint=61), "deadline_days.complaint"),
        (lambda d: d["bounds"].update(south=23.0), "bounds.north"),
        (lambda d: d["bounds"].update(west=115.0), "bounds.east"),
        (lambda d: d["dispatch_centre"].update(id="centre"), "dispatch_centre.id"),
        (lambda d: d["supervision_office"].update(id="office"), "supervision_office.id"),
        (lambda d: d["units"][1].update(id=d["units"][0]["id"]), "units[1].id"),
        (lambda d: d["units"][0].update(id="dispatch-centre"), "units[0].id"),
        (lambda d: d["units"][0].update(id="Futian Traffic"), "units[0].id"),
        (lambda d: d["topics"].update({"Bad Code": {"zh": "坏", "en": "Bad"}}), "topics.Bad Code"),
        (lambda d: d["topics"]["traffic"].update(zh=""), "topics.traffic.zh"),
        (lambda d: d["rules"][0].update(topic="aliens"), "rules[0].topic"),
        (lambda d: d["rules"][0].update(district="atlantis"), "rules[0].district"),
        (lambda d: d.update(schema=2), "schema"),
        (lambda d: d.pop("city"), "city"),
    ],
)
def test_a_broken_rule_is_named_by_its_path(change: Any, path: str) -> None:
    document = raw()
    change(document)
    assert path in dict(problems(document))


def test_a_document_that_is_not_a_mapping_is_refused() -> None:
    assert problems(["districts"]) == [("document", "must be a mapping (districts, topics, units, rules, ...)")]


def test_duty_phones_are_kept_in_e164() -> None:
    document = raw()
    document["units"][0]["duty_phone"] = "139 0000 0001"
    assert parse_document(document).units[0].duty_phone == "+8613900000001"


def test_the_difference_from_nothing_adds_everything() -> None:
    change = diff(None, shenzhen_document())
    assert len(change.sections["units"].added) == 90
    assert len(change.sections["rules"].added) == 90
    assert change.sections["dispatch_centre"].added == ["dispatch_centre"]
    assert change.changes > 0


def test_the_same_document_changes_nothing() -> None:
    assert diff(shenzhen_document(), parse_document(raw())).changes == 0


def test_the_difference_names_what_was_added_removed_and_changed() -> None:
    before = shenzhen_document()
    document = raw()
    document["units"].append({**document["units"][0], "id": "futian-traffic-police-2", "duty_phone": "+8613900009999"})
    removed = document["units"].pop(1)
    document["rules"] = [r for r in document["rules"] if r["unit"] != removed["id"]]
    document["rules"][0]["unit"] = "futian-traffic-police-2"
    document["units"][0]["name"] = "福田交警"
    document["deadline_days"]["complaint"] = 7
    document["topics"]["noise"] = {"zh": "噪音", "en": "Noise"}
    document["bounds"]["north"] = 22.95
    change = diff(before, parse_document(document))
    assert change.sections["units"].added == ["futian-traffic-police-2"]
    assert change.sections["units"].removed == [removed["id"]]
    assert change.sections["units"].changed == ["futian-traffic-police"]
    assert change.sections["rules"].changed == ["traffic/futian: futian-traffic-police -> futian-traffic-police-2"]
    assert change.sections["rules"].removed == ["environment/futian"]
    assert change.sections["deadline_days"].changed == ["complaint: 5 -> 7"]
    assert change.sections["topics"].added == ["noise"]
    assert change.sections["bounds"].changed == ["north"]
    assert change.changes == 8


def test_categories_are_the_fixed_four() -> None:
    assert set(shenzhen_document().catalog().categories) == set(Category)
