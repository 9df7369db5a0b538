"""Benchmarks for the operations side (issues 4 and 5), measured on in-process moto:

- stream-to-SMS throughput through the real notify handler and the Lambda-like stream delivery,
  and a fault-injection run (30 % of sends fail) counting duplicates and losses (both must be 0);
- the escalation sweep's items read per due case with 1,000 and 20,000 open cases;
- the stats query's items read as the number of cases grows.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

REGION = "ap-east-1"


@contextlib.contextmanager
def embedded_stack() -> Iterator[Any]:
    """Template resources on in-process moto, the handlers loaded from template.yaml."""
    for key, value in {
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "ERROR",
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",  # dynamodbstreams on moto (platform notes)
    }.items():
        os.environ[key] = value
    os.environ.pop("AWS_ENDPOINT_URL", None)
    logging.getLogger("moto.stepfunctions.parser").setLevel(logging.CRITICAL)
    from moto import mock_aws
    from moto.core.botocore_stubber import BotocoreStubber

    from infra.local import moto_patches
    from infra.local.aws import EmbeddedAws
    from infra.local.lambdas import LocalLambdas
    from infra.local.template import Template
    from minyi.adapters.aws import reset_clients
    from minyi.adapters.dynamo import DynamoRepository
    from minyi.domain.catalog import shenzhen_catalog, shenzhen_units_and_rules

    lock = threading.RLock()
    original = BotocoreStubber.__call__

    def serialised(self: Any, *args: Any, **kwargs: Any) -> Any:
        with lock:
            return original(self, *args, **kwargs)

    BotocoreStubber.__call__ = serialised  # type: ignore[method-assign]
    template = Template(REGION)
    lambdas = LocalLambdas(template, {"POWERTOOLS_LOG_LEVEL": "ERROR"})
    lambdas.install_botocore_hook()
    moto_patches.install()
    try:
        with mock_aws():
            reset_clients()
            resources = EmbeddedAws(template).create_resources()
            repo = DynamoRepository(resources["CasesTable"])
            _, rules = shenzhen_units_and_rules()
            repo.seed_catalog(shenzhen_catalog(), rules)
            yield template, lambdas, resources, repo
    finally:
        BotocoreStubber.__call__ = original  # type: ignore[method-assign]
        reset_clients()


def _case(now: datetime, unit_id: str, due_at: datetime | None, status: str = "DISPATCHED") -> Any:
    from minyi.domain.models import Case

    return Case(
        id=uuid.uuid4().hex,
        tracking_no=f"SZ-{uuid.uuid4().hex[:8]}",
        citizen_id="bench",
        phone="+8613812345678",
        category="complaint",
        topic="traffic",
        district="futian",
        description="bench",
        status=status,
        unit_id=unit_id,
        due_at=due_at,
        dispatched_at=now - timedelta(hours=1),
        created_at=now - timedelta(hours=1),
        updated_at=now - timedelta(hours=1),
        version=1,
    )


def _bulk_put_cases(repo: Any, cases: list[Any]) -> None:
    for i in range(0, len(cases), 25):
        chunk = [{"PutRequest": {"Item": repo._case_item(c)}} for c in cases[i : i + 25]]
        repo.ddb.batch_write_item(RequestItems={repo.table_name: chunk})


class _AliveWorkflow:
    """The sweep asks whether each overdue case's execution runs: here, always (no repair)."""

    def status(self, name: str) -> str:
        return "RUNNING"


def sweep_reads(open_cases: int, due_cases: int) -> dict[str, float]:
    from minyi.services.cases import CaseStore
    from minyi.services.sweep import SweepService

    with embedded_stack() as (_, _, _, repo):
        now = datetime.now(UTC)
        not_due = [_case(now, "futian-traffic-police", now + timedelta(days=5)) for _ in range(open_cases - due_cases)]
        due = [_case(now, "futian-traffic-police", now - timedelta(minutes=1)) for _ in range(due_cases)]
        _bulk_put_cases(repo, not_due + due)
        service = SweepService(CaseStore(repo), _AliveWorkflow(), batch_limit=5000)  # type: ignore[arg-type]
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


def stats_reads(case_counts: list[int]) -> list[dict[str, float]]:
    from minyi.domain.models import EventType, Role, TimelineEvent
    from minyi.services.scoreboard import ScoreboardService

    rows = []
    with embedded_stack() as (_, _, _, repo):
        service = ScoreboardService(repo)
        units = ["futian-traffic-police", "futian-ecology", "futian-housing", "nanshan-traffic-police"]
        day = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
        counted = 0
        for target in case_counts:
            while counted < target:
                case = _case(day, units[counted % len(units)], day)
                _bulk_put_cases(repo, [case])
                for seq, (etype, facts) in enumerate(
                    [(EventType.DISPATCHED, {}), (EventType.CLOSED, {"on_time": True})], start=1
                ):
                    event = TimelineEvent(
                        case_id=case.id,
                        seq=seq,
                        type=etype,
                        at=day,
                        actor_role=Role.SYSTEM,
                        actor_id="bench",
                        status="CLOSED",
                        unit_id=case.unit_id,
                        facts=facts,
                    )
                    repo.ddb.put_item(TableName=repo.table_name, Item=repo._event_item(event))
                    service.count(event)
                counted += 1
            body, read = service.stats(day.date(), day.date(), None)
            rows.append({"cases": target, "items_read": read, "closed": body["totals"]["closed"]})  # type: ignore[index]
    return rows


class _FlakySender:
    def __init__(self, fail_rate: float, seed: int = 7):
        self.fail_rate = fail_rate
        self.rng = random.Random(seed)
        self.sent: Counter[tuple[str, str]] = Counter()
        self.failures = 0

    def send(self, to: str, body: str) -> str:
        from minyi.adapters.sms import SmsError

        if self.rng.random() < self.fail_rate:
            self.failures += 1
            raise SmsError("injected failure")
        self.sent[(to, body)] += 1
        return uuid.uuid4().hex


def notify_run(cases: int, fail_rate: float) -> dict[str, float]:
    """Cases through dispatch, reply and closing; their timeline streamed to the real notify handler."""
    from infra.local.streams import StreamPoller
    from infra.replay_dlq import replay
    from minyi.domain import lifecycle
    from minyi.domain.lifecycle import RatingPolicy
    from minyi.domain.models import Actor, CaseStatus, Role
    from minyi.services.notify import NotifyService

    with embedded_stack() as (template, lambdas, resources, repo):
        module = lambdas.module("NotifyFunction")
        sender = _FlakySender(fail_rate)
        service = NotifyService(repo=repo, sender=sender, rating_link_base="https://x/r")
        module.service = lambda: service  # the provider is the only thing replaced
        now = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
        unit = Actor(role=Role.STAFF, id="s", unit_id="futian-traffic-police")
        expected: list[Any] = []
        for _ in range(cases):
            case = _case(now, "futian-traffic-police", None, status=CaseStatus.SUBMITTED).model_copy(
                update={"unit_id": None, "version": 0}
            )
            t = lifecycle.submitted(case, now)
            repo.create_case(t, "5678", [])
            case = t.after.model_copy(update={"version": 1})
            for step in (
                lambda c: lifecycle.dispatch(c, "futian-traffic-police", now + timedelta(days=5), unit, now, "r"),
                lambda c: lifecycle.accept(c, unit, now),
                lambda c: lifecycle.reply(c, "done", unit, now),
                lambda c: lifecycle.rate(
                    c,
                    dict.fromkeys(("speed", "effectiveness", "experience", "feedback_quality"), 5),
                    None,
                    Actor(role=Role.CITIZEN, id="bench"),
                    now,
                    RatingPolicy(),
                    now,
                ),
            ):
                t = step(case)
                case = repo.save(t)
                expected.extend(t.events)
        want = Counter()
        for event in expected:
            for notice in service.notices_for(event):
                want[(notice.to, notice.body)] += 1
        poller = StreamPoller(template, lambdas, resources)
        poller.mappings = [m for m in poller.mappings if m.function == "NotifyFunction"]
        started = time.perf_counter()
        while poller.poll_once():
            pass
        elapsed = time.perf_counter() - started
        records = poller.mappings[0].stats["records"]
        dead_lettered = poller.mappings[0].stats["dead_lettered"]
        sender.fail_rate = 0.0
        mapping = poller.mappings[0]
        replay(
            resources[mapping.on_failure_queue], lambda e: lambdas.invoke("NotifyFunction", e), mapping.wanted, REGION
        )
        duplicates = sum(max(0, sender.sent[k] - n) for k, n in want.items())
        lost = sum(max(0, n - sender.sent[k]) for k, n in want.items())
        import boto3

        left = int(
            boto3.client("sqs").get_queue_attributes(
                QueueUrl=resources[mapping.on_failure_queue], AttributeNames=["ApproximateNumberOfMessages"]
            )["Attributes"]["ApproximateNumberOfMessages"]
        )
        return {
            "cases": cases,
            "records": records,
            "records_per_s": records / elapsed if elapsed else 0.0,
            "notices": sum(want.values()),
            "injected_failures": sender.failures,
            "dead_lettered_records": dead_lettered,
            "duplicates": duplicates,
            "lost": lost,
            "left_in_queue": left,
        }


def run() -> list[str]:
    lines = ["", "== SMS notices (issue 4): stream -> notify handler -> SMS, in-process moto =="]
    clean = notify_run(100, 0.0)
    lines.append(
        f"  throughput: {clean['records']} timeline records in one pass, {clean['records_per_s']:.0f} records/s"
    )
    faulty = notify_run(300, 0.3)
    lines.append(
        "  fault injection (30 % of sends fail): "
        f"{faulty['cases']} cases, {faulty['notices']} notices, {faulty['injected_failures']} injected failures, "
        f"{faulty['dead_lettered_records']} records dead-lettered then replayed"
    )
    lines.append(
        f"  duplicates {faulty['duplicates']}, lost {faulty['lost']}, left in the dead-letter queue "
        f"{faulty['left_in_queue']}  (target: 0, 0, 0)"
    )
    lines.append("")
    lines.append("== Escalation sweep (issue 5): items read per due case (target <= 1.1, flat) ==")
    for open_cases in (1_000, 20_000):
        r = sweep_reads(open_cases, 100)
        lines.append(
            f"  {r['open']:>6} open cases, {r['due']} due: {r['items_read']} items read"
            f" = {r['per_due']:.2f} per due case ({r['seconds']:.2f} s); the next run reads {r['second_run_read']}"
        )
    lines.append("")
    lines.append("== Stats query (issue 5): items read as cases grow (target: flat) ==")
    for row in stats_reads([100, 1_000, 5_000]):
        lines.append(f"  {row['cases']:>6} cases closed that day: stats query read {row['items_read']} items")
    return lines


@contextlib.contextmanager
def quiet_stdout() -> Iterator[None]:
    """Handlers log and flush metrics to stdout (as in Lambda); keep the tables readable."""
    saved = os.dup(1)
    with open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), 1)
        try:
            yield
        finally:
            os.dup2(saved, 1)
            os.close(saved)


if __name__ == "__main__":
    with quiet_stdout():
        report = run()
    print("\n".join(report), flush=True)
