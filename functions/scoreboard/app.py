"""Scoreboard counters per unit and day from the table's stream, exactly once per timeline event."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from minyi import bootstrap
from minyi.api.stream import TimelineStreamRecord
from minyi.config import ScoreboardSettings
from minyi.observability import logger, metrics, tracer
from minyi.services.scoreboard import ScoreboardService

settings = ScoreboardSettings.from_env()
processor = BatchProcessor(event_type=EventType.DynamoDBStreams, model=TimelineStreamRecord)


@cache
def service() -> ScoreboardService:
    return bootstrap.scoreboard_service(settings)


def process(event: dict[str, Any], context: LambdaContext, scoreboard: ScoreboardService) -> PartialItemFailureResponse:
    """One stream batch through `scoreboard` (the port-injected core)."""

    def record_handler(record: TimelineStreamRecord) -> None:
        scoreboard.count(record.dynamodb.NewImage)

    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process(event, context, service())
