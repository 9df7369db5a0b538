"""Geohash cells (minyi.domain.geohash): the grid of the nearby-cases index and the hotspots."""

from __future__ import annotations

import math
import random

import pytest

from minyi.domain import geohash


def test_known_cells_encode_as_the_geohash_reference_says() -> None:
    # Given the reference points of the geohash definition / Then they encode to the published hashes
    assert geohash.encode(57.64911, 10.40744, 11) == "u4pruydqqvj"
    assert geohash.encode(42.605, -5.603, 5) == "ezs42"
    assert geohash.encode(22.5431, 114.0579, 6) == "ws105r"  # 深圳市民中心


def test_a_point_lies_in_its_cell_and_the_centre_is_inside() -> None:
    lat_lo, lat_hi, lon_lo, lon_hi = geohash.bounds(geohash.encode(22.5431, 114.0579, 7))
    assert lat_lo <= 22.5431 < lat_hi and lon_lo <= 114.0579 < lon_hi
    lat, lon = geohash.centre("ws105r")
    assert geohash.encode(lat, lon, 6) == "ws105r"


def test_a_cell_has_eight_distinct_neighbours_that_touch_it() -> None:
    cell = geohash.encode(22.5431, 114.0579, 6)
    around = geohash.neighbours(cell)
    assert len(set(around)) == 8 and cell not in around
    for other in around:
        assert cell in geohash.neighbours(other)


def test_the_cell_and_its_neighbours_cover_every_point_within_300_m() -> None:
    # Given random points in Shenzhen and random points up to 300 m away from each
    rng = random.Random(7)
    for _ in range(500):
        lat, lon = 22.45 + rng.random() * 0.35, 113.8 + rng.random() * 0.6
        cells = set(geohash.cell_and_neighbours(lat, lon, geohash.NEAR_PRECISION))
        bearing, metres = rng.random() * 6.283, rng.random() * 300
        d_lat = metres * math.cos(bearing) / 111_320
        d_lon = metres * math.sin(bearing) / (111_320 * math.cos(math.radians(lat)))
        # Then the nearby point's cell is among the nine read
        assert geohash.encode(lat + d_lat, lon + d_lon, geohash.NEAR_PRECISION) in cells


def test_a_300_m_search_reads_at_most_four_cells_that_still_cover_the_circle() -> None:
    # Given random points in Shenzhen
    rng = random.Random(11)
    counts = []
    for _ in range(500):
        lat, lon = 22.45 + rng.random() * 0.35, 113.8 + rng.random() * 0.6
        # When the cells a 300 m search reads are chosen
        cells = geohash.cells_within(lat, lon, 300, geohash.NEAR_PRECISION)
        counts.append(len(cells))
        # Then the point's own cell comes first, and there are at most four of them
        assert cells[0] == geohash.encode(lat, lon, geohash.NEAR_PRECISION) and len(cells) <= 4
        # And every point up to 300 m away, in every direction, lies in one of them
        for step in range(24):
            bearing, metres = step * math.pi / 12, 299.0 if step % 2 else rng.random() * 299
            d_lat = metres * math.cos(bearing) / 111_320
            d_lon = metres * math.sin(bearing) / (111_320 * math.cos(math.radians(lat)))
            assert geohash.encode(lat + d_lat, lon + d_lon, geohash.NEAR_PRECISION) in cells
    # And most points read fewer than four
    assert sum(counts) / len(counts) < 3


def test_distance_is_the_great_circle_distance() -> None:
    # 0.001 degree of latitude is about 111 m everywhere
    assert geohash.distance_m((22.5, 114.0), (22.501, 114.0)) == pytest.approx(111.2, abs=0.5)
    assert geohash.distance_m((22.5, 114.0), (22.5, 114.0)) == 0.0


@pytest.mark.parametrize(("lat", "lon"), [(91.0, 0.0), (0.0, 181.0)])
def test_a_point_off_the_earth_is_refused(lat: float, lon: float) -> None:
    with pytest.raises(ValueError):
        geohash.encode(lat, lon, 6)


def test_a_string_that_is_no_geohash_is_refused() -> None:
    with pytest.raises(ValueError):
        geohash.bounds("wsa")
