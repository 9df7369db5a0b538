"""The Open311 open-data feed and the idempotency records of Open311 submissions.

  O311REQ#<yyyy-mm> / <requested time>#<case id>           a case as a public GeoReport request
  O311UPD#<yyyy-mm> / <time>#<case id>#<update id>         one public status change
  O311IDEM#<sha-256 of key, device, token> / IDEM          one idempotent POST (24 h TTL)

The feed is written from the table's stream (functions/projections/app.py) and holds only public fields,
so the open-data queries never read a case item (which carries the phone). Partitions are months of
UTC time: a 90-day query reads at most four, newest or oldest first as asked.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from minyi.adapters.dynamo.cases import sort_time
from minyi.adapters.dynamo.table import Table
from minyi.open311.mapping import month_of
from minyi.open311.model import PublicRequest, PublicUpdate, SubmissionClaim


def months(start: datetime, end: datetime) -> list[str]:
    """Every UTC month from start's to end's, oldest first."""
    first, last = start.astimezone(UTC), end.astimezone(UTC)
    year, month = first.year, first.month
    out: list[str] = []
    while (year, month) <= (last.year, last.month):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


class DynamoOpen311Repository:
    """`minyi.ports.Open311Repository` on the single table."""

    def __init__(self, table: Table):
        self.table = table

    # --- the feed ------------------------------------------------------------------------------

    def put_request(self, request: PublicRequest, version: int) -> bool:
        item = {
            "PK": f"O311REQ#{month_of(request.requested_datetime)}",
            "SK": f"{sort_time(request.requested_datetime)}#{request.case_id}",
            "entity": "open311_request",
            "status": request.status,
            "service_code": request.service_code,
            "version": version,
            "doc": request.model_dump_json(),
        }
        ddb = self.table.ddb
        try:
            ddb.put_item(
                TableName=self.table.name,
                Item=self.table.codec.item(item),
                ConditionExpression="attribute_not_exists(PK) OR version <= :v",
                ExpressionAttributeValues={":v": {"N": str(version)}},
            )
        except ddb.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def put_update(self, update: PublicUpdate) -> None:
        item = {
            "PK": f"O311UPD#{month_of(update.updated_datetime)}",
            "SK": f"{sort_time(update.updated_datetime)}#{update.case_id}#{update.update_id}",
            "entity": "open311_update",
            "doc": update.model_dump_json(),
        }
        self.table.ddb.put_item(TableName=self.table.name, Item=self.table.codec.item(item))

    def _range(
        self,
        prefix: str,
        start: datetime,
        end: datetime,
        newest_first: bool,
        filter_values: dict[str, str] | None = None,
        **extra: Any,
    ) -> Iterator[dict[str, Any]]:
        partitions = months(start, end)
        for month in reversed(partitions) if newest_first else partitions:
            values = {":pk": f"{prefix}{month}", ":from": sort_time(start), ":to": f"{sort_time(end)}~"}
            values.update(filter_values or {})
            yield from self.table.query_all(
                KeyConditionExpression="PK = :pk AND SK BETWEEN :from AND :to",
                ExpressionAttributeValues=self.table.codec.item(values),
                ScanIndexForward=not newest_first,
                **extra,
            )

    def requests(
        self,
        start: datetime,
        end: datetime,
        service_codes: Sequence[str] | None,
        statuses: Sequence[str] | None,
        offset: int,
        limit: int,
    ) -> list[PublicRequest]:
        filters: list[str] = []
        values: dict[str, str] = {}
        names: dict[str, str] = {}
        if service_codes:
            names["#code"] = "service_code"
            keys = [f":code{i}" for i in range(len(service_codes))]
            values.update(zip(keys, service_codes, strict=True))
            filters.append(f"#code IN ({', '.join(keys)})")
        if statuses:
            names["#status"] = "status"
            keys = [f":status{i}" for i in range(len(statuses))]
            values.update(zip(keys, statuses, strict=True))
            filters.append(f"#status IN ({', '.join(keys)})")
        extra: dict[str, Any] = {}
        if filters:
            extra = {"FilterExpression": " AND ".join(filters), "ExpressionAttributeNames": names}
        out: list[PublicRequest] = []
        skipped = 0
        for item in self._range("O311REQ#", start, end, True, values, **extra):
            if skipped < offset:
                skipped += 1
                continue
            out.append(PublicRequest.model_validate_json(item["doc"]))
            if len(out) >= limit:
                break
        return out

    def updates(self, start: datetime, end: datetime, offset: int, limit: int) -> list[PublicUpdate]:
        out: list[PublicUpdate] = []
        for index, item in enumerate(self._range("O311UPD#", start, end, False)):
            if index < offset:
                continue
            out.append(PublicUpdate.model_validate_json(item["doc"]))
            if len(out) >= limit:
                break
        return out

    # --- idempotent submissions ----------------------------------------------------------------

    def _idem_key(self, key: str) -> dict[str, Any]:
        return self.table.codec.item({"PK": f"O311IDEM#{key}", "SK": "IDEM"})

    def claim(
        self, key: str, fingerprint: str, now: datetime, stale_before: datetime, expires_at: int
    ) -> SubmissionClaim | None:
        ddb = self.table.ddb
        item = {
            "PK": f"O311IDEM#{key}",
            "SK": "IDEM",
            "entity": "open311_submission",
            "fingerprint": fingerprint,
            "claimed_at": sort_time(now),
            "expires_at": expires_at,
        }
        try:
            ddb.put_item(
                TableName=self.table.name,
                Item=self.table.codec.item(item),
                ConditionExpression=(
                    "attribute_not_exists(PK) OR (attribute_not_exists(case_id) AND claimed_at < :stale)"
                ),
                ExpressionAttributeValues=self.table.codec.item({":stale": sort_time(stale_before)}),
            )
        except ddb.exceptions.ConditionalCheckFailedException:
            existing = self.table.get(f"O311IDEM#{key}", "IDEM", consistent=True)
            if existing is None:  # expired between the two calls: claim again
                return self.claim(key, fingerprint, now, stale_before, expires_at)
            return SubmissionClaim.model_validate(existing)
        return None

    def complete(self, key: str, case_id: str) -> None:
        self.table.ddb.update_item(
            TableName=self.table.name,
            Key=self._idem_key(key),
            UpdateExpression="SET case_id = :case",
            ExpressionAttributeValues=self.table.codec.item({":case": case_id}),
        )

    def release(self, key: str) -> None:
        ddb = self.table.ddb
        with contextlib.suppress(ddb.exceptions.ConditionalCheckFailedException):
            ddb.delete_item(
                TableName=self.table.name,
                Key=self._idem_key(key),
                ConditionExpression="attribute_not_exists(case_id)",
            )
