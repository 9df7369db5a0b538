"""SMS notices end to end on moto: the table's stream delivered to the real notify handler the way
Lambda's event source mapping does it (batches, retries of reported failures, bisect, dead-letter
queue), the dead-letter replay, redelivery, poison records and the staff view of the outbox.

The SMS provider is a recording sender: the stream mapping and the replay invoke the loaded handler
module's `process(event, context, service)` with a NotifyService built on the stack's table and that
sender (nothing is patched); everything else (handler, BatchProcessor, outbox in DynamoDB, SQS) is the
real thing. One stack serves the module: each test's poller starts at the end of the stream (as a new
mapping with StartingPosition LATEST would), the dead-letter queue is emptied, and ids are unique.

Pure notify logic (exactly once, FAILED then retried, duplicates suppressed) is tested on fakes in
tests/unit/services/test_notify_service.py.
"""

from __future__ import annotations

import functools
import json
import random
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import botocore.client
import pytest
from aws_lambda_powertools.utilities.parser.models import DynamoDBStreamLambdaOnFailureDestinationModel

from infra.local.streams import StreamMapping, StreamPoller, lambda_record
from infra.replay_dlq import replay
from minyi import bootstrap
from minyi.adapters.aws import client
from minyi.adapters.catalog_file import SUPERVISION_OFFICE, shenzhen_catalog
from minyi.config import NotifySettings
from minyi.domain import lifecycle
from minyi.domain.errors import ConcurrentUpdate
from minyi.domain.lifecycle import RatingPolicy
from minyi.domain.models import (
    Actor,
    Case,
    CaseStatus,
    Category,
    EventType,
    OutboxEntry,
    OutboxStatus,
    Role,
    TimelineEvent,
)
from minyi.domain.notices import Notice
from minyi.domain.phone import last4, mask_phone
from minyi.ports import SmsError
from minyi.services.notify import NotifyService
from tests.integration.conftest import REGION, Stack, citizen, staff

NOTIFY = "NotifyFunction"
CATALOG = shenzhen_catalog()
UNITS = [u for u in CATALOG.units.values() if u.duty_phone and u.id != SUPERVISION_OFFICE.id]
POLICY = RatingPolicy()
SATISFIED = {"speed": 4, "effectiveness": 4, "experience": 4, "feedback_quality": 4}
UNSATISFIED = {**SATISFIED, "effectiveness": 2}
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # a Monday, 09:00 in Shenzhen

#: Cases of the fault-injection run: each of the seven paths of the lifecycle three times, 141 timeline
#: events and 135 notices, about 340 provider calls of which about 200 fail (150 of them in the outage).
#: moto serialises every response in Python (a GetItem of a case costs about 4 ms): 60 cases took 16 s,
#: 200 about a minute, and proved nothing more (the same paths, a batch dead-lettered and replayed).
FAULT_CASES = 21

NoticeKey = tuple[str, int, str]  # (case_id, event_seq, kind): the exactly-once unit


# --- the SMS provider, recorded ------------------------------------------------------------------


@dataclass
class FlakySender:
    """An SMS provider that refuses about `fail_rate` of the messages (seeded, reproducible), and
    every message during `outage` (call numbers, counted from 1). Each accepted message gets a new
    id, which the notify service records on the outbox entry of the notice it sent: so every accepted
    message can be traced to its notice (`sends_per_notice`) without looking inside the service."""

    fail_rate: float = 0.0
    seed: int = 0
    outage: range = range(0)
    calls: int = 0
    failures: int = 0
    outage_failures: int = 0
    sent: list[tuple[str, str, str]] = field(default_factory=list)  # (message id, to, body)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def send(self, to: str, body: str) -> str:
        self.calls += 1
        if self.calls in self.outage:
            self.failures += 1
            self.outage_failures += 1
            raise SmsError("injected: provider unavailable")
        if self.rng.random() < self.fail_rate:
            self.failures += 1
            raise SmsError("injected: provider throttled")
        message_id = f"sms-{len(self.sent) + 1:06d}"
        self.sent.append((message_id, to, body))
        return message_id


#: Where an accepted message that no outbox entry names is counted: a second send of some notice.
UNACCOUNTED: NoticeKey = ("?", 0, "unaccounted")


def sends_per_notice(stack: Stack, sender: FlakySender, case_ids: list[str]) -> Counter[NoticeKey]:
    """Accepted messages per (case, event, recipient). SENT is final, so a notice sent twice keeps the
    first message id and the second message is UNACCOUNTED."""
    owner = {
        entry.provider_message_id: (entry.case_id, entry.event_seq, entry.kind)
        for entry in outbox_of(stack, case_ids)
        if entry.provider_message_id
    }
    return Counter(owner.get(message_id, UNACCOUNTED) for message_id, _, _ in sender.sent)


class NotifyFunction:
    """The notify function as the event source mapping and the DLQ replay call it: the loaded handler
    module's `process` with the service `minyi.bootstrap` wires for it, sending through the test's
    SMS provider (the bootstrap's `sender` override)."""

    def __init__(self, stack: Stack):
        self.stack = stack
        self.template = stack.lambdas.template
        self.module = stack.lambdas.module(NOTIFY)
        self.service: NotifyService | None = None

    def use(self, sender: FlakySender | None) -> NotifyService | None:
        settings = self.stack.settings(NotifySettings, NOTIFY)
        self.service = bootstrap.notify_service(settings, sender=sender) if sender else None
        return self.service

    def invoke(self, name: str, event: dict[str, Any]) -> Any:
        assert name == NOTIFY and self.service is not None, "connect a sender first"
        return self.module.process(event, self.stack.context(NOTIFY), self.service)


class NotifyPoller(StreamPoller):
    """Lambda's event source mapping for the notify function only (other consumers are not under test)."""

    def __init__(self, stack: Stack):
        self.function = NotifyFunction(stack)
        super().__init__(stack.lambdas.template, self.function, stack.resources)  # type: ignore[arg-type]
        self.mappings = [m for m in self.mappings if m.function == NOTIFY]
        assert len(self.mappings) == 1, "the notify function has one stream event source"
        self.skipping = False

    def deliver(self, mapping: StreamMapping, batch: list[dict[str, Any]], shard_id: str, stream_arn: str) -> None:
        if not self.skipping:
            super().deliver(mapping, batch, shard_id, stream_arn)

    def start_at_the_end(self) -> None:
        """Read past what earlier tests wrote, delivering none of it (StartingPosition LATEST)."""
        self.skipping = True
        try:
            drain(self)
        finally:
            self.skipping = False
        for name in self.mappings[0].stats:
            self.mappings[0].stats[name] = 0


def connect(poller: NotifyPoller, sender: FlakySender) -> NotifyService:
    """From now on the notify function sends through `sender`."""
    service = poller.function.use(sender)
    assert service is not None
    return service


def invoke_notify(poller: NotifyPoller) -> Any:
    """What the DLQ replay is given to invoke the function with a batch."""
    return functools.partial(poller.function.invoke, NOTIFY)


@pytest.fixture(scope="module")
def module_poller(stack: Stack) -> Iterator[NotifyPoller]:
    """One mapping for the module: it remembers how far it read, so each test skips only what the
    previous one left (reading the whole stream again costs seconds)."""
    with pytest.MonkeyPatch.context() as mp:
        # the poller and the replay create plain boto3 dynamodbstreams clients (platform notes)
        mp.setenv("AWS_ACCOUNT_ID_ENDPOINT_MODE", "disabled")
        # an empty dead-letter queue for each test (moto allows one purge a minute unless told otherwise)
        mp.setenv("MOTO_SQS_ENFORCE_STRICT_QUEUE_PURGE_BEHAVIOUR", "false")
        yield NotifyPoller(stack)


@pytest.fixture
def streams(stack: Stack, module_poller: NotifyPoller) -> Iterator[NotifyPoller]:
    module_poller.function.use(None)
    module_poller.start_at_the_end()
    client("sqs").purge_queue(QueueUrl=dlq_url(stack))
    yield module_poller
    module_poller.function.use(None)


def notify_mapping(poller: NotifyPoller) -> StreamMapping:
    return poller.mappings[0]


def drain(poller: StreamPoller) -> int:
    """poll_once() until a poll finds nothing more for the function (twice, to be sure)."""
    delivered, idle = 0, 0
    while idle < 2:
        n = poller.poll_once()
        delivered += n
        idle = idle + 1 if n == 0 else 0
    return delivered


def dlq_url(stack: Stack) -> str:
    return stack.resources["NotifyDeadLetterQueue"]


def dlq_depth(stack: Stack) -> int:
    attrs = client("sqs").get_queue_attributes(
        QueueUrl=dlq_url(stack),
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])


# --- cases written directly with the repository and the pure lifecycle ---------------------------


class CaseWriter:
    """Drives cases through the pure lifecycle and persists each transition with the repository.

    `bulk=True` writes the same items (the repository's own item layout) with batch writes instead
    of one transaction per transition: moto's transact_write_items deep-copies the whole table,
    stream included, for every item of every transaction, which makes hundreds of cases take minutes.
    The stream then holds the same timeline inserts, in order per case."""

    def __init__(self, stack: Stack, bulk: bool = False):
        self.repo = stack.repo
        self.bulk = bulk
        self.n = 0
        self.prefix = uuid.uuid4().hex[:4].upper()  # tracking numbers unique in the shared table
        self.pending: list[dict[str, Any]] = []
        self.events: dict[str, list[TimelineEvent]] = {}
        self.cases: dict[str, Case] = {}

    def new(self, unit_index: int = 0, language: str = "zh") -> Case:
        self.n += 1
        now = T0 + timedelta(seconds=self.n)
        unit = UNITS[unit_index % len(UNITS)]
        case = Case(
            id=uuid.uuid4().hex,
            tracking_no=f"SZ2603-{self.prefix}{self.n:05d}",
            citizen_id=f"citizen-{self.n}",
            phone=f"+86138{self.n:08d}",
            language=language,  # type: ignore[arg-type]
            category=Category.COMPLAINT,
            topic="traffic",
            district=str(unit.district),
            description=f"test case {self.n}",
            status=CaseStatus.SUBMITTED,
            created_at=now,
            updated_at=now,
        )
        transition = lifecycle.submitted(case, now)
        self.events[case.id] = list(transition.events)
        if self.bulk:
            self.pending += [self.repo._event_item(e) for e in transition.events]
        else:
            self.repo.create_case(transition, last4(case.phone), [])
        case = transition.after.model_copy(update={"version": 1})
        return self.save(lifecycle.dispatch(case, unit.id, T0 + timedelta(days=7), lifecycle.ROUTER, now, "by rule"))

    def save(self, transition: lifecycle.Transition) -> Case:
        self.events[transition.after.id] += transition.events
        if self.bulk:
            self.pending += [self.repo._event_item(e) for e in transition.events]
            case = transition.after.model_copy(update={"version": transition.before.version + 1})
        else:
            case = self.repo.save(transition)
        self.cases[case.id] = case
        return case

    def flush(self) -> None:
        """Bulk mode: write the collected items, 25 per batch, in order."""
        ddb = client("dynamodb")
        table = self.repo.table.name
        for i in range(0, len(self.pending), 25):
            chunk = [{"PutRequest": {"Item": item}} for item in self.pending[i : i + 25]]
            resp = ddb.batch_write_item(RequestItems={table: chunk})
            assert not resp.get("UnprocessedItems")
        self.pending.clear()

    def handle(self, case: Case, at: datetime) -> Case:
        actor = Actor(role=Role.STAFF, id="staff-1", unit_id=case.unit_id)
        case = self.save(lifecycle.accept(case, actor, at))
        return self.save(lifecycle.reply(case, "done", actor, at + timedelta(minutes=1)))

    def rate(self, case: Case, scores: dict[str, int], at: datetime) -> Case:
        citizen_actor = Actor(role=Role.CITIZEN, id=case.citizen_id)
        return self.save(lifecycle.rate(case, scores, None, citizen_actor, at, POLICY, at + timedelta(days=7)))

    def scenario(self, i: int) -> Case:
        """Seven paths through the lifecycle, so every notifying event type is on the stream."""
        case = self.new(unit_index=i, language="en" if i % 5 == 0 else "zh")
        at = T0 + timedelta(hours=1)
        path = i % 7
        if path == 0:  # satisfied: dispatched, replied, closed
            case = self.rate(self.handle(case, at), SATISFIED, at + timedelta(hours=1))
        elif path == 1:  # rollback: reopened, then closed
            case = self.rate(self.handle(case, at), UNSATISFIED, at + timedelta(hours=1))
            case = self.rate(self.handle(case, at + timedelta(hours=2)), SATISFIED, at + timedelta(hours=3))
        elif path == 2:  # reopened, supervised, closed under supervision
            case = self.rate(self.handle(case, at), UNSATISFIED, at + timedelta(hours=1))
            case = self.rate(self.handle(case, at + timedelta(hours=2)), UNSATISFIED, at + timedelta(hours=3))
            case = self.rate(self.handle(case, at + timedelta(hours=4)), UNSATISFIED, at + timedelta(hours=5))
        elif path == 3:  # deadline warning, overdue, then a late reply
            case = self.save(lifecycle.warn_deadline(case, T0 + timedelta(days=5)))
            case = self.save(lifecycle.mark_overdue(case, T0 + timedelta(days=8)))
            case = self.handle(case, T0 + timedelta(days=9))
        elif path == 4:  # replied, closed unrated
            case = self.save(lifecycle.close_unrated(self.handle(case, at), at + timedelta(days=3)))
        elif path == 5:  # still with the unit
            pass
        else:  # replied, waiting for the rating
            case = self.handle(case, at)
        if self.bulk:  # the case item in its final state (the notify function reads it)
            self.pending.append(self.repo._case_item(case))
        return case


def expected_notices(stack: Stack, writer: CaseWriter, case_ids: list[str]) -> dict[NoticeKey, Notice]:
    """What should have been sent: the notices the notify service plans for every timeline event the
    writer stored (the planning itself, `plan_notices`, is unit-tested in tests/unit/test_notices.py)."""
    planner = bootstrap.notify_service(stack.settings(NotifySettings, NOTIFY), sender=FlakySender())
    expected: dict[NoticeKey, Notice] = {}
    for case_id in case_ids:
        for event in writer.events[case_id]:
            for notice in planner.notices_for(event):
                expected[(notice.case_id, notice.event_seq, notice.kind)] = notice
    return expected


def outbox_of(stack: Stack, case_ids: list[str]) -> list[OutboxEntry]:
    """Every outbox entry of these cases."""
    return [entry for case_id in case_ids for entry in stack.outbox.entries(case_id)]


def stream_mark(stack: Stack) -> dict[str, str]:
    """An iterator at the current end of each shard of the table's stream: reading from a mark gives
    only what was written after it (the module's shared stream holds every earlier test's records)."""
    streams = client("dynamodbstreams")
    arn = client("dynamodb").describe_table(TableName=stack.resources["CasesTable"])["Table"]["LatestStreamArn"]
    mark: dict[str, str] = {}
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        latest = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="LATEST")
        mark[shard["ShardId"]] = latest["ShardIterator"]
    return mark


def stream_records(stack: Stack, mapping: StreamMapping, case_id: str, since: dict[str, str]) -> list[dict[str, Any]]:
    """The case's timeline inserts written after the mark `since`, in the shape Lambda delivers them."""
    streams = client("dynamodbstreams")
    arn = client("dynamodb").describe_table(TableName=stack.resources["CasesTable"])["Table"]["LatestStreamArn"]
    records: list[dict[str, Any]] = []
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        iterator = (
            since.get(shard["ShardId"])
            or streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON")[
                "ShardIterator"
            ]
        )
        while iterator:
            resp = streams.get_records(ShardIterator=iterator, Limit=1000)
            if not resp["Records"]:
                break
            records += [lambda_record(r, arn, REGION) for r in resp["Records"]]
            iterator = resp.get("NextShardIterator")
    return [r for r in records if mapping.wanted(r) and r["dynamodb"]["Keys"]["PK"]["S"] == f"CASE#{case_id}"]


# --- a. fault injection ----------------------------------------------------------------------------


def test_flaky_provider_every_notice_delivered_exactly_once_after_retries_and_replay(
    stack: Stack, streams: NotifyPoller
) -> None:
    started = time.monotonic()
    # Given 21 cases along every path of the lifecycle, their timeline events on the table's stream
    writer = CaseWriter(stack, bulk=True)
    case_ids = [writer.scenario(i).id for i in range(FAULT_CASES)]
    writer.flush()
    expected = expected_notices(stack, writer, case_ids)
    expected_types = {n.event_type for n in expected.values()}
    assert expected_types >= {
        EventType.DISPATCHED,
        EventType.REPLIED,
        EventType.REOPENED,
        EventType.SUPERVISED,
        EventType.CLOSED,
        EventType.OVERDUE,
        EventType.DEADLINE_WARNING,
    }
    written = time.monotonic()
    # And an SMS provider that refuses about 30 % of the messages, and is down for 150 calls in a row:
    # longer than six attempts at a batch of 25 events (about 24 notices each), so a batch exhausts
    # the mapping's 5 retries and goes to the dead-letter queue
    sender = FlakySender(fail_rate=0.3, seed=20260302, outage=range(40, 190))
    connect(streams, sender)

    # When the stream is delivered to the notify function as Lambda does (retries, bisect, DLQ)
    delivered = drain(streams)
    mapping = notify_mapping(streams)
    dead_lettered_records = mapping.stats["dead_lettered"]
    dead_letter_messages = dlq_depth(stack)
    sends_before_replay = len(sender.sent)
    failures_injected = sender.failures
    # And, once the provider has recovered, the dead-letter queue is replayed until it is empty
    sender.fail_rate = 0.0
    invoke = invoke_notify(streams)
    replayed = Counter[str]()
    for _ in range(20):
        if dlq_depth(stack) == 0:
            break
        replayed.update(replay(dlq_url(stack), invoke, mapping.wanted, REGION, max_messages=1000))

    # Then every expected notice was sent exactly once: nothing lost, nothing twice, nothing extra
    counts = sends_per_notice(stack, sender, case_ids)
    duplicates = {k: c for k, c in counts.items() if c > 1}
    lost = sorted(set(expected) - set(counts))
    unexpected = sorted(set(counts) - set(expected))
    print(
        f"\n[fault injection] cases={len(case_ids)} events_delivered={delivered} expected_notices={len(expected)}"
        f" provider_calls={sender.calls} failures_injected={failures_injected} (outage: {sender.outage_failures})"
        f" sent_before_replay={sends_before_replay} sent_total={len(sender.sent)}"
        f" invocations={mapping.stats['invocations']} dead_lettered_records={dead_lettered_records}"
        f" dlq_messages={dead_letter_messages} replay={dict(replayed)}"
        f" duplicates={len(duplicates)} lost={len(lost)} unexpected={len(unexpected)}"
        f" write_s={written - started:.1f} deliver_s={time.monotonic() - written:.1f}"
    )
    assert failures_injected > 0.2 * len(expected), "the fault injection did happen"
    assert dead_letter_messages > 0, "some batches exhausted their retries (the replay is exercised)"
    assert sends_before_replay < len(expected), "the replay had notices left to send"
    assert duplicates == {}
    assert lost == []
    assert unexpected == []
    assert all(c == 1 for c in counts.values()) and len(counts) == len(expected)
    # And each message went to the planned phone with the planned text
    outbox = outbox_of(stack, case_ids)
    by_message = {e.provider_message_id: (e.case_id, e.event_seq, e.kind) for e in outbox}
    for message_id, to, body in sender.sent:
        key = by_message[message_id]
        assert (to, body) == (expected[key].to, expected[key].body)
    # And the dead-letter queue is empty, every replayed message succeeded
    assert dlq_depth(stack) == 0
    assert replayed["still_failing"] == 0
    assert replayed["replayed_messages"] == dead_letter_messages
    # And every outbox item is SENT, with the provider's message id
    assert len(outbox) == len(expected)
    assert Counter(entry.status for entry in outbox) == {OutboxStatus.SENT: len(expected)}
    assert all((entry.provider_message_id or "").startswith("sms-") for entry in outbox)
    # And retried notices record their attempts (one per provider call for that notice)
    assert sum(entry.attempts for entry in outbox) == sender.calls


# --- b. redelivery of a whole batch ----------------------------------------------------------------


def test_redelivering_a_whole_batch_sends_nothing_twice(stack: Stack, streams: NotifyPoller) -> None:
    # Given a case answered and closed, and its timeline inserts as Lambda delivers them
    writer = CaseWriter(stack)
    mark = stream_mark(stack)
    case = writer.scenario(1)  # dispatched, replied, reopened, replied, closed
    sender = FlakySender()
    connect(streams, sender)
    event = {"Records": stream_records(stack, notify_mapping(streams), case.id, since=mark)}
    # 1 submitted, 2 dispatched, 3 accepted, 4 replied, 5 rated, 6 reopened, 7 accepted, 8 replied, 9 rated, 10 closed
    assert len(event["Records"]) == case.event_count == 10
    expected = expected_notices(stack, writer, [case.id])
    # the citizen hears of seq 1, 2, 4, 6, 8 and 10, the unit of 2 and 6 (accepted and rated notify nobody)
    notices = {(1, "citizen"), (2, "citizen"), (2, "unit"), (4, "citizen"), (6, "citizen"), (6, "unit")}
    notices |= {(8, "citizen"), (10, "citizen")}
    assert {(seq, kind) for _, seq, kind in expected} == notices

    # When the notify function receives the same batch twice (a retried invocation)
    first = streams.function.invoke(NOTIFY, event)
    second = streams.function.invoke(NOTIFY, json.loads(json.dumps(event)))

    # Then both invocations succeed and the provider was asked 8 times in all: every notice once
    assert first == {"batchItemFailures": []} and second == {"batchItemFailures": []}
    assert sender.calls == len(sender.sent) == 8
    assert sends_per_notice(stack, sender, list({k[0] for k in expected})) == Counter(dict.fromkeys(expected, 1))
    # And the outbox shows each notice SENT once, with the provider's message id
    outbox = {(o.case_id, o.event_seq, o.kind): o for o in stack.outbox.entries(case.id)}
    assert set(outbox) == set(expected)
    for key, entry in outbox.items():
        assert entry.status == OutboxStatus.SENT
        assert entry.attempts == 1
        assert (entry.provider_message_id or "").startswith("sms-")
        assert entry.to == expected[key].to and entry.body == expected[key].body
        assert entry.event_type == expected[key].event_type


# --- c. poison records -----------------------------------------------------------------------------


def _put_event_item(stack: Stack, item: dict[str, Any]) -> None:
    client("dynamodb").put_item(TableName=stack.resources["CasesTable"], Item=stack.table.codec.item(item))


def _orphan_event(stack: Stack) -> str:
    """A timeline event whose case does not exist."""
    case_id = f"ghost-{uuid.uuid4().hex}"
    event = TimelineEvent(
        case_id=case_id,
        seq=2,
        type=EventType.DISPATCHED,
        at=T0,
        actor_role=Role.SYSTEM,
        actor_id="router",
        status=CaseStatus.DISPATCHED,
        unit_id=UNITS[0].id,
        due_at=T0 + timedelta(days=7),
    )
    _put_event_item(stack, {**event.model_dump(mode="json"), "PK": f"CASE#{case_id}", "SK": "EVENT#00002"})
    return case_id


def _malformed_event(stack: Stack) -> str:
    """A timeline item that fails model validation (unknown type, seq 0, no timestamp)."""
    case_id = f"broken-{uuid.uuid4().hex}"
    _put_event_item(
        stack,
        {"PK": f"CASE#{case_id}", "SK": "EVENT#00000", "case_id": case_id, "seq": 0, "type": "no-such-type"},
    )
    return case_id


@pytest.mark.parametrize("poison", [_orphan_event, _malformed_event], ids=["case-missing", "invalid-new-image"])
def test_a_poison_record_is_dead_lettered_without_blocking_the_others(
    stack: Stack, streams: NotifyPoller, poison: Any
) -> None:
    # Given a stream with good cases before and after a poison record
    writer = CaseWriter(stack)
    mark = stream_mark(stack)
    before = [writer.scenario(0).id, writer.scenario(3).id]
    poison_case = poison(stack)
    after = [writer.scenario(2).id, writer.scenario(4).id]
    expected = expected_notices(stack, writer, before + after)
    sender = FlakySender()
    connect(streams, sender)

    # When the stream is delivered
    drain(streams)

    # Then every good record's notices were sent once, before and after the poison record
    assert sends_per_notice(stack, sender, list({k[0] for k in expected})) == Counter(dict.fromkeys(expected, 1))
    # And exactly one message is in the dead-letter queue, in Lambda's on-failure format
    messages = client("sqs").receive_message(QueueUrl=dlq_url(stack), MaxNumberOfMessages=10)["Messages"]
    assert len(messages) == 1
    body = json.loads(messages[0]["Body"])
    failure = DynamoDBStreamLambdaOnFailureDestinationModel.model_validate(body)
    assert body["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert body["requestContext"]["functionArn"] == stack.lambdas.template.arn(NOTIFY)
    info = failure.ddb_stream_batch_info
    # And it starts at the poison record (the stream keeps the records for the replay)
    poison_records = stream_records(stack, notify_mapping(streams), poison_case, since=mark)
    assert len(poison_records) == 1
    assert info.start_sequence_number == poison_records[0]["dynamodb"]["SequenceNumber"]
    assert int(info.end_sequence_number) >= int(info.start_sequence_number)
    assert info.batch_size == notify_mapping(streams).stats["dead_lettered"] >= 1
    stream_arn = client("dynamodb").describe_table(TableName=stack.resources["CasesTable"])["Table"]["LatestStreamArn"]
    shards = client("dynamodbstreams").describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]
    assert info.stream_arn == stream_arn
    assert info.shard_id in {s["ShardId"] for s in shards}
    # And nothing is written to the outbox for the poison record
    assert stack.outbox.entries(poison_case) == []


def test_replaying_a_poison_batch_keeps_the_message_and_resends_nothing(stack: Stack, streams: NotifyPoller) -> None:
    # Given a dead-lettered batch that starts with a poison record and holds good records after it
    writer = CaseWriter(stack)
    _orphan_event(stack)
    good = writer.scenario(2).id
    sender = FlakySender()
    connect(streams, sender)
    drain(streams)
    assert dlq_depth(stack) == 1
    sent_before = len(sender.sent)
    assert sent_before == len(expected_notices(stack, writer, [good]))

    # When the dead-letter queue is replayed
    mapping = notify_mapping(streams)
    counts = replay(dlq_url(stack), invoke_notify(streams), mapping.wanted, REGION)

    # Then the message stays for a later replay, and no notice was sent again
    assert counts["messages"] == 1 and counts["still_failing"] == 1 and counts["replayed_messages"] == 0
    assert counts["records"] >= 2
    assert dlq_depth(stack) == 1
    assert len(sender.sent) == sent_before


def test_replay_reads_past_an_empty_page_and_never_drops_unsent_notices(
    stack: Stack, streams: NotifyPoller, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a case whose notices were dead-lettered during a provider outage
    writer = CaseWriter(stack)
    case = writer.scenario(0)
    expected = expected_notices(stack, writer, [case.id])
    sender = FlakySender(fail_rate=1.0)
    connect(streams, sender)
    drain(streams)
    assert dlq_depth(stack) == 1 and sender.sent == []
    # And DynamoDB Streams answering the replay's first GetRecords with an empty page, as it may
    original = botocore.client.BaseClient._make_api_call  # type: ignore[attr-defined]
    empty_pages = [1]

    def make_api_call(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        if operation_name == "GetRecords" and empty_pages[0]:
            empty_pages[0] -= 1
            return {"Records": [], "NextShardIterator": api_params["ShardIterator"]}
        return original(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", make_api_call)

    # When the provider has recovered and the dead-letter queue is replayed
    sender.fail_rate = 0.0
    mapping = notify_mapping(streams)
    counts = replay(dlq_url(stack), invoke_notify(streams), mapping.wanted, REGION)

    # Then the message is not deleted while its notices are unsent
    assert not (dlq_depth(stack) == 0 and len(sender.sent) < len(expected)), (counts, len(sender.sent))
    # And the replay read past the empty page: every notice sent once, the queue empty
    assert sends_per_notice(stack, sender, list({k[0] for k in expected})) == Counter(dict.fromkeys(expected, 1))
    assert dlq_depth(stack) == 0


def test_delivery_continues_after_an_optimistic_lock_conflict(stack: Stack, streams: NotifyPoller) -> None:
    # Given a case whose dispatch SMS were delivered from the stream
    writer = CaseWriter(stack)
    first = writer.new()
    sender = FlakySender()
    connect(streams, sender)
    drain(streams)
    assert len(sender.sent) == len(expected_notices(stack, writer, [first.id])) >= 2
    # And a concurrent update of that case that loses the optimistic lock (the transaction is cancelled)
    stale = first.model_copy(update={"version": first.version - 1})
    with pytest.raises(ConcurrentUpdate):
        stack.repo.save(lifecycle.accept(stale, Actor(role=Role.STAFF, id="s", unit_id=first.unit_id), T0))

    # When another case is dispatched and the stream is polled again
    second = writer.new(unit_index=1)
    drain(streams)

    # Then its SMS are delivered too
    expected = expected_notices(stack, writer, [first.id, second.id])
    assert sends_per_notice(stack, sender, [first.id, second.id]) == Counter(dict.fromkeys(expected, 1))


# --- d. the staff view -------------------------------------------------------------------------------

REQUEST: dict[str, Any] = {
    "category": "complaint",
    "topic": "traffic",
    "district": "futian",
    "description": "Broken traffic light at Fuhua Road",
    "phone": "+86 138 1234 5678",
}


def test_staff_view_lists_the_cases_notifications(stack: Stack, streams: NotifyPoller) -> None:
    # Given a citizen's request, dispatched by the workflow to the Futian traffic police
    status, created = stack.request("POST", "/v1/requests", citizen(), REQUEST)
    assert status == 201, created
    case_id = created["id"]
    stack.wait_for(lambda: stack.status(case_id) == "DISPATCHED")
    # And a provider that refuses the very first message, then recovers
    sender = FlakySender(outage=range(1, 2))
    connect(streams, sender)

    # When the stream is delivered to the notify function
    drain(streams)

    # Then the unit's view of the case lists both SMS of the dispatch, sent, with masked phones
    status, view = stack.request("GET", f"/v1/cases/{case_id}", staff("futian-traffic-police"))
    assert status == 200, view
    notifications = view["notifications"]
    dispatch = sorted((n for n in notifications if n["event"] == "dispatched"), key=lambda n: n["kind"])
    assert [n["kind"] for n in dispatch] == ["citizen", "unit"]
    unit_phone = CATALOG.units["futian-traffic-police"].duty_phone
    assert unit_phone is not None
    assert [n["to"] for n in dispatch] == ["138****5678", mask_phone(unit_phone)]
    assert all(n["event_seq"] == 2 for n in dispatch)
    for n in notifications:
        assert n["status"] == "SENT"
        assert n["provider_message_id"].startswith("sms-")
        assert n["sent_at"]
        assert n["segments"] >= 1
        assert "13812345678" not in json.dumps(n)
    # And the notice whose first attempt failed shows two attempts, every other one
    assert sorted(n["attempts"] for n in notifications) == [1] * (len(notifications) - 1) + [2]
