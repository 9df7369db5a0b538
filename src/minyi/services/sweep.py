"""The scheduled escalation sweep: warn at 75 % of the handling time, escalate what is past due,
repair cases whose workflow died. Reads only due cases (sparse index).

Runs do not overlap: a run first takes the sweep's lease (`minyi.ports.Leases`, one conditional write)
and a run that cannot take it ends at once, counted by `SweepRunsSkipped`; the lease is released at the
end, and one left by a crashed run expires after `lease_for` (longer than the function's timeout). This
replaces reserved concurrency 1, which fails the stack on an account with a low concurrency quota. Were
two runs to meet anyway (a lease expired under a slow run), they would still be safe: every change is a
conditional write and restarted executions have deterministic names."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from minyi.domain import lifecycle
from minyi.domain.errors import ConcurrentUpdate, InvalidTransition
from minyi.domain.messages import message
from minyi.domain.metrics import Metric
from minyi.domain.models import Case, ExecutionStatus
from minyi.domain.sweep import SweepAction, sweep_action
from minyi.observability import logger, metrics
from minyi.ports import Lease, Leases
from minyi.services.cases import CaseStore

HEALTHY = {ExecutionStatus.RUNNING}
#: How long after a recorded restart its execution may still be missing because the run that wrote it
#: has not started it yet (milliseconds, normally). Later, the start failed: restart again.
RESTART_START_GRACE = timedelta(minutes=2)


@dataclass
class SweepReport:
    due: int = 0
    items_read: int = 0
    warned: int = 0
    escalated: int = 0
    dispatch_overdue: int = 0
    repaired: int = 0
    resumed: int = 0  # starts of an execution a recorded restart had already named (see _repair_if_dead)
    flagged: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)
    #: True when another run held the sweep's lease, so this one swept nothing
    overlapped: bool = False


class SweepService:
    def __init__(self, store: CaseStore, shards: int, leases: Leases, lease_for: timedelta, batch_limit: int = 500):
        self.store = store
        self.workflow = store.workflow
        self.shards = shards
        self.leases = leases
        self.lease_for = lease_for
        self.batch_limit = batch_limit

    def run(self, now: datetime | None = None) -> SweepReport:
        """One sweep at `now` (the clock's time unless given), unless another run holds the lease.
        The lease itself is timed by the clock, whatever `now` a caller sweeps at."""
        holder = uuid.uuid4().hex
        started = self.store.clock()
        if not self.leases.acquire(Lease.SWEEP, holder, started, started + self.lease_for):
            metrics.add_metric(name=Metric.SWEEP_RUNS_SKIPPED, unit="Count", value=1)
            logger.info("sweep skipped: another run holds the lease")
            return SweepReport(overlapped=True)
        try:
            return self._sweep(now or started)
        finally:
            self.leases.release(Lease.SWEEP, holder)

    def _sweep(self, now: datetime) -> SweepReport:
        report = SweepReport()
        for shard in range(self.shards):
            cases, read = self.store.cases.due_for_sweep(shard, now, self.batch_limit)
            report.items_read += read
            for case in cases:
                report.due += 1
                try:
                    self._sweep_one(case, now, report)
                except (ConcurrentUpdate, InvalidTransition) as exc:
                    report.skipped += 1  # another run or the workflow got there first
                    logger.info("sweep skipped a case", extra={"case_id": case.id, "reason": str(exc)})
                except Exception as exc:  # one bad case must not stop the sweep
                    report.errors.append(f"{case.id}: {type(exc).__name__}: {exc}")
                    logger.exception("sweep failed for a case", extra={"case_id": case.id})
        metrics.add_metric(name=Metric.SWEEP_DUE_CASES, unit="Count", value=report.due)
        return report

    def _save(self, transition: lifecycle.Transition) -> Case:
        return self.store.save(transition)

    def _sweep_one(self, case: Case, now: datetime, report: SweepReport) -> None:
        action = sweep_action(case, now)
        if action == SweepAction.WARN:
            self._save(lifecycle.warn_deadline(case, now))
            report.warned += 1
        elif action == SweepAction.OVERDUE:
            # Repair first: marking overdue takes the case out of the index, so a restart that failed
            # after it would never be retried.
            self._repair_if_dead(case, now, report)
            # a restarted execution writes the case too: reload and retry on a conflict
            self.store.apply(case.id, lambda current, _: lifecycle.mark_overdue(current, now))
            report.escalated += 1
            metrics.add_metric(name=Metric.SLA_BREACHES, unit="Count", value=1)
        elif action == SweepAction.DISPATCH_OVERDUE:
            self._save(lifecycle.mark_dispatch_overdue(case, now))
            report.dispatch_overdue += 1
            metrics.add_metric(name=Metric.DISPATCH_BREACHES, unit="Count", value=1)
        elif action == SweepAction.CHECK_WORKFLOW and not self._repair_if_dead(case, now, report):
            # alive but the case is still not routed after the grace period: a person must look
            self._save(lifecycle.flag_for_supervisor(case, now, message("note.flagged.not_routed")))
            report.flagged += 1

    def _repair_if_dead(self, case: Case, now: datetime, report: SweepReport) -> bool:
        """Restart a failed, timed-out, aborted or never-started execution. True if it acted."""
        status = self.workflow.status(case.execution_name or case.id)
        if status in HEALTHY:
            return False
        if (
            status is None
            and case.execution_name == lifecycle.restart_execution_name(case)
            and now - case.updated_at < RESTART_START_GRACE
        ):
            # A restart was just recorded under this name and its execution does not exist yet: another
            # run is between its write and its start. Starting that very name finishes the repair (starts
            # are idempotent by name: two runs make one execution) without using up another restart.
            # An older missing restart failed to start: it is restarted again below, until restarts
            # run out and a person is asked to look.
            self.workflow.start(case.id, case.execution_name)
            report.resumed += 1
            logger.info("recorded workflow restart started", extra={"case_id": case.id})
            return True
        reason = f"workflow execution {status or 'never started'}"
        try:
            restarted = self._save(lifecycle.restart_workflow(case, now, status))
        except InvalidTransition:
            if not case.flagged:
                exhausted = lifecycle.workflow_message("note.flagged.restarts_exhausted", status)
                self._save(lifecycle.flag_for_supervisor(case, now, exhausted))
                report.flagged += 1
            return True
        assert restarted.execution_name is not None
        self.workflow.start(case.id, restarted.execution_name)
        report.repaired += 1
        metrics.add_metric(name=Metric.WORKFLOW_REPAIRS, unit="Count", value=1)
        logger.warning("workflow restarted", extra={"case_id": case.id, "reason": reason})
        return True
