"""The escalation sweep's cost: items read per due case with few and with many open cases (issue 5's
target: at most 1.1, and flat - the sweep reads a sparse index of due cases, never all cases)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from scripts.bench.embedded import bulk_put_cases, embedded_stack, open_case

DUE_CASES = 100
UNIT = "futian-traffic-police"
TARGET_READS_PER_DUE_CASE = 1.1


class _AliveWorkflow:
    """The sweep asks whether each overdue case's execution runs: here, always (no repair)."""

    def status(self, name: str) -> str:
        return "RUNNING"

    def start(self, case_id: str, name: str | None = None) -> None:
        return None

    def signal(self, *args: object, **kwargs: object) -> None:
        return None


def sweep_reads(open_cases: int, due_cases: int = DUE_CASES) -> dict[str, float]:
    from minyi.adapters.dynamo import SWEEP_SHARDS, DynamoCaseRepository, DynamoCatalogRepository, DynamoLeases
    from minyi.bootstrap import utcnow
    from minyi.services.cases import CaseStore
    from minyi.services.catalog import CatalogCache
    from minyi.services.sweep import SweepService

    with embedded_stack() as stack:
        now = datetime.now(UTC)
        not_due = [open_case(now, UNIT, now + timedelta(days=5)) for _ in range(open_cases - due_cases)]
        due = [open_case(now, UNIT, now - timedelta(minutes=1)) for _ in range(due_cases)]
        bulk_put_cases(stack.table, not_due + due)
        store = CaseStore(
            cases=DynamoCaseRepository(stack.table),
            catalog=CatalogCache(DynamoCatalogRepository(stack.table)),
            workflow=_AliveWorkflow(),  # type: ignore[arg-type]
            clock=utcnow,
        )
        service = SweepService(
            store=store,
            shards=SWEEP_SHARDS,
            leases=DynamoLeases(stack.table),
            lease_for=timedelta(seconds=330),
            batch_limit=5000,
        )
        started = time.perf_counter()
        report = service.run(now)
        elapsed = time.perf_counter() - started
        again = service.run(now)  # an overlapping/next run finds nothing left to do
        return {
            "open": open_cases,
            "due": report.due,
            "items_read": report.items_read,
            "per_due": report.items_read / max(1, report.due),
            "escalated": report.escalated,
            "second_run_read": again.items_read,
            "seconds": elapsed,
        }


def report(open_case_counts: tuple[int, ...]) -> list[str]:
    lines = [f"== Escalation sweep (issue 5): items read per due case (target <= {TARGET_READS_PER_DUE_CASE}, flat) =="]
    for open_cases in open_case_counts:
        r = sweep_reads(open_cases)
        lines.append(
            f"  {r['open']:>6} open cases, {r['due']} due: {r['items_read']} items read"
            f" = {r['per_due']:.2f} per due case ({r['seconds']:.2f} s); the next run reads {r['second_run_read']}"
        )
    return lines
