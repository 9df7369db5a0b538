"""Workflow tasks invoked by the case state machine: route, schedule, park, overdue, close unrated."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.typing import LambdaContext

from minyi.adapters.dynamo import DynamoRepository
from minyi.config import WorkflowSettings
from minyi.domain.deadlines import DeadlineClock
from minyi.observability import logger, metrics, tracer
from minyi.services.cases import CaseStore
from minyi.services.workflow_tasks import WorkflowTask, WorkflowTasks

settings = WorkflowSettings.from_env()


@cache
def tasks() -> WorkflowTasks:
    return WorkflowTasks(
        store=CaseStore(DynamoRepository(settings.table_name)),
        deadlines=DeadlineClock(settings.working_day_seconds),
        rating_window_seconds=settings.rating_window_seconds,
    )


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any] | None:
    task = parse(event=event, model=WorkflowTask)  # type: ignore[arg-type]
    logger.append_keys(case_id=getattr(task, "case_id", None) or task.state.case_id, action=task.action)  # type: ignore[union-attr]
    result = tasks().run(task)
    return result.model_dump(mode="json") if result is not None else None
