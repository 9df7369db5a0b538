"""State transitions of the case workflow on moto's Step Functions interpreter.

Standard workflows bill every state entered (Task, Choice, Succeed alike): these tests drive cases
through the real handlers and count the StateEntered events in the execution history.
"""

from __future__ import annotations

from typing import Any

from minyi.adapters.aws import client
from tests.integration.conftest import Stack, citizen, staff

REQUEST: dict[str, Any] = {
    "category": "complaint",
    "topic": "traffic",
    "district": "futian",  # a routing rule sends it to the Futian traffic police
    "description": "Illegal parking blocks the bus lane on Shennan Road every morning",
    "phone": "+86 138 1234 5678",
}
SATISFIED = {"speed": 5, "effectiveness": 4, "experience": 5, "feedback_quality": 4}
UNSATISFIED = {"speed": 2, "effectiveness": 3, "experience": 3, "feedback_quality": 3}
PRICE_PER_TRANSITION = 0.025 / 1000  # USD, Step Functions Standard


def states_entered(stack: Stack, execution_name: str) -> list[str]:
    """The names of the states the execution entered, in order (what Standard workflows bill)."""
    sfn = client("stepfunctions")
    arn = stack.resources["CaseWorkflow"].replace(":stateMachine:", ":execution:") + f":{execution_name}"
    kwargs: dict[str, Any] = {"executionArn": arn, "maxResults": 1000}
    names: list[str] = []
    while True:
        page = sfn.get_execution_history(**kwargs)
        names += [e["stateEnteredEventDetails"]["name"] for e in page["events"] if e["type"].endswith("StateEntered")]
        if not page.get("nextToken"):
            return names
        kwargs["nextToken"] = page["nextToken"]


def execution_status(stack: Stack, execution_name: str) -> str:
    arn = stack.resources["CaseWorkflow"].replace(":stateMachine:", ":execution:") + f":{execution_name}"
    return str(client("stepfunctions").describe_execution(executionArn=arn)["status"])


def wait_parked(stack: Stack, case_id: str, phase: str, round_: int) -> None:
    """Until the workflow stored its token for `phase` of `round_` (as with people in the loop)."""

    def parked() -> bool:
        case = stack.repo.get_case(case_id)
        return bool(case and case.wait and case.wait.phase == phase and case.wait.round == round_)

    stack.wait_for(parked)


def run_case(stack: Stack, ratings: list[dict[str, int]]) -> tuple[str, list[str]]:
    """Submit a routed case; for each rating the unit accepts and replies, then the citizen rates.
    Returns the final status and the states the execution entered once it ended."""
    who, unit = citizen(), staff()
    status, created = stack.request("POST", "/v1/requests", who, REQUEST)
    assert status == 201, created
    case_id = created["id"]
    view: dict[str, Any] = {}
    for round_, scores in enumerate(ratings, start=1):
        wait_parked(stack, case_id, "handling", round_)
        assert stack.request("POST", f"/v1/cases/{case_id}/accept", unit)[0] == 200
        assert stack.request("POST", f"/v1/cases/{case_id}/reply", unit, {"message": f"Round {round_}."})[0] == 200
        wait_parked(stack, case_id, "rating", round_)
        status, view = stack.request("POST", f"/v1/requests/{case_id}/rating", who, scores)
        assert status == 200, view
    stack.wait_for(lambda: execution_status(stack, case_id) != "RUNNING")
    assert execution_status(stack, case_id) == "SUCCEEDED"
    return view["status"], states_entered(stack, case_id)


def test_satisfied_on_first_reply_costs_at_most_six_transitions(stack: Stack) -> None:
    # Given a case that a routing rule dispatches
    # When the unit accepts and replies and the citizen is satisfied (path a)
    final_status, states = run_case(stack, [SATISFIED])
    # Then the case is closed and the execution entered at most 6 states
    assert final_status == "CLOSED"
    assert len(states) <= 6, states
    assert states == ["Route", "AwaitUnit", "AwaitRating", "Outcome", "Closed"]
    # And the state transitions cost at most $0.15 per 1,000 cases (8 transitions cost $0.20 before)
    assert len(states) * PRICE_PER_TRANSITION * 1000 <= 0.15


def test_rollback_then_satisfied_goes_round_once_more(stack: Stack) -> None:
    # Given a routed case
    # When the citizen is unsatisfied once (rollback to the same unit), then satisfied (path b)
    final_status, states = run_case(stack, [UNSATISFIED, SATISFIED])
    # Then it closes after one more round through Route, which re-arms the unit's deadline
    assert final_status == "CLOSED"
    assert states == ["Route", "AwaitUnit", "AwaitRating", "Outcome"] * 2 + ["Closed"]


def test_rollback_then_supervision_closes_on_the_third_rating(stack: Stack) -> None:
    # Given a routed case
    # When the citizen is unsatisfied twice (rollback, then supervision), then rates again (path c)
    final_status, states = run_case(stack, [UNSATISFIED, UNSATISFIED, SATISFIED])
    # Then it closes after three rounds
    assert final_status == "CLOSED"
    assert states == ["Route", "AwaitUnit", "AwaitRating", "Outcome"] * 3 + ["Closed"]


# --- the other paths: same behaviour, the states they enter -------------------------------------

SUPERVISOR = {"sub": "sup-1", "cognito:groups": "supervisor"}
DISPATCHER = {"sub": "disp-1", "cognito:groups": "dispatcher"}
URBAN_MANAGEMENT = "futian-urban-management"


def handle_and_close(stack: Stack, case_id: str, who: dict[str, str], unit: dict[str, str]) -> list[str]:
    """The unit (already dispatched) accepts and replies, the citizen is satisfied; the states entered."""
    assert stack.request("POST", f"/v1/cases/{case_id}/accept", unit)[0] == 200
    assert stack.request("POST", f"/v1/cases/{case_id}/reply", unit, {"message": "Done."})[0] == 200
    wait_parked(stack, case_id, "rating", 1)
    status, view = stack.request("POST", f"/v1/requests/{case_id}/rating", who, SATISFIED)
    assert status == 200 and view["status"] == "CLOSED", view
    stack.wait_for(lambda: execution_status(stack, case_id) != "RUNNING")
    assert execution_status(stack, case_id) == "SUCCEEDED"
    return states_entered(stack, case_id)


def test_case_without_a_rule_waits_for_a_dispatcher_in_the_unit_wait(stack: Stack) -> None:
    # Given a request no routing rule covers
    who = citizen()
    _, created = stack.request("POST", "/v1/requests", who, {**REQUEST, "topic": "other"})
    case_id = created["id"]
    # When the workflow has queued it
    wait_parked(stack, case_id, "dispatch", 1)
    case = stack.repo.get_case(case_id)
    assert case is not None and case.status.value == "SUBMITTED" and case.in_dispatch_queue
    # And a dispatcher picks a unit
    status, body = stack.request("POST", f"/v1/cases/{case_id}/dispatch", DISPATCHER, {"unit_id": URBAN_MANAGEMENT})
    assert status == 200, body
    # Then the workflow waits for that unit, on its deadline
    wait_parked(stack, case_id, "handling", 1)
    case = stack.repo.get_case(case_id)
    assert case is not None and case.wait is not None and case.wait.due_at == case.due_at is not None
    # And once handled and rated the case closes, one more round than path (a)
    states = handle_and_close(stack, case_id, who, staff(URBAN_MANAGEMENT))
    assert states == ["Route", "AwaitUnit", "AwaitRating", "Outcome"] * 2 + ["Closed"]


def test_returned_case_waits_for_the_dispatch_centre_and_is_redispatched(stack: Stack) -> None:
    # Given a routed case
    who = citizen()
    _, created = stack.request("POST", "/v1/requests", who, REQUEST)
    case_id = created["id"]
    wait_parked(stack, case_id, "handling", 1)
    # When the unit returns it as misrouted
    status, body = stack.request("POST", f"/v1/cases/{case_id}/return", staff(), {"reason": "not ours"})
    assert status == 200, body
    # Then the workflow waits for the dispatch centre
    wait_parked(stack, case_id, "dispatch", 1)
    # And after a dispatcher picks another unit, for that unit
    status, body = stack.request("POST", f"/v1/cases/{case_id}/dispatch", DISPATCHER, {"unit_id": URBAN_MANAGEMENT})
    assert status == 200, body
    wait_parked(stack, case_id, "handling", 1)
    states = handle_and_close(stack, case_id, who, staff(URBAN_MANAGEMENT))
    assert states == ["Route", "AwaitUnit", "AwaitRating", "Outcome"] * 3 + ["Closed"]


def test_approved_extension_rearms_the_unit_wait_at_the_new_deadline(stack: Stack) -> None:
    # Given a routed case the unit accepted, its workflow waiting on the deadline
    who, unit = citizen(), staff()
    _, created = stack.request("POST", "/v1/requests", who, REQUEST)
    case_id = created["id"]
    wait_parked(stack, case_id, "handling", 1)
    first_due = stack.repo.get_case(case_id).due_at  # type: ignore[union-attr]
    # When the unit asks for 3 more working days and a supervisor approves
    status, body = stack.request("POST", f"/v1/cases/{case_id}/extension", unit, {"days": 3, "reason": "survey"})
    assert status == 200, body
    status, body = stack.request("POST", f"/v1/cases/{case_id}/extension/decision", SUPERVISOR, {"approve": True})
    assert status == 200, body

    # Then the workflow waits again, on the new deadline
    def rearmed() -> bool:
        case = stack.repo.get_case(case_id)
        return bool(case and case.wait and case.due_at != first_due and case.wait.due_at == case.due_at)

    stack.wait_for(rearmed)
    # And the case still closes after the reply and the rating
    states = handle_and_close(stack, case_id, who, unit)
    assert states == ["Route", "AwaitUnit", "AwaitRating", "Outcome"] * 2 + ["Closed"]
