"""SMS notices (issue 4): stream-to-SMS throughput through the real notify handler and the Lambda-like
stream delivery, and a fault-injection run (a share of sends fail) that counts duplicates and losses
after the retries and the dead-letter replay - both must be 0."""

from __future__ import annotations

import random
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from scripts.bench.embedded import REGION, embedded_stack, open_case

UNIT = "futian-traffic-police"
FAULT_RATE = 0.3
SEED = 7


class _FlakySender:
    def __init__(self, fail_rate: float, seed: int = SEED):
        self.fail_rate = fail_rate
        self.rng = random.Random(seed)
        self.sent: Counter[tuple[str, str]] = Counter()
        self.failures = 0

    def send(self, to: str, body: str, *args: Any, **kwargs: Any) -> str:
        from minyi.ports import SmsError

        if self.rng.random() < self.fail_rate:
            self.failures += 1
            raise SmsError("injected failure")
        self.sent[(to, body)] += 1
        return uuid.uuid4().hex


def _settings(stack: Any, settings_class: Any, function: str) -> Any:
    env = stack.lambdas.environment(function)
    fields = settings_class.model_fields
    return settings_class.model_validate({name: env[name.upper()] for name in fields if name.upper() in env})


def notify_run(cases: int, fail_rate: float) -> dict[str, float]:
    """Cases through dispatch, reply and closing; their timeline streamed to the real notify handler."""
    import boto3

    from infra.local.streams import StreamPoller
    from infra.replay_dlq import replay
    from minyi import bootstrap
    from minyi.adapters.dynamo import DynamoCaseRepository
    from minyi.config import NotifySettings
    from minyi.domain import lifecycle
    from minyi.domain.lifecycle import RatingPolicy
    from minyi.domain.models import Actor, CaseStatus, Role

    with embedded_stack() as stack:
        module = stack.lambdas.module("NotifyFunction")
        sender = _FlakySender(fail_rate)
        service = bootstrap.notify_service(_settings(stack, NotifySettings, "NotifyFunction"), sender=sender)
        module.service = lambda: service  # the provider is the only thing replaced
        repo = DynamoCaseRepository(stack.table)
        now = datetime.now(UTC) - timedelta(hours=2)
        unit = Actor(role=Role.STAFF, id="s", unit_id=UNIT)
        citizen = Actor(role=Role.CITIZEN, id="bench")
        scores = dict.fromkeys(("speed", "effectiveness", "experience", "feedback_quality"), 5)
        expected: list[Any] = []
        for _ in range(cases):
            case = open_case(now, None, None, status=CaseStatus.SUBMITTED).model_copy(update={"version": 0})
            t = lifecycle.submitted(case, now)
            repo.create_case(t, "5678", [])
            case = t.after.model_copy(update={"version": 1})
            expected.extend(t.events)
            for step in (
                lambda c: lifecycle.dispatch(c, UNIT, now + timedelta(days=5), unit, now, "r"),
                lambda c: lifecycle.accept(c, unit, now),
                lambda c: lifecycle.reply(c, "done", unit, now),
                lambda c: lifecycle.rate(c, scores, None, citizen, now, RatingPolicy(), now),
            ):
                t = step(case)
                case = repo.save(t)
                expected.extend(t.events)
        want: Counter[tuple[str, str]] = Counter()
        for event in expected:
            for notice in service.notices_for(event):
                want[(notice.to, notice.body)] += 1
        poller = StreamPoller(stack.template, stack.lambdas, stack.resources)
        poller.mappings = [m for m in poller.mappings if m.function == "NotifyFunction"]
        mapping = poller.mappings[0]
        started = time.perf_counter()
        while poller.poll_once():
            pass
        elapsed = time.perf_counter() - started
        records, dead_lettered = mapping.stats["records"], mapping.stats["dead_lettered"]
        sender.fail_rate = 0.0
        assert mapping.on_failure_queue is not None
        queue = stack.resources[mapping.on_failure_queue]
        replay(queue, lambda e: stack.lambdas.invoke("NotifyFunction", e), mapping.wanted, REGION)
        duplicates = sum(max(0, sender.sent[k] - n) for k, n in want.items())
        lost = sum(max(0, n - sender.sent[k]) for k, n in want.items())
        left = int(
            boto3.client("sqs").get_queue_attributes(QueueUrl=queue, AttributeNames=["ApproximateNumberOfMessages"])[
                "Attributes"
            ]["ApproximateNumberOfMessages"]
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


def report(clean_cases: int, faulty_cases: int) -> list[str]:
    lines = ["== SMS notices (issue 4): stream -> notify handler -> SMS, in-process moto =="]
    clean = notify_run(clean_cases, 0.0)
    lines.append(
        f"  throughput: {clean['records']} timeline records in one pass, {clean['records_per_s']:.0f} records/s"
    )
    faulty = notify_run(faulty_cases, FAULT_RATE)
    lines.append(
        f"  fault injection ({FAULT_RATE:.0%} of sends fail): "
        f"{faulty['cases']} cases, {faulty['notices']} notices, {faulty['injected_failures']} injected failures, "
        f"{faulty['dead_lettered_records']} records dead-lettered then replayed"
    )
    lines.append(
        f"  duplicates {faulty['duplicates']}, lost {faulty['lost']}, left in the dead-letter queue "
        f"{faulty['left_in_queue']}  (target: 0, 0, 0)"
    )
    return lines
