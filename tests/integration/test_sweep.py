"""The escalation sweep on moto with the real state machine: a warning leaves the parked workflow
waiting, escalation puts the case on the supervision list and takes it out of the sparse sweep index,
failed and never-started executions are restarted and carry the case on, a failed restart is retried,
and the scheduled handler runs it all.

One stack serves the module, so a sweep run may also act on cases earlier tests left behind: every
assertion here is about the test's own case. What a run counts (due, warned, escalated...) and what
it reads from the index are checked where the index holds only the test's cases:
tests/integration/test_sweep_index.py; the sweep's decisions case by case on fakes:
tests/unit/services/test_sweep_service.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from infra.local.schedules import scheduled_event
from minyi.adapters.aws import client
from minyi.adapters.workflow import CaseWorkflow
from minyi.domain.lifecycle import MAX_REPAIRS
from minyi.domain.models import Case, CaseStatus, ExecutionStatus
from tests.integration.conftest import Stack, citizen, staff
from tests.integration.sweep_helpers import (
    UNIT,
    event_types,
    execution_status,
    gsi3_keys,
    seed_dispatched,
    seed_submitted,
    supervision_ids,
    sweep_service,
    workflow_of,
)

REQUEST: dict[str, Any] = {
    "category": "complaint",
    "topic": "traffic",
    "district": "futian",
    "description": "Cars parked on the pavement at Fuhua Road every evening",
    "phone": "+86 138 1234 5678",
}
SATISFIED = {"speed": 5, "effectiveness": 5, "experience": 4, "feedback_quality": 5}


def submit(stack: Stack, who: dict[str, str] | None = None) -> str:
    status, body = stack.request("POST", "/v1/requests", who or citizen(), REQUEST)
    assert status == 201, body
    return str(body["id"])


def parked(stack: Stack, case_id: str, phase: str = "handling", execution: str | None = None) -> Case:
    """The case once its workflow (`execution`, default the case id) is parked in `phase`."""

    def probe() -> Case | None:
        case = stack.repo.get_case(case_id)
        if case is None or case.wait is None or case.wait.phase != phase:
            return None
        if (case.execution_name or case.id) != (execution or case_id):
            return None
        return case

    return stack.wait_for(probe)  # type: ignore[no-any-return]


def dispatched_and_parked(stack: Stack, case_id: str) -> Case:
    stack.wait_for(lambda: stack.status(case_id) == "DISPATCHED")
    case = parked(stack, case_id)
    assert case.unit_id == UNIT and case.due_at is not None and case.dispatched_at is not None
    return case


def warning_point(case: Case, share: float) -> datetime:
    assert case.dispatched_at is not None and case.due_at is not None
    return case.dispatched_at + (case.due_at - case.dispatched_at) * share


# --- warnings --------------------------------------------------------------------------------------


def test_a_warning_is_written_once_and_the_workflow_keeps_waiting(stack: Stack) -> None:
    # Given a case dispatched by rule to the traffic police, its workflow waiting for the unit
    sweeper = sweep_service(stack)
    case_id = submit(stack)
    case = dispatched_and_parked(stack, case_id)
    assert case.wait is not None

    # When the sweep runs at 74 % of the handling time
    early = sweeper.run(warning_point(case, 0.74))
    # Then the case is left alone
    assert early.errors == [] and event_types(stack, case_id) == ["submitted", "dispatched"]

    # When the sweep runs at 76 % of the handling time, twice
    first = sweeper.run(warning_point(case, 0.76))
    second = sweeper.run(warning_point(case, 0.76))

    # Then the unit was warned once
    assert (first.errors, second.errors) == ([], [])
    assert first.warned >= 1
    assert event_types(stack, case_id) == ["submitted", "dispatched", "deadline_warning"]
    warned = stack.repo.get_case(case_id)
    assert warned is not None and warned.warned_round == 1 and warned.overdue is False
    # And the workflow keeps waiting in the same handling task
    assert warned.wait is not None and warned.wait.token == case.wait.token
    assert execution_status(stack, case_id) == ExecutionStatus.RUNNING

    # When the sweep runs again later, still before the deadline, nothing more is written
    assert sweeper.run(warning_point(case, 0.95)).errors == []
    assert event_types(stack, case_id) == ["submitted", "dispatched", "deadline_warning"]


# --- overdue ---------------------------------------------------------------------------------------


def test_past_due_case_is_escalated_to_the_supervision_list(stack: Stack) -> None:
    # Given a dispatched case nobody has answered, not in the supervision list
    sweeper = sweep_service(stack)
    case_id = submit(stack)
    case = dispatched_and_parked(stack, case_id)
    assert case_id not in supervision_ids(stack)
    assert case.due_at is not None

    # When the sweep runs one second after the deadline
    report = sweeper.run(case.due_at + timedelta(seconds=1))

    # Then the case is overdue, with an overdue event on its timeline
    assert report.escalated >= 1 and report.errors == []
    overdue = stack.repo.get_case(case_id)
    assert overdue is not None and overdue.overdue is True and overdue.ever_overdue is True
    assert overdue.status == CaseStatus.DISPATCHED
    assert event_types(stack, case_id) == ["submitted", "dispatched", "overdue"]
    # And supervisors see it in the supervision list (GSI4)
    assert case_id in supervision_ids(stack)
    # And it left the sweep's index (GSI3): a later run does not touch it again
    assert gsi3_keys(stack, case_id) == {}
    assert sweeper.run(case.due_at + timedelta(hours=1)).errors == []
    assert event_types(stack, case_id) == ["submitted", "dispatched", "overdue"]
    # And its healthy workflow was left alone
    assert execution_status(stack, case_id) == ExecutionStatus.RUNNING
    assert overdue.execution_name in (None, case_id)


# --- repair ----------------------------------------------------------------------------------------


def test_failed_execution_is_restarted_and_the_case_carries_on(stack: Stack) -> None:
    # Given a dispatched case whose execution then failed (its parked task failed on purpose)
    sweeper = sweep_service(stack)
    who = citizen()
    case_id = submit(stack, who)
    case = dispatched_and_parked(stack, case_id)
    assert case.wait is not None and case.due_at is not None
    sfn = client("stepfunctions")
    sfn.send_task_failure(taskToken=case.wait.token, error="Boom", cause="test")
    stack.wait_for(lambda: execution_status(stack, case_id) == ExecutionStatus.FAILED)

    # When the sweep runs one second after the deadline
    report = sweeper.run(case.due_at + timedelta(seconds=1))

    # Then it escalates the case and restarts its workflow under a new, deterministic name
    assert report.errors == []
    repaired = stack.repo.get_case(case_id)
    assert repaired is not None
    assert repaired.execution_name == f"{case_id}-r1" and repaired.repair_count == 1
    assert event_types(stack, case_id) == ["submitted", "dispatched", "workflow_repaired", "overdue"]
    assert execution_status(stack, f"{case_id}-r1") == ExecutionStatus.RUNNING
    assert execution_status(stack, case_id) == ExecutionStatus.FAILED
    # And the new execution parks the case again, waiting for the unit
    reparked = parked(stack, case_id, "handling", execution=f"{case_id}-r1")
    assert reparked.wait is not None and reparked.wait.token != case.wait.token
    assert reparked.status == CaseStatus.DISPATCHED

    # When the unit accepts and replies, and the citizen is satisfied
    unit = staff()
    assert stack.request("POST", f"/v1/cases/{case_id}/accept", unit)[0] == 200
    status, body = stack.request("POST", f"/v1/cases/{case_id}/reply", unit, {"message": "Towed, finally."})
    assert status == 200, body
    parked(stack, case_id, "rating", execution=f"{case_id}-r1")
    status, view = stack.request("POST", f"/v1/requests/{case_id}/rating", who, SATISFIED)

    # Then the case closes (late: it was overdue) and the restarted execution succeeds
    assert status == 200, view
    assert view["status"] == "CLOSED" and view["on_time"] is False
    stack.wait_for(lambda: execution_status(stack, f"{case_id}-r1") == ExecutionStatus.SUCCEEDED)
    assert event_types(stack, case_id)[-4:] == ["accepted", "replied", "rated", "closed"]


def test_submitted_case_whose_execution_never_started_is_restarted_and_routed(stack: Stack) -> None:
    # Given a case written to the table whose workflow execution never started
    sweeper = sweep_service(stack)
    created = datetime.now(UTC)
    case = seed_submitted(stack, created)
    assert execution_status(stack, case.id) is None

    # When the sweep runs within the routing grace, it leaves the case alone
    assert sweeper.run(created + timedelta(minutes=4)).errors == []
    assert execution_status(stack, case.id) is None and event_types(stack, case.id) == ["submitted"]

    # When the sweep runs six minutes after submission
    report = sweeper.run(created + timedelta(minutes=6))

    # Then it starts the workflow as <id>-r1, and the workflow routes the case to its unit
    assert report.repaired >= 1 and report.errors == []
    stack.wait_for(lambda: stack.status(case.id) == "DISPATCHED")
    routed = parked(stack, case.id, "handling", execution=f"{case.id}-r1")
    assert routed.unit_id == UNIT and routed.repair_count == 1
    assert event_types(stack, case.id) == ["submitted", "workflow_repaired", "dispatched"]
    assert execution_status(stack, f"{case.id}-r1") == ExecutionStatus.RUNNING


def test_case_whose_restarts_are_exhausted_is_flagged_for_a_supervisor(stack: Stack) -> None:
    # Given an unrouted case whose workflow was already restarted the maximum number of times
    sweeper = sweep_service(stack)
    created = datetime.now(UTC)
    case = seed_submitted(stack, created, repair_count=MAX_REPAIRS, execution_name="gone-r3")

    # When the sweep finds its execution missing
    report = sweeper.run(created + timedelta(minutes=6))

    # Then it does not start another one but flags the case for supervisors
    assert report.flagged >= 1 and report.errors == []
    flagged = stack.repo.get_case(case.id)
    assert flagged is not None and flagged.flagged is True and flagged.execution_name == "gone-r3"
    assert event_types(stack, case.id) == ["submitted", "flagged_for_supervisor"]
    assert case.id in supervision_ids(stack)
    # And it leaves the sweep's index
    assert gsi3_keys(stack, case.id) == {}


class FailsFirstStartOf:
    """Step Functions refusing the first StartExecution of one case (throttled), then working."""

    def __init__(self, real: CaseWorkflow, case_id: str):
        self.real = real
        self.case_id = case_id
        self.refused = 0

    def start(self, case_id: str, execution_name: str | None = None) -> str:
        if case_id == self.case_id and not self.refused:
            self.refused += 1
            raise RuntimeError("ThrottlingException: rate exceeded")
        return self.real.start(case_id, execution_name)

    def status(self, execution_name: str) -> ExecutionStatus | None:
        return self.real.status(execution_name)

    def signal(self, token: str, output: dict[str, Any]) -> bool:
        return self.real.signal(token, output)


def test_a_failed_restart_of_an_overdue_case_is_retried_by_the_next_run(stack: Stack) -> None:
    # Given a past-due case whose workflow execution never started
    now = datetime.now(UTC)
    case = seed_dispatched(stack, now - timedelta(days=8), now - timedelta(minutes=1))
    flaky = FailsFirstStartOf(workflow_of(stack), case.id)
    sweeper = sweep_service(stack, workflow=flaky)

    # When the sweep cannot start the new execution (it repairs before it escalates)
    first = sweeper.run(now)
    assert [e for e in first.errors if e.startswith(case.id)] != [] and flaky.refused == 1
    not_yet = stack.repo.get_case(case.id)
    assert not_yet is not None and not_yet.overdue is False and gsi3_keys(stack, case.id) != {}
    # And the next run comes a quarter of an hour later
    second = sweeper.run(now + timedelta(minutes=15))
    assert second.errors == []

    # Then the case is overdue and has a running workflow again
    stored = stack.repo.get_case(case.id)
    assert stored is not None and stored.execution_name is not None and stored.overdue
    assert execution_status(stack, stored.execution_name) == ExecutionStatus.RUNNING
    parked(stack, case.id, "handling", execution=stored.execution_name)


# --- the scheduled function ------------------------------------------------------------------------


def test_scheduled_handler_runs_the_sweep_and_returns_its_report(stack: Stack) -> None:
    # Given a case past its warning point
    now = datetime.now(UTC)
    case = seed_dispatched(stack, now - timedelta(days=8), now + timedelta(days=1))
    # When EventBridge's scheduled event invokes the sweep function
    result = stack.lambdas.invoke("SweepFunction", scheduled_event("ap-east-1", "EveryQuarterHour"))
    # Then it returns the run's report, and the case was warned
    assert result["warned"] >= 1 and result["errors"] == []
    assert set(result) >= {"due", "items_read", "warned", "escalated", "repaired", "flagged", "skipped", "errors"}
    assert event_types(stack, case.id)[-1] == "deadline_warning"
