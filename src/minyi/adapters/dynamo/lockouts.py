"""Failed public-tracking guesses per tracking number (`TRACKLOCK#<no>` / `LOCK`), in fixed windows.

The item expires with the table's TTL (`expires_at`); since TTL deletion is lazy, every read also
compares `expires_at` with the clock. Counted per tracking number, never per caller, so spreading
guesses over many IP addresses does not help.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from minyi.adapters.dynamo.table import Table


class DynamoTrackingLockouts:
    """`minyi.ports.TrackingLockouts` on the single table."""

    def __init__(self, table: Table):
        self.table = table

    @staticmethod
    def _keys(tracking_no: str) -> dict[str, str]:
        return {"PK": f"TRACKLOCK#{tracking_no}", "SK": "LOCK"}

    def failures(self, tracking_no: str, now: datetime) -> tuple[int, datetime | None]:
        keys = self._keys(tracking_no)
        item = self.table.get(keys["PK"], keys["SK"], consistent=True)
        if not item or int(item["expires_at"]) <= int(now.timestamp()):
            return 0, None
        return int(item["failures"]), datetime.fromtimestamp(int(item["expires_at"]), tz=now.tzinfo)

    def record_failure(self, tracking_no: str, now: datetime, window: timedelta) -> tuple[int, datetime]:
        """Count one failure in the current window (a new window starts when the last one expired)."""
        codec = self.table.codec
        ddb = self.table.ddb
        now_s = int(now.timestamp())
        try:
            resp = ddb.update_item(
                TableName=self.table.name,
                Key=codec.item(self._keys(tracking_no)),
                UpdateExpression="ADD failures :one",
                ConditionExpression="expires_at > :now",
                ExpressionAttributeValues=codec.item({":one": 1, ":now": now_s}),
                ReturnValues="ALL_NEW",
            )
            item: dict[str, Any] = codec.plain(resp["Attributes"])
            return int(item["failures"]), datetime.fromtimestamp(int(item["expires_at"]), tz=now.tzinfo)
        except ddb.exceptions.ConditionalCheckFailedException:
            expires = now_s + int(window.total_seconds())
            ddb.put_item(
                TableName=self.table.name,
                Item=codec.item({**self._keys(tracking_no), "entity": "lockout", "failures": 1, "expires_at": expires}),
            )
            return 1, datetime.fromtimestamp(expires, tz=now.tzinfo)
