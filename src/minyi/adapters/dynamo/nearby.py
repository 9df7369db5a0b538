"""The nearby index of open cases (issue 18): `minyi.ports.NearbyCases` on the cases table's sparse
`NearbyIndex` (keys written by `minyi.adapters.dynamo.cases.nearby_keys`).

One query per geohash cell (the cells a 300 m circle reaches, `geohash.cells_within`: 4 at most),
each limited to the window by its sort key (the filing time) and reading only the attributes a candidate needs
(`ProjectionExpression`; the index projects only those, so an item read is small): a suggestion
costs at most 4 queries and a few read request units, however many cases the city has. No scan.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from minyi.adapters.dynamo.cases import NEARBY_INDEX, nearby_partition, sort_time
from minyi.adapters.dynamo.table import Table
from minyi.domain.duplicates import OpenCase
from minyi.ports import NearbyRead

#: The case attributes the index projects and a candidate reads (no phone, no owner).
PROJECTED = ("id", "tracking_no", "topic", "district", "status", "location", "description", "created_at")
#: At most this many of the newest cases are read per cell (a busy cell cannot make a suggestion slow).
PER_CELL_LIMIT = 50


class DynamoNearbyCases:
    def __init__(self, table: Table):
        self.table = table

    def open_near(self, topic: str, cells: Sequence[str], since: datetime) -> NearbyRead:
        names = {f"#{a}": a for a in PROJECTED}
        found: list[OpenCase] = []
        units = 0.0
        for cell in cells:
            resp = self.table.ddb.query(
                TableName=self.table.name,
                IndexName=NEARBY_INDEX,
                KeyConditionExpression="NEARPK = :pk AND NEARSK >= :since",
                ExpressionAttributeValues=self.table.codec.item(
                    {":pk": nearby_partition(topic, cell), ":since": sort_time(since)}
                ),
                ProjectionExpression=", ".join(names),
                ExpressionAttributeNames=names,
                ScanIndexForward=False,
                Limit=PER_CELL_LIMIT,
                ReturnConsumedCapacity="TOTAL",
            )
            units += float(resp.get("ConsumedCapacity", {}).get("CapacityUnits", 0.0))
            found.extend(_open_case(self.table.codec.plain(item)) for item in resp.get("Items", []))
        return NearbyRead(cases=found, queries=len(cells), read_units=units)


def _open_case(item: dict[str, Any]) -> OpenCase:
    location = item["location"]
    return OpenCase(
        case_id=item["id"],
        tracking_no=item["tracking_no"],
        topic=item["topic"],
        district=item["district"],
        status=item["status"],
        lat=float(location["lat"]),
        lon=float(location["lon"]),
        description=item["description"],
        created_at=datetime.fromisoformat(item["created_at"]),
    )
