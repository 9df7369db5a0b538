"""What Open311 shows of the platform: public shapes only (no phone, name, address or internal note)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from minyi.domain.base import Model

GeoStatus = Literal["open", "closed"]


class ApiKey(Model):
    """An Open311 client's key. Only a hash of its secret is stored; the key itself is shown once."""

    key_id: str
    name: str
    secret_hash: str
    created_at: datetime
    created_by: str
    revoked_at: datetime | None = None
    submitted: int = 0
    last_used_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class PublicNote(Model):
    """One public step of a case's timeline (the `notes` extension): platform text, never free text."""

    datetime: datetime
    type: str
    summary: str
    description: str


class PublicRequest(Model):
    """A case as a GeoReport service request. `case_id` is internal (the token), never a field."""

    case_id: str
    service_request_id: str
    status: GeoStatus
    status_notes: str | None = None
    service_name: str | None = None
    service_code: str
    description: str | None = None
    agency_responsible: str | None = None
    service_notice: str | None = None
    requested_datetime: datetime
    updated_datetime: datetime | None = None
    expected_datetime: datetime | None = None
    address: str | None = None
    lat: float | None = None
    long: float | None = None
    media_url: str | None = None
    # --- the `extensions=true` view ---
    channel: str
    category: str
    district: str
    reopen_count: int = 0
    supervised: bool = False
    notes: list[PublicNote] = Field(default_factory=list)
    #: Internal (never a field): the description is the citizen's to publish. Feed entries stored
    #: before this mark existed read as private (`mapping.as_published`).
    public: bool = False


class PublicUpdate(Model):
    """One public status change (the service request updates extension)."""

    update_id: str
    service_request_id: str
    status: GeoStatus
    updated_datetime: datetime
    description: str
    external_status_code: str
    case_id: str


class AttributeValue(Model):
    key: str
    name: str


class ServiceAttribute(Model):
    variable: bool = True
    code: str
    datatype: Literal["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"]
    required: bool
    datatype_description: str | None = None
    order: int
    description: str
    values: list[AttributeValue] = Field(default_factory=list)


class Service(Model):
    service_code: str
    service_name: str
    description: str | None = None
    metadata: bool = True
    type: Literal["realtime", "batch", "blackbox"] = "realtime"
    keywords: str | None = None
    group: str | None = None


class ServiceDefinition(Model):
    service_code: str
    attributes: list[ServiceAttribute]


class Endpoint(Model):
    specification: str
    url: str
    changeset: datetime
    type: Literal["production", "test"]
    formats: list[str]


class Discovery(Model):
    changeset: datetime
    contact: str
    key_service: str
    endpoints: list[Endpoint]


class Submitted(Model):
    """The answer to a POST: the public number, the token and the notice."""

    service_request_id: str
    token: str
    service_notice: str
    account_id: str | None = None


class TokenAnswer(Model):
    service_request_id: str
    token: str


class SubmissionClaim(Model):
    """An idempotent POST in flight or done: which parameters it had and the case it made."""

    fingerprint: str
    claimed_at: datetime
    case_id: str | None = None


class IssuedKey(Model):
    """A new key as its admin sees it once: the key itself is never shown again."""

    key: ApiKey
    api_key: str
