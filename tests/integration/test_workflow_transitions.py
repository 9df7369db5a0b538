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
