"""One sweep at a time on moto, by the sweep's lease in the table (issue 17: the function no longer has
reserved concurrency, which fails the stack on a new account): of two runs at once one sweeps and the
other ends at once; a crashed run's lease expires; only the holder releases it; the scheduled handler
reports a skipped run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from infra.local.schedules import scheduled_event
from minyi.adapters.dynamo import DynamoLeases
from minyi.ports import Lease
from minyi.services.sweep import SweepReport
from tests.integration.conftest import Stack
from tests.integration.sweep_helpers import event_types, seed_dispatched, sweep_service

LEASE = timedelta(seconds=330)


class RivalStartsMeanwhile:
    """The real DynamoDB leases; right after this run takes the lease, a rival run starts."""

    def __init__(self, real: DynamoLeases, rival: object):
        self.real = real
        self.rival = rival
        self.rival_report: SweepReport | None = None

    def acquire(self, lease: Lease, holder: str, now: datetime, until: datetime) -> bool:
        taken = self.real.acquire(lease, holder, now, until)
        if taken and self.rival_report is None:
            self.rival_report = self.rival.run()  # type: ignore[attr-defined]
        return taken

    def release(self, lease: Lease, holder: str) -> None:
        self.real.release(lease, holder)


def test_of_two_runs_at_once_one_sweeps_and_the_other_ends_at_once(stack: Stack) -> None:
    # Given a case past its warning point, and two sweeps: the second starts while the first holds the lease
    now = datetime.now(UTC)
    case = seed_dispatched(stack, now - timedelta(days=8), now + timedelta(days=1))
    first = sweep_service(stack)
    meanwhile = RivalStartsMeanwhile(DynamoLeases(stack.table), sweep_service(stack))
    first.leases = meanwhile

    # When both run
    report = first.run(now)

    # Then the second ended at once without reading anything, and the first warned the case once
    assert meanwhile.rival_report == SweepReport(overlapped=True)
    assert (report.overlapped, report.errors) == (False, [])
    assert report.warned >= 1
    assert event_types(stack, case.id) == ["submitted", "dispatched", "deadline_warning"]
    # And the lease was released: the next run takes it
    assert sweep_service(stack).run(now).overlapped is False


def test_a_crashed_runs_lease_expires_and_only_its_holder_releases_it(stack: Stack) -> None:
    leases = DynamoLeases(stack.table)
    now = datetime(2030, 1, 1, tzinfo=UTC)
    # Given a run that took the lease and crashed (never released it)
    assert leases.acquire(Lease.SWEEP, "crashed", now, now + LEASE)
    # When another run starts before the lease's expiry, it does not get it
    assert not leases.acquire(Lease.SWEEP, "next", now + timedelta(seconds=10), now + timedelta(seconds=10) + LEASE)
    # Then after the expiry it does
    later = now + LEASE + timedelta(seconds=1)
    assert leases.acquire(Lease.SWEEP, "next", later, later + LEASE)
    # And the crashed run, were it to come back, cannot release the new holder's lease
    leases.release(Lease.SWEEP, "crashed")
    assert not leases.acquire(Lease.SWEEP, "third", later + timedelta(seconds=1), later + LEASE)
    # But the holder can
    leases.release(Lease.SWEEP, "next")
    assert leases.acquire(Lease.SWEEP, "third", later + timedelta(seconds=2), later + LEASE)
    leases.release(Lease.SWEEP, "third")


def test_the_scheduled_handler_reports_a_run_skipped_for_the_lease(stack: Stack) -> None:
    # Given another run holding the sweep's lease
    leases = DynamoLeases(stack.table)
    now = datetime.now(UTC)
    assert leases.acquire(Lease.SWEEP, "other-run", now, now + LEASE)
    try:
        # When EventBridge invokes the sweep function
        result = stack.lambdas.invoke("SweepFunction", scheduled_event("ap-east-1", "EveryQuarterHour"))
    finally:
        leases.release(Lease.SWEEP, "other-run")
    # Then it swept nothing and said so
    assert result["overlapped"] is True and result["due"] == 0 and result["items_read"] == 0
    # And once the lease is free, the next invocation sweeps
    again = stack.lambdas.invoke("SweepFunction", scheduled_event("ap-east-1", "EveryQuarterHour"))
    assert again["overlapped"] is False
