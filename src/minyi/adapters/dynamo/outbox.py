"""The SMS outbox: one item per (case, event, recipient) under the case's partition.

The conditional claim is what makes sending exactly-once: a redelivered stream record finds the
notice SENT and sends nothing; a failed send stays claimed and is retried.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from minyi.adapters.dynamo.table import Table
from minyi.domain.models import OutboxEntry, OutboxStatus
from minyi.domain.notices import Notice

#: The entity name of outbox items (the local runtime's SMS view and the stream filter rely on it).
OUTBOX_ENTITY = "outbox"
MAX_ERROR_LENGTH = 500


class DynamoOutboxRepository:
    """`minyi.ports.OutboxRepository` on the single table."""

    def __init__(self, table: Table):
        self.table = table

    def _key(self, notice: Notice) -> dict[str, Any]:
        return self.table.codec.item({"PK": f"CASE#{notice.case_id}", "SK": notice.outbox_key})

    def claim(self, notice: Notice, now: datetime) -> OutboxStatus | None:
        """Record the notice as PENDING unless it exists. Returns the existing status, or None if new."""
        item = {
            "PK": f"CASE#{notice.case_id}",
            "SK": notice.outbox_key,
            "entity": OUTBOX_ENTITY,
            "status": OutboxStatus.PENDING.value,
            "attempts": 0,
            "created_at": now.isoformat(),
            **notice.model_dump(mode="json"),
        }
        ddb = self.table.ddb
        try:
            ddb.put_item(
                TableName=self.table.name,
                Item=self.table.codec.item(item),
                ConditionExpression="attribute_not_exists(PK)",
            )
            return None
        except ddb.exceptions.ConditionalCheckFailedException:
            existing = self.table.get(f"CASE#{notice.case_id}", notice.outbox_key, consistent=True) or {}
            return OutboxStatus(existing.get("status", OutboxStatus.PENDING))

    def finish(
        self, notice: Notice, status: OutboxStatus, now: datetime, message_id: str | None, error: str | None
    ) -> None:
        """SENT is final: a late FAILED never overwrites it."""
        values: dict[str, Any] = {
            ":s": status.value,
            ":at": now.isoformat(),
            ":one": 1,
            ":sent": OutboxStatus.SENT.value,
        }
        sets = ["#s = :s", "updated_at = :at"]
        removes: list[str] = []
        if message_id:
            sets += ["provider_message_id = :mid", "sent_at = :at"]
            removes.append("last_error")
            values[":mid"] = message_id
        if error:
            sets.append("last_error = :err")
            values[":err"] = error[:MAX_ERROR_LENGTH]
        update = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "") + " ADD attempts :one"
        self.table.ddb.update_item(
            TableName=self.table.name,
            Key=self._key(notice),
            UpdateExpression=update,
            ConditionExpression="#s <> :sent",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues=self.table.codec.item(values),
        )

    def entries(self, case_id: str) -> list[OutboxEntry]:
        return [
            OutboxEntry.model_validate(item)
            for item in self.table.query_all(
                KeyConditionExpression="PK = :pk AND begins_with(SK, :o)",
                ExpressionAttributeValues=self.table.codec.item({":pk": f"CASE#{case_id}", ":o": "OUTBOX#"}),
            )
        ]

    def sent(self) -> list[OutboxEntry]:
        """Every SENT notice in the table, in the order they were sent (the local runtime's `/local/sms`).

        A scan: fine for a developer's embedded table; no deployed function calls it."""
        values = {":o": OUTBOX_ENTITY, ":sent": OutboxStatus.SENT.value}
        kwargs: dict[str, Any] = {
            "TableName": self.table.name,
            "FilterExpression": "entity = :o AND #s = :sent",
            "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": self.table.codec.item(values),
        }
        entries: list[OutboxEntry] = []
        while True:
            resp = self.table.ddb.scan(**kwargs)
            entries.extend(OutboxEntry.model_validate(self.table.codec.plain(i)) for i in resp.get("Items", []))
            if "LastEvaluatedKey" not in resp:
                break
            kwargs["ExclusiveStartKey"] = resp["LastEvaluatedKey"]
        return sorted(entries, key=lambda e: (e.sent_at.isoformat() if e.sent_at else "", e.event_seq, e.kind))
