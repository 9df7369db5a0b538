"""The admin API for Open311 keys: request and response models, and the views of a key."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from minyi.domain.base import Model
from minyi.open311.model import ApiKey, IssuedKey
from minyi.request_body import StrictBody


class NewKeyBody(StrictBody):
    name: str = Field(min_length=1, max_length=100, description="who the key is for, e.g. the FixMyStreet site")


class KeyView(Model):
    """A key as admins list it: never the key or its hash."""

    key_id: str
    name: str
    created_at: datetime
    created_by: str
    active: bool
    revoked_at: datetime | None = None
    submitted: int = 0
    last_used_at: datetime | None = None


class IssuedKeyView(KeyView):
    api_key: str = Field(description="shown once: only a hash is kept")


class KeyList(Model):
    items: list[KeyView]


def key_view(key: ApiKey) -> KeyView:
    return KeyView(active=key.active, **key.model_dump(exclude={"secret_hash"}))


def issued_view(issued: IssuedKey) -> IssuedKeyView:
    return IssuedKeyView(api_key=issued.api_key, active=True, **issued.key.model_dump(exclude={"secret_hash"}))
