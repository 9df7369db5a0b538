"""SMS notices from the table's stream (timeline events), with partial batch failures."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from minyi import bootstrap
from minyi.api.stream import TimelineStreamRecord
from minyi.config import NotifySettings
from minyi.observability import logger, metrics, tracer
from minyi.services.notify import NotifyService

settings = NotifySettings.from_env()
processor = BatchProcessor(event_type=EventType.DynamoDBStreams, model=TimelineStreamRecord)


@cache
def service() -> NotifyService:
    return bootstrap.notify_service(settings)


def process(event: dict[str, Any], context: LambdaContext, notify: NotifyService) -> PartialItemFailureResponse:
    """One stream batch through `notify` (the port-injected core: tests pass a service on fakes)."""

    def record_handler(record: TimelineStreamRecord) -> None:
        timeline_event = record.dynamodb.NewImage
        logger.append_keys(case_id=timeline_event.case_id, event_seq=timeline_event.seq)
        notify.handle(timeline_event)

    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process(event, context, service())
