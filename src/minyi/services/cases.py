"""Case actions by units, dispatchers, supervisors and the rating citizen.

Each action: load the case, apply one lifecycle rule, save it with its events in one conditional
transaction (retrying if another writer won), then complete the workflow's parked task if the
transition finished the phase it waits in.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from minyi.adapters.dynamo import DISPATCH_QUEUE, DynamoRepository
from minyi.adapters.workflow import CaseWorkflow
from minyi.api import schemas
from minyi.config import WorkflowSettings
from minyi.domain import lifecycle
from minyi.domain.catalog import SUPERVISION_OFFICE
from minyi.domain.deadlines import DeadlineClock
from minyi.domain.errors import ConcurrentUpdate, Forbidden, InvalidInput, NotFound
from minyi.domain.lifecycle import RatingPolicy, Transition
from minyi.domain.models import Actor, Case, CaseStatus, Catalog, Role
from minyi.observability import logger, metrics
from minyi.services.requests import CatalogCache, utcnow
from minyi.services.views import summary

MAX_ATTEMPTS = 4


class CaseStore:
    """Load-decide-save with optimistic locking, and the workflow signal that follows a save."""

    def __init__(self, repo: DynamoRepository, clock: Callable[[], datetime] = utcnow):
        self.repo = repo
        self.clock = clock
        self.catalog = CatalogCache(repo)

    def load(self, case_id: str) -> Case:
        case = self.repo.get_case(case_id)
        if case is None:
            raise NotFound("no such case")
        return case

    def apply(self, case_id: str, decide: Callable[[Case, datetime], Transition]) -> Case:
        for _ in range(MAX_ATTEMPTS):
            case = self.load(case_id)
            transition = decide(case, self.clock())
            try:
                after = self.repo.save(transition)
            except ConcurrentUpdate:
                continue
            self.signal_workflow(case, after)
            return after
        raise ConcurrentUpdate("the case kept changing")

    @staticmethod
    def signal_workflow(before: Case, after: Case) -> None:
        """If the workflow was parked on `before` and `after` ends that wait, complete its task."""
        wait = before.wait
        if wait is None:
            return
        outcome = lifecycle.workflow_outcome(after, wait.phase, wait.round, wait.due_at)
        if outcome is not None:
            CaseWorkflow.signal(wait.token, {"outcome": outcome})


class CaseService:
    def __init__(self, store: CaseStore, deadlines: DeadlineClock, policy: RatingPolicy):
        self.store = store
        self.deadlines = deadlines
        self.policy = policy

    @classmethod
    def from_settings(cls, settings: WorkflowSettings) -> CaseService:
        return cls(
            store=CaseStore(DynamoRepository(settings.table_name)),
            deadlines=DeadlineClock(settings.working_day_seconds),
            policy=RatingPolicy(unsatisfied_at_or_below=settings.unsatisfied_at_or_below),
        )

    @property
    def catalog(self) -> Catalog:
        return self.store.catalog.get()

    def _redo_due(self, case: Case, now: datetime) -> datetime:
        return self.deadlines.due_at(now, self.catalog.deadline_days[case.category])

    # --- reading -------------------------------------------------------------------------------

    def staff_case(self, actor: Actor, case_id: str) -> Case:
        case = self.store.load(case_id)
        if actor.role == Role.STAFF and case.unit_id != actor.unit_id:
            raise NotFound("no such case in your unit")
        return case

    def inbox(
        self, actor: Actor, unit_id: str, status: CaseStatus | None, limit: int, cursor: str | None
    ) -> schemas.CaseList:
        if actor.role == Role.STAFF and actor.unit_id != unit_id:
            raise Forbidden("staff see only their own unit's cases")
        if unit_id != DISPATCH_QUEUE and unit_id not in self.catalog.units:
            raise NotFound(f"no unit '{unit_id}'")
        cases, next_cursor = self.store.repo.list_unit_cases(unit_id, status, limit, cursor)
        return schemas.CaseList(items=[summary(c) for c in cases], next_cursor=next_cursor)

    def supervision(self, limit: int, cursor: str | None) -> schemas.CaseList:
        cases, next_cursor = self.store.repo.list_supervision(limit, cursor)
        return schemas.CaseList(items=[summary(c) for c in cases], next_cursor=next_cursor)

    # --- unit actions --------------------------------------------------------------------------

    def accept(self, actor: Actor, case_id: str) -> Case:
        return self.store.apply(case_id, lambda c, now: lifecycle.accept(c, actor, now))

    def reply(self, actor: Actor, case_id: str, message: str) -> Case:
        case = self.store.apply(case_id, lambda c, now: lifecycle.reply(c, message, actor, now))
        metrics.add_metric(name="CasesReplied", unit="Count", value=1)
        return case

    def return_case(self, actor: Actor, case_id: str, reason: str) -> Case:
        case = self.store.apply(case_id, lambda c, now: lifecycle.return_to_dispatch(c, reason, actor, now))
        metrics.add_metric(name="CasesReturned", unit="Count", value=1)
        return case

    def dispatch(self, actor: Actor, case_id: str, unit_id: str) -> Case:
        catalog = self.catalog
        unit = catalog.units.get(unit_id)
        if unit is None or unit_id in {DISPATCH_QUEUE, SUPERVISION_OFFICE.id}:
            raise InvalidInput("unit_id", f"unknown unit '{unit_id}'")

        def decide(case: Case, now: datetime) -> Transition:
            due = self.deadlines.due_at(now, catalog.deadline_days[case.category])
            return lifecycle.dispatch(case, unit_id, due, actor, now, f"dispatched to {unit.name} by a dispatcher")

        return self.store.apply(case_id, decide)

    def request_extension(self, actor: Actor, case_id: str, days: int, reason: str) -> Case:
        return self.store.apply(case_id, lambda c, now: lifecycle.request_extension(c, days, reason, actor, now))

    def decide_extension(self, actor: Actor, case_id: str, approve: bool, note: str | None) -> Case:
        def decide(case: Case, now: datetime) -> Transition:
            new_due = None
            if approve and case.extension is not None and case.due_at is not None:
                new_due = self.deadlines.due_at(max(now, case.due_at), case.extension.days)
            return lifecycle.decide_extension(case, approve, new_due, actor, now, note)

        return self.store.apply(case_id, decide)

    # --- citizen rating ------------------------------------------------------------------------

    def rate(self, actor: Actor, case_id: str, body: schemas.RatingBody) -> Case:
        scores: dict[str, Any] = body.model_dump(exclude={"comment"})

        def decide(case: Case, now: datetime) -> Transition:
            if case.citizen_id != actor.id:
                raise NotFound("no such request")
            return lifecycle.rate(case, scores, body.comment, actor, now, self.policy, self._redo_due(case, now))

        case = self.store.apply(case_id, decide)
        latest = case.ratings[-1]
        metrics.add_metric(name="CasesRated", unit="Count", value=1)
        if case.status == CaseStatus.CLOSED:
            metrics.add_metric(name="CasesClosed", unit="Count", value=1)
        if not latest.satisfied:
            metrics.add_metric(
                name="Rollbacks" if case.status == CaseStatus.REOPENED else "Supervisions", unit="Count", value=1
            )
        logger.info(
            "case rated", extra={"case_id": case.id, "satisfied": latest.satisfied, "status": case.status.value}
        )
        return case
