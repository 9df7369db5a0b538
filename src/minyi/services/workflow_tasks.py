"""The state machine's Lambda tasks (functions/assign): route, schedule, park, overdue, close unrated.

Every task is safe to retry: each decides from the case's current state in the table.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from minyi.adapters.workflow import CaseWorkflow
from minyi.domain import lifecycle
from minyi.domain.deadlines import DeadlineClock
from minyi.domain.errors import ConcurrentUpdate, InvalidTransition
from minyi.domain.lifecycle import Outcome, Phase, Transition
from minyi.domain.models import Case, CaseStatus, WorkflowWait
from minyi.observability import logger, metrics
from minyi.services.cases import MAX_ATTEMPTS, CaseStore

#: While a case is already overdue the unit wait re-arms with this timeout (keeps waiting).
OVERDUE_REARM_SECONDS = 30 * 86400


class WorkflowState(BaseModel):
    """The execution's state between tasks (what `$` holds in the state machine)."""

    case_id: str
    round: int = 1
    outcome: Outcome | None = None
    due_at: datetime | None = None
    handling_timeout_seconds: int = 1
    rating_timeout_seconds: int = 1


class CaseTask(BaseModel):
    action: Literal["route", "schedule", "overdue", "close_unrated"]
    case_id: str


class ParkTask(BaseModel):
    action: Literal["park"]
    phase: Phase
    token: str
    state: WorkflowState


WorkflowTask = Annotated[CaseTask | ParkTask, Field(discriminator="action")]


class Signal(BaseModel):
    outcome: Outcome


class WorkflowTasks:
    def __init__(self, store: CaseStore, deadlines: DeadlineClock, rating_window_seconds: int):
        self.store = store
        self.deadlines = deadlines
        self.rating_window_seconds = rating_window_seconds

    def run(self, task: CaseTask | ParkTask) -> WorkflowState | Signal | None:
        if isinstance(task, ParkTask):
            self.park(task)
            return None
        if task.action == "route":
            return self.route(task.case_id)
        if task.action == "schedule":
            return self.schedule(task.case_id)
        if task.action == "overdue":
            return self.overdue(task.case_id)
        return self.close_unrated(task.case_id)

    def route(self, case_id: str) -> WorkflowState:
        """Dispatch by routing rule, or queue for a dispatcher. Retry-safe: a case already routed is left."""
        catalog = self.store.catalog.get()

        def decide(case: Case, now: datetime) -> Transition:
            rule = self.store.repo.routing_rule(case.topic, case.district)
            unit = catalog.units.get(rule.unit_id) if rule else None
            if unit is None:
                return lifecycle.queue_for_dispatcher(case, now, f"no routing rule for {case.topic} in {case.district}")
            due = self.deadlines.due_at(now, catalog.deadline_days[case.category])
            return lifecycle.dispatch(case, unit.id, due, lifecycle.ROUTER, now, f"routed to {unit.name}")

        case = self.store.load(case_id)
        if case.status == CaseStatus.SUBMITTED and not case.in_dispatch_queue:
            try:
                case = self.store.apply(case_id, decide)
            except InvalidTransition:
                case = self.store.load(case_id)
        if case.status == CaseStatus.DISPATCHED:
            metrics.add_metric(name="CasesDispatched", unit="Count", value=1)
        state = self._state(case)
        state.outcome = "queued" if case.in_dispatch_queue else "dispatched"
        return state

    def schedule(self, case_id: str) -> WorkflowState:
        return self._state(self.store.load(case_id))

    def _state(self, case: Case) -> WorkflowState:
        now = self.store.clock()
        if case.overdue or case.due_at is None:
            handling = OVERDUE_REARM_SECONDS
        else:
            handling = max(1, math.ceil((case.due_at - now).total_seconds()))
        replied_at = next((r.at for r in reversed(case.replies) if r.round == case.round), None)
        rating = self.rating_window_seconds
        if replied_at is not None:
            rating = max(1, math.ceil(self.rating_window_seconds - (now - replied_at).total_seconds()))
        return WorkflowState(
            case_id=case.id,
            round=case.round,
            due_at=case.due_at,
            handling_timeout_seconds=handling,
            rating_timeout_seconds=rating,
        )

    def park(self, task: ParkTask) -> None:
        """Store the callback token on the case, unless the case already left this phase: then
        complete the task at once with what happened (the API acted before the token was stored)."""
        state = task.state
        for _ in range(MAX_ATTEMPTS):
            case = self.store.load(state.case_id)
            round_ = case.round if task.phase == "dispatch" else state.round
            due = state.due_at if task.phase == "handling" else None
            outcome = lifecycle.workflow_outcome(case, task.phase, round_, due)
            if outcome is not None:
                CaseWorkflow.signal(task.token, {"outcome": outcome})
                return
            parked = case.model_copy(
                update={"wait": WorkflowWait(phase=task.phase, round=round_, token=task.token, due_at=due)}
            )
            try:
                self.store.repo.save(Transition(before=case, after=parked))
                return
            except ConcurrentUpdate:
                continue
        raise ConcurrentUpdate("could not park the workflow")

    def overdue(self, case_id: str) -> WorkflowState:
        try:
            case = self.store.apply(case_id, lifecycle.mark_overdue)
            metrics.add_metric(name="SlaBreaches", unit="Count", value=1)
            logger.info("case overdue", extra={"case_id": case_id, "unit_id": case.unit_id})
        except InvalidTransition as exc:
            logger.info("overdue timer: nothing to mark", extra={"case_id": case_id, "reason": str(exc)})
        return self.schedule(case_id)

    def close_unrated(self, case_id: str) -> Signal:
        try:
            case = self.store.apply(case_id, lambda c, now: lifecycle.close_unrated(c, now))
            metrics.add_metric(name="CasesClosed", unit="Count", value=1)
            metrics.add_metric(name="CasesClosedUnrated", unit="Count", value=1)
        except InvalidTransition:
            case = self.store.load(case_id)  # a rating arrived first
        return Signal(outcome="closed" if case.status == CaseStatus.CLOSED else "redo")
