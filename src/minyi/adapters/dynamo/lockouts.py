"""Wrong public-tracking guesses per client and per tracking number (`TRACKLOCK#<scope>#<key>` / `LOCK`).

Each counter is one item: `failures` in the window that ends at `window_ends`, and `last_at`, when the
latest guess was charged. A guess is charged *before* its digits are checked, by one `UpdateItem`
(`ADD failures`) whose condition refuses once the budget is spent, so a burst of parallel guesses lets
through at most the budget, whatever the timing; a right guess is refunded (`ADD failures -1`). The
guess that spends the budget locks the counter until `last_at + lock`. A spent window whose lock is
over, or a window that ended, is restarted by another conditional update (never a blind put), so two
callers cannot both restart it.

A client's address is stored hashed (it is personal data under PIPL and only ever compared); the item
expires with the table's TTL (`expires_at`), and since TTL deletion is lazy, times are read from the
item, never from its presence.
"""

from __future__ import annotations

import contextlib
import hashlib
from datetime import datetime, timedelta
from typing import Any

from minyi.adapters.dynamo.table import Table
from minyi.ports import GuessBudget, GuessCharge, GuessScope

#: Rounds of charge, read and restart before a charge gives up (each lost round means another
#: caller changed the counter meanwhile; a caller that gives up is refused for a second).
CHARGE_ROUNDS = 5


class DynamoTrackingLockouts:
    """`minyi.ports.TrackingLockouts` on the single table."""

    def __init__(self, table: Table):
        self.table = table

    @staticmethod
    def _keys(scope: GuessScope, key: str) -> dict[str, str]:
        if scope is GuessScope.CLIENT:
            key = hashlib.sha256(key.encode()).hexdigest()[:32]
        return {"PK": f"TRACKLOCK#{scope.value}#{key}", "SK": "LOCK"}

    def charge(self, scope: GuessScope, key: str, now: datetime, budget: GuessBudget) -> GuessCharge:
        codec = self.table.codec
        ddb = self.table.ddb
        keys = codec.item(self._keys(scope, key))
        now_s = int(now.timestamp())
        window_s, lock_s = int(budget.window.total_seconds()), int(budget.lock.total_seconds())
        values = {
            ":one": 1,
            ":now": now_s,
            ":limit": budget.limit,
            ":window_ends": now_s + window_s,
            ":expires": now_s + max(window_s, lock_s),
            ":entity": "lockout",
        }
        for _ in range(CHARGE_ROUNDS):
            try:
                resp = ddb.update_item(
                    TableName=self.table.name,
                    Key=keys,
                    UpdateExpression=(
                        "ADD failures :one SET window_ends = if_not_exists(window_ends, :window_ends),"
                        " last_at = :now, expires_at = :expires, entity = :entity"
                    ),
                    ConditionExpression="attribute_not_exists(failures) OR (window_ends > :now AND failures < :limit)",
                    ExpressionAttributeValues=codec.item(values),
                    ReturnValues="ALL_NEW",
                )
                return self._charged(codec.plain(resp["Attributes"]), now, budget)
            except ddb.exceptions.ConditionalCheckFailedException:
                pass
            item = self.table.get(keys["PK"]["S"], "LOCK", consistent=True)
            if item is None:
                continue  # deleted by TTL meanwhile: charge again
            failures, last_at = int(item["failures"]), int(item["last_at"])
            spent = failures >= budget.limit
            if spent and last_at + lock_s > now_s:
                return GuessCharge(allowed=False, last=False, until=_at(last_at + lock_s, now))
            if not spent and int(item["window_ends"]) > now_s:
                continue  # a refund came in between: charge again
            try:  # the window ended, or the lock is over: a new window, counting this guess
                resp = ddb.update_item(
                    TableName=self.table.name,
                    Key=keys,
                    UpdateExpression=(
                        "SET failures = :one, window_ends = :window_ends, last_at = :now,"
                        " expires_at = :expires, entity = :entity"
                    ),
                    ConditionExpression=(
                        "(failures < :limit AND window_ends <= :now) OR (failures >= :limit AND last_at <= :lock_start)"
                    ),
                    ExpressionAttributeValues=codec.item(values | {":lock_start": now_s - lock_s}),
                    ReturnValues="ALL_NEW",
                )
                return self._charged(codec.plain(resp["Attributes"]), now, budget)
            except ddb.exceptions.ConditionalCheckFailedException:
                continue  # another caller restarted it first
        return GuessCharge(allowed=False, last=False, until=now + timedelta(seconds=1))

    @staticmethod
    def _charged(item: dict[str, Any], now: datetime, budget: GuessBudget) -> GuessCharge:
        last = int(item["failures"]) >= budget.limit
        ends = int(item["last_at"]) + int(budget.lock.total_seconds()) if last else int(item["window_ends"])
        return GuessCharge(allowed=True, last=last, until=_at(ends, now))

    def refund(self, scope: GuessScope, key: str, now: datetime) -> None:
        codec = self.table.codec
        ddb = self.table.ddb
        # nothing to give back when the counter expired or restarted meanwhile
        with contextlib.suppress(ddb.exceptions.ConditionalCheckFailedException):
            ddb.update_item(
                TableName=self.table.name,
                Key=codec.item(self._keys(scope, key)),
                UpdateExpression="ADD failures :minus_one",
                ConditionExpression="failures > :zero",
                ExpressionAttributeValues=codec.item({":minus_one": -1, ":zero": 0}),
            )


def _at(epoch_s: int, now: datetime) -> datetime:
    return datetime.fromtimestamp(epoch_s, tz=now.tzinfo)
