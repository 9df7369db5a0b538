"""Staff account statuses on the single table (`ACCOUNT#<username>` / `STATUS`): the revocation list
that every staff request reads (through a 60 s cache), because a Cognito ID token stays valid until it
expires even after the user is disabled and signed out.

The write is conditional on a change of status: a retried disable finds the item already DISABLED and
changes nothing (who disabled it, and when, stay the first writer's).
"""

from __future__ import annotations

from datetime import datetime

from minyi.adapters.dynamo.table import Table
from minyi.domain.accounts import AccountStatus


class DynamoAccountStatuses:
    """`minyi.ports.AccountStatuses` on the single table."""

    def __init__(self, table: Table):
        self.table = table

    @staticmethod
    def _keys(username: str) -> dict[str, str]:
        return {"PK": f"ACCOUNT#{username}", "SK": "STATUS"}

    def status(self, username: str) -> AccountStatus | None:
        keys = self._keys(username)
        item = self.table.get(keys["PK"], keys["SK"], consistent=True)
        if not item:
            return None
        try:
            return AccountStatus(str(item.get("status")))
        except ValueError:
            return AccountStatus.DISABLED  # an unreadable record closes the door rather than open it

    def record(self, username: str, status: AccountStatus, by: str, at: datetime) -> None:
        codec = self.table.codec
        ddb = self.table.ddb
        try:
            ddb.update_item(
                TableName=self.table.name,
                Key=codec.item(self._keys(username)),
                UpdateExpression="SET #status = :status, changed_at = :at, changed_by = :by, entity = :entity",
                ConditionExpression="attribute_not_exists(#status) OR #status <> :status",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=codec.item(
                    {":status": status.value, ":at": at.isoformat(), ":by": by, ":entity": "account_status"}
                ),
            )
        except ddb.exceptions.ConditionalCheckFailedException:
            return  # already recorded: a retry
