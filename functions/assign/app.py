"""Workflow tasks invoked by the case state machine: route, park, overdue, close unrated."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import TypeAdapter

from minyi import bootstrap
from minyi.config import AssignSettings
from minyi.observability import logger, metrics, tracer
from minyi.services.workflow_tasks import CaseTask, ParkTask, WorkflowTask, WorkflowTasks

settings = AssignSettings.from_env()
#: The task payloads the state machine sends, told apart by `action`.
task_payload: TypeAdapter[CaseTask | ParkTask] = TypeAdapter(WorkflowTask)


@cache
def tasks() -> WorkflowTasks:
    return bootstrap.workflow_tasks(settings)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any] | None:
    task = task_payload.validate_python(event)
    case_id = task.state.case_id if isinstance(task, ParkTask) else task.case_id
    logger.append_keys(case_id=case_id, action=task.action)
    result = tasks().run(task)
    return result.model_dump(mode="json") if result is not None else None
