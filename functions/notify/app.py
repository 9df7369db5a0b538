"""SMS notices from the table's stream (timeline events), with partial batch failures."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from minyi.adapters.dynamo import DynamoRepository
from minyi.adapters.sms import SnsSmsSender
from minyi.api.stream import TimelineStreamRecord
from minyi.config import NotifySettings
from minyi.observability import logger, metrics, tracer
from minyi.services.notify import NotifyService

settings = NotifySettings.from_env()
processor = BatchProcessor(event_type=EventType.DynamoDBStreams, model=TimelineStreamRecord)


@cache
def service() -> NotifyService:
    return NotifyService(
        repo=DynamoRepository(settings.table_name),
        sender=SnsSmsSender(settings.sms_sender_id),
        rating_link_base=settings.rating_link_base,
    )


def record_handler(record: TimelineStreamRecord) -> None:
    event = record.dynamodb.NewImage
    logger.append_keys(case_id=event.case_id, event_seq=event.seq)
    service().handle(event)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
