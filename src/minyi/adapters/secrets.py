"""Secrets the platform generates for itself (AWS Secrets Manager), read once per container."""

from __future__ import annotations

from functools import cache

from minyi.adapters.aws import client


@cache
def secret_bytes(secret_id: str) -> bytes:
    """The secret's value; cached for the container's life (rotation takes a new container)."""
    value = client("secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"]
    return str(value).encode()
