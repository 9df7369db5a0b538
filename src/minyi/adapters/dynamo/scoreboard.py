"""Scoreboard counters: one item per unit and day (`STATS#<day>` / `UNIT#<unit>`), added to exactly once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from minyi.adapters.dynamo.table import CONDITIONAL_CHECK_FAILED, Table, cancellation_reasons
from minyi.domain.models import TimelineEvent


class DynamoScoreboardRepository:
    """`minyi.ports.ScoreboardRepository` on the single table."""

    def __init__(self, table: Table):
        self.table = table

    def count_event(self, event: TimelineEvent, day: str, unit_id: str, counts: dict[str, int], now: datetime) -> bool:
        """Add the event's counts to its unit's day exactly once: the event item is marked counted in
        the same transaction. False if it was counted before (a redelivered stream record)."""
        codec = self.table.codec
        names = {f"#{k}": k for k in counts}
        add = ", ".join(f"#{k} :{k}" for k in counts)
        values = {f":{k}": v for k, v in counts.items()}
        items: list[dict[str, Any]] = [
            {
                "Update": {
                    "TableName": self.table.name,
                    "Key": codec.item({"PK": f"CASE#{event.case_id}", "SK": f"EVENT#{event.seq:05d}"}),
                    "UpdateExpression": "SET counted_at = :now",
                    "ConditionExpression": "attribute_exists(PK) AND attribute_not_exists(counted_at)",
                    "ExpressionAttributeValues": codec.item({":now": now.isoformat()}),
                }
            },
            {
                "Update": {
                    "TableName": self.table.name,
                    "Key": codec.item({"PK": f"STATS#{day}", "SK": f"UNIT#{unit_id}"}),
                    "UpdateExpression": f"SET unit_id = :unit, #day = :day, entity = :entity ADD {add}",
                    "ExpressionAttributeNames": {**names, "#day": "day"},
                    "ExpressionAttributeValues": codec.item(
                        {**values, ":unit": unit_id, ":day": day, ":entity": "stats"}
                    ),
                }
            },
        ]
        ddb = self.table.ddb
        try:
            ddb.transact_write_items(TransactItems=items)
        except ddb.exceptions.TransactionCanceledException as exc:
            reasons = cancellation_reasons(exc)
            if reasons and reasons[0] == CONDITIONAL_CHECK_FAILED:
                return False
            raise
        return True

    def stats_rows(self, days: list[str], unit_id: str | None) -> tuple[list[tuple[str, dict[str, int]]], int]:
        """Daily counter rows (one per unit and day); never reads cases. Also returns items read."""
        rows: list[tuple[str, dict[str, int]]] = []
        read = 0
        for day in days:
            condition = "PK = :pk" + (" AND SK = :sk" if unit_id else "")
            values = {":pk": f"STATS#{day}", **({":sk": f"UNIT#{unit_id}"} if unit_id else {})}
            for page in self.table.pages(
                KeyConditionExpression=condition, ExpressionAttributeValues=self.table.codec.item(values)
            ):
                read += int(page.get("ScannedCount", 0))
                for raw in page.get("Items", []):
                    item = self.table.codec.plain(raw)
                    rows.append((item["unit_id"], {k: v for k, v in item.items() if isinstance(v, int)}))
        return rows, read
