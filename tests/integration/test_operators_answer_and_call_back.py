"""Issue 21, part 3, through the real handlers on moto: the knowledge base and reply templates, a
consultation answered on the call (直接办结), and 回访 for a hotline caller."""

from __future__ import annotations

from typing import Any

from minyi.adapters.aws import client
from tests.integration.conftest import Stack, staff

OPERATOR = {"sub": "operator-21", "cognito:groups": "operator"}
CALL: dict[str, Any] = {
    "category": "consultation",
    "topic": "housing",
    "district": "futian",
    "description": "租房能不能提取公积金",
    "phone": "13700001234",
    "channel": "hotline",
}
SCORES = {"speed": 2, "effectiveness": 4, "experience": 4, "feedback_quality": 4}


def parked(stack: Stack, case_id: str, phase: str) -> Any:
    return stack.wait_for(lambda: (c := stack.repo.get_case(case_id)) and c.wait and c.wait.phase == phase and c)


def test_operators_search_the_knowledge_base_and_units_list_reply_templates(stack: Stack) -> None:
    status, found = stack.request("GET", "/v1/knowledge?q=%E5%85%AC%E7%A7%AF%E9%87%91%E7%A7%9F%E6%88%BF", OPERATOR)
    assert status == 200, found
    assert found["items"][0]["id"] == "gjj-withdraw-rent"  # 公积金租房
    status, templates = stack.request("GET", "/v1/reply-templates?topic=traffic", staff())
    assert status == 200 and "traffic-enforced" in {t["id"] for t in templates["items"]}
    assert stack.request("GET", "/v1/reply-templates", OPERATOR)[0] == 403


def test_a_consultation_answered_on_the_call_is_closed_at_once_without_an_execution(stack: Stack) -> None:
    # When an operator answers the consultation from the knowledge base
    body = {**CALL, "answered_at_intake": {"answer": "可以申请租房提取。", "knowledge_id": "gjj-withdraw-rent"}}
    status, created = stack.request("POST", "/v1/requests", OPERATOR, body)
    assert status == 201, created
    # Then it is closed with the answer in its timeline, and no workflow execution exists for it
    case = stack.repo.get_case(created["id"])
    assert case is not None and case.status == "CLOSED" and case.closed_reason == "answered_at_intake"
    assert [e.type for e in stack.repo.timeline(case.id)][1:] == ["answered_at_intake", "closed"]
    executions = client("stepfunctions").list_executions(stateMachineArn=stack.resources["CaseWorkflow"])["executions"]
    assert case.id not in {e["name"] for e in executions}
    # and a complaint cannot be answered so: the refusal names the field
    status, error = stack.request("POST", "/v1/requests", OPERATOR, {**body, "category": "complaint"})
    assert status == 422 and "answered_at_intake" in str(error), error


def test_an_operator_calls_a_hotline_caller_back_and_their_unsatisfied_rating_rolls_back(stack: Stack) -> None:
    # Given a hotline complaint the unit answered
    call = {**CALL, "category": "complaint", "topic": "traffic"}
    status, created = stack.request("POST", "/v1/requests", OPERATOR, call)
    assert status == 201, created
    case_id = created["id"]
    parked(stack, case_id, "handling")
    unit = staff()
    stack.request("POST", f"/v1/cases/{case_id}/accept", unit)
    stack.request("POST", f"/v1/cases/{case_id}/reply", unit, {"message": "已处理。"})
    parked(stack, case_id, "rating")
    # Then it is on the operators' callback list, with the number to call
    status, listed = stack.request("GET", "/v1/callbacks?limit=100", OPERATOR)
    assert status == 200, listed
    (item,) = [i for i in listed["items"] if i["id"] == case_id]
    assert item["phone"] == "+8613700001234" and item["reply"] == "已处理。"
    # When the caller, reached, gives an unsatisfied rating
    status, view = stack.request("POST", f"/v1/cases/{case_id}/callback", OPERATOR, {"outcome": "rated", **SCORES})
    # Then it rolls back to the unit like the caller's own rating, and leaves the list
    assert status == 200, view
    assert view["status"] == "REOPENED"
    assert case_id not in {i["id"] for i in stack.request("GET", "/v1/callbacks?limit=100", OPERATOR)[1]["items"]}
    # and a rated callback without all four scores names the missing one
    status, error = stack.request("POST", f"/v1/cases/{case_id}/callback", OPERATOR, {"outcome": "rated", "speed": 3})
    assert status == 422 and "effectiveness" in str(error)
