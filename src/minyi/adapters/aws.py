"""Lazily created boto3 clients, one per service per process (boto3 import costs ~150 ms of cold start)."""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def client(service: str) -> Any:
    import boto3
    from botocore.config import Config

    # Standard retry mode backs off on throttling; account endpoints off for dynamodbstreams on moto.
    config = Config(retries={"mode": "standard", "max_attempts": 5}, account_id_endpoint_mode="disabled")
    return boto3.session.Session().client(service, config=config)  # type: ignore[call-overload]


def reset_clients() -> None:
    """Forget cached clients (tests: after moto resets the environment)."""
    client.cache_clear()
