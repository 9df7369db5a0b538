"""Which district a point lies in, from the catalogue's district areas (pure).

A phone's position (or a pin on a map) suggests the district a citizen reports from; it never decides
it. The catalogue may give each district an area, a simple polygon of (lat, lon) corners; a point
inside exactly one area names that district. Outside every area, or inside two (areas drawn loosely
may overlap at a shared border), the catalogue cannot tell, and nothing is suggested.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

Point = tuple[float, float]  # (lat, lon)


def inside(lat: float, lon: float, polygon: Sequence[Sequence[float]]) -> bool:
    """Even-odd ray casting over the polygon's corners (closed implicitly; a point on an edge may go
    either way, which is why a district is suggested, not decided)."""
    result = False
    count = len(polygon)
    for i in range(count):
        lat_a, lon_a = polygon[i][0], polygon[i][1]
        lat_b, lon_b = polygon[i - 1][0], polygon[i - 1][1]
        if (lat_a > lat) != (lat_b > lat):
            crossing = lon_a + (lat - lat_a) * (lon_b - lon_a) / (lat_b - lat_a)
            if lon < crossing:
                result = not result
    return result


def district_at(lat: float, lon: float, areas: Mapping[str, Sequence[Sequence[float]]]) -> str | None:
    """The one district whose area holds the point, or None when none or several do."""
    found = [code for code, polygon in areas.items() if len(polygon) >= 3 and inside(lat, lon, polygon)]
    return found[0] if len(found) == 1 else None
