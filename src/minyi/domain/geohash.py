"""Geohash cells: the grid that finds nearby cases without a scan (pure).

A geohash names a rectangle of the earth by a base-32 string; each more character divides it by 32.
Cases near each other share a prefix, so an index keyed on a case's cell answers "open cases near
here" with one query per cell. A point near a cell's edge has neighbours in the next cell, so a search
reads the cell and those of its eight neighbours the radius reaches (`cells_within`: at most four for
a circle narrower than a cell) and then keeps only what lies within the radius (`distance_m`).

Precisions used by the platform:
- `NEAR_PRECISION` (6: about 1.2 km x 0.6 km at Shenzhen's latitude): duplicate candidates within
  300 m: the cell and its neighbours always cover a 300 m circle around the point;
- `HOTSPOT_PRECISION` (7: about 150 m x 150 m): reports counted per cell, topic and day.
"""

from __future__ import annotations

import math

_BASE32 = "0123456789bcdefghjkmnpqrstuvwxyz"
_DECODE = {c: i for i, c in enumerate(_BASE32)}

NEAR_PRECISION = 6
HOTSPOT_PRECISION = 7
EARTH_RADIUS_M = 6_371_000.0


def encode(lat: float, lon: float, precision: int) -> str:
    """The cell of (lat, lon) with `precision` characters."""
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        raise ValueError("lat must be within [-90, 90] and lon within [-180, 180]")
    lat_lo, lat_hi, lon_lo, lon_hi = -90.0, 90.0, -180.0, 180.0
    chars: list[str] = []
    bits = 0
    value = 0
    even = True  # geohash interleaves longitude (first) and latitude bits
    while len(chars) < precision:
        if even:
            mid = (lon_lo + lon_hi) / 2
            if lon >= mid:
                value = value * 2 + 1
                lon_lo = mid
            else:
                value *= 2
                lon_hi = mid
        else:
            mid = (lat_lo + lat_hi) / 2
            if lat >= mid:
                value = value * 2 + 1
                lat_lo = mid
            else:
                value *= 2
                lat_hi = mid
        even = not even
        bits += 1
        if bits == 5:
            chars.append(_BASE32[value])
            bits = 0
            value = 0
    return "".join(chars)


def bounds(cell: str) -> tuple[float, float, float, float]:
    """(lat_lo, lat_hi, lon_lo, lon_hi) of a cell."""
    lat_lo, lat_hi, lon_lo, lon_hi = -90.0, 90.0, -180.0, 180.0
    even = True
    for char in cell:
        try:
            value = _DECODE[char]
        except KeyError:
            raise ValueError(f"not a geohash: {cell!r}") from None
        for shift in range(4, -1, -1):
            bit = (value >> shift) & 1
            if even:
                mid = (lon_lo + lon_hi) / 2
                lon_lo, lon_hi = (mid, lon_hi) if bit else (lon_lo, mid)
            else:
                mid = (lat_lo + lat_hi) / 2
                lat_lo, lat_hi = (mid, lat_hi) if bit else (lat_lo, mid)
            even = not even
    return lat_lo, lat_hi, lon_lo, lon_hi


def centre(cell: str) -> tuple[float, float]:
    """(lat, lon) of a cell's centre."""
    lat_lo, lat_hi, lon_lo, lon_hi = bounds(cell)
    return (lat_lo + lat_hi) / 2, (lon_lo + lon_hi) / 2


def neighbours(cell: str) -> list[str]:
    """The eight cells around `cell` (same precision), north first, clockwise."""
    lat_lo, lat_hi, lon_lo, lon_hi = bounds(cell)
    height, width = lat_hi - lat_lo, lon_hi - lon_lo
    lat, lon = (lat_lo + lat_hi) / 2, (lon_lo + lon_hi) / 2
    found: list[str] = []
    for d_lat, d_lon in ((1, 0), (1, 1), (0, 1), (-1, 1), (-1, 0), (-1, -1), (0, -1), (1, -1)):
        n_lat = lat + d_lat * height
        n_lon = (lon + d_lon * width + 180.0) % 360.0 - 180.0
        if -90.0 <= n_lat <= 90.0:
            found.append(encode(n_lat, n_lon, len(cell)))
    return found


def cell_and_neighbours(lat: float, lon: float, precision: int) -> list[str]:
    """The point's cell first, then its neighbours: the cells to read for a search around the point."""
    cell = encode(lat, lon, precision)
    return [cell, *neighbours(cell)]


def cells_within(lat: float, lon: float, radius_m: float, precision: int) -> list[str]:
    """The point's cell first, then those of its neighbours that come within `radius_m` of the point:
    the cells a search of that radius reads. A circle narrower than a cell (300 m at `NEAR_PRECISION`)
    touches at most two rows and two columns: at most 4 queries instead of 9, one or two for most points."""
    cell, *around = cell_and_neighbours(lat, lon, precision)
    return [cell, *(c for c in around if _distance_to_cell_m(lat, lon, c) <= radius_m)]


def _distance_to_cell_m(lat: float, lon: float, cell: str) -> float:
    """Metres from a point to the nearest point of a cell (0 inside it)."""
    lat_lo, lat_hi, lon_lo, lon_hi = bounds(cell)
    return distance_m((lat, lon), (min(max(lat, lat_lo), lat_hi), min(max(lon, lon_lo), lon_hi)))


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in metres between two (lat, lon) points (haversine)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, h)))
