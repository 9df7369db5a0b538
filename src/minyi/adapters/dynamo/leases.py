"""Exclusive leases on the single table (`LEASE#<name>` / `LEASE`): what keeps the scheduled sweep from
overlapping itself without reserved concurrency (a reservation of 1 fails the stack on a new account whose
concurrency quota is 10, since 100 must stay unreserved, and takes capacity from every other function).

One `UpdateItem` takes the lease when it is absent or its `lease_until` has passed, so of two runs at once
exactly one succeeds; the loser ends at once. Release is another `UpdateItem` conditioned on the holder
(a run whose lease expired and was taken over releases nothing). No `DeleteItem`: the sweep's role is never
granted it. The item also expires with the table's TTL (`expires_at`) a day after its lease, but since TTL
deletion is lazy, the lease is judged by `lease_until` alone.
"""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta

from minyi.adapters.dynamo.table import Table
from minyi.ports import Lease

#: How long an ended lease's item stays before the table's TTL may delete it.
KEEP_AFTER = timedelta(days=1)


class DynamoLeases:
    """`minyi.ports.Leases` on the single table."""

    def __init__(self, table: Table):
        self.table = table

    @staticmethod
    def _key(lease: Lease) -> dict[str, dict[str, str]]:
        return {"PK": {"S": f"LEASE#{lease.value}"}, "SK": {"S": "LEASE"}}

    def acquire(self, lease: Lease, holder: str, now: datetime, until: datetime) -> bool:
        ddb = self.table.ddb
        try:
            ddb.update_item(
                TableName=self.table.name,
                Key=self._key(lease),
                UpdateExpression="SET holder = :holder, lease_until = :until, expires_at = :expires, entity = :entity",
                ConditionExpression="attribute_not_exists(lease_until) OR lease_until <= :now",
                ExpressionAttributeValues={
                    ":holder": {"S": holder},
                    ":until": {"N": str(int(until.timestamp()))},
                    ":now": {"N": str(int(now.timestamp()))},
                    ":expires": {"N": str(int((until + KEEP_AFTER).timestamp()))},
                    ":entity": {"S": "lease"},
                },
            )
        except ddb.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def release(self, lease: Lease, holder: str) -> None:
        ddb = self.table.ddb
        # a lease that expired and was taken over by another run is theirs now: nothing to release
        with contextlib.suppress(ddb.exceptions.ConditionalCheckFailedException):
            ddb.update_item(
                TableName=self.table.name,
                Key=self._key(lease),
                UpdateExpression="SET lease_until = :free",
                ConditionExpression="holder = :holder",
                ExpressionAttributeValues={":holder": {"S": holder}, ":free": {"N": "0"}},
            )
