"""DynamoDB access for cases, timelines, tracking numbers, uploads and the catalogue.

Single-table design (keys in template.yaml):
  CASE#<id> / CASE            the case; GSI1 = citizen's cases, GSI2 = unit inbox, GSI3 = sweep (sparse)
  CASE#<id> / EVENT#<seq>     one timeline event (streamed to notify and stats)
  TRACK#<tracking_no> / TRACK public tracking number -> case id (unique by conditional put)
  UPLOAD#<id> / UPLOAD        a presigned attachment upload and who may use it
  CATALOG / ...               districts, topics, units, routing rules, deadline days
Every state change is one transaction: the case put conditioned on its version, plus its events.
"""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from minyi.adapters.aws import client
from minyi.domain.errors import ConcurrentUpdate, InvalidInput
from minyi.domain.lifecycle import Transition
from minyi.domain.models import (
    Case,
    CaseStatus,
    Catalog,
    Category,
    RoutingRule,
    TimelineEvent,
    Unit,
    WorkflowWait,
)
from minyi.domain.notices import Notice
from minyi.domain.sweep import next_sweep_at

SWEEP_SHARDS = 4
DISPATCH_QUEUE = "dispatch-centre"


def _to_ddb(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {k: _to_ddb(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_to_ddb(v) for v in value]
    return value


def _from_ddb(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _from_ddb(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_ddb(v) for v in value]
    return value


class _Codec:
    def __init__(self) -> None:
        from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

        self._ser = TypeSerializer()
        self._de = TypeDeserializer()

    def item(self, plain: dict[str, Any]) -> dict[str, Any]:
        return {k: self._ser.serialize(v) for k, v in _to_ddb(plain).items()}

    def plain(self, item: dict[str, Any]) -> dict[str, Any]:
        return _from_ddb({k: self._de.deserialize(v) for k, v in item.items()})


def encode_cursor(key: dict[str, Any] | None) -> str | None:
    if not key:
        return None
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, index: str, partition_value: str) -> dict[str, Any] | None:
    """A cursor is only valid for the list it came from: exactly that index's key, same partition."""
    if not cursor:
        return None
    expected = {"PK", "SK", f"{index}PK", f"{index}SK"}
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except ValueError as exc:
        raise InvalidInput("cursor", "not a cursor returned by this API") from exc
    if (
        not isinstance(key, dict)
        or set(key) != expected
        or not all(isinstance(v, str) and v for v in key.values())
        or key[f"{index}PK"] != partition_value
    ):
        raise InvalidInput("cursor", "not a cursor for this list")
    return key


def sweep_shard(case_id: str) -> int:
    return zlib.crc32(case_id.encode()) % SWEEP_SHARDS


def sort_time(at: datetime) -> str:
    """Index sort keys compare as strings: always UTC, fixed width."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def case_keys(case: Case) -> dict[str, str]:
    """Primary and index keys derived from the case's state (the indexes are sparse by design)."""
    keys = {
        "PK": f"CASE#{case.id}",
        "SK": "CASE",
        "GSI1PK": f"CITIZEN#{case.citizen_id}",
        "GSI1SK": f"{sort_time(case.created_at)}#{case.id}",
    }
    if case.status != CaseStatus.CLOSED:
        owner = case.unit_id or DISPATCH_QUEUE
        keys["GSI2PK"] = f"UNIT#{owner}"
        keys["GSI2SK"] = f"{sort_time(case.due_at or case.created_at)}#{case.id}"
    pending_extension = case.extension is not None and case.extension.status == "pending"
    if case.status != CaseStatus.CLOSED and (case.overdue or case.supervised or case.flagged or pending_extension):
        keys["GSI4PK"] = "SUPERVISION"
        keys["GSI4SK"] = f"{sort_time(case.due_at or case.created_at)}#{case.id}"
    sweep_at = next_sweep_at(case)
    if sweep_at is not None:
        keys["GSI3PK"] = f"DUE#{sweep_shard(case.id)}"
        keys["GSI3SK"] = f"{sort_time(sweep_at)}#{case.id}"
    return keys


class DynamoRepository:
    """Data access for the single table. The only module that knows the item layout."""

    def __init__(self, table_name: str):
        self.table_name = table_name
        self._codec: _Codec | None = None

    @property
    def codec(self) -> _Codec:
        if self._codec is None:
            self._codec = _Codec()
        return self._codec

    @property
    def ddb(self) -> Any:
        return client("dynamodb")

    # --- cases ---------------------------------------------------------------------------------

    def _case_item(self, case: Case) -> dict[str, Any]:
        body = case.model_dump(mode="json", exclude_none=True)
        return self.codec.item({**body, **case_keys(case), "entity": "case"})

    def _event_item(self, event: TimelineEvent) -> dict[str, Any]:
        body = event.model_dump(mode="json", exclude_none=True)
        keys = {"PK": f"CASE#{event.case_id}", "SK": f"EVENT#{event.seq:05d}", "entity": "event"}
        return self.codec.item({**body, **keys})

    def _event_puts(self, events: Iterable[TimelineEvent]) -> list[dict[str, Any]]:
        return [
            {
                "Put": {
                    "TableName": self.table_name,
                    "Item": self._event_item(e),
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            }
            for e in events
        ]

    def create_case(self, transition: Transition, tracking_phone_last4: str, upload_ids: list[str]) -> None:
        """Case, first event, tracking number and the claim on each upload: all or nothing."""
        case = transition.after.model_copy(update={"version": 1})
        items: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self.table_name,
                    "Item": self._case_item(case),
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            },
            {
                "Put": {
                    "TableName": self.table_name,
                    "Item": self.codec.item(
                        {
                            "PK": f"TRACK#{case.tracking_no}",
                            "SK": "TRACK",
                            "entity": "tracking",
                            "case_id": case.id,
                            "phone_last4": tracking_phone_last4,
                        }
                    ),
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            },
            *self._event_puts(transition.events),
        ]
        for upload_id in upload_ids:
            items.append(
                {
                    "Update": {
                        "TableName": self.table_name,
                        "Key": self.codec.item({"PK": f"UPLOAD#{upload_id}", "SK": "UPLOAD"}),
                        "UpdateExpression": "SET case_id = :case",
                        "ConditionExpression": "owner_id = :owner AND attribute_not_exists(case_id)",
                        "ExpressionAttributeValues": self.codec.item({":case": case.id, ":owner": case.citizen_id}),
                    }
                }
            )
        self._transact(items)

    def save(self, transition: Transition) -> Case:
        """Persist a transition: the case (if its version is unchanged) and its events, atomically."""
        before = transition.before
        after = transition.after.model_copy(update={"version": before.version + 1})
        items = [
            {
                "Put": {
                    "TableName": self.table_name,
                    "Item": self._case_item(after),
                    "ConditionExpression": "version = :v",
                    "ExpressionAttributeValues": {":v": {"N": str(before.version)}},
                }
            },
            *self._event_puts(transition.events),
        ]
        self._transact(items)
        return after

    def park(self, case: Case, wait: WorkflowWait) -> Case:
        """Store the workflow's callback token: one version-checked update of two attributes, not a
        rewrite of the whole case in a transaction. The version moves so a writer that read the case
        before the token was stored retries and sees it (and completes the task)."""
        after = case.model_copy(update={"wait": wait, "version": case.version + 1})
        try:
            self.ddb.update_item(
                TableName=self.table_name,
                Key=self.codec.item({"PK": f"CASE#{case.id}", "SK": "CASE"}),
                UpdateExpression="SET #wait = :wait, version = :next",
                ConditionExpression="version = :v",
                ExpressionAttributeNames={"#wait": "wait"},
                ExpressionAttributeValues=self.codec.item(
                    {
                        ":wait": wait.model_dump(mode="json", exclude_none=True),
                        ":next": after.version,
                        ":v": case.version,
                    }
                ),
            )
        except self.ddb.exceptions.ConditionalCheckFailedException as exc:
            raise ConcurrentUpdate("the case changed before the workflow parked") from exc
        return after

    def _transact(self, items: list[dict[str, Any]]) -> None:
        try:
            self.ddb.transact_write_items(TransactItems=items)
        except self.ddb.exceptions.TransactionCanceledException as exc:
            reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
            if "ConditionalCheckFailed" in reasons:
                raise ConcurrentUpdate(f"transaction cancelled: {reasons}") from exc
            raise

    def get_case(self, case_id: str, consistent: bool = True) -> Case | None:
        resp = self.ddb.get_item(
            TableName=self.table_name,
            Key=self.codec.item({"PK": f"CASE#{case_id}", "SK": "CASE"}),
            ConsistentRead=consistent,
        )
        item = resp.get("Item")
        return Case.model_validate(self.codec.plain(item)) if item else None

    def case_id_for_tracking(self, tracking_no: str) -> tuple[str, str] | None:
        resp = self.ddb.get_item(
            TableName=self.table_name, Key=self.codec.item({"PK": f"TRACK#{tracking_no}", "SK": "TRACK"})
        )
        item = resp.get("Item")
        if not item:
            return None
        plain = self.codec.plain(item)
        return plain["case_id"], plain["phone_last4"]

    def list_citizen_cases(self, citizen_id: str, limit: int, cursor: str | None) -> tuple[list[Case], str | None]:
        return self._query_cases(
            IndexName="GSI1",
            KeyConditionExpression="GSI1PK = :pk",
            ExpressionAttributeValues=self.codec.item({":pk": f"CITIZEN#{citizen_id}"}),
            ScanIndexForward=False,
            limit=limit,
            cursor=cursor,
        )

    def list_unit_cases(
        self, unit_id: str, status: CaseStatus | None, limit: int, cursor: str | None
    ) -> tuple[list[Case], str | None]:
        """A unit's open cases, most urgent deadline first (closed cases leave the index)."""
        extra: dict[str, Any] = {}
        values: dict[str, Any] = {":pk": f"UNIT#{unit_id}"}
        if status is not None:
            extra = {"FilterExpression": "#s = :status", "ExpressionAttributeNames": {"#s": "status"}}
            values[":status"] = status.value
        return self._query_cases(
            IndexName="GSI2",
            KeyConditionExpression="GSI2PK = :pk",
            ExpressionAttributeValues=self.codec.item(values),
            ScanIndexForward=True,
            limit=limit,
            cursor=cursor,
            **extra,
        )

    def list_supervision(self, limit: int, cursor: str | None) -> tuple[list[Case], str | None]:
        """Open cases that need a supervisor: overdue, under special supervision, extension pending."""
        return self._query_cases(
            IndexName="GSI4",
            KeyConditionExpression="GSI4PK = :pk",
            ExpressionAttributeValues={":pk": {"S": "SUPERVISION"}},
            ScanIndexForward=True,
            limit=limit,
            cursor=cursor,
        )

    def due_for_sweep(self, shard: int, now: datetime, limit: int) -> tuple[list[Case], int]:
        """Cases whose sweep time has come, from one shard of the sparse due-time index.
        Returns the cases and the number of items DynamoDB read for them."""
        cases: list[Case] = []
        read = 0
        kwargs: dict[str, Any] = {
            "TableName": self.table_name,
            "IndexName": "GSI3",
            "KeyConditionExpression": "GSI3PK = :pk AND GSI3SK <= :now",
            "ExpressionAttributeValues": self.codec.item({":pk": f"DUE#{shard}", ":now": f"{sort_time(now)}~"}),
            "Limit": limit,
        }
        while len(cases) < limit:
            resp = self.ddb.query(**kwargs)
            read += int(resp.get("ScannedCount", resp.get("Count", 0)))
            cases.extend(Case.model_validate(self.codec.plain(i)) for i in resp.get("Items", []))
            if "LastEvaluatedKey" not in resp:
                break
            kwargs["ExclusiveStartKey"] = resp["LastEvaluatedKey"]
        return cases, read

    def _query_cases(self, limit: int, cursor: str | None, **query: Any) -> tuple[list[Case], str | None]:
        index = query["IndexName"]
        partition = self.codec.plain(query["ExpressionAttributeValues"])[":pk"]
        start = decode_cursor(cursor, index, partition)
        cases: list[Case] = []
        while True:
            kwargs: dict[str, Any] = {"TableName": self.table_name, "Limit": limit - len(cases), **query}
            if start:
                kwargs["ExclusiveStartKey"] = self.codec.item(start)
            try:
                resp = self.ddb.query(**kwargs)
            except self.ddb.exceptions.ClientError as exc:
                if start and exc.response.get("Error", {}).get("Code") == "ValidationException":
                    raise InvalidInput("cursor", "not a cursor for this list") from exc
                raise
            cases.extend(Case.model_validate(self.codec.plain(i)) for i in resp.get("Items", []))
            last = resp.get("LastEvaluatedKey")
            start = self.codec.plain(last) if last else None
            if not start or len(cases) >= limit:
                return cases, encode_cursor(start)

    def timeline(self, case_id: str) -> list[TimelineEvent]:
        events: list[TimelineEvent] = []
        kwargs: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": "PK = :pk AND begins_with(SK, :ev)",
            "ExpressionAttributeValues": self.codec.item({":pk": f"CASE#{case_id}", ":ev": "EVENT#"}),
            "ConsistentRead": True,
        }
        while True:
            resp = self.ddb.query(**kwargs)
            events.extend(TimelineEvent.model_validate(self.codec.plain(i)) for i in resp.get("Items", []))
            if "LastEvaluatedKey" not in resp:
                return events
            kwargs["ExclusiveStartKey"] = resp["LastEvaluatedKey"]

    # --- SMS outbox ----------------------------------------------------------------------------

    def claim_notice(self, notice: Notice, now: datetime) -> str | None:
        """Record the notice as PENDING unless it exists. Returns the existing status, or None if new."""
        item = {
            "PK": f"CASE#{notice.case_id}",
            "SK": notice.outbox_key,
            "entity": "outbox",
            "status": "PENDING",
            "attempts": 0,
            "created_at": now.isoformat(),
            **notice.model_dump(mode="json"),
        }
        try:
            self.ddb.put_item(
                TableName=self.table_name,
                Item=self.codec.item(item),
                ConditionExpression="attribute_not_exists(PK)",
            )
            return None
        except self.ddb.exceptions.ConditionalCheckFailedException:
            resp = self.ddb.get_item(
                TableName=self.table_name,
                Key=self.codec.item({"PK": f"CASE#{notice.case_id}", "SK": notice.outbox_key}),
                ConsistentRead=True,
            )
            return str(self.codec.plain(resp.get("Item", {})).get("status", "PENDING"))

    def finish_notice(
        self, notice: Notice, status: str, now: datetime, message_id: str | None, error: str | None
    ) -> None:
        """SENT is final: a late FAILED never overwrites it."""
        names = {"#s": "status"}
        values: dict[str, Any] = {":s": status, ":at": now.isoformat(), ":one": 1, ":sent": "SENT"}
        update = "SET #s = :s, updated_at = :at ADD attempts :one"
        if message_id:
            update = (
                "SET #s = :s, updated_at = :at, provider_message_id = :mid, sent_at = :at "
                "REMOVE last_error ADD attempts :one"
            )
            values[":mid"] = message_id
        if error:
            update = update.replace("updated_at = :at", "updated_at = :at, last_error = :err")
            values[":err"] = error[:500]
        self.ddb.update_item(
            TableName=self.table_name,
            Key=self.codec.item({"PK": f"CASE#{notice.case_id}", "SK": notice.outbox_key}),
            UpdateExpression=update,
            ConditionExpression="#s <> :sent",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=self.codec.item(values),
        )

    def outbox(self, case_id: str) -> list[dict[str, Any]]:
        resp = self.ddb.query(
            TableName=self.table_name,
            KeyConditionExpression="PK = :pk AND begins_with(SK, :o)",
            ExpressionAttributeValues=self.codec.item({":pk": f"CASE#{case_id}", ":o": "OUTBOX#"}),
        )
        return [self.codec.plain(i) for i in resp.get("Items", [])]

    # --- scoreboard ------------------------------------------------------------------------------

    def count_event(self, event: TimelineEvent, day: str, unit_id: str, counts: dict[str, int], now: datetime) -> bool:
        """Add the event's counts to its unit's day exactly once: the event item is marked counted in
        the same transaction. False if it was counted before (a redelivered stream record)."""
        names = {f"#{k}": k for k in counts}
        add = ", ".join(f"#{k} :{k}" for k in counts)
        values = {f":{k}": v for k, v in counts.items()}
        items = [
            {
                "Update": {
                    "TableName": self.table_name,
                    "Key": self.codec.item({"PK": f"CASE#{event.case_id}", "SK": f"EVENT#{event.seq:05d}"}),
                    "UpdateExpression": "SET counted_at = :now",
                    "ConditionExpression": "attribute_exists(PK) AND attribute_not_exists(counted_at)",
                    "ExpressionAttributeValues": self.codec.item({":now": now.isoformat()}),
                }
            },
            {
                "Update": {
                    "TableName": self.table_name,
                    "Key": self.codec.item({"PK": f"STATS#{day}", "SK": f"UNIT#{unit_id}"}),
                    "UpdateExpression": f"SET unit_id = :unit, #day = :day, entity = :entity ADD {add}",
                    "ExpressionAttributeNames": {**names, "#day": "day"},
                    "ExpressionAttributeValues": self.codec.item(
                        {**values, ":unit": unit_id, ":day": day, ":entity": "stats"}
                    ),
                }
            },
        ]
        try:
            self.ddb.transact_write_items(TransactItems=items)
        except self.ddb.exceptions.TransactionCanceledException as exc:
            reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
            if reasons and reasons[0] == "ConditionalCheckFailed":
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
            kwargs: dict[str, Any] = {
                "TableName": self.table_name,
                "KeyConditionExpression": condition,
                "ExpressionAttributeValues": self.codec.item(values),
            }
            while True:
                resp = self.ddb.query(**kwargs)
                read += int(resp.get("ScannedCount", 0))
                for raw in resp.get("Items", []):
                    item = self.codec.plain(raw)
                    rows.append((item["unit_id"], {k: v for k, v in item.items() if isinstance(v, int)}))
                if "LastEvaluatedKey" not in resp:
                    break
                kwargs["ExclusiveStartKey"] = resp["LastEvaluatedKey"]
        return rows, read

    # --- uploads -------------------------------------------------------------------------------

    def put_upload(self, upload: dict[str, Any]) -> None:
        self.ddb.put_item(
            TableName=self.table_name,
            Item=self.codec.item({**upload, "PK": f"UPLOAD#{upload['upload_id']}", "SK": "UPLOAD", "entity": "upload"}),
            ConditionExpression="attribute_not_exists(PK)",
        )

    def get_upload(self, upload_id: str) -> dict[str, Any] | None:
        resp = self.ddb.get_item(
            TableName=self.table_name,
            Key=self.codec.item({"PK": f"UPLOAD#{upload_id}", "SK": "UPLOAD"}),
            ConsistentRead=True,
        )
        return self.codec.plain(resp["Item"]) if "Item" in resp else None

    # --- catalogue -----------------------------------------------------------------------------

    def seed_catalog(self, catalog: Catalog, rules: list[RoutingRule]) -> None:
        items: list[dict[str, Any]] = []
        for code, names in catalog.topics.items():
            items.append({"PK": "CATALOG", "SK": f"TOPIC#{code}", "code": code, **names})
        for code, names in catalog.districts.items():
            items.append({"PK": "CATALOG", "SK": f"DISTRICT#{code}", "code": code, **names})
        for unit in catalog.units.values():
            items.append({"PK": "CATALOG", "SK": f"UNIT#{unit.id}", **unit.model_dump(exclude_none=True)})
        for rule in rules:
            items.append({"PK": "CATALOG", "SK": f"RULE#{rule.topic}#{rule.district}", **rule.model_dump()})
        items.append(
            {"PK": "CATALOG", "SK": "DEADLINES", "days": {c.value: d for c, d in catalog.deadline_days.items()}}
        )
        for i in range(0, len(items), 25):
            chunk = [{"PutRequest": {"Item": self.codec.item(it)}} for it in items[i : i + 25]]
            self.ddb.batch_write_item(RequestItems={self.table_name: chunk})

    def load_catalog(self) -> Catalog:
        """One query for the whole catalogue (a few hundred small items; callers cache it)."""
        topics: dict[str, dict[str, str]] = {}
        districts: dict[str, dict[str, str]] = {}
        units: dict[str, Unit] = {}
        deadline_days: dict[Category, int] = {}
        kwargs: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": "PK = :pk",
            "ExpressionAttributeValues": {":pk": {"S": "CATALOG"}},
        }
        while True:
            resp = self.ddb.query(**kwargs)
            for raw in resp.get("Items", []):
                item = self.codec.plain(raw)
                kind = item["SK"].split("#", 1)[0]
                if kind == "TOPIC":
                    topics[item["code"]] = {"zh": item["zh"], "en": item["en"]}
                elif kind == "DISTRICT":
                    districts[item["code"]] = {"zh": item["zh"], "en": item["en"]}
                elif kind == "UNIT":
                    units[item["id"]] = Unit.model_validate(item)
                elif kind == "DEADLINES":
                    deadline_days = {Category(k): int(v) for k, v in item["days"].items()}
            if "LastEvaluatedKey" not in resp:
                break
            kwargs["ExclusiveStartKey"] = resp["LastEvaluatedKey"]
        return Catalog(
            categories=list(Category), topics=topics, districts=districts, units=units, deadline_days=deadline_days
        )

    def routing_rule(self, topic: str, district: str) -> RoutingRule | None:
        resp = self.ddb.get_item(
            TableName=self.table_name, Key=self.codec.item({"PK": "CATALOG", "SK": f"RULE#{topic}#{district}"})
        )
        return RoutingRule.model_validate(self.codec.plain(resp["Item"])) if "Item" in resp else None
