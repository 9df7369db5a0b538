"""The escalation sweep on moto: 75 % warnings exactly once, overdue escalation to the supervision
list, repair of failed and never-started workflow executions, overlapping runs, and reading only
the due cases from the sparse GSI3 index.

The sweep is the real SweepService on the stack's table and state machine; every run gets an
explicit `now`, so deadlines days away are reached without waiting.
"""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from infra.local.schedules import scheduled_event
from minyi.adapters.aws import client
from minyi.adapters.dynamo import sweep_shard
from minyi.adapters.workflow import CaseWorkflow
from minyi.domain import lifecycle
from minyi.domain.lifecycle import MAX_REPAIRS, Transition
from minyi.domain.models import Case, CaseStatus, Category
from minyi.services.cases import CaseStore
from minyi.services.sweep import SweepReport, SweepService
from tests.integration.conftest import Stack, citizen, staff

UNIT = "futian-traffic-police"
REQUEST: dict[str, Any] = {
    "category": "complaint",
    "topic": "traffic",
    "district": "futian",
    "description": "Cars parked on the pavement at Fuhua Road every evening",
    "phone": "+86 138 1234 5678",
}
SUPERVISOR = {"sub": "sup-1", "cognito:groups": "supervisor"}
SATISFIED = {"speed": 5, "effectiveness": 5, "experience": 4, "feedback_quality": 5}


# --- helpers ---------------------------------------------------------------------------------------


@pytest.fixture
def sweeper(stack: Stack) -> Iterator[SweepService]:
    """The sweep on the stack. Afterwards, executions the sweep restarted under `<id>-r<n>` are ended
    too (the stack's teardown only knows executions named by the case id)."""
    yield SweepService(CaseStore(stack.repo), CaseWorkflow(stack.resources["CaseWorkflow"]))
    sfn = client("stepfunctions")
    running = sfn.list_executions(stateMachineArn=stack.resources["CaseWorkflow"], statusFilter="RUNNING")
    for execution in running["executions"]:
        case = stack.repo.get_case(execution["name"].split("-r")[0])
        if case is not None and case.wait is not None and case.execution_name == execution["name"]:
            with contextlib.suppress(sfn.exceptions.ClientError):
                sfn.send_task_failure(taskToken=case.wait.token, error="TestTeardown", cause="end of test")


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


def event_types(stack: Stack, case_id: str) -> list[str]:
    return [e.type.value for e in stack.repo.timeline(case_id)]


def warning_point(case: Case, share: float) -> datetime:
    assert case.dispatched_at is not None and case.due_at is not None
    return case.dispatched_at + (case.due_at - case.dispatched_at) * share


def execution_status(stack: Stack, name: str) -> str | None:
    return CaseWorkflow(stack.resources["CaseWorkflow"]).status(name)


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
    status, body = stack.request("GET", "/v1/supervision?limit=100", SUPERVISOR)
    assert status == 200, body
    return [item["id"] for item in body["items"]]


def gsi3_keys(stack: Stack, case_id: str) -> dict[str, Any]:
    item = client("dynamodb").get_item(
        TableName=stack.resources["CasesTable"], Key={"PK": {"S": f"CASE#{case_id}"}, "SK": {"S": "CASE"}}
    )["Item"]
    return {k: v["S"] for k, v in item.items() if k.startswith("GSI3")}


# --- warnings --------------------------------------------------------------------------------------


def test_deadline_warning_is_written_exactly_once(stack: Stack, sweeper: SweepService) -> None:
    # Given a case dispatched by rule to the traffic police, its workflow waiting for the unit
    case_id = submit(stack)
    case = dispatched_and_parked(stack, case_id)
    at_76 = warning_point(case, 0.76)

    # When the sweep runs at 76 % of the handling time, twice
    first = sweeper.run(at_76)
    second = sweeper.run(at_76)

    # Then the first run warned the unit and the second found nothing due
    assert (first.due, first.warned, first.errors) == (1, 1, [])
    assert (second.due, second.warned, second.errors) == (0, 0, [])
    assert event_types(stack, case_id).count("deadline_warning") == 1
    warned = stack.repo.get_case(case_id)
    assert warned is not None and warned.warned_round == 1 and warned.overdue is False
    # And the workflow keeps waiting in the same handling task
    assert warned.wait is not None and warned.wait.token == case.wait.token  # type: ignore[union-attr]
    assert execution_status(stack, case_id) == "RUNNING"

    # When the sweep runs again later, still before the deadline
    later = sweeper.run(warning_point(case, 0.95))
    # Then nothing more is written
    assert (later.due, later.warned, later.escalated, later.errors) == (0, 0, 0, [])
    assert event_types(stack, case_id) == ["submitted", "dispatched", "deadline_warning"]


def test_nothing_happens_before_the_warning_point(stack: Stack, sweeper: SweepService) -> None:
    # Given a dispatched case
    case_id = submit(stack)
    case = dispatched_and_parked(stack, case_id)
    # When the sweep runs at 74 % of the handling time
    report = sweeper.run(warning_point(case, 0.74))
    # Then the case is not even read
    assert (report.due, report.items_read, report.warned) == (0, 0, 0)
    assert event_types(stack, case_id) == ["submitted", "dispatched"]


# --- overdue ---------------------------------------------------------------------------------------


def test_past_due_case_is_escalated_to_the_supervision_list(stack: Stack, sweeper: SweepService) -> None:
    # Given a dispatched case nobody has answered, not in the supervision list
    case_id = submit(stack)
    case = dispatched_and_parked(stack, case_id)
    assert case_id not in supervision_ids(stack)
    assert case.due_at is not None

    # When the sweep runs one second after the deadline
    report = sweeper.run(case.due_at + timedelta(seconds=1))

    # Then the case is overdue, with an overdue event on its timeline
    assert (report.due, report.escalated, report.warned, report.repaired, report.errors) == (1, 1, 0, 0, [])
    overdue = stack.repo.get_case(case_id)
    assert overdue is not None and overdue.overdue is True and overdue.ever_overdue is True
    assert overdue.status == CaseStatus.DISPATCHED
    assert event_types(stack, case_id) == ["submitted", "dispatched", "overdue"]
    # And supervisors see it in the supervision list (GSI4)
    assert case_id in supervision_ids(stack)
    # And it left the sweep's index: the next run finds nothing
    assert gsi3_keys(stack, case_id) == {}
    again = sweeper.run(case.due_at + timedelta(hours=1))
    assert (again.due, again.escalated) == (0, 0)
    # And its healthy workflow was left alone
    assert execution_status(stack, case_id) == "RUNNING"
    assert overdue.execution_name in (None, case_id)


# --- repair ----------------------------------------------------------------------------------------


def test_failed_execution_is_restarted_and_the_case_carries_on(stack: Stack, sweeper: SweepService) -> None:
    # Given a dispatched case whose execution then failed (its parked task failed on purpose)
    who = citizen()
    case_id = submit(stack, who)
    case = dispatched_and_parked(stack, case_id)
    assert case.wait is not None and case.due_at is not None
    sfn = client("stepfunctions")
    sfn.send_task_failure(taskToken=case.wait.token, error="Boom", cause="test")
    stack.wait_for(lambda: execution_status(stack, case_id) == "FAILED")

    # When the sweep runs one second after the deadline
    report = sweeper.run(case.due_at + timedelta(seconds=1))

    # Then it escalates the case and restarts its workflow under a new, deterministic name
    assert (report.escalated, report.repaired, report.flagged, report.errors) == (1, 1, 0, [])
    repaired = stack.repo.get_case(case_id)
    assert repaired is not None
    assert repaired.execution_name == f"{case_id}-r1" and repaired.repair_count == 1
    assert event_types(stack, case_id) == ["submitted", "dispatched", "workflow_repaired", "overdue"]
    assert execution_status(stack, f"{case_id}-r1") == "RUNNING"
    assert execution_status(stack, case_id) == "FAILED"
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
    stack.wait_for(lambda: execution_status(stack, f"{case_id}-r1") == "SUCCEEDED")
    assert event_types(stack, case_id)[-4:] == ["accepted", "replied", "rated", "closed"]


def test_submitted_case_whose_execution_never_started_is_restarted_and_routed(
    stack: Stack, sweeper: SweepService
) -> None:
    # Given a case written to the table whose workflow execution never started
    created = datetime.now(UTC)
    case = seed_submitted(stack, created)
    assert execution_status(stack, case.id) is None

    # When the sweep runs within the routing grace
    early = sweeper.run(created + timedelta(minutes=4))
    # Then it leaves the case alone
    assert (early.due, early.repaired) == (0, 0)

    # When the sweep runs six minutes after submission
    report = sweeper.run(created + timedelta(minutes=6))

    # Then it starts the workflow as <id>-r1, and the workflow routes the case to its unit
    assert (report.due, report.repaired, report.flagged, report.errors) == (1, 1, 0, [])
    stack.wait_for(lambda: stack.status(case.id) == "DISPATCHED")
    routed = parked(stack, case.id, "handling", execution=f"{case.id}-r1")
    assert routed.unit_id == UNIT and routed.repair_count == 1
    assert event_types(stack, case.id) == ["submitted", "workflow_repaired", "dispatched"]
    assert execution_status(stack, f"{case.id}-r1") == "RUNNING"


def test_case_whose_restarts_are_exhausted_is_flagged_for_a_supervisor(stack: Stack, sweeper: SweepService) -> None:
    # Given an unrouted case whose workflow was already restarted the maximum number of times
    created = datetime.now(UTC)
    case = seed_submitted(stack, created, repair_count=MAX_REPAIRS, execution_name="gone-r3")

    # When the sweep finds its execution missing
    report = sweeper.run(created + timedelta(minutes=6))

    # Then it does not start another one but flags the case for supervisors
    assert (report.repaired, report.flagged, report.errors) == (0, 1, [])
    flagged = stack.repo.get_case(case.id)
    assert flagged is not None and flagged.flagged is True and flagged.execution_name == "gone-r3"
    assert event_types(stack, case.id) == ["submitted", "flagged_for_supervisor"]
    assert case.id in supervision_ids(stack)
    # And it leaves the sweep's index
    assert gsi3_keys(stack, case.id) == {}
    assert sweeper.run(created + timedelta(hours=1)).due == 0


def test_unrouted_case_with_a_running_workflow_is_flagged(stack: Stack) -> None:
    # Given an unrouted case past the grace whose execution reports RUNNING (stuck somewhere)
    created = datetime.now(UTC)
    case = seed_submitted(stack, created)

    class StuckWorkflow(CaseWorkflow):
        def status(self, execution_name: str) -> str | None:
            return "RUNNING"

        def start(self, case_id: str, execution_name: str | None = None) -> str:
            raise AssertionError("a running workflow must not be restarted")

    sweeper = SweepService(CaseStore(stack.repo), StuckWorkflow(stack.resources["CaseWorkflow"]))

    # When the sweep checks it
    report = sweeper.run(created + timedelta(minutes=6))

    # Then a person is asked to look: flagged, in the supervision list
    assert (report.flagged, report.repaired, report.errors) == (1, 0, [])
    assert event_types(stack, case.id) == ["submitted", "flagged_for_supervisor"]
    assert case.id in supervision_ids(stack)


# --- overlapping runs ------------------------------------------------------------------------------


def test_overlapping_runs_act_on_each_case_once(stack: Stack, sweeper: SweepService) -> None:
    # Given four cases past their warning point and two past their deadline whose workflow never started
    now = datetime.now(UTC)
    to_warn = [seed_dispatched(stack, now - timedelta(days=8), now + timedelta(days=1)) for _ in range(4)]
    to_escalate = [seed_dispatched(stack, now - timedelta(days=8), now - timedelta(minutes=1)) for _ in range(2)]
    client("stepfunctions")  # create the shared clients before the threads race for them
    client("dynamodb")

    # When two sweeps run at the same instant
    barrier = threading.Barrier(2)
    reports: list[SweepReport] = []
    failures: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait(timeout=10)
            reports.append(sweeper.run(now))
        except BaseException as exc:  # surfaced below
            failures.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    # Then neither failed, and between them each case was acted on exactly once
    assert failures == []
    assert len(reports) == 2
    assert [r.errors for r in reports] == [[], []]
    assert sum(r.warned for r in reports) == 4
    assert sum(r.escalated for r in reports) == 2
    assert sum(r.repaired for r in reports) == 2
    assert sum(r.flagged for r in reports) == 0
    # (a case the other run got to first is skipped, not an error)
    assert all(r.due == r.warned + r.escalated + r.skipped for r in reports)
    for case in to_warn:
        assert event_types(stack, case.id) == ["submitted", "dispatched", "deadline_warning"]
    for case in to_escalate:
        assert event_types(stack, case.id) == ["submitted", "dispatched", "workflow_repaired", "overdue"]
        stored = stack.repo.get_case(case.id)
        assert stored is not None and stored.execution_name == f"{case.id}-r1"
        assert execution_status(stack, f"{case.id}-r2") is None
        parked(stack, case.id, "handling", execution=f"{case.id}-r1")


# --- reads -----------------------------------------------------------------------------------------


def test_the_sweep_reads_only_the_due_cases(stack: Stack, sweeper: SweepService) -> None:
    # Given 50 cases whose warning point is days away, 5 past it, and a closed one
    now = datetime.now(UTC)
    not_due = [seed_dispatched(stack, now - timedelta(hours=1), now + timedelta(days=5)) for _ in range(50)]
    due = [seed_dispatched(stack, now - timedelta(days=8), now + timedelta(days=1)) for _ in range(5)]
    assert len({sweep_shard(c.id) for c in not_due + due}) > 1, "the cases span several index shards"

    # When the sweep runs
    report = sweeper.run(now)

    # Then it read exactly the 5 due cases, and warned each of them
    assert (report.items_read, report.due, report.warned, report.errors) == (5, 5, 5, [])
    for case in due:
        assert event_types(stack, case.id)[-1] == "deadline_warning"
    assert all(event_types(stack, c.id) == ["submitted", "dispatched"] for c in not_due)
    # And a second run reads nothing at all
    assert sweeper.run(now).items_read == 0


def test_scheduled_handler_runs_the_sweep_and_returns_its_report(stack: Stack) -> None:
    # Given a case past its warning point
    now = datetime.now(UTC)
    case = seed_dispatched(stack, now - timedelta(days=8), now + timedelta(days=1))
    # When EventBridge's scheduled event invokes the sweep function
    result = stack.lambdas.invoke("SweepFunction", scheduled_event("ap-east-1", "EveryQuarterHour"))
    # Then it returns the run's report, and the case was warned
    assert result["due"] == 1 and result["warned"] == 1 and result["errors"] == []
    assert set(result) >= {"due", "items_read", "warned", "escalated", "repaired", "flagged", "skipped", "errors"}
    assert event_types(stack, case.id)[-1] == "deadline_warning"


def test_a_run_takes_at_most_the_batch_limit_per_shard_and_the_next_run_the_rest(stack: Stack) -> None:
    # Given five cases past their warning point, all in the same index shard
    now = datetime.now(UTC)
    ids: list[str] = []
    while len(ids) < 5:
        candidate = uuid.uuid4().hex
        if sweep_shard(candidate) == 0:
            ids.append(candidate)
    for case_id in ids:
        seed_dispatched(stack, now - timedelta(days=8), now + timedelta(days=1), case_id=case_id)
    sweeper = SweepService(CaseStore(stack.repo), CaseWorkflow(stack.resources["CaseWorkflow"]), batch_limit=2)

    # When the sweep runs repeatedly with a batch limit of two
    runs = [sweeper.run(now) for _ in range(4)]

    # Then each run handles at most two, and three runs warn all five
    assert [(r.items_read, r.warned) for r in runs] == [(2, 2), (2, 2), (1, 1), (0, 0)]
    assert all(event_types(stack, case_id).count("deadline_warning") == 1 for case_id in ids)


def test_a_failed_restart_of_an_overdue_case_is_retried_by_the_next_run(stack: Stack, sweeper: SweepService) -> None:
    # Given a past-due case whose workflow execution never started
    now = datetime.now(UTC)
    case = seed_dispatched(stack, now - timedelta(days=8), now - timedelta(minutes=1))

    class FlakyStart(CaseWorkflow):
        """Step Functions refuses the first StartExecution (throttled), then works."""

        failures = 1

        def start(self, case_id: str, execution_name: str | None = None) -> str:
            if self.failures:
                self.failures -= 1
                raise RuntimeError("ThrottlingException: rate exceeded")
            return super().start(case_id, execution_name)

    flaky = SweepService(CaseStore(stack.repo), FlakyStart(stack.resources["CaseWorkflow"]))

    # When the sweep cannot start the new execution (it repairs before it escalates)
    first = flaky.run(now)
    assert first.escalated == 0 and len(first.errors) == 1
    # And the next run comes a quarter of an hour later
    second = flaky.run(now + timedelta(minutes=15))
    assert second.escalated == 1 and second.repaired == 1 and second.errors == []

    # Then the case is overdue and has a running workflow again
    stored = stack.repo.get_case(case.id)
    assert stored is not None and stored.execution_name is not None and stored.overdue
    assert execution_status(stack, stored.execution_name) == "RUNNING"
    parked(stack, case.id, "handling", execution=stored.execution_name)
