"""Unit tests for the Shenzhen seed catalogue (minyi.adapters.catalog_file)."""

from __future__ import annotations

import pytest

from minyi.adapters.catalog_file import DISPATCH_CENTRE, SUPERVISION_OFFICE, shenzhen_catalog, shenzhen_units_and_rules
from minyi.domain.models import Category, RoutingRule, Unit

DISTRICTS = ["futian", "luohu", "nanshan", "yantian", "baoan", "longgang", "longhua", "pingshan", "guangming", "dapeng"]
TOPICS = [
    "traffic",
    "environment",
    "housing",
    "urban_management",
    "social_security",
    "market_regulation",
    "public_security",
    "education",
    "health",
    "other",
]


def test_catalog_has_the_ten_shenzhen_districts() -> None:
    """Given the Shenzhen catalogue
    When its districts are listed
    Then they are exactly the ten districts, each named in Chinese and English."""
    catalog = shenzhen_catalog()

    assert list(catalog.districts) == DISTRICTS
    assert catalog.districts["futian"] == {"zh": "福田区", "en": "Futian"}
    assert catalog.districts["dapeng"] == {"zh": "大鹏新区", "en": "Dapeng New Area"}
    assert all(set(names) == {"zh", "en"} for names in catalog.districts.values())


def test_catalog_has_the_ten_topics() -> None:
    """Given the Shenzhen catalogue
    When its topics are listed
    Then they are exactly the ten topics, each named in Chinese and English."""
    catalog = shenzhen_catalog()

    assert list(catalog.topics) == TOPICS
    assert catalog.topics["traffic"] == {"zh": "交通出行", "en": "Traffic and transport"}
    assert all(set(names) == {"zh", "en"} for names in catalog.topics.values())


def test_catalog_categories_and_deadlines() -> None:
    """Given the Shenzhen catalogue
    When its categories and deadlines are read
    Then all four categories are present with the default deadline days."""
    catalog = shenzhen_catalog()

    assert set(catalog.categories) == set(Category)
    assert catalog.deadline_days == {
        Category.HELP: 1,
        Category.CONSULTATION: 2,
        Category.COMPLAINT: 5,
        Category.SUGGESTION: 10,
    }


def test_traffic_in_futian_routes_to_futian_traffic_police() -> None:
    """Given the Shenzhen routing rules
    When looking up topic traffic in district futian
    Then the rule routes to futian-traffic-police, the 福田区交警大队 / Futian Traffic Police Brigade."""
    units, rules = shenzhen_units_and_rules()
    catalog = shenzhen_catalog()

    matching = [r for r in rules if r.topic == "traffic" and r.district == "futian"]

    assert matching == [RoutingRule(topic="traffic", district="futian", unit_id="futian-traffic-police")]
    unit = catalog.units["futian-traffic-police"]
    assert unit.name == "福田区交警大队"
    assert unit.name_en == "Futian Traffic Police Brigade"
    assert unit.district == "futian"
    assert unit in units


def test_topic_other_has_no_routing_rule() -> None:
    """Given the Shenzhen routing rules
    When looking for any rule for topic other
    Then there is none (such cases wait for a dispatcher)."""
    _, rules = shenzhen_units_and_rules()

    assert [r for r in rules if r.topic == "other"] == []


@pytest.mark.parametrize("district", DISTRICTS)
def test_every_district_has_one_rule_per_routable_topic(district: str) -> None:
    """Given the Shenzhen routing rules
    When filtered to one district
    Then there is exactly one rule for each topic except other, pointing at a unit of that district."""
    units, rules = shenzhen_units_and_rules()
    units_by_id = {u.id: u for u in units}

    district_rules = [r for r in rules if r.district == district]

    assert sorted(r.topic for r in district_rules) == sorted(t for t in TOPICS if t != "other")
    assert all(units_by_id[r.unit_id].district == district for r in district_rules)


def test_units_are_unique_and_include_the_dispatch_centre() -> None:
    """Given the Shenzhen units
    When listed
    Then there are 10 districts x 9 topics + the dispatch centre and the supervision office, with unique
    ids and duty phones."""
    units, rules = shenzhen_units_and_rules()

    assert len(units) == 92
    assert len(rules) == 90
    assert len({u.id for u in units}) == 92
    assert units[-1] == SUPERVISION_OFFICE and SUPERVISION_OFFICE.duty_phone == "+8613900000000"
    assert (
        units[-2]
        == DISPATCH_CENTRE
        == Unit(
            id="dispatch-centre", name="市民意速办调度中心", name_en="City Dispatch Centre", duty_phone="+8613900000999"
        )
    )
    phones = [u.duty_phone for u in units if u.duty_phone is not None]
    assert len(phones) == 92  # every unit, the dispatch centre included, has a duty phone of its own
    assert len(set(phones)) == 92
    assert phones[0] == "+8613900000001"
