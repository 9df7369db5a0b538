"""Why a case is on the supervisors' list (pure): each reason is a fact of the case."""

from __future__ import annotations

from enum import StrEnum

from minyi.domain.models import TERMINAL_STATUSES, Case


class SupervisionReason(StrEnum):
    OVERDUE = "overdue"
    SUPERVISED = "supervised"
    FLAGGED = "flagged"
    EXTENSION_PENDING = "extension_pending"
    DISPATCH_OVERDUE = "dispatch_overdue"


def supervision_reasons(case: Case) -> list[SupervisionReason]:
    """Every reason a supervisor should look at the open case; empty when there is none."""
    if case.status in TERMINAL_STATUSES:
        return []
    reasons: list[SupervisionReason] = []
    if case.overdue:
        reasons.append(SupervisionReason.OVERDUE)
    if case.supervised or case.supervision is not None:
        reasons.append(SupervisionReason.SUPERVISED)
    if case.flagged:
        reasons.append(SupervisionReason.FLAGGED)
    if case.extension is not None and case.extension.status == "pending":
        reasons.append(SupervisionReason.EXTENSION_PENDING)
    if case.dispatch_overdue:
        reasons.append(SupervisionReason.DISPATCH_OVERDUE)
    return reasons
