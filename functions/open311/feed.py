"""The Open311 open-data feed from the table's stream: each timeline event refreshes its case's public
request and, for public status changes, adds an entry to the service request updates."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from minyi import bootstrap
from minyi.api.stream import TimelineStreamRecord
from minyi.config import Open311FeedSettings
from minyi.observability import logger, metrics, tracer
from minyi.services.open311 import Open311Service

settings = Open311FeedSettings.from_env()
processor = BatchProcessor(event_type=EventType.DynamoDBStreams, model=TimelineStreamRecord)


@cache
def service() -> Open311Service:
    return bootstrap.open311_feed_service(settings)


def process(event: dict[str, Any], context: LambdaContext, feed: Open311Service) -> PartialItemFailureResponse:
    def record_handler(record: TimelineStreamRecord) -> None:
        feed.project(record.dynamodb.NewImage)

    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process(event, context, service())
