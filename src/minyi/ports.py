"""Ports: what the services need from the outside world, as Protocols.

Services depend on these and never on boto3 or a concrete adapter, so a service test passes an
in-memory fake (`tests/fakes.py`) instead of patching module globals, and `minyi.bootstrap` is the
one place that decides which adapter stands behind each port. The domain types are imported for the
type checker only: every handler imports this module, and the Open311 models alone cost a cold start
60 ms in functions that never use them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias, runtime_checkable

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency.persistence.base import BasePersistenceLayer

    from minyi.domain.accounts import Account, AccountStatus, NewAccount
    from minyi.domain.catalog_doc import CatalogVersion, StoredCatalog
    from minyi.domain.duplicates import OpenCase
    from minyi.domain.hotspots import CellDay, Report
    from minyi.domain.intake_model import TopicModel
    from minyi.domain.lifecycle import Transition
    from minyi.domain.model_registry import InForce, ModelRecord
    from minyi.domain.models import (
        Case,
        CaseStatus,
        Catalog,
        ExecutionStatus,
        OutboxEntry,
        OutboxStatus,
        Role,
        RoutingRule,
        TimelineEvent,
        TrackingEntry,
        Upload,
        WorkflowWait,
    )
    from minyi.domain.notices import Notice, TemplateMessage
    from minyi.open311.model import ApiKey, PublicRequest, PublicUpdate, SubmissionClaim

#: A page of a list and the opaque cursor of the next page (None on the last page).
Page: TypeAlias = "tuple[list[Case], str | None]"


class SmsError(Exception):
    """The SMS provider did not accept the message; safe to retry."""


class SmsProviderError(SmsError):
    """The provider refused the message. `code` is the provider's error code; `retryable` is False when
    sending the same message again cannot succeed (template not approved, invalid number). Raised by every
    SMS adapter (`minyi.adapters.sms`), so it lives with the port they implement."""

    def __init__(self, message: str, code: str, retryable: bool):
        super().__init__(message)
        self.code = code
        self.retryable = retryable


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

    def save(self, transition: Transition, claim_uploads: Sequence[str] = ()) -> Case:
        """The case (if its version is unchanged), its events and the claim on each named upload,
        atomically; returns the new version. Raises ConcurrentUpdate if another writer won."""
        ...

    def save_all(self, transitions: Sequence[Transition]) -> list[Case]:
        """Several cases' transitions (a merge: the merged case and the kept one) all or nothing, each
        case conditioned on its version; the new versions in order. Raises ConcurrentUpdate."""
        ...

    def park(self, case: Case, wait: WorkflowWait) -> Case:
        """Store the workflow's callback token on the case (version-checked, nothing else rewritten)."""
        ...

    def get_case(self, case_id: str, consistent: bool = True) -> Case | None: ...

    def tracking(self, tracking_no: str) -> TrackingEntry | None: ...

    def list_citizen_cases(
        self, citizen_id: str, limit: int, cursor: str | None, status: CaseStatus | None = None
    ) -> Page: ...

    def list_owner_cases(
        self, owner_ids: Sequence[str], limit: int, cursor: str | None, status: CaseStatus | None = None
    ) -> Page:
        """The cases of several owners (a citizen's account and the hotline calls from its mobile) as
        one list, newest first; the cursor is valid for these owners only."""
        ...

    def list_unit_cases(
        self, unit_id: str, status: CaseStatus | None, limit: int, cursor: str | None, assignee: str | None = None
    ) -> Page:
        """A unit's open cases, urgent first, then by deadline; `assignee`: only those given to that person."""
        ...

    def list_assisting(self, unit_id: str, limit: int, cursor: str | None) -> Page:
        """Open cases other units lead and `unit_id` was asked to help on (协办), by deadline."""
        ...

    def list_unit_history(self, unit_id: str, status: CaseStatus, limit: int, cursor: str | None) -> Page:
        """Cases the unit finished (closed or withdrawn), newest first."""
        ...

    def list_supervision(self, limit: int, cursor: str | None) -> Page: ...

    def list_callbacks(self, limit: int, cursor: str | None) -> Page:
        """Hotline cases whose reply waits for the caller's rating (回访), the oldest reply first."""
        ...

    def due_for_sweep(self, shard: int, now: datetime, limit: int) -> tuple[list[Case], int]:
        """Cases whose sweep time has come in one shard, and the number of items read for them."""
        ...

    def timeline(self, case_id: str) -> list[TimelineEvent]: ...


class GuessScope(StrEnum):
    """Whose wrong public-tracking guesses a counter holds."""

    #: one client address (CloudFront's viewer address, else API Gateway's source IP), any number
    CLIENT = "CLIENT"
    #: one tracking number, from anyone
    NUMBER = "NUMBER"
    #: wrong 6-digit rating codes for one tracking number, from anyone (rating and tracking)
    RATING_CODE = "RATING_CODE"


@dataclass(frozen=True)
class GuessBudget:
    """`limit` wrong guesses within `window` of the first; the guess that uses the last of them starts a
    lock of `lock` (no further guess is charged until it ends)."""

    limit: int
    window: timedelta
    lock: timedelta


@dataclass(frozen=True)
class GuessCharge:
    """The answer to charging one guess: `allowed` (else locked until `until`); `last` when this guess
    used the last of the budget, so the lock runs until `until` unless the guess is refunded."""

    allowed: bool
    last: bool
    until: datetime


class TrackingLockouts(Protocol):
    """Wrong public-tracking guesses per client and per tracking number, in windows that expire.

    A guess is charged before its digits are checked, by one conditional update that refuses past the
    limit, so a burst of parallel guesses cannot outrun the count; a right guess is refunded."""

    def charge(self, scope: GuessScope, key: str, now: datetime, budget: GuessBudget) -> GuessCharge:
        """Count one guess against `key`'s budget, unless it is spent (then `allowed` is False)."""
        ...

    def refund(self, scope: GuessScope, key: str, now: datetime) -> None:
        """Give back a charged guess that turned out right (or was never checked)."""
        ...


class Lease(StrEnum):
    """Jobs that must never overlap themselves, each held by one run at a time."""

    #: the scheduled escalation sweep (instead of reserved concurrency 1, which a new account's
    #: concurrency quota can refuse and which takes capacity from every other function)
    SWEEP = "SWEEP"


class Leases(Protocol):
    """Exclusive leases with an expiry: one conditional write takes a lease that is free or expired, so
    of two runs at once exactly one gets it; a run that crashes holding it stops blocking at `until`."""

    def acquire(self, lease: Lease, holder: str, now: datetime, until: datetime) -> bool:
        """Take `lease` for `holder` until `until`, unless another holder has it past `now`; True if taken."""
        ...

    def release(self, lease: Lease, holder: str) -> None:
        """Give `lease` back if `holder` still has it (a lease taken over after expiry is left alone)."""
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
    def count_event(
        self,
        event: TimelineEvent,
        day: str,
        unit_id: str,
        counts: dict[str, int],
        now: datetime,
        gauges: dict[str, int] | None = None,
    ) -> bool:
        """Add the counts (per day and month) and move the units' open-overdue gauges, exactly once;
        False if the event was counted before."""
        ...

    def stats_rows(
        self, day_from: date, day_to: date, unit_id: str | None
    ) -> tuple[list[tuple[str, dict[str, int]]], int]:
        """(unit id, counters) rows covering the period, and the number of read requests."""
        ...

    def open_overdue(self, unit_id: str | None) -> dict[str, int]:
        """Each unit's cases open past their deadline, now."""
        ...


class HotspotRepository(Protocol):
    """Reports per hotspot cell, topic and day (issue 18, 未诉先办), each counted once per event."""

    def count_report(self, event: TimelineEvent, report: Report, now: datetime) -> bool:
        """Add the report to its cell's day and to the cell's series, exactly once (a marker on the event
        in the same transaction), and keep its tracking number (bounded, idempotent); False if the
        event was counted before."""
        ...

    def cell_day(self, day: date, topic: str, cell: str) -> CellDay | None:
        """One cell's day as counted now (a consistent read)."""
        ...

    def cell_counts(self, topic: str, cell: str, first: date, last: date) -> dict[date, int]:
        """The cell's count per day over [first, last] (days without reports absent): one query."""
        ...

    def cells(self, day_from: date, day_to: date, topic: str | None) -> tuple[list[CellDay], int]:
        """Every counted cell of the period (of one topic, if given), and the read requests it took:
        one query per day, never a scan."""
        ...

    def claim_alert(self, day: date, topic: str, cell: str, case_id: str, seq: int) -> bool:
        """Make this event the one whose report alerts the cell's day (a conditional write): True if it
        is (first claim, or the same event again), False if another event's report already is."""
        ...


class UploadRepository(Protocol):
    def put(self, upload: Upload) -> None: ...

    def get(self, upload_id: str) -> Upload | None: ...


class CatalogRepository(Protocol):
    def seed(self, catalog: Catalog, rules: Sequence[RoutingRule]) -> None: ...

    def load(self) -> Catalog: ...

    def version(self) -> int:
        """The version in force (0 before the first document), read strongly consistently: the cache's
        cheap check on each request."""
        ...

    def routing_rule(self, topic: str, district: str) -> RoutingRule | None: ...

    def current_document(self) -> StoredCatalog | None:
        """The accepted catalogue document now in force, or None before the first."""
        ...

    def publish(self, stored: StoredCatalog, catalog: Catalog, rules: Sequence[RoutingRule]) -> None:
        """Make `stored` (version n) the catalogue in force: its document kept under its version, its
        items replacing the current ones. Raises ConcurrentUpdate unless version n-1 is in force."""
        ...

    def history(self) -> list[CatalogVersion]:
        """Every accepted version, newest first: when and by whom (not the documents)."""
        ...


class UserDirectory(Protocol):
    """The accounts of the user pool (Cognito in AWS): staff created by admins, citizens who signed up."""

    def create(self, account: NewAccount) -> Account:
        """Create the account (verified phone, name, unit) in its role's group; the directory tells the
        person how to sign in. Raises AlreadyExists when the phone has an account."""
        ...

    def accounts(self, roles: Sequence[Role]) -> list[Account]:
        """Every account in these roles' groups."""
        ...

    def get(self, username: str) -> Account | None: ...

    def find_by_phone(self, phone: str) -> Account | None: ...

    def disable(self, username: str) -> Account | None:
        """Disable the account and end its sessions; None when there is no such account."""
        ...

    def add_to_group(self, username: str, role: Role) -> None: ...


class AccountStatuses(Protocol):
    """Each staff account's status as the platform records it (the revocation list): written when an
    admin disables (or enables) the account, read by every staff request through a short cache.
    No record means active (accounts are created active)."""

    def status(self, username: str) -> AccountStatus | None:
        """The recorded status (a strongly consistent read); None when none was ever recorded."""
        ...

    def record(self, username: str, status: AccountStatus, by: str, at: datetime) -> None:
        """Record the status (idempotent: writing the same status again changes nothing that matters)."""
        ...


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

    def discard(self, key: str) -> None:
        """Remove an evidence copy that failed its check (nothing if there is none)."""
        ...

    def download_url(self, key: str, expires_in: int, content_type: str, filename: str) -> str:
        """A short-lived URL that downloads the object as an attachment with the given type."""
        ...


class SmsSender(Protocol):
    def send(self, to: str, body: str) -> str:
        """Send `body` to the E.164 number `to`; the provider's message id, or raise SmsError."""
        ...


@runtime_checkable
class TemplateSmsSender(SmsSender, Protocol):
    """A provider that sends only registered templates (mainland China SMS): the notify service hands
    it the notice's template key and parameters instead of the text."""

    def send_template(self, to: str, message: TemplateMessage) -> str:
        """Send the registered template of `message` with its parameters; the message id, or raise SmsError."""
        ...


class CodeDecrypter(Protocol):
    """Opens what Cognito hands a custom SMS sender: a code or temporary password, encrypted with the AWS
    Encryption SDK under the pools' KMS key (base64)."""

    def decrypt(self, ciphertext: str) -> str:
        """The plaintext code; raise CodeDecryptionError if it cannot be opened with our key."""
        ...


class CodeDecryptionError(Exception):
    """A custom sender's code could not be decrypted (wrong key, damaged or foreign ciphertext)."""


class IdempotencyStore(Protocol):
    """Where the answers to keyed submissions are remembered for a day (an `Idempotency-Key` header): a
    retry gets the first answer, a concurrent one waits. Powertools' idempotency utility keeps the records
    (`minyi.api.idempotency`); the store gives it its persistence layer, over the function's own table."""

    def persistence_layer(self) -> BasePersistenceLayer:
        """Powertools' persistence layer over the store (built when first asked for: it loads the AWS SDK)."""
        ...


class ApiKeyRepository(Protocol):
    """Open311 client keys (hashed), their per-minute rate-limit counters and submission counts."""

    def create(self, key: ApiKey) -> None: ...

    def get(self, key_id: str) -> ApiKey | None: ...

    def list_keys(self) -> list[ApiKey]: ...

    def revoke(self, key_id: str, at: datetime) -> ApiKey | None:
        """Mark the key revoked (the first revocation time stays); None if there is no such key."""
        ...

    def take(self, key_id: str, window: int, limit: int, expires_at: int) -> bool:
        """Count one request in the key's window; False when the window already holds `limit`."""
        ...

    def count_submission(self, key_id: str, at: datetime) -> None: ...


class Open311Repository(Protocol):
    """The open-data feed (public requests and their status changes, kept from the stream) and the
    idempotency records of Open311 submissions."""

    def put_request(self, request: PublicRequest, version: int) -> bool:
        """Store the request unless a newer version of the case is stored; False if it was."""
        ...

    def put_update(self, update: PublicUpdate) -> None: ...

    def requests(
        self,
        start: datetime,
        end: datetime,
        service_codes: Sequence[str] | None,
        statuses: Sequence[str] | None,
        offset: int,
        limit: int,
    ) -> list[PublicRequest]:
        """Requests made in [start, end], newest first, filtered, from `offset` on."""
        ...

    def updates(self, start: datetime, end: datetime, offset: int, limit: int) -> list[PublicUpdate]:
        """Status changes in [start, end], oldest first, from `offset` on."""
        ...

    def claim(
        self, key: str, fingerprint: str, now: datetime, stale_before: datetime, expires_at: int
    ) -> SubmissionClaim | None:
        """Claim a submission key: None when claimed now, else the existing claim (a claim without a
        case older than `stale_before` is taken over)."""
        ...

    def complete(self, key: str, case_id: str) -> None: ...

    def release(self, key: str) -> None:
        """Forget a claim whose submission failed (so a retry may try again)."""
        ...


# --- the account and the SMS provider before a deployment (`minyi preflight`) ---------------------


@dataclass(frozen=True)
class LambdaConcurrency:
    """lambda:GetAccountSettings' AccountLimit, per region."""

    total: int
    unreserved: int


@dataclass(frozen=True)
class Certificate:
    arn: str
    domains: tuple[str, ...]  # DomainName and SubjectAlternativeNames
    status: str  # PENDING_VALIDATION, ISSUED, INACTIVE, EXPIRED, VALIDATION_TIMED_OUT, REVOKED, FAILED


@dataclass(frozen=True)
class SmsSecret:
    """The SMS provider's secret as read: `problems` names what is empty or invalid (the template's
    placeholder has every credential empty); `templates` maps a template key to the provider's id."""

    problems: tuple[str, ...]
    templates: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TemplateStatus:
    template_id: str
    state: int  # Tencent Cloud SMS StatusCode (`minyi.cli.preflight.TemplateState`)
    content: str = ""
    review_reply: str = ""


class ProviderRefused(Exception):
    """The SMS provider refused the question itself (bad credentials, no such application, ...)."""

    def __init__(self, code: str, message: str = ""):
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code


class DeployFacts(Protocol):
    """What preflight reads from the account and the SMS provider; every call is read-only. The checks
    live with the operator's CLI (`minyi.cli.preflight`), the reads in `minyi.adapters.deploy_facts`."""

    def region_opt_in(self, region: str) -> str | None:
        """OptInStatus (`OptIn`) of the region, None when the account does not know it."""

    def lambda_concurrency(self, region: str) -> LambdaConcurrency: ...

    def certificates(self) -> list[Certificate]:
        """Every ACM certificate in us-east-1 (where CloudFront takes them from)."""

    def sms_secret(self, secret_id: str) -> SmsSecret | None:
        """The provider secret, None when it does not exist."""

    def template_statuses(self, secret_id: str, template_ids: list[str]) -> dict[str, TemplateStatus]:
        """The provider's review state of these template ids (absent: unknown there). Raises
        ProviderRefused."""

    def required_templates(self) -> Mapping[str, str]:
        """The registry of templates the stack sends: key -> text in the provider's syntax (the list
        `python -m minyi.adapters.sms.templates` prints)."""


class TopicModelSource(Protocol):
    """The topic model in force for intake suggestions (issue 18): the newest promoted model, loaded once
    per container and again when another is promoted or rolled back; None when none was ever trained
    (the suggestions then fall back to the catalogue's keywords)."""

    def in_force(self) -> TopicModel | None: ...


@dataclass(frozen=True)
class NearbyRead:
    """Open cases near a point, and what reading them cost (issue 18: at most 10 queries and 30 read
    request units per suggestion)."""

    cases: list[OpenCase]
    queries: int
    read_units: float


class NearbyCases(Protocol):
    """The sparse nearby index (issue 18): open cases with a location, by topic and geohash cell
    (`minyi.domain.geohash.NEAR_PRECISION`), newest first. A case leaves it when it closes, is withdrawn
    or merged (any status in `TERMINAL_STATUSES`)."""

    def open_near(self, topic: str, cells: Sequence[str], since: datetime) -> NearbyRead:
        """The open cases of `topic` in these cells filed at or after `since`: one query per cell, no scan."""
        ...


class ModelStore(Protocol):
    """Where the trained topic models are kept (issue 18, part 3): every version with its record, never
    deleted, and the pointer to the one in force (S3 in AWS: `minyi.adapters.topic_models`)."""

    def save(self, model: TopicModel, record: ModelRecord) -> None:
        """Store a version (its model, then its record: a listed record always has its model)."""

    def records(self) -> list[ModelRecord]:
        """Every stored version's record, the newest trained first."""

    def record(self, version: str) -> ModelRecord | None: ...

    def load(self, version: str) -> TopicModel | None:
        """A stored version's model (None: no such version)."""

    def in_force(self) -> InForce | None:
        """The pointer to the model in force (None: none was ever put in force)."""

    def put_in_force(self, pointer: InForce) -> None: ...
