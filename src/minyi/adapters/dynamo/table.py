"""What every repository of the single table shares: the item codec, one pagination helper, one
parser for cancelled transactions, and opaque cursors bound to the list they came from.

Single-table layout (keys and indexes in template.yaml):
  CASE#<id> / CASE            the case; GSI1 = citizen's cases, GSI2 = unit inbox, GSI3 = sweep (sparse),
                              GSI4 = supervision list (sparse)                         -> cases.py
  CASE#<id> / ASSIST#<unit>   a copy of the case for a unit asked to help (协办): GSI2 = ASSIST#<unit> -> cases.py
  CASE#<id> / EVENT#<seq>     one timeline event (streamed to notify and the projections) -> cases.py
  TRACK#<tracking_no> / TRACK public tracking number -> case id                       -> cases.py
  CASE#<id> / OUTBOX#...      one SMS notice                                         -> outbox.py
  STATS#<day> / UNIT#<unit>   scoreboard counters                                     -> scoreboard.py
  UPLOAD#<id> / UPLOAD        a presigned attachment upload                           -> uploads.py
  CATALOG / ...               districts, topics, units, routing rules, deadline days  -> catalog.py
  LEASE#<name> / LEASE        a job's exclusive lease (the sweep's)                   -> leases.py
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from minyi.adapters.aws import client
from minyi.domain.errors import ConcurrentUpdate, InvalidInput

CONDITIONAL_CHECK_FAILED = "ConditionalCheckFailed"


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


class Codec:
    """Plain Python values <-> DynamoDB attribute values (floats as Decimal, None dropped)."""

    def __init__(self) -> None:
        from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

        self._ser = TypeSerializer()
        self._de = TypeDeserializer()

    def item(self, plain: dict[str, Any]) -> dict[str, Any]:
        return {k: self._ser.serialize(v) for k, v in _to_ddb(plain).items()}

    def plain(self, item: dict[str, Any]) -> dict[str, Any]:
        return _from_ddb({k: self._de.deserialize(v) for k, v in item.items()})


def cancellation_reasons(exc: Exception) -> list[str]:
    """The per-item codes of a TransactionCanceledException ("None" for items that were fine)."""
    response = getattr(exc, "response", {}) or {}
    return [str(r.get("Code", "None")) for r in response.get("CancellationReasons", [])]


def encode_cursor(key: dict[str, Any] | None) -> str | None:
    if not key:
        return None
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_any_cursor(cursor: str | None) -> dict[str, Any] | None:
    """What a cursor holds (a 400 naming `cursor` when it is no cursor of ours); its list checks the rest."""
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except ValueError as exc:
        raise InvalidInput("cursor", "error.cursor_not_ours") from exc
    if not isinstance(key, dict):
        raise InvalidInput("cursor", "error.cursor_other_list")
    return key


def decode_cursor(cursor: str | None, index: str, partition_value: str) -> dict[str, Any] | None:
    """A cursor is only valid for the list it came from: exactly that index's key, same partition."""
    if not cursor:
        return None
    expected = {"PK", "SK", f"{index}PK", f"{index}SK"}
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except ValueError as exc:
        raise InvalidInput("cursor", "error.cursor_not_ours") from exc
    if (
        not isinstance(key, dict)
        or set(key) != expected
        or not all(isinstance(v, str) and v for v in key.values())
        or key[f"{index}PK"] != partition_value
    ):
        raise InvalidInput("cursor", "error.cursor_other_list")
    return key


class Table:
    """The single table: its name, the codec and the calls every repository makes the same way."""

    def __init__(self, name: str):
        self.name = name
        self._codec: Codec | None = None

    @property
    def codec(self) -> Codec:
        if self._codec is None:
            self._codec = Codec()
        return self._codec

    @property
    def ddb(self) -> Any:
        return client("dynamodb")

    def get(self, pk: str, sk: str, consistent: bool = False) -> dict[str, Any] | None:
        resp = self.ddb.get_item(
            TableName=self.name, Key=self.codec.item({"PK": pk, "SK": sk}), ConsistentRead=consistent
        )
        item = resp.get("Item")
        return self.codec.plain(item) if item else None

    def pages(self, **query: Any) -> Iterator[dict[str, Any]]:
        """Every page of a query (follows LastEvaluatedKey); each page is the raw response."""
        kwargs: dict[str, Any] = {"TableName": self.name, **query}
        while True:
            resp = self.ddb.query(**kwargs)
            yield resp
            if "LastEvaluatedKey" not in resp:
                return
            kwargs["ExclusiveStartKey"] = resp["LastEvaluatedKey"]

    def query_all(self, **query: Any) -> Iterator[dict[str, Any]]:
        """Every item of a query, as plain values."""
        for page in self.pages(**query):
            for raw in page.get("Items", []):
                yield self.codec.plain(raw)

    def page_of(self, limit: int, cursor: str | None, **query: Any) -> tuple[list[dict[str, Any]], str | None]:
        """Up to `limit` items of an index query from `cursor` on, and the cursor of the next page."""
        index = query["IndexName"]
        partition = self.codec.plain(query["ExpressionAttributeValues"])[":pk"]
        start = decode_cursor(cursor, index, partition)
        items: list[dict[str, Any]] = []
        while True:
            kwargs: dict[str, Any] = {"TableName": self.name, "Limit": limit - len(items), **query}
            if start:
                kwargs["ExclusiveStartKey"] = self.codec.item(start)
            try:
                resp = self.ddb.query(**kwargs)
            except self.ddb.exceptions.ClientError as exc:
                if start and exc.response.get("Error", {}).get("Code") == "ValidationException":
                    raise InvalidInput("cursor", "error.cursor_other_list") from exc
                raise
            items.extend(self.codec.plain(i) for i in resp.get("Items", []))
            last = resp.get("LastEvaluatedKey")
            start = self.codec.plain(last) if last else None
            if not start or len(items) >= limit:
                return items, encode_cursor(start)

    def transact(self, items: list[dict[str, Any]]) -> None:
        """All or nothing; a failed condition anywhere is a ConcurrentUpdate (the caller re-reads)."""
        try:
            self.ddb.transact_write_items(TransactItems=items)
        except self.ddb.exceptions.TransactionCanceledException as exc:
            reasons = cancellation_reasons(exc)
            if CONDITIONAL_CHECK_FAILED in reasons:
                raise ConcurrentUpdate("error.concurrent.transaction_cancelled", reasons=str(reasons)) from exc
            raise
