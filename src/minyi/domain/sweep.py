"""What the escalation sweep does with a case, and when it next needs to look at it (pure)."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from minyi.domain.models import HANDLING_STATUSES, TERMINAL_STATUSES, Case, CaseStatus

#: A submitted case should be routed within this time; after it the sweep checks its workflow.
ROUTING_GRACE = timedelta(minutes=5)
#: Share of the handling time after which the unit is warned.
WARNING_AT = 0.75


class SweepAction(StrEnum):
    NONE = "none"
    WARN = "warn"
    OVERDUE = "overdue"
    CHECK_WORKFLOW = "check_workflow"
    DISPATCH_OVERDUE = "dispatch_overdue"


def next_sweep_at(case: Case) -> datetime | None:
    """The sparse due-time index holds a case only while the sweep has something to check."""
    if case.flagged or case.status in TERMINAL_STATUSES:
        return None
    if case.status == CaseStatus.SUBMITTED and not case.in_dispatch_queue:
        return case.created_at + ROUTING_GRACE
    if case.in_dispatch_queue:
        # the dispatch centre's deadline for picking a unit
        return None if case.dispatch_overdue else case.dispatch_due_at
    if case.status not in HANDLING_STATUSES or case.due_at is None or case.overdue:
        return None
    if case.warned_round < case.round and case.dispatched_at is not None:
        return case.dispatched_at + (case.due_at - case.dispatched_at) * WARNING_AT
    return case.due_at


def sweep_action(case: Case, now: datetime) -> SweepAction:
    due = next_sweep_at(case)
    if due is None or due > now:
        return SweepAction.NONE
    if case.in_dispatch_queue:
        return SweepAction.DISPATCH_OVERDUE
    if case.status == CaseStatus.SUBMITTED:
        return SweepAction.CHECK_WORKFLOW
    assert case.due_at is not None
    return SweepAction.OVERDUE if now >= case.due_at else SweepAction.WARN
