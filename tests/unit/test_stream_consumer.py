"""The one batch loop of the stream functions (`minyi.api.stream.consume`): each record's timeline
event to the consumer's handling, a failed record reported for Lambda to retry from. The functions'
own behaviour over a real stream is tested in tests/integration (test_notify, test_stats)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from boto3.dynamodb.types import TypeSerializer

from minyi.api.stream import consume
from minyi.domain.models import CaseStatus, EventType, Role, TimelineEvent

AT = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def timeline_event(case_id: str, seq: int) -> TimelineEvent:
    return TimelineEvent(
        case_id=case_id,
        seq=seq,
        type=EventType.SUBMITTED,
        at=AT,
        actor_role=Role.CITIZEN,
        actor_id="citizen-1",
        status=CaseStatus.SUBMITTED,
        facts={"channel": "app"},
    )


def record(event: TimelineEvent, sequence_number: str) -> dict[str, Any]:
    """A stream record of the event's INSERT, as Lambda's event source mapping delivers it."""
    image = {k: TypeSerializer().serialize(v) for k, v in event.model_dump(mode="json").items()}
    keys = {"pk": {"S": f"CASE#{event.case_id}"}, "sk": {"S": f"EVENT#{event.seq:06d}"}}
    return {
        "eventID": sequence_number,
        "eventName": "INSERT",
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "ap-east-1",
        "dynamodb": {
            "ApproximateCreationDateTime": 1772413200,
            "Keys": keys,
            "NewImage": {**keys, **image},
            "SequenceNumber": sequence_number,
            "SizeBytes": 100,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
        "eventSourceARN": "arn:aws:dynamodb:ap-east-1:123456789012:table/cases/stream/2026-03-02T00:00:00.000",
    }


def test_every_event_of_a_batch_is_handled_and_only_the_failed_record_is_reported() -> None:
    # Given a batch of three records, the consumer failing on the second one's case
    events = [timeline_event("case-1", 1), timeline_event("case-2", 1), timeline_event("case-3", 1)]
    batch = {"Records": [record(e, str(100 + n)) for n, e in enumerate(events)]}
    handled: list[TimelineEvent] = []

    def handle(event: TimelineEvent) -> None:
        if event.case_id == "case-2":
            raise RuntimeError("the SMS provider is down")
        handled.append(event)

    # When the batch is consumed
    response = consume(batch, None, handle)  # type: ignore[arg-type]
    # Then the other two events were handled as stored, and the failed record is named for the retry
    assert handled == [events[0], events[2]]
    assert response == {"batchItemFailures": [{"itemIdentifier": "101"}]}


def test_a_record_that_is_no_timeline_event_is_reported_and_the_rest_handled() -> None:
    # Given a batch whose first record lost its event type
    broken = record(timeline_event("case-1", 1), "200")
    del broken["dynamodb"]["NewImage"]["type"]
    good = timeline_event("case-1", 2)
    handled: list[TimelineEvent] = []
    # When it is consumed, Then the broken record is reported and the good one handled
    assert consume({"Records": [broken, record(good, "201")]}, None, handled.append) == {  # type: ignore[arg-type]
        "batchItemFailures": [{"itemIdentifier": "200"}]
    }
    assert handled == [good]
