"""DynamoDB adapters: one repository per aggregate over the single table (layout in `table.py`).

The names below are loaded on first use (PEP 562), so a function that needs one repository does
not import the others at cold start; `minyi.bootstrap` imports the submodules directly.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from minyi.adapters.dynamo.cases import SWEEP_SHARDS, DynamoCaseRepository, case_keys, sort_time, sweep_shard
    from minyi.adapters.dynamo.catalog import DynamoCatalogRepository
    from minyi.adapters.dynamo.leases import DynamoLeases
    from minyi.adapters.dynamo.lockouts import DynamoTrackingLockouts
    from minyi.adapters.dynamo.outbox import DynamoOutboxRepository
    from minyi.adapters.dynamo.scoreboard import DynamoScoreboardRepository
    from minyi.adapters.dynamo.table import Table
    from minyi.adapters.dynamo.uploads import DynamoUploadRepository

#: Public name -> the submodule that defines it.
_HOME = {
    "SWEEP_SHARDS": "cases",
    "DynamoCaseRepository": "cases",
    "case_keys": "cases",
    "sort_time": "cases",
    "sweep_shard": "cases",
    "DynamoCatalogRepository": "catalog",
    "DynamoLeases": "leases",
    "DynamoTrackingLockouts": "lockouts",
    "DynamoOutboxRepository": "outbox",
    "DynamoScoreboardRepository": "scoreboard",
    "Table": "table",
    "DynamoUploadRepository": "uploads",
}

__all__ = [
    "SWEEP_SHARDS",
    "DynamoCaseRepository",
    "DynamoCatalogRepository",
    "DynamoLeases",
    "DynamoOutboxRepository",
    "DynamoScoreboardRepository",
    "DynamoTrackingLockouts",
    "DynamoUploadRepository",
    "Table",
    "case_keys",
    "sort_time",
    "sweep_shard",
]


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value
