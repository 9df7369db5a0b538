"""The one place that wires the application: real adapters behind the ports, built from validated settings.

Each handler validates its settings at cold start and asks here once for its service; tests build
the same services from fakes (`tests/fakes.py`) instead. Nothing else constructs an adapter.
"""

from __future__ import annotations

from datetime import UTC, datetime

from minyi.adapters.dynamo import (
    SWEEP_SHARDS,
    DynamoCaseRepository,
    DynamoCatalogRepository,
    DynamoOutboxRepository,
    DynamoScoreboardRepository,
    DynamoTrackingLockouts,
    DynamoUploadRepository,
    Table,
)
from minyi.adapters.sms import SnsSmsSender
from minyi.adapters.storage import S3AttachmentStore
from minyi.adapters.workflow import CaseWorkflow
from minyi.config import (
    AssignSettings,
    CasesSettings,
    NotifySettings,
    RateSettings,
    ScoreboardSettings,
    StatsSettings,
    SubmitSettings,
    SweepSettings,
)
from minyi.domain.deadlines import DeadlineClock
from minyi.domain.lifecycle import RatingPolicy
from minyi.ports import SmsSender, Workflow
from minyi.services.cases import CaseService, CaseStore
from minyi.services.catalog import CatalogCache
from minyi.services.notify import NotifyService
from minyi.services.requests import RequestService
from minyi.services.scoreboard import ScoreboardService
from minyi.services.sweep import SweepService
from minyi.services.workflow_tasks import WorkflowTasks

#: Functions that only complete parked tasks need no state machine ARN (the token names the execution).
NO_STATE_MACHINE = ""


def utcnow() -> datetime:
    return datetime.now(UTC)


def _store(table: Table, workflow: CaseWorkflow) -> CaseStore:
    return CaseStore(
        cases=DynamoCaseRepository(table),
        catalog=CatalogCache(DynamoCatalogRepository(table)),
        workflow=workflow,
        clock=utcnow,
    )


def request_service(settings: SubmitSettings, workflow: Workflow | None = None) -> RequestService:
    """`workflow` replaces Step Functions (tests: a workflow that refuses to start)."""
    table = Table(settings.table_name)
    return RequestService(
        cases=DynamoCaseRepository(table),
        uploads=DynamoUploadRepository(table),
        catalog=CatalogCache(DynamoCatalogRepository(table)),
        store=S3AttachmentStore(settings.attachments_bucket),
        workflow=workflow or CaseWorkflow(settings.state_machine_arn),
        lockouts=DynamoTrackingLockouts(table),
        clock=utcnow,
        upload_ttl=settings.upload_url_ttl_seconds,
        download_ttl=settings.download_url_ttl_seconds,
    )


def case_service(settings: CasesSettings | RateSettings) -> CaseService:
    table = Table(settings.table_name)
    unsatisfied = getattr(settings, "unsatisfied_at_or_below", RatingPolicy().unsatisfied_at_or_below)
    return CaseService(
        store=_store(table, CaseWorkflow(NO_STATE_MACHINE)),
        outbox=DynamoOutboxRepository(table),
        deadlines=DeadlineClock(settings.working_day_seconds),
        rating_policy=RatingPolicy(unsatisfied_at_or_below=unsatisfied),
    )


def workflow_tasks(settings: AssignSettings) -> WorkflowTasks:
    workflow = CaseWorkflow(NO_STATE_MACHINE)
    return WorkflowTasks(
        store=_store(Table(settings.table_name), workflow),
        deadlines=DeadlineClock(settings.working_day_seconds),
        rating_window_seconds=settings.rating_window_seconds,
        workflow=workflow,
    )


def notify_service(settings: NotifySettings, sender: SmsSender | None = None) -> NotifyService:
    """`sender` replaces the configured SMS provider (tests: a recording or failing fake)."""
    table = Table(settings.table_name)
    return NotifyService(
        cases=DynamoCaseRepository(table),
        outbox=DynamoOutboxRepository(table),
        catalog=CatalogCache(DynamoCatalogRepository(table)),
        sender=sender or SnsSmsSender(settings.sms_sender_id),
        clock=utcnow,
        rating_link_base=settings.rating_link_base,
    )


def sweep_service(settings: SweepSettings) -> SweepService:
    store = _store(Table(settings.table_name), CaseWorkflow(settings.state_machine_arn))
    return SweepService(store=store, shards=SWEEP_SHARDS, batch_limit=settings.sweep_batch_limit)


def scoreboard_service(settings: ScoreboardSettings | StatsSettings) -> ScoreboardService:
    table = Table(settings.table_name)
    return ScoreboardService(
        counters=DynamoScoreboardRepository(table),
        catalog=CatalogCache(DynamoCatalogRepository(table)),
        clock=utcnow,
    )
