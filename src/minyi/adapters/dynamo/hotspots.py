"""Hotspot counters (issue 18, 未诉先办): reports per geohash cell, topic and day, added once per event.

Layout on the single table:
  HOT#<yyyy-mm-dd>        / <topic>#<cell>   a cell's day: `reports`, its district, up to
                                             `MAX_CASES_PER_CELL` tracking numbers (and, in the
                                             same order, their case ids), the alert's owner
  HOTCELL#<topic>#<cell>  / <yyyy-mm-dd>     the same count in the cell's own series (its baseline:
                                             the 28 days before a day are one query)
A period's listing reads one partition per day (at most 31), a cell's baseline one query: no scan.
The event item is marked `hotspot_counted_at` in the same transaction as both counters (as the
scoreboard marks `counted_at`), so a redelivered stream record adds nothing. The tracking number is
appended apart, conditioned on the list being short and not holding it yet, so a retry repairs a
crash between the two and never adds it twice.
"""

from __future__ import annotations

import contextlib
from datetime import date, datetime
from typing import Any

from minyi.adapters.dynamo.table import CONDITIONAL_CHECK_FAILED, Table, cancellation_reasons
from minyi.domain.hotspots import MAX_CASES_PER_CELL, CellDay, Report
from minyi.domain.models import TimelineEvent

HOTSPOT_ENTITY = "hotspot"


def day_key(day: date, topic: str, cell: str) -> dict[str, str]:
    return {"PK": f"HOT#{day.isoformat()}", "SK": f"{topic}#{cell}"}


def series_key(day: date, topic: str, cell: str) -> dict[str, str]:
    return {"PK": f"HOTCELL#{topic}#{cell}", "SK": day.isoformat()}


class DynamoHotspotRepository:
    """`minyi.ports.HotspotRepository` on the single table."""

    def __init__(self, table: Table):
        self.table = table

    def count_report(self, event: TimelineEvent, report: Report, now: datetime) -> bool:
        codec = self.table.codec
        marker = {
            "Update": {
                "TableName": self.table.name,
                "Key": codec.item({"PK": f"CASE#{event.case_id}", "SK": f"EVENT#{event.seq:05d}"}),
                "UpdateExpression": "SET hotspot_counted_at = :now",
                "ConditionExpression": "attribute_exists(PK) AND attribute_not_exists(hotspot_counted_at)",
                "ExpressionAttributeValues": codec.item({":now": now.isoformat()}),
            }
        }
        sets = "SET entity = :entity, #day = :day, topic = :topic, cell = :cell"
        values: dict[str, Any] = {
            ":one": 1,
            ":entity": HOTSPOT_ENTITY,
            ":day": report.day.isoformat(),
            ":topic": report.topic,
            ":cell": report.cell,
        }
        if report.district:
            sets += ", district = :district"
            values[":district"] = report.district
        cell_day = {
            "Update": {
                "TableName": self.table.name,
                "Key": codec.item(day_key(report.day, report.topic, report.cell)),
                "UpdateExpression": f"{sets} ADD reports :one",
                "ExpressionAttributeNames": {"#day": "day"},
                "ExpressionAttributeValues": codec.item(values),
            }
        }
        series = {
            "Update": {
                "TableName": self.table.name,
                "Key": codec.item(series_key(report.day, report.topic, report.cell)),
                "UpdateExpression": "SET entity = :entity ADD reports :one",
                "ExpressionAttributeValues": codec.item({":one": 1, ":entity": HOTSPOT_ENTITY}),
            }
        }
        ddb = self.table.ddb
        counted = True
        try:
            ddb.transact_write_items(TransactItems=[marker, cell_day, series])
        except ddb.exceptions.TransactionCanceledException as exc:
            reasons = cancellation_reasons(exc)
            if not (reasons and reasons[0] == CONDITIONAL_CHECK_FAILED):
                raise
            counted = False
        self._keep_case(report)
        return counted

    def _keep_case(self, report: Report) -> None:
        """Append the tracking number, and the case id beside it, while the list is short and does not
        hold it (idempotent)."""
        ddb = self.table.ddb
        # full, already there, or the event was not counted (no such cell's day): nothing to add
        with contextlib.suppress(ddb.exceptions.ConditionalCheckFailedException):
            ddb.update_item(
                TableName=self.table.name,
                Key=self.table.codec.item(day_key(report.day, report.topic, report.cell)),
                UpdateExpression=(
                    "SET cases = list_append(if_not_exists(cases, :empty), :no), "
                    "case_ids = list_append(if_not_exists(case_ids, :empty), :id)"
                ),
                ConditionExpression=(
                    "attribute_exists(PK) AND "
                    "(attribute_not_exists(cases) OR (size(cases) < :max AND NOT contains(cases, :one)))"
                ),
                ExpressionAttributeValues=self.table.codec.item(
                    {
                        ":empty": [],
                        ":no": [report.tracking_no],
                        ":id": [report.case_id],
                        ":one": report.tracking_no,
                        ":max": MAX_CASES_PER_CELL,
                    }
                ),
            )

    @staticmethod
    def _row(item: dict[str, Any]) -> CellDay:
        return CellDay(
            day=date.fromisoformat(item["day"]),
            topic=item["topic"],
            cell=item["cell"],
            district=item.get("district"),
            count=int(item.get("reports", 0)),
            cases=tuple(str(no) for no in item.get("cases", [])),
            case_ids=tuple(str(i) for i in item.get("case_ids", [])),
            alert_owner=(str(item["alert_case"]), int(item["alert_seq"])) if item.get("alert_case") else None,
        )

    def cell_day(self, day: date, topic: str, cell: str) -> CellDay | None:
        key = day_key(day, topic, cell)
        item = self.table.get(key["PK"], key["SK"], consistent=True)
        return self._row(item) if item else None

    def cell_counts(self, topic: str, cell: str, first: date, last: date) -> dict[date, int]:
        pk = series_key(first, topic, cell)["PK"]
        return {
            date.fromisoformat(item["SK"]): int(item.get("reports", 0))
            for item in self.table.query_all(
                KeyConditionExpression="PK = :pk AND SK BETWEEN :first AND :last",
                ExpressionAttributeValues=self.table.codec.item(
                    {":pk": pk, ":first": first.isoformat(), ":last": last.isoformat()}
                ),
            )
        }

    def cells(self, day_from: date, day_to: date, topic: str | None) -> tuple[list[CellDay], int]:
        rows: list[CellDay] = []
        requests = 0
        day = day_from
        while day <= day_to:
            values: dict[str, Any] = {":pk": day_key(day, "", "")["PK"]}
            condition = "PK = :pk"
            if topic is not None:
                condition += " AND begins_with(SK, :topic)"
                values[":topic"] = f"{topic}#"
            for page in self.table.pages(
                KeyConditionExpression=condition, ExpressionAttributeValues=self.table.codec.item(values)
            ):
                requests += 1
                rows.extend(self._row(self.table.codec.plain(raw)) for raw in page.get("Items", []))
            day = date.fromordinal(day.toordinal() + 1)
        return rows, requests

    def claim_alert(self, day: date, topic: str, cell: str, case_id: str, seq: int) -> bool:
        ddb = self.table.ddb
        try:
            ddb.update_item(
                TableName=self.table.name,
                Key=self.table.codec.item(day_key(day, topic, cell)),
                UpdateExpression="SET alert_case = :case, alert_seq = :seq",
                ConditionExpression=(
                    "attribute_exists(PK) AND (attribute_not_exists(alert_case) OR "
                    "(alert_case = :case AND alert_seq = :seq))"
                ),
                ExpressionAttributeValues=self.table.codec.item({":case": case_id, ":seq": seq}),
            )
        except ddb.exceptions.ConditionalCheckFailedException:
            return False
        return True
