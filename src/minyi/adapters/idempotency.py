"""`minyi.ports.IdempotencyStore` on DynamoDB: Powertools' persistence layer over the IdempotencyTable
(key `id`, TTL `expiration`), with the adapters' one client factory.

Built on first use: the persistence layer imports boto3, which a cold start should not pay for unless a
request actually carries an Idempotency-Key.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency.persistence.base import BasePersistenceLayer


class DynamoIdempotencyStore:
    def __init__(self, table_name: str):
        self.table_name = table_name

    @cached_property
    def _layer(self) -> BasePersistenceLayer:
        from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

        from minyi.adapters.aws import client

        return DynamoDBPersistenceLayer(table_name=self.table_name, boto3_client=client("dynamodb"))

    def persistence_layer(self) -> BasePersistenceLayer:
        return self._layer
