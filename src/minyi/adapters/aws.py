"""Lazily created boto3 clients, one per service per process (boto3 import costs ~150 ms of cold start).

Nothing here knows about local emulation: the local runtime and the tests configure botocore through
the environment (endpoints, account endpoint mode) the same way any AWS SDK user would.
"""

from __future__ import annotations

from functools import cache
from typing import Any, Final

#: Standard retry mode backs off on throttling; five attempts ride out a short burst.
RETRY_MODE: Final = "standard"
MAX_ATTEMPTS: Final = 5


@cache
def client(service: str) -> Any:
    import boto3
    from botocore.config import Config

    config = Config(retries={"mode": RETRY_MODE, "max_attempts": MAX_ATTEMPTS})
    return boto3.session.Session().client(service, config=config)  # type: ignore[call-overload]


def reset_clients() -> None:
    """Forget cached clients (tests: after moto resets the environment)."""
    client.cache_clear()
