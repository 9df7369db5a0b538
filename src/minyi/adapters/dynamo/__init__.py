"""DynamoDB adapters: one repository per aggregate over the single table (layout in `table.py`)."""

from minyi.adapters.dynamo.cases import SWEEP_SHARDS, DynamoCaseRepository, case_keys, sort_time, sweep_shard
from minyi.adapters.dynamo.catalog import DynamoCatalogRepository
from minyi.adapters.dynamo.lockouts import DynamoTrackingLockouts
from minyi.adapters.dynamo.outbox import DynamoOutboxRepository
from minyi.adapters.dynamo.scoreboard import DynamoScoreboardRepository
from minyi.adapters.dynamo.table import Table
from minyi.adapters.dynamo.uploads import DynamoUploadRepository

__all__ = [
    "SWEEP_SHARDS",
    "DynamoCaseRepository",
    "DynamoCatalogRepository",
    "DynamoOutboxRepository",
    "DynamoScoreboardRepository",
    "DynamoTrackingLockouts",
    "DynamoUploadRepository",
    "Table",
    "case_keys",
    "sort_time",
    "sweep_shard",
]
