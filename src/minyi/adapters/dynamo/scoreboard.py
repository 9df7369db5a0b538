"""Scoreboard counters, added to exactly once per timeline event.

Layout (daily counters partitioned by month, so any period is one read per month it touches):
  STATS#D#<yyyy-mm> / <yyyy-mm-dd>#UNIT#<unit>   a unit's counts for one day
  STATS#GAUGE       / UNIT#<unit>                 a unit's cases open past their deadline, now
The event item is marked counted in the same transaction, so a redelivered stream record adds nothing.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from minyi.adapters.dynamo.table import CONDITIONAL_CHECK_FAILED, Table, cancellation_reasons
from minyi.domain.models import TimelineEvent
from minyi.domain.scoreboard import OPEN_OVERDUE, spans

GAUGE_PARTITION = "STATS#GAUGE"


def daily_key(day: str, unit_id: str) -> dict[str, str]:
    return {"PK": f"STATS#D#{day[:7]}", "SK": f"{day}#UNIT#{unit_id}"}


class DynamoScoreboardRepository:
    """`minyi.ports.ScoreboardRepository` on the single table."""

    def __init__(self, table: Table):
        self.table = table

    def _add(self, key: dict[str, str], unit_id: str, counts: dict[str, int], period: str) -> dict[str, Any]:
        names = {f"#{k}": k for k in counts}
        add = ", ".join(f"#{k} :{k}" for k in counts)
        values = {f":{k}": v for k, v in counts.items()}
        return {
            "Update": {
                "TableName": self.table.name,
                "Key": self.table.codec.item(key),
                "UpdateExpression": f"SET unit_id = :unit, #period = :period, entity = :entity ADD {add}",
                "ExpressionAttributeNames": {**names, "#period": "period"},
                "ExpressionAttributeValues": self.table.codec.item(
                    {**values, ":unit": unit_id, ":period": period, ":entity": "stats"}
                ),
            }
        }

    def count_event(
        self,
        event: TimelineEvent,
        day: str,
        unit_id: str,
        counts: dict[str, int],
        now: datetime,
        gauges: dict[str, int] | None = None,
    ) -> bool:
        """Add the event's counts to its unit's day, and move the open-overdue gauges,
        exactly once. False if the event was counted before (a redelivered stream record)."""
        codec = self.table.codec
        items: list[dict[str, Any]] = [
            {
                "Update": {
                    "TableName": self.table.name,
                    "Key": codec.item({"PK": f"CASE#{event.case_id}", "SK": f"EVENT#{event.seq:05d}"}),
                    "UpdateExpression": "SET counted_at = :now",
                    "ConditionExpression": "attribute_exists(PK) AND attribute_not_exists(counted_at)",
                    "ExpressionAttributeValues": codec.item({":now": now.isoformat()}),
                }
            }
        ]
        if counts:
            items.append(self._add(daily_key(day, unit_id), unit_id, counts, day))
        for gauge_unit, change in (gauges or {}).items():
            items.append(
                self._add(
                    {"PK": GAUGE_PARTITION, "SK": f"UNIT#{gauge_unit}"}, gauge_unit, {OPEN_OVERDUE: change}, "now"
                )
            )
        ddb = self.table.ddb
        try:
            ddb.transact_write_items(TransactItems=items)
        except ddb.exceptions.TransactionCanceledException as exc:
            reasons = cancellation_reasons(exc)
            if reasons and reasons[0] == CONDITIONAL_CHECK_FAILED:
                return False
            raise
        return True

    def stats_rows(
        self, day_from: date, day_to: date, unit_id: str | None
    ) -> tuple[list[tuple[str, dict[str, int]]], int]:
        """(unit, counts) rows covering the period, one query per month, and the number of read
        requests it took. Never reads cases."""
        rows: list[tuple[str, dict[str, int]]] = []
        requests = 0
        for span in spans(day_from, day_to):
            query: dict[str, Any] = {
                "KeyConditionExpression": "PK = :pk AND SK BETWEEN :first AND :last",
                "ExpressionAttributeValues": {
                    ":pk": f"STATS#D#{span.partition}",
                    ":first": f"{span.first}#",
                    ":last": f"{span.last}#~",
                },
            }
            if unit_id is not None:
                query["FilterExpression"] = "unit_id = :unit"
                query["ExpressionAttributeValues"][":unit"] = unit_id
            query["ExpressionAttributeValues"] = self.table.codec.item(query["ExpressionAttributeValues"])
            for page in self.table.pages(**query):
                requests += 1
                for raw in page.get("Items", []):
                    item = self.table.codec.plain(raw)
                    rows.append((item["unit_id"], {k: v for k, v in item.items() if isinstance(v, int)}))
        return rows, requests

    def open_overdue(self, unit_id: str | None) -> dict[str, int]:
        """Each unit's cases open past their deadline, now."""
        if unit_id is not None:
            item = self.table.get(GAUGE_PARTITION, f"UNIT#{unit_id}")
            return {unit_id: int(item.get(OPEN_OVERDUE, 0))} if item else {}
        return {
            item["unit_id"]: int(item.get(OPEN_OVERDUE, 0))
            for item in self.table.query_all(
                KeyConditionExpression="PK = :pk", ExpressionAttributeValues={":pk": {"S": GAUGE_PARTITION}}
            )
        }
