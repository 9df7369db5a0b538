"""The one place that wires the application: real adapters behind the ports, built from validated settings.

Each handler validates its settings at cold start and asks here once for its service. Every factory
takes those settings plus keyword overrides, one for each part it wires (named like the service's own
argument: `cases`, `catalog`, `workflow`, `store`, `sender`, `clock`, ...): a part given is used as
it is, a part not given is the real adapter. Tests build the same services through the same factories
with their fakes as overrides (`tests/fakes.py::Fakes`), so the wiring is written once. Nothing else
constructs an adapter.

Each factory imports what it builds, and builds a part only when no override replaces it: a handler's
cold start loads its own service and adapters, not every function's (this module is imported by all of
them), and a service built on fakes creates no AWS client.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from minyi.adapters.dynamo.table import Table
    from minyi.config import (
        AccountsSettings,
        AccountsTriggerSettings,
        AdminSettings,
        AssignSettings,
        CasesSettings,
        CatalogAdminSettings,
        ModelsSettings,
        NotifySettings,
        Open311Settings,
        ProjectionsSettings,
        RateSettings,
        RatingCodeSettings,
        SmsProviderSettings,
        SmsSenderSettings,
        StatsSettings,
        SubmitSettings,
        SweepSettings,
        TableSettings,
        TrainModelSettings,
    )
    from minyi.domain.deadlines import DeadlineClock
    from minyi.domain.intake_model import TopicModel
    from minyi.domain.rating_links import RatingLinks
    from minyi.ports import (
        AccountStatuses,
        ApiKeyRepository,
        AttachmentStore,
        CaseRepository,
        CatalogRepository,
        Clock,
        CodeDecrypter,
        DeployFacts,
        HotspotRepository,
        IdempotencyStore,
        Leases,
        ModelStore,
        NearbyCases,
        Open311Repository,
        OutboxRepository,
        ScoreboardRepository,
        SmsSender,
        TopicModelSource,
        TrackingLockouts,
        UploadRepository,
        UserDirectory,
        Workflow,
    )
    from minyi.services.account_codes import AccountCodeService
    from minyi.services.account_status import AccountGate
    from minyi.services.accounts import AccountService
    from minyi.services.cases import CaseService, CaseStore
    from minyi.services.catalog import CatalogCache
    from minyi.services.catalog_admin import CatalogAdminService
    from minyi.services.hotline import HotlineService
    from minyi.services.hotspots import HotspotService
    from minyi.services.intake import IntakeService
    from minyi.services.intake_training import LabelledExample
    from minyi.services.model_ops import ModelCache, ModelOps
    from minyi.services.notify import NotifyService
    from minyi.services.open311 import ApiKeyService, Open311Service
    from minyi.services.open311_feed import Open311Feed
    from minyi.services.rating_links import LinkRating
    from minyi.services.requests import RequestService
    from minyi.services.scoreboard import ScoreboardService
    from minyi.services.sweep import SweepService
    from minyi.services.workflow_tasks import WorkflowTasks

P = TypeVar("P")

#: Functions that only complete parked tasks need no state machine ARN (the token names the execution).
NO_STATE_MACHINE = ""


def utcnow() -> datetime:
    return datetime.now(UTC)


def _given(part: P | None, build: Callable[[], P]) -> P:
    """The caller's part when it gave one, else the adapter `build` makes (built only then)."""
    return build() if part is None else part


def _constant(value: P) -> Callable[[], P]:
    return lambda: value


def _table(settings: TableSettings) -> Callable[[], Table]:
    """The function's single table, built when a part first needs it (a fake needs none)."""

    @functools.cache
    def table() -> Table:
        from minyi.adapters.dynamo.table import Table

        return Table(settings.table_name)

    return table


def _catalog(table: Callable[[], Table]) -> CatalogCache:
    from minyi.adapters.dynamo.catalog import DynamoCatalogRepository
    from minyi.services.catalog import CatalogCache

    return CatalogCache(DynamoCatalogRepository(table()))


def _cases(table: Callable[[], Table]) -> CaseRepository:
    from minyi.adapters.dynamo.cases import DynamoCaseRepository

    return DynamoCaseRepository(table())


def _workflow(state_machine_arn: str) -> Workflow:
    from minyi.adapters.workflow import CaseWorkflow

    return CaseWorkflow(state_machine_arn)


def _attachments(bucket: str) -> AttachmentStore:
    from minyi.adapters.storage import S3AttachmentStore

    return S3AttachmentStore(bucket)


def _sms_sender(settings: SmsProviderSettings) -> SmsSender:
    from minyi.adapters.sms import sms_sender

    return sms_sender(
        settings.sms_provider, settings.sms_region, settings.sms_sender_id, settings.sms_provider_secret_arn
    )


def _deadlines(settings: CasesSettings | RateSettings | AssignSettings) -> DeadlineClock:
    from minyi.domain.deadlines import DeadlineClock

    return DeadlineClock(settings.working_day_seconds)


def case_store(
    table: Callable[[], Table],
    workflow: Workflow,
    *,
    cases: CaseRepository | None = None,
    catalog: CatalogCache | None = None,
    clock: Clock | None = None,
) -> CaseStore:
    """What every service that changes a case shares: the cases, the catalogue, the workflow, the clock."""
    from minyi.services.cases import CaseStore

    return CaseStore(
        cases=_given(cases, lambda: _cases(table)),
        catalog=_given(catalog, lambda: _catalog(table)),
        workflow=workflow,
        clock=clock or utcnow,
    )


def _nearby(table: Callable[[], Table]) -> NearbyCases:
    from minyi.adapters.dynamo.nearby import DynamoNearbyCases

    return DynamoNearbyCases(table())


def intake_service(
    settings: TableSettings,
    *,
    cases: CaseRepository | None = None,
    catalog: CatalogCache | None = None,
    nearby: NearbyCases | None = None,
    models: TopicModelSource | None = None,
    clock: Clock | None = None,
) -> IntakeService:
    """Smart intake (issue 18): suggestions, the classification of a case filed without a topic, and a
    case's duplicate candidates. `models` is the source of the trained model in force; without one the
    catalogue's keywords suggest (the cold start)."""
    from minyi.services.intake import IntakeService

    table = _table(settings)
    return IntakeService(
        catalog=_given(catalog, lambda: _catalog(table)),
        nearby=_given(nearby, lambda: _nearby(table)),
        cases=_given(cases, lambda: _cases(table)),
        clock=clock or utcnow,
        models=models if models is not None else _topic_models(settings),
    )


def _topic_models(settings: TableSettings) -> TopicModelSource | None:
    """The model in force where the function is given the models bucket (the submit function); else none:
    the catalogue's keywords suggest."""
    from minyi.config import ModelsSettings

    return topic_model_source(settings) if isinstance(settings, ModelsSettings) else None


def request_service(
    settings: SubmitSettings,
    *,
    cases: CaseRepository | None = None,
    uploads: UploadRepository | None = None,
    catalog: CatalogCache | None = None,
    store: AttachmentStore | None = None,
    workflow: Workflow | None = None,
    lockouts: TrackingLockouts | None = None,
    clock: Clock | None = None,
    links: RatingLinks | None = None,
    intake: IntakeService | None = None,
) -> RequestService:
    """`links` signs the SMS rating links whose code tracks a case: read when first used, where the
    settings name the secret (the citizen API), or the one given. `intake` classifies what is filed
    (built on the same cases and catalogue unless given)."""
    from minyi.config import RatingCodeSettings
    from minyi.services.requests import RequestService

    table = _table(settings)
    case_repo = _given(cases, lambda: _cases(table))
    catalog_cache = _given(catalog, lambda: _catalog(table))
    signer: Callable[[], RatingLinks] | None = None
    if links is not None:
        signer = _constant(links)
    elif isinstance(settings, RatingCodeSettings):
        signer = functools.cache(functools.partial(rating_links, settings))

    def dynamo_uploads() -> UploadRepository:
        from minyi.adapters.dynamo.uploads import DynamoUploadRepository

        return DynamoUploadRepository(table())

    def dynamo_lockouts() -> TrackingLockouts:
        from minyi.adapters.dynamo.lockouts import DynamoTrackingLockouts

        return DynamoTrackingLockouts(table())

    return RequestService(
        cases=case_repo,
        uploads=_given(uploads, dynamo_uploads),
        catalog=catalog_cache,
        store=_given(store, lambda: _attachments(settings.attachments_bucket)),
        workflow=_given(workflow, lambda: _workflow(settings.state_machine_arn)),
        lockouts=_given(lockouts, dynamo_lockouts),
        clock=clock or utcnow,
        upload_ttl=settings.upload_url_ttl_seconds,
        download_ttl=settings.download_url_ttl_seconds,
        sms_countries=settings.sms_countries,
        links=signer,
        intake=_given(intake, lambda: intake_service(settings, cases=case_repo, catalog=catalog_cache, clock=clock)),
    )


def case_service(
    settings: CasesSettings | RateSettings,
    *,
    cases: CaseRepository | None = None,
    catalog: CatalogCache | None = None,
    workflow: Workflow | None = None,
    clock: Clock | None = None,
    outbox: OutboxRepository | None = None,
    attachments: AttachmentStore | None = None,
    uploads: UploadRepository | None = None,
    directory: UserDirectory | None = None,
) -> CaseService:
    """The staff's cases (CasesSettings: the staff pool is the directory) or the citizens' ratings."""
    from minyi.config import CasesSettings
    from minyi.domain.lifecycle import RatingPolicy
    from minyi.services.cases import CaseService, HandlingRules

    table = _table(settings)
    if isinstance(settings, CasesSettings):
        pool = settings.staff_user_pool_id

        def cognito() -> UserDirectory:
            from minyi.adapters.cognito import CognitoUserDirectory

            return CognitoUserDirectory(pool)

        directory = _given(directory, cognito)
        rules = HandlingRules(
            max_extensions_per_round=settings.max_extensions_per_round,
            dispatch_deadline_hours=settings.dispatch_deadline_hours,
        )
    else:
        rules = HandlingRules(rating_policy=RatingPolicy(unsatisfied_at_or_below=settings.unsatisfied_at_or_below))

    def dynamo_outbox() -> OutboxRepository:
        from minyi.adapters.dynamo.outbox import DynamoOutboxRepository

        return DynamoOutboxRepository(table())

    def dynamo_uploads() -> UploadRepository:
        from minyi.adapters.dynamo.uploads import DynamoUploadRepository

        return DynamoUploadRepository(table())

    machine = (settings.state_machine_arn if isinstance(settings, CasesSettings) else None) or NO_STATE_MACHINE
    return CaseService(
        store=case_store(
            table, _given(workflow, lambda: _workflow(machine)), cases=cases, catalog=catalog, clock=clock
        ),
        outbox=_given(outbox, dynamo_outbox),
        attachments=_given(attachments, lambda: _attachments(settings.attachments_bucket)),
        uploads=_given(uploads, dynamo_uploads),
        deadlines=_deadlines(settings),
        rules=rules,
        download_ttl=settings.download_url_ttl_seconds,
        directory=directory,
    )


def hotline_service(settings: CasesSettings, *, cases: CaseService | None = None) -> HotlineService:
    """The knowledge base, reply templates and 回访 on the cases function's case service (`cases`)."""
    from minyi.services.hotline import HotlineService

    return HotlineService(_given(cases, lambda: case_service(settings)))


def rating_links(settings: RatingCodeSettings) -> RatingLinks:
    from minyi.adapters.secrets import secret_bytes
    from minyi.domain.rating_links import RatingLinks

    return RatingLinks(secret=secret_bytes(settings.rating_link_secret_arn), base=settings.rating_link_base)


def link_rating(
    settings: RateSettings,
    *,
    cases: CaseRepository | None = None,
    ratings: CaseService | None = None,
    links: RatingLinks | None = None,
    lockouts: TrackingLockouts | None = None,
    clock: Clock | None = None,
) -> LinkRating:
    """Rating with the SMS code; `ratings` is the case service that records the rating."""
    from minyi.services.rating_links import LinkRating

    table = _table(settings)

    def dynamo_lockouts() -> TrackingLockouts:
        from minyi.adapters.dynamo.lockouts import DynamoTrackingLockouts

        return DynamoTrackingLockouts(table())

    return LinkRating(
        _given(cases, lambda: _cases(table)),
        _given(ratings, lambda: case_service(settings)),
        _given(links, lambda: rating_links(settings)),
        lockouts=_given(lockouts, dynamo_lockouts),
        clock=clock or utcnow,
    )


def workflow_tasks(
    settings: AssignSettings,
    *,
    cases: CaseRepository | None = None,
    catalog: CatalogCache | None = None,
    workflow: Workflow | None = None,
    clock: Clock | None = None,
) -> WorkflowTasks:
    from minyi.services.workflow_tasks import WorkflowTasks

    steps = _given(workflow, lambda: _workflow(NO_STATE_MACHINE))
    return WorkflowTasks(
        store=case_store(_table(settings), steps, cases=cases, catalog=catalog, clock=clock),
        deadlines=_deadlines(settings),
        rating_window_seconds=settings.rating_window_seconds,
        workflow=steps,
        dispatch_deadline_hours=settings.dispatch_deadline_hours,
        callback_days=settings.callback_days,
    )


def notify_service(
    settings: NotifySettings,
    *,
    cases: CaseRepository | None = None,
    outbox: OutboxRepository | None = None,
    catalog: CatalogCache | None = None,
    sender: SmsSender | None = None,
    clock: Clock | None = None,
    links: RatingLinks | None = None,
) -> NotifyService:
    """`sender` replaces the configured SMS provider (tests: a recording or failing fake)."""
    from minyi.services.notify import NotifyService

    table = _table(settings)

    def dynamo_outbox() -> OutboxRepository:
        from minyi.adapters.dynamo.outbox import DynamoOutboxRepository

        return DynamoOutboxRepository(table())

    return NotifyService(
        cases=_given(cases, lambda: _cases(table)),
        outbox=_given(outbox, dynamo_outbox),
        catalog=_given(catalog, lambda: _catalog(table)),
        sender=_given(sender, lambda: _sms_sender(settings)),
        clock=clock or utcnow,
        links=_given(links, lambda: rating_links(settings)),
    )


def sweep_service(
    settings: SweepSettings,
    *,
    cases: CaseRepository | None = None,
    catalog: CatalogCache | None = None,
    workflow: Workflow | None = None,
    clock: Clock | None = None,
    leases: Leases | None = None,
    shards: int | None = None,
) -> SweepService:
    from minyi.adapters.dynamo.cases import SWEEP_SHARDS
    from minyi.services.sweep import SweepService

    table = _table(settings)

    def dynamo_leases() -> Leases:
        from minyi.adapters.dynamo.leases import DynamoLeases

        return DynamoLeases(table())

    steps = _given(workflow, lambda: _workflow(settings.state_machine_arn))
    return SweepService(
        store=case_store(table, steps, cases=cases, catalog=catalog, clock=clock),
        shards=SWEEP_SHARDS if shards is None else shards,
        leases=_given(leases, dynamo_leases),
        lease_for=timedelta(seconds=settings.sweep_lease_seconds),
        batch_limit=settings.sweep_batch_limit,
    )


def scoreboard_service(
    settings: ProjectionsSettings | StatsSettings,
    *,
    counters: ScoreboardRepository | None = None,
    catalog: CatalogCache | None = None,
    clock: Clock | None = None,
) -> ScoreboardService:
    from minyi.services.scoreboard import ScoreboardService

    table = _table(settings)

    def dynamo_counters() -> ScoreboardRepository:
        from minyi.adapters.dynamo.scoreboard import DynamoScoreboardRepository

        return DynamoScoreboardRepository(table())

    return ScoreboardService(
        counters=_given(counters, dynamo_counters),
        catalog=_given(catalog, lambda: _catalog(table)),
        clock=clock or utcnow,
    )


def hotspot_service(
    settings: ProjectionsSettings | StatsSettings,
    *,
    counters: HotspotRepository | None = None,
    catalog: CatalogCache | None = None,
    clock: Clock | None = None,
    outbox: OutboxRepository | None = None,
    sender: SmsSender | None = None,
) -> HotspotService:
    """Hotspots (未诉先办): the projections consumer counts and alerts (outbox and SMS provider), the
    stats API lists (neither: it sends nothing)."""
    from minyi.config import SmsProviderSettings
    from minyi.services.hotspots import HotspotService

    table = _table(settings)

    def dynamo_counters() -> HotspotRepository:
        from minyi.adapters.dynamo.hotspots import DynamoHotspotRepository

        return DynamoHotspotRepository(table())

    def dynamo_outbox() -> OutboxRepository:
        from minyi.adapters.dynamo.outbox import DynamoOutboxRepository

        return DynamoOutboxRepository(table())

    sends = isinstance(settings, SmsProviderSettings)
    return HotspotService(
        counters=_given(counters, dynamo_counters),
        catalog=_given(catalog, lambda: _catalog(table)),
        clock=clock or utcnow,
        outbox=_given(outbox, dynamo_outbox) if sends else outbox,
        sender=_given(sender, lambda: _sms_sender(settings)) if isinstance(settings, SmsProviderSettings) else sender,
    )


def _open311_feed(table: Callable[[], Table]) -> Open311Repository:
    from minyi.adapters.dynamo.open311 import DynamoOpen311Repository

    return DynamoOpen311Repository(table())


def _api_keys(table: Callable[[], Table]) -> ApiKeyRepository:
    from minyi.adapters.dynamo.api_keys import DynamoApiKeyRepository

    return DynamoApiKeyRepository(table())


def open311_service(
    settings: Open311Settings,
    *,
    requests: RequestService | None = None,
    cases: CaseRepository | None = None,
    catalog: CatalogCache | None = None,
    feed: Open311Repository | None = None,
    keys: ApiKeyRepository | None = None,
    clock: Clock | None = None,
) -> Open311Service:
    """GeoReport v2: submissions go through the citizen API's request service (same loop)."""
    from minyi.services.open311 import Open311Service

    table = _table(settings)
    return Open311Service(
        requests=_given(requests, lambda: request_service(settings)),
        cases=_given(cases, lambda: _cases(table)),
        catalog=_given(catalog, lambda: _catalog(table)),
        feed=_given(feed, lambda: _open311_feed(table)),
        keys=_given(keys, lambda: _api_keys(table)),
        clock=clock or utcnow,
        rate_limit_per_minute=settings.open311_rate_limit_per_minute,
    )


def open311_feed_service(
    settings: ProjectionsSettings,
    *,
    cases: CaseRepository | None = None,
    catalog: CatalogCache | None = None,
    feed: Open311Repository | None = None,
) -> Open311Feed:
    """The open-data feed kept from the stream: reads cases, files nothing."""
    from minyi.services.open311_feed import Open311Feed

    table = _table(settings)
    return Open311Feed(
        cases=_given(cases, lambda: _cases(table)),
        catalog=_given(catalog, lambda: _catalog(table)),
        feed=_given(feed, lambda: _open311_feed(table)),
    )


def api_key_service(
    settings: AdminSettings, *, keys: ApiKeyRepository | None = None, clock: Clock | None = None
) -> ApiKeyService:
    from minyi.services.open311 import ApiKeyService

    return ApiKeyService(keys=_given(keys, lambda: _api_keys(_table(settings))), clock=clock or utcnow)


def _account_statuses(table: Callable[[], Table]) -> AccountStatuses:
    from minyi.adapters.dynamo.accounts import DynamoAccountStatuses

    return DynamoAccountStatuses(table())


def account_service(
    settings: AccountsSettings,
    *,
    directory: UserDirectory | None = None,
    catalog: CatalogCache | None = None,
    statuses: AccountStatuses | None = None,
    clock: Clock | None = None,
) -> AccountService:
    """`directory` replaces the Cognito user pool (tests: an in-memory directory)."""
    from minyi.services.accounts import AccountService

    table = _table(settings)

    def cognito() -> UserDirectory:
        from minyi.adapters.cognito import CognitoUserDirectory

        return CognitoUserDirectory(settings.user_pool_id)

    return AccountService(
        directory=_given(directory, cognito),
        catalog=_given(catalog, lambda: _catalog(table)),
        sms_countries=settings.sms_countries,
        statuses=_given(statuses, lambda: _account_statuses(table)),
        clock=clock or utcnow,
    )


def account_gate(
    table_name: str | None = None, *, statuses: AccountStatuses | None = None, clock: Clock | None = None
) -> AccountGate:
    """The per-container cache of staff account statuses every API function checks its callers
    against (`minyi.api.http.caller`). The table comes from the function's TABLE_NAME unless named;
    `clock` replaces the real one (tests: a clock they move past the cache's minute)."""
    from minyi.config import TableSettings
    from minyi.services.account_status import AccountGate

    def named() -> TableSettings:
        return TableSettings(table_name=table_name) if table_name else TableSettings.from_env()

    return AccountGate(_given(statuses, lambda: _account_statuses(_table(named()))), clock=clock or utcnow)


def account_trigger_service(
    settings: AccountsTriggerSettings, user_pool_id: str, *, directory: UserDirectory | None = None
) -> AccountService:
    """Cognito's triggers: the pool is the one the event comes from."""
    from minyi.services.accounts import AccountService

    def cognito() -> UserDirectory:
        from minyi.adapters.cognito import CognitoUserDirectory

        return CognitoUserDirectory(user_pool_id)

    return AccountService(directory=_given(directory, cognito), catalog=None, sms_countries=settings.sms_countries)


def account_code_service(
    settings: SmsSenderSettings, *, decrypter: CodeDecrypter | None = None, sender: SmsSender | None = None
) -> AccountCodeService:
    """Cognito's custom SMS sender: `decrypter` and `sender` replace the Encryption SDK and the provider (tests)."""
    from minyi.services.account_codes import AccountCodeService

    def encryption_sdk() -> CodeDecrypter:
        from minyi.adapters.code_decrypter import EncryptionSdkDecrypter  # the Encryption SDK: this function only

        return EncryptionSdkDecrypter(settings.code_key_arn)

    return AccountCodeService(
        decrypter=_given(decrypter, encryption_sdk), sender=_given(sender, lambda: _sms_sender(settings))
    )


def catalog_admin_service(
    settings: CatalogAdminSettings, *, repo: CatalogRepository | None = None, clock: Clock | None = None
) -> CatalogAdminService:
    from minyi.services.catalog_admin import CatalogAdminService

    def dynamo_catalog() -> CatalogRepository:
        from minyi.adapters.dynamo.catalog import DynamoCatalogRepository

        return DynamoCatalogRepository(_table(settings)())

    return CatalogAdminService(repo=_given(repo, dynamo_catalog), clock=clock or utcnow)


def idempotency_store(settings: SubmitSettings) -> IdempotencyStore:
    """Where keyed submissions are remembered (the IdempotencyTable); its client is built on first use."""
    from minyi.adapters.idempotency import DynamoIdempotencyStore

    return DynamoIdempotencyStore(settings.idempotency_table)


def deploy_facts(region: str, web_domain: str | None = None) -> DeployFacts:
    """`minyi preflight`: the account's and the SMS provider's answers, read-only (an operator's machine);
    the SMS templates as they must be registered for `web_domain` (the rating address is their text)."""
    from minyi.adapters.deploy_facts import AwsDeployFacts, registry

    return AwsDeployFacts(region, templates=lambda: registry(web_domain))


# --- the intake topic models (issue 18) ------------------------------------------------------------


def _model_store(settings: ModelsSettings) -> ModelStore:
    from minyi.adapters.topic_models import S3ModelStore

    return S3ModelStore(settings.models_bucket)


def _packaged_model() -> TopicModel | None:
    from minyi.adapters.topic_models import packaged_model

    return packaged_model()


def topic_model_source(
    settings: ModelsSettings,
    *,
    store: ModelStore | None = None,
    packaged: Callable[[], TopicModel | None] | None = None,
    clock: Clock | None = None,
) -> ModelCache:
    """`ports.TopicModelSource` for the suggestions: builds nothing until the first suggestion asks (no
    S3 client, no model read at cold start); `packaged` replaces the layer's model (tests)."""
    from minyi.services.model_ops import ModelCache

    return ModelCache(
        store=_given(store, lambda: _model_store(settings)),
        packaged=packaged or _packaged_model,
        clock=clock or utcnow,
    )


def model_ops(
    settings: ModelsSettings,
    *,
    store: ModelStore | None = None,
    packaged: Callable[[], TopicModel | None] | None = None,
    clock: Clock | None = None,
) -> ModelOps:
    """The admin's model routes: the versions, promotion, rollback (the store alone)."""
    from minyi.services.model_ops import ModelOps

    return ModelOps(
        store=_given(store, lambda: _model_store(settings)),
        packaged=packaged or _packaged_model,
        clock=clock or utcnow,
    )


def model_training(
    settings: TrainModelSettings,
    *,
    store: ModelStore | None = None,
    packaged: Callable[[], TopicModel | None] | None = None,
    cases: CaseRepository | None = None,
    catalog: CatalogCache | None = None,
    seed: Callable[[], list[LabelledExample]] | None = None,
    clock: Clock | None = None,
) -> ModelOps:
    """The training job (the monthly function, `minyi model train --table`): the closed cases and the
    catalogue from the table, the seed set from the layer."""
    from minyi.services.model_ops import ModelOps

    def layer_seed() -> list[LabelledExample]:
        from minyi.adapters.topic_models import PACKAGED_SEED
        from minyi.services.intake_training import load_seed

        return load_seed(PACKAGED_SEED)

    table = _table(settings)
    return ModelOps(
        store=_given(store, lambda: _model_store(settings)),
        packaged=packaged or _packaged_model,
        clock=clock or utcnow,
        cases=_given(cases, lambda: _cases(table)),
        catalog=_given(catalog, lambda: _catalog(table)).get,
        seed=seed or layer_seed,
    )
