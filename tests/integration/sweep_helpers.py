"""What the sweep's integration modules share: the real SweepService on the stack's table and state
machine (optionally with a workflow wrapper passed in), and cases seeded through the repository."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from minyi import bootstrap
from minyi.adapters.aws import client
from minyi.adapters.workflow import CaseWorkflow
from minyi.config import SweepSettings
from minyi.domain import lifecycle
from minyi.domain.lifecycle import Transition
from minyi.domain.models import Case, CaseStatus, Category
from minyi.ports import Workflow
from minyi.services.sweep import SweepService
from tests.integration.conftest import Stack

UNIT = "futian-traffic-police"
SUPERVISOR = {"sub": "sup-1", "cognito:groups": "supervisor"}


def workflow_of(stack: Stack) -> CaseWorkflow:
    return CaseWorkflow(stack.resources["CaseWorkflow"])


def sweep_service(stack: Stack, workflow: Workflow | None = None, batch_limit: int = 500) -> SweepService:
    """The sweep `minyi.bootstrap.sweep_service` wires from the sweep function's settings, with `workflow`
    standing in for Step Functions when given (a wrapper that fails on purpose)."""
    settings = stack.settings(SweepSettings, "SweepFunction").model_copy(update={"sweep_batch_limit": batch_limit})
    return bootstrap.sweep_service(settings, workflow=workflow)


def execution_status(stack: Stack, name: str) -> str | None:
    return workflow_of(stack).status(name)


def event_types(stack: Stack, case_id: str) -> list[str]:
    return [e.type.value for e in stack.repo.timeline(case_id)]


def new_case(now: datetime, **overrides: Any) -> Case:
    fields: dict[str, Any] = {
        "id": uuid.uuid4().hex,
        "tracking_no": f"SZ-{uuid.uuid4().hex[:12].upper()}",
        "citizen_id": f"c-{uuid.uuid4().hex[:8]}",
        "phone": "+8613812345678",
        "category": Category.COMPLAINT,
        "topic": "traffic",
        "district": "futian",
        "description": "Seeded directly in the table",
        "status": CaseStatus.SUBMITTED,
        "created_at": now,
        "updated_at": now,
    }
    return Case(**{**fields, **overrides})


def seed_submitted(stack: Stack, created_at: datetime, **overrides: Any) -> Case:
    """A SUBMITTED case written by the repository, as the submit API does, but no execution started."""
    case = new_case(created_at, **overrides)
    stack.repo.create_case(lifecycle.submitted(case, created_at), "5678", [])
    stored = stack.repo.get_case(case.id)
    assert stored is not None
    return stored


def seed_dispatched(stack: Stack, dispatched_at: datetime, due_at: datetime, case_id: str | None = None) -> Case:
    """A case submitted and dispatched to UNIT in one write, with no workflow execution."""
    case = new_case(dispatched_at - timedelta(minutes=1), **({"id": case_id} if case_id else {}))
    first = lifecycle.submitted(case, case.created_at)
    routed = lifecycle.dispatch(first.after, UNIT, due_at, lifecycle.ROUTER, dispatched_at, "seeded")
    transition = Transition(before=case, after=routed.after, events=[*first.events, *routed.events])
    stack.repo.create_case(transition, "5678", [])
    stored = stack.repo.get_case(case.id)
    assert stored is not None
    return stored


def supervision_ids(stack: Stack) -> list[str]:
    ids: list[str] = []
    cursor = ""
    while True:
        status, body = stack.request("GET", f"/v1/supervision?limit=100{cursor}", SUPERVISOR)
        assert status == 200, body
        ids += [item["id"] for item in body["items"]]
        if not body.get("next_cursor"):
            return ids
        cursor = f"&cursor={body['next_cursor']}"


def gsi3_keys(stack: Stack, case_id: str) -> dict[str, Any]:
    item = client("dynamodb").get_item(
        TableName=stack.resources["CasesTable"], Key={"PK": {"S": f"CASE#{case_id}"}, "SK": {"S": "CASE"}}
    )["Item"]
    return {k: v["S"] for k, v in item.items() if k.startswith("GSI3")}
