"""A submission while Step Functions cannot start executions, end to end on moto and with nothing
patched: the state machine is really gone for a moment. The citizen still gets 201 and the case is
saved; once the state machine is back, the escalation sweep starts the workflow, which routes the case.

A module of its own: deleting the state machine would break any other test sharing the stack. (The
service's side of it, on fakes, with the failure counted: tests/unit/services/test_request_service.py.)
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from minyi import bootstrap
from minyi.adapters.aws import client
from minyi.config import SweepSettings
from minyi.domain.models import CaseStatus
from tests.integration.conftest import Stack, citizen

REQUEST: dict[str, Any] = {
    "category": "complaint",
    "topic": "traffic",
    "district": "futian",
    "description": "Broken traffic light at Fuhua Road",
    "phone": "+86 138 1234 5678",
}


def test_a_submission_without_step_functions_answers_201_and_the_sweep_starts_its_workflow(
    fresh_stack: Stack,
) -> None:
    stack = fresh_stack
    sfn = client("stepfunctions")
    arn = stack.resources["CaseWorkflow"]
    # Given Step Functions refusing to start executions (the state machine is gone)
    sfn.delete_state_machine(stateMachineArn=arn)

    # When a citizen submits
    status, body = stack.request("POST", "/v1/requests", citizen(), REQUEST)

    # Then the answer is 201 and the case is saved, waiting without a workflow
    assert status == 201, body
    case = stack.repo.get_case(body["id"])
    assert case is not None and case.status == CaseStatus.SUBMITTED and case.execution_name is None

    # When Step Functions is back and the sweep runs after the routing grace period
    name, definition = stack.lambdas.template.state_machine("CaseWorkflow")
    role = f"arn:aws:iam::{arn.split(':')[4]}:role/minyi-local-workflow"
    restored = sfn.create_state_machine(name=name, definition=definition, roleArn=role)["stateMachineArn"]
    assert restored == arn
    report = bootstrap.sweep_service(stack.settings(SweepSettings, "SweepFunction")).run(
        case.created_at + timedelta(minutes=6)
    )

    # Then it starts the workflow under a new name, which dispatches the case
    assert (report.repaired, report.errors) == (1, [])
    stack.wait_for(lambda: stack.status(case.id) == "DISPATCHED")
    types = [e.type.value for e in stack.repo.timeline(case.id)]
    assert types[:3] == ["submitted", "workflow_repaired", "dispatched"]
    stack.wait_for(lambda: (c := stack.repo.get_case(case.id)) and c.wait and c.wait.phase == "handling")
