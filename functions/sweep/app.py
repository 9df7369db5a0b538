"""Escalation sweep on an EventBridge schedule: deadline warnings, overdue escalation, workflow repair."""

from __future__ import annotations

import dataclasses
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from aws_lambda_powertools.utilities.typing import LambdaContext

from minyi import bootstrap
from minyi.config import SweepSettings
from minyi.observability import logger, metrics, tracer
from minyi.services.sweep import SweepService

settings = SweepSettings.from_env()


@cache
def service() -> SweepService:
    return bootstrap.sweep_service(settings)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    scheduled = EventBridgeModel.model_validate(event)
    report = service().run()
    logger.info("sweep done", extra={"scheduled_at": scheduled.time.isoformat(), **dataclasses.asdict(report)})
    return dataclasses.asdict(report)
