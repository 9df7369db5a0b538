"""Step Functions: one Standard execution per case, named by the case id; callbacks by task token."""

from __future__ import annotations

import json
from typing import Any

from minyi.adapters.aws import client
from minyi.domain.models import ExecutionStatus
from minyi.observability import logger


class CaseWorkflow:
    """`minyi.ports.Workflow` on AWS Step Functions."""

    def __init__(self, state_machine_arn: str):
        self.state_machine_arn = state_machine_arn

    def execution_arn(self, name: str) -> str:
        return f"{self.state_machine_arn.replace(':stateMachine:', ':execution:')}:{name}"

    def start(self, case_id: str, execution_name: str | None = None) -> str:
        """Start the case's execution; starting it again (a retry) is harmless."""
        sfn = client("stepfunctions")
        name = execution_name or case_id
        try:
            resp = sfn.start_execution(
                stateMachineArn=self.state_machine_arn, name=name, input=json.dumps({"case_id": case_id})
            )
        except sfn.exceptions.ExecutionAlreadyExists:
            logger.info("workflow already started", extra={"case_id": case_id, "execution": name})
            return self.execution_arn(name)
        return str(resp["executionArn"])

    def status(self, execution_name: str) -> ExecutionStatus | None:
        """RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED; None if it never started."""
        sfn = client("stepfunctions")
        try:
            return ExecutionStatus(sfn.describe_execution(executionArn=self.execution_arn(execution_name))["status"])
        except sfn.exceptions.ExecutionDoesNotExist:
            return None

    def signal(self, token: str, output: dict[str, Any]) -> bool:
        """Complete a parked callback task. A stale token (the task already moved on) is not an error."""
        sfn = client("stepfunctions")
        try:
            sfn.send_task_success(taskToken=token, output=json.dumps(output))
        except (sfn.exceptions.InvalidToken, sfn.exceptions.TaskTimedOut, sfn.exceptions.TaskDoesNotExist) as exc:
            logger.warning("stale workflow token", extra={"error": type(exc).__name__})
            return False
        except sfn.exceptions.ClientError:
            # The case is already saved; the parked task's own timeout (deadline, rating window) wakes
            # the execution, which then reads the case and carries on. Do not fail the caller's request.
            logger.exception("could not signal the workflow")
            return False
        return True
