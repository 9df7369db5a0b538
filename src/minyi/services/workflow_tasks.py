"""The state machine's Lambda tasks (functions/assign): route, park, overdue, close unrated.

Every task is safe to retry: each decides from the case's current state in the table. The tasks
return what the next wait needs (its timers), so the state machine needs no scheduling step, and the
park task decides which wait a case is in from its status, so the state machine needs no Choice
between the dispatch centre's queue and the unit, nor between a reply and anything else that ends
the unit's wait.

回访: a hotline caller who cannot rate by SMS is called back by an operator, and three unreachable
working days close the case. So a hotline case's rating wait lasts at least `callback_days` working
days after the reply (default 5), not only the rating window: the window must not close a case unrated
while its callbacks are still under way. When the wait times out early (it was armed before the reply),
the close task declines and the execution goes round once more with what is left.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Final, Literal

from pydantic import Field

from minyi.domain import lifecycle
from minyi.domain.base import Model
from minyi.domain.deadlines import DeadlineClock, after_working_hours
from minyi.domain.errors import ConcurrentUpdate, InvalidTransition
from minyi.domain.lifecycle import Outcome, Phase, Transition
from minyi.domain.messages import message
from minyi.domain.metrics import Metric
from minyi.domain.models import DISPATCH_STATUSES, HANDLING_STATUSES, Case, CaseStatus, Channel, WorkflowWait
from minyi.observability import logger, metrics
from minyi.ports import Workflow
from minyi.services.cases import MAX_ATTEMPTS, CaseStore

#: While a case has no running deadline (overdue, or in the dispatch centre's queue) the unit's wait
#: re-arms with this timeout: it keeps waiting, and a lost signal heals within a month.
OVERDUE_REARM_SECONDS = 30 * 86400

# The phases of lifecycle.Phase and the outcomes of lifecycle.Outcome this module names.
DISPATCH: Final[Phase] = "dispatch"
HANDLING: Final[Phase] = "handling"
RATING: Final[Phase] = "rating"
QUEUED: Final[Outcome] = "queued"
DISPATCHED: Final[Outcome] = "dispatched"
CLOSED: Final[Outcome] = "closed"
REDO: Final[Outcome] = "redo"

#: Working days a hotline case's rating wait lasts after the reply at least: room for the operators'
#: 回访 (lifecycle.CALLBACK_ATTEMPTS unreachable working days close it).
CALLBACK_DAYS = 5

#: The statuses in which the dispatch centre or the unit still owes the case something (no reply yet).
UNIT_STATUSES = DISPATCH_STATUSES | HANDLING_STATUSES


class TaskAction(StrEnum):
    """The `action` of the state machine's task payloads."""

    ROUTE = "route"  # route a new case, then return the timers of the next waits
    PARK = "park"  # store the callback token on the case, or complete the wait at once
    OVERDUE = "overdue"  # the deadline passed: flag the case and re-arm the unit's wait
    CLOSE_UNRATED = "close_unrated"  # the rating window ended without a rating
    #: The scheduling step of the previous definition: executions started before it still call it.
    SCHEDULE = "schedule"


class Signal(Model):
    """What completes a wait (the API's or the park task's `send_task_success` output)."""

    outcome: Outcome


class WorkflowState(Model):
    """The execution's state between tasks (what `$` holds in the state machine)."""

    case_id: str
    round: int = 1
    outcome: Outcome | None = None
    due_at: datetime | None = None
    handling_timeout_seconds: int = 1
    rating_timeout_seconds: int = 1
    #: What ended the last wait (the unit's wait, when the rating wait starts).
    signal: Signal | None = None


class CaseTask(Model):
    action: Literal[TaskAction.ROUTE, TaskAction.SCHEDULE, TaskAction.OVERDUE, TaskAction.CLOSE_UNRATED]
    case_id: str


class ParkTask(Model):
    action: Literal[TaskAction.PARK]
    #: "handling" for the unit's wait (the park task picks "dispatch" while the case is in the dispatch
    #: centre's queue), "rating" for the citizen's; "dispatch" from the previous definition.
    phase: Phase
    token: str
    state: WorkflowState


WorkflowTask = Annotated[CaseTask | ParkTask, Field(discriminator="action")]


def wait_for(case: Case, task: ParkTask) -> WorkflowWait | Outcome:
    """The wait `task` enters for `case` as it is now, or the outcome that ends it at once (the case
    moved on before the token was stored, or there is nothing to wait for).

    The outcome comes from `lifecycle.workflow_outcome`, the same function the API uses after its
    write, so the table and the workflow agree whichever acts first.
    """
    state = task.state
    if task.phase == RATING and case.round == state.round and case.status in UNIT_STATUSES:
        # The unit's wait ended without a reply (dispatched from the queue, returned, extended):
        # there is no rating to wait for; pass on what ended the unit's wait.
        return state.signal.outcome if state.signal is not None else REDO
    if task.phase == RATING:
        wait = WorkflowWait(phase=RATING, round=state.round, token=task.token)
    elif task.phase == DISPATCH or case.status in DISPATCH_STATUSES:
        wait = WorkflowWait(phase=DISPATCH, round=case.round, token=task.token)
    else:
        wait = WorkflowWait(phase=HANDLING, round=state.round, token=task.token, due_at=state.due_at)
    outcome = lifecycle.workflow_outcome(case, wait.phase, wait.round, wait.due_at)
    return wait if outcome is None else outcome


class WorkflowTasks:
    def __init__(
        self,
        store: CaseStore,
        deadlines: DeadlineClock,
        rating_window_seconds: int,
        workflow: Workflow,
        dispatch_deadline_hours: float = 2.0,
        callback_days: int = CALLBACK_DAYS,
    ):
        self.store = store
        self.deadlines = deadlines
        self.rating_window_seconds = rating_window_seconds
        self.workflow = workflow
        #: Office hours the dispatch centre has to pick a unit for a case no rule covers.
        self.dispatch_deadline_hours = dispatch_deadline_hours
        #: Working days after a hotline reply before its rating wait may end (回访).
        self.callback_days = callback_days

    def run(self, task: CaseTask | ParkTask) -> WorkflowState | Signal | None:
        if isinstance(task, ParkTask):
            self.park(task)
            return None
        if task.action in {TaskAction.ROUTE, TaskAction.SCHEDULE}:
            return self.route(task.case_id)
        if task.action == TaskAction.OVERDUE:
            return self.overdue(task.case_id)
        return self.close_unrated(task.case_id)

    def route(self, case_id: str) -> WorkflowState:
        """Dispatch a new case by routing rule, or queue it for a dispatcher; then return the timers of
        the next waits from the case. Retry-safe: a case already routed is only read."""
        case = self.store.load(case_id)
        if case.status == CaseStatus.SUBMITTED and not case.in_dispatch_queue:
            catalog = self.store.catalog.get()

            def decide(current: Case, now: datetime) -> Transition:
                rule = self.store.catalog.routing_rule(current.topic, current.district)
                unit = catalog.units.get(rule.unit_id) if rule else None
                if unit is None:
                    reason = message("note.no_rule", topic=current.topic, district=current.district)
                    dispatch_due = after_working_hours(self.deadlines, now, self.dispatch_deadline_hours)
                    routed = lifecycle.queue_for_dispatcher(current, now, reason, dispatch_due)
                else:
                    due = self.deadlines.unit_due(current, catalog, now)
                    note = message("note.routed", unit=unit.id)
                    routed = lifecycle.dispatch(current, unit.id, due, lifecycle.ROUTER, now, note)
                # the case keeps the catalogue version it was routed with (its rule, unit and deadline)
                routed.after.catalog_version = (rule.catalog_version if rule else None) or catalog.version or None
                return routed

            try:
                case = self.store.apply(case_id, decide, loaded=case)
                if case.status == CaseStatus.DISPATCHED:
                    metrics.add_metric(name=Metric.CASES_DISPATCHED, unit="Count", value=1)
            except InvalidTransition:
                case = self.store.load(case_id)  # routed or queued meanwhile (a retry, or a dispatcher)
        state = self._state(case)
        state.outcome = QUEUED if case.in_dispatch_queue else DISPATCHED
        return state

    def _state(self, case: Case) -> WorkflowState:
        """The timers of the unit's wait (the deadline) and of the rating wait (what is left of the
        rating window, or of a hotline case's callback days: all of the window until the unit replies
        in this round)."""
        now = self.store.clock()
        if case.overdue or case.due_at is None:
            handling = OVERDUE_REARM_SECONDS
        else:
            handling = max(1, math.ceil((case.due_at - now).total_seconds()))
        replied_at = next((r.at for r in reversed(case.replies) if r.round == case.round), None)
        rating = self.rating_window_seconds
        if replied_at is not None:
            rating = max(1, math.ceil((self.rating_ends_at(case, replied_at) - now).total_seconds()))
        return WorkflowState(
            case_id=case.id,
            round=case.round,
            due_at=case.due_at,
            handling_timeout_seconds=handling,
            rating_timeout_seconds=rating,
        )

    def rating_ends_at(self, case: Case, replied_at: datetime) -> datetime:
        """When the rating wait after a reply at `replied_at` may end: the rating window, and for a
        hotline case no earlier than `callback_days` working days after the reply (回访)."""
        ends = replied_at + timedelta(seconds=self.rating_window_seconds)
        if case.channel == Channel.HOTLINE:
            ends = max(ends, self.deadlines.due_at(replied_at, self.callback_days))
        return ends

    def _callbacks_under_way(self, case: Case) -> bool:
        """A replied hotline case whose callback days have not all passed yet."""
        if case.status != CaseStatus.REPLIED or case.channel != Channel.HOTLINE:
            return False
        replied_at = next((r.at for r in reversed(case.replies) if r.round == case.round), None)
        return replied_at is not None and self.store.clock() < self.rating_ends_at(case, replied_at)

    def park(self, task: ParkTask) -> None:
        """Store the callback token on the case (one version-checked update of the wait), unless the
        wait is already over: then complete the task at once with what happened."""
        for _ in range(MAX_ATTEMPTS):
            case = self.store.load(task.state.case_id)
            decision = wait_for(case, task)
            if not isinstance(decision, WorkflowWait):
                self.workflow.signal(task.token, Signal(outcome=decision).model_dump(mode="json"))
                return
            try:
                self.store.cases.park(case, decision)
                return
            except ConcurrentUpdate:
                continue  # the case changed meanwhile: decide again from the new version
        raise ConcurrentUpdate("error.concurrent.workflow_not_parked")

    def overdue(self, case_id: str) -> WorkflowState:
        """The unit's wait timed out: flag the case overdue (if the deadline really passed) and return
        the timers to wait on (re-armed while overdue, the new deadline after an extension)."""
        try:
            case = self.store.apply(case_id, lifecycle.mark_overdue)
            metrics.add_metric(name=Metric.SLA_BREACHES, unit="Count", value=1)
            logger.info("case overdue", extra={"case_id": case_id, "unit_id": case.unit_id})
        except InvalidTransition as exc:
            logger.info("overdue timer: nothing to mark", extra={"case_id": case_id, "reason": str(exc)})
            case = self.store.load(case_id)
        return self._state(case)

    def close_unrated(self, case_id: str) -> Signal:
        """The rating wait timed out: close unrated, unless a rating won the race or a hotline case's
        callback days are not over (then `redo`: the execution goes round and waits out the rest)."""
        case = self.store.load(case_id)
        if self._callbacks_under_way(case):
            logger.info("rating wait: callbacks under way", extra={"case_id": case_id})
            return Signal(outcome=REDO)
        try:
            case = self.store.apply(case_id, lifecycle.close_unrated, loaded=case)
            metrics.add_metric(name=Metric.CASES_CLOSED, unit="Count", value=1)
            metrics.add_metric(name=Metric.CASES_CLOSED_UNRATED, unit="Count", value=1)
        except InvalidTransition:
            case = self.store.load(case_id)  # a rating arrived first
        return Signal(outcome=CLOSED if case.status == CaseStatus.CLOSED else REDO)
