"""In-memory fakes of every port in `minyi.ports`, faithful to the contracts the DynamoDB, Step
Functions, S3 and SNS adapters keep, so service tests run in milliseconds with no moto:

- cases: versions and `ConcurrentUpdate` on a stale save or park; creation and saves all-or-nothing
  (case, events, tracking number, upload claims); list cursors bound to their list; which list a
  case is on and in what order comes from the table's own key function (`case_keys`: citizen list,
  unit inbox, unit history, supervision list, sweep schedule and its shards);
- tracking lockouts: failures per number in windows that expire;
- leases: one holder at a time until the lease's expiry; release only by the holder;
- outbox: conditional claim per (case, event, recipient); SENT is final;
- scoreboard: each event counted once (and only if it exists, when the case fake is linked);
- workflow: records starts and signals, can refuse to start, a token completes a task once;
- SMS sender: records what it sent, fails on demand;
- attachment store: objects "uploaded" by the test, deterministic URLs;
- clock: settable.

`Fakes` has `minyi.bootstrap` wire them into the real services, as overrides of the adapters.
"""

from __future__ import annotations

import base64
import dataclasses
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

from minyi import bootstrap
from minyi.adapters.catalog_file import shenzhen_catalog, shenzhen_units_and_rules
from minyi.adapters.dynamo.cases import SWEEP_SHARDS, assist_items_keys, case_keys, nearby_keys, nearby_partition
from minyi.config import (
    AdminSettings,
    AssignSettings,
    CasesSettings,
    EnvSettings,
    NotifySettings,
    ProjectionsSettings,
    RateSettings,
    SubmitSettings,
    SweepSettings,
    TrainModelSettings,
)
from minyi.domain.accounts import Account, AccountStatus, NewAccount
from minyi.domain.catalog_doc import CatalogVersion, StoredCatalog
from minyi.domain.deadlines import DeadlineClock
from minyi.domain.duplicates import OpenCase
from minyi.domain.errors import AlreadyExists, ConcurrentUpdate, InvalidInput, Unavailable
from minyi.domain.hotspots import MAX_CASES_PER_CELL, CellDay, Report
from minyi.domain.intake_model import TopicModel
from minyi.domain.lifecycle import RatingPolicy, Transition
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
from minyi.domain.notices import Notice
from minyi.domain.rating_links import RatingLinks
from minyi.domain.scoreboard import spans
from minyi.ports import CodeDecryptionError, GuessBudget, GuessCharge, GuessScope, Lease, NearbyRead, SmsError
from minyi.services.cases import CaseService, HandlingRules
from minyi.services.catalog import CatalogCache
from minyi.services.hotline import HotlineService
from minyi.services.hotspots import HotspotService
from minyi.services.intake import IntakeService
from minyi.services.intake_training import LabelledExample
from minyi.services.model_ops import ModelCache, ModelOps
from minyi.services.notify import NotifyService
from minyi.services.rating_links import LinkRating
from minyi.services.requests import RequestService
from minyi.services.scoreboard import ScoreboardService
from minyi.services.sweep import SweepService
from minyi.services.workflow_tasks import WorkflowTasks

#: A Monday, 09:00 in Shenzhen.
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
MAX_ERROR_LENGTH = 500
RATING_LINK_SECRET = b"fake-rating-link-secret"
RATING_LINK_BASE = "https://m.test"
#: How long a sweep holds its lease (the template gives the function 300 s and the lease 330 s).
SWEEP_LEASE = timedelta(seconds=330)


# --- clock -----------------------------------------------------------------------------------------


class FakeClock:
    """`minyi.ports.Clock` that stands still until the test moves it."""

    def __init__(self, now: datetime = T0):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, now: datetime) -> None:
        self.now = now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


# --- cursors ---------------------------------------------------------------------------------------


def _encode_cursor(list_name: str, partition: str, position: tuple[str, ...]) -> str:
    raw = json.dumps({"list": list_name, "partition": partition, "after": list(position)})
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str | None, list_name: str, partition: str) -> tuple[str, ...] | None:
    """Like the table's cursors: only valid for the list (index and partition) they came from."""
    if not cursor:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode()))
    except ValueError as exc:
        raise InvalidInput("cursor", "error.cursor_not_ours") from exc
    if not isinstance(data, dict) or data.get("list") != list_name or data.get("partition") != partition:
        raise InvalidInput("cursor", "error.cursor_other_list")
    return tuple(data["after"])


def _page(
    rows: Sequence[tuple[tuple[str, ...], Case]],
    limit: int,
    cursor: str | None,
    list_name: str,
    partition: str,
    descending: bool = False,
) -> tuple[list[Case], str | None]:
    """Rows already in index order; up to `limit` after the cursor's position, and the next cursor."""
    after = _decode_cursor(cursor, list_name, partition)
    if after is not None:
        rows = [r for r in rows if (r[0] < after if descending else r[0] > after)]
    page = rows[:limit]
    # like DynamoDB: a full page has a cursor even when nothing follows (the next page is then empty)
    next_cursor = _encode_cursor(list_name, partition, page[-1][0]) if page and len(page) == limit else None
    return [c.model_copy(deep=True) for _, c in page], next_cursor


# --- cases -----------------------------------------------------------------------------------------


class FakeCaseRepository:
    """`minyi.ports.CaseRepository` in memory. Stored objects are copies: nothing a service holds
    changes what is stored, as with a real table. The lists are the table's indexes: a case is on a
    list, at a position, exactly when `case_keys` gives it that index's keys."""

    def __init__(self, uploads: FakeUploadRepository | None = None):
        self.uploads = uploads if uploads is not None else FakeUploadRepository()
        self.shards = SWEEP_SHARDS
        self.cases: dict[str, Case] = {}
        self.events: dict[str, dict[int, TimelineEvent]] = {}
        self.trackings: dict[str, TrackingEntry] = {}
        #: Every successful write, in order: ("create" | "save" | "park", case id).
        self.writes: list[tuple[str, str]] = []
        #: Writes refused because another writer won.
        self.conflicts = 0
        #: Called before every save (a test can write "concurrently" from here).
        self.before_save: Callable[[Transition], None] | None = None
        #: Reads of one case (`get_case`), as a table would count its GetItem calls.
        self.case_reads = 0

    # writes

    def _check_claims(self, case: Case, upload_ids: Sequence[str]) -> None:
        for upload_id in upload_ids:
            upload = self.uploads.uploads.get(upload_id)
            if upload is None or upload.owner_id != _uploader(case, upload_id) or upload.case_id is not None:
                self.conflicts += 1
                raise ConcurrentUpdate(
                    "error.concurrent.transaction_cancelled", reasons=f"upload {upload_id} cannot be claimed"
                )

    def _claim(self, case: Case, upload_ids: Sequence[str]) -> None:
        for upload_id in upload_ids:
            self.uploads.uploads[upload_id] = self.uploads.uploads[upload_id].model_copy(update={"case_id": case.id})

    def create_case(self, transition: Transition, tracking_phone_last4: str, upload_ids: Sequence[str]) -> None:
        case = transition.after.model_copy(update={"version": 1}, deep=True)
        if case.id in self.cases or case.id in self.events or case.tracking_no in self.trackings:
            self.conflicts += 1
            raise ConcurrentUpdate(
                "error.concurrent.transaction_cancelled", reasons="the case or its tracking number exists"
            )
        self._check_claims(case, upload_ids)
        # every condition holds: apply all of it
        self._claim(case, upload_ids)
        self.cases[case.id] = case
        self.events[case.id] = {}
        self._add_events(case.id, transition.events)
        self.trackings[case.tracking_no] = TrackingEntry(
            tracking_no=case.tracking_no, case_id=case.id, phone_last4=tracking_phone_last4
        )
        self.writes.append(("create", case.id))

    def save(self, transition: Transition, claim_uploads: Sequence[str] = ()) -> Case:
        if self.before_save is not None:
            self.before_save(transition)
        before = transition.before
        stored = self.cases.get(before.id)
        if stored is None or stored.version != before.version:
            self.conflicts += 1
            raise ConcurrentUpdate(
                "error.concurrent.transaction_cancelled", reasons="the case changed (version check failed)"
            )
        existing = self.events.get(before.id, {})
        if any(e.seq in existing for e in transition.events):
            self.conflicts += 1
            raise ConcurrentUpdate(
                "error.concurrent.transaction_cancelled", reasons="a timeline event with this sequence number exists"
            )
        after = transition.after.model_copy(update={"version": before.version + 1}, deep=True)
        self._check_claims(after, claim_uploads)
        self._claim(after, claim_uploads)
        self.cases[after.id] = after
        self._add_events(after.id, transition.events)
        self.writes.append(("save", after.id))
        return after.model_copy(deep=True)

    def save_all(self, transitions: Sequence[Transition]) -> list[Case]:
        """All or nothing: every version checked before any is written."""
        for transition in transitions:
            stored = self.cases.get(transition.before.id)
            if stored is None or stored.version != transition.before.version:
                self.conflicts += 1
                raise ConcurrentUpdate(
                    "error.concurrent.transaction_cancelled", reasons="the case changed (version check failed)"
                )
        return [self.save(transition) for transition in transitions]

    def park(self, case: Case, wait: WorkflowWait) -> Case:
        stored = self.cases.get(case.id)
        if stored is None or stored.version != case.version:
            self.conflicts += 1
            raise ConcurrentUpdate(
                "error.concurrent.transaction_cancelled", reasons="error.concurrent.workflow_park_lost"
            )
        # only the wait and the version change in the stored item
        self.cases[case.id] = stored.model_copy(update={"wait": wait, "version": stored.version + 1}, deep=True)
        self.writes.append(("park", case.id))
        return case.model_copy(update={"wait": wait, "version": case.version + 1}, deep=True)

    def _add_events(self, case_id: str, events: Iterable[TimelineEvent]) -> None:
        for event in events:
            self.events.setdefault(case_id, {})[event.seq] = event.model_copy(deep=True)

    # reads

    def get_case(self, case_id: str, consistent: bool = True) -> Case | None:
        self.case_reads += 1
        case = self.cases.get(case_id)
        return case.model_copy(deep=True) if case else None

    def tracking(self, tracking_no: str) -> TrackingEntry | None:
        return self.trackings.get(tracking_no)

    def _index(self, index: str, partition: str) -> list[tuple[tuple[str, ...], Case]]:
        """The cases under one partition of an index, in sort-key order."""
        rows = []
        for case in self.cases.values():
            keys = case_keys(case)
            if keys.get(f"{index}PK") == partition:
                rows.append(((keys[f"{index}SK"],), case))
        return sorted(rows, key=lambda r: r[0])

    def _list(
        self, index: str, partition: str, limit: int, cursor: str | None, status: CaseStatus | None, newest: bool
    ) -> tuple[list[Case], str | None]:
        rows = self._index(index, partition)
        if newest:
            rows.reverse()
        if status is not None:
            rows = [r for r in rows if r[1].status == status]
        return _page(rows, limit, cursor, index, partition, descending=newest)

    def list_citizen_cases(
        self, citizen_id: str, limit: int, cursor: str | None, status: CaseStatus | None = None
    ) -> tuple[list[Case], str | None]:
        return self._list("GSI1", f"CITIZEN#{citizen_id}", limit, cursor, status, newest=True)

    def list_owner_cases(
        self, owner_ids: Sequence[str], limit: int, cursor: str | None, status: CaseStatus | None = None
    ) -> tuple[list[Case], str | None]:
        """The owners' GSI1 partitions merged, newest first (the cursor bound to the owners)."""
        rows = sorted(
            (row for owner in owner_ids for row in self._index("GSI1", f"CITIZEN#{owner}")),
            key=lambda r: r[0],
            reverse=True,
        )
        if status is not None:
            rows = [r for r in rows if r[1].status == status]
        return _page(rows, limit, cursor, "GSI1", "OWNERS#" + "|".join(owner_ids), descending=True)

    def list_unit_cases(
        self, unit_id: str, status: CaseStatus | None, limit: int, cursor: str | None, assignee: str | None = None
    ) -> tuple[list[Case], str | None]:
        rows = self._index("GSI2", f"UNIT#{unit_id}")
        if status is not None:
            rows = [r for r in rows if r[1].status == status]
        if assignee is not None:
            rows = [r for r in rows if r[1].assignee == assignee]
        return _page(rows, limit, cursor, "GSI2", f"UNIT#{unit_id}", descending=False)

    def list_assisting(self, unit_id: str, limit: int, cursor: str | None) -> tuple[list[Case], str | None]:
        """The 协办 items' index: one row per (case, assisting unit), as `assist_items_keys` gives them."""
        partition = f"ASSIST#{unit_id}"
        rows = sorted(
            (
                ((keys["GSI2SK"],), case)
                for case in self.cases.values()
                for keys in assist_items_keys(case)
                if keys.get("GSI2PK") == partition
            ),
            key=lambda r: r[0],
        )
        return _page(rows, limit, cursor, "GSI2", partition, descending=False)

    def list_unit_history(
        self, unit_id: str, status: CaseStatus, limit: int, cursor: str | None
    ) -> tuple[list[Case], str | None]:
        return self._list("GSI5", f"DONE#{unit_id}", limit, cursor, status, newest=True)

    def list_callbacks(self, limit: int, cursor: str | None) -> tuple[list[Case], str | None]:
        return self._list("GSI5", "CALLBACK", limit, cursor, None, newest=False)

    def list_supervision(self, limit: int, cursor: str | None) -> tuple[list[Case], str | None]:
        return self._list("GSI4", "SUPERVISION", limit, cursor, None, newest=False)

    def due_for_sweep(self, shard: int, now: datetime, limit: int) -> tuple[list[Case], int]:
        upto = f"{_time(now)}~"
        due = [c.model_copy(deep=True) for (sk,), c in self._index("GSI3", f"DUE#{shard}") if sk <= upto]
        return due[:limit], len(due[:limit])

    def timeline(self, case_id: str) -> list[TimelineEvent]:
        return [e.model_copy(deep=True) for _, e in sorted(self.events.get(case_id, {}).items())]

    # helpers for tests

    def shard(self, case_id: str) -> int:
        """The sweep index shard of a case (a case not in the index has none: -1)."""
        keys = case_keys(self.cases[case_id]) if case_id in self.cases else {}
        return int(keys["GSI3PK"].split("#")[1]) if "GSI3PK" in keys else -1

    def put(self, case: Case, events: Iterable[TimelineEvent] = ()) -> Case:
        """Store a case as it is (a test's given state), version at least 1."""
        stored = case.model_copy(update={"version": max(case.version, 1)}, deep=True)
        self.cases[case.id] = stored
        self.events.setdefault(case.id, {})
        self._add_events(case.id, events)
        return stored.model_copy(deep=True)

    def event_types(self, case_id: str) -> list[str]:
        return [e.type.value for e in self.timeline(case_id)]


def _uploader(case: Case, upload_id: str) -> str:
    """Who posted an upload (a hotline operator posts for the caller)."""
    for attachment in case.attachments:
        if attachment.upload_id == upload_id and attachment.uploaded_by:
            return attachment.uploaded_by
    return case.citizen_id


def _time(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# --- leases -----------------------------------------------------------------------------------------


@dataclass
class FakeLeases:
    """`minyi.ports.Leases` as `DynamoLeases` keeps it: (holder, until) per lease; taken when absent or
    expired; released (made free) only by its holder. `acquired` records every successful take."""

    held: dict[Lease, tuple[str, datetime]] = field(default_factory=dict)
    acquired: list[tuple[Lease, str]] = field(default_factory=list)
    #: Called inside `acquire` before the check, to let a test start a rival run "at the same time".
    on_acquire: Callable[[], None] | None = None

    def acquire(self, lease: Lease, holder: str, now: datetime, until: datetime) -> bool:
        if self.on_acquire is not None:
            hook, self.on_acquire = self.on_acquire, None
            hook()
        current = self.held.get(lease)
        if current is not None and current[1] > now:
            return False
        self.held[lease] = (holder, until)
        self.acquired.append((lease, holder))
        return True

    def release(self, lease: Lease, holder: str) -> None:
        current = self.held.get(lease)
        if current is not None and current[0] == holder:
            self.held[lease] = (holder, datetime.min.replace(tzinfo=UTC))


# --- tracking lockouts -----------------------------------------------------------------------------


class FakeTrackingLockouts:
    """`minyi.ports.TrackingLockouts`: guesses per (scope, key), charged before they are checked, in a
    window that expires; the guess that spends the budget locks the key for `budget.lock`."""

    @dataclass
    class Counter:
        failures: int
        window_ends: datetime
        last_at: datetime

    def __init__(self) -> None:
        self.counters: dict[tuple[GuessScope, str], FakeTrackingLockouts.Counter] = {}

    def charge(self, scope: GuessScope, key: str, now: datetime, budget: GuessBudget) -> GuessCharge:
        counter = self.counters.get((scope, key))
        if counter is not None and counter.failures >= budget.limit and counter.last_at + budget.lock > now:
            return GuessCharge(allowed=False, last=False, until=counter.last_at + budget.lock)
        if counter is None or counter.failures >= budget.limit or counter.window_ends <= now:
            counter = self.counters[(scope, key)] = self.Counter(0, now + budget.window, now)
        counter.failures += 1
        counter.last_at = now
        last = counter.failures >= budget.limit
        return GuessCharge(allowed=True, last=last, until=now + budget.lock if last else counter.window_ends)

    def refund(self, scope: GuessScope, key: str, now: datetime) -> None:
        counter = self.counters.get((scope, key))
        if counter is not None and counter.failures > 0:
            counter.failures -= 1

    def failures(self, scope: GuessScope, key: str) -> int:
        counter = self.counters.get((scope, key))
        return counter.failures if counter is not None else 0


# --- uploads ---------------------------------------------------------------------------------------


class FakeUploadRepository:
    """`minyi.ports.UploadRepository`; the claim is written by `FakeCaseRepository.create_case`."""

    def __init__(self) -> None:
        self.uploads: dict[str, Upload] = {}

    def put(self, upload: Upload) -> None:
        if upload.upload_id in self.uploads:
            raise ConcurrentUpdate("error.concurrent.transaction_cancelled", reasons="upload exists")
        self.uploads[upload.upload_id] = upload.model_copy(deep=True)

    def get(self, upload_id: str) -> Upload | None:
        upload = self.uploads.get(upload_id)
        return upload.model_copy(deep=True) if upload else None


# --- outbox ----------------------------------------------------------------------------------------


class FakeOutboxRepository:
    """`minyi.ports.OutboxRepository`: one entry per (case, event, recipient); SENT is final."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], OutboxEntry] = {}
        #: Every claim, in order (what the service was about to send).
        self.claims: list[Notice] = []

    def claim(self, notice: Notice, now: datetime) -> OutboxStatus | None:
        self.claims.append(notice)
        key = (notice.case_id, notice.outbox_key)
        existing = self.items.get(key)
        if existing is not None:
            return existing.status
        self.items[key] = OutboxEntry(
            **notice.model_dump(mode="json"), status=OutboxStatus.PENDING, attempts=0, created_at=now
        )
        return None

    def finish(
        self, notice: Notice, status: OutboxStatus, now: datetime, message_id: str | None, error: str | None
    ) -> None:
        key = (notice.case_id, notice.outbox_key)
        entry = self.items.get(key)
        if entry is not None and entry.status == OutboxStatus.SENT:
            # the table's update is conditioned on the status not being SENT
            raise ConcurrentUpdate("error.concurrent.transaction_cancelled", reasons="the notice was already sent")
        if entry is None:
            entry = OutboxEntry(**notice.model_dump(mode="json"), status=status)
        update: dict[str, Any] = {"status": status, "updated_at": now, "attempts": entry.attempts + 1}
        if message_id:
            update |= {"provider_message_id": message_id, "sent_at": now, "last_error": None}
        if error:
            update["last_error"] = error[:MAX_ERROR_LENGTH]
        self.items[key] = entry.model_copy(update=update)

    def entries(self, case_id: str) -> list[OutboxEntry]:
        return [e for (cid, _), e in sorted(self.items.items()) if cid == case_id]

    def sent(self) -> list[OutboxEntry]:
        done = [e for e in self.items.values() if e.status == OutboxStatus.SENT]
        return sorted(done, key=lambda e: (e.sent_at.isoformat() if e.sent_at else "", e.event_seq, e.kind))


# --- scoreboard ------------------------------------------------------------------------------------


class FakeScoreboardRepository:
    """`minyi.ports.ScoreboardRepository`: counters per unit and day, gauges per unit, each event added
    once. Linked to a case fake, an event that is not in the table is not counted (the table's
    condition). Reads follow the table's plan (`spans`): one read request per month."""

    def __init__(self, cases: FakeCaseRepository | None = None):
        self.cases = cases
        self.daily: dict[tuple[str, str], dict[str, int]] = {}  # (yyyy-mm-dd, unit)
        self.gauges: dict[str, int] = {}
        self.counted: dict[tuple[str, int], datetime] = {}

    def count_event(
        self,
        event: TimelineEvent,
        day: str,
        unit_id: str,
        counts: dict[str, int],
        now: datetime,
        gauges: dict[str, int] | None = None,
    ) -> bool:
        key = (event.case_id, event.seq)
        if key in self.counted:
            return False
        if self.cases is not None and event.seq not in self.cases.events.get(event.case_id, {}):
            return False
        self.counted[key] = now
        if counts:
            row = self.daily.setdefault((day, unit_id), {})
            for name, value in counts.items():
                row[name] = row.get(name, 0) + value
        for gauge_unit, change in (gauges or {}).items():
            self.gauges[gauge_unit] = self.gauges.get(gauge_unit, 0) + change
        return True

    def stats_rows(
        self, day_from: date, day_to: date, unit_id: str | None
    ) -> tuple[list[tuple[str, dict[str, int]]], int]:
        rows: list[tuple[str, dict[str, int]]] = []
        for span in spans(day_from, day_to):
            for (period, unit), counters in sorted(self.daily.items()):
                if span.first <= period <= span.last and unit_id in (None, unit):
                    rows.append((unit, dict(counters)))
        return rows, len(spans(day_from, day_to))

    def open_overdue(self, unit_id: str | None) -> dict[str, int]:
        return {u: n for u, n in self.gauges.items() if unit_id in (None, u)}

    def day_rows(self, day: str) -> dict[str, dict[str, int]]:
        """A test's view: each unit's counters of one day."""
        return {unit: dict(c) for (d, unit), c in self.daily.items() if d == day}


# --- hotspots --------------------------------------------------------------------------------------


class FakeHotspotRepository:
    """`minyi.ports.HotspotRepository`: reports per (day, topic, cell), each event counted once, the
    first `MAX_CASES_PER_CELL` tracking numbers kept, one alert owner per cell's day. Linked to a case
    fake, an event that is not in the table is not counted (the table's condition). `reads` counts read
    requests as the table would (one per day listed, one per cell's series)."""

    def __init__(self, cases: FakeCaseRepository | None = None):
        self.cases = cases
        self.rows: dict[tuple[date, str, str], CellDay] = {}
        self.counted: dict[tuple[str, int], datetime] = {}
        self.alerts: dict[tuple[date, str, str], tuple[str, int]] = {}
        self.reads = 0

    def count_report(self, event: TimelineEvent, report: Report, now: datetime) -> bool:
        key = (event.case_id, event.seq)
        if self.cases is not None and event.seq not in self.cases.events.get(event.case_id, {}):
            return False
        counted = key not in self.counted
        cell_key = (report.day, report.topic, report.cell)
        row = self.rows.get(cell_key) or CellDay(report.day, report.topic, report.cell, report.district, 0)
        if counted:
            self.counted[key] = now
            row = replace(row, count=row.count + 1, district=report.district or row.district)
        if len(row.cases) < MAX_CASES_PER_CELL and report.tracking_no not in row.cases:
            row = replace(row, cases=(*row.cases, report.tracking_no), case_ids=(*row.case_ids, report.case_id))
        self.rows[cell_key] = row
        return counted

    def cell_day(self, day: date, topic: str, cell: str) -> CellDay | None:
        row = self.rows.get((day, topic, cell))
        owner = self.alerts.get((day, topic, cell))
        return dataclasses.replace(row, alert_owner=owner) if row is not None and owner else row

    def cell_counts(self, topic: str, cell: str, first: date, last: date) -> dict[date, int]:
        self.reads += 1
        return {d: r.count for (d, t, c), r in self.rows.items() if t == topic and c == cell and first <= d <= last}

    def cells(self, day_from: date, day_to: date, topic: str | None) -> tuple[list[CellDay], int]:
        days = (day_to - day_from).days + 1
        self.reads += days
        rows = [r for (d, t, _), r in sorted(self.rows.items()) if day_from <= d <= day_to and topic in (None, t)]
        return rows, days

    def claim_alert(self, day: date, topic: str, cell: str, case_id: str, seq: int) -> bool:
        if (day, topic, cell) not in self.rows:
            return False
        owner = self.alerts.setdefault((day, topic, cell), (case_id, seq))
        return owner == (case_id, seq)

    def add(self, row: CellDay) -> None:
        """A test's given: a cell's day as counted."""
        self.rows[(row.day, row.topic, row.cell)] = row


# --- catalogue -------------------------------------------------------------------------------------


class FakeCatalogRepository:
    """`minyi.ports.CatalogRepository`; counts loads (the cache's job is to avoid them)."""

    def __init__(self, catalog: Catalog | None = None, rules: Sequence[RoutingRule] = ()):
        self.catalog = catalog or Catalog(categories=[], topics={}, districts={}, units={}, deadline_days={})
        self.rules = {(r.topic, r.district): r for r in rules}
        self.loads = 0
        self.version_reads = 0
        #: the accepted documents (PUT /v1/admin/catalog), oldest first
        self.documents: list[StoredCatalog] = []

    @classmethod
    def shenzhen(cls) -> FakeCatalogRepository:
        _, rules = shenzhen_units_and_rules()
        return cls(shenzhen_catalog(), rules)

    def seed(self, catalog: Catalog, rules: Sequence[RoutingRule]) -> None:
        self.catalog = catalog.model_copy(deep=True)
        self.rules.update({(r.topic, r.district): r for r in rules})

    def load(self) -> Catalog:
        self.loads += 1
        return self.catalog.model_copy(deep=True)

    def version(self) -> int:
        self.version_reads += 1
        return self.documents[-1].version if self.documents else self.catalog.version

    def routing_rule(self, topic: str, district: str) -> RoutingRule | None:
        return self.rules.get((topic, district))

    def current_document(self) -> StoredCatalog | None:
        return self.documents[-1] if self.documents else None

    def history(self) -> list[CatalogVersion]:
        return [
            CatalogVersion(version=d.version, published_at=d.published_at, published_by=d.published_by)
            for d in reversed(self.documents)
        ]

    def publish(self, stored: StoredCatalog, catalog: Catalog, rules: Sequence[RoutingRule]) -> None:
        current = self.current_document()
        if stored.version != (current.version if current else 0) + 1:
            raise ConcurrentUpdate("error.concurrent.transaction_cancelled", reasons="error.catalogue_changed")
        self.documents.append(stored)
        self.catalog = catalog.model_copy(deep=True)
        self.rules = {(r.topic, r.district): r for r in rules}


class FakeUserDirectory:
    """`minyi.ports.UserDirectory`: accounts by username, as Cognito keeps them (phone unique)."""

    def __init__(self) -> None:
        self.users: dict[str, Account] = {}
        self.signed_out: list[str] = []
        #: The next n group adds raise (Cognito throttling or unreachable).
        self.fail_group_adds = 0

    def create(self, account: NewAccount) -> Account:
        if self.find_by_phone(account.phone) is not None:
            raise AlreadyExists("error.phone_has_account")
        username = f"user-{len(self.users) + 1}"
        self.users[username] = Account(
            username=username,
            phone=account.phone,
            name=account.name,
            role=account.role,
            unit_id=account.unit_id,
            status="FORCE_CHANGE_PASSWORD",
        )
        return self.users[username]

    def accounts(self, roles: Sequence[Role]) -> list[Account]:
        return [a for a in self.users.values() if a.role in roles]

    def get(self, username: str) -> Account | None:
        return self.users.get(username)

    def find_by_phone(self, phone: str) -> Account | None:
        return next((a for a in self.users.values() if a.phone == phone), None)

    def disable(self, username: str) -> Account | None:
        if username not in self.users:
            return None
        self.signed_out.append(username)
        self.users[username] = self.users[username].model_copy(update={"enabled": False})
        return self.users[username]

    def add_to_group(self, username: str, role: Role) -> None:
        if self.fail_group_adds:
            self.fail_group_adds -= 1
            raise RuntimeError("TooManyRequestsException")
        account = self.users.get(username) or Account(username=username)
        self.users[username] = account.model_copy(update={"role": role})


class FakeAccountStatuses:
    """`minyi.ports.AccountStatuses`: the recorded statuses, and every read (to count the reads)."""

    def __init__(self) -> None:
        self.records: dict[str, tuple[AccountStatus, str, datetime]] = {}
        self.reads: list[str] = []
        #: The next n records raise (the table throttling).
        self.fail_records = 0

    def status(self, username: str) -> AccountStatus | None:
        self.reads.append(username)
        record = self.records.get(username)
        return record[0] if record else None

    def record(self, username: str, status: AccountStatus, by: str, at: datetime) -> None:
        if self.fail_records:
            self.fail_records -= 1
            raise RuntimeError("ProvisionedThroughputExceededException")
        if username in self.records and self.records[username][0] == status:
            return  # like the table's conditional write: a retry changes nothing
        self.records[username] = (status, by, at)


# --- workflow --------------------------------------------------------------------------------------


class FakeWorkflow:
    """`minyi.ports.Workflow`: executions by name, every start and signal recorded.

    `refuse_starts` makes the next n starts raise (Step Functions throttling); `stale` tokens and
    tokens already used make `signal` answer False, as a stale task token does."""

    def __init__(self) -> None:
        self.executions: dict[str, ExecutionStatus] = {}
        self.starts: list[tuple[str, str]] = []
        self.signals: list[tuple[str, dict[str, Any]]] = []
        self.refuse_starts = 0
        self.refusal: Exception = RuntimeError("ThrottlingException: rate exceeded")
        self.stale: set[str] = set()
        self._used: set[str] = set()

    def start(self, case_id: str, execution_name: str | None = None) -> str:
        name = execution_name or case_id
        if self.refuse_starts:
            self.refuse_starts -= 1
            raise self.refusal
        self.starts.append((case_id, name))
        self.executions.setdefault(name, ExecutionStatus.RUNNING)
        return f"arn:aws:states:ap-east-1:123456789012:execution:minyi-case:{name}"

    def status(self, execution_name: str) -> ExecutionStatus | None:
        return self.executions.get(execution_name)

    def signal(self, token: str, output: dict[str, Any]) -> bool:
        self.signals.append((token, output))
        if token in self.stale or token in self._used:
            return False
        self._used.add(token)
        return True

    def outcomes(self) -> list[str]:
        return [output["outcome"] for _, output in self.signals]


# --- attachments -----------------------------------------------------------------------------------


class FakeAttachmentStore:
    """`minyi.ports.AttachmentStore`: the test "uploads" objects (bytes and type); URLs are deterministic."""

    def __init__(self, bucket: str = "attachments") -> None:
        self.bucket = bucket
        self.objects: dict[str, tuple[bytes, str]] = {}
        self.presigned: list[dict[str, Any]] = []
        self.sealed: list[tuple[str, str]] = []

    def upload(self, key: str, content_type: str, body: bytes) -> None:
        self.objects[key] = (body, content_type)

    def presign_upload(self, key: str, content_type: str, max_size: int, expires_in: int) -> dict[str, Any]:
        self.presigned.append(
            {"key": key, "content_type": content_type, "max_size": max_size, "expires_in": expires_in}
        )
        return {"url": f"https://{self.bucket}.s3.test/", "fields": {"key": key, "Content-Type": content_type}}

    def stored_object(self, key: str) -> tuple[int, str] | None:
        stored = self.objects.get(key)
        return (len(stored[0]), stored[1]) if stored else None

    def first_bytes(self, key: str, count: int) -> bytes:
        return self.objects[key][0][:count]

    def seal(self, source_key: str, evidence_key: str, content_type: str) -> None:
        self.objects[evidence_key] = (self.objects[source_key][0], content_type)
        self.sealed.append((source_key, evidence_key))

    def discard(self, key: str) -> None:
        self.objects.pop(key, None)

    def download_url(self, key: str, expires_in: int, content_type: str, filename: str) -> str:
        return f"https://{self.bucket}.s3.test/{key}?expires_in={expires_in}&type={content_type}&name={filename}"


# --- SMS -------------------------------------------------------------------------------------------


@dataclass
class RecordingSmsSender:
    """`minyi.ports.SmsSender` that records every message it accepted and fails on demand:
    the next `fail_next` calls, every call while `down`, or any call `fail_when(to, body)` picks."""

    fail_next: int = 0
    down: bool = False
    fail_when: Callable[[str, str], bool] | None = None
    calls: int = 0
    failures: int = 0
    sent: list[tuple[str, str, str]] = field(default_factory=list)  # (to, body, message id)

    def send(self, to: str, body: str) -> str:
        self.calls += 1
        if self.down or self.fail_next or (self.fail_when is not None and self.fail_when(to, body)):
            self.fail_next = max(0, self.fail_next - 1)
            self.failures += 1
            raise SmsError("injected: provider refused the message")
        message_id = f"sms-{len(self.sent) + 1:06d}"
        self.sent.append((to, body, message_id))
        return message_id

    def to(self, phone: str) -> list[str]:
        return [body for to, body, _ in self.sent if to == phone]


@dataclass
class FakeCodeDecrypter:
    """`minyi.ports.CodeDecrypter` over a table of ciphertext -> code (what Cognito would have encrypted);
    anything else fails as a foreign or damaged ciphertext does."""

    codes: dict[str, str] = field(default_factory=dict)

    def seal(self, code: str) -> str:
        ciphertext = f"sealed-{len(self.codes) + 1}"
        self.codes[ciphertext] = code
        return ciphertext

    def decrypt(self, ciphertext: str) -> str:
        if ciphertext not in self.codes:
            raise CodeDecryptionError("the code could not be decrypted (fake)")
        return self.codes[ciphertext]


# --- idempotency -----------------------------------------------------------------------------------


class FakeIdempotencyStore:
    """`minyi.ports.IdempotencyStore` in memory: Powertools' persistence layer over a dict, keeping the
    DynamoDB layer's rules (a record is taken while it lives, an expired one is replaced; a second
    request under a key must carry the first one's payload)."""

    def __init__(self) -> None:
        self.records: dict[str, Any] = {}
        self._layer: Any = None

    def persistence_layer(self) -> Any:
        if self._layer is None:
            self._layer = _memory_persistence(self.records)
        return self._layer


def _memory_persistence(records: dict[str, Any]) -> Any:
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyItemAlreadyExistsError,
        IdempotencyItemNotFoundError,
    )
    from aws_lambda_powertools.utilities.idempotency.persistence.base import BasePersistenceLayer, DataRecord

    class MemoryPersistence(BasePersistenceLayer):
        def _get_record(self, idempotency_key: str) -> DataRecord:
            if idempotency_key not in records:
                raise IdempotencyItemNotFoundError
            return records[idempotency_key]  # type: ignore[no-any-return]

        def _put_record(self, data_record: DataRecord) -> None:
            held = records.get(data_record.idempotency_key)
            if held is not None and not held.is_expired:
                # like the DynamoDB layer: the record kept is checked against this request's payload first
                self._validate_payload(data_payload=data_record, stored_data_record=held)
                raise IdempotencyItemAlreadyExistsError(old_data_record=held)
            records[data_record.idempotency_key] = data_record

        def _update_record(self, data_record: DataRecord) -> None:
            records[data_record.idempotency_key] = data_record

        def _delete_record(self, data_record: DataRecord) -> None:
            records.pop(data_record.idempotency_key, None)

    return MemoryPersistence()


class FakeNearbyCases:
    """`minyi.ports.NearbyCases` over the fake cases: a case is in a cell's partition exactly when the
    table's own key function (`nearby_keys`) gives it that partition, newest first. Counts its queries."""

    def __init__(self, cases: FakeCaseRepository):
        self.cases = cases
        self.queries = 0

    def open_near(self, topic: str, cells: Sequence[str], since: datetime) -> NearbyRead:
        wanted = {nearby_partition(topic, cell) for cell in cells}
        found: list[OpenCase] = []
        for case in sorted(self.cases.cases.values(), key=lambda c: c.created_at, reverse=True):
            keys = nearby_keys(case)
            if keys.get("NEARPK") in wanted and case.created_at >= since and case.location is not None:
                found.append(
                    OpenCase(
                        case_id=case.id,
                        tracking_no=case.tracking_no,
                        topic=case.topic,
                        district=case.district,
                        status=case.status.value,
                        lat=case.location.lat,
                        lon=case.location.lon,
                        description=case.description,
                        created_at=case.created_at,
                    )
                )
        self.queries += len(cells)
        return NearbyRead(cases=found, queries=len(cells), read_units=0.5 * len(cells))


class FakeTopicModels:
    """`minyi.ports.TopicModelSource`: the model a test puts in force (None: the keywords suggest)."""

    def __init__(self, model: TopicModel | None = None):
        self.model = model

    def in_force(self) -> TopicModel | None:
        return self.model


# --- wiring ----------------------------------------------------------------------------------------


#: What each function's environment would hold, for the settings the fakes build services from (a name
#: no fake reads: the table, bucket and ARNs stand for the parts the fakes replace).
FAKE_ENVIRONMENT: dict[str, Any] = {
    "table_name": "fake-table",
    "attachments_bucket": "attachments",
    "idempotency_table": "fake-idempotency",
    "state_machine_arn": "arn:aws:states:ap-east-1:123456789012:stateMachine:minyi-case",
    "upload_url_ttl_seconds": 600,
    "download_url_ttl_seconds": 300,
    "sms_country_codes": "86",
    "staff_user_pool_id": "ap-east-1_staff",
    "user_pool_id": "ap-east-1_staff",
    "max_extensions_per_round": HandlingRules().max_extensions_per_round,
    "dispatch_deadline_hours": HandlingRules().dispatch_deadline_hours,
    "unsatisfied_at_or_below": RatingPolicy().unsatisfied_at_or_below,
    "rating_window_seconds": 3600,
    "rating_link_secret_arn": "arn:aws:secretsmanager:ap-east-1:123456789012:secret:rating",
    "rating_link_base": RATING_LINK_BASE,
    "sweep_batch_limit": 500,
    "sweep_lease_seconds": int(SWEEP_LEASE.total_seconds()),
    "open311_rate_limit_per_minute": 60,
    "open311_contact": "12345@sz.gov.cn",
    "open311_key_service": "https://open.sz.gov.cn/keys",
    "code_key_arn": "arn:aws:kms:ap-east-1:123456789012:key/fake",
    "models_bucket": "minyi-test-models",
}


class FakeModelStore:
    """`minyi.ports.ModelStore` in memory: the models as their JSON (what S3 keeps), the pointer's history;
    counts pointer reads (the cache's job is to keep them rare)."""

    def __init__(self) -> None:
        self.models: dict[str, str] = {}
        self.saved: dict[str, ModelRecord] = {}
        self.pointers: list[InForce] = []
        self.pointer_reads = 0
        self.model_reads = 0
        self.unavailable = False

    def save(self, model: TopicModel, record: ModelRecord) -> None:
        self.models[model.version] = model.to_json()
        self.saved[record.version] = record

    def records(self) -> list[ModelRecord]:
        return sorted(self.saved.values(), key=lambda r: (r.trained_at, r.version), reverse=True)

    def record(self, version: str) -> ModelRecord | None:
        return self.saved.get(version)

    def load(self, version: str) -> TopicModel | None:
        self.model_reads += 1
        text = self.models.get(version)
        return None if text is None else TopicModel.from_json(text)

    def in_force(self) -> InForce | None:
        self.pointer_reads += 1
        if self.unavailable:
            raise Unavailable("error.model_store_unavailable")
        return self.pointers[-1] if self.pointers else None

    def put_in_force(self, pointer: InForce) -> None:
        self.pointers.append(pointer)


S = TypeVar("S", bound=EnvSettings)


def fake_settings(kind: type[S], **values: Any) -> S:
    """A function's validated settings, as its environment would give them (`values` change some)."""
    environment = {**FAKE_ENVIRONMENT, **values}
    return kind.model_validate({name: environment[name] for name in kind.model_fields if name in environment})


@dataclass
class Fakes:
    """Every port as a fake, and the real services built on them by `minyi.bootstrap`'s own factories,
    with the fakes as overrides. Service tests take one of these and check the fakes' state afterwards."""

    clock: FakeClock = field(default_factory=FakeClock)
    uploads: FakeUploadRepository = field(default_factory=FakeUploadRepository)
    catalog_repo: FakeCatalogRepository = field(default_factory=FakeCatalogRepository.shenzhen)
    workflow: FakeWorkflow = field(default_factory=FakeWorkflow)
    store: FakeAttachmentStore = field(default_factory=FakeAttachmentStore)
    sender: RecordingSmsSender = field(default_factory=RecordingSmsSender)
    outbox: FakeOutboxRepository = field(default_factory=FakeOutboxRepository)
    lockouts: FakeTrackingLockouts = field(default_factory=FakeTrackingLockouts)
    leases: FakeLeases = field(default_factory=FakeLeases)
    directory: FakeUserDirectory = field(default_factory=FakeUserDirectory)
    models: FakeModelStore = field(default_factory=FakeModelStore)
    working_day_seconds: int | None = None
    links: RatingLinks = field(default_factory=lambda: RatingLinks(secret=RATING_LINK_SECRET, base=RATING_LINK_BASE))
    topic_models_in_force: FakeTopicModels = field(default_factory=FakeTopicModels)
    cases: FakeCaseRepository = field(init=False)
    counters: FakeScoreboardRepository = field(init=False)
    nearby: FakeNearbyCases = field(init=False)
    hotspot_counters: FakeHotspotRepository = field(init=False)

    def __post_init__(self) -> None:
        self.cases = FakeCaseRepository(self.uploads)
        self.counters = FakeScoreboardRepository(self.cases)
        self.nearby = FakeNearbyCases(self.cases)
        self.hotspot_counters = FakeHotspotRepository(self.cases)
        self.catalog = CatalogCache(self.catalog_repo)

    def settings(self, kind: type[S], **values: Any) -> S:
        """The settings of a function, with the working day the fakes run on."""
        return fake_settings(kind, working_day_seconds=self.working_day_seconds, **values)

    @property
    def deadlines(self) -> DeadlineClock:
        return DeadlineClock(self.working_day_seconds)

    def request_service(self, upload_ttl: int = 600, download_ttl: int = 300) -> RequestService:
        return bootstrap.request_service(
            self.settings(SubmitSettings, upload_url_ttl_seconds=upload_ttl, download_url_ttl_seconds=download_ttl),
            cases=self.cases,
            uploads=self.uploads,
            catalog=self.catalog,
            store=self.store,
            workflow=self.workflow,
            lockouts=self.lockouts,
            clock=self.clock,
            links=self.links,
            intake=self.intake_service(),
        )

    def intake_service(self) -> IntakeService:
        return bootstrap.intake_service(
            self.settings(SubmitSettings),
            cases=self.cases,
            catalog=self.catalog,
            nearby=self.nearby,
            models=self.topic_models_in_force,
            clock=self.clock,
        )

    def case_service(self, download_ttl: int = 300) -> CaseService:
        return bootstrap.case_service(
            self.settings(CasesSettings, download_url_ttl_seconds=download_ttl),
            cases=self.cases,
            catalog=self.catalog,
            workflow=self.workflow,
            clock=self.clock,
            outbox=self.outbox,
            attachments=self.store,
            uploads=self.uploads,
            directory=self.directory,
        )

    def hotline_service(self) -> HotlineService:
        return bootstrap.hotline_service(self.settings(CasesSettings), cases=self.case_service())

    def link_rating(self) -> LinkRating:
        return bootstrap.link_rating(
            self.settings(RateSettings),
            cases=self.cases,
            ratings=self.case_service(),
            links=self.links,
            lockouts=self.lockouts,
            clock=self.clock,
        )

    def workflow_tasks(self, rating_window_seconds: int = 3600) -> WorkflowTasks:
        return bootstrap.workflow_tasks(
            self.settings(AssignSettings, rating_window_seconds=rating_window_seconds),
            cases=self.cases,
            catalog=self.catalog,
            workflow=self.workflow,
            clock=self.clock,
        )

    def notify_service(self) -> NotifyService:
        return bootstrap.notify_service(
            self.settings(NotifySettings),
            cases=self.cases,
            outbox=self.outbox,
            catalog=self.catalog,
            sender=self.sender,
            clock=self.clock,
            links=self.links,
        )

    def sweep_service(self, batch_limit: int = 500) -> SweepService:
        return bootstrap.sweep_service(
            self.settings(SweepSettings, sweep_batch_limit=batch_limit),
            cases=self.cases,
            catalog=self.catalog,
            workflow=self.workflow,
            clock=self.clock,
            leases=self.leases,
            shards=self.cases.shards,
        )

    def scoreboard_service(self) -> ScoreboardService:
        return bootstrap.scoreboard_service(
            self.settings(ProjectionsSettings), counters=self.counters, catalog=self.catalog, clock=self.clock
        )

    def hotspot_service(self) -> HotspotService:
        return bootstrap.hotspot_service(
            self.settings(ProjectionsSettings),
            counters=self.hotspot_counters,
            catalog=self.catalog,
            clock=self.clock,
            outbox=self.outbox,
            sender=self.sender,
        )

    def model_ops(self, packaged: TopicModel | None = None) -> ModelOps:
        return bootstrap.model_ops(
            self.settings(AdminSettings), store=self.models, packaged=lambda: packaged, clock=self.clock
        )

    def model_training(self, seed: Sequence[LabelledExample] = (), packaged: TopicModel | None = None) -> ModelOps:
        return bootstrap.model_training(
            self.settings(TrainModelSettings),
            store=self.models,
            packaged=lambda: packaged,
            cases=self.cases,
            catalog=self.catalog,
            seed=lambda: list(seed),
            clock=self.clock,
        )

    def topic_models(self, packaged: TopicModel | None = None) -> ModelCache:
        return bootstrap.topic_model_source(
            self.settings(AdminSettings), store=self.models, packaged=lambda: packaged, clock=self.clock
        )


def _ports_are_implemented() -> None:
    """For mypy: each fake satisfies its Protocol (never called)."""
    from minyi import ports

    _cases: ports.CaseRepository = FakeCaseRepository()
    _lockouts: ports.TrackingLockouts = FakeTrackingLockouts()
    _leases: ports.Leases = FakeLeases()
    _outbox: ports.OutboxRepository = FakeOutboxRepository()
    _counters: ports.ScoreboardRepository = FakeScoreboardRepository()
    _hotspots: ports.HotspotRepository = FakeHotspotRepository()
    _uploads: ports.UploadRepository = FakeUploadRepository()
    _catalog: ports.CatalogRepository = FakeCatalogRepository()
    _workflow: ports.Workflow = FakeWorkflow()
    _store: ports.AttachmentStore = FakeAttachmentStore()
    _sender: ports.SmsSender = RecordingSmsSender()
    _clock: ports.Clock = FakeClock()
    _statuses: ports.AccountStatuses = FakeAccountStatuses()
    _idempotency: ports.IdempotencyStore = FakeIdempotencyStore()
    _models: ports.ModelStore = FakeModelStore()
    _source: ports.TopicModelSource = Fakes().topic_models()
