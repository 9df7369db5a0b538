"""The one place that wires the application: real adapters behind the ports, built from validated settings.

Each handler validates its settings at cold start and asks here once for its service; tests build
the same services from fakes (`tests/fakes.py`) instead. Nothing else constructs an adapter.

Each factory imports what it builds: a handler's cold start loads its own service and adapters, not
every function's (this module is imported by all of them).
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from minyi.adapters.dynamo.table import Table
    from minyi.adapters.workflow import CaseWorkflow
    from minyi.config import (
        AccountsSettings,
        AccountsTriggerSettings,
        AdminSettings,
        AssignSettings,
        CasesSettings,
        CatalogAdminSettings,
        NotifySettings,
        Open311Settings,
        ProjectionsSettings,
        RateSettings,
        RatingCodeSettings,
        SmsSenderSettings,
        StatsSettings,
        SubmitSettings,
        SweepSettings,
    )
    from minyi.domain.rating_links import RatingLinks
    from minyi.ports import Clock, CodeDecrypter, DeployFacts, SmsSender, UserDirectory, Workflow
    from minyi.services.account_codes import AccountCodeService
    from minyi.services.account_status import AccountGate
    from minyi.services.accounts import AccountService
    from minyi.services.cases import CaseService, CaseStore
    from minyi.services.catalog_admin import CatalogAdminService
    from minyi.services.hotline import HotlineService
    from minyi.services.notify import NotifyService
    from minyi.services.open311 import ApiKeyService, Open311Service
    from minyi.services.rating_links import LinkRating
    from minyi.services.requests import RequestService
    from minyi.services.scoreboard import ScoreboardService
    from minyi.services.sweep import SweepService
    from minyi.services.workflow_tasks import WorkflowTasks

#: Functions that only complete parked tasks need no state machine ARN (the token names the execution).
NO_STATE_MACHINE = ""


def utcnow() -> datetime:
    return datetime.now(UTC)


def _store(table: Table, workflow: CaseWorkflow) -> CaseStore:
    from minyi.adapters.dynamo.cases import DynamoCaseRepository
    from minyi.adapters.dynamo.catalog import DynamoCatalogRepository
    from minyi.services.cases import CaseStore
    from minyi.services.catalog import CatalogCache

    return CaseStore(
        cases=DynamoCaseRepository(table),
        catalog=CatalogCache(DynamoCatalogRepository(table)),
        workflow=workflow,
        clock=utcnow,
    )


def request_service(settings: SubmitSettings, workflow: Workflow | None = None) -> RequestService:
    """`workflow` replaces Step Functions (tests: a workflow that refuses to start)."""
    from minyi.adapters.dynamo.cases import DynamoCaseRepository
    from minyi.adapters.dynamo.catalog import DynamoCatalogRepository
    from minyi.adapters.dynamo.lockouts import DynamoTrackingLockouts
    from minyi.adapters.dynamo.table import Table
    from minyi.adapters.dynamo.uploads import DynamoUploadRepository
    from minyi.adapters.storage import S3AttachmentStore
    from minyi.adapters.workflow import CaseWorkflow
    from minyi.config import RatingCodeSettings
    from minyi.services.catalog import CatalogCache
    from minyi.services.requests import RequestService

    table = Table(settings.table_name)
    # the signer of the SMS rating links, for tracking with their code: its secret is read when first used
    links = None
    if isinstance(settings, RatingCodeSettings):
        links = functools.cache(functools.partial(rating_links, settings))
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
        sms_countries=settings.sms_countries,
        links=links,
    )


def case_service(settings: CasesSettings | RateSettings) -> CaseService:
    from minyi.adapters.dynamo.outbox import DynamoOutboxRepository
    from minyi.adapters.dynamo.table import Table
    from minyi.adapters.dynamo.uploads import DynamoUploadRepository
    from minyi.adapters.storage import S3AttachmentStore
    from minyi.adapters.workflow import CaseWorkflow
    from minyi.config import CasesSettings
    from minyi.domain.deadlines import DeadlineClock
    from minyi.domain.lifecycle import RatingPolicy
    from minyi.services.cases import CaseService, HandlingRules

    table = Table(settings.table_name)
    rules = HandlingRules()
    directory: UserDirectory | None = None
    if isinstance(settings, CasesSettings):
        from minyi.adapters.cognito import CognitoUserDirectory

        directory = CognitoUserDirectory(settings.staff_user_pool_id)
        rules = HandlingRules(
            max_extensions_per_round=settings.max_extensions_per_round,
            dispatch_deadline_hours=settings.dispatch_deadline_hours,
        )
    else:
        rules = HandlingRules(rating_policy=RatingPolicy(unsatisfied_at_or_below=settings.unsatisfied_at_or_below))
    return CaseService(
        store=_store(table, CaseWorkflow(NO_STATE_MACHINE)),
        outbox=DynamoOutboxRepository(table),
        attachments=S3AttachmentStore(settings.attachments_bucket),
        uploads=DynamoUploadRepository(table),
        deadlines=DeadlineClock(settings.working_day_seconds),
        rules=rules,
        download_ttl=settings.download_url_ttl_seconds,
        directory=directory,
    )


def hotline_service(settings: CasesSettings) -> HotlineService:
    """The knowledge base, reply templates and 回访 on the cases function's case service."""
    from minyi.services.hotline import HotlineService

    return HotlineService(case_service(settings))


def rating_links(settings: RatingCodeSettings) -> RatingLinks:
    from minyi.adapters.secrets import secret_bytes
    from minyi.domain.rating_links import RatingLinks

    return RatingLinks(secret=secret_bytes(settings.rating_link_secret_arn), base=settings.rating_link_base)


def link_rating(settings: RateSettings) -> LinkRating:
    from minyi.adapters.dynamo.cases import DynamoCaseRepository
    from minyi.adapters.dynamo.lockouts import DynamoTrackingLockouts
    from minyi.adapters.dynamo.table import Table
    from minyi.services.rating_links import LinkRating

    table = Table(settings.table_name)
    return LinkRating(
        DynamoCaseRepository(table),
        case_service(settings),
        rating_links(settings),
        lockouts=DynamoTrackingLockouts(table),
        clock=utcnow,
    )


def workflow_tasks(settings: AssignSettings) -> WorkflowTasks:
    from minyi.adapters.dynamo.table import Table
    from minyi.adapters.workflow import CaseWorkflow
    from minyi.domain.deadlines import DeadlineClock
    from minyi.services.workflow_tasks import WorkflowTasks

    workflow = CaseWorkflow(NO_STATE_MACHINE)
    return WorkflowTasks(
        store=_store(Table(settings.table_name), workflow),
        deadlines=DeadlineClock(settings.working_day_seconds),
        rating_window_seconds=settings.rating_window_seconds,
        workflow=workflow,
        dispatch_deadline_hours=settings.dispatch_deadline_hours,
        callback_days=settings.callback_days,
    )


def notify_service(settings: NotifySettings, sender: SmsSender | None = None) -> NotifyService:
    """`sender` replaces the configured SMS provider (tests: a recording or failing fake)."""
    from minyi.adapters.dynamo.cases import DynamoCaseRepository
    from minyi.adapters.dynamo.catalog import DynamoCatalogRepository
    from minyi.adapters.dynamo.outbox import DynamoOutboxRepository
    from minyi.adapters.dynamo.table import Table
    from minyi.adapters.sms import sms_sender
    from minyi.services.catalog import CatalogCache
    from minyi.services.notify import NotifyService

    table = Table(settings.table_name)
    return NotifyService(
        cases=DynamoCaseRepository(table),
        outbox=DynamoOutboxRepository(table),
        catalog=CatalogCache(DynamoCatalogRepository(table)),
        sender=sender
        or sms_sender(
            settings.sms_provider, settings.sms_region, settings.sms_sender_id, settings.sms_provider_secret_arn
        ),
        clock=utcnow,
        links=rating_links(settings),
    )


def sweep_service(settings: SweepSettings) -> SweepService:
    from minyi.adapters.dynamo.cases import SWEEP_SHARDS
    from minyi.adapters.dynamo.leases import DynamoLeases
    from minyi.adapters.dynamo.table import Table
    from minyi.adapters.workflow import CaseWorkflow
    from minyi.services.sweep import SweepService

    table = Table(settings.table_name)
    store = _store(table, CaseWorkflow(settings.state_machine_arn))
    return SweepService(
        store=store,
        shards=SWEEP_SHARDS,
        leases=DynamoLeases(table),
        lease_for=timedelta(seconds=settings.sweep_lease_seconds),
        batch_limit=settings.sweep_batch_limit,
    )


def scoreboard_service(settings: ProjectionsSettings | StatsSettings) -> ScoreboardService:
    from minyi.adapters.dynamo.catalog import DynamoCatalogRepository
    from minyi.adapters.dynamo.scoreboard import DynamoScoreboardRepository
    from minyi.adapters.dynamo.table import Table
    from minyi.services.catalog import CatalogCache
    from minyi.services.scoreboard import ScoreboardService

    table = Table(settings.table_name)
    return ScoreboardService(
        counters=DynamoScoreboardRepository(table),
        catalog=CatalogCache(DynamoCatalogRepository(table)),
        clock=utcnow,
    )


def open311_service(settings: Open311Settings) -> Open311Service:
    """GeoReport v2: submissions go through the citizen API's request service (same loop)."""
    from minyi.adapters.dynamo.api_keys import DynamoApiKeyRepository
    from minyi.adapters.dynamo.cases import DynamoCaseRepository
    from minyi.adapters.dynamo.catalog import DynamoCatalogRepository
    from minyi.adapters.dynamo.open311 import DynamoOpen311Repository
    from minyi.adapters.dynamo.table import Table
    from minyi.services.catalog import CatalogCache
    from minyi.services.open311 import Open311Service

    table = Table(settings.table_name)
    return Open311Service(
        requests=request_service(settings),
        cases=DynamoCaseRepository(table),
        catalog=CatalogCache(DynamoCatalogRepository(table)),
        feed=DynamoOpen311Repository(table),
        keys=DynamoApiKeyRepository(table),
        clock=utcnow,
        rate_limit_per_minute=settings.open311_rate_limit_per_minute,
    )


def open311_feed_service(settings: ProjectionsSettings) -> Open311Service:
    """The open-data feed kept from the stream: reads cases, files nothing."""
    from minyi.adapters.dynamo.api_keys import DynamoApiKeyRepository
    from minyi.adapters.dynamo.cases import DynamoCaseRepository
    from minyi.adapters.dynamo.catalog import DynamoCatalogRepository
    from minyi.adapters.dynamo.open311 import DynamoOpen311Repository
    from minyi.adapters.dynamo.table import Table
    from minyi.services.catalog import CatalogCache
    from minyi.services.open311 import Open311Service

    table = Table(settings.table_name)
    return Open311Service(
        requests=None,
        cases=DynamoCaseRepository(table),
        catalog=CatalogCache(DynamoCatalogRepository(table)),
        feed=DynamoOpen311Repository(table),
        keys=DynamoApiKeyRepository(table),
        clock=utcnow,
        rate_limit_per_minute=1,
    )


def api_key_service(settings: AdminSettings) -> ApiKeyService:
    from minyi.adapters.dynamo.api_keys import DynamoApiKeyRepository
    from minyi.adapters.dynamo.table import Table
    from minyi.services.open311 import ApiKeyService

    return ApiKeyService(keys=DynamoApiKeyRepository(Table(settings.table_name)), clock=utcnow)


def account_service(settings: AccountsSettings, directory: UserDirectory | None = None) -> AccountService:
    """`directory` replaces the Cognito user pool (tests: an in-memory directory)."""
    from minyi.adapters.cognito import CognitoUserDirectory
    from minyi.adapters.dynamo.accounts import DynamoAccountStatuses
    from minyi.adapters.dynamo.catalog import DynamoCatalogRepository
    from minyi.adapters.dynamo.table import Table
    from minyi.services.accounts import AccountService
    from minyi.services.catalog import CatalogCache

    table = Table(settings.table_name)
    return AccountService(
        directory=directory or CognitoUserDirectory(settings.user_pool_id),
        catalog=CatalogCache(DynamoCatalogRepository(table)),
        sms_countries=settings.sms_countries,
        statuses=DynamoAccountStatuses(table),
        clock=utcnow,
    )


def account_gate(table_name: str | None = None, clock: Clock | None = None) -> AccountGate:
    """The per-container cache of staff account statuses every API function checks its callers
    against (`minyi.api.http.caller`). The table comes from the function's TABLE_NAME unless named;
    `clock` replaces the real one (tests: a clock they move past the cache's minute)."""
    from minyi.adapters.dynamo.accounts import DynamoAccountStatuses
    from minyi.adapters.dynamo.table import Table
    from minyi.config import TableSettings
    from minyi.services.account_status import AccountGate

    name = table_name or TableSettings.from_env().table_name
    return AccountGate(DynamoAccountStatuses(Table(name)), clock=clock or utcnow)


def account_trigger_service(settings: AccountsTriggerSettings, user_pool_id: str) -> AccountService:
    """Cognito's triggers: the pool is the one the event comes from."""
    from minyi.adapters.cognito import CognitoUserDirectory
    from minyi.services.accounts import AccountService

    return AccountService(
        directory=CognitoUserDirectory(user_pool_id), catalog=None, sms_countries=settings.sms_countries
    )


def account_code_service(
    settings: SmsSenderSettings, decrypter: CodeDecrypter | None = None, sender: SmsSender | None = None
) -> AccountCodeService:
    """Cognito's custom SMS sender: `decrypter` and `sender` replace the Encryption SDK and the provider (tests)."""
    from minyi.adapters.sms import sms_sender
    from minyi.services.account_codes import AccountCodeService

    if decrypter is None:
        from minyi.adapters.code_decrypter import EncryptionSdkDecrypter  # the Encryption SDK: this function only

        decrypter = EncryptionSdkDecrypter(settings.code_key_arn)
    return AccountCodeService(
        decrypter=decrypter,
        sender=sender
        or sms_sender(
            settings.sms_provider, settings.sms_region, settings.sms_sender_id, settings.sms_provider_secret_arn
        ),
    )


def catalog_admin_service(settings: CatalogAdminSettings) -> CatalogAdminService:
    from minyi.adapters.dynamo.catalog import DynamoCatalogRepository
    from minyi.adapters.dynamo.table import Table
    from minyi.services.catalog_admin import CatalogAdminService

    return CatalogAdminService(repo=DynamoCatalogRepository(Table(settings.table_name)), clock=utcnow)


def deploy_facts(region: str, web_domain: str | None = None) -> DeployFacts:
    """`minyi preflight`: the account's and the SMS provider's answers, read-only (an operator's machine);
    the SMS templates as they must be registered for `web_domain` (the rating address is their text)."""
    from minyi.adapters.deploy_facts import AwsDeployFacts, registry

    return AwsDeployFacts(region, templates=lambda: registry(web_domain))
