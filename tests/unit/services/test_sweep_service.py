"""SweepService on fakes: warn at 75 % once, escalate what is past due, repair dead or never-started
workflows (before escalating, so a failed restart is retried), flag what automation cannot fix, skip
what another writer got to first, and read only the due cases, at most the batch limit per shard."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from minyi.domain import lifecycle
from minyi.domain.lifecycle import MAX_REPAIRS, Transition
from minyi.domain.metrics import Metric
from minyi.domain.models import Case, CaseStatus, EventType, ExecutionStatus
from minyi.domain.sweep import ROUTING_GRACE
from minyi.ports import Lease
from minyi.services.sweep import SweepReport
from tests.fakes import SWEEP_LEASE, Fakes
from tests.unit.services.conftest import CITIZEN, STAFF, TRAFFIC, Recorded, new_request

HANDLING = timedelta(days=8)


def submitted(fakes: Fakes, started: bool = False, **overrides: object) -> Case:
    """A SUBMITTED case; its workflow started (RUNNING) or never started."""
    if not started:
        fakes.workflow.refuse_starts = 1
    case = fakes.cases.get_case(fakes.request_service().submit(CITIZEN, new_request()).id)
    assert case is not None
    if overrides:
        case = fakes.cases.put(case.model_copy(update=overrides))
    return case


def dispatched(fakes: Fakes, workflow: ExecutionStatus | None = ExecutionStatus.RUNNING) -> Case:
    """Dispatched now with 8 days to answer; its execution in state `workflow` (None: never started)."""
    case = submitted(fakes, started=False)
    now = fakes.clock()
    case = fakes.cases.save(lifecycle.dispatch(case, TRAFFIC, now + HANDLING, lifecycle.ROUTER, now, "rule"))
    if workflow is not None:
        fakes.workflow.executions[case.id] = workflow
    return case


def later(fakes: Fakes, delta: timedelta) -> datetime:
    return fakes.clock() + delta


def test_a_case_is_warned_once_at_75_percent_and_the_workflow_is_not_disturbed(fakes: Fakes) -> None:
    case = dispatched(fakes)
    sweep = fakes.sweep_service()

    before = sweep.run(later(fakes, HANDLING * 0.74))
    first = sweep.run(later(fakes, HANDLING * 0.76))
    second = sweep.run(later(fakes, HANDLING * 0.76))

    assert (before.due, before.items_read) == (0, 0)
    assert (first.due, first.warned, first.errors) == (1, 1, [])
    assert (second.due, second.warned) == (0, 0)
    assert fakes.cases.event_types(case.id) == ["submitted", "dispatched", "deadline_warning"]
    assert fakes.workflow.signals == [] and fakes.workflow.starts == []


def test_a_past_due_case_is_escalated_and_leaves_the_sweep(fakes: Fakes, recorded: Recorded) -> None:
    case = dispatched(fakes)
    sweep = fakes.sweep_service()

    report = sweep.run(later(fakes, HANDLING + timedelta(seconds=1)))

    assert (report.due, report.escalated, report.warned, report.repaired, report.errors) == (1, 1, 0, 0, [])
    overdue = fakes.cases.get_case(case.id)
    assert overdue is not None and overdue.overdue and overdue.status == CaseStatus.DISPATCHED
    assert fakes.cases.event_types(case.id)[-1] == EventType.OVERDUE
    assert recorded(Metric.SLA_BREACHES) == 1
    # on the supervisors' list, off the sweep's
    assert case.id in [c.id for c in fakes.cases.list_supervision(10, None)[0]]
    assert sweep.run(later(fakes, HANDLING * 2)).due == 0
    # a healthy workflow is left alone
    assert fakes.workflow.starts == []


@pytest.mark.parametrize("status", [ExecutionStatus.FAILED, ExecutionStatus.TIMED_OUT, ExecutionStatus.ABORTED, None])
def test_a_dead_workflow_is_restarted_before_the_case_is_escalated(
    fakes: Fakes, recorded: Recorded, status: ExecutionStatus | None
) -> None:
    case = dispatched(fakes, workflow=status)

    report = fakes.sweep_service().run(later(fakes, HANDLING + timedelta(seconds=1)))

    assert (report.repaired, report.escalated, report.errors) == (1, 1, [])
    assert fakes.workflow.starts == [(case.id, f"{case.id}-r1")]
    stored = fakes.cases.get_case(case.id)
    assert stored is not None and stored.execution_name == f"{case.id}-r1" and stored.repair_count == 1
    assert fakes.cases.event_types(case.id)[-2:] == ["workflow_repaired", "overdue"]
    assert recorded(Metric.WORKFLOW_REPAIRS) == 1


def test_a_case_whose_workflow_never_started_is_started_after_the_routing_grace(fakes: Fakes) -> None:
    case = submitted(fakes)
    sweep = fakes.sweep_service()

    early = sweep.run(later(fakes, ROUTING_GRACE - timedelta(seconds=1)))
    report = sweep.run(later(fakes, ROUTING_GRACE + timedelta(minutes=1)))

    assert early.due == 0
    assert (report.due, report.repaired, report.flagged, report.errors) == (1, 1, 0, [])
    assert fakes.workflow.starts == [(case.id, f"{case.id}-r1")]
    assert fakes.cases.event_types(case.id) == ["submitted", "workflow_repaired"]


def test_an_unrouted_case_whose_workflow_runs_is_flagged_not_restarted(fakes: Fakes) -> None:
    # Given a case past the routing grace whose execution reports RUNNING (stuck somewhere)
    case = submitted(fakes, started=True)
    assert fakes.workflow.status(case.id) == ExecutionStatus.RUNNING
    starts = list(fakes.workflow.starts)

    report = fakes.sweep_service().run(later(fakes, ROUTING_GRACE + timedelta(minutes=1)))

    # Then a person is asked to look: flagged, on the supervision list, out of the sweep
    assert (report.flagged, report.repaired, report.errors) == (1, 0, [])
    assert fakes.workflow.starts == starts
    assert fakes.cases.event_types(case.id) == ["submitted", "flagged_for_supervisor"]
    assert case.id in [c.id for c in fakes.cases.list_supervision(10, None)[0]]
    assert fakes.sweep_service().run(later(fakes, timedelta(days=1))).due == 0


def test_a_case_whose_restarts_are_exhausted_is_flagged(fakes: Fakes) -> None:
    case = submitted(fakes, repair_count=MAX_REPAIRS, execution_name="gone-r3")

    report = fakes.sweep_service().run(later(fakes, ROUTING_GRACE + timedelta(minutes=1)))

    assert (report.repaired, report.flagged, report.errors) == (0, 1, [])
    assert fakes.workflow.starts == []
    flagged = fakes.cases.get_case(case.id)
    assert flagged is not None and flagged.flagged and flagged.execution_name == "gone-r3"


def test_a_restart_that_fails_is_an_error_and_the_next_run_retries_it(fakes: Fakes) -> None:
    # Given a past-due case whose execution never started, and Step Functions throttling once
    case = dispatched(fakes, workflow=None)
    fakes.workflow.refuse_starts = 1
    sweep = fakes.sweep_service()
    due = later(fakes, HANDLING + timedelta(seconds=1))

    first = sweep.run(due)
    # Then the case is not escalated yet (escalating would take it out of the sweep for good)
    assert (first.escalated, first.repaired, len(first.errors)) == (0, 0, 1)
    assert first.errors[0].startswith(case.id)
    not_yet = fakes.cases.get_case(case.id)
    assert not_yet is not None and not not_yet.overdue

    # When the next run comes / Then the restart that never started is restarted again, and escalated
    second = sweep.run(due + timedelta(minutes=15))
    assert (second.escalated, second.repaired, second.resumed, second.errors) == (1, 1, 0, [])
    stored = fakes.cases.get_case(case.id)
    assert stored is not None and stored.overdue and stored.execution_name == f"{case.id}-r2"
    assert fakes.workflow.status(f"{case.id}-r2") == ExecutionStatus.RUNNING


def test_restarts_that_never_start_run_out_and_the_case_is_flagged_and_escalated(fakes: Fakes) -> None:
    # Given a past-due case whose execution never started, and Step Functions refusing every start
    case = dispatched(fakes, workflow=None)
    fakes.workflow.refuse_starts = 100
    sweep = fakes.sweep_service()
    due = later(fakes, HANDLING + timedelta(seconds=1))
    # When the sweep runs every 15 minutes
    reports = [sweep.run(due + timedelta(minutes=15 * i)) for i in range(MAX_REPAIRS + 1)]
    # Then each run until restarts run out records one and fails to start it; the next flags the case
    # for a person and escalates it
    assert [len(r.errors) for r in reports[:MAX_REPAIRS]] == [1] * MAX_REPAIRS
    assert (reports[-1].flagged, reports[-1].escalated, reports[-1].errors) == (1, 1, [])
    stored = fakes.cases.get_case(case.id)
    assert stored is not None and stored.flagged and stored.overdue and stored.repair_count == MAX_REPAIRS


def test_a_run_that_finds_a_restart_named_but_not_yet_started_starts_that_one_not_another(fakes: Fakes) -> None:
    # Given a case another run has just restarted (its new execution named and written, not started yet)
    case = submitted(fakes)
    run_at = later(fakes, ROUTING_GRACE + timedelta(minutes=1))
    restarted = fakes.cases.save(lifecycle.restart_workflow(case, run_at, None))
    assert restarted.execution_name == f"{case.id}-r1"
    assert fakes.workflow.status(f"{case.id}-r1") is None
    # When this run sweeps the case a moment later
    report = fakes.sweep_service().run(run_at + timedelta(seconds=1))
    # Then it starts the named execution (a start is idempotent by name) and records no second restart
    assert (report.repaired, report.resumed, report.flagged, report.errors) == (0, 1, 0, [])
    assert fakes.workflow.starts[-1] == (case.id, f"{case.id}-r1")
    stored = fakes.cases.get_case(case.id)
    assert stored is not None and stored.repair_count == 1 and stored.execution_name == f"{case.id}-r1"
    assert fakes.cases.event_types(case.id).count("workflow_repaired") == 1


def test_a_case_another_writer_changed_meanwhile_is_skipped_not_an_error(fakes: Fakes) -> None:
    case = dispatched(fakes)

    def the_unit_accepts_first(transition: Transition) -> None:
        fakes.cases.before_save = None
        current = fakes.cases.get_case(case.id)
        assert current is not None
        fakes.cases.save(lifecycle.accept(current, STAFF, fakes.clock()))

    fakes.cases.before_save = the_unit_accepts_first
    report = fakes.sweep_service().run(later(fakes, HANDLING * 0.8))

    assert (report.due, report.skipped, report.warned, report.errors) == (1, 1, 0, [])
    assert fakes.cases.event_types(case.id)[-1] == EventType.ACCEPTED


def test_a_queued_case_past_the_dispatch_deadline_is_escalated_to_the_dispatchers(
    fakes: Fakes, recorded: Recorded
) -> None:
    case = submitted(fakes, started=True)
    deadline = later(fakes, timedelta(hours=2))
    case = fakes.cases.save(lifecycle.queue_for_dispatcher(case, fakes.clock(), "no rule", deadline))

    assert fakes.sweep_service().run(deadline - timedelta(seconds=1)).due == 0
    report = fakes.sweep_service().run(deadline + timedelta(seconds=1))

    assert (report.due, report.dispatch_overdue, report.errors) == (1, 1, [])
    assert recorded(Metric.DISPATCH_BREACHES) == 1
    stored = fakes.cases.get_case(case.id)
    assert stored is not None and stored.dispatch_overdue


def test_a_run_reads_only_due_cases_at_most_the_batch_limit_per_shard(fakes: Fakes) -> None:
    # Given five cases past their warning point and two that are not
    due = [dispatched(fakes) for _ in range(5)]
    fakes.clock.advance(days=3)
    not_due = [dispatched(fakes) for _ in range(2)]
    at = later(fakes, HANDLING * 0.75 - timedelta(days=3) + timedelta(minutes=1))
    sweep = fakes.sweep_service(batch_limit=1)

    runs: list[SweepReport] = []
    while not runs or runs[-1].due:
        runs.append(sweep.run(at))

    # Then no run read more than one case per shard, nothing not due was read, and all five were warned
    assert all(r.items_read <= fakes.cases.shards for r in runs)
    assert sum(r.warned for r in runs) == 5 and sum(r.items_read for r in runs) == 5
    assert all(fakes.cases.event_types(c.id)[-1] == "deadline_warning" for c in due)
    assert all(fakes.cases.event_types(c.id)[-1] == "dispatched" for c in not_due)


# --- one run at a time, by the sweep's lease (issue 17: no reserved concurrency) ---------------------


def test_a_run_that_finds_the_lease_held_ends_at_once_and_is_counted(fakes: Fakes, recorded: Recorded) -> None:
    # Given a past-due case and a rival run that takes the sweep's lease just before this one
    case = dispatched(fakes)
    rival = fakes.sweep_service()
    fakes.leases.on_acquire = lambda: fakes.leases.held.update({Lease.SWEEP: ("rival", fakes.clock() + SWEEP_LEASE)})

    # When this run starts
    report = rival.run(later(fakes, HANDLING + timedelta(seconds=1)))

    # Then it sweeps nothing, says why, and the metric counts the skipped run
    assert report == SweepReport(overlapped=True)
    assert recorded(Metric.SWEEP_RUNS_SKIPPED) == 1
    assert fakes.cases.event_types(case.id) == ["submitted", "dispatched"]


def test_the_lease_is_released_at_the_end_so_the_next_run_sweeps(fakes: Fakes, recorded: Recorded) -> None:
    # Given a sweep that ran to the end
    dispatched(fakes)
    sweep = fakes.sweep_service()
    first = sweep.run(later(fakes, HANDLING * 0.76))

    # When the next run starts at once (the clock has not moved)
    second = sweep.run(later(fakes, HANDLING + timedelta(seconds=1)))

    # Then it took the lease too and escalated the case
    assert (first.overlapped, first.warned) == (False, 1)
    assert (second.overlapped, second.escalated) == (False, 1)
    assert len(fakes.leases.acquired) == 2
    assert recorded(Metric.SWEEP_RUNS_SKIPPED) == 0


def test_the_lease_is_released_when_the_run_fails(fakes: Fakes) -> None:
    # Given a sweep whose case store fails outright
    sweep = fakes.sweep_service()

    def broken(*args: object) -> tuple[list[Case], int]:
        raise RuntimeError("table unavailable")

    sweep.store.cases.due_for_sweep = broken  # type: ignore[method-assign]

    # When it runs
    with pytest.raises(RuntimeError):
        sweep.run()

    # Then the lease is free for the next run
    _, until = fakes.leases.held[Lease.SWEEP]
    assert until <= fakes.clock()


def test_a_crashed_runs_lease_expires(fakes: Fakes) -> None:
    # Given a run that crashed holding the lease (never released)
    case = dispatched(fakes)
    fakes.leases.held[Lease.SWEEP] = ("crashed", fakes.clock() + SWEEP_LEASE)
    sweep = fakes.sweep_service()
    assert sweep.run(later(fakes, HANDLING + timedelta(seconds=1))).overlapped

    # When the clock passes the lease's expiry
    fakes.clock.advance(seconds=SWEEP_LEASE.total_seconds() + 1)
    report = sweep.run(later(fakes, HANDLING + timedelta(seconds=1)))

    # Then the next run takes it and sweeps
    assert (report.overlapped, report.escalated) == (False, 1)
    assert len(fakes.cases.event_types(case.id)) > 2
