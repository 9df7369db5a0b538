"""SMS notices from the table's stream (timeline events), with partial batch failures."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from minyi import bootstrap
from minyi.api.stream import consume
from minyi.config import NotifySettings
from minyi.observability import logger, metrics, tracer
from minyi.services.notify import NotifyService

settings = NotifySettings.from_env()


@cache
def service() -> NotifyService:
    return bootstrap.notify_service(settings)


def process(event: dict[str, Any], context: LambdaContext, notify: NotifyService) -> PartialItemFailureResponse:
    """One stream batch through `notify` (the port-injected core: tests pass a service on fakes)."""
    return consume(event, context, notify.handle)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process(event, context, service())
