"""What the sweep reads from the sparse, sharded due-time index (GSI3) on moto, and its conditional
writes when two runs overlap. This module's stack holds only its own cases, and each test leaves its
cases not due at any later moment of the run, so a report's counts are exact."""

from __future__ import annotations

import functools
import threading
import uuid
from datetime import UTC, datetime, timedelta

from minyi.adapters.aws import client
from minyi.adapters.dynamo import sweep_shard
from minyi.domain import lifecycle
from minyi.domain.models import ExecutionStatus
from minyi.services.sweep import SweepReport
from tests.integration.conftest import Stack
from tests.integration.sweep_helpers import event_types, execution_status, seed_dispatched, sweep_service


def waiting_for_the_unit(stack: Stack, case_id: str) -> bool:
    case = stack.repo.get_case(case_id)
    return case is not None and case.wait is not None and case.wait.phase == "handling"


def test_nothing_before_the_warning_point_is_even_read(stack: Stack) -> None:
    # Given a case dispatched long ago (a moment no other case of the table is due at)
    dispatched = datetime(2020, 1, 6, 1, 0, tzinfo=UTC)
    case = seed_dispatched(stack, dispatched, dispatched + timedelta(days=8))
    warn_at = dispatched + timedelta(days=6)  # 75 % of the handling time
    sweeper = sweep_service(stack)

    # When the sweep runs just before its warning point
    before = sweeper.run(warn_at - timedelta(minutes=1))
    # Then the case is not even read
    assert (before.due, before.items_read, before.warned) == (0, 0, 0)
    # And at the warning point it is read and warned
    at = sweeper.run(warn_at)
    assert (at.due, at.items_read, at.warned, at.errors) == (1, 1, 1, [])
    assert event_types(stack, case.id) == ["submitted", "dispatched", "deadline_warning"]
    # (its deadline passed long ago: flag it, so it leaves the index the other tests read)
    warned = stack.repo.get_case(case.id)
    assert warned is not None
    stack.repo.save(lifecycle.flag_for_supervisor(warned, warn_at, "end of test"))


def test_the_sweep_reads_only_the_due_cases(stack: Stack) -> None:
    # Given 12 cases whose warning point is days away and 3 past it
    now = datetime.now(UTC)
    not_due = [seed_dispatched(stack, now - timedelta(hours=1), now + timedelta(days=5)) for _ in range(12)]
    due = [seed_dispatched(stack, now - timedelta(days=8), now + timedelta(days=1)) for _ in range(3)]
    assert len({sweep_shard(c.id) for c in not_due + due}) > 1, "the cases span several index shards"

    # When the sweep runs
    report = sweep_service(stack).run(now)

    # Then it read exactly the 3 due cases, and warned each of them
    assert (report.items_read, report.due, report.warned, report.errors) == (3, 3, 3, [])
    for case in due:
        assert event_types(stack, case.id)[-1] == "deadline_warning"
    assert all(event_types(stack, c.id) == ["submitted", "dispatched"] for c in not_due)
    # And a second run reads nothing at all
    assert sweep_service(stack).run(now).items_read == 0


def test_a_run_takes_at_most_the_batch_limit_per_shard_and_the_next_run_the_rest(stack: Stack) -> None:
    # Given five cases past their warning point, all in the same index shard
    now = datetime.now(UTC)
    ids: list[str] = []
    while len(ids) < 5:
        candidate = uuid.uuid4().hex
        if sweep_shard(candidate) == 0:
            ids.append(candidate)
    for case_id in ids:
        seed_dispatched(stack, now - timedelta(days=8), now + timedelta(days=1), case_id=case_id)
    sweeper = sweep_service(stack, batch_limit=2)

    # When the sweep runs repeatedly with a batch limit of two
    runs = [sweeper.run(now) for _ in range(4)]

    # Then each run handles at most two, and three runs warn all five
    assert [(r.items_read, r.warned) for r in runs] == [(2, 2), (2, 2), (1, 1), (0, 0)]
    assert all(event_types(stack, case_id).count("deadline_warning") == 1 for case_id in ids)


def test_overlapping_runs_act_on_each_case_once(stack: Stack) -> None:
    # Given four cases past their warning point and two past their deadline whose workflow never started
    now = datetime.now(UTC)
    to_warn = [seed_dispatched(stack, now - timedelta(days=8), now + timedelta(days=1)) for _ in range(4)]
    to_escalate = [seed_dispatched(stack, now - timedelta(days=8), now - timedelta(minutes=1)) for _ in range(2)]
    client("stepfunctions")  # create the shared clients before the threads race for them
    client("dynamodb")
    sweeper = sweep_service(stack)

    # When two sweeps run at the same instant
    barrier = threading.Barrier(2)
    reports: list[SweepReport] = []
    failures: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait(timeout=10)
            reports.append(sweeper.run(now))
        except BaseException as exc:  # surfaced below
            failures.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    # Then neither failed, and between them each case was acted on exactly once
    assert failures == []
    assert len(reports) == 2
    assert [r.errors for r in reports] == [[], []]
    assert sum(r.warned for r in reports) == 4
    assert sum(r.escalated for r in reports) == 2
    assert sum(r.repaired for r in reports) == 2
    assert sum(r.flagged for r in reports) == 0
    # (a case the other run got to first is skipped, not an error)
    assert all(r.due == r.warned + r.escalated + r.skipped for r in reports)
    for case in to_warn:
        assert event_types(stack, case.id) == ["submitted", "dispatched", "deadline_warning"]
    for case in to_escalate:
        assert event_types(stack, case.id) == ["submitted", "dispatched", "workflow_repaired", "overdue"]
        stored = stack.repo.get_case(case.id)
        assert stored is not None and stored.execution_name == f"{case.id}-r1"
        assert execution_status(stack, f"{case.id}-r2") is None
        assert execution_status(stack, f"{case.id}-r1") == ExecutionStatus.RUNNING
        # (the restarted execution parks the case again, waiting for the unit)
        stack.wait_for(functools.partial(waiting_for_the_unit, stack, case.id))
