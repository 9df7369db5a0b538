"""District areas: the catalogue's polygons and the pure point-in-polygon lookup that suggests a
district from a phone's position (issue 21, p6)."""

from __future__ import annotations

from typing import Any

import pytest

from minyi.adapters.catalog_file import shenzhen_catalog, shenzhen_document
from minyi.domain.catalog_doc import InvalidDocument, diff, parse_document
from minyi.domain.geo import district_at, inside

SQUARE = [[0.0, 0.0], [0.0, 1.0], [1.0, 1.0], [1.0, 0.0]]
#: An L: the square's lower half and its left column.
ELL = [[0.0, 0.0], [2.0, 0.0], [2.0, 1.0], [1.0, 1.0], [1.0, 2.0], [0.0, 2.0]]


@pytest.mark.parametrize(
    ("lat", "lon", "expected"),
    [(0.5, 0.5, True), (1.5, 0.5, False), (-0.1, 0.5, False), (0.5, 1.01, False)],
)
def test_a_point_is_inside_a_square_or_not(lat: float, lon: float, expected: bool) -> None:
    # Given a unit square, When a point is tested, Then only points within it are inside
    assert inside(lat, lon, SQUARE) is expected


def test_a_concave_polygon_leaves_out_its_notch() -> None:
    # Given an L-shaped area, When points in its arms and in its notch are tested
    # Then the arms are inside and the notch is not
    assert inside(1.5, 0.5, ELL) and inside(0.5, 1.5, ELL)
    assert not inside(1.5, 1.5, ELL)


def test_the_district_is_named_only_when_exactly_one_area_holds_the_point() -> None:
    # Given two overlapping areas
    areas = {"a": SQUARE, "b": [[0.5, 0.5], [0.5, 3.0], [3.0, 3.0], [3.0, 0.5]]}
    # Then a point in one only names it, in both or in none names nothing
    assert district_at(0.2, 0.2, areas) == "a"
    assert district_at(2.0, 2.0, areas) == "b"
    assert district_at(0.7, 0.7, areas) is None
    assert district_at(5.0, 5.0, areas) is None
    assert district_at(0.2, 0.2, {}) is None


@pytest.mark.parametrize(
    ("lat", "lon", "district"),
    [
        (22.5431, 114.0579, "futian"),  # the Civic Centre
        (22.5480, 114.1200, "luohu"),  # Dongmen
        (22.4800, 113.9100, "nanshan"),  # Shekou
        (22.6390, 113.8100, "baoan"),  # the airport
        (22.7200, 114.2500, "longgang"),
        (22.5600, 114.2500, "yantian"),
        (22.6600, 114.0300, "longhua"),
        (22.7500, 113.9300, "guangming"),
        (22.7000, 114.3800, "pingshan"),
        (22.5500, 114.5000, "dapeng"),
        (22.4500, 114.1500, None),  # across the river, outside every area
    ],
)
def test_the_shenzhen_catalogue_suggests_the_district_of_known_places(
    lat: float, lon: float, district: str | None
) -> None:
    # Given the shipped Shenzhen catalogue, When a known place is looked up, Then its district is suggested
    catalog = shenzhen_catalog()
    assert set(catalog.district_areas) == set(catalog.districts)
    assert district_at(lat, lon, catalog.district_areas) == district


def raw() -> dict[str, Any]:
    return shenzhen_document().as_json()


@pytest.mark.parametrize(
    ("area", "path", "problem"),
    [
        ({"atlantis": SQUARE}, "district_areas.atlantis", "unknown district atlantis"),
        ({"futian": [[22.5, 114.0], [22.6, 114.0]]}, "district_areas.futian", "must have 3 to 200 corners [lat, lon]"),
        (
            {"futian": [[22.5, 114.0], [22.6, 114.0], [23.5, 114.1]]},
            "district_areas.futian[2]",
            "outside the city's bounds",
        ),
        (
            {"futian": [[22.5, 114.0], [22.55, 114.05], [22.6, 114.1]]},
            "district_areas.futian",
            "the corners enclose no area",
        ),
    ],
)
def test_a_bad_district_area_is_named_by_its_path(area: dict[str, Any], path: str, problem: str) -> None:
    # Given the Shenzhen document with one bad district area
    document = raw()
    document["district_areas"] = area
    # When it is validated, Then the problem names the area
    with pytest.raises(InvalidDocument) as caught:
        parse_document(document)
    assert (path, problem) in caught.value.problems


def test_a_corner_that_is_not_two_numbers_is_refused() -> None:
    document = raw()
    document["district_areas"] = {"futian": [[22.5, 114.0], [22.6], [22.6, 114.1]]}
    with pytest.raises(InvalidDocument) as caught:
        parse_document(document)
    assert any(path.startswith("district_areas.futian[1]") for path, _ in caught.value.problems)


def test_changed_district_areas_show_in_the_difference() -> None:
    # Given the document and a copy with Futian's area moved
    before = shenzhen_document()
    document = raw()
    document["district_areas"]["futian"] = [[22.5, 114.0], [22.61, 114.0], [22.61, 114.1], [22.5, 114.1]]
    # Then the difference names the changed area
    assert diff(before, parse_document(document)).sections["district_areas"].changed == ["futian"]
