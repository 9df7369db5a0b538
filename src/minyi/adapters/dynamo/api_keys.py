"""Open311 API keys in the single table: hashed keys, per-minute rate-limit counters (TTL items).

O311KEYS / KEY#<key id>            one key: name, SHA-256 of its secret, revoked_at, counts
O311RATE#<key id> / MIN#<minute>   requests of one key in one minute; expires two minutes later
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from minyi.adapters.dynamo.table import Table
from minyi.open311.model import ApiKey

KEYS_PK = "O311KEYS"


class DynamoApiKeyRepository:
    """`minyi.ports.ApiKeyRepository` on the single table."""

    def __init__(self, table: Table):
        self.table = table

    def _key(self, key_id: str) -> dict[str, Any]:
        return self.table.codec.item({"PK": KEYS_PK, "SK": f"KEY#{key_id}"})

    def create(self, key: ApiKey) -> None:
        item = {**key.model_dump(mode="json", exclude_none=True), "PK": KEYS_PK, "SK": f"KEY#{key.key_id}"}
        self.table.ddb.put_item(
            TableName=self.table.name,
            Item=self.table.codec.item({**item, "entity": "open311_key"}),
            ConditionExpression="attribute_not_exists(PK)",
        )

    def get(self, key_id: str) -> ApiKey | None:
        item = self.table.get(KEYS_PK, f"KEY#{key_id}", consistent=True)
        return ApiKey.model_validate(item) if item else None

    def list_keys(self) -> list[ApiKey]:
        return [
            ApiKey.model_validate(item)
            for item in self.table.query_all(
                KeyConditionExpression="PK = :pk", ExpressionAttributeValues=self.table.codec.item({":pk": KEYS_PK})
            )
        ]

    def revoke(self, key_id: str, at: datetime) -> ApiKey | None:
        ddb = self.table.ddb
        try:
            resp = ddb.update_item(
                TableName=self.table.name,
                Key=self._key(key_id),
                UpdateExpression="SET revoked_at = if_not_exists(revoked_at, :now)",
                ConditionExpression="attribute_exists(PK)",
                ExpressionAttributeValues=self.table.codec.item({":now": at.isoformat()}),
                ReturnValues="ALL_NEW",
            )
        except ddb.exceptions.ConditionalCheckFailedException:
            return None
        return ApiKey.model_validate(self.table.codec.plain(resp["Attributes"]))

    def take(self, key_id: str, window: int, limit: int, expires_at: int) -> bool:
        ddb = self.table.ddb
        try:
            ddb.update_item(
                TableName=self.table.name,
                Key=self.table.codec.item({"PK": f"O311RATE#{key_id}", "SK": f"MIN#{window}"}),
                UpdateExpression="ADD hits :one SET expires_at = :exp, entity = :entity",
                ConditionExpression="attribute_not_exists(hits) OR hits < :limit",
                ExpressionAttributeValues=self.table.codec.item(
                    {":one": 1, ":exp": expires_at, ":limit": limit, ":entity": "open311_rate"}
                ),
            )
        except ddb.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def count_submission(self, key_id: str, at: datetime) -> None:
        self.table.ddb.update_item(
            TableName=self.table.name,
            Key=self._key(key_id),
            UpdateExpression="ADD submitted :one SET last_used_at = :now",
            ConditionExpression="attribute_exists(PK)",
            ExpressionAttributeValues=self.table.codec.item({":one": 1, ":now": at.isoformat()}),
        )
