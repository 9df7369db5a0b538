"""Open311 API keys: `o311_<key id>_<secret>`; only a SHA-256 of the secret is kept (pure).

The secret is 256 random bits, so a plain hash is enough (no dictionary to guess from); the key id
finds the record without a scan, and the comparison takes constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

PREFIX = "o311"


def new_key() -> tuple[str, str, str]:
    """(key id, the API key to hand out once, the hash to store)."""
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    return key_id, f"{PREFIX}_{key_id}_{secret}", secret_hash(secret)


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def parse(api_key: str) -> tuple[str, str] | None:
    """(key id, secret) of a well-formed key, else None."""
    prefix, _, rest = api_key.partition("_")
    key_id, _, secret = rest.partition("_")
    if prefix != PREFIX or len(key_id) != 12 or not secret or len(api_key) > 128:
        return None
    return key_id, secret


def matches(secret: str, stored_hash: str) -> bool:
    return hmac.compare_digest(secret_hash(secret), stored_hash)


def fingerprint(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()
