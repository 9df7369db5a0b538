"""Monthly training of the intake topic model on an EventBridge schedule (issue 18): the closed cases of the
last year with their final topic, plus the seed set; the candidate is stored with its held-out numbers and
put in force only when it beats the model in force on the newest fifth (minyi.services.model_ops)."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from aws_lambda_powertools.utilities.typing import LambdaContext

from minyi import bootstrap
from minyi.config import TrainModelSettings
from minyi.observability import logger, metrics, tracer
from minyi.services.model_ops import ModelOps

settings = TrainModelSettings.from_env()


@cache
def service() -> ModelOps:
    return bootstrap.model_training(settings)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    scheduled = EventBridgeModel.model_validate(event)
    outcome = service().train()
    report = {
        "version": outcome.record.version,
        "promoted": outcome.result.promoted,
        "in_force": outcome.in_force.version if outcome.in_force else None,
        "cases": outcome.cases,
        "train_examples": outcome.result.train_examples,
        "held_out_examples": outcome.result.held_out_examples,
        "top1": outcome.record.top1,
        "top3": outcome.record.top3,
        "macro_f1": outcome.record.macro_f1,
        "baseline_top1": outcome.record.baseline_top1,
    }
    logger.info("model trained", extra={"scheduled_at": scheduled.time.isoformat(), **report})
    return report
