"""Keep the embedded DynamoDB fast as the table grows (local runtime, integration tests, bench).

moto snapshots every table a transaction touches with a deep copy (items and stream records) before
applying `TransactWriteItems`, so each transaction costs time in proportion to everything ever
written, and a local runtime slows down the longer it runs. This patch skips the snapshot when every
condition of the transaction already holds (checked first, under moto's request lock); any other
transaction - a failing condition, a duplicate key - runs moto's own code with its snapshot and
rollback, so cancellations behave exactly as before. Only a transaction that passes its conditions
and then fails inside moto for another reason (a malformed expression) would not be rolled back.
"""

from __future__ import annotations

import threading
from typing import Any

_installed = False


def install() -> None:
    global _installed
    if _installed:
        return
    _installed = True
    from moto.dynamodb import models

    original = models.DynamoDBBackend.transact_write_items
    real_copy = models.copy
    skip = threading.local()

    class _Copy:
        """Stands in for the `copy` module inside moto.dynamodb.models."""

        def __getattr__(self, name: str) -> Any:
            return getattr(real_copy, name)

        @staticmethod
        def deepcopy(obj: Any, memo: dict[int, Any] | None = None) -> Any:
            if getattr(skip, "active", False) and isinstance(obj, models.Table):
                return obj  # no snapshot: nothing will need rolling back
            return real_copy.deepcopy(obj, memo)

    def transact_write_items(backend: Any, transact_items: list[dict[str, Any]]) -> None:
        try:
            skip.active = _conditions_hold(models, backend, transact_items)
        except Exception:
            skip.active = False
        try:
            original(backend, transact_items)
        finally:
            skip.active = False

    models.copy = _Copy()  # type: ignore[assignment]
    models.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign,assignment]


def _conditions_hold(models: Any, backend: Any, transact_items: list[dict[str, Any]]) -> bool:
    seen: set[tuple[str, str]] = set()
    for entry in transact_items:
        if len(entry) != 1:
            return False
        ((op_type, op),) = entry.items()
        if op_type not in {"Put", "Update", "Delete", "ConditionCheck"}:
            return False
        table = backend.get_table(op["TableName"])
        if op_type == "Put":
            key = {table.hash_key_attr: op["Item"][table.hash_key_attr]}
            if table.range_key_attr is not None:
                key[table.range_key_attr] = op["Item"][table.range_key_attr]
        else:
            key = op["Key"]
        identity = (op["TableName"], repr(sorted(key.items())))
        if identity in seen:
            return False
        seen.add(identity)
        condition = op.get("ConditionExpression")
        if condition is not None:
            check = models.get_filter_expression(
                condition, op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
            )
            if not check.expr(backend.get_item(op["TableName"], key)):
                return False
    return True
