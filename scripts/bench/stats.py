"""The stats query's cost as cases grow (issue 5's target: flat - `GET /v1/stats` reads the scoreboard
counters per unit and day, never the cases)."""

from __future__ import annotations

from datetime import UTC, datetime

from scripts.bench.embedded import bulk_put_cases, embedded_stack, open_case

UNITS = ("futian-traffic-police", "futian-ecology", "futian-housing", "nanshan-traffic-police")


def stats_reads(case_counts: tuple[int, ...]) -> list[dict[str, int]]:
    from minyi.adapters.dynamo import DynamoCaseRepository, DynamoCatalogRepository, DynamoScoreboardRepository
    from minyi.bootstrap import utcnow
    from minyi.domain.models import CaseStatus, EventType, Role, TimelineEvent
    from minyi.services.catalog import CatalogCache
    from minyi.services.scoreboard import ScoreboardService

    rows = []
    with embedded_stack() as stack:
        repo = DynamoCaseRepository(stack.table)
        service = ScoreboardService(
            counters=DynamoScoreboardRepository(stack.table),
            catalog=CatalogCache(DynamoCatalogRepository(stack.table)),
            clock=utcnow,
        )
        day = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
        counted = 0
        for target in case_counts:
            while counted < target:
                case = open_case(day, UNITS[counted % len(UNITS)], day)
                bulk_put_cases(stack.table, [case])
                steps: list[tuple[EventType, dict[str, bool | int | str]]] = [
                    (EventType.DISPATCHED, {}),
                    (EventType.CLOSED, {"on_time": True}),
                ]
                for seq, (etype, facts) in enumerate(steps, start=1):
                    event = TimelineEvent(
                        case_id=case.id,
                        seq=seq,
                        type=etype,
                        at=day,
                        actor_role=Role.SYSTEM,
                        actor_id="bench",
                        status=CaseStatus.CLOSED,
                        unit_id=case.unit_id,
                        facts=facts,
                    )
                    stack.table.ddb.put_item(TableName=stack.table.name, Item=repo._event_item(event))
                    service.count(event)
                counted += 1
            report = service.stats(day.date(), day.date(), None)
            rows.append({"cases": target, "items_read": report.items_read, "closed": report.totals.closed})
    return rows


def report(case_counts: tuple[int, ...]) -> list[str]:
    lines = ["== Stats query (issue 5): items read as cases grow (target: flat) =="]
    for row in stats_reads(case_counts):
        lines.append(f"  {row['cases']:>6} cases closed that day: stats query read {row['items_read']} items")
    return lines
