"""The table's stream as its consumers read it: the models of a timeline event's record, and `consume`,
the one batch loop every stream function runs (Powertools' partial batch response).

Each stream function (notify, projections) is then its own handling of one timeline event; how a
batch is read, what a failed record does and which keys the logs carry are decided here once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.parser.models import DynamoDBStreamChangedRecordModel, DynamoDBStreamRecordModel
from aws_lambda_powertools.utilities.typing import LambdaContext

from minyi.domain.models import TimelineEvent
from minyi.observability import logger


class TimelineChange(DynamoDBStreamChangedRecordModel):
    NewImage: TimelineEvent  # type: ignore[assignment]


class TimelineStreamRecord(DynamoDBStreamRecordModel):
    """An INSERT of `CASE#<id>/EVENT#<seq>` (the event source mapping filters on that)."""

    dynamodb: TimelineChange  # type: ignore[assignment]


_processor = BatchProcessor(event_type=EventType.DynamoDBStreams, model=TimelineStreamRecord)


def consume(
    event: dict[str, Any], context: LambdaContext, handle: Callable[[TimelineEvent], object]
) -> PartialItemFailureResponse:
    """One stream batch, record by record: each record's timeline event goes to `handle`, the logs
    naming its case and event. A record that does not parse or whose handling raises is reported
    (ReportBatchItemFailures) and the batch retried from it, so `handle` must be idempotent: it may
    see an event again after it succeeded."""

    def record_handler(record: TimelineStreamRecord) -> None:
        timeline_event = record.dynamodb.NewImage
        logger.append_keys(case_id=timeline_event.case_id, event_seq=timeline_event.seq)
        handle(timeline_event)

    return process_partial_response(event=event, record_handler=record_handler, processor=_processor, context=context)
