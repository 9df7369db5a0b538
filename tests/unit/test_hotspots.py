"""Hotspots (未诉先办), the pure part: the 99.9 % Poisson bound of a cell's baseline, the threshold
(never below the catalogue's minimum), the report a SUBMITTED event carries, and the catalogue's
`hotspot_min_reports` validated with the rest of the document."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime

import pytest

from minyi.domain import geohash, hotspots, lifecycle
from minyi.domain.catalog_doc import parse_document
from minyi.domain.errors import InvalidFields
from minyi.domain.models import Case, CaseStatus, Category, Location

SHENNAN_CAITIAN = (22.5403, 114.0580)


def _tail(mean: float, k: int) -> float:
    """P(X >= k) for X ~ Poisson(mean), by the textbook sum."""
    return 1 - sum(math.exp(-mean) * mean**i / math.factorial(i) for i in range(k))


@pytest.mark.parametrize("mean", [0.1, 0.5, 1.0, 2.5, 7.0, 30.0])
def test_the_bound_is_the_smallest_count_rarer_than_one_day_in_a_thousand(mean: float) -> None:
    # Given a cell's usual reports per day
    # When the bound is taken
    bound = hotspots.poisson_upper_bound(mean)
    # Then reaching it is at most 0.1 % likely, and reaching one less is more likely than that
    assert _tail(mean, bound) <= 0.001
    assert _tail(mean, bound - 1) > 0.001


def test_known_bounds_and_a_quiet_cell() -> None:
    # Given the textbook values (at a mean of 1, P(X >= 5) = 0.0037 but P(X >= 6) = 0.0006; at 2,
    # P(X >= 8) = 0.0011 but P(X >= 9) = 0.0002) and a cell never reported
    assert hotspots.poisson_upper_bound(1.0) == 6
    assert hotspots.poisson_upper_bound(2.0) == 9
    assert hotspots.poisson_upper_bound(0.0) == 1
    # and a large mean stays finite (log space)
    assert 880 < hotspots.poisson_upper_bound(800.0) < 895  # about 800 + 3.09 * sqrt(800)


def test_the_threshold_is_never_below_the_catalogue_minimum() -> None:
    # Given a quiet cell, the minimum decides; a busy one, its bound
    assert hotspots.threshold(0.0, 5) == 5
    assert hotspots.threshold(0.2, 5) == 5
    assert hotspots.threshold(3.0, 5) == hotspots.poisson_upper_bound(3.0) > 5
    # and 4 reports in a quiet cell are no hotspot, 5 are
    assert not hotspots.is_hotspot(4, 0.0)
    assert hotspots.is_hotspot(5, 0.0)
    # while a crossing with 3 a day usually needs far more
    assert not hotspots.is_hotspot(8, 3.0)


def test_the_baseline_is_the_mean_over_28_days_counting_quiet_days_as_zero() -> None:
    assert hotspots.baseline([2, 1, 4]) == pytest.approx(7 / 28)
    assert hotspots.baseline_days(date(2026, 3, 29)) == (date(2026, 3, 1), date(2026, 3, 28))


def _case(**overrides: object) -> Case:
    fields: dict[str, object] = {
        "id": "case-1",
        "tracking_no": "SZ2603-ABCDEF",
        "citizen_id": "citizen-1",
        "phone": "+8613812345678",
        "category": Category.COMPLAINT,
        "topic": "traffic",
        "district": "futian",
        "description": "彩田路口红绿灯坏了",
        "location": Location(lat=SHENNAN_CAITIAN[0], lon=SHENNAN_CAITIAN[1]),
        "status": CaseStatus.SUBMITTED,
        "created_at": datetime(2026, 3, 2, 1, tzinfo=UTC),
        "updated_at": datetime(2026, 3, 2, 1, tzinfo=UTC),
    }
    return Case.model_validate(fields | overrides)


def test_a_submitted_event_carries_its_report_and_a_case_without_a_place_none() -> None:
    # Given a case with a topic and a location, filed at 09:00 in Shenzhen
    case = _case()
    event = lifecycle.submitted(case, case.created_at).events[0]
    # When the counters read its SUBMITTED event
    report = hotspots.report_of(event, date(2026, 3, 2))
    # Then it names the ~150 m cell, the topic, the district and the tracking number
    assert report is not None
    assert report.cell == geohash.encode(*SHENNAN_CAITIAN, geohash.HOTSPOT_PRECISION)
    assert (report.topic, report.district, report.tracking_no) == ("traffic", "futian", "SZ2603-ABCDEF")
    # and a case without a location adds no report (no cell holds it)
    placeless = _case(location=None)
    assert hotspots.report_of(lifecycle.submitted(placeless, case.created_at).events[0], date(2026, 3, 2)) is None


def test_the_listing_entry_shows_the_cell_not_the_point() -> None:
    cell = hotspots.cell_of(*SHENNAN_CAITIAN)
    row = hotspots.CellDay(date(2026, 3, 2), "traffic", cell, "futian", 6, ("SZ2603-ABCDEF",))
    hot = hotspots.hotspot(row, 0.1, 5)
    assert hot is not None
    south, north, west, east = geohash.bounds(cell)
    assert (hot.south, hot.north, hot.west, hot.east) == tuple(round(v, 6) for v in (south, north, west, east))
    assert south <= hot.lat <= north and west <= hot.lon <= east
    assert (hot.count, hot.threshold, hot.cases) == (6, 5, ["SZ2603-ABCDEF"])
    assert hotspots.hotspot(row, 3.0, 5) is None


def test_the_listing_entry_links_each_number_to_its_case_only_when_every_number_has_its_id() -> None:
    # Given a cell's day whose counters kept each case's id beside its tracking number
    cell = hotspots.cell_of(*SHENNAN_CAITIAN)
    numbers = ("SZ2603-AAAAAA", "SZ2603-BBBBBB")
    row = hotspots.CellDay(date(2026, 3, 2), "traffic", cell, "futian", 5, numbers, ("a1", "b2"))
    # Then the entry names the ids in the numbers' order
    hot = hotspots.hotspot(row, 0.0, 5)
    assert hot is not None and (hot.cases, hot.case_ids) == (list(numbers), ["a1", "b2"])
    # Given a row counted before the ids were kept (fewer ids than numbers)
    older = hotspots.CellDay(date(2026, 3, 2), "traffic", cell, "futian", 5, numbers, ("b2",))
    # Then it names no ids rather than pairing a number with another case's id
    hot = hotspots.hotspot(older, 0.0, 5)
    assert hot is not None and (hot.cases, hot.case_ids) == (list(numbers), [])


def _document(**extra: object) -> dict[str, object]:
    from pathlib import Path

    from minyi.adapters.catalog_file import read_yaml

    return {**read_yaml(Path("data/catalog/shenzhen.yaml")), **extra}


@pytest.mark.parametrize("bad", [0, -1, 1001, "5", 2.5])
def test_the_catalogue_minimum_is_validated_with_the_document(bad: object) -> None:
    with pytest.raises(InvalidFields) as caught:
        parse_document(_document(hotspot_min_reports=bad))
    assert [path for path, _ in caught.value.problems] == ["hotspot_min_reports"]


def test_the_catalogue_minimum_defaults_to_five_and_is_taken() -> None:
    assert parse_document(_document()).catalog().hotspot_min_reports == hotspots.DEFAULT_MIN_REPORTS == 5
    assert parse_document(_document(hotspot_min_reports=3)).catalog().hotspot_min_reports == 3
