"""Ports: what the services need from the outside world, as Protocols.

Services depend on these and never on boto3 or a concrete adapter, so a service test passes an
in-memory fake (`tests/fakes.py`) instead of patching module globals, and `minyi.bootstrap` is the
one place that decides which adapter stands behind each port.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from minyi.domain.lifecycle import Transition
from minyi.domain.models import (
    Case,
    CaseStatus,
    Catalog,
    ExecutionStatus,
    OutboxEntry,
    OutboxStatus,
    RoutingRule,
    TimelineEvent,
    TrackingEntry,
    Upload,
    WorkflowWait,
)
from minyi.domain.notices import Notice

#: A page of a list and the opaque cursor of the next page (None on the last page).
Page = tuple[list[Case], str | None]


class SmsError(Exception):
    """The SMS provider did not accept the message; safe to retry."""


class Clock(Protocol):
    def __call__(self) -> datetime:
        """The current time, timezone-aware (UTC)."""
        ...


class CaseRepository(Protocol):
    """Cases, their timelines and tracking numbers. Every write is conditional and atomic with its events."""

    def create_case(self, transition: Transition, tracking_phone_last4: str, upload_ids: Sequence[str]) -> None:
        """Case, first events, tracking number and the claim on each upload, all or nothing.
        Raises ConcurrentUpdate when a key exists or an upload was claimed meanwhile."""
        ...

    def save(self, transition: Transition) -> Case:
        """The case (if its version is unchanged) and its events atomically; returns the new version.
        Raises ConcurrentUpdate if another writer won."""
        ...

    def park(self, case: Case, wait: WorkflowWait) -> Case:
        """Store the workflow's callback token on the case (version-checked, nothing else rewritten)."""
        ...

    def get_case(self, case_id: str, consistent: bool = True) -> Case | None: ...

    def tracking(self, tracking_no: str) -> TrackingEntry | None: ...

    def list_citizen_cases(self, citizen_id: str, limit: int, cursor: str | None) -> Page: ...

    def list_unit_cases(self, unit_id: str, status: CaseStatus | None, limit: int, cursor: str | None) -> Page: ...

    def list_supervision(self, limit: int, cursor: str | None) -> Page: ...

    def due_for_sweep(self, shard: int, now: datetime, limit: int) -> tuple[list[Case], int]:
        """Cases whose sweep time has come in one shard, and the number of items read for them."""
        ...

    def timeline(self, case_id: str) -> list[TimelineEvent]: ...


class TrackingLockouts(Protocol):
    """Failed public-tracking guesses per tracking number, in fixed windows that expire."""

    def failures(self, tracking_no: str, now: datetime) -> tuple[int, datetime | None]:
        """Failures in the current window and when it ends (0, None when there is none)."""
        ...

    def record_failure(self, tracking_no: str, now: datetime, window: timedelta) -> tuple[int, datetime]:
        """Count one more failure; the count so far in the window and when the window ends."""
        ...


class OutboxRepository(Protocol):
    """One entry per SMS notice (case, event, recipient): what makes sending exactly-once."""

    def claim(self, notice: Notice, now: datetime) -> OutboxStatus | None:
        """Record the notice as PENDING unless it exists; the existing status, or None if new."""
        ...

    def finish(
        self, notice: Notice, status: OutboxStatus, now: datetime, message_id: str | None, error: str | None
    ) -> None:
        """Mark the outcome of a send; SENT is final."""
        ...

    def entries(self, case_id: str) -> list[OutboxEntry]: ...


class ScoreboardRepository(Protocol):
    def count_event(self, event: TimelineEvent, day: str, unit_id: str, counts: dict[str, int], now: datetime) -> bool:
        """Add the counts exactly once; False if the event was counted before."""
        ...

    def stats_rows(self, days: list[str], unit_id: str | None) -> tuple[list[tuple[str, dict[str, int]]], int]:
        """(unit id, counters) per unit and day, and the number of items read."""
        ...


class UploadRepository(Protocol):
    def put(self, upload: Upload) -> None: ...

    def get(self, upload_id: str) -> Upload | None: ...


class CatalogRepository(Protocol):
    def seed(self, catalog: Catalog, rules: Sequence[RoutingRule]) -> None: ...

    def load(self) -> Catalog: ...

    def routing_rule(self, topic: str, district: str) -> RoutingRule | None: ...


class Workflow(Protocol):
    """The case's Step Functions execution."""

    def start(self, case_id: str, execution_name: str | None = None) -> str:
        """Start (or find, when already started) the execution; returns its id."""
        ...

    def status(self, execution_name: str) -> ExecutionStatus | None:
        """None if it never started."""
        ...

    def signal(self, token: str, output: dict[str, Any]) -> bool:
        """Complete a parked task; False when the token is stale or the call failed (the timer heals it)."""
        ...


class AttachmentStore(Protocol):
    def presign_upload(self, key: str, content_type: str, max_size: int, expires_in: int) -> dict[str, Any]:
        """A presigned POST for exactly `key`: {"url", "fields"}."""
        ...

    def stored_object(self, key: str) -> tuple[int, str] | None:
        """(size, content type) of what is stored at `key`, or None."""
        ...

    def first_bytes(self, key: str, count: int) -> bytes:
        """The first `count` bytes of the object (to check its type by its signature)."""
        ...

    def seal(self, source_key: str, evidence_key: str, content_type: str) -> None:
        """Copy an upload to its evidence key, which no upload ticket can write to."""
        ...

    def download_url(self, key: str, expires_in: int, content_type: str, filename: str) -> str:
        """A short-lived URL that downloads the object as an attachment with the given type."""
        ...


class SmsSender(Protocol):
    def send(self, to: str, body: str) -> str:
        """Send `body` to the E.164 number `to`; the provider's message id, or raise SmsError."""
        ...
